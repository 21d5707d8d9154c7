#include "lifeboat/plan/plan.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "lifeboat/util/check.h"

namespace lifeboat::plan {

namespace {

struct Unit {
  char letter;
  int64_t seconds;
};
constexpr Unit kUnits[] = {{'w', 7 * 86400}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};

}  // namespace

std::string SecretSource::Describe() const {
  switch (kind) {
    case Kind::kNone:
      return "none";
    case Kind::kLiteral:
      return "literal \"" + value + "\"";
    case Kind::kEnv:
      return "env " + value;
    case Kind::kFile:
      return "file " + value;
    case Kind::kCommand:
      return "command \"" + value + "\"";
    case Kind::kInline:
      return "inline (insecure)";
  }
  return "none";
}

std::vector<std::string> EnvSource::AllVariables() const {
  std::vector<std::string> all;
  const auto add = [&](const std::string& name) {
    if (std::find(all.begin(), all.end(), name) == all.end()) all.push_back(name);
  };
  for (const std::string& name : variables) add(name);
  for (const auto& [service, names] : services) {
    for (const std::string& name : names) add(name);
  }
  return all;
}

std::string SourceKindName(const Source& source) {
  static constexpr const char* kNames[] = {"files", "postgres", "command", "git", "bucket", "env"};
  return kNames[source.index()];
}

namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

}  // namespace

std::string SourceSummary(const Source& source) {
  if (const auto* files = std::get_if<FilesSource>(&source)) {
    return "files " + Join(files->paths) +
           (files->excludes.empty() ? "" : " (excluding " + Join(files->excludes) + ")");
  }
  if (const auto* postgres = std::get_if<PostgresSource>(&source)) {
    std::string text = "postgres " + postgres->connection.Describe();
    if (!postgres->tables.empty()) text += ", tables " + Join(postgres->tables);
    if (!postgres->exclude_tables.empty()) text += ", excluding " + Join(postgres->exclude_tables);
    for (const auto& [level, patterns] : postgres->tier_tables) {
      text += ", tier " + std::to_string(level) + ": " + Join(patterns);
    }
    if (postgres->only_tier != 0) text += ", only tier " + std::to_string(postgres->only_tier);
    return text;
  }
  if (const auto* command = std::get_if<CommandSource>(&source)) {
    std::string line;
    if (command->argv.size() == 3 && command->argv[0] == "/bin/sh" && command->argv[1] == "-c") {
      line = command->argv[2];
    } else {
      for (const std::string& word : command->argv) line += (line.empty() ? "" : " ") + word;
    }
    return "command \"" + line + "\" stored as " + command->name;
  }
  if (const auto* git = std::get_if<GitSource>(&source)) return "git " + git->repository;
  if (const auto* bucket = std::get_if<BucketSource>(&source)) {
    return "bucket " + bucket->url + (bucket->prefix.empty() ? "" : " prefix " + bucket->prefix);
  }
  const auto& env = std::get<EnvSource>(source);
  std::string text = "env: " + std::to_string(env.AllVariables().size()) + " variables";
  std::vector<std::string> services;
  for (const auto& [service, names] : env.services) services.push_back(service);
  if (!services.empty()) text += " (services " + Join(services) + ")";
  if (!env.files.empty()) text += ", files " + Join(env.files);
  return text;
}

const Repository& Plan::Primary() const {
  for (const Repository& repository : repositories) {
    if (repository.primary) return repository;
  }
  LIFEBOAT_CHECK(false, "a validated plan has a primary repository");
  return repositories.front();
}

const Repository* Plan::FindRepository(std::string_view name) const {
  for (const Repository& repository : repositories) {
    if (repository.name == name) return &repository;
  }
  return nullptr;
}

const Tier* Plan::FindTier(std::string_view name) const {
  for (const Tier& tier : tiers) {
    if (tier.name == name) return &tier;
  }
  return nullptr;
}

const Job* Plan::FindJob(std::string_view name) const {
  for (const Job& job : jobs) {
    if (job.name == name) return &job;
  }
  return nullptr;
}

const Tier& Plan::TierOf(const Job& job) const {
  const Tier* tier = FindTier(job.tier);
  LIFEBOAT_CHECK(tier != nullptr, "a validated plan's jobs name existing tiers");
  return *tier;
}

const ops::RetentionPolicy& Plan::RetentionOf(const Job& job) const {
  return job.retention ? *job.retention : TierOf(job).retention;
}

Result<int64_t> ParseDuration(std::string_view text) {
  const std::string original(text);
  const auto bad = [&](const std::string& why) {
    return InvalidArgumentError("invalid duration \"" + original + "\": " + why);
  };
  if (text.empty()) return bad("it is empty");
  int64_t total = 0;
  size_t next_unit = 0;  // units must come in decreasing order, each once
  while (!text.empty()) {
    if (!std::isdigit(static_cast<unsigned char>(text.front()))) {
      return bad("expected a number followed by a unit (s, m, h, d or w)");
    }
    int64_t number = 0;
    while (!text.empty() && std::isdigit(static_cast<unsigned char>(text.front()))) {
      number = number * 10 + (text.front() - '0');
      text.remove_prefix(1);
      if (number > 1'000'000'000) return bad("the number is too large");
    }
    if (text.empty()) {
      return InvalidArgumentError("duration \"" + original + "\" has no unit")
          .WithHint(
              "add a unit: s (seconds), m (minutes), h (hours), d (days) or w (weeks), "
              "e.g. " +
              std::to_string(number) + "h");
    }
    size_t unit = next_unit;
    while (unit < std::size(kUnits) && kUnits[unit].letter != text.front()) ++unit;
    if (unit == std::size(kUnits)) {
      const bool known = std::any_of(std::begin(kUnits), std::end(kUnits),
                                     [&](const Unit& u) { return u.letter == text.front(); });
      return bad(known ? "units must go from the largest to the smallest, each once"
                       : "unknown unit \"" + std::string(1, text.front()) +
                             "\" (use s, m, h, d or w)");
    }
    text.remove_prefix(1);
    total += number * kUnits[unit].seconds;
    next_unit = unit + 1;
  }
  return total;
}

std::string FormatDuration(int64_t seconds) {
  if (seconds == 0) return "0s";
  std::string text;
  for (const Unit& unit : kUnits) {
    if (unit.letter == 'w' && seconds % unit.seconds != 0) continue;  // "10d", not "1w3d"
    // Objectives are thought of in hours up to a few days: "26h", "48h", then "3d".
    if (unit.letter == 'd' && seconds < 3 * unit.seconds) continue;
    if (seconds >= unit.seconds) {
      text += std::to_string(seconds / unit.seconds) + unit.letter;
      seconds %= unit.seconds;
    }
  }
  return text;
}

}  // namespace lifeboat::plan
