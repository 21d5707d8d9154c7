#include "lifeboat/plan/plan_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

namespace lifeboat::plan {

namespace {

using YAML::Node;

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
class MapView {
 public:
  const Node* Get(std::string_view key) const {
    for (const auto& [name, entry] : entries_) {
      if (name == key) return &entry.second;
    }
    return nullptr;
  }
  const Node* KeyNode(std::string_view key) const {
    for (const auto& [name, entry] : entries_) {
      if (name == key) return &entry.first;
    }
    return nullptr;
  }
  bool Has(std::string_view key) const { return Get(key) != nullptr; }
  // Whether an unknown key of the map was reported as a misspelling of `key`: its absence is
  // then no news to the user.
  bool Misspelled(std::string_view key) const {
    return std::find(misspelled_.begin(), misspelled_.end(), key) != misspelled_.end();
  }
  bool ok() const { return ok_; }
  const Node& node() const { return node_; }
  // All entries in file order, for maps keyed by user names.
  const std::vector<std::pair<std::string, std::pair<Node, Node>>>& entries() const {
    return entries_;
  }

 private:
  friend class Loader;
  Node node_;
  bool ok_ = false;
  std::vector<std::pair<std::string, std::pair<Node, Node>>> entries_;
  std::vector<std::string> misspelled_;
};

constexpr const char* kGeneralHint =
    "docs/PLAN.md lists every key of a plan with its type and an example";

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  PlanLoad Run(std::string_view text);

 private:
  // ---- diagnostics
  Position At(const Node& node) const {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null() || mark.line < 0) return Position{};
    return Position{mark.line + 1, mark.column + 1};
  }
  // Every error gets a hint; the specific ones are given where the error is found.
  void Error(const Node& at, std::string message, std::string hint = {}) {
    if (hint.empty()) hint = kGeneralHint;
    errors_.push_back(PlanError{file_, At(at), std::move(message), std::move(hint)});
  }
  void ErrorAt(Position at, std::string message, std::string hint = {}) {
    errors_.push_back(PlanError{file_, at, std::move(message), std::move(hint)});
  }

  // ---- structure
  // `keys` lists the allowed keys; nullptr allows any (maps keyed by user names).
  MapView Map(const Node& node, const std::string& what, const std::vector<std::string>* keys) {
    MapView view;
    view.node_ = node;
    if (!node.IsMap()) {
      Error(node, what + " must be a map, not " + TypeName(node),
            keys != nullptr ? "its keys: " + JoinNames(*keys) : "");
      return view;
    }
    view.ok_ = true;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const Node key = it->first;
      if (!key.IsScalar()) {
        Error(key, "a key of " + what + " must be a name, not " + TypeName(key));
        continue;
      }
      const std::string name = key.Scalar();
      if (view.Get(name) != nullptr) {
        Error(key, "duplicate key \"" + name + "\" in " + what,
              "the first is at line " + std::to_string(At(*view.KeyNode(name)).line) +
                  "; a key may appear once");
        continue;
      }
      if (keys != nullptr && std::find(keys->begin(), keys->end(), name) == keys->end()) {
        const std::string suggestion = Suggest(name, *keys);
        if (!suggestion.empty()) view.misspelled_.push_back(SuggestedName(name, *keys));
        Error(
            key, "unknown key \"" + name + "\" in " + what,
            suggestion.empty() ? "the keys of " + what + " are: " + JoinNames(*keys) : suggestion);
        continue;
      }
      view.entries_.push_back({name, {key, it->second}});
    }
    return view;
  }

  std::optional<std::string> String(const Node& node, const std::string& what) {
    if (!node.IsScalar()) {
      Error(node, what + " must be a value, not " + TypeName(node));
      return std::nullopt;
    }
    if (node.Scalar().empty()) {
      Error(node, what + " is empty");
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<std::string> RequiredString(const MapView& map, std::string_view key,
                                            const std::string& what, const Node& owner) {
    const Node* node = map.Get(key);
    if (node == nullptr) {
      if (!map.Misspelled(key)) {
        Error(owner, what + " has no " + std::string(key), "add " + std::string(key) + ": ...");
      }
      return std::nullopt;
    }
    return String(*node, what + " " + std::string(key));
  }

  std::vector<std::string> StringList(const Node& node, const std::string& what) {
    std::vector<std::string> values;
    if (!node.IsSequence()) {
      Error(node, what + " must be a list, not " + TypeName(node),
            "write [a, b] or one \"- item\" per line");
      return values;
    }
    for (const Node& item : node) {
      if (std::optional<std::string> value = String(item, "an item of " + what)) {
        values.push_back(*value);
      }
    }
    return values;
  }

  std::optional<int64_t> Integer(const Node& node, const std::string& what, int64_t min,
                                 int64_t max) {
    if (!node.IsScalar()) {
      Error(node, what + " must be a number, not " + TypeName(node));
      return std::nullopt;
    }
    const std::string& text = node.Scalar();
    int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
      Error(node, what + " must be a whole number, not \"" + text + "\"",
            "write digits only, e.g. " + std::to_string(std::max<int64_t>(min, 7)));
      return std::nullopt;
    }
    if (value < min || value > max) {
      Error(node, what + " must be from " + std::to_string(min) + " to " + std::to_string(max) +
                      ", not " + text);
      return std::nullopt;
    }
    return value;
  }

  std::optional<bool> Bool(const Node& node, const std::string& what) {
    if (node.IsScalar() && (node.Scalar() == "true" || node.Scalar() == "false")) {
      return node.Scalar() == "true";
    }
    Error(node, what + " must be true or false");
    return std::nullopt;
  }

  std::optional<int64_t> Duration(const Node& node, const std::string& what) {
    if (!node.IsScalar()) {
      Error(node, what + " must be a duration such as 30s, 15m, 4h or 2d, not " + TypeName(node));
      return std::nullopt;
    }
    Result<int64_t> seconds = ParseDuration(node.Scalar());
    if (!seconds.ok()) {
      Error(node, what + ": " + seconds.status().message(),
            seconds.status().hint().empty() ? "units: s, m, h, d, w; e.g. 30s, 15m, 4h, 2d, 1h30m"
                                            : seconds.status().hint());
      return std::nullopt;
    }
    return *seconds;
  }

  // One of a fixed set of words.
  std::optional<std::string> Choice(const Node& node, const std::string& what,
                                    const std::vector<std::string>& choices) {
    std::optional<std::string> value = String(node, what);
    if (!value) return std::nullopt;
    if (std::find(choices.begin(), choices.end(), *value) == choices.end()) {
      const std::string suggestion = Suggest(*value, choices);
      Error(node, what + " \"" + *value + "\" is not one of " + JoinNames(choices), suggestion);
      return std::nullopt;
    }
    return value;
  }

  // {env: VAR} | {file: PATH} | {command: CMD} | {value: SECRET, insecure_inline: true}, or
  // a plain value when `literal` allows one (connection strings, URLs).
  SecretSource Secret(const Node& node, const std::string& what, bool literal);

  std::optional<Schedule> ScheduleOf(const MapView& map, const std::string& what, const Node& owner,
                                     bool required);
  std::optional<ops::RetentionPolicy> Retention(const Node& node, const std::string& what);
  std::vector<Hook> Hooks(const Node& node, const std::string& what);
  std::optional<RestoreTarget> Target(const Node& node, const std::string& what);

  void Repositories(const Node& node);
  void Tiers(const Node& node);
  void Jobs(const Node& node);
  std::optional<Source> SourceOf(const MapView& job, const std::string& what, const Node& owner);
  void Prune(const Node& node);
  void Daemon(const Node& node);
  void Audit(const Node& node);
  void Alerts(const Node& node);
  void Drills(const Node& node);
  void RecoveryProfiles(const Node& node);
  void RunbookOf(const Node& node);

  // A reference to a job; reports and returns nullptr when there is none by that name.
  const Job* JobRef(const Node& node, const std::string& what);

  std::string file_;
  std::vector<PlanError> errors_;
  Plan plan_;
  std::vector<std::string> tier_names_;
  // Jobs left out for their own errors: a reference to one is not reported again.
  std::set<std::string> invalid_jobs_;
};

