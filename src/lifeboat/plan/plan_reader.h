// Internal to plan/: the YAML reading that plan_loader.cc and plan_sections.cc share — a
// Loader walks the yaml-cpp tree, checks every map's keys and every value's type, and records
// each error with its line and column (yaml-cpp's 0-based marks, printed 1-based) and a hint.
// Not part of the plan layer's interface; only the plan_*.cc files include it.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lifeboat/plan/plan_loader.h"

namespace lifeboat::plan::detail {

using YAML::Node;

// The closest candidate when one is close (a third of the word's letters differ at most), else "".
std::string SuggestedName(std::string_view word, const std::vector<std::string>& candidates);
// "did you mean "x"?" when one candidate is close, else "".
std::string Suggest(std::string_view word, const std::vector<std::string>& candidates);
std::string JoinNames(const std::vector<std::string>& names);
// "a value", "a list", "a map", "nothing".
std::string TypeName(const Node& node);
// Whether a job's source can be restored into a target of this kind.
bool TargetFits(const Source& source, RestoreTarget::Kind kind);

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

}  // namespace lifeboat::plan::detail
