// `lifeboat forget`: removes snapshot objects, either those named by id or those a keep policy
// (ops/retention.h) does not keep, group by group. The data they used stays until prune.
//
// A shared lock is enough. forget removes nothing but snapshot files, which are immutable and
// referenced by nothing except as a backup's `parent` hint:
//  - a concurrent backup reads its parent's snapshot file once, at the start, and from then on
//    only trees and blobs, in packs and index files that forget never touches;
//  - a concurrent restore, ls or dump has loaded its snapshot and reads trees and packs, which
//    stay; check treats a snapshot that vanishes between listing and reading as gone, not damaged;
//  - two forgets may remove the same snapshot: the second one's kNotFound means "done".
// Deleting data is prune's work, and prune is two-phase (packs are marked unused and deleted
// only in a later run, after a grace period; ops/prune.h), so `forget --prune` needs no more than
// the shared lock either. An exclusive lock here would only block backups, as restic's does.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/cli/prune_command.h"
#include "lifeboat/ops/retention.h"
#include "lifeboat/repo/repository.h"
#include "lifeboat/util/local_time.h"

namespace lifeboat::cli {

namespace {

struct ForgetArgs {
  // Counts as given ("7", "unlimited", "-1"), parsed by Validate.
  std::string keep_last, keep_hourly, keep_daily, keep_weekly, keep_monthly, keep_yearly;
  std::string keep_within, keep_within_hourly, keep_within_daily, keep_within_weekly,
      keep_within_monthly, keep_within_yearly;
  std::vector<std::string> keep_tags;
  std::string group_by = "host,paths,source";
  bool group_by_given = false;
  std::vector<std::string> hosts;
  std::vector<std::string> tags;  // each a comma-separated set that must all be present
  std::vector<std::string> paths;
  std::string time_zone;
  bool dry_run = false;
  bool prune = false;
  PruneArgs prune_args;
  std::vector<std::string> snapshot_ids;

  ops::RetentionPolicy policy;  // filled in by Validate
  ops::GroupBy grouping;
};

Status ParseCount(std::string_view option, const std::string& text, int* count) {
  if (text.empty()) return Status::Ok();
  if (text == "unlimited") {
    *count = ops::kUnlimited;
    return Status::Ok();
  }
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < ops::kUnlimited) {
    return InvalidArgumentError("invalid " + std::string(option) + " \"" + text +
                                "\": expected a count (0 or more), or \"unlimited\"");
  }
  *count = value;
  return Status::Ok();
}

Status ParseWithin(std::string_view option, const std::string& text, ops::KeepDuration* out) {
  if (text.empty()) return Status::Ok();
  Result<ops::KeepDuration> duration = ops::ParseKeepDuration(text);
  if (!duration.ok()) {
    // "invalid duration "2w": ..." names the option instead.
    std::string message = duration.status().message();
    constexpr std::string_view kLead = "invalid duration ";
    if (message.starts_with(kLead)) {
      message = "invalid " + std::string(option) + " " + message.substr(kLead.size());
    }
    return InvalidArgumentError(message);
  }
  *out = *duration;
  return Status::Ok();
}

Status Validate(ForgetArgs& args) {
  LIFEBOAT_RETURN_IF_ERROR(ValidatePruneArgs(args.prune_args));
  ops::RetentionPolicy& policy = args.policy;
  policy = ops::RetentionPolicy{};
  LIFEBOAT_RETURN_IF_ERROR(ParseCount("--keep-last", args.keep_last, &policy.last));
  LIFEBOAT_RETURN_IF_ERROR(ParseCount("--keep-hourly", args.keep_hourly, &policy.hourly));
  LIFEBOAT_RETURN_IF_ERROR(ParseCount("--keep-daily", args.keep_daily, &policy.daily));
  LIFEBOAT_RETURN_IF_ERROR(ParseCount("--keep-weekly", args.keep_weekly, &policy.weekly));
  LIFEBOAT_RETURN_IF_ERROR(ParseCount("--keep-monthly", args.keep_monthly, &policy.monthly));
  LIFEBOAT_RETURN_IF_ERROR(ParseCount("--keep-yearly", args.keep_yearly, &policy.yearly));
  LIFEBOAT_RETURN_IF_ERROR(ParseWithin("--keep-within", args.keep_within, &policy.within));
  LIFEBOAT_RETURN_IF_ERROR(
      ParseWithin("--keep-within-hourly", args.keep_within_hourly, &policy.within_hourly));
  LIFEBOAT_RETURN_IF_ERROR(
      ParseWithin("--keep-within-daily", args.keep_within_daily, &policy.within_daily));
  LIFEBOAT_RETURN_IF_ERROR(
      ParseWithin("--keep-within-weekly", args.keep_within_weekly, &policy.within_weekly));
  LIFEBOAT_RETURN_IF_ERROR(
      ParseWithin("--keep-within-monthly", args.keep_within_monthly, &policy.within_monthly));
  LIFEBOAT_RETURN_IF_ERROR(
      ParseWithin("--keep-within-yearly", args.keep_within_yearly, &policy.within_yearly));
  for (const std::string& set : args.keep_tags) policy.keep_tags.push_back(SplitCommaList(set));
  LIFEBOAT_ASSIGN_OR_RETURN(args.grouping, ops::ParseGroupBy(args.group_by));
  if (!args.time_zone.empty()) LIFEBOAT_RETURN_IF_ERROR(SetProcessTimeZone(args.time_zone));

  if (!args.snapshot_ids.empty()) {
    if (!policy.Empty() || !args.hosts.empty() || !args.tags.empty() || !args.paths.empty() ||
        args.group_by_given) {
      return InvalidArgumentError(
                 "snapshot ids cannot be combined with --keep-*, --host, --tag, --path or "
                 "--group-by")
          .WithHint("forget either the snapshots named, or those a policy does not keep");
    }
    return Status::Ok();
  }
  if (policy.Empty()) {
    return InvalidArgumentError(
               "no policy given: forget without a --keep-* rule would remove every snapshot")
        .WithHint(
            "give --keep-last, --keep-daily, --keep-within, ... or the ids of the snapshots to "
            "forget");
  }
  return Status::Ok();
}

bool Matches(const ForgetArgs& args, const repo::Snapshot& snapshot) {
  return SnapshotMatchesFilter(snapshot, args.hosts, args.tags, args.paths);
}

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += separator;
    text += items[i];
  }
  return text;
}

