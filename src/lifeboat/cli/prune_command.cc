#include "lifeboat/cli/prune_command.h"

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/identity.h"
#include "lifeboat/cli/output.h"

namespace lifeboat::cli {

namespace {

std::string Packs(uint64_t count) {
  return std::to_string(count) + (count == 1 ? " pack" : " packs");
}

std::string PlanText(const ops::PruneReport& plan) {
  const char* will = plan.dry_run ? "would " : "will ";
  std::string text;
  if (plan.markers_swept > 0) {
    text += std::string("sweep: ") + will + "delete " + Packs(plan.packs_swept) + " (" +
            FormatBytes(plan.bytes_swept) + ") marked by " + std::to_string(plan.markers_swept) +
            (plan.markers_swept == 1 ? " earlier run" : " earlier runs");
    if (plan.packs_rescued > 0) {
      text += "; " + Packs(plan.packs_rescued) + " marked then are used again and kept";
    }
    text += "\n";
  }
  for (const std::string& deferred : plan.deferred) {
    text += "sweep deferred: " + deferred + "\n";
  }
  if (plan.markers_waiting > 0) {
    text += std::to_string(plan.markers_waiting) +
            (plan.markers_waiting == 1 ? " earlier mark is" : " earlier marks are") +
            " within the grace period; due at " + FormatTimeRfc3339(plan.next_sweep_ns) + "\n";
  }
  text += "repository: " + Packs(plan.packs_total) + ", " + FormatBytes(plan.bytes_total) + ", " +
          FormatBytes(plan.bytes_used) + " used by snapshots\n";
  text += std::string("mark: ") + will + "mark " + Packs(plan.packs_unused) + " (" +
          FormatBytes(plan.bytes_unused) + ") that no snapshot uses";
  if (plan.packs_unindexed > 0) {
    text += ", " + std::to_string(plan.packs_unindexed) + " of them in no index";
  }
  text += "\n";
  if (plan.packs_repacked > 0) {
    text += std::string("repack: ") + will + "copy " + std::to_string(plan.blobs_copied) +
            " used blobs (" + FormatBytes(plan.bytes_copied) + ") out of " +
            Packs(plan.packs_repacked) + " (" + FormatBytes(plan.bytes_repacked) +
            ") and mark them; " + FormatBytes(plan.bytes_unused_after) +
            " unused stays in partly used packs\n";
  } else {
    text += "repack: none needed (" + FormatBytes(plan.bytes_unused_after) +
            " unused in partly used packs is within --max-unused)\n";
  }
  return text;
}

nlohmann::json ReportJson(const ops::PruneReport& report) {
  return {{"dry_run", report.dry_run},
          {"markers_swept", report.markers_swept},
          {"packs_swept", report.packs_swept},
          {"bytes_swept", report.bytes_swept},
          {"packs_rescued", report.packs_rescued},
          {"index_files_rewritten", report.index_files_rewritten},
          {"markers_waiting", report.markers_waiting},
          {"next_sweep", report.next_sweep_ns == 0
                             ? nlohmann::json(nullptr)
                             : nlohmann::json(FormatTimeRfc3339(report.next_sweep_ns))},
          {"deferred", report.deferred},
          {"packs_unused", report.packs_unused},
          {"bytes_unused", report.bytes_unused},
          {"packs_unindexed", report.packs_unindexed},
          {"packs_repacked", report.packs_repacked},
          {"bytes_repacked", report.bytes_repacked},
          {"blobs_copied", report.blobs_copied},
          {"bytes_copied", report.bytes_copied},
          {"marker", report.marker},
          {"packs_total", report.packs_total},
          {"bytes_total", report.bytes_total},
          {"bytes_used", report.bytes_used},
          {"bytes_unused_after", report.bytes_unused_after}};
}

struct PruneCommandArgs {
  PruneArgs prune;
  bool dry_run = false;
};

}  // namespace

void AddPruneOptions(CLI::App* command, PruneArgs& args) {
  command
      ->add_option("--max-unused", args.max_unused,
                   "unused space tolerated in partly used packs, as a share of the repository; "
                   "above it packs are repacked (a percentage, or \"unlimited\")")
      ->type_name("P%")
      ->default_str("5%");
  command
      ->add_option("--grace", args.grace,
                   "how long marked packs wait before a later prune deletes them; longer than "
                   "any backup takes (e.g. 1h, 30m, 2d)")
      ->type_name("DURATION")
      ->default_str("1h");
}

Status ValidatePruneArgs(PruneArgs& args) {
  LIFEBOAT_ASSIGN_OR_RETURN(args.options.max_unused, ops::ParseMaxUnused(args.max_unused));
  LIFEBOAT_ASSIGN_OR_RETURN(args.options.grace_seconds, ops::ParseGrace(args.grace));
  return Status::Ok();
}

Result<ExitCode> RunPrune(CommandContext& context, const PruneArgs& args, bool dry_run,
                          nlohmann::json* json_out) {
  ops::PruneOptions options = args.options;
  options.dry_run = dry_run;
  options.hostname = Hostname();
  options.username = Username();
  options.own_locks = {context.session.lock.get()};
  const bool text = !context.globals.json && !context.globals.quiet;
  LIFEBOAT_ASSIGN_OR_RETURN(ops::PruneReport report, ops::Prune(
                                                         *context.session.repository, options,
                                                         [&](const ops::PruneReport& plan) {
                                                           if (text) PrintText(PlanText(plan));
                                                         },
                                                         [&](std::string_view message) {
                                                           if (context.globals.ShowInfo())
                                                             PrintInfo(message);
                                                         }));
  if (json_out != nullptr) (*json_out)["prune"] = ReportJson(report);
  if (context.audit != nullptr) {
    context.audit->bytes_added = report.bytes_copied;
    context.audit->bytes_total = report.bytes_total;
    context.audit->unchanged = dry_run;
  }
  if (text) {
    if (dry_run) {
      PrintText("dry run: nothing was changed\n");
    } else {
      std::string done =
          "deleted " + Packs(report.packs_swept) + " (" + FormatBytes(report.bytes_swept) + ")";
      const uint64_t marked = report.packs_unused + report.packs_repacked;
      if (marked > 0) {
        const int64_t due = context.session.repository->clock().NowNanos() +
                            args.options.grace_seconds * 1'000'000'000;
        done += "; marked " + Packs(marked) + ", which a prune after " + FormatTimeRfc3339(due) +
                " deletes";
      }
      PrintText(done + "\n");
    }
  }
  return ExitCode::kOk;
}

void AddPruneCommand(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<PruneCommandArgs>();
  CLI::App* command = app.add_subcommand(
      "prune",
      "Free the space of data no snapshot uses: delete packs an earlier prune marked, then mark "
      "unused packs (never blocks a backup)");
  AddPruneOptions(command, args->prune);
  command->add_flag("-n,--dry-run", args->dry_run, "only show what would be done");
  table.Add(
      command,
      Command{.access = RepositoryAccess::kLocked,
              .validate = [args](const GlobalOptions&) { return ValidatePruneArgs(args->prune); },
              .run = [args](CommandContext& context) -> Result<ExitCode> {
                nlohmann::json out = nlohmann::json::object();
                LIFEBOAT_ASSIGN_OR_RETURN(ExitCode code,
                                          RunPrune(context, args->prune, args->dry_run, &out));
                if (context.globals.json) PrintJson(out["prune"]);
                return code;
              }});
}

}  // namespace lifeboat::cli
