#include "lifeboat/plan/daemon.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "lifeboat/ops/audit.h"
#include "lifeboat/plan/plan_loader.h"

namespace lifeboat::plan {

namespace {

// Even with nothing due the loop looks again this often, so a clock that jumps (a suspended
// machine, an NTP step) delays a run by at most this much.
constexpr int64_t kMaxSleepSeconds = 60;

std::string TimeText(int64_t unix_seconds) {
  std::string text = FormatTimeRfc3339(unix_seconds * 1'000'000'000);
  const size_t dot = text.find('.');
  return dot == std::string::npos ? text : text.substr(0, dot) + "Z";
}

std::string UserName() {
  const char* user = std::getenv("USER");
  return user != nullptr ? user : std::to_string(getuid());
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

}  // namespace

Daemon::Daemon(DaemonOptions options, Plan plan)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &SystemClock::Get()),
      plan_(std::make_shared<const Plan>(std::move(plan))) {}

Daemon::~Daemon() {
  for (auto& [id, thread] : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void Daemon::RequestStop() {
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  wake_.notify_all();
}

void Daemon::RequestReload() {
  {
    std::lock_guard lock(mutex_);
    reload_requested_ = true;
  }
  wake_.notify_all();
}

std::map<std::string, int64_t> Daemon::LastStartedFromAudit(const Plan& plan) {
  std::map<std::string, int64_t> last;
  auto audit = ops::AuditLog::Open(options_.audit_db);
  if (!audit.ok()) {
    options_.log->Write("audit_unreadable", {{"error", audit.status().message()}});
    return last;
  }
  auto remember = [&](const std::string& id, const ops::AuditFilter& filter) {
    auto records = (*audit)->Query(filter);
    if (!records.ok() || records->empty()) return;
    int64_t nanos = 0;
    if (ParseTimeRfc3339(records->back().started_at, &nanos)) last[id] = nanos / 1'000'000'000;
  };
  for (const Task& task : TasksOf(plan)) {
    ops::AuditFilter filter;
    filter.limit = 1;
    if (task.kind == TaskKind::kJob) {
      filter.job = task.name;
    } else if (task.kind == TaskKind::kPrune) {
      filter.operation = "prune";
    } else {
      filter.operation = "drill";
      filter.job = task.name;
    }
    remember(task.id, filter);
  }
  return last;
}

void Daemon::RecordReload(const std::string& status, const std::string& error) {
  auto audit = ops::AuditLog::Open(options_.audit_db);
  if (!audit.ok()) {
    options_.log->Write("audit_failed", {{"error", audit.status().message()}});
    return;
  }
  const int64_t now = clock_->NowNanos();
  ops::AuditRecord record;
  record.operation = "plan reload";
  record.repository = ops::SanitizeLocation(plan_->Primary().location);
  record.status = status;
  record.error = error;
  record.started_at = ops::FormatAuditTime(now);
  record.finished_at = record.started_at;
  record.host = HostName();
  record.user = UserName();
  auto appended = (*audit)->Append(std::move(record));
  if (!appended.ok()) {
    options_.log->Write("audit_failed", {{"error", appended.status().message()}});
  }
}

void Daemon::Reload(int64_t now) {
  PlanLoad load = ReadPlan(options_.plan_path);
  if (!load.plan) {
    std::string errors;
    for (const PlanError& error : load.errors) {
      errors += (errors.empty() ? "" : "\n") + error.ToString();
    }
    options_.log->Write("plan_reload_failed",
                        {{"plan", options_.plan_path},
                         {"error", errors},
                         {"hint",
                          "the daemon keeps running the plan it had; fix the file and "
                          "send SIGHUP again"}});
    RecordReload(std::string(ops::kAuditFailed), errors);
    return;
  }
  plan_ = std::make_shared<const Plan>(std::move(*load.plan));
  if (!options_.log_format_fixed) options_.log->SetFormat(plan_->daemon.log_format);
  std::map<std::string, int64_t> last = LastStartedFromAudit(*plan_);
  for (const auto& [id, started] : last_started_) last[id] = std::max(last[id], started);
  scheduler_ = std::make_unique<Scheduler>(*plan_, now, last);
  // A run that is still going on keeps its task from starting again under the new plan.
  for (const auto& [id, started] : running_) {
    for (const Task& task : scheduler_->tasks()) {
      if (task.id == id) scheduler_->Started(id, started);
    }
  }
  options_.log->Write("plan_reloaded",
                      {{"plan", options_.plan_path}, {"jobs", std::to_string(plan_->jobs.size())}});
  RecordReload(std::string(ops::kAuditSuccess), "");
}

void Daemon::StartTask(const Task& task, int64_t now) {
  scheduler_->Started(task.id, now);
  running_[task.id] = now;
  last_started_[task.id] = now;
  std::shared_ptr<const Plan> plan = plan_;
  threads_[task.id] = std::thread([this, task, plan] {
    JobRunner runner(RunnerOptions{.executable = options_.executable,
                                   .log = options_.log,
                                   .control = &control_,
                                   .forward_child_stderr = false});
    JobOutcome outcome;
    if (task.kind == TaskKind::kJob) {
      outcome = runner.RunJob(*plan, *plan->FindJob(task.name));
    } else if (task.kind == TaskKind::kPrune) {
      outcome = runner.RunPrune(*plan);
    } else {
      // Drills are declared and scheduled already; running them is the drill command's work.
      options_.log->Write("drill_skipped",
                          {{"task", task.id}, {"reason", "drills are not run by this version"}});
      outcome.task = task.name;
      outcome.status = RunStatus::kSuccess;
    }
    {
      std::lock_guard lock(mutex_);
      finished_.push_back({task.id, std::move(outcome)});
    }
    wake_.notify_all();
  });
}

Status Daemon::Run() {
  const int64_t start = clock_->NowSeconds();
  if (!options_.log_format_fixed) options_.log->SetFormat(plan_->daemon.log_format);
  scheduler_ = std::make_unique<Scheduler>(*plan_, start, LastStartedFromAudit(*plan_));
  options_.log->Write("daemon_started", {{"plan", options_.plan_path},
                                         {"jobs", std::to_string(plan_->jobs.size())},
                                         {"pid", std::to_string(getpid())}});
  std::unique_lock lock(mutex_);
  while (true) {
    const int64_t now = clock_->NowSeconds();
    for (Finished& done : finished_) {
      running_.erase(done.id);
      auto thread = threads_.find(done.id);
      if (thread != threads_.end()) {
        thread->second.join();
        threads_.erase(thread);
      }
      bool known = false;
      for (const Task& task : scheduler_->tasks()) known = known || task.id == done.id;
      if (!known) continue;  // the task left the plan while it ran
      const FinishOutcome decided = scheduler_->Finished(done.id, now, done.outcome.ok());
      if (decided.kind == FinishOutcome::Kind::kRetry) {
        options_.log->Write("retry_scheduled", {{"task", done.id},
                                                {"failures", std::to_string(decided.failures)},
                                                {"at", TimeText(decided.next_due)}});
      } else if (decided.kind == FinishOutcome::Kind::kGaveUp) {
        options_.log->Write("task_failed", {{"task", done.id},
                                            {"failures", std::to_string(decided.failures)},
                                            {"error", done.outcome.error},
                                            {"next", TimeText(decided.next_due)}});
      }
    }
    finished_.clear();
    if (stop_requested_) break;
    if (reload_requested_) {
      reload_requested_ = false;
      Reload(now);
    }
    for (const std::string& id : scheduler_->Due(now)) {
      if (running_.count(id) != 0) continue;
      for (const Task& task : scheduler_->tasks()) {
        if (task.id == id) StartTask(task, now);
      }
    }
    const std::optional<int64_t> next = scheduler_->NextWakeUp();
    int64_t wake_at = now + kMaxSleepSeconds;
    if (next) wake_at = std::clamp(*next, now, wake_at);
    if (wake_at <= now && finished_.empty()) wake_at = now + 1;
    wake_.wait_until(lock, std::chrono::system_clock::time_point(std::chrono::seconds(wake_at)),
                     [this] { return stop_requested_ || reload_requested_ || !finished_.empty(); });
  }

  // Stopping: no new runs; the running ones get the grace period, then SIGTERM.
  control_.stop_new_steps = true;
  options_.log->Write("daemon_stopping",
                      {{"running", std::to_string(running_.size())},
                       {"grace_seconds", std::to_string(plan_->daemon.shutdown_grace_seconds)}});
  const auto grace_end =
      std::chrono::steady_clock::now() + std::chrono::seconds(plan_->daemon.shutdown_grace_seconds);
  auto all_done = [this] { return finished_.size() >= threads_.size(); };
  if (!wake_.wait_until(lock, grace_end, all_done)) {
    options_.log->Write("grace_period_over", {{"action", "stopping the running steps"}});
    control_.terminate = true;
    wake_.wait(lock, all_done);
  }
  for (Finished& done : finished_) {
    options_.log->Write(
        "run_ended_at_shutdown",
        {{"task", done.id}, {"status", std::string(RunStatusName(done.outcome.status))}});
  }
  lock.unlock();
  for (auto& [id, thread] : threads_) thread.join();
  threads_.clear();
  options_.log->Write("daemon_stopped", {});
  return Status::Ok();
}

}  // namespace lifeboat::plan
