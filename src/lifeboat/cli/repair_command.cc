// `lifeboat repair index` and `lifeboat repair snapshots`: ops/repair.h does the work. Both run
// beside backups (a shared lock; repair index also takes the prune lock).
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/identity.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/ops/repair.h"

namespace lifeboat::cli {

namespace {

struct RepairArgs {
  bool dry_run = false;
  bool forget = false;
  bool read_data = false;
};

void Progress(const CommandContext& context, std::string_view message) {
  if (context.globals.ShowInfo() && StderrIsTerminal()) PrintInfo(message);
}

Result<ExitCode> RunIndex(CommandContext& context, const RepairArgs& args) {
  LIFEBOAT_ASSIGN_OR_RETURN(
      ops::RepairIndexReport report,
      ops::RepairIndex(*context.session.repository,
                       ops::RepairIndexOptions{
                           .dry_run = args.dry_run, .hostname = Hostname(), .username = Username()},
                       [&](std::string_view message) { Progress(context, message); }));
  for (const std::string& pack : report.unreadable_packs) {
    PrintWarning(pack + "; its blobs are left out of the index");
  }
  if (context.globals.json) {
    PrintJson({{"dry_run", args.dry_run},
               {"packs", report.packs},
               {"blobs", report.blobs},
               {"index_files_written", report.index_files_written},
               {"index_files_removed", report.index_files_removed},
               {"unreadable_packs", report.unreadable_packs},
               {"markers_removed", report.markers_removed}});
  } else if (!context.globals.quiet) {
    PrintText(std::string(args.dry_run ? "would index " : "indexed ") +
              std::to_string(report.packs) + " packs (" + std::to_string(report.blobs) +
              " blobs) in " + std::to_string(report.index_files_written) +
              " new index files, replacing " + std::to_string(report.index_files_removed) +
              " old ones" + (args.dry_run ? " (dry run: nothing changed)\n" : "\n"));
    if (report.markers_removed > 0) {
      PrintText("removed " + std::to_string(report.markers_removed) +
                " unreadable garbage markers (their packs are kept)\n");
    }
  }
  return ExitCode::kOk;
}

Result<ExitCode> RunSnapshots(CommandContext& context, const RepairArgs& args) {
  LIFEBOAT_ASSIGN_OR_RETURN(
      ops::RepairSnapshotsReport report,
      ops::RepairSnapshots(
          *context.session.repository,
          ops::RepairSnapshotsOptions{
              .forget = args.forget, .read_data = args.read_data, .dry_run = args.dry_run},
          [&](std::string_view message) { Progress(context, message); }));
  if (context.globals.json) {
    nlohmann::json damaged = nlohmann::json::array();
    for (const ops::RepairedSnapshot& snapshot : report.damaged) {
      damaged.push_back(
          {{"original", snapshot.original.Hex()},
           {"repaired", snapshot.repaired ? nlohmann::json(snapshot.repaired->Hex()) : nullptr},
           {"removed", snapshot.removed},
           {"unreadable", snapshot.unreadable},
           {"forgotten", snapshot.forgotten}});
    }
    PrintJson({{"dry_run", args.dry_run},
               {"snapshots_checked", report.snapshots_checked},
               {"damaged", damaged}});
    return ExitCode::kOk;
  }
  if (context.globals.quiet) return ExitCode::kOk;
  std::string text;
  for (const ops::RepairedSnapshot& snapshot : report.damaged) {
    text += "snapshot " + snapshot.original.ShortHex() + ":\n";
    for (const std::string& removed : snapshot.removed) text += "  removed " + removed + "\n";
    if (snapshot.repaired) {
      text += "  saved as " + snapshot.repaired->ShortHex() + " (tagged repaired)\n";
    } else if (snapshot.unreadable) {
      text += "  nothing of it can be read\n";
    }
    if (snapshot.forgotten) text += "  the original was removed\n";
  }
  text += std::to_string(report.damaged.size()) + " of " +
          std::to_string(report.snapshots_checked) + " snapshots " +
          (args.dry_run ? "need repair (dry run: nothing changed)\n" : "needed repair\n");
  PrintText(text);
  return ExitCode::kOk;
}

}  // namespace

void AddRepairCommand(CLI::App& app, CommandTable& table) {
  CLI::App* repair =
      app.add_subcommand("repair", "Repair a damaged repository, keeping what can be read");
  repair->require_subcommand(1);

  auto index_args = std::make_shared<RepairArgs>();
  CLI::App* index =
      repair->add_subcommand("index", "Rebuild the index from the packs' own headers");
  index->add_flag("-n,--dry-run", index_args->dry_run, "only show what would be done");
  table.Add(index, Command{.access = RepositoryAccess::kLocked,
                           .run = [index_args](CommandContext& context) {
                             return RunIndex(context, *index_args);
                           }});

  auto snapshot_args = std::make_shared<RepairArgs>();
  CLI::App* snapshots = repair->add_subcommand(
      "snapshots",
      "Save a copy of each damaged snapshot without its damaged files and directories, tagged "
      "repaired");
  snapshots->add_flag("--forget", snapshot_args->forget,
                      "remove each damaged original (and snapshots that cannot be read at all)");
  snapshots->add_flag("--read-data", snapshot_args->read_data,
                      "read and verify every file's data, not only look it up in the index");
  snapshots->add_flag("-n,--dry-run", snapshot_args->dry_run, "only show what would be done");
  table.Add(snapshots, Command{.access = RepositoryAccess::kLockedWithIndex,
                               .run = [snapshot_args](CommandContext& context) {
                                 return RunSnapshots(context, *snapshot_args);
                               }});
}

}  // namespace lifeboat::cli
