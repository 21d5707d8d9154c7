// JobRunner: carries out one run of a plan's job — its before hooks, its backup, its after
// hooks, the copy of its snapshots to each offsite repository and its retention on every
// repository that holds them — or one scheduled prune, for `lifeboat run` and the daemon.
//
// Every step is a child process: hooks run with /bin/sh -c, lifeboat's own steps run this
// executable with the command line plan/invocation.h builds (`lifeboat --job NAME --json ...`),
// so a crash in one step cannot take the daemon down, each step leaves its own audit record,
// and a step is stopped the way a user stops lifeboat (SIGTERM: it releases its lock and leaves
// the repository consistent). Each child gets its own process group, so a terminal's Ctrl-C
// reaches the daemon alone, which decides when its children stop (RunControl).
//
// The order and its reasons: after hooks run whenever a before hook started (they undo what the
// before hooks did: resume writes, leave maintenance mode), with LIFEBOAT_JOB_STATUS telling
// them how the backup went. Copies and retention run only after a saved snapshot; a failed copy
// fails the job but does not stop retention on the primary, whose policy holds regardless.
//
// Thread-safe: the daemon runs several jobs at once through one runner.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lifeboat/plan/event_log.h"
#include "lifeboat/plan/plan.h"
#include "lifeboat/util/result.h"

namespace lifeboat::plan {

// How the daemon stops its runs when it is told to stop.
struct RunControl {
  // Finish the step that runs, start no other (SIGTERM received; within the grace period).
  std::atomic<bool> stop_new_steps{false};
  // The grace period is over: SIGTERM every running child now (SIGKILL 30 s later).
  std::atomic<bool> terminate{false};
};

enum class RunStatus { kSuccess, kPartial, kFailed, kInterrupted };
// "success", "partial", "failed", "interrupted": the audit log's words.
std::string_view RunStatusName(RunStatus status);

struct StepOutcome {
  // "before hook 1", "backup", "after hook 1", "copy to offsite", "forget on primary",
  // "prune on primary".
  std::string step;
  RunStatus status = RunStatus::kFailed;
  std::string error;        // what went wrong, with the child's last lines of stderr
  std::string snapshot_id;  // the backup step's snapshot
  int64_t duration_ms = 0;
};

struct JobOutcome {
  std::string task;  // the job's name, or "prune"
  // kSuccess only when every step succeeded; kPartial when the backup saved a snapshot with
  // warnings (and nothing else failed).
  RunStatus status = RunStatus::kFailed;
  std::string error;  // the first failed step's error, prefixed with the step
  std::string snapshot_id;
  std::vector<StepOutcome> steps;
  int64_t duration_ms = 0;

  bool ok() const { return status == RunStatus::kSuccess || status == RunStatus::kPartial; }
};

struct RunnerOptions {
  std::string executable;  // this program, run for lifeboat's own steps
  EventLog* log = nullptr;
  RunControl* control = nullptr;  // may be null: never stopped
  // true: children's stderr is copied to ours as it comes (`lifeboat run` in a terminal);
  // false: only its last lines reach the log, in a failed step's error (the daemon).
  bool forward_child_stderr = true;
};

class JobRunner {
 public:
  explicit JobRunner(RunnerOptions options) : options_(std::move(options)) {}

  JobOutcome RunJob(const Plan& plan, const Job& job) const;
  // `lifeboat prune` on each repository plan.prune names (every repository by default).
  JobOutcome RunPrune(const Plan& plan) const;

 private:
  RunnerOptions options_;
};

// The value a SecretSource names: the variable, the file's content or the command's output
// (one trailing newline removed), the literal or inline value. Errors name the source and
// `what` it is for, never a value.
Result<std::string> ResolveSecret(const SecretSource& source, std::string_view what);

// The path of the running executable (/proc/self/exe), for the runner's `executable`.
Result<std::string> CurrentExecutable();

}  // namespace lifeboat::plan
