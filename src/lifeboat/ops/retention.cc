#include "lifeboat/ops/retention.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include "lifeboat/util/local_time.h"

namespace lifeboat::ops {

namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
// Big enough for any real policy, small enough that no arithmetic on it overflows.
constexpr int kMaxDurationPart = 100'000;

enum class Bucket { kEach, kHour, kDay, kWeek, kMonth, kYear };

int64_t FloorSeconds(int64_t nanos) {
  return nanos >= 0 ? nanos / kNanosPerSecond : -((-nanos + kNanosPerSecond - 1) / kNanosPerSecond);
}

// The bucket a snapshot falls in; `position` makes every snapshot its own bucket for `last`.
int64_t BucketOf(Bucket bucket, int64_t time_ns, size_t position) {
  if (bucket == Bucket::kEach) return static_cast<int64_t>(position);
  const CivilTime t = ToLocalCivil(FloorSeconds(time_ns));
  const int64_t year = t.year;
  switch (bucket) {
    case Bucket::kHour:
      return ((year * 100 + t.month) * 100 + t.day) * 100 + t.hour;
    case Bucket::kDay:
      return (year * 100 + t.month) * 100 + t.day;
    case Bucket::kWeek: {
      const IsoWeek week = IsoWeekOf(t.year, t.month, t.day);
      return int64_t{week.year} * 100 + week.week;
    }
    case Bucket::kMonth:
      return year * 100 + t.month;
    case Bucket::kYear:
    case Bucket::kEach:
      break;
  }
  return year;
}

// latest - duration: the calendar part on the local calendar (so "1m" before March 31 is
// "February 31", which carries over to March 2 or 3, as restic's Go arithmetic does), then the
// hours as elapsed time.
int64_t CutoffNs(int64_t latest_ns, const KeepDuration& duration) {
  const int64_t seconds = FloorSeconds(latest_ns);
  int64_t shifted = seconds;
  // Without a calendar part the round trip through local time is skipped: in an hour that
  // a DST change repeats it could land on the other instance of the same wall-clock time.
  if (duration.years != 0 || duration.months != 0 || duration.days != 0) {
    CivilTime civil = ToLocalCivil(seconds);
    civil.year -= duration.years;
    civil.month -= duration.months;
    civil.day -= duration.days;
    shifted = FromLocalCivil(civil);
  }
  return shifted * kNanosPerSecond + (latest_ns - seconds * kNanosPerSecond) -
         int64_t{duration.hours} * 3600 * kNanosPerSecond;
}

bool HasAllTags(const repo::Snapshot& snapshot, const std::vector<std::string>& tags) {
  if (tags.empty()) return snapshot.tags.empty();
  return std::all_of(tags.begin(), tags.end(), [&](const std::string& tag) {
    return std::find(snapshot.tags.begin(), snapshot.tags.end(), tag) != snapshot.tags.end();
  });
}

std::string JoinTags(const std::vector<std::string>& tags) {
  std::string text;
  for (const std::string& tag : tags) text += (text.empty() ? "" : ",") + tag;
  return text;
}

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += separator;
    text += items[i];
  }
  return text;
}

struct CountedRule {
  int count;
  Bucket bucket;
  const char* name;
  std::optional<int64_t> last_bucket = std::nullopt;
  int kept = 0;
};

struct WithinRule {
  const KeepDuration* duration;
  Bucket bucket;
  const char* name;
  std::optional<int64_t> last_bucket = std::nullopt;
  int64_t cutoff_ns = 0;
};

