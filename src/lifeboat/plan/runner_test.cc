#include "lifeboat/plan/runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "lifeboat/ops/audit.h"
#include "lifeboat/plan/event_log.h"
#include "lifeboat/plan/plan_loader.h"
#include "lifeboat/plan/status.h"

namespace lifeboat::plan {
namespace {

constexpr int64_t kNoon = 1'795'000'000;  // 2026-11-18T11:06:40Z; only differences matter

class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/lifeboat-runner-test-XXXXXX";
    path_ = mkdtemp(templ);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Plan Load(const std::string& text) {
  Result<Plan> plan = LoadPlanFromString(text);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return *plan;
}

TEST(EventLog, TextQuotesOnlyWhatWouldBeMisread) {
  EXPECT_EQ(EventLog::Format(LogFormat::kText, kNoon * 1'000'000'000LL, "job_finished",
                             {{"task", "db"}, {"error", "exit 1: a=b"}, {"empty", ""}}),
            "2026-11-18T11:06:40Z job_finished task=db error=\"exit 1: a=b\" empty=\"\"");
  EXPECT_EQ(EventLog::Format(LogFormat::kText, kNoon * 1'000'000'000LL, "x",
                             {{"error", "two\nlines \"quoted\""}}),
            "2026-11-18T11:06:40Z x error=\"two\\nlines \\\"quoted\\\"\"");
}

TEST(EventLog, JsonIsOneObjectWithFieldsInOrder) {
  EXPECT_EQ(EventLog::Format(LogFormat::kJson, kNoon * 1'000'000'000LL, "job_started",
                             {{"task", "db"}, {"tier", "gold"}}),
            R"({"time":"2026-11-18T11:06:40Z","event":"job_started","task":"db","tier":"gold"})");
}

TEST(ResolveSecret, NamesTheSourceNeverTheValue) {
  unsetenv("LIFEBOAT_RUNNER_TEST_UNSET");
  Result<std::string> missing =
      ResolveSecret({SecretSource::Kind::kEnv, "LIFEBOAT_RUNNER_TEST_UNSET"}, "LIFEBOAT_PASSWORD");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "the variable LIFEBOAT_RUNNER_TEST_UNSET that holds LIFEBOAT_PASSWORD is not set");

  setenv("LIFEBOAT_RUNNER_TEST_SET", "s3cret", 1);
  EXPECT_EQ(*ResolveSecret({SecretSource::Kind::kEnv, "LIFEBOAT_RUNNER_TEST_SET"}, "x"), "s3cret");

  TempDir dir;
  const std::string file = dir.path() + "/password";
  std::ofstream(file) << "from-file\n";
  EXPECT_EQ(*ResolveSecret({SecretSource::Kind::kFile, file}, "x"), "from-file");
  Result<std::string> unreadable =
      ResolveSecret({SecretSource::Kind::kFile, dir.path() + "/none"}, "the password");
  ASSERT_FALSE(unreadable.ok());
  EXPECT_EQ(unreadable.status().message(),
            "cannot read the password (file " + dir.path() + "/none)");

  EXPECT_EQ(*ResolveSecret({SecretSource::Kind::kCommand, "printf 'out\\n'"}, "x"), "out");
  Result<std::string> failing = ResolveSecret(
      {SecretSource::Kind::kCommand, "echo $LIFEBOAT_RUNNER_TEST_SET; exit 3"}, "the password");
  ASSERT_FALSE(failing.ok());
  EXPECT_NE(failing.status().message().find("the command for the password"), std::string::npos);
  EXPECT_EQ(failing.status().message().find("s3cret"), std::string::npos);
}

constexpr const char* kHookPlan = R"(version: 1
repositories:
  main: {location: /nonexistent/repository, password: {env: P}}
tiers:
  gold: {level: 1, rpo: 1h, rto: 15m}
jobs:
  - name: db
    tier: gold
    schedule: "0 * * * *"
    before:
      - {command: "sleep 30", timeout: 1s}
    after:
      - {command: "echo $LIFEBOAT_JOB_STATUS > %DIR%/after", timeout: 10s}
    files: {paths: [/srv/db]}
)";

TEST(JobRunner, AHookThatTimesOutStopsTheBackupButNotTheAfterHooks) {
  TempDir dir;
  std::string text = kHookPlan;
  text.replace(text.find("%DIR%"), 5, dir.path());
  const Plan plan = Load(text);
  JobRunner runner(RunnerOptions{.executable = "/nonexistent/lifeboat"});
  const JobOutcome outcome = runner.RunJob(plan, plan.jobs[0]);
  EXPECT_EQ(outcome.status, RunStatus::kFailed);
  EXPECT_EQ(outcome.error, "before hook 1: timed out after 1s");
  ASSERT_EQ(outcome.steps.size(), 3u);
  EXPECT_EQ(outcome.steps[1].step, "backup");
  EXPECT_EQ(outcome.steps[1].error, "not started: a before hook failed");
  EXPECT_EQ(outcome.steps[2].step, "after hook 1");
  EXPECT_EQ(outcome.steps[2].status, RunStatus::kSuccess);
  std::ifstream after(dir.path() + "/after");
  std::string word;
  after >> word;
  EXPECT_EQ(word, "failed");
}

