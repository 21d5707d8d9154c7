#include "lifeboat/plan/invocation.h"

#include <variant>

namespace lifeboat::plan {

namespace {

// The repository options every command shares: --repo, its password source, -o options.
// `prefix` selects the `copy` source's own options (--from-repo, --from-password-...).
void AddRepository(Invocation& invocation, const Repository& repository, bool source_of_copy) {
  const std::string option = source_of_copy ? "--from-" : "--";
  invocation.argv.push_back(source_of_copy ? "--from-repo" : "--repo");
  invocation.argv.push_back(repository.location);
  const SecretSource& password = repository.password;
  switch (password.kind) {
    case SecretSource::Kind::kFile:
      invocation.argv.insert(invocation.argv.end(), {option + "password-file", password.value});
      break;
    case SecretSource::Kind::kCommand:
      invocation.argv.insert(invocation.argv.end(), {option + "password-command", password.value});
      break;
    case SecretSource::Kind::kEnv:
    case SecretSource::Kind::kInline:
    case SecretSource::Kind::kLiteral:
      invocation.environment.emplace_back(
          source_of_copy ? "LIFEBOAT_FROM_PASSWORD" : "LIFEBOAT_PASSWORD", password);
      break;
    case SecretSource::Kind::kNone:
      break;
  }
  if (!source_of_copy) {
    for (const auto& [key, value] : repository.options) {
      invocation.argv.insert(invocation.argv.end(), {"-o", key + "=" + value});
    }
  }
}

// "lifeboat [--job NAME] [--audit-db PATH]", and the audit log's PostgreSQL sink through the
// child's LIFEBOAT_AUDIT_POSTGRES, since a connection string may hold a password.
Invocation Start(const Plan& plan, const Job* job) {
  Invocation invocation;
  invocation.argv = {"lifeboat"};
  if (job != nullptr) invocation.argv.insert(invocation.argv.end(), {"--job", job->name});
  if (!plan.audit.sqlite_path.empty()) {
    invocation.argv.insert(invocation.argv.end(), {"--audit-db", plan.audit.sqlite_path});
  }
  if (plan.audit.postgres.given()) {
    invocation.environment.emplace_back("LIFEBOAT_AUDIT_POSTGRES", plan.audit.postgres);
  }
  return invocation;
}

void AddList(std::vector<std::string>& argv, const char* option,
             const std::vector<std::string>& values) {
  for (const std::string& value : values) argv.insert(argv.end(), {option, value});
}

void AddTags(Invocation& invocation, const Job& job) {
  invocation.argv.insert(invocation.argv.end(), {"--tag", "job=" + job.name});
  for (const std::string& tag : job.tags)
    invocation.argv.insert(invocation.argv.end(), {"--tag", tag});
}

void AddSource(Invocation& invocation, const Job& job) {
  std::vector<std::string>& argv = invocation.argv;
  if (const auto* files = std::get_if<FilesSource>(&job.source)) {
    argv.push_back("backup");
    AddList(argv, "--exclude", files->excludes);
    AddTags(invocation, job);
    argv.push_back("--");
    argv.insert(argv.end(), files->paths.begin(), files->paths.end());
  } else if (const auto* postgres = std::get_if<PostgresSource>(&job.source)) {
    argv.insert(argv.end(), {"pg", "backup"});
    // A connection string may hold a password: one that is not a plain literal reaches the
    // child through LIFEBOAT_PG_DBNAME, which `pg backup --dbname` reads, never through argv.
    if (postgres->connection.kind == SecretSource::Kind::kLiteral) {
      argv.insert(argv.end(), {"--dbname", postgres->connection.value});
    } else {
      invocation.environment.emplace_back("LIFEBOAT_PG_DBNAME", postgres->connection);
    }
    if (postgres->password.given())
      invocation.environment.emplace_back("PGPASSWORD", postgres->password);
    AddList(argv, "--table", postgres->tables);
    AddList(argv, "--exclude-table", postgres->exclude_tables);
    AddList(argv, "--exclude-table-data", postgres->exclude_table_data);
    AddList(argv, "--schema", postgres->schemas);
    for (const auto& [level, patterns] : postgres->tier_tables) {
      std::string spec = std::to_string(level) + "=";
      for (size_t index = 0; index < patterns.size(); ++index) {
        spec += (index > 0 ? "," : "") + patterns[index];
      }
      argv.insert(argv.end(), {"--tier-tables", spec});
    }
    if (postgres->default_tier != 0) {
      argv.insert(argv.end(), {"--default-tier", std::to_string(postgres->default_tier)});
    }
    if (postgres->only_tier != 0) {
      argv.insert(argv.end(), {"--tier", std::to_string(postgres->only_tier)});
    }
    if (postgres->jobs != 0) argv.insert(argv.end(), {"--jobs", std::to_string(postgres->jobs)});
    AddTags(invocation, job);
  } else if (const auto* command = std::get_if<CommandSource>(&job.source)) {
    argv.insert(argv.end(), {"command", "backup", "--name", command->name});
    AddTags(invocation, job);
    argv.push_back("--");
    argv.insert(argv.end(), command->argv.begin(), command->argv.end());
  } else if (const auto* git = std::get_if<GitSource>(&job.source)) {
    argv.insert(argv.end(), {"git", "backup"});
    AddTags(invocation, job);
    argv.insert(argv.end(), {"--", git->repository});
  } else if (const auto* bucket = std::get_if<BucketSource>(&job.source)) {
    argv.insert(argv.end(), {"bucket", "backup"});
    if (!bucket->prefix.empty()) argv.insert(argv.end(), {"--prefix", bucket->prefix});
    AddTags(invocation, job);
    argv.insert(argv.end(), {"--", bucket->url});
  } else if (const auto* env = std::get_if<EnvSource>(&job.source)) {
    argv.insert(argv.end(), {"env", "backup"});
    AddList(argv, "--var", env->AllVariables());
    AddList(argv, "--file", env->files);
    AddTags(invocation, job);
  }
}

std::string Count(int count) {
  return count == ops::kUnlimited ? "unlimited" : std::to_string(count);
}

}  // namespace

std::string Invocation::Display() const {
  std::string text;
  for (size_t index = 0; index < argv.size(); ++index) {
    std::string argument = argv[index];
    const auto secret = argument_secrets.find(index);
    if (secret != argument_secrets.end()) argument = "<" + secret->second.Describe() + ">";
    const bool quote =
        argument.empty() || argument.find_first_of(" \t\"'$\\*?;&|<>()") != std::string::npos;
    if (quote && (secret == argument_secrets.end())) {
      std::string quoted = "'";
      for (char c : argument) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      argument = quoted + "'";
    }
    text += (index > 0 ? " " : "") + argument;
  }
  return text;
}

Invocation BackupInvocation(const Plan& plan, const Job& job) {
  Invocation invocation = Start(plan, &job);
  AddRepository(invocation, plan.Primary(), false);
  AddSource(invocation, job);
  return invocation;
}

Invocation CopyInvocation(const Plan& plan, const Job& job, const Repository& copy) {
  Invocation invocation = Start(plan, &job);
  AddRepository(invocation, copy, false);
  invocation.argv.push_back("copy");
  AddRepository(invocation, plan.Primary(), true);
  invocation.argv.insert(invocation.argv.end(), {"--tag", "job=" + job.name});
  return invocation;
}

Invocation ForgetInvocation(const Plan& plan, const Job& job, const Repository& repository) {
  const ops::RetentionPolicy& policy = plan.RetentionOf(job);
  if (policy.Empty()) return Invocation{};
  Invocation invocation = Start(plan, &job);
  AddRepository(invocation, repository, false);
  std::vector<std::string>& argv = invocation.argv;
  argv.insert(argv.end(), {"forget", "--tag", "job=" + job.name});
  const std::pair<const char*, int> counts[] = {
      {"--keep-last", policy.last},       {"--keep-hourly", policy.hourly},
      {"--keep-daily", policy.daily},     {"--keep-weekly", policy.weekly},
      {"--keep-monthly", policy.monthly}, {"--keep-yearly", policy.yearly}};
  for (const auto& [option, count] : counts) {
    if (count != 0) argv.insert(argv.end(), {option, Count(count)});
  }
  const std::pair<const char*, const ops::KeepDuration*> withins[] = {
      {"--keep-within", &policy.within},
      {"--keep-within-hourly", &policy.within_hourly},
      {"--keep-within-daily", &policy.within_daily},
      {"--keep-within-weekly", &policy.within_weekly},
      {"--keep-within-monthly", &policy.within_monthly},
      {"--keep-within-yearly", &policy.within_yearly}};
  for (const auto& [option, duration] : withins) {
    if (!duration->zero()) argv.insert(argv.end(), {option, duration->ToString()});
  }
  return invocation;
}

Invocation PruneInvocation(const Plan& plan, const Repository& repository) {
  Invocation invocation = Start(plan, nullptr);
  AddRepository(invocation, repository, false);
  invocation.argv.push_back("prune");
  return invocation;
}

}  // namespace lifeboat::plan
