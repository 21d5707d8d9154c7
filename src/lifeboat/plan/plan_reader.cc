#include "lifeboat/plan/plan_reader.h"

#include <algorithm>
#include <charconv>

namespace lifeboat::plan::detail {

namespace {

// Levenshtein distance, for "did you mean".
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

// The closest candidate when one is close (a third of the word's letters differ at most), else "".
std::string SuggestedName(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& candidate : candidates) {
    const size_t distance = EditDistance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

// "did you mean "x"?" when one candidate is close, else "".
std::string Suggest(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string best = SuggestedName(word, candidates);
  return best.empty() ? "" : "did you mean \"" + best + "\"?";
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

std::string TypeName(const Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "a value";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

// The keys of a YAML map, checked against the keys allowed there.

SecretSource Loader::Secret(const Node& node, const std::string& what, bool literal) {
  SecretSource source;
  const std::string forms = literal ? "a value, {env: VAR}, {file: PATH} or {command: \"...\"}"
                                    : "{env: VAR}, {file: PATH} or {command: \"...\"}";
  if (node.IsScalar()) {
    if (!literal) {
      Error(node, what + " must not be written into the plan",
            "give " + forms + "; an inline secret needs {value: ..., insecure_inline: true}");
      return source;
    }
    if (std::optional<std::string> value = String(node, what)) {
      source = {SecretSource::Kind::kLiteral, *value};
    }
    return source;
  }
  static const std::vector<std::string> kKeys = {"env", "file", "command", "value",
                                                 "insecure_inline"};
  MapView map = Map(node, what, &kKeys);
  if (!map.ok()) return source;
  int given = 0;
  for (const auto& [key, kind] :
       {std::pair{"env", SecretSource::Kind::kEnv}, std::pair{"file", SecretSource::Kind::kFile},
        std::pair{"command", SecretSource::Kind::kCommand},
        std::pair{"value", SecretSource::Kind::kInline}}) {
    const Node* value = map.Get(key);
    if (value == nullptr) continue;
    ++given;
    if (std::optional<std::string> text = String(*value, what + " " + key)) {
      source = {kind, *text};
    }
  }
  if (given != 1) {
    Error(node, what + " must give exactly one of env, file, command or value", "give " + forms);
    return SecretSource{};
  }
  bool acknowledged = false;
  if (const Node* flag = map.Get("insecure_inline")) {
    acknowledged = Bool(*flag, what + " insecure_inline").value_or(false);
    if (source.kind != SecretSource::Kind::kInline) {
      Error(*map.KeyNode("insecure_inline"), "insecure_inline applies only to value", "remove it");
    }
  }
  if (source.kind == SecretSource::Kind::kInline && !acknowledged) {
    Error(*map.Get("value"), what + " is written into the plan without insecure_inline: true",
          "anyone who can read the plan can read the secret; prefer {env: VAR}, {file: PATH} or "
          "{command: \"...\"}, or add insecure_inline: true");
    return SecretSource{};
  }
  return source;
}

std::optional<Schedule> Loader::ScheduleOf(const MapView& map, const std::string& what,
                                           const Node& owner, bool required) {
  const Node* cron = map.Get("schedule");
  const Node* zone_node = map.Get("timezone");
  if (cron == nullptr) {
    if (required && !map.Misspelled("schedule")) {
      Error(owner, what + " has no schedule",
            "add schedule: \"0 2 * * *\" (minute hour day-of-month month day-of-week)");
    } else if (zone_node != nullptr) {
      Error(*map.KeyNode("timezone"), what + " has a timezone but no schedule");
    }
    return std::nullopt;
  }
  std::optional<std::string> text = String(*cron, what + " schedule");
  TimeZone zone;
  bool zone_ok = true;
  if (zone_node != nullptr) {
    zone_ok = false;
    if (std::optional<std::string> name = String(*zone_node, what + " timezone")) {
      Result<TimeZone> loaded = TimeZone::Load(*name);
      if (loaded.ok()) {
        zone = *loaded;
        zone_ok = true;
      } else {
        Error(*zone_node, what + ": " + loaded.status().message(), loaded.status().hint());
      }
    }
  }
  if (!text) return std::nullopt;
  Result<CronSchedule> parsed = CronSchedule::Parse(*text);
  if (!parsed.ok()) {
    Error(*cron, what + ": " + parsed.status().message(), parsed.status().hint());
    return std::nullopt;
  }
  if (!zone_ok) return std::nullopt;
  return Schedule{*parsed, zone};
}

std::optional<ops::RetentionPolicy> Loader::Retention(const Node& node, const std::string& what) {
  static const std::vector<std::string> kCounts = {"keep_last",   "keep_hourly",  "keep_daily",
                                                   "keep_weekly", "keep_monthly", "keep_yearly"};
  static const std::vector<std::string> kWithin = {"keep_within",         "keep_within_hourly",
                                                   "keep_within_daily",   "keep_within_weekly",
                                                   "keep_within_monthly", "keep_within_yearly"};
  static const std::vector<std::string> kKeys = [] {
    std::vector<std::string> keys = kCounts;
    keys.insert(keys.end(), kWithin.begin(), kWithin.end());
    return keys;
  }();
  const size_t errors_before = errors_.size();
  MapView map = Map(node, what, &kKeys);
  if (!map.ok()) return std::nullopt;
  ops::RetentionPolicy policy;
  int* counts[] = {&policy.last,   &policy.hourly,  &policy.daily,
                   &policy.weekly, &policy.monthly, &policy.yearly};
  ops::KeepDuration* withins[] = {&policy.within,         &policy.within_hourly,
                                  &policy.within_daily,   &policy.within_weekly,
                                  &policy.within_monthly, &policy.within_yearly};
  bool ok = true;
  for (size_t index = 0; index < kCounts.size(); ++index) {
    const Node* value = map.Get(kCounts[index]);
    if (value == nullptr) continue;
    if (value->IsScalar() && value->Scalar() == "unlimited") {
      *counts[index] = ops::kUnlimited;
      continue;
    }
    std::optional<int64_t> count = Integer(*value, what + " " + kCounts[index], 0, 1'000'000);
    if (count) {
      *counts[index] = static_cast<int>(*count);
    } else {
      ok = false;
    }
  }
  for (size_t index = 0; index < kWithin.size(); ++index) {
    const Node* value = map.Get(kWithin[index]);
    if (value == nullptr) continue;
    std::optional<std::string> text = String(*value, what + " " + kWithin[index]);
    if (!text) {
      ok = false;
      continue;
    }
    Result<ops::KeepDuration> duration = ops::ParseKeepDuration(*text);
    if (!duration.ok()) {
      Error(*value, what + " " + kWithin[index] + ": " + duration.status().message(),
            "retention durations count calendar time like `forget --keep-within`: y (years), m "
            "(months), d (days), h (hours); e.g. 90d, 1y6m");
      ok = false;
      continue;
    }
    *withins[index] = *duration;
  }
  if (!ok || errors_.size() != errors_before) return std::nullopt;
  if (policy.Empty()) {
    Error(node, what + " keeps nothing",
          "give at least one keep_* rule, e.g. keep_daily: 30; leave retention out to keep "
          "every snapshot");
    return std::nullopt;
  }
  return policy;
}

std::vector<Hook> Loader::Hooks(const Node& node, const std::string& what) {
  std::vector<Hook> hooks;
  if (!node.IsSequence()) {
    Error(node, what + " must be a list of hooks, not " + TypeName(node),
          "e.g. - {command: \"systemctl stop app\", timeout: 2m}");
    return hooks;
  }
  static const std::vector<std::string> kKeys = {"command", "timeout"};
  for (const Node& item : node) {
    Hook hook;
    if (item.IsScalar()) {
      if (std::optional<std::string> command = String(item, "a hook of " + what)) {
        hook.command = *command;
        hooks.push_back(hook);
      }
      continue;
    }
    MapView map = Map(item, "a hook of " + what, &kKeys);
    if (!map.ok()) continue;
    std::optional<std::string> command = RequiredString(map, "command", "a hook of " + what, item);
    if (const Node* timeout = map.Get("timeout")) {
      std::optional<int64_t> seconds = Duration(*timeout, "hook timeout");
      if (!seconds) continue;
      if (*seconds == 0) {
        Error(*timeout, "hook timeout must be longer than 0s");
        continue;
      }
      hook.timeout_seconds = *seconds;
    }
    if (!command) continue;
    hook.command = *command;
    hooks.push_back(hook);
  }
  return hooks;
}

std::optional<RestoreTarget> Loader::Target(const Node& node, const std::string& what) {
  static const std::vector<std::string> kKeys = {"directory", "postgres", "bucket"};
  MapView map = Map(node, what, &kKeys);
  if (!map.ok()) return std::nullopt;
  if (map.entries().size() != 1) {
    Error(node, what + " must give exactly one of directory, postgres or bucket");
    return std::nullopt;
  }
  RestoreTarget target;
  const auto& [key, entry] = map.entries().front();
  if (key == "directory") {
    target.kind = RestoreTarget::Kind::kDirectory;
    std::optional<std::string> path = String(entry.second, what + " directory");
    if (!path) return std::nullopt;
    target.directory = *path;
  } else if (key == "postgres") {
    target.kind = RestoreTarget::Kind::kPostgres;
    target.postgres = Secret(entry.second, what + " postgres", true);
    if (!target.postgres.given()) return std::nullopt;
  } else {
    target.kind = RestoreTarget::Kind::kBucket;
    std::optional<std::string> url = String(entry.second, what + " bucket");
    if (!url) return std::nullopt;
    target.bucket = *url;
  }
  return target;
}

}  // namespace lifeboat::plan::detail
