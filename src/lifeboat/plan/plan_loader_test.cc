#include "lifeboat/plan/plan_loader.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace lifeboat::plan {
namespace {

// A small valid plan; the broken plans below each change one thing.
constexpr const char* kValid = R"(version: 1
repositories:
  main:
    location: /srv/backup
    password: {env: LIFEBOAT_PASSWORD}
tiers:
  critical:
    rpo: 24h
    rto: 4h
jobs:
  - name: db
    tier: critical
    schedule: "0 2 * * *"
    files:
      paths: [/srv/data]
)";

TEST(PlanLoader, LoadsTheSmallestPlanWithDefaults) {
  Result<Plan> plan = LoadPlanFromString(kValid, "plan.yaml");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->repositories.size(), 1u);
  EXPECT_TRUE(plan->repositories[0].primary);  // the only repository is the primary
  EXPECT_EQ(plan->Primary().password.Describe(), "env LIFEBOAT_PASSWORD");
  ASSERT_EQ(plan->tiers.size(), 1u);
  EXPECT_EQ(plan->tiers[0].level, 1);
  EXPECT_EQ(plan->tiers[0].rpo_seconds, 86400);
  EXPECT_EQ(plan->tiers[0].rto_seconds, 4 * 3600);
  EXPECT_EQ(plan->tiers[0].stale_after_seconds, 86400);  // defaults to the RPO
  ASSERT_EQ(plan->jobs.size(), 1u);
  const Job& job = plan->jobs[0];
  EXPECT_EQ(job.name, "db");
  EXPECT_EQ(job.at.line, 11);
  EXPECT_EQ(job.schedule.cron.text(), "0 2 * * *");
  EXPECT_EQ(job.schedule.zone.name(), "UTC");
  EXPECT_TRUE(job.copy_to.empty());
  EXPECT_TRUE(plan->RetentionOf(job).Empty());
  EXPECT_EQ(std::get<FilesSource>(job.source).paths, std::vector<std::string>{"/srv/data"});
  EXPECT_EQ(plan->daemon.missed_runs, MissedRunPolicy::kRunOnceAtStart);
  EXPECT_EQ(plan->daemon.retry_attempts, 3);
  EXPECT_FALSE(plan->prune.schedule.has_value());
}