// `group` is sorted newest first; returns the reasons for each snapshot, empty for removal.
std::vector<std::vector<std::string>> Decide(
    const std::vector<std::pair<Id, repo::Snapshot>>& group, const RetentionPolicy& policy,
    int64_t now_ns) {
  // The newest snapshot that is not in the future anchors the --keep-within rules. Without
  // one, every snapshot counts as within (nothing precedes "the beginning of time").
  std::optional<int64_t> latest_ns;
  for (const auto& [id, snapshot] : group) {
    if (snapshot.time_ns < now_ns && (!latest_ns || snapshot.time_ns > *latest_ns)) {
      latest_ns = snapshot.time_ns;
    }
  }
  const auto cutoff = [&](const KeepDuration& duration) {
    return latest_ns ? CutoffNs(*latest_ns, duration) : INT64_MIN;
  };

  std::array<CountedRule, 6> counted = {{{policy.last, Bucket::kEach, "last"},
                                         {policy.hourly, Bucket::kHour, "hourly"},
                                         {policy.daily, Bucket::kDay, "daily"},
                                         {policy.weekly, Bucket::kWeek, "weekly"},
                                         {policy.monthly, Bucket::kMonth, "monthly"},
                                         {policy.yearly, Bucket::kYear, "yearly"}}};
  std::array<WithinRule, 5> within = {{{&policy.within_hourly, Bucket::kHour, "hourly"},
                                       {&policy.within_daily, Bucket::kDay, "daily"},
                                       {&policy.within_weekly, Bucket::kWeek, "weekly"},
                                       {&policy.within_monthly, Bucket::kMonth, "monthly"},
                                       {&policy.within_yearly, Bucket::kYear, "yearly"}}};
  for (WithinRule& rule : within) {
    if (!rule.duration->zero()) rule.cutoff_ns = cutoff(*rule.duration);
  }
  const int64_t within_cutoff_ns = policy.within.zero() ? 0 : cutoff(policy.within);

  std::vector<std::vector<std::string>> reasons(group.size());
  for (size_t position = 0; position < group.size(); ++position) {
    const repo::Snapshot& snapshot = group[position].second;
    const bool oldest = position + 1 == group.size();
    std::vector<std::string>& why = reasons[position];

    for (const std::vector<std::string>& tags : policy.keep_tags) {
      if (HasAllTags(snapshot, tags))
        why.push_back(tags.empty() ? "untagged" : "tag " + JoinTags(tags));
    }
    if (!policy.within.zero() && snapshot.time_ns > within_cutoff_ns) {
      why.push_back("within " + policy.within.ToString());
    }
    for (CountedRule& rule : counted) {
      if (rule.count == 0) continue;
      const int64_t bucket = BucketOf(rule.bucket, snapshot.time_ns, position);
      const bool new_bucket = bucket != rule.last_bucket;
      // A rule with counts left at the oldest snapshot keeps it even when its bucket is
      // already taken: the history kept reaches as far back as the policy allows.
      if (!new_bucket && !oldest) continue;
      rule.last_bucket = bucket;
      if (rule.count > 0) --rule.count;
      ++rule.kept;
      why.push_back(new_bucket ? std::string(rule.name) + " " + std::to_string(rule.kept)
                               : std::string("oldest ") + rule.name);
    }
    for (WithinRule& rule : within) {
      if (rule.duration->zero() || snapshot.time_ns <= rule.cutoff_ns) continue;
      const int64_t bucket = BucketOf(rule.bucket, snapshot.time_ns, position);
      const bool new_bucket = bucket != rule.last_bucket;
      if (!new_bucket && !oldest) continue;
      rule.last_bucket = bucket;
      why.push_back((new_bucket ? "" : "oldest ") + std::string(rule.name) + " within " +
                    rule.duration->ToString());
    }
  }
  return reasons;
}

GroupKey KeyOf(const repo::Snapshot& snapshot, const GroupBy& group_by) {
  GroupKey key;
  if (group_by.host) key.host = snapshot.hostname;
  if (group_by.paths) {
    key.paths = snapshot.paths;
    std::sort(key.paths.begin(), key.paths.end());
  }
  if (group_by.source) key.source = snapshot.source;
  if (group_by.tags) {
    key.tags = snapshot.tags;
    std::sort(key.tags.begin(), key.tags.end());
  }
  return key;
}

}  // namespace

std::string KeepDuration::ToString() const {
  std::string text;
  if (years != 0) text += std::to_string(years) + "y";
  if (months != 0) text += std::to_string(months) + "m";
  if (days != 0) text += std::to_string(days) + "d";
  if (hours != 0) text += std::to_string(hours) + "h";
  return text.empty() ? "0h" : text;
}

Result<KeepDuration> ParseKeepDuration(std::string_view text) {
  const std::string quoted = "invalid duration \"" + std::string(text) + "\": ";
  const auto bad_form = [&] {
    return InvalidArgumentError(quoted + "expected numbers with units y, m, d or h, e.g. 2y5m7d3h");
  };
  if (text.empty()) return bad_form();
  KeepDuration duration;
  std::string seen;
  size_t at = 0;
  while (at < text.size()) {
    const size_t digits_begin = at;
    int64_t number = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      number = number * 10 + (text[at] - '0');
      if (number > kMaxDurationPart) {
        return InvalidArgumentError(quoted + "a number is larger than " +
                                    std::to_string(kMaxDurationPart));
      }
      ++at;
    }
    if (at == digits_begin || at == text.size()) return bad_form();
    const char unit = text[at++];
    int* field = nullptr;
    switch (unit) {
      case 'y':
        field = &duration.years;
        break;
      case 'm':
        field = &duration.months;
        break;
      case 'd':
        field = &duration.days;
        break;
      case 'h':
        field = &duration.hours;
        break;
      default:
        return InvalidArgumentError(quoted + "unknown unit \"" + std::string(1, unit) +
                                    "\"; use y, m, d or h (a week is 7d)");
    }
    if (seen.find(unit) != std::string::npos) {
      return InvalidArgumentError(quoted + "the unit \"" + std::string(1, unit) +
                                  "\" appears twice");
    }
    seen += unit;
    *field = static_cast<int>(number);
  }
  if (duration.zero()) return InvalidArgumentError(quoted + "it must be longer than zero");
  return duration;
}