const std::vector<std::string> kTopKeys = {
    "version", "repositories",      "tiers",  "jobs", "prune", "daemon", "audit", "alerts",
    "drills",  "recovery_profiles", "runbook"};

PlanLoad Loader::Run(std::string_view text) {
  plan_.file = file_;
  Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    ErrorAt(
        error.mark.is_null() ? Position{} : Position{error.mark.line + 1, error.mark.column + 1},
        "invalid YAML: " + error.msg, "check the indentation and quoting near this place");
    return PlanLoad{std::nullopt, std::move(errors_)};
  }
  try {
    if (!root.IsMap()) {
      ErrorAt(Position{1, 1}, "a plan must be a map with version, repositories, tiers and jobs",
              "see docs/PLAN.md and examples/");
      return PlanLoad{std::nullopt, std::move(errors_)};
    }
    MapView top = Map(root, "the plan", &kTopKeys);
    if (const Node* version = top.Get("version")) {
      if (std::optional<int64_t> number = Integer(*version, "version", 1, 1000)) {
        if (*number != 1) {
          Error(*version, "unsupported plan version " + std::to_string(*number),
                "this lifeboat reads version 1");
        }
      }
    } else {
      ErrorAt(Position{1, 1}, "the plan has no version", "add \"version: 1\" at the top");
    }
    for (const char* required : {"repositories", "tiers", "jobs"}) {
      if (!top.Has(required)) {
        ErrorAt(Position{1, 1}, std::string("the plan has no ") + required,
                "a plan needs repositories, tiers and jobs; see docs/PLAN.md");
      }
    }
    // Sections are read in dependency order, whatever their order in the file.
    if (const Node* node = top.Get("repositories")) Repositories(*node);
    if (const Node* node = top.Get("tiers")) Tiers(*node);
    if (const Node* node = top.Get("jobs")) Jobs(*node);
    if (const Node* node = top.Get("prune")) Prune(*node);
    if (const Node* node = top.Get("daemon")) Daemon(*node);
    if (const Node* node = top.Get("audit")) Audit(*node);
    if (const Node* node = top.Get("alerts")) Alerts(*node);
    if (const Node* node = top.Get("drills")) Drills(*node);
    if (const Node* node = top.Get("recovery_profiles")) RecoveryProfiles(*node);
    if (const Node* node = top.Get("runbook")) RunbookOf(*node);
  } catch (const YAML::Exception& error) {
    ErrorAt(Position{error.mark.line + 1, error.mark.column + 1}, "invalid plan: " + error.msg);
  }
  if (!errors_.empty()) return PlanLoad{std::nullopt, std::move(errors_)};
  return PlanLoad{std::move(plan_), {}};
}

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

void Loader::Repositories(const Node& node) {
  MapView map = Map(node, "repositories", nullptr);
  if (!map.ok()) return;
  static const std::vector<std::string> kKeys = {"primary", "location", "options", "password"};
  static const std::vector<std::string> kOptions = {"s3.storage-class", "s3.bucket-lookup"};
  for (const auto& [name, entry] : map.entries()) {
    const std::string what = "repository \"" + name + "\"";
    MapView fields = Map(entry.second, what, &kKeys);
    if (!fields.ok()) continue;
    Repository repository;
    repository.name = name;
    repository.at = At(entry.first);
    if (const Node* primary = fields.Get("primary")) {
      repository.primary = Bool(*primary, what + " primary").value_or(false);
    }
    if (std::optional<std::string> location =
            RequiredString(fields, "location", what, entry.first)) {
      repository.location = *location;
    }
    if (const Node* options = fields.Get("options")) {
      MapView option_map = Map(*options, what + " options", &kOptions);
      for (const auto& [key, option] : option_map.entries()) {
        if (!repository.location.empty() && !repository.location.starts_with("s3:")) {
          Error(option.first, "option \"" + key + "\" of " + what + " needs an s3: location",
                "backend options apply to repositories on S3; remove options here");
          continue;
        }
        if (std::optional<std::string> value = String(option.second, what + " option " + key)) {
          repository.options[key] = *value;
        }
      }
    }
    if (const Node* password = fields.Get("password")) {
      repository.password = Secret(*password, what + " password", false);
    } else {
      Error(entry.first, what + " has no password",
            "add password: {env: VAR}, {file: PATH} or {command: \"...\"}");
    }
    plan_.repositories.push_back(std::move(repository));
  }
  if (plan_.repositories.size() == 1 && map.entries().size() == 1) {
    plan_.repositories.front().primary = true;  // the only repository is the primary
  }
  int primaries = 0;
  for (const Repository& repository : plan_.repositories) primaries += repository.primary ? 1 : 0;
  if (primaries == 0 && !plan_.repositories.empty()) {
    Error(node, "no repository is the primary",
          "mark the one every job backs up to with primary: true; the others are copies");
  } else if (primaries > 1) {
    Error(node, "more than one repository is marked primary: true",
          "jobs back up to one primary; the others are copies (copy_to)");
  }
  if (map.entries().empty()) Error(node, "repositories is empty", "declare a primary repository");
}

