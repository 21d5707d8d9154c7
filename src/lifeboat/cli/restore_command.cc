#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/engine/restore.h"

namespace lifeboat::cli {

namespace {

struct RestoreArgs {
  std::string snapshot;
  std::string target;
  std::vector<std::string> includes;
  std::vector<std::string> excludes;
  bool verify = false;
};

Status Validate(const RestoreArgs& args) {
  if (args.target.empty()) {
    return InvalidArgumentError("--target must name a directory")
        .WithHint("files are restored under TARGET at their full original path");
  }
  return Status::Ok();
}

std::string SummaryText(const engine::RestoreResult& result, const std::string& target,
                        bool verify) {
  std::string text = "restored " + std::to_string(result.files) + " files, " +
                     std::to_string(result.dirs) + " dirs, " +
                     std::to_string(result.other_entries) + " other entries (" +
                     FormatBytes(result.bytes) + ") to " + target + "\n";
  if (verify) text += "verified " + std::to_string(result.verified_files) + " files\n";
  return text;
}

Result<ExitCode> Run(CommandContext& context, const RestoreArgs& args) {
  repo::Repository& repository = *context.session.repository;
  LIFEBOAT_ASSIGN_OR_RETURN(auto found, repository.FindSnapshot(args.snapshot));
  const auto& [id, snapshot] = found;
  if (context.audit != nullptr) context.audit->snapshot_id = id.Hex();
  engine::RestoreOptions options;
  options.target = args.target;
  options.includes = args.includes;
  options.excludes = args.excludes;
  options.verify = args.verify;

  engine::RestoreProgress progress;
  ProgressLine line(context.globals.ShowProgress(), [&progress](double elapsed) {
    return FormatRestoreProgress(progress, elapsed);
  });
  Result<engine::RestoreResult> result =
      engine::RestoreSnapshot(repository, snapshot, options, &progress);
  line.Stop();
  if (!result.ok()) return result.status();
  if (context.audit != nullptr) context.audit->bytes_total = result->bytes;

  for (const std::string& error : result->errors) PrintItemError(error);
  if (context.globals.json) {
    PrintJson({{"message_type", "summary"},
               {"snapshot_id", id.Hex()},
               {"target", args.target},
               {"files", result->files},
               {"dirs", result->dirs},
               {"other_entries", result->other_entries},
               {"bytes", result->bytes},
               {"verified_files", result->verified_files},
               {"errors", result->errors}});
  } else if (!context.globals.quiet) {
    PrintText(SummaryText(*result, args.target, args.verify));
  }
  if (!result->errors.empty()) {
    return IoError(std::to_string(result->errors.size()) +
                   (result->errors.size() == 1 ? " entry" : " entries") + " of snapshot " +
                   id.ShortHex() + " could not be restored")
        .WithHint("the errors above name them; everything else was restored");
  }
  return ExitCode::kOk;
}

}  // namespace

void AddRestoreCommand(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<RestoreArgs>();
  CLI::App* command = app.add_subcommand(
      "restore", "Restore a snapshot under a target directory (TARGET/<original path>)");
  command->add_option("snapshot", args->snapshot, "snapshot id prefix or \"latest\"")->required();
  command->add_option("-t,--target", args->target, "directory to restore into")
      ->type_name("DIR")
      ->required();
  command->add_option("-i,--include", args->includes, "restore only paths matching PATTERN")
      ->type_name("PATTERN")
      ->allow_extra_args(false);
  command->add_option("-e,--exclude", args->excludes, "skip paths matching PATTERN")
      ->type_name("PATTERN")
      ->allow_extra_args(false);
  command->add_flag("--verify", args->verify, "read restored files back and compare");
  table.Add(command,
            Command{.access = RepositoryAccess::kLockedWithIndex,
                    .validate = [args](const GlobalOptions&) { return Validate(*args); },
                    .run = [args](CommandContext& context) { return Run(context, *args); }});
}

}  // namespace lifeboat::cli
