#include "lifeboat/plan/plan_loader.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "lifeboat/plan/plan_reader.h"

namespace lifeboat::plan {

namespace detail {

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

}  // namespace detail

std::string PlanError::Location() const {
  if (at.line <= 0) return file;
  return file + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
}

std::string PlanError::ToString() const {
  return Location() + ": " + message + (hint.empty() ? "" : "\nhint: " + hint);
}

PlanLoad ParsePlan(std::string_view text, const std::string& file) {
  return detail::Loader(file).Run(text);
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