void Loader::Tiers(const Node& node) {
  MapView map = Map(node, "tiers", nullptr);
  if (!map.ok()) return;
  static const std::vector<std::string> kKeys = {"level", "rpo", "rto", "stale_after", "retention"};
  std::map<int, std::string> levels;
  int next_level = 1;
  for (const auto& [name, entry] : map.entries()) {
    const std::string what = "tier \"" + name + "\"";
    tier_names_.push_back(name);
    MapView fields = Map(entry.second, what, &kKeys);
    if (!fields.ok()) continue;
    Tier tier;
    tier.name = name;
    tier.at = At(entry.first);
    tier.level = next_level;
    if (const Node* level = fields.Get("level")) {
      if (std::optional<int64_t> value = Integer(*level, what + " level", 1, 9)) {
        tier.level = static_cast<int>(*value);
      }
    }
    next_level = tier.level + 1;
    if (levels.count(tier.level) != 0) {
      Error(fields.Get("level") ? *fields.Get("level") : entry.first,
            what + " has level " + std::to_string(tier.level) + ", as tier \"" +
                levels[tier.level] + "\" has",
            "each tier needs its own level, 1 (most critical) to 9");
    }
    levels[tier.level] = name;
    for (const auto& [key, target] :
         {std::pair{"rpo", &tier.rpo_seconds}, std::pair{"rto", &tier.rto_seconds}}) {
      const Node* value = fields.Get(key);
      if (value == nullptr) {
        Error(entry.first, what + " has no " + key,
              std::string(key) == "rpo" ? "rpo: the most data you accept to lose, e.g. rpo: 24h"
                                        : "rto: how long a recovery may take, e.g. rto: 4h");
        continue;
      }
      if (std::optional<int64_t> seconds = Duration(*value, what + " " + key)) {
        if (*seconds == 0) {
          Error(*value, what + " " + key + " must be longer than 0s");
        }
        *target = *seconds;
      }
    }
    tier.stale_after_seconds = tier.rpo_seconds;
    if (const Node* stale = fields.Get("stale_after")) {
      if (std::optional<int64_t> seconds = Duration(*stale, what + " stale_after")) {
        tier.stale_after_seconds = *seconds;
        if (*seconds < tier.rpo_seconds) {
          Error(*stale,
                what + " stale_after " + FormatDuration(*seconds) + " is shorter than its rpo " +
                    FormatDuration(tier.rpo_seconds),
                "a backup within the RPO is not stale; make stale_after at least the rpo");
        }
      }
    }
    if (const Node* retention = fields.Get("retention")) {
      if (std::optional<ops::RetentionPolicy> policy = Retention(*retention, what + " retention")) {
        tier.retention = *policy;
      }
    }
    plan_.tiers.push_back(std::move(tier));
  }
  std::stable_sort(plan_.tiers.begin(), plan_.tiers.end(),
                   [](const Tier& a, const Tier& b) { return a.level < b.level; });
  if (map.entries().empty()) Error(node, "tiers is empty", "declare at least one tier");
}

