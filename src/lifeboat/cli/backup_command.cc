#include <unistd.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/identity.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/engine/backup.h"
#include "lifeboat/util/child_process.h"

namespace lifeboat::cli {

namespace {

struct BackupArgs {
  std::vector<std::string> args;  // paths, or the command after "--"
  std::vector<std::string> excludes;
  std::vector<std::string> tags;
  std::string host;
  std::string parent;
  bool force = false;
  bool from_stdin = false;
  bool from_command = false;
  std::string stdin_filename;
};

bool StdinMode(const BackupArgs& args) { return args.from_stdin || args.from_command; }

// The name a command's output gets in the snapshot when --stdin-filename is not given:
// "pg_dumpall --clean" is stored as "pg_dumpall.out".
std::string DefaultStreamName(const BackupArgs& args) {
  if (args.from_stdin) return "stdin";
  std::string program = args.args.front();
  const size_t slash = program.find_last_of('/');
  if (slash != std::string::npos) program = program.substr(slash + 1);
  if (program.empty() || program == "." || program == "..") program = "command";
  return program + ".out";
}

Status Validate(const BackupArgs& args) {
  if (args.from_stdin && args.from_command) {
    return InvalidArgumentError("--stdin and --stdin-from-command exclude each other");
  }
  if (!StdinMode(args)) {
    if (args.args.empty()) {
      return InvalidArgumentError("nothing to back up")
          .WithHint("give one or more PATHs, or --stdin, or --stdin-from-command -- CMD ARGS...");
    }
    if (!args.stdin_filename.empty()) {
      return InvalidArgumentError("--stdin-filename needs --stdin or --stdin-from-command");
    }
    return Status::Ok();
  }
  const char* mode = args.from_stdin ? "--stdin" : "--stdin-from-command";
  if (!args.excludes.empty() || !args.parent.empty() || args.force) {
    return InvalidArgumentError(std::string("--exclude, --parent and --force apply to files, "
                                            "not to ") +
                                mode);
  }
  if (args.from_stdin && !args.args.empty()) {
    return InvalidArgumentError("--stdin reads standard input and takes no PATH, got \"" +
                                args.args.front() + "\"");
  }
  if (args.from_stdin && isatty(STDIN_FILENO) == 1) {
    return InvalidArgumentError("--stdin would read from the terminal")
        .WithHint("pipe the data in: `producer | lifeboat backup --stdin`");
  }
  if (args.from_command && args.args.empty()) {
    return InvalidArgumentError("--stdin-from-command needs the command after \"--\"")
        .WithHint("lifeboat backup --stdin-from-command -- pg_dump mydb");
  }
  const std::string name = args.stdin_filename.empty() ? "x" : args.stdin_filename;
  if (name.find('/') != std::string::npos || name == "." || name == "..") {
    return InvalidArgumentError("--stdin-filename must be a plain file name, without '/'");
  }
  return Status::Ok();
}

std::vector<std::string> Tags(const BackupArgs& args) {
  std::vector<std::string> tags;
  for (const std::string& tag : args.tags) {
    for (std::string& part : SplitCommaList(tag)) tags.push_back(std::move(part));
  }
  return tags;
}

Result<engine::BackupResult> BackupFiles(CommandContext& context, const BackupArgs& args,
                                         engine::BackupProgress* progress) {
  engine::BackupOptions options;
  options.paths = args.args;
  options.excludes = args.excludes;
  options.tags = Tags(args);
  options.hostname = args.host.empty() ? Hostname() : args.host;
  options.username = Username();
  if (!args.parent.empty()) options.parent = args.parent;
  options.force_reread = args.force;
  options.scan_totals = context.globals.ShowProgress();
  options.program_version = std::string(kVersion);
  options.on_warning = [](const std::string& message) { PrintWarning(message); };
  return engine::BackupPaths(*context.session.repository, options, progress);
}

Result<engine::BackupResult> BackupInput(CommandContext& context, const BackupArgs& args,
                                         engine::BackupProgress* progress) {
  engine::StreamBackupOptions options;
  options.filename = args.stdin_filename.empty() ? DefaultStreamName(args) : args.stdin_filename;
  options.source = args.from_stdin ? "stdin" : "command";
  options.tags = Tags(args);
  options.hostname = args.host.empty() ? Hostname() : args.host;
  options.username = Username();
  options.program_version = std::string(kVersion);
  repo::Repository& repository = *context.session.repository;
  if (args.from_stdin) return engine::BackupStream(repository, STDIN_FILENO, options, progress);

  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<ChildProcess> child, ChildProcess::Start(args.args));
  // A producer that fails may have written a truncated dump that looks complete; only a clean
  // exit makes the stream worth a snapshot.
  options.before_commit = [&child] {
    Status exited = child->Wait();
    if (!exited.ok()) return exited.WithHint("no snapshot was saved");
    return exited;
  };
  return engine::BackupStream(repository, child->stdout_fd(), options, progress);
}

nlohmann::json SummaryJson(const engine::BackupResult& result) {
  const repo::SnapshotSummary& summary = result.snapshot.summary;
  return {{"message_type", "summary"},
          {"snapshot_id", result.snapshot_id.Hex()},
          {"short_id", result.snapshot_id.ShortHex()},
          {"partial", result.partial()},
          {"files_new", summary.files_new},
          {"files_changed", summary.files_changed},
          {"files_unmodified", summary.files_unmodified},
          {"dirs", summary.dirs},
          {"other_entries", summary.other_entries},
          {"errors", summary.errors},
          {"blobs_added", summary.blobs_added},
          {"bytes_added", summary.bytes_added},
          {"bytes_added_stored", summary.bytes_added_stored},
          {"total_files", summary.total_files},
          {"total_bytes", summary.total_bytes},
          {"duration_seconds", (summary.end_ns - summary.start_ns) / 1e9},
          {"warnings", result.warnings}};
}

std::string SummaryText(const engine::BackupResult& result) {
  const repo::SnapshotSummary& summary = result.snapshot.summary;
  std::string text;
  text += "Files:      " + std::to_string(summary.files_new) + " new, " +
          std::to_string(summary.files_changed) + " changed, " +
          std::to_string(summary.files_unmodified) + " unmodified\n";
  text += "Dirs:       " + std::to_string(summary.dirs) + "\n";
  text += "Added:      " + FormatBytes(summary.bytes_added) + " (" +
          FormatBytes(summary.bytes_added_stored) + " stored)\n";
  text += "Processed:  " + std::to_string(summary.total_files) + " files, " +
          FormatBytes(summary.total_bytes) + " in " +
          FormatDuration((summary.end_ns - summary.start_ns) / 1e9) + "\n";
  text += "snapshot " + result.snapshot_id.ShortHex() + " saved\n";
  return text;
}

Result<ExitCode> Run(CommandContext& context, const BackupArgs& args) {
  engine::BackupProgress progress;
  ProgressLine line(context.globals.ShowProgress(), [&progress](double elapsed) {
    return FormatBackupProgress(progress, elapsed);
  });
  Result<engine::BackupResult> result = StdinMode(args) ? BackupInput(context, args, &progress)
                                                        : BackupFiles(context, args, &progress);
  line.Stop();
  if (!result.ok()) return result.status();
  if (context.audit != nullptr) {
    context.audit->snapshot_id = result->snapshot_id.Hex();
    context.audit->bytes_added = result->snapshot.summary.bytes_added;
    context.audit->bytes_total = result->snapshot.summary.total_bytes;
  }

  if (context.globals.json) {
    PrintJson(SummaryJson(*result));
  } else if (!context.globals.quiet) {
    PrintText(SummaryText(*result));
  }
  if (!result->partial()) return ExitCode::kOk;
  const uint64_t errors = result->snapshot.summary.errors;
  PrintWarning(std::to_string(errors) + (errors == 1 ? " entry" : " entries") +
               " could not be read; snapshot " + result->snapshot_id.ShortHex() +
               " was saved without them");
  return ExitCode::kPartialBackup;
}

}  // namespace

