#include "lifeboat/plan/scheduler.h"

#include <algorithm>
#include <limits>

#include "lifeboat/util/check.h"

namespace lifeboat::plan {

namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr int kPruneLevel = 10;

}  // namespace

std::vector<Task> TasksOf(const Plan& plan) {
  std::vector<Task> tasks;
  for (const Job& job : plan.jobs) {
    tasks.push_back(Task{.kind = TaskKind::kJob,
                         .name = job.name,
                         .id = "job/" + job.name,
                         .tier_level = plan.TierOf(job).level,
                         .schedule = job.schedule});
  }
  // Jobs by tier level; stable, so plan order within a tier.
  std::stable_sort(tasks.begin(), tasks.end(),
                   [](const Task& a, const Task& b) { return a.tier_level < b.tier_level; });
  for (const Drill& drill : plan.drills) {
    const Job* job = plan.FindJob(drill.job);
    tasks.push_back(Task{.kind = TaskKind::kDrill,
                         .name = drill.name,
                         .id = "drill/" + drill.name,
                         .tier_level = job != nullptr ? plan.TierOf(*job).level : kPruneLevel,
                         .schedule = drill.schedule});
  }
  if (plan.prune.schedule) {
    tasks.push_back(Task{.kind = TaskKind::kPrune,
                         .name = "prune",
                         .id = "prune",
                         .tier_level = kPruneLevel,
                         .schedule = *plan.prune.schedule});
  }
  return tasks;
}

std::vector<int64_t> NextRuns(const Schedule& schedule, int64_t after, int count) {
  std::vector<int64_t> runs;
  for (int index = 0; index < count; ++index) {
    std::optional<int64_t> next = schedule.cron.NextAfter(after, schedule.zone);
    if (!next) break;
    runs.push_back(*next);
    after = *next;
  }
  return runs;
}

int64_t RetryBackoff(int retry, int64_t initial, int64_t max) {
  int64_t delay = std::max<int64_t>(initial, 1);
  for (int step = 1; step < retry && delay < max; ++step) delay *= 2;
  return std::min(delay, max);
}

Freshness FreshnessOf(const Plan& plan, const Job& job, std::optional<int64_t> last_success,
                      int64_t now, const AlertRule* rule) {
  Freshness freshness;
  freshness.threshold_seconds = rule != nullptr && rule->threshold_seconds > 0
                                    ? rule->threshold_seconds
                                    : plan.TierOf(job).stale_after_seconds;
  if (!last_success) {
    freshness.stale = true;
    return freshness;
  }
  freshness.age_seconds = std::max<int64_t>(0, now - *last_success);
  freshness.stale = *freshness.age_seconds > freshness.threshold_seconds;
  return freshness;
}

Scheduler::Scheduler(const Plan& plan, int64_t now,
                     const std::map<std::string, int64_t>& last_started)
    : tasks_(TasksOf(plan)), states_(tasks_.size()), settings_(plan.daemon) {
  for (size_t index = 0; index < tasks_.size(); ++index) {
    TaskState& state = states_[index];
    const auto found = last_started.find(tasks_[index].id);
    if (found == last_started.end()) {
      state.next_due = NextScheduled(tasks_[index], now);
      continue;
    }
    state.last_started = found->second;
    const int64_t missed = NextScheduled(tasks_[index], found->second);
    if (missed <= now && settings_.missed_runs == MissedRunPolicy::kRunOnceAtStart) {
      state.next_due = now;  // however many were missed, once
    } else {
      state.next_due = missed <= now ? NextScheduled(tasks_[index], now) : missed;
    }
  }
}

int64_t Scheduler::NextScheduled(const Task& task, int64_t after) const {
  return task.schedule.cron.NextAfter(after, task.schedule.zone).value_or(kNever);
}

size_t Scheduler::IndexOf(const std::string& id) const {
  for (size_t index = 0; index < tasks_.size(); ++index) {
    if (tasks_[index].id == id) return index;
  }
  LIFEBOAT_CHECK(false, "the scheduler is asked only about its own tasks");
  return 0;
}

const TaskState& Scheduler::state(const std::string& id) const { return states_[IndexOf(id)]; }

std::vector<std::string> Scheduler::Due(int64_t now) const {
  int running = 0;
  for (const TaskState& state : states_) running += state.running ? 1 : 0;
  int free = settings_.max_parallel_jobs - running;
  std::vector<std::string> due;
  for (size_t index = 0; index < tasks_.size() && free > 0; ++index) {
    if (states_[index].running || states_[index].next_due > now) continue;
    due.push_back(tasks_[index].id);
    --free;
  }
  return due;
}

std::optional<int64_t> Scheduler::NextWakeUp() const {
  std::optional<int64_t> earliest;
  for (const TaskState& state : states_) {
    if (state.running || state.next_due == kNever) continue;
    if (!earliest || state.next_due < *earliest) earliest = state.next_due;
  }
  return earliest;
}

void Scheduler::Started(const std::string& id, int64_t now) {
  TaskState& state = states_[IndexOf(id)];
  LIFEBOAT_CHECK(!state.running, "a task is never started twice at once");
  state.running = true;
  state.last_started = now;
}

FinishOutcome Scheduler::Finished(const std::string& id, int64_t now, bool ok) {
  const size_t index = IndexOf(id);
  const Task& task = tasks_[index];
  TaskState& state = states_[index];
  LIFEBOAT_CHECK(state.running, "only a running task finishes");
  state.running = false;
  state.last_finished = now;
  state.last_ok = ok;

  // The next scheduled instant after this run began; instants that passed while it ran are
  // the missed-run policy's to decide.
  int64_t scheduled = NextScheduled(task, *state.last_started);
  if (scheduled <= now) {
    scheduled =
        settings_.missed_runs == MissedRunPolicy::kRunOnceAtStart ? now : NextScheduled(task, now);
  }
  FinishOutcome outcome;
  if (ok) {
    state.failures = 0;
    state.next_due = scheduled;
    outcome = {FinishOutcome::Kind::kSucceeded, scheduled, 0};
    return outcome;
  }
  ++state.failures;
  if (state.failures > settings_.retry_attempts) {
    outcome = {FinishOutcome::Kind::kGaveUp, NextScheduled(task, now), state.failures};
    state.failures = 0;
    state.next_due = outcome.next_due;
    return outcome;
  }
  const int64_t retry_at =
      now + RetryBackoff(state.failures, settings_.retry_initial_backoff_seconds,
                         settings_.retry_max_backoff_seconds);
  // A scheduled run due before the retry serves as the retry.
  const int64_t next_scheduled = NextScheduled(task, now);
  state.next_due = std::min(retry_at, next_scheduled);
  outcome = {FinishOutcome::Kind::kRetry, state.next_due, state.failures};
  return outcome;
}

}  // namespace lifeboat::plan