struct BrokenPlan {
  const char* name;
  std::string text;
  std::string error;  // "line:column: message" of the first error
  std::string hint;
};

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::vector<BrokenPlan> BrokenPlans() {
  const std::string valid = kValid;
  return {
      {"YamlSyntax", Replace(valid, "    rto: 4h\n", "    rto: [4h\n"),
       "10:5: invalid YAML: end of sequence flow not found",
       "check the indentation and quoting near this place"},
      {"NotAMap", "- just\n- a list\n",
       "1:1: a plan must be a map with version, repositories, tiers and jobs",
       "see docs/PLAN.md and examples/"},
      {"NoVersion", Replace(valid, "version: 1\n", ""), "1:1: the plan has no version",
       "add \"version: 1\" at the top"},
      {"FutureVersion", Replace(valid, "version: 1", "version: 2"),
       "1:10: unsupported plan version 2", "this lifeboat reads version 1"},
      {"UnknownTopLevelKey", valid + "alert:\n  rules: []\n",
       "16:1: unknown key \"alert\" in the plan", "did you mean \"alerts\"?"},
      {"UnknownJobKey", Replace(valid, "    schedule:", "    schedul:"),
       "13:5: unknown key \"schedul\" in a job", "did you mean \"schedule\"?"},
      {"UnknownKeyFarFromAny",
       Replace(valid, "    tier: critical\n", "    tier: critical\n    colour: red\n"),
       "13:5: unknown key \"colour\" in a job",
       "the keys of a job are: name, tier, schedule, timezone, retention, copy_to, before, after, "
       "tags, files, postgres, command, git, bucket, env"},
      {"JobsNotAList", Replace(Replace(valid, "  - name: db", "  db:\n    name: db"), "", ""),
       "11:3: jobs must be a list, not a map", "one \"- name: ...\" item per job"},
      {"PathsNotAList", Replace(valid, "paths: [/srv/data]", "paths: /srv/data"),
       "15:14: job \"db\" files paths must be a list, not a value",
       "write [a, b] or one \"- item\" per line"},
      {"JobWithoutSchedule", Replace(valid, "    schedule: \"0 2 * * *\"\n", ""),
       "11:5: job \"db\" has no schedule",
       "add schedule: \"0 2 * * *\" (minute hour day-of-month month day-of-week)"},
      {"CronMinuteOutOfRange", Replace(valid, "\"0 2 * * *\"", "\"61 2 * * *\""),
       "13:15: job \"db\": minute field \"61\" of cron expression \"61 2 * * *\": 61 is out of "
       "range 0-59",
       "a cron expression is 5 fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 "
       "or jan-dec) day-of-week (0-7 or sun-sat); e.g. \"0 2 * * *\" is daily at 02:00"},
      {"CronTooFewFields", Replace(valid, "\"0 2 * * *\"", "\"0 2 * *\""),
       "13:15: job \"db\": cron expression \"0 2 * *\" has 4 fields; expected 5: minute hour "
       "day-of-month month day-of-week",
       "a cron expression is 5 fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 "
       "or jan-dec) day-of-week (0-7 or sun-sat); e.g. \"0 2 * * *\" is daily at 02:00"},
      {"CronBadWeekdayName", Replace(valid, "\"0 2 * * *\"", "\"0 2 * * mon-fry\""),
       "13:15: job \"db\": day-of-week field \"mon-fry\" of cron expression \"0 2 * * mon-fry\": "
       "\"fry\" is neither a number 0-7 nor a day name (sun-sat)",
       "a cron expression is 5 fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 "
       "or jan-dec) day-of-week (0-7 or sun-sat); e.g. \"0 2 * * *\" is daily at 02:00"},
      {"DurationWithoutUnit", Replace(valid, "rpo: 24h", "rpo: 24"),
       "8:10: tier \"critical\" rpo: duration \"24\" has no unit",
       "add a unit: s (seconds), m (minutes), h (hours), d (days) or w (weeks), e.g. 24h"},
      {"DurationBadUnit", Replace(valid, "rto: 4h", "rto: 4y"),
       "9:10: tier \"critical\" rto: invalid duration \"4y\": unknown unit \"y\" (use s, m, h, d "
       "or w)",
       "units: s, m, h, d, w; e.g. 30s, 15m, 4h, 2d, 1h30m"},
      {"TierWithoutRto", Replace(valid, "    rto: 4h\n", ""), "7:3: tier \"critical\" has no rto",
       "rto: how long a recovery may take, e.g. rto: 4h"},
      {"UnknownTier", Replace(valid, "tier: critical", "tier: critcal"),
       "12:11: job \"db\" names unknown tier \"critcal\"", "did you mean \"critical\"?"},
      {"DuplicateJobName",
       valid + "  - name: db\n    tier: critical\n    schedule: \"@daily\"\n"
               "    git: {repository: /srv/code}\n",
       "16:11: duplicate job name \"db\"", "the first is at line 11; each job needs its own name"},
      {"UnknownCopyTarget", Replace(valid, "    files:", "    copy_to: [ofsite]\n    files:"),
       "14:15: job \"db\" copies to unknown repository \"ofsite\"", "repositories: main"},
      {"CopyToPrimary", Replace(valid, "    files:", "    copy_to: [main]\n    files:"),
       "14:15: job \"db\" copies to \"main\", the primary repository",
       "every job backs up to the primary; copy_to lists the copies (none declared)"},
      {"InlinePasswordWithoutAcknowledgement",
       Replace(valid, "{env: LIFEBOAT_PASSWORD}", "{value: hunter2}"),
       "5:23: repository \"main\" password is written into the plan without insecure_inline: true",
       "anyone who can read the plan can read the secret; prefer {env: VAR}, {file: PATH} or "
       "{command: \"...\"}, or add insecure_inline: true"},
      {"PasswordAsPlainString", Replace(valid, "{env: LIFEBOAT_PASSWORD}", "hunter2"),
       "5:15: repository \"main\" password must not be written into the plan",
       "give {env: VAR}, {file: PATH} or {command: \"...\"}; an inline secret needs {value: ..., "
       "insecure_inline: true}"},
      {"PasswordTwoSources",
       Replace(valid, "{env: LIFEBOAT_PASSWORD}", "{env: A, file: /etc/password}"),
       "5:15: repository \"main\" password must give exactly one of env, file, command or value",
       "give {env: VAR}, {file: PATH} or {command: \"...\"}"},
      {"UnknownTimeZone", Replace(valid, "    files:", "    timezone: Europe/Berlln\n    files:"),
       "14:15: job \"db\": unknown time zone \"Europe/Berlln\"",
       "give a name from the tz database, e.g. Europe/Berlin, America/New_York or UTC"},
      {"TwoSources", Replace(valid, "    files:", "    git: {repository: /srv/code}\n    files:"),
       "14:5: job \"db\" has more than one source (files, git)",
       "a job backs up one source; split it into one job per source"},
      {"NoSource", Replace(valid, "    files:\n      paths: [/srv/data]\n", ""),
       "11:5: job \"db\" has no source",
       "give one of files, postgres, command, git, bucket or env"},
      {"RetentionBadCount",
       Replace(valid, "    files:", "    retention: {keep_daily: many}\n    files:"),
       "14:29: job \"db\" retention keep_daily must be a whole number, not \"many\"",
       "write digits only, e.g. 7"},
      {"RetentionUnknownKey",
       Replace(valid, "    files:", "    retention: {keep_dayly: 7}\n    files:"),
       "14:17: unknown key \"keep_dayly\" in job \"db\" retention", "did you mean \"keep_daily\"?"},
      {"ConnectionWithPassword",
       Replace(valid, "    files:\n      paths: [/srv/data]\n",
               "    postgres:\n      connection: \"postgresql://app:s3cret@db/app\"\n"),
       "15:19: job \"db\" postgres connection holds a password",
       "move the password to password: {env: VAR} (or the whole string to connection: {env: "
       "DATABASE_URL})"},
      {"UnknownTierInTierTables",
       Replace(valid, "    files:\n      paths: [/srv/data]\n",
               "    postgres:\n      connection: {env: DATABASE_URL}\n      tier_tables:\n"
               "        gold: [users]\n"),
       "17:9: job \"db\" postgres tier_tables names unknown tier \"gold\"", "tiers: critical"},
      {"HookWithoutCommand",
       Replace(valid, "    files:", "    before:\n      - {timeout: 1m}\n    files:"),
       "15:9: a hook of job \"db\" before has no command", "add command: ..."},
      {"NoPrimary",
       Replace(valid, "    password: {env: LIFEBOAT_PASSWORD}\n",
               "    password: {env: LIFEBOAT_PASSWORD}\n  other:\n    location: /srv/other\n"
               "    password: {env: OTHER}\n"),
       "3:3: no repository is the primary",
       "mark the one every job backs up to with primary: true; the others are copies"},
      {"OptionOnLocalRepository",
       Replace(valid, "    location: /srv/backup\n",
               "    location: /srv/backup\n    options: {s3.storage-class: GLACIER}\n"),
       "5:15: option \"s3.storage-class\" of repository \"main\" needs an s3: location",
       "backend options apply to repositories on S3; remove options here"},
      {"UnknownMissedRunPolicy", valid + "daemon:\n  missed_runs: catch_up\n",
       "17:16: daemon missed_runs \"catch_up\" is not one of run_once_at_start, skip",
       "docs/PLAN.md lists every key of a plan with its type and an example"},
      {"AlertUnknownChannel",
       valid + "alerts:\n  channels:\n    mail: {type: email, to: [ops@example.com]}\n  rules:\n"
               "    - {event: backup_failed, channels: [slack]}\n",
       "20:41: alert rule backup_failed names unknown channel \"slack\"", "channels: mail"},
      {"AlertDiskPercentOutOfRange",
       valid + "alerts:\n  channels:\n    mail: {type: email, to: [ops@example.com]}\n  rules:\n"
               "    - {event: disk_usage, path: /, percent: 120, channels: [mail]}\n",
       "20:45: alert rule disk_usage percent must be from 1 to 100, not 120",
       "docs/PLAN.md lists every key of a plan with its type and an example"},
      {"DrillUnknownJob",
       valid + "drills:\n  - name: monthly\n    job: database\n    schedule: \"0 9 1 * *\"\n"
               "    target: {directory: /tmp/drill}\n",
       "18:10: drill \"monthly\" names unknown job \"database\"", "jobs: db"},
      {"DuplicateYamlKey", Replace(valid, "    rto: 4h\n", "    rto: 4h\n    rto: 2h\n"),
       "10:5: duplicate key \"rto\" in tier \"critical\"",
       "the first is at line 9; a key may appear once"},
  };
}

