// Plan: the declarative disaster-recovery plan of one application stack, as docs/PLAN.md
// specifies its YAML: repositories (a primary and offsite copies), tiers with recovery
// objectives and default retention, jobs (one source each, a schedule, hooks, copy targets),
// prune, daemon settings, the audit log, and — parsed and validated, acted on by later work —
// alerts, drills, recovery profiles and runbook notes.
//
// A Plan is what plan_loader.h produces after validation: every reference resolved (a job's
// tier and copy targets exist, its schedule parsed, its zone loaded), every default filled in,
// so the daemon, `lifeboat run` and `lifeboat status` read fields without checking them again.
// Secrets never appear: a SecretSource names where a secret comes from (a variable, a file, a
// command) and holds a value only for the inline form the plan must acknowledge as insecure.
//
// Plain data; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "lifeboat/ops/retention.h"
#include "lifeboat/plan/cron.h"
#include "lifeboat/plan/time_zone.h"

namespace lifeboat::plan {

// 1-based line and column of a value in the plan file, for messages about it.
struct Position {
  int line = 0;
  int column = 0;
};

// Where a secret (or a value that may hold one, like a connection string) comes from.
struct SecretSource {
  enum class Kind {
    kNone,     // not given
    kLiteral,  // a plain value in the plan that is not a secret (a connection string without a
               // password, a public URL)
    kEnv,      // the named environment variable of the process running the job
    kFile,     // the content of the file (one trailing newline removed)
    kCommand,  // the standard output of `/bin/sh -c COMMAND` (one trailing newline removed)
    kInline,   // a secret written into the plan, with `insecure_inline: true`
  };
  Kind kind = Kind::kNone;
  // The variable name, path, command, literal or inline secret.
  std::string value;

  bool given() const { return kind != Kind::kNone; }
  // "env DATABASE_URL", "file /etc/lifeboat/password", "command \"pass show x\"",
  // "literal \"host=db dbname=app\"", "inline (insecure)": never an inline secret's value.
  std::string Describe() const;
};

struct Repository {
  std::string name;
  Position at;
  bool primary = false;
  std::string location;  // a local path or s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX]
  // Backend options, as `-o KEY=VALUE` takes them: "s3.storage-class" -> "STANDARD_IA".
  std::map<std::string, std::string> options;
  SecretSource password;
};

struct Tier {
  std::string name;
  Position at;
  int level = 0;  // 1 is the most critical; tiers run in ascending level
  int64_t rpo_seconds = 0;
  int64_t rto_seconds = 0;
  // A job of the tier is stale when its last successful backup is older than this (default:
  // the RPO); status and the backup_stale alert use it.
  int64_t stale_after_seconds = 0;
  ops::RetentionPolicy retention;  // may be Empty(): nothing is forgotten
};

struct Hook {
  std::string command;  // run with /bin/sh -c
  int64_t timeout_seconds = 300;
};

// `lifeboat backup PATHS... --exclude PATTERN...`
struct FilesSource {
  std::vector<std::string> paths;
  std::vector<std::string> excludes;
};

// `lifeboat pg backup --dbname CONNINFO --table ... --exclude-table ... --tier-tables N=...`
struct PostgresSource {
  SecretSource connection;  // kLiteral, kEnv, kFile, kCommand or kInline
  SecretSource password;    // optional; given to the job as PGPASSWORD
  std::vector<std::string> tables;
  std::vector<std::string> exclude_tables;
  std::vector<std::string> exclude_table_data;
  std::vector<std::string> schemas;
  // Tier level -> table patterns, from `tier_tables: {TIER-NAME: [PATTERN...]}`.
  std::map<int, std::vector<std::string>> tier_tables;
  int default_tier = 0;  // level of the tables tier_tables does not name; 0: unset
  int only_tier = 0;     // back up only the tables of this level; 0: all
  int jobs = 0;          // connections copying at once; 0: the command's default
};

// `lifeboat command backup --name NAME -- ARGV...`
struct CommandSource {
  std::vector<std::string> argv;  // a plan string becomes {"/bin/sh", "-c", string}
  std::string name;               // the file name the output is stored under
};

// `lifeboat git backup PATH`
struct GitSource {
  std::string repository;
};

// `lifeboat bucket backup URL --prefix PREFIX`
struct BucketSource {
  std::string url;  // s3:http(s)://HOST[:PORT]/BUCKET
  std::string prefix;
};

// `lifeboat env backup --var NAME... --file PATH...`: names only, never values.
struct EnvSource {
  std::vector<std::string> variables;
  // Service -> the variables whose presence implies it ("stripe" -> {"STRIPE_SECRET_KEY"}).
  std::map<std::string, std::vector<std::string>> services;
  std::vector<std::string> files;

