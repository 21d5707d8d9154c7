// The plan's sections after the jobs: prune, daemon, audit, alerts, drills, recovery profiles
// and the runbook (plan_loader.cc reads the repositories, tiers and jobs they refer to).
#include <algorithm>
#include <set>

#include "lifeboat/plan/plan_reader.h"

namespace lifeboat::plan::detail {

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

}  // namespace lifeboat::plan::detail