bool RetentionPolicy::Empty() const {
  return last == 0 && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0 && yearly == 0 &&
         within.zero() && within_hourly.zero() && within_daily.zero() && within_weekly.zero() &&
         within_monthly.zero() && within_yearly.zero() && keep_tags.empty();
}

bool RetentionPolicy::OnlyTags() const {
  RetentionPolicy without_tags = *this;
  without_tags.keep_tags.clear();
  return !keep_tags.empty() && without_tags.Empty();
}

std::string RetentionPolicy::Describe() const {
  std::vector<std::string> parts;
  if (last == kUnlimited) parts.push_back("all snapshots");
  if (last == 1) parts.push_back("the last snapshot");
  if (last > 1) parts.push_back("the last " + std::to_string(last) + " snapshots");
  std::vector<std::string> counts;
  const std::array<std::pair<int, const char*>, 5> rules = {{{hourly, "hourly"},
                                                             {daily, "daily"},
                                                             {weekly, "weekly"},
                                                             {monthly, "monthly"},
                                                             {yearly, "yearly"}}};
  for (const auto& [count, name] : rules) {
    if (count == kUnlimited) counts.push_back(std::string("all ") + name);
    if (count > 0) counts.push_back(std::to_string(count) + " " + name);
  }
  if (!counts.empty()) parts.push_back(Join(counts, ", ") + " snapshots");
  const std::array<std::pair<const KeepDuration*, const char*>, 5> within_rules = {
      {{&within_hourly, "hourly"},
       {&within_daily, "daily"},
       {&within_weekly, "weekly"},
       {&within_monthly, "monthly"},
       {&within_yearly, "yearly"}}};
  for (const auto& [duration, name] : within_rules) {
    if (!duration->zero()) {
      parts.push_back(std::string(name) + " snapshots within " + duration->ToString());
    }
  }
  for (const std::vector<std::string>& tags : keep_tags) {
    parts.push_back(tags.empty() ? "untagged snapshots" : "snapshots tagged " + JoinTags(tags));
  }
  if (!within.zero()) {
    parts.push_back("all snapshots within " + within.ToString() + " of the newest");
  }
  if (parts.empty()) return "keep nothing";
  return "keep " + Join(parts, ", ");
}

Result<GroupBy> ParseGroupBy(std::string_view text) {
  GroupBy group_by{.host = false, .paths = false, .source = false, .tags = false};
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view field = text.substr(start, comma - start);
    if (field == "host") {
      group_by.host = true;
    } else if (field == "paths") {
      group_by.paths = true;
    } else if (field == "source") {
      group_by.source = true;
    } else if (field == "tags") {
      group_by.tags = true;
    } else {
      return InvalidArgumentError("invalid --group-by \"" + std::string(text) +
                                  "\": unknown field \"" + std::string(field) + "\"")
          .WithHint(
              "group by a comma-separated list of host, paths, source and tags, or \"\" for "
              "one group");
    }
    start = comma + 1;
  }
  return group_by;
}

std::string GroupKey::Describe(const GroupBy& group_by) const {
  std::vector<std::string> parts;
  if (group_by.host) parts.push_back("host " + host);
  if (group_by.paths) parts.push_back("paths " + Join(paths, " "));
  if (group_by.source) parts.push_back("source " + source);
  if (group_by.tags) parts.push_back(tags.empty() ? "no tags" : "tags " + JoinTags(tags));
  return parts.empty() ? "all snapshots" : Join(parts, ", ");
}

std::vector<RetentionGroup> ApplyRetention(std::vector<std::pair<Id, repo::Snapshot>> snapshots,
                                           const RetentionPolicy& policy, const GroupBy& group_by,
                                           int64_t now_ns) {
  std::map<GroupKey, std::vector<std::pair<Id, repo::Snapshot>>> groups;
  for (auto& entry : snapshots) {
    GroupKey key = KeyOf(entry.second, group_by);
    groups[std::move(key)].push_back(std::move(entry));
  }
  std::vector<RetentionGroup> result;
  for (auto& [key, group] : groups) {
    std::sort(group.begin(), group.end(), [](const auto& a, const auto& b) {
      if (a.second.time_ns != b.second.time_ns) return a.second.time_ns > b.second.time_ns;
      return b.first < a.first;
    });
    std::vector<std::vector<std::string>> reasons = Decide(group, policy, now_ns);
    RetentionGroup decided{.key = key, .keep = {}, .remove = {}};
    // Oldest first for the caller, as `snapshots` lists them.
    for (size_t i = group.size(); i-- > 0;) {
      const bool keep = !reasons[i].empty();
      if (!keep) reasons[i].push_back("no rule kept it");
      RetentionEntry entry{std::move(group[i].first), std::move(group[i].second),
                           std::move(reasons[i])};
      (keep ? decided.keep : decided.remove).push_back(std::move(entry));
    }
    result.push_back(std::move(decided));
  }
  return result;
}

}  // namespace lifeboat::ops