std::optional<Source> Loader::SourceOf(const MapView& job, const std::string& what,
                                       const Node& owner) {
  static const std::vector<std::string> kKinds = {"files", "postgres", "command",
                                                  "git",   "bucket",   "env"};
  std::vector<std::string> given;
  for (const std::string& kind : kKinds) {
    if (job.Has(kind)) given.push_back(kind);
  }
  if (given.empty()) {
    Error(owner, what + " has no source",
          "give one of files, postgres, command, git, bucket or env");
    return std::nullopt;
  }
  if (given.size() > 1) {
    Error(*job.KeyNode(given[1]), what + " has more than one source (" + JoinNames(given) + ")",
          "a job backs up one source; split it into one job per source");
    return std::nullopt;
  }
  const std::string& kind = given.front();
  const Node& node = *job.Get(kind);
  const Node& key = *job.KeyNode(kind);
  const std::string source_what = what + " " + kind;
  const size_t errors_before = errors_.size();
  if (kind == "files") {
    static const std::vector<std::string> kKeys = {"paths", "exclude"};
    MapView map = Map(node, source_what, &kKeys);
    if (!map.ok()) return std::nullopt;
    FilesSource files;
    if (const Node* paths = map.Get("paths")) {
      files.paths = StringList(*paths, source_what + " paths");
      if (paths->IsSequence() && files.paths.empty() && errors_.size() == errors_before) {
        Error(*paths, source_what + " paths is empty");
      }
    } else {
      Error(key, source_what + " has no paths", "e.g. paths: [/srv/app/uploads]");
    }
    if (const Node* exclude = map.Get("exclude")) {
      files.excludes = StringList(*exclude, source_what + " exclude");
    }
    if (errors_.size() != errors_before) return std::nullopt;
    return files;
  }
  if (kind == "postgres") {
    static const std::vector<std::string> kKeys = {
        "connection", "password",    "tables",       "exclude_tables", "exclude_table_data",
        "schemas",    "tier_tables", "default_tier", "only_tier",      "jobs"};
    MapView map = Map(node, source_what, &kKeys);
    if (!map.ok()) return std::nullopt;
    PostgresSource postgres;
    if (const Node* connection = map.Get("connection")) {
      postgres.connection = Secret(*connection, source_what + " connection", true);
      const std::string& text = postgres.connection.value;
      if (postgres.connection.kind == SecretSource::Kind::kLiteral) {
        // A password in a literal connection string is a secret written into the plan.
        const size_t scheme = text.find("://");
        const size_t at = text.find('@');
        const bool url_password =
            scheme != std::string::npos && at != std::string::npos &&
            text.substr(scheme + 3, at - scheme - 3).find(':') != std::string::npos;
        if (url_password || text.find("password=") != std::string::npos) {
          Error(*connection, source_what + " connection holds a password",
                "move the password to password: {env: VAR} (or the whole string to "
                "connection: {env: DATABASE_URL})");
        }
      }
    } else {
      Error(key, source_what + " has no connection",
            "e.g. connection: {env: DATABASE_URL} or connection: \"host=db dbname=app\"");
    }
    if (const Node* password = map.Get("password")) {
      postgres.password = Secret(*password, source_what + " password", false);
    }
    const std::pair<const char*, std::vector<std::string>*> lists[] = {
        {"tables", &postgres.tables},
        {"exclude_tables", &postgres.exclude_tables},
        {"exclude_table_data", &postgres.exclude_table_data},
        {"schemas", &postgres.schemas}};
    for (const auto& [list_key, target] : lists) {
      if (const Node* list = map.Get(list_key)) {
        *target = StringList(*list, source_what + " " + list_key);
      }
    }
    const auto tier_level = [&](const Node& name_node, const std::string& tier_what) -> int {
      std::optional<std::string> name = String(name_node, tier_what);
      if (!name) return 0;
      const Tier* tier = plan_.FindTier(*name);
      if (tier == nullptr) {
        const std::string suggestion = Suggest(*name, tier_names_);
        Error(name_node, tier_what + " names unknown tier \"" + *name + "\"",
              suggestion.empty() ? "tiers: " + JoinNames(tier_names_) : suggestion);
        return 0;
      }
      return tier->level;
    };
    if (const Node* tier_tables = map.Get("tier_tables")) {
      MapView tiers = Map(*tier_tables, source_what + " tier_tables", nullptr);
      for (const auto& [tier_name, tier_entry] : tiers.entries()) {
        const int level = tier_level(tier_entry.first, source_what + " tier_tables");
        std::vector<std::string> patterns =
            StringList(tier_entry.second, source_what + " tier_tables " + tier_name);
        if (level != 0) postgres.tier_tables[level] = patterns;
      }
    }
    if (const Node* value = map.Get("default_tier")) {
      postgres.default_tier = tier_level(*value, source_what + " default_tier");
    }
    if (const Node* value = map.Get("only_tier")) {
      postgres.only_tier = tier_level(*value, source_what + " only_tier");
      if (postgres.only_tier != 0 && postgres.tier_tables.empty()) {
        Error(*value, source_what + " only_tier needs tier_tables",
              "tier_tables says which tables belong to which tier");
      }
    }
    if (const Node* jobs = map.Get("jobs")) {
      postgres.jobs = static_cast<int>(Integer(*jobs, source_what + " jobs", 1, 64).value_or(0));
    }
    if (errors_.size() != errors_before) return std::nullopt;
    return postgres;
  }
  if (kind == "command") {
    static const std::vector<std::string> kKeys = {"run", "name"};
    MapView map = Map(node, source_what, &kKeys);
    if (!map.ok()) return std::nullopt;
    CommandSource command;
    if (const Node* run = map.Get("run")) {
      if (run->IsSequence()) {
        command.argv = StringList(*run, source_what + " run");
        if (command.argv.empty() && errors_.size() == errors_before) {
          Error(*run, source_what + " run is empty");
        }
      } else if (std::optional<std::string> text = String(*run, source_what + " run")) {
        command.argv = {"/bin/sh", "-c", *text};
      }
    } else {
      Error(key, source_what + " has no run", "e.g. run: \"pg_dumpall --globals-only\"");
    }
    if (std::optional<std::string> name = RequiredString(map, "name", source_what, key)) {
      if (name->find('/') != std::string::npos) {
        Error(*map.Get("name"), source_what + " name must be a file name, not a path");
      }
      command.name = *name;
    }
    if (errors_.size() != errors_before) return std::nullopt;
    return command;
  }
  if (kind == "git") {
    static const std::vector<std::string> kKeys = {"repository"};
    MapView map = Map(node, source_what, &kKeys);
    if (!map.ok()) return std::nullopt;
    std::optional<std::string> path = RequiredString(map, "repository", source_what, key);
    if (!path) return std::nullopt;
    return GitSource{*path};
  }
  if (kind == "bucket") {
    static const std::vector<std::string> kKeys = {"url", "prefix"};
    MapView map = Map(node, source_what, &kKeys);
    if (!map.ok()) return std::nullopt;
    BucketSource bucket;
    if (std::optional<std::string> url = RequiredString(map, "url", source_what, key)) {
      if (!url->starts_with("s3:")) {
        Error(*map.Get("url"), source_what + " url \"" + *url + "\" is not an s3: URL",
              "write s3:https://HOST[:PORT]/BUCKET");
      }
      bucket.url = *url;
    }
    if (const Node* prefix = map.Get("prefix")) {
      bucket.prefix = String(*prefix, source_what + " prefix").value_or("");
    }
    if (errors_.size() != errors_before) return std::nullopt;
    return bucket;
  }
  static const std::vector<std::string> kKeys = {"variables", "services", "files"};
  MapView map = Map(node, source_what, &kKeys);
  if (!map.ok()) return std::nullopt;
  EnvSource env;
  if (const Node* variables = map.Get("variables")) {
    env.variables = StringList(*variables, source_what + " variables");
  }
  if (const Node* services = map.Get("services")) {
    MapView service_map = Map(*services, source_what + " services", nullptr);
    for (const auto& [service, entry] : service_map.entries()) {
      env.services[service] = StringList(entry.second, source_what + " services " + service);
    }
  }
  if (const Node* files = map.Get("files")) {
    env.files = StringList(*files, source_what + " files");
  }
  if (env.variables.empty() && env.services.empty() && env.files.empty() &&
      errors_.size() == errors_before) {
    Error(key, source_what + " names no variables, services or files");
  }
  if (errors_.size() != errors_before) return std::nullopt;
  return env;
}