class BrokenPlanTest : public testing::TestWithParam<BrokenPlan> {};

TEST_P(BrokenPlanTest, ReportsTheExactErrorAndPlace) {
  const BrokenPlan& broken = GetParam();
  PlanLoad load = ParsePlan(broken.text, "plan.yaml");
  ASSERT_FALSE(load.plan.has_value()) << broken.name;
  ASSERT_FALSE(load.errors.empty());
  const PlanError& error = load.errors.front();
  EXPECT_EQ(error.file, "plan.yaml");
  EXPECT_EQ(
      std::to_string(error.at.line) + ":" + std::to_string(error.at.column) + ": " + error.message,
      broken.error);
  EXPECT_EQ(error.hint, broken.hint);
  EXPECT_FALSE(error.hint.empty());
  // The broken plans change one thing each: one error, not a cascade.
  EXPECT_EQ(load.errors.size(), 1u) << load.errors.back().ToString();
}

INSTANTIATE_TEST_SUITE_P(PlanLoader, BrokenPlanTest, testing::ValuesIn(BrokenPlans()),
                         [](const testing::TestParamInfo<BrokenPlan>& info) {
                           return std::string(info.param.name);
                         });

TEST(PlanLoader, ReportsEveryErrorInOneRun) {
  std::string text = kValid;
  text = Replace(text, "rpo: 24h", "rpo: 24");
  text = Replace(text, "    schedul", "    schedul");
  text = Replace(text, "\"0 2 * * *\"", "\"0 25 * * *\"");
  PlanLoad load = ParsePlan(text, "p.yaml");
  ASSERT_EQ(load.errors.size(), 2u);
  EXPECT_EQ(load.errors[0].ToString(),
            "p.yaml:8:10: tier \"critical\" rpo: duration \"24\" has no unit\nhint: add a unit: s "
            "(seconds), m (minutes), h (hours), d (days) or w (weeks), e.g. 24h");
  EXPECT_EQ(load.errors[1].Location(), "p.yaml:13:15");
  const Status status = ErrorsToStatus(load.errors);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "p.yaml:8:10: tier \"critical\" rpo: duration \"24\" has no unit (and 1 more error)");
}