constexpr const char* kStatusPlan = R"(version: 1
repositories:
  main: {location: /srv/backup, password: {env: P}}
tiers:
  gold: {level: 1, rpo: 1h, rto: 15m}
  bronze: {level: 2, rpo: 1d, rto: 4h, stale_after: 2d}
jobs:
  - {name: db, tier: gold, schedule: "0 * * * *", files: {paths: [/srv/db]}}
  - {name: logs, tier: bronze, schedule: "0 3 * * *", files: {paths: [/srv/logs]}}
  - {name: media, tier: bronze, schedule: "0 3 * * *", files: {paths: [/srv/media]}}
  - {name: new, tier: gold, schedule: "0 3 * * *", files: {paths: [/srv/new]}}
)";

ops::AuditRecord Record(const std::string& operation, const std::string& job,
                        const std::string& status, int64_t finished_seconds) {
  ops::AuditRecord record;
  record.operation = operation;
  record.job = job;
  record.status = status;
  record.started_at = ops::FormatAuditTime(finished_seconds * 1'000'000'000LL);
  record.finished_at = record.started_at;
  record.snapshot_id = std::string(64, 'a');
  record.bytes_total = 1000;
  return record;
}

TEST(JobStatuses, AgeAgainstTheThresholdAndTheLatestRun) {
  TempDir dir;
  auto audit = ops::AuditLog::Open(dir.path() + "/audit.db");
  ASSERT_TRUE(audit.ok());
  ops::AuditLog& log = **audit;
  // db: backed up 30 minutes ago (fresh), its latest run failed after that.
  ASSERT_TRUE(log.Append(Record("backup", "db", "success", kNoon - 1800)).ok());
  ASSERT_TRUE(log.Append(Record("backup", "db", "failed", kNoon - 60)).ok());
  // logs: a pg-style backup 3 days ago: older than its 2d threshold.
  ASSERT_TRUE(log.Append(Record("command backup", "logs", "success", kNoon - 3 * 86400)).ok());
  // media: a partial backup counts as a success; a copy is not a backup.
  ASSERT_TRUE(log.Append(Record("bucket backup", "media", "partial", kNoon - 3600)).ok());
  ASSERT_TRUE(log.Append(Record("copy", "media", "success", kNoon - 60)).ok());
  ASSERT_TRUE(log.Append(Record("drill", "media", "failed", kNoon - 30)).ok());

  const Plan plan = Load(kStatusPlan);
  Result<std::vector<JobStatus>> statuses = JobStatuses(plan, log, kNoon);
  ASSERT_TRUE(statuses.ok()) << statuses.status().ToString();
  ASSERT_EQ(statuses->size(), 4u);
  const JobStatus& db = (*statuses)[0];
  EXPECT_EQ(db.state, "failing");
  EXPECT_TRUE(db.fresh);
  EXPECT_EQ(db.age_seconds, 1800);
  EXPECT_EQ(db.stale_after_seconds, 3600);
  const JobStatus& logs = (*statuses)[1];
  EXPECT_EQ(logs.state, "stale");
  EXPECT_FALSE(logs.fresh);
  EXPECT_EQ(logs.age_seconds, 3 * 86400);
  EXPECT_EQ(logs.stale_after_seconds, 2 * 86400);
  const JobStatus& media = (*statuses)[2];
  EXPECT_EQ(media.state, "ok");
  EXPECT_EQ(media.last_success->operation, "bucket backup");
  ASSERT_TRUE(media.last_drill.has_value());
  EXPECT_EQ(media.last_drill->status, "failed");
  const JobStatus& never = (*statuses)[3];
  EXPECT_EQ(never.state, "never");
  EXPECT_FALSE(never.fresh);
  EXPECT_EQ(never.age_seconds, -1);
}

TEST(JobStatuses, BackupOperations) {
  EXPECT_TRUE(IsBackupOperation("backup"));
  EXPECT_TRUE(IsBackupOperation("pg backup"));
  EXPECT_TRUE(IsBackupOperation("git backup"));
  EXPECT_FALSE(IsBackupOperation("copy"));
  EXPECT_FALSE(IsBackupOperation("forget"));
  EXPECT_FALSE(IsBackupOperation("backup-ish"));
}

}  // namespace
}  // namespace lifeboat::plan