std::string CountOf(size_t count) {
  return std::to_string(count) + (count == 1 ? " snapshot" : " snapshots");
}

// The table `snapshots` prints, with a column of reasons.
std::string Table(const std::vector<ops::RetentionEntry>& entries, const char* reason_header) {
  TextTable table({"ID", "Time", "Host", "Tags", reason_header, "Paths"});
  for (const ops::RetentionEntry& entry : entries) {
    const std::vector<std::string>& paths = entry.snapshot.paths;
    table.AddRow({entry.id.ShortHex(), FormatLocalTime(entry.snapshot.time_ns),
                  entry.snapshot.hostname, Join(entry.snapshot.tags, ","),
                  Join(entry.reasons, ", "), paths.empty() ? "" : paths.front()});
    for (size_t i = 1; i < paths.size(); ++i) table.AddRow({"", "", "", "", "", paths[i]});
  }
  return table.Render();
}

nlohmann::json EntriesJson(const std::vector<ops::RetentionEntry>& entries) {
  nlohmann::json list = nlohmann::json::array();
  for (const ops::RetentionEntry& entry : entries) {
    nlohmann::json item = SnapshotJson(entry.id, entry.snapshot);
    item["reasons"] = entry.reasons;
    list.push_back(std::move(item));
  }
  return list;
}

nlohmann::json GroupKeyJson(const ops::GroupKey& key, const ops::GroupBy& by) {
  nlohmann::json out = nlohmann::json::object();
  if (by.host) out["host"] = key.host;
  if (by.paths) out["paths"] = key.paths;
  if (by.source) out["source"] = key.source;
  if (by.tags) out["tags"] = key.tags;
  return out;
}