TEST(PlanLoader, AReferenceToABrokenJobIsNotReportedAgain) {
  std::string text = Replace(kValid, "tier: critical", "tier: platinum");
  text += "drills:\n  - {name: d, job: db, schedule: \"@monthly\", target: {directory: /tmp}}\n";
  PlanLoad load = ParsePlan(text, "p.yaml");
  ASSERT_EQ(load.errors.size(), 1u) << load.errors.back().ToString();
  EXPECT_EQ(load.errors[0].message, "job \"db\" names unknown tier \"platinum\"");
}

TEST(PlanLoader, MissingFileIsOneErrorWithoutPosition) {
  PlanLoad load = ReadPlan("/nonexistent/plan.yaml");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].ToString(),
            "/nonexistent/plan.yaml: cannot read the plan file\nhint: check the path and its "
            "permissions");
}

TEST(PlanLoader, InlinePasswordWithAcknowledgementIsAcceptedButNeverDescribed) {
  Result<Plan> plan = LoadPlanFromString(
      Replace(kValid, "{env: LIFEBOAT_PASSWORD}", "{value: hunter2, insecure_inline: true}"));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->Primary().password.kind, SecretSource::Kind::kInline);
  EXPECT_EQ(plan->Primary().password.value, "hunter2");
  EXPECT_EQ(plan->Primary().password.Describe(), "inline (insecure)");
}

TEST(PlanLoader, DurationsRoundTrip) {
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {"30s", 30},    {"15m", 900},   {"4h", 14400},   {"48h", 172800},
      {"3d", 259200}, {"1w", 604800}, {"1h30m", 5400}, {"0s", 0}};
  for (const auto& [text, seconds] : cases) {
    Result<int64_t> parsed = ParseDuration(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(*parsed, seconds) << text;
    EXPECT_EQ(FormatDuration(seconds), text);
  }
  EXPECT_EQ(FormatDuration(10 * 86400), "10d");
  EXPECT_EQ(FormatDuration(26 * 3600), "26h");
  EXPECT_EQ(FormatDuration(3 * 86400 + 3600), "3d1h");
  EXPECT_EQ(*ParseDuration("2d"), 172800);
  EXPECT_EQ(
      ParseDuration("30m1h").status().message(),
      "invalid duration \"30m1h\": units must go from the largest to the smallest, each once");
  EXPECT_EQ(ParseDuration("h").status().message(),
            "invalid duration \"h\": expected a number followed by a unit (s, m, h, d or w)");
}

}  // namespace
}  // namespace lifeboat::plan
