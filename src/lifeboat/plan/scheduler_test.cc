#include "lifeboat/plan/scheduler.h"

#include <gtest/gtest.h>

#include "lifeboat/plan/plan_loader.h"
#include "lifeboat/util/clock.h"

namespace lifeboat::plan {
namespace {

int64_t Utc(int year, int month, int day, int hour, int minute) {
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60;
}

// Three jobs in two tiers, listed with the less critical one first, and a drill.
constexpr const char* kPlan = R"(version: 1
repositories:
  main: {location: /srv/backup, password: {env: P}}
tiers:
  gold: {level: 1, rpo: 1h, rto: 15m}
  bronze: {level: 2, rpo: 1d, rto: 4h}
jobs:
  - {name: logs, tier: bronze, schedule: "0 3 * * *", files: {paths: [/srv/logs]}}
  - {name: db, tier: gold, schedule: "0 * * * *", git: {repository: /srv/db}}
  - {name: uploads, tier: gold, schedule: "0 3 * * *", files: {paths: [/srv/uploads]}}
drills:
  - {name: restore, job: db, schedule: "30 3 * * *", target: {directory: /tmp/d}}
daemon:
  retry: {attempts: 2, initial_backoff: 1m, max_backoff: 3m}
  max_parallel_jobs: 2
)";

Plan LoadWith(const std::string& extra = "") {
  Result<Plan> plan = LoadPlanFromString(std::string(kPlan) + extra);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return *plan;
}

Plan LoadSkipping() {
  std::string text = kPlan;
  text.replace(text.find("daemon:\n"), 8, "daemon:\n  missed_runs: skip\n");
  Result<Plan> plan = LoadPlanFromString(text);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return *plan;
}

TEST(Scheduler, TasksComeInTierOrderThenDrillsThenPrune) {
  Plan plan = LoadWith("prune: {schedule: \"0 5 * * 0\"}\n");
  std::vector<std::string> ids;
  for (const Task& task : TasksOf(plan)) ids.push_back(task.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"job/db", "job/uploads", "job/logs", "drill/restore",
                                           "prune"}));
}