void AddBackupCommand(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<BackupArgs>();
  CLI::App* command =
      app.add_subcommand("backup", "Back up files, standard input or a command's output");
  command->footer(
      "Forms:\n"
      "  lifeboat backup PATH...\n"
      "  lifeboat backup --stdin [--stdin-filename NAME]       stored as NAME, default \"stdin\"\n"
      "  lifeboat backup --stdin-from-command [--stdin-filename NAME] -- CMD ARGS...\n"
      "      stored as NAME, default \"<basename of CMD>.out\"; when CMD exits non-zero, no\n"
      "      snapshot is saved\n"
      "Exit code 3: the snapshot was saved, but some entries could not be read.");
  command->add_option("paths", args->args, "files and directories (or the command after --)");
  command->add_option("-e,--exclude", args->excludes, "exclude paths matching PATTERN")
      ->type_name("PATTERN")
      ->allow_extra_args(false);
  command->add_option("--tag", args->tags, "add tags (comma-separated, repeatable)")
      ->type_name("TAG")
      ->allow_extra_args(false);
  command->add_option("--host", args->host, "record HOST instead of this machine's hostname")
      ->type_name("HOST");
  command
      ->add_option("--parent", args->parent,
                   "compare with this snapshot to skip unchanged files (default: the latest "
                   "one of the same host and paths)")
      ->type_name("SNAPSHOT");
  command->add_flag("-f,--force", args->force, "read every file, even unchanged ones");
  command->add_flag("--stdin", args->from_stdin, "back up standard input as one file");
  command->add_flag("--stdin-from-command", args->from_command,
                    "back up the standard output of the command given after --");
  command
      ->add_option("--stdin-filename", args->stdin_filename,
                   "the file name for --stdin or --stdin-from-command")
      ->type_name("NAME");
  table.Add(command,
            Command{.access = RepositoryAccess::kLockedWithIndex,
                    .validate = [args](const GlobalOptions&) { return Validate(*args); },
                    .run = [args](CommandContext& context) { return Run(context, *args); }});
}

}  // namespace lifeboat::cli