void Loader::Jobs(const Node& node) {
  if (!node.IsSequence()) {
    Error(node, "jobs must be a list, not " + TypeName(node), "one \"- name: ...\" item per job");
    return;
  }
  static const std::vector<std::string> kKeys = {
      "name", "tier",  "schedule", "timezone", "retention", "copy_to", "before", "after",
      "tags", "files", "postgres", "command",  "git",       "bucket",  "env"};
  std::map<std::string, Position> seen;
  for (const Node& item : node) {
    MapView map = Map(item, "a job", &kKeys);
    if (!map.ok()) continue;
    Job job;
    job.at = At(item);
    std::optional<std::string> name = RequiredString(map, "name", "a job", item);
    if (!name) continue;
    job.name = *name;
    const std::string what = "job \"" + job.name + "\"";
    const Node& name_node = *map.Get("name");
    if (seen.count(job.name) != 0) {
      Error(name_node, "duplicate job name \"" + job.name + "\"",
            "the first is at line " + std::to_string(seen[job.name].line) +
                "; each job needs its own name");
    } else {
      seen[job.name] = At(name_node);
    }
    const bool name_ok = std::all_of(job.name.begin(), job.name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
    if (!name_ok) {
      Error(name_node, "job name \"" + job.name + "\" may hold only letters, digits, - _ and .",
            "the name becomes a tag (job=NAME) and a file name");
    }
    const size_t errors_before = errors_.size();
    if (std::optional<std::string> tier = RequiredString(map, "tier", what, item)) {
      if (plan_.FindTier(*tier) == nullptr) {
        const std::string suggestion = Suggest(*tier, tier_names_);
        Error(*map.Get("tier"), what + " names unknown tier \"" + *tier + "\"",
              suggestion.empty() ? "tiers: " + JoinNames(tier_names_) : suggestion);
      }
      job.tier = *tier;
    }
    std::optional<Schedule> schedule = ScheduleOf(map, what, item, true);
    if (schedule) job.schedule = *schedule;
    if (const Node* retention = map.Get("retention")) {
      job.retention = Retention(*retention, what + " retention");
    }
    std::vector<std::string> repository_names;
    std::vector<std::string> copies;
    for (const Repository& repository : plan_.repositories) {
      repository_names.push_back(repository.name);
      if (!repository.primary) copies.push_back(repository.name);
    }
    if (const Node* copy_to = map.Get("copy_to")) {
      std::vector<std::string> names = StringList(*copy_to, what + " copy_to");
      size_t index = 0;
      for (const std::string& target : names) {
        const Node item_node = (*copy_to)[index++];
        const Repository* repository = plan_.FindRepository(target);
        if (repository == nullptr) {
          const std::string suggestion = Suggest(target, repository_names);
          Error(item_node, what + " copies to unknown repository \"" + target + "\"",
                suggestion.empty() ? "repositories: " + JoinNames(repository_names) : suggestion);
        } else if (repository->primary) {
          Error(item_node, what + " copies to \"" + target + "\", the primary repository",
                "every job backs up to the primary; copy_to lists the copies (" +
                    (copies.empty() ? std::string("none declared") : JoinNames(copies)) + ")");
        } else if (std::find(job.copy_to.begin(), job.copy_to.end(), target) != job.copy_to.end()) {
          Error(item_node, what + " lists \"" + target + "\" twice in copy_to");
        } else {
          job.copy_to.push_back(target);
        }
      }
    } else {
      job.copy_to = copies;  // 3-2-1 by default: every copy
    }
    if (const Node* before = map.Get("before")) job.before = Hooks(*before, what + " before");
    if (const Node* after = map.Get("after")) job.after = Hooks(*after, what + " after");
    if (const Node* tags = map.Get("tags")) job.tags = StringList(*tags, what + " tags");
    std::optional<Source> source = SourceOf(map, what, item);
    if (source) job.source = *source;
    if (errors_.size() == errors_before) {
      plan_.jobs.push_back(std::move(job));
    } else {
      invalid_jobs_.insert(job.name);
    }
  }
  if (node.size() == 0) Error(node, "jobs is empty", "declare at least one job");
}

const Job* Loader::JobRef(const Node& node, const std::string& what) {
  std::optional<std::string> name = String(node, what);
  if (!name) return nullptr;
  const Job* job = plan_.FindJob(*name);
  if (job == nullptr && invalid_jobs_.count(*name) == 0) {
    std::vector<std::string> names;
    for (const Job& candidate : plan_.jobs) names.push_back(candidate.name);
    const std::string suggestion = Suggest(*name, names);
    Error(node, what + " names unknown job \"" + *name + "\"",
          suggestion.empty() ? "jobs: " + JoinNames(names) : suggestion);
  }
  return job;
}

void Loader::Prune(const Node& node) {
  static const std::vector<std::string> kKeys = {"schedule", "timezone", "repositories"};
  MapView map = Map(node, "prune", &kKeys);
  if (!map.ok()) return;
  plan_.prune.schedule = ScheduleOf(map, "prune", node, true);
  if (const Node* repositories = map.Get("repositories")) {
    for (const std::string& name : StringList(*repositories, "prune repositories")) {
      if (plan_.FindRepository(name) == nullptr) {
        Error(*repositories, "prune names unknown repository \"" + name + "\"");
      }
      plan_.prune.repositories.push_back(name);
    }
  } else {
    for (const Repository& repository : plan_.repositories) {
      plan_.prune.repositories.push_back(repository.name);
    }
  }
}

void Loader::Daemon(const Node& node) {
  static const std::vector<std::string> kKeys = {"missed_runs", "retry", "shutdown_grace",
                                                 "log_format", "max_parallel_jobs"};
  MapView map = Map(node, "daemon", &kKeys);
  if (!map.ok()) return;
  DaemonSettings& daemon = plan_.daemon;
  if (const Node* missed = map.Get("missed_runs")) {
    if (auto value = Choice(*missed, "daemon missed_runs", {"run_once_at_start", "skip"})) {
      daemon.missed_runs =
          *value == "skip" ? MissedRunPolicy::kSkip : MissedRunPolicy::kRunOnceAtStart;
    }
  }
  if (const Node* retry = map.Get("retry")) {
    static const std::vector<std::string> kRetryKeys = {"attempts", "initial_backoff",
                                                        "max_backoff"};
    MapView retry_map = Map(*retry, "daemon retry", &kRetryKeys);
    if (const Node* attempts = retry_map.Get("attempts")) {
      daemon.retry_attempts =
          static_cast<int>(Integer(*attempts, "daemon retry attempts", 0, 100).value_or(3));
    }
    if (const Node* initial = retry_map.Get("initial_backoff")) {
      daemon.retry_initial_backoff_seconds =
          Duration(*initial, "daemon retry initial_backoff").value_or(60);
    }
    if (const Node* max = retry_map.Get("max_backoff")) {
      daemon.retry_max_backoff_seconds = Duration(*max, "daemon retry max_backoff").value_or(3600);
      if (daemon.retry_max_backoff_seconds < daemon.retry_initial_backoff_seconds) {
        Error(*max, "daemon retry max_backoff is shorter than initial_backoff");
      }
    }
  }
  if (const Node* grace = map.Get("shutdown_grace")) {
    daemon.shutdown_grace_seconds = Duration(*grace, "daemon shutdown_grace").value_or(300);
  }
  if (const Node* format = map.Get("log_format")) {
    if (auto value = Choice(*format, "daemon log_format", {"text", "json"})) {
      daemon.log_format = *value == "json" ? LogFormat::kJson : LogFormat::kText;
    }
  }
  if (const Node* parallel = map.Get("max_parallel_jobs")) {
    daemon.max_parallel_jobs =
        static_cast<int>(Integer(*parallel, "daemon max_parallel_jobs", 1, 64).value_or(1));
  }
}

void Loader::Audit(const Node& node) {
  static const std::vector<std::string> kKeys = {"sqlite", "postgres"};
  MapView map = Map(node, "audit", &kKeys);
  if (!map.ok()) return;
  if (const Node* sqlite = map.Get("sqlite")) {
    plan_.audit.sqlite_path = String(*sqlite, "audit sqlite").value_or("");
  }
  if (const Node* postgres = map.Get("postgres")) {
    static const std::vector<std::string> kPgKeys = {"connection", "table"};
    MapView pg = Map(*postgres, "audit postgres", &kPgKeys);
    if (!pg.ok()) return;
    if (const Node* connection = pg.Get("connection")) {
      plan_.audit.postgres = Secret(*connection, "audit postgres connection", true);
    } else {
      Error(*postgres, "audit postgres has no connection");
    }
    if (const Node* table = pg.Get("table")) {
      plan_.audit.postgres_table = String(*table, "audit postgres table").value_or("");
    }
  }
}

void Loader::Alerts(const Node& node) {
  static const std::vector<std::string> kKeys = {"channels", "rules"};
  MapView map = Map(node, "alerts", &kKeys);
  if (!map.ok()) return;
  std::vector<std::string> channel_names;
  if (const Node* channels = map.Get("channels")) {
    MapView channel_map = Map(*channels, "alerts channels", nullptr);
    static const std::vector<std::string> kTypes = {"webhook", "slack", "email", "command"};
    for (const auto& [name, entry] : channel_map.entries()) {
      const std::string what = "alert channel \"" + name + "\"";
      channel_names.push_back(name);
      AlertChannel channel;
      channel.name = name;
      channel.at = At(entry.first);
      if (!entry.second.IsMap()) {
        Error(entry.second, what + " must be a map, not " + TypeName(entry.second));
        continue;
      }
      const Node type_node = entry.second["type"];
      if (!type_node.IsDefined()) {
        Error(entry.first, what + " has no type", "type: webhook, slack, email or command");
        continue;
      }
      std::optional<std::string> type = Choice(type_node, what + " type", kTypes);
      if (!type) continue;
      std::vector<std::string> keys = {"type"};
      if (*type == "webhook" || *type == "slack") keys.push_back("url");
      if (*type == "email")
        keys.insert(keys.end(), {"to", "from", "smtp_server", "smtp_user", "smtp_password"});
      if (*type == "command") keys.push_back("command");
      MapView fields = Map(entry.second, what + " (type " + *type + ")", &keys);
      if (*type == "webhook" || *type == "slack") {
        channel.type = *type == "slack" ? AlertChannel::Type::kSlack : AlertChannel::Type::kWebhook;
        if (const Node* url = fields.Get("url")) {
          channel.url = Secret(*url, what + " url", true);
        } else {
          Error(entry.first, what + " has no url");
        }
      } else if (*type == "email") {
        channel.type = AlertChannel::Type::kEmail;
        if (const Node* to = fields.Get("to")) {
          channel.to = StringList(*to, what + " to");
        } else {
          Error(entry.first, what + " has no to", "to: [ops@example.com]");
        }
        if (const Node* from = fields.Get("from"))
          channel.from = String(*from, what + " from").value_or("");
        if (const Node* server = fields.Get("smtp_server")) {
          channel.smtp_server = String(*server, what + " smtp_server").value_or("");
        }
        if (const Node* user = fields.Get("smtp_user")) {
          channel.smtp_user = String(*user, what + " smtp_user").value_or("");
        }
        if (const Node* password = fields.Get("smtp_password")) {
          channel.smtp_password = Secret(*password, what + " smtp_password", false);
        }
      } else {
        channel.type = AlertChannel::Type::kCommand;
        if (std::optional<std::string> command =
                RequiredString(fields, "command", what, entry.first)) {
          channel.command = *command;
        }
      }
      plan_.alert_channels.push_back(std::move(channel));
    }
  }
  if (const Node* rules = map.Get("rules")) {
    if (!rules->IsSequence()) {
      Error(*rules, "alerts rules must be a list, not " + TypeName(*rules));
      return;
    }
    static const std::vector<std::string> kEvents = {
        "backup_failed", "backup_stale",         "drill_failed", "repository_unreachable",
        "disk_usage",    "database_unreachable", "http_check"};
    for (const Node& item : *rules) {
      if (!item.IsMap()) {
        Error(item, "an alert rule must be a map, not " + TypeName(item));
        continue;
      }
      const Node event_node = item["event"];
      if (!event_node.IsDefined()) {
        Error(item, "an alert rule has no event", "event: one of " + JoinNames(kEvents));
        continue;
      }
      std::optional<std::string> event = Choice(event_node, "alert event", kEvents);
      if (!event) continue;
      const std::string what = "alert rule " + *event;
      std::vector<std::string> keys = {"event", "channels", "severity"};
      AlertRule rule;
      rule.at = At(item);
      const size_t index = std::find(kEvents.begin(), kEvents.end(), *event) - kEvents.begin();
      rule.event = static_cast<AlertRule::Event>(index);
      switch (rule.event) {
        case AlertRule::Event::kBackupFailed:
        case AlertRule::Event::kDrillFailed:
          keys.push_back("jobs");
          break;
        case AlertRule::Event::kBackupStale:
          keys.insert(keys.end(), {"jobs", "threshold"});
          break;
        case AlertRule::Event::kRepositoryUnreachable:
          keys.insert(keys.end(), {"interval", "timeout"});
          break;
        case AlertRule::Event::kDiskUsage:
          keys.insert(keys.end(), {"path", "percent", "interval"});
          rule.severity = AlertRule::Severity::kWarning;
          break;
        case AlertRule::Event::kDatabaseUnreachable:
          keys.insert(keys.end(), {"job", "connection", "interval", "timeout"});
          break;
        case AlertRule::Event::kHttpCheck:
          keys.insert(keys.end(), {"url", "expect_status", "interval", "timeout"});
          rule.interval_seconds = 60;
          break;
      }
      MapView fields = Map(item, what, &keys);
      if (const Node* channels = fields.Get("channels")) {
        size_t position = 0;
        for (const std::string& channel : StringList(*channels, what + " channels")) {
          const Node channel_node = (*channels)[position++];
          if (std::find(channel_names.begin(), channel_names.end(), channel) ==
              channel_names.end()) {
            const std::string suggestion = Suggest(channel, channel_names);
            Error(channel_node, what + " names unknown channel \"" + channel + "\"",
                  suggestion.empty() ? "channels: " + JoinNames(channel_names) : suggestion);
          }
          rule.channels.push_back(channel);
        }
      } else {
        Error(item, what + " has no channels", "channels: [NAME, ...] from alerts channels");
      }
      if (const Node* severity = fields.Get("severity")) {
        if (auto value = Choice(*severity, what + " severity", {"critical", "warning", "info"})) {
          rule.severity = *value == "critical"  ? AlertRule::Severity::kCritical
                          : *value == "warning" ? AlertRule::Severity::kWarning
                                                : AlertRule::Severity::kInfo;
        }
      }
      if (const Node* jobs = fields.Get("jobs")) {
        if (!jobs->IsSequence()) {
          Error(*jobs, what + " jobs must be a list, not " + TypeName(*jobs));
        } else {
          for (const Node& job : *jobs) {
            if (const Job* found = JobRef(job, what)) rule.jobs.push_back(found->name);
          }
        }
      }
      if (const Node* threshold = fields.Get("threshold")) {
        rule.threshold_seconds = Duration(*threshold, what + " threshold").value_or(0);
      }
      if (rule.event == AlertRule::Event::kDiskUsage) {
        rule.path = RequiredString(fields, "path", what, item).value_or("");
        if (const Node* percent = fields.Get("percent")) {
          rule.percent = static_cast<int>(Integer(*percent, what + " percent", 1, 100).value_or(0));
        } else {
          Error(item, what + " has no percent", "percent: 90 alerts above 90% used");
        }
      }
      if (rule.event == AlertRule::Event::kDatabaseUnreachable) {
        const Node* job = fields.Get("job");
        const Node* connection = fields.Get("connection");
        if ((job == nullptr) == (connection == nullptr)) {
          Error(item, what + " needs either job (a postgres job) or connection");
        } else if (job != nullptr) {
          if (const Job* found = JobRef(*job, what)) {
            if (!std::holds_alternative<PostgresSource>(found->source)) {
              Error(*job, what + " job \"" + found->name + "\" is not a postgres job");
            }
            rule.job = found->name;
          }
        } else {
          rule.connection = Secret(*connection, what + " connection", true);
        }
      }
      if (rule.event == AlertRule::Event::kHttpCheck) {
        rule.url = RequiredString(fields, "url", what, item).value_or("");
        if (const Node* status = fields.Get("expect_status")) {
          rule.expect_status =
              static_cast<int>(Integer(*status, what + " expect_status", 100, 599).value_or(200));
        }
      }
      if (const Node* interval = fields.Get("interval")) {
        rule.interval_seconds = Duration(*interval, what + " interval").value_or(0);
        if (rule.interval_seconds == 0) Error(*interval, what + " interval must be longer than 0s");
      }
      if (const Node* timeout = fields.Get("timeout")) {
        rule.timeout_seconds = Duration(*timeout, what + " timeout").value_or(10);
      }
      plan_.alert_rules.push_back(std::move(rule));
    }
  }
}

bool TargetFits(const Source& source, RestoreTarget::Kind kind) {
  if (std::holds_alternative<PostgresSource>(source)) return kind == RestoreTarget::Kind::kPostgres;
  if (std::holds_alternative<BucketSource>(source)) {
    return kind == RestoreTarget::Kind::kBucket || kind == RestoreTarget::Kind::kDirectory;
  }
  return kind == RestoreTarget::Kind::kDirectory;
}

void Loader::Drills(const Node& node) {
  if (!node.IsSequence()) {
    Error(node, "drills must be a list, not " + TypeName(node));
    return;
  }
  static const std::vector<std::string> kKeys = {"name",   "job",     "schedule", "timezone",
                                                 "target", "queries", "rto"};
  std::set<std::string> names;
  for (const Node& item : node) {
    MapView map = Map(item, "a drill", &kKeys);
    if (!map.ok()) continue;
    Drill drill;
    drill.at = At(item);
    std::optional<std::string> name = RequiredString(map, "name", "a drill", item);
    if (!name) continue;
    drill.name = *name;
    const std::string what = "drill \"" + drill.name + "\"";
    if (!names.insert(drill.name).second) {
      Error(*map.Get("name"), "duplicate drill name \"" + drill.name + "\"");
    }
    const Job* job = nullptr;
    if (const Node* job_node = map.Get("job")) {
      job = JobRef(*job_node, what);
    } else {
      Error(item, what + " has no job", "job: the job whose latest backup is restored");
    }
    if (job != nullptr) {
      drill.job = job->name;
      drill.rto_seconds = plan_.TierOf(*job).rto_seconds;
    }
    if (std::optional<Schedule> schedule = ScheduleOf(map, what, item, true)) {
      drill.schedule = *schedule;
    }
    if (const Node* target = map.Get("target")) {
      if (std::optional<RestoreTarget> parsed = Target(*target, what + " target")) {
        if (job != nullptr && !TargetFits(job->source, parsed->kind)) {
          Error(*target,
                what + " target does not fit the " + SourceKindName(job->source) + " job \"" +
                    job->name + "\"",
                "postgres jobs restore into postgres, bucket jobs into a bucket or a directory, "
                "others into a directory");
        }
        drill.target = *parsed;
      }
    } else {
      Error(item, what + " has no target",
            "target: {postgres: \"dbname=scratch\"} or {directory: /tmp/drill}");
    }
    if (const Node* queries = map.Get("queries")) {
      if (!queries->IsSequence()) {
        Error(*queries, what + " queries must be a list, not " + TypeName(*queries));
      } else {
        static const std::vector<std::string> kQueryKeys = {"sql", "expect", "expect_at_least"};
        for (const Node& query_node : *queries) {
          MapView query_map = Map(query_node, "a query of " + what, &kQueryKeys);
          if (!query_map.ok()) continue;
          DrillQuery query;
          query.sql =
              RequiredString(query_map, "sql", "a query of " + what, query_node).value_or("");
          if (const Node* expect = query_map.Get("expect")) {
            if (expect->IsScalar()) {
              query.expect = expect->Scalar();
            } else {
              Error(*expect, "expect of " + what + " must be a value, not " + TypeName(*expect));
            }
          }
          if (const Node* least = query_map.Get("expect_at_least")) {
            query.expect_at_least =
                Integer(*least, "expect_at_least of " + what, INT64_MIN, INT64_MAX);
          }
          if (!query.expect && !query.expect_at_least && query_map.Has("sql")) {
            Error(query_node, "a query of " + what + " has no expected result",
                  "add expect: VALUE or expect_at_least: N");
          }
          if (job != nullptr && !std::holds_alternative<PostgresSource>(job->source)) {
            Error(query_node,
                  what + " has queries, but job \"" + job->name + "\" is not a postgres job");
          }
          drill.queries.push_back(query);
        }
      }
    }
    if (const Node* rto = map.Get("rto")) {
      drill.rto_seconds = Duration(*rto, what + " rto").value_or(drill.rto_seconds);
    }
    plan_.drills.push_back(std::move(drill));
  }
}

void Loader::RecoveryProfiles(const Node& node) {
  MapView map = Map(node, "recovery_profiles", nullptr);
  static const std::vector<std::string> kKeys = {"description", "targets"};
  for (const auto& [name, entry] : map.entries()) {
    const std::string what = "recovery profile \"" + name + "\"";
    MapView fields = Map(entry.second, what, &kKeys);
    if (!fields.ok()) continue;
    RecoveryProfile profile;
    profile.name = name;
    profile.at = At(entry.first);
    if (const Node* description = fields.Get("description")) {
      profile.description = String(*description, what + " description").value_or("");
    }
    const Node* targets = fields.Get("targets");
    if (targets == nullptr) {
      Error(entry.first, what + " has no targets", "targets: {JOB: {directory: PATH}, ...}");
      continue;
    }
    MapView target_map = Map(*targets, what + " targets", nullptr);
    for (const auto& [job_name, target_entry] : target_map.entries()) {
      const Job* job = JobRef(target_entry.first, what);
      std::optional<RestoreTarget> target =
          Target(target_entry.second, what + " target of \"" + job_name + "\"");
      if (job == nullptr || !target) continue;
      if (!TargetFits(job->source, target->kind)) {
        Error(target_entry.second,
              what + " target of \"" + job_name + "\" does not fit its " +
                  SourceKindName(job->source) + " source",
              "postgres jobs restore into postgres, bucket jobs into a bucket or a directory, "
              "others into a directory");
        continue;
      }
      profile.targets.emplace_back(job_name, *target);
    }
    plan_.recovery_profiles.push_back(std::move(profile));
  }
}

void Loader::RunbookOf(const Node& node) {
  static const std::vector<std::string> kKeys = {"notes", "contacts", "links"};
  MapView map = Map(node, "runbook", &kKeys);
  if (const Node* notes = map.Get("notes")) {
    plan_.runbook.notes = String(*notes, "runbook notes").value_or("");
  }
  if (const Node* contacts = map.Get("contacts")) {
    plan_.runbook.contacts = StringList(*contacts, "runbook contacts");
  }
  if (const Node* links = map.Get("links")) {
    plan_.runbook.links = StringList(*links, "runbook links");
  }
}

}  // namespace