TEST(Scheduler, DueJobsComeInTierOrderUpToTheParallelLimit) {
  FakeClock clock(Utc(2026, 11, 23, 2, 30) * 1'000'000'000);
  Scheduler scheduler(LoadWith(), clock.NowSeconds(), {});
  EXPECT_TRUE(scheduler.Due(clock.NowSeconds()).empty());
  EXPECT_EQ(scheduler.NextWakeUp(), Utc(2026, 11, 23, 3, 0));
  clock.Set(Utc(2026, 11, 23, 3, 0) * 1'000'000'000);
  // db, uploads and logs are all due at 03:00; tier gold first, two at a time.
  EXPECT_EQ(scheduler.Due(clock.NowSeconds()), (std::vector<std::string>{"job/db", "job/uploads"}));
  scheduler.Started("job/db", clock.NowSeconds());
  scheduler.Started("job/uploads", clock.NowSeconds());
  EXPECT_TRUE(scheduler.Due(clock.NowSeconds()).empty());      // no free slot
  EXPECT_EQ(scheduler.NextWakeUp(), Utc(2026, 11, 23, 3, 0));  // logs waits for a slot
  clock.AdvanceSeconds(120);
  const FinishOutcome outcome = scheduler.Finished("job/db", clock.NowSeconds(), true);
  EXPECT_EQ(outcome.kind, FinishOutcome::Kind::kSucceeded);
  EXPECT_EQ(outcome.next_due, Utc(2026, 11, 23, 4, 0));
  EXPECT_EQ(scheduler.Due(clock.NowSeconds()), std::vector<std::string>{"job/logs"});
}

TEST(Scheduler, AJobNeverRunsTwiceAtOnceAndRunsMissedDuringARunOnceAfterIt) {
  Scheduler scheduler(LoadWith(), Utc(2026, 11, 23, 0, 30), {});
  scheduler.Started("job/db", Utc(2026, 11, 23, 1, 0));
  // The 02:00 and 03:00 runs come due while the 01:00 run is still going: db is not due again,
  // and it holds one of the two slots.
  EXPECT_EQ(scheduler.Due(Utc(2026, 11, 23, 3, 0)), std::vector<std::string>{"job/uploads"});
  const FinishOutcome outcome = scheduler.Finished("job/db", Utc(2026, 11, 23, 3, 10), true);
  EXPECT_EQ(outcome.next_due, Utc(2026, 11, 23, 3, 10));  // once, right after
  scheduler.Started("job/db", Utc(2026, 11, 23, 3, 10));
  EXPECT_EQ(scheduler.Finished("job/db", Utc(2026, 11, 23, 3, 20), true).next_due,
            Utc(2026, 11, 23, 4, 0));
}

TEST(Scheduler, RunsMissedDuringARunAreSkippedWhenThePolicySaysSo) {
  Scheduler scheduler(LoadSkipping(), Utc(2026, 11, 23, 0, 30), {});
  scheduler.Started("job/db", Utc(2026, 11, 23, 1, 0));
  EXPECT_EQ(scheduler.Finished("job/db", Utc(2026, 11, 23, 3, 10), true).next_due,
            Utc(2026, 11, 23, 4, 0));
}

TEST(Scheduler, MissedRunsWhileDownRunOnceAtStart) {
  // The daemon was down from Nov 20 to Nov 23 12:00: db missed ~80 hourly runs, logs 3 daily
  // ones; uploads never ran and waits for its first time; the drill ran recently enough.
  const int64_t start = Utc(2026, 11, 23, 12, 0);
  Scheduler scheduler(LoadWith(), start,
                      {{"job/db", Utc(2026, 11, 20, 4, 0)},
                       {"job/logs", Utc(2026, 11, 20, 3, 0)},
                       {"drill/restore", Utc(2026, 11, 23, 3, 30)}});
  EXPECT_EQ(scheduler.state("job/db").next_due, start);
  EXPECT_EQ(scheduler.state("job/logs").next_due, start);
  EXPECT_EQ(scheduler.state("job/uploads").next_due, Utc(2026, 11, 24, 3, 0));
  EXPECT_EQ(scheduler.state("drill/restore").next_due, Utc(2026, 11, 24, 3, 30));
  EXPECT_EQ(scheduler.Due(start), (std::vector<std::string>{"job/db", "job/logs"}));
  scheduler.Started("job/db", start);
  EXPECT_EQ(scheduler.Finished("job/db", start + 60, true).next_due, Utc(2026, 11, 23, 13, 0));
}

TEST(Scheduler, MissedRunsWhileDownAreSkippedWhenThePolicySaysSo) {
  const int64_t start = Utc(2026, 11, 23, 12, 0);
  Scheduler scheduler(LoadSkipping(), start, {{"job/db", Utc(2026, 11, 20, 4, 0)}});
  EXPECT_TRUE(scheduler.Due(start).empty());
  EXPECT_EQ(scheduler.state("job/db").next_due, Utc(2026, 11, 23, 13, 0));
}

TEST(Scheduler, NothingMissedWhenTheLastRunIsRecent) {
  const int64_t start = Utc(2026, 11, 23, 12, 30);
  Scheduler scheduler(LoadWith(), start, {{"job/db", Utc(2026, 11, 23, 12, 0)}});
  EXPECT_TRUE(scheduler.Due(start).empty());
  EXPECT_EQ(scheduler.state("job/db").next_due, Utc(2026, 11, 23, 13, 0));
}

TEST(Scheduler, FailuresRetryWithDoublingBackoffThenAreReported) {
  // logs runs daily at 03:00; retries: 2, backoff 1m doubling to at most 3m.
  FakeClock clock(Utc(2026, 11, 23, 3, 0) * 1'000'000'000);
  Scheduler scheduler(LoadWith(), Utc(2026, 11, 23, 2, 0), {});
  scheduler.Started("job/logs", clock.NowSeconds());
  clock.AdvanceSeconds(10);
  FinishOutcome outcome = scheduler.Finished("job/logs", clock.NowSeconds(), false);
  EXPECT_EQ(outcome.kind, FinishOutcome::Kind::kRetry);
  EXPECT_EQ(outcome.failures, 1);
  EXPECT_EQ(outcome.next_due, clock.NowSeconds() + 60);
  EXPECT_EQ(scheduler.state("job/logs").next_due, clock.NowSeconds() + 60);

  clock.AdvanceSeconds(60);
  scheduler.Started("job/logs", clock.NowSeconds());
  clock.AdvanceSeconds(10);
  outcome = scheduler.Finished("job/logs", clock.NowSeconds(), false);
  EXPECT_EQ(outcome.kind, FinishOutcome::Kind::kRetry);
  EXPECT_EQ(outcome.failures, 2);
  EXPECT_EQ(outcome.next_due, clock.NowSeconds() + 120);

  clock.AdvanceSeconds(120);
  scheduler.Started("job/logs", clock.NowSeconds());
  clock.AdvanceSeconds(10);
  outcome = scheduler.Finished("job/logs", clock.NowSeconds(), false);
  EXPECT_EQ(outcome.kind, FinishOutcome::Kind::kGaveUp);
  EXPECT_EQ(outcome.failures, 3);
  EXPECT_EQ(outcome.next_due, Utc(2026, 11, 24, 3, 0));
  EXPECT_EQ(scheduler.state("job/logs").failures, 0);
  EXPECT_EQ(scheduler.state("job/logs").last_ok, false);
}

TEST(Scheduler, ASuccessResetsTheFailureCount) {
  Scheduler scheduler(LoadWith(), Utc(2026, 11, 23, 2, 0), {});
  scheduler.Started("job/logs", Utc(2026, 11, 23, 3, 0));
  EXPECT_EQ(scheduler.Finished("job/logs", Utc(2026, 11, 23, 3, 1), false).failures, 1);
  scheduler.Started("job/logs", Utc(2026, 11, 23, 3, 2));
  const FinishOutcome outcome = scheduler.Finished("job/logs", Utc(2026, 11, 23, 3, 3), true);
  EXPECT_EQ(outcome.kind, FinishOutcome::Kind::kSucceeded);
  EXPECT_EQ(outcome.next_due, Utc(2026, 11, 24, 3, 0));
  EXPECT_EQ(scheduler.state("job/logs").failures, 0);
}

TEST(Scheduler, AScheduledRunBeforeTheRetryServesAsTheRetry) {
  // db runs hourly; a failure at 03:59:30 would retry at 04:00:30, but 04:00 comes first.
  Scheduler scheduler(LoadWith(), Utc(2026, 11, 23, 2, 30), {});
  scheduler.Started("job/db", Utc(2026, 11, 23, 3, 0));
  const FinishOutcome outcome = scheduler.Finished("job/db", Utc(2026, 11, 23, 3, 59) + 30, false);
  EXPECT_EQ(outcome.kind, FinishOutcome::Kind::kRetry);
  EXPECT_EQ(outcome.next_due, Utc(2026, 11, 23, 4, 0));
}

TEST(Scheduler, RetryBackoffDoublesUpToTheCap) {
  EXPECT_EQ(RetryBackoff(1, 60, 3600), 60);
  EXPECT_EQ(RetryBackoff(2, 60, 3600), 120);
  EXPECT_EQ(RetryBackoff(3, 60, 3600), 240);
  EXPECT_EQ(RetryBackoff(7, 60, 3600), 3600);
  EXPECT_EQ(RetryBackoff(60, 60, 3600), 3600);  // no overflow
}

TEST(Scheduler, NextWakeUpIsTheEarliestDueTaskNotRunning) {
  Scheduler scheduler(LoadWith(), Utc(2026, 11, 23, 2, 10), {});
  EXPECT_EQ(scheduler.NextWakeUp(), Utc(2026, 11, 23, 3, 0));
  scheduler.Started("job/db", Utc(2026, 11, 23, 3, 0));
  scheduler.Started("job/uploads", Utc(2026, 11, 23, 3, 0));
  EXPECT_EQ(scheduler.NextWakeUp(), Utc(2026, 11, 23, 3, 0));  // logs is due and waiting
  scheduler.Started("job/logs", Utc(2026, 11, 23, 3, 0));
  EXPECT_EQ(scheduler.NextWakeUp(), Utc(2026, 11, 23, 3, 30));  // the drill
}

TEST(Scheduler, FreshnessAgainstTheTierOrTheRule) {
  const Plan plan = LoadWith();
  const Job& db = *plan.FindJob("db");  // tier gold: rpo 1h, so stale after 1h
  const int64_t now = Utc(2026, 11, 23, 12, 0);
  Freshness fresh = FreshnessOf(plan, db, now - 3600, now);
  EXPECT_EQ(fresh.age_seconds, 3600);
  EXPECT_EQ(fresh.threshold_seconds, 3600);
  EXPECT_FALSE(fresh.stale);
  EXPECT_TRUE(FreshnessOf(plan, db, now - 3601, now).stale);
  const Freshness never = FreshnessOf(plan, db, std::nullopt, now);
  EXPECT_TRUE(never.stale);
  EXPECT_FALSE(never.age_seconds.has_value());
  AlertRule rule;
  rule.event = AlertRule::Event::kBackupStale;
  rule.threshold_seconds = 48 * 3600;
  EXPECT_FALSE(FreshnessOf(plan, db, now - 47 * 3600, now, &rule).stale);
  EXPECT_TRUE(FreshnessOf(plan, db, now - 49 * 3600, now, &rule).stale);
  // A clock set back does not make a backup younger than zero.
  EXPECT_EQ(FreshnessOf(plan, db, now + 60, now).age_seconds, 0);
}

TEST(Scheduler, SchedulesFollowTheJobsZoneAcrossDst) {
  Plan plan = LoadWith();
  Result<TimeZone> berlin = TimeZone::Load("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  // uploads at 03:00 Berlin time; on 2026-03-29 Berlin moves from CET to CEST at 02:00.
  for (Job& job : plan.jobs) {
    if (job.name == "uploads") job.schedule.zone = *berlin;
  }
  Scheduler scheduler(plan, Utc(2026, 3, 28, 0, 0), {});
  EXPECT_EQ(scheduler.state("job/uploads").next_due, Utc(2026, 3, 28, 2, 0));
  scheduler.Started("job/uploads", Utc(2026, 3, 28, 2, 0));
  EXPECT_EQ(scheduler.Finished("job/uploads", Utc(2026, 3, 28, 2, 5), true).next_due,
            Utc(2026, 3, 29, 1, 0));
}

}  // namespace
}  // namespace lifeboat::plan
