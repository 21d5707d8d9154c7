// `lifeboat command backup`: any command's standard output as a source (sources/command).
// Restoring needs no command of its own: `lifeboat dump SNAP NAME` writes the output back.
#include "lifeboat/cli/command.h"

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/output.h"
#include "lifeboat/cli/source_backup.h"
#include "lifeboat/sources/command/backup.h"

namespace lifeboat::cli {

namespace {

namespace cmd = sources::command;

struct CommandBackupArgs {
  std::string name;
  std::vector<std::string> argv;
  std::vector<std::string> tags;
  std::string host;
};

Status Validate(const CommandBackupArgs& args) {
  LIFEBOAT_RETURN_IF_ERROR(cmd::ValidateOutputName(args.name));
  if (args.argv.empty()) {
    return InvalidArgumentError("no command given")
        .WithHint("give the command after \"--\": lifeboat command backup --name NAME -- CMD");
  }
  return Status::Ok();
}

Result<ExitCode> RunBackup(CommandContext& context, const CommandBackupArgs& args) {
  cmd::CommandBackupOptions options;
  options.argv = args.argv;
  options.name = args.name;
  SetSnapshotIdentity(options, args.tags, args.host);
  Result<cmd::CommandBackupResult> result =
      RunWithProgress(context.globals, [&](engine::BackupProgress* progress) {
        return cmd::BackupCommandOutput(*context.session.repository, options, progress);
      });
  if (!result.ok()) return NoSnapshotSaved(result.status());
  RecordBackupInAudit(context, result->backup);
  const repo::SnapshotSummary& summary = result->backup.snapshot.summary;
  const cmd::CommandManifest& manifest = result->manifest;
  const double seconds = (summary.end_ns - summary.start_ns) / 1e9;
  if (context.globals.json) {
    PrintJson({{"message_type", "summary"},
               {"snapshot_id", result->backup.snapshot_id.Hex()},
               {"short_id", result->backup.snapshot_id.ShortHex()},
               {"file", manifest.file},
               {"bytes", manifest.bytes},
               {"sha256", manifest.sha256},
               {"bytes_added", summary.bytes_added},
               {"bytes_added_stored", summary.bytes_added_stored},
               {"duration_seconds", seconds}});
  } else if (!context.globals.quiet) {
    PrintText("Command:    " + cmd::QuoteCommandLine(manifest.argv) + " (exit status 0)\n" +
              "Output:     " + manifest.file + ", " + FormatBytes(manifest.bytes) + "\n" +
              "Added:      " + FormatBytes(summary.bytes_added) + " (" +
              FormatBytes(summary.bytes_added_stored) + " stored) in " + FormatDuration(seconds) +
              "\n" + "snapshot " + result->backup.snapshot_id.ShortHex() + " saved\n");
  }
  return ExitCode::kOk;
}

}  // namespace

void AddCommandCommand(CLI::App& app, CommandTable& table) {
  CLI::App* group =
      app.add_subcommand("command", "Any command's standard output as a source: backup");
  group->require_subcommand(1);
  auto backup = std::make_shared<CommandBackupArgs>();
  CLI::App* b = group->add_subcommand(
      "backup", "Store a command's stdout as one named file; only when it exits 0");
  b->add_option("--name", backup->name, "the output's file name in the snapshot")
      ->type_name("FILE_NAME")
      ->required();
  b->add_option("command", backup->argv, "the command and its arguments, after \"--\"");
  b->add_option("--tag", backup->tags, "add tags (comma-separated, repeatable)")
      ->type_name("TAG")
      ->allow_extra_args(false);
  b->add_option("--host", backup->host, "record HOST instead of this machine's hostname");
  b->footer(
      "Example: lifeboat command backup --name users.sql -- pg_dump --table=users mydb\n"
      "The command's stderr is passed through. When it exits non-zero or is killed, no\n"
      "snapshot is saved. Get the output back with: lifeboat dump SNAPSHOT FILE_NAME");
  table.Add(b, Command{.access = RepositoryAccess::kLockedWithIndex,
                       .validate = [backup](const GlobalOptions&) { return Validate(*backup); },
                       .run = [backup](CommandContext& c) { return RunBackup(c, *backup); }});
}

}  // namespace lifeboat::cli
