#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/ops/inspect.h"

namespace lifeboat::cli {

namespace {

struct DiffArgs {
  std::string from;
  std::string to;
};

Result<ExitCode> Run(CommandContext& context, const DiffArgs& args) {
  repo::Repository& repository = *context.session.repository;
  LIFEBOAT_ASSIGN_OR_RETURN(auto from, repository.FindSnapshot(args.from));
  LIFEBOAT_ASSIGN_OR_RETURN(auto to, repository.FindSnapshot(args.to));
  LIFEBOAT_ASSIGN_OR_RETURN(ops::DiffReport report,
                            ops::DiffSnapshots(repository, from.second, to.second));
  if (context.globals.json) {
    nlohmann::json changes = nlohmann::json::array();
    for (const ops::DiffEntry& entry : report.entries) {
      changes.push_back({{"change", std::string(1, entry.change)}, {"path", entry.path}});
    }
    PrintJson({{"from", from.first.Hex()},
               {"to", to.first.Hex()},
               {"changes", changes},
               {"added_files", report.added_files},
               {"removed_files", report.removed_files},
               {"changed_files", report.changed_files},
               {"added_bytes", report.added_bytes},
               {"removed_bytes", report.removed_bytes}});
    return ExitCode::kOk;
  }
  if (context.globals.ShowInfo()) {
    PrintInfo("comparing snapshot " + from.first.ShortHex() + " to " + to.first.ShortHex() + ":");
  }
  // The restic layout: "+" added, "-" removed, "M" content changed, "U" metadata only,
  // "T" type changed; the letter padded to five columns, then the path.
  std::string text;
  for (const ops::DiffEntry& entry : report.entries) {
    text += std::string(1, entry.change) + "    " + entry.path + "\n";
  }
  if (!context.globals.quiet) {
    text += "\nFiles:    " + std::to_string(report.added_files) + " new, " +
            std::to_string(report.removed_files) + " removed, " +
            std::to_string(report.changed_files) + " changed\n";
    text += "Added:    " + FormatBytes(report.added_bytes) + "\n";
    text += "Removed:  " + FormatBytes(report.removed_bytes) + "\n";
  }
  PrintText(text);
  return ExitCode::kOk;
}

}  // namespace

void AddDiffCommand(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<DiffArgs>();
  CLI::App* command = app.add_subcommand("diff", "Show what changed between two snapshots");
  command->footer(
      "Each changed path is printed after a letter: + added, - removed, M content modified,\n"
      "U metadata only, T type changed.");
  command->add_option("from", args->from, "the older snapshot (id prefix or \"latest\")")
      ->required();
  command->add_option("to", args->to, "the newer snapshot (id prefix or \"latest\")")->required();
  table.Add(command, Command{.access = RepositoryAccess::kLockedWithIndex,
                             .run = [args](CommandContext& context) { return Run(context, *args); },
                             .audit = AuditPolicy::kBestEffort});
}

}  // namespace lifeboat::cli