// Removes the snapshot files. Another forget may have removed one already: that is the
// outcome wanted, not an error.
Status RemoveSnapshots(repo::Repository& repository, const std::vector<ops::RetentionGroup>& groups,
                       std::vector<std::string>* removed) {
  size_t total = 0;
  for (const ops::RetentionGroup& group : groups) total += group.remove.size();
  for (const ops::RetentionGroup& group : groups) {
    for (const ops::RetentionEntry& entry : group.remove) {
      Status status = repository.backend().Remove(
          storage::ObjectKey{storage::ObjectKind::kSnapshot, entry.id.Hex()});
      if (!status.ok() && status.code() != StatusCode::kNotFound) {
        return status.WithContext("removing snapshot " + entry.id.ShortHex())
            .WithHint(std::to_string(removed->size()) + " of " + std::to_string(total) +
                      " snapshots were removed; run forget again to remove the rest");
      }
      removed->push_back(entry.id.Hex());
    }
  }
  return Status::Ok();
}

Result<std::vector<ops::RetentionGroup>> Plan(CommandContext& context, const ForgetArgs& args) {
  repo::Repository& repository = *context.session.repository;
  if (!args.snapshot_ids.empty()) {
    ops::RetentionGroup named;
    std::set<Id> seen;
    for (const std::string& reference : args.snapshot_ids) {
      LIFEBOAT_ASSIGN_OR_RETURN(auto found, repository.FindSnapshot(reference));
      if (!seen.insert(found.first).second) continue;
      named.remove.push_back(ops::RetentionEntry{.id = found.first,
                                                 .snapshot = std::move(found.second),
                                                 .reasons = {"named on the command line"}});
    }
    std::vector<ops::RetentionGroup> groups;
    groups.push_back(std::move(named));
    return groups;
  }
  LIFEBOAT_ASSIGN_OR_RETURN(auto snapshots, repository.ListSnapshots());
  std::erase_if(snapshots, [&](const auto& entry) { return !Matches(args, entry.second); });
  std::vector<ops::RetentionGroup> groups = ops::ApplyRetention(
      std::move(snapshots), args.policy, args.grouping, repository.clock().NowNanos());
  if (args.policy.OnlyTags()) {
    // restic's guard: a policy of tags alone that matches nothing in a group would empty it.
    for (const ops::RetentionGroup& group : groups) {
      if (group.keep.empty()) {
        return InvalidArgumentError("refusing to remove every snapshot of " +
                                    group.key.Describe(args.grouping) +
                                    ": none has the tags --keep-tag keeps")
            .WithHint(
                "add a rule such as --keep-last 1, or narrow forget with --host/--tag/--path");
      }
    }
  }
  return groups;
}

Result<ExitCode> Run(CommandContext& context, const ForgetArgs& args) {
  LIFEBOAT_ASSIGN_OR_RETURN(std::vector<ops::RetentionGroup> groups, Plan(context, args));
  const bool by_id = !args.snapshot_ids.empty();
  size_t to_remove = 0;
  for (const ops::RetentionGroup& group : groups) to_remove += group.remove.size();

  if (!context.globals.json) {
    std::string text = by_id ? "" : "Applying policy: " + args.policy.Describe() + "\n";
    for (const ops::RetentionGroup& group : groups) {
      text += "\n";
      if (!by_id) {
        text += "snapshots of " + group.key.Describe(args.grouping) + ":\n";
        text += "keep " + CountOf(group.keep.size()) + ":\n";
        if (!group.keep.empty()) text += Table(group.keep, "Reasons");
      }
      if (!by_id) text += "\n";
      text += "remove " + CountOf(group.remove.size()) + ":\n";
      if (!group.remove.empty()) text += Table(group.remove, "Reason");
    }
    PrintText(text);
  }

  std::vector<std::string> removed;
  Status removing = Status::Ok();
  if (!args.dry_run) removing = RemoveSnapshots(*context.session.repository, groups, &removed);
  if (context.audit != nullptr) {
    context.audit->unchanged = args.dry_run;
    if (removed.size() == 1) context.audit->snapshot_id = removed.front();
  }

  nlohmann::json out = nlohmann::json::object();
  if (context.globals.json) {
    nlohmann::json out_groups = nlohmann::json::array();
    for (const ops::RetentionGroup& group : groups) {
      out_groups.push_back(
          {{"group", by_id ? nlohmann::json(nullptr) : GroupKeyJson(group.key, args.grouping)},
           {"keep", EntriesJson(group.keep)},
           {"remove", EntriesJson(group.remove)}});
    }
    out = {{"dry_run", args.dry_run}, {"groups", out_groups}, {"removed", removed}};
    if (!by_id) out["policy"] = args.policy.Describe();
  }
  if (!removing.ok()) {
    if (context.globals.json) PrintJson(out);
    return removing;
  }
  if (!context.globals.json) {
    PrintText(args.dry_run
                  ? "\nwould remove " + CountOf(to_remove) + " (dry run: nothing removed)\n"
                  : "\nremoved " + CountOf(removed.size()) + "\n");
  }
  if (args.prune) {
    if (!context.globals.json) PrintText("\n");
    Result<ExitCode> pruned = RunPrune(context, args.prune_args, args.dry_run, &out);
    if (!pruned.ok()) {
      if (context.globals.json) PrintJson(out);
      return pruned.status().WithContext("the snapshots were removed, but prune failed");
    }
  }
  if (context.globals.json) PrintJson(out);
  return ExitCode::kOk;
}