std::string PlanError::Location() const {
  if (at.line <= 0) return file;
  return file + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
}

std::string PlanError::ToString() const {
  return Location() + ": " + message + (hint.empty() ? "" : "\nhint: " + hint);
}

PlanLoad ParsePlan(std::string_view text, const std::string& file) {
  return Loader(file).Run(text);
}

PlanLoad ReadPlan(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    return PlanLoad{std::nullopt,
                    {PlanError{path, Position{}, "cannot read the plan file",
                               "check the path and its permissions"}}};
  }
  std::ostringstream content;
  content << stream.rdbuf();
  return ParsePlan(content.str(), path);
}

Status ErrorsToStatus(const std::vector<PlanError>& errors) {
  if (errors.empty()) return Status::Ok();
  std::string message = errors.front().Location() + ": " + errors.front().message;
  if (errors.size() > 1) {
    message += " (and " + std::to_string(errors.size() - 1) +
               (errors.size() == 2 ? " more error)" : " more errors)");
  }
  return Status(StatusCode::kInvalidArgument, message, errors.front().hint);
}

Result<Plan> LoadPlan(const std::string& path) {
  PlanLoad load = ReadPlan(path);
  if (!load.plan) return ErrorsToStatus(load.errors);
  return std::move(*load.plan);
}

Result<Plan> LoadPlanFromString(std::string_view text, const std::string& file) {
  PlanLoad load = ParsePlan(text, file);
  if (!load.plan) return ErrorsToStatus(load.errors);
  return std::move(*load.plan);
}

}  // namespace lifeboat::plan
