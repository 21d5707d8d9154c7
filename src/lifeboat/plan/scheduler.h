// Scheduler: when each scheduled task of a plan (its jobs, its drills, prune) runs — the
// daemon's decisions as pure logic, with no threads, no I/O and no clock of its own: the caller
// passes `now` (from a Clock) and reports what happened, so every rule is tested on a fake clock.
//
// The rules:
//  - A task is due when its next scheduled instant (CronSchedule::NextAfter in its zone) has
//    come. Due tasks are returned in tier order (tier level 1 first), then plan order; drills
//    and prune come after the jobs.
//  - A task never runs twice at once: a running task is never due. When scheduled instants
//    pass while it runs, they collapse into one run right after it (missed_runs:
//    run_once_at_start) or are skipped (missed_runs: skip).
//  - At start, a task whose last run (from the audit log) is older than its last scheduled
//    instant missed a run while the daemon was down: it runs once at start, or waits for its
//    next instant, as the plan's daemon.missed_runs says. A task that never ran waits for its
//    first instant.
//  - A failed run is retried after a backoff that doubles from retry.initial_backoff up to
//    retry.max_backoff, retry.attempts times; then the failure is reported (Finished says so)
//    and the task waits for its next scheduled instant. A scheduled instant that comes before
//    a retry replaces the retry.
//  - At most daemon.max_parallel_jobs tasks run at once.
//
// Not thread-safe: the daemon calls it from one thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lifeboat/plan/plan.h"

namespace lifeboat::plan {

enum class TaskKind { kJob, kDrill, kPrune };

struct Task {
  TaskKind kind = TaskKind::kJob;
  std::string name;  // the job's or drill's name; "prune"
  // "job/NAME", "drill/NAME" or "prune": unique within a plan.
  std::string id;
  int tier_level = 0;  // jobs: their tier's; drills: their job's; prune: 10 (last)
  Schedule schedule;
};

struct TaskState {
  int64_t next_due = 0;  // when it runs next (a scheduled instant, or a retry)
  bool running = false;
  std::optional<int64_t> last_started;
  std::optional<int64_t> last_finished;
  std::optional<bool> last_ok;
  int failures = 0;  // consecutive failed runs since the last success or report
};

// What Finished decided.
struct FinishOutcome {
  enum class Kind {
    kSucceeded,  // next run at its schedule
    kRetry,      // failed; retried at next_due
    kGaveUp,     // failed `attempts + 1` times in a row: report it; next run at its schedule
  };
  Kind kind = Kind::kSucceeded;
  int64_t next_due = 0;
  int failures = 0;  // failed runs counted, including this one (0 on success)
};

// The tasks of a plan in the order Due returns them: jobs by tier level then plan order,
// then drills, then prune.
std::vector<Task> TasksOf(const Plan& plan);

// The next `count` instants after `after` at which `schedule` fires.
std::vector<int64_t> NextRuns(const Schedule& schedule, int64_t after, int count);

// The delay before retry number `retry` (1 for the first) after a failure: initial * 2^(retry-1),
// at most `max`.
int64_t RetryBackoff(int retry, int64_t initial, int64_t max);

// How current a job's backups are, for `status` and the backup_stale alert.
struct Freshness {
  std::optional<int64_t> age_seconds;  // since the last success; none when it never succeeded
  int64_t threshold_seconds = 0;       // older than this is stale
  bool stale = false;                  // a job that never succeeded is stale
};
// `rule` (a backup_stale rule) may set its own threshold; otherwise the job's tier's
// stale_after applies, which defaults to its RPO.
Freshness FreshnessOf(const Plan& plan, const Job& job, std::optional<int64_t> last_success,
                      int64_t now, const AlertRule* rule = nullptr);

class Scheduler {
 public:
  // `last_started`: for each task id, when it last started (from the audit log); missing ids
  // never ran. `now` is the daemon's start.
  Scheduler(const Plan& plan, int64_t now, const std::map<std::string, int64_t>& last_started);

  const std::vector<Task>& tasks() const { return tasks_; }
  const TaskState& state(const std::string& id) const;

  // Ids of the tasks to start now, in order, at most the free parallel slots.
  std::vector<std::string> Due(int64_t now) const;
  // When the daemon should look again: the earliest next_due of the tasks not running;
  // nullopt when every task is running (wake on a finish instead).
  std::optional<int64_t> NextWakeUp() const;

  // The caller started the task (it was due).
  void Started(const std::string& id, int64_t now);
  // The task's run ended at `now`, successfully or not.
  FinishOutcome Finished(const std::string& id, int64_t now, bool ok);

 private:
  int64_t NextScheduled(const Task& task, int64_t after) const;
  size_t IndexOf(const std::string& id) const;

  std::vector<Task> tasks_;
  std::vector<TaskState> states_;
  DaemonSettings settings_;
};

}  // namespace lifeboat::plan