void AddCount(CLI::App* command, const std::string& names, std::string& value,
              const std::string& what) {
  command->add_option(names, value, "keep " + what + " (a count, or \"unlimited\")")
      ->type_name("N");
}

void AddWithin(CLI::App* command, const std::string& name, std::string& value,
               const std::string& what) {
  command->add_option(name, value, "keep " + what + " within this duration of the newest snapshot")
      ->type_name("DURATION");
}

}  // namespace

void AddForgetCommand(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<ForgetArgs>();
  CLI::App* command = app.add_subcommand(
      "forget", "Remove snapshots: those named, or those a keep policy does not keep");
  AddCount(command, "-l,--keep-last", args->keep_last, "the newest N snapshots");
  AddCount(command, "-H,--keep-hourly", args->keep_hourly, "the newest snapshot of N hours");
  AddCount(command, "-d,--keep-daily", args->keep_daily, "the newest snapshot of N days");
  AddCount(command, "-w,--keep-weekly", args->keep_weekly, "the newest snapshot of N ISO weeks");
  AddCount(command, "-m,--keep-monthly", args->keep_monthly, "the newest snapshot of N months");
  AddCount(command, "-y,--keep-yearly", args->keep_yearly, "the newest snapshot of N years");
  command
      ->add_option("--keep-within", args->keep_within,
                   "keep every snapshot within this duration of the newest one (e.g. 90d, 2y5m, "
                   "36h)")
      ->type_name("DURATION");
  AddWithin(command, "--keep-within-hourly", args->keep_within_hourly, "hourly snapshots");
  AddWithin(command, "--keep-within-daily", args->keep_within_daily, "daily snapshots");
  AddWithin(command, "--keep-within-weekly", args->keep_within_weekly, "weekly snapshots");
  AddWithin(command, "--keep-within-monthly", args->keep_within_monthly, "monthly snapshots");
  AddWithin(command, "--keep-within-yearly", args->keep_within_yearly, "yearly snapshots");
  command
      ->add_option("--keep-tag", args->keep_tags,
                   "keep snapshots with all these tags (repeatable; '' keeps untagged ones)")
      ->type_name("TAG[,TAG]")
      ->allow_extra_args(false);
  command
      ->add_option("--group-by", args->group_by,
                   "apply the policy to each group of snapshots sharing these (host, paths, "
                   "source, tags; '' for one group)")
      ->type_name("FIELDS")
      ->default_str("host,paths,source")
      ->each([args](const std::string&) { args->group_by_given = true; });
  AddSnapshotFilterOptions(command, &args->hosts, &args->tags, &args->paths);
  command
      ->add_option("--time-zone", args->time_zone,
                   "count hours, days, weeks, ... in this zone (default: TZ, else the system's)")
      ->type_name("ZONE");
  command->add_flag("-n,--dry-run", args->dry_run, "only show what would be removed");
  command->add_flag("--prune", args->prune,
                    "then prune: mark the data no snapshot uses, delete what earlier prunes "
                    "marked (see `lifeboat prune`)");
  AddPruneOptions(command, args->prune_args);
  command->add_option("snapshot", args->snapshot_ids, "snapshots to forget (ids or prefixes)")
      ->type_name("SNAPSHOT-ID");
  table.Add(command,
            Command{.access = RepositoryAccess::kLocked,
                    .validate = [args](const GlobalOptions&) { return Validate(*args); },
                    .run = [args](CommandContext& context) { return Run(context, *args); }});
}

}  // namespace lifeboat::cli