  // Every variable, those of `variables` first, then the services' in service order, each once.
  std::vector<std::string> AllVariables() const;
};

using Source =
    std::variant<FilesSource, PostgresSource, CommandSource, GitSource, BucketSource, EnvSource>;
// "files", "postgres", "command", "git", "bucket", "env".
std::string SourceKindName(const Source& source);
// One line about a source for `plan show`, never a secret: "files /srv/uploads, /srv/logs
// (excluding *.tmp)", "postgres env DATABASE_URL, tables users, dumps".
std::string SourceSummary(const Source& source);

struct Schedule {
  CronSchedule cron;
  TimeZone zone;
};

struct Job {
  std::string name;
  Position at;
  std::string tier;  // a key of Plan::tiers
  Schedule schedule;
  // The job's own policy, or its tier's when not given.
  std::optional<ops::RetentionPolicy> retention;
  std::vector<std::string> copy_to;  // names of copy repositories
  std::vector<Hook> before;
  std::vector<Hook> after;
  std::vector<std::string> tags;  // added to every snapshot, besides "job=NAME"
  Source source;
};

struct PruneSettings {
  std::optional<Schedule> schedule;  // none: prune is never scheduled
  // Repositories pruned: every one by default.
  std::vector<std::string> repositories;
};

enum class MissedRunPolicy { kRunOnceAtStart, kSkip };
enum class LogFormat { kText, kJson };

struct DaemonSettings {
  MissedRunPolicy missed_runs = MissedRunPolicy::kRunOnceAtStart;
  int retry_attempts = 3;  // retries after a failed run, before it is reported
  int64_t retry_initial_backoff_seconds = 60;
  int64_t retry_max_backoff_seconds = 3600;
  int64_t shutdown_grace_seconds = 300;
  LogFormat log_format = LogFormat::kText;
  int max_parallel_jobs = 1;
};

struct AuditSettings {
  std::string sqlite_path;  // empty: the documented default ($XDG_STATE_HOME/lifeboat/audit.db)
  SecretSource postgres;    // optional second sink
  std::string postgres_table = "backup_audit_log";
};

struct AlertChannel {
  enum class Type { kWebhook, kSlack, kEmail, kCommand };
  std::string name;
  Position at;
  Type type = Type::kWebhook;
  SecretSource url;             // webhook, slack
  std::vector<std::string> to;  // email
  std::string from;             // email
  std::string smtp_server;      // email: host[:port]
  std::string smtp_user;        // email
  SecretSource smtp_password;   // email
  std::string command;          // command: run with /bin/sh -c, the alert as JSON on stdin
};

struct AlertRule {
  enum class Event {
    kBackupFailed,
    kBackupStale,
    kDrillFailed,
    kRepositoryUnreachable,
    kDiskUsage,
    kDatabaseUnreachable,
    kHttpCheck,
  };
  enum class Severity { kCritical, kWarning, kInfo };
  Position at;
  Event event = Event::kBackupFailed;
  Severity severity = Severity::kCritical;
  std::vector<std::string> channels;
  std::vector<std::string> jobs;  // empty: every job (events about jobs only)
  // backup_stale: the job's tier's stale_after when 0.
  int64_t threshold_seconds = 0;
  // disk_usage
  std::string path;
  int percent = 0;
  // database_unreachable: a postgres job's connection, or its own.
  std::string job;
  SecretSource connection;
  // http_check
  std::string url;
  int expect_status = 200;
  // Checks (disk_usage, database_unreachable, http_check, repository_unreachable) run this often.
  int64_t interval_seconds = 300;
  int64_t timeout_seconds = 10;
};

struct DrillQuery {
  std::string sql;
  std::optional<std::string> expect;       // the first column of the first row, as text
  std::optional<int64_t> expect_at_least;  // ... as a number, at least this
};

// Where a restore goes: a directory, a scratch database or a bucket.
struct RestoreTarget {
  enum class Kind { kDirectory, kPostgres, kBucket };
  Kind kind = Kind::kDirectory;
  std::string directory;
  SecretSource postgres;
  std::string bucket;  // s3:http(s)://HOST[:PORT]/BUCKET
};

struct Drill {
  std::string name;
  Position at;
  std::string job;
  Schedule schedule;
  RestoreTarget target;
  std::vector<DrillQuery> queries;
  int64_t rto_seconds = 0;  // the job's tier's RTO when not given
};

struct RecoveryProfile {
  std::string name;
  Position at;
  std::string description;
  // Job -> where it is restored, in the order the plan lists them.
  std::vector<std::pair<std::string, RestoreTarget>> targets;
};

struct Runbook {
  std::string notes;
  std::vector<std::string> contacts;
  std::vector<std::string> links;
};

struct Plan {
  std::string file;  // the file it was loaded from, for messages
  int version = 1;
  std::vector<Repository> repositories;  // in plan order; exactly one is primary
  std::vector<Tier> tiers;               // sorted by level
  std::vector<Job> jobs;                 // in plan order
  PruneSettings prune;
  DaemonSettings daemon;
  AuditSettings audit;
  std::vector<AlertChannel> alert_channels;
  std::vector<AlertRule> alert_rules;
  std::vector<Drill> drills;
  std::vector<RecoveryProfile> recovery_profiles;
  Runbook runbook;

  const Repository& Primary() const;
  const Repository* FindRepository(std::string_view name) const;
  const Tier* FindTier(std::string_view name) const;
  const Job* FindJob(std::string_view name) const;
  // The tier a job names (validated to exist).
  const Tier& TierOf(const Job& job) const;
  // The job's own retention, else its tier's.
  const ops::RetentionPolicy& RetentionOf(const Job& job) const;
};

// "30s", "15m", "4h", "2d", "1w", or combinations in decreasing units ("1h30m"); lowercase.
// kInvalidArgument for a number without a unit and anything else.
Result<int64_t> ParseDuration(std::string_view text);
// Text ParseDuration reads back: "1h30m", "26h", "48h", "3d", "1w", "0s" (hours below 3 days).
std::string FormatDuration(int64_t seconds);

}  // namespace lifeboat::plan
