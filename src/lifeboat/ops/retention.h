// Retention: which snapshots a keep policy keeps and which it removes, and why — the logic of
// `lifeboat forget`, as a pure function over a list of snapshots (no storage, no clock).
//
// Semantics follow restic's forget (its "Removing snapshots according to a policy" page):
//  - Snapshots are split into groups (by host, paths and source by default; see GroupBy) and
//    the policy is applied to each group on its own.
//  - Within a group, snapshots are visited newest first. Each counted rule (last, hourly,
//    daily, weekly, monthly, yearly) keeps a snapshot when the snapshot's bucket (its local
//    hour, day, ISO week, month or year; every snapshot is its own bucket for `last`) differs
//    from the bucket of the last snapshot that rule kept, and then uses up one of its N; so each
//    rule keeps the newest snapshot of each of its N newest buckets that hold snapshots. Rules
//    are independent: a snapshot kept by several rules counts once, but every one of those
//    rules spends a count on it. A count of kUnlimited (-1) never runs out.
//  - When a counted rule still has counts left at the group's oldest snapshot, the oldest is
//    kept too ("oldest daily"), so a short history is not cut shorter than the policy allows.
//  - --keep-within D keeps every snapshot newer than (latest - D), where latest is the newest
//    snapshot not in the future and D is subtracted on the calendar (years, months, days), then
//    in hours; --keep-within-daily D etc. keep the daily (...) snapshots newer than that.
//  - --keep-tag keeps every snapshot carrying all tags of one of the given sets.
//  - A policy with no rule would remove everything; callers refuse it (RetentionPolicy::Empty).
//
// Buckets use the local civil time of the process's zone (util/local_time.h): a snapshot taken
// at 23:30 UTC falls on the next day in Berlin. Thread-compatible; no shared state.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lifeboat/repo/snapshot.h"
#include "lifeboat/util/id.h"
#include "lifeboat/util/result.h"

namespace lifeboat::ops {

inline constexpr int kUnlimited = -1;

// A calendar duration as --keep-within takes it: numbers with the units y (years), m (months),
// d (days) and h (hours), each unit at most once ("2y5m7d3h", "90d", "36h"); longer than zero.
struct KeepDuration {
  int years = 0;
  int months = 0;
  int days = 0;
  int hours = 0;

  bool zero() const { return years == 0 && months == 0 && days == 0 && hours == 0; }
  // The canonical form, zero parts left out: "2y5m", "90d".
  std::string ToString() const;
};

// kInvalidArgument naming the text and what is wrong with it.
Result<KeepDuration> ParseKeepDuration(std::string_view text);

struct RetentionPolicy {
  // Counts: 0 = the rule is off, kUnlimited = no limit.
  int last = 0;
  int hourly = 0;
  int daily = 0;
  int weekly = 0;
  int monthly = 0;
  int yearly = 0;
  KeepDuration within;
  KeepDuration within_hourly;
  KeepDuration within_daily;
  KeepDuration within_weekly;
  KeepDuration within_monthly;
  KeepDuration within_yearly;
  // A snapshot carrying every tag of one set is kept. An empty set matches untagged snapshots.
  std::vector<std::vector<std::string>> keep_tags;

  // No rule at all: applying it would remove every snapshot.
  bool Empty() const;
  // Only --keep-tag rules: a group with no tagged snapshot would lose everything.
  bool OnlyTags() const;
  // "keep 30 daily, 12 weekly, 12 monthly, 7 yearly snapshots and all within 90d".
  std::string Describe() const;
};

// What snapshots are grouped by; every field false puts all snapshots in one group.
struct GroupBy {
  bool host = true;
  bool paths = true;
  bool source = true;
  bool tags = false;
};

// "host,paths,source" in any order, a subset of host, paths, source and tags; "" is one group.
// kInvalidArgument for anything else.
Result<GroupBy> ParseGroupBy(std::string_view text);

// The values a group shares; fields not grouped by are empty. Paths and tags are sorted.
struct GroupKey {
  std::string host;
  std::vector<std::string> paths;
  std::string source;
  std::vector<std::string> tags;

  auto operator<=>(const GroupKey&) const = default;
  // "host db1, paths /srv/a, source files" naming only the fields grouped by; "all snapshots"
  // when grouped by nothing.
  std::string Describe(const GroupBy& group_by) const;
};

struct RetentionEntry {
  Id id;
  repo::Snapshot snapshot;
  // Kept: every rule that kept it, in rule order: "tag release", "within 90d", "last 1",
  // "hourly 2", "daily 3", "weekly 1", "monthly 4", "yearly 1", "oldest daily",
  // "daily within 30d". Removed: one reason, "no rule kept it".
  std::vector<std::string> reasons;
};

struct RetentionGroup {
  GroupKey key;
  std::vector<RetentionEntry> keep;    // oldest first, as `snapshots` lists them
  std::vector<RetentionEntry> remove;  // oldest first
};

// Applies `policy` to each group of `snapshots` (in any order). Snapshots later than `now_ns`
// never serve as the latest for the --keep-within rules (restic's guard against clocks set
// wrong). Groups come sorted by key.
std::vector<RetentionGroup> ApplyRetention(std::vector<std::pair<Id, repo::Snapshot>> snapshots,
                                           const RetentionPolicy& policy, const GroupBy& group_by,
                                           int64_t now_ns);

}  // namespace lifeboat::ops
