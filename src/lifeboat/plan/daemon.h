// Daemon: runs a plan's schedule until it is told to stop — `lifeboat daemon plan.yaml`.
//
// One thread (Run's) owns the Scheduler (plan/scheduler.h) and makes every decision; each run of
// a task gets a thread of its own, which hands the run to a JobRunner (plan/runner.h) and
// reports back. The decisions are the scheduler's, tested on a fake clock; this class adds only
// the threads, the waiting and the two requests a signal handler makes:
//  - RequestStop (SIGTERM, SIGINT): start no new run; let running ones finish within the plan's
//    daemon.shutdown_grace; then SIGTERM their children, which leave every repository
//    consistent (an interrupted backup saves no snapshot and is simply run again).
//  - RequestReload (SIGHUP): read the plan file again. A plan with errors is reported (event
//    log, audit log) and the old plan keeps running; a good one replaces it, runs in progress
//    finishing under the plan they started with.
// Where the daemon was down, the audit log says when each task last started, so a missed run
// is caught up (or not) as daemon.missed_runs says.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lifeboat/plan/event_log.h"
#include "lifeboat/plan/plan.h"
#include "lifeboat/plan/runner.h"
#include "lifeboat/plan/scheduler.h"
#include "lifeboat/util/clock.h"

namespace lifeboat::plan {

struct DaemonOptions {
  std::string plan_path;   // read again on RequestReload
  std::string executable;  // this program (CurrentExecutable())
  std::string audit_db;    // where runs are looked up and reloads recorded
  EventLog* log = nullptr;
  Clock* clock = nullptr;  // SystemClock by default
  // The log's format was chosen on the command line: a reloaded plan does not change it.
  bool log_format_fixed = false;
};

class Daemon {
 public:
  Daemon(DaemonOptions options, Plan plan);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs the schedule until RequestStop, then waits for the runs in progress (see above).
  // Fails only when it cannot start.
  Status Run();

  // Both are safe to call from any thread, at any time, any number of times.
  void RequestStop();
  void RequestReload();

 private:
  struct Finished {
    std::string id;
    JobOutcome outcome;
  };

  void StartTask(const Task& task, int64_t now);
  void Reload(int64_t now);
  void RecordReload(const std::string& status, const std::string& error);
  std::map<std::string, int64_t> LastStartedFromAudit(const Plan& plan);

  DaemonOptions options_;
  Clock* clock_;
  RunControl control_;
  std::shared_ptr<const Plan> plan_;
  std::unique_ptr<Scheduler> scheduler_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_requested_ = false;
  bool reload_requested_ = false;
  std::map<std::string, int64_t> running_;  // task id -> started at
  std::map<std::string, int64_t> last_started_;
  std::vector<Finished> finished_;
  std::map<std::string, std::thread> threads_;  // by task id; joined once finished
};

}  // namespace lifeboat::plan
