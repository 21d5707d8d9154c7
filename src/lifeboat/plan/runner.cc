#include "lifeboat/plan/runner.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lifeboat/plan/invocation.h"
#include "lifeboat/util/child_process.h"
#include "lifeboat/util/output_tail.h"

namespace lifeboat::plan {

namespace {

using SteadyClock = std::chrono::steady_clock;

// A child that ignores SIGTERM this long after it was sent gets SIGKILL.
constexpr auto kKillAfter = std::chrono::seconds(30);
// More output than this from a step is not kept: lifeboat's JSON results are far smaller.
constexpr size_t kMaxOutput = 16u << 20;

int64_t MillisSince(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
}

std::string StripOneNewline(std::string text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

struct ChildRun {
  ChildExit exit;
  std::string output;      // its stdout
  std::string error_tail;  // the last lines of its stderr
  bool timed_out = false;
  bool terminated = false;  // stopped by RunControl::terminate
};

// Runs argv to its end, reading its stdout, keeping the tail of its stderr; SIGTERM to its
// process group on timeout (0: none) or when the control says so.
Result<ChildRun> RunChild(const std::vector<std::string>& argv,
                          const std::vector<std::string>& environment, int64_t timeout_seconds,
                          const RunnerOptions& options) {
  ChildOptions child_options;
  child_options.environment = environment;
  child_options.capture_stdout = true;
  child_options.capture_stderr = true;
  child_options.new_process_group = true;
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<ChildProcess> child,
                            ChildProcess::Start(argv, child_options));
  OutputTail tail(child->stderr_fd(), options.forward_child_stderr ? STDERR_FILENO : -1);
  ChildRun run;
  const auto start = SteadyClock::now();
  const auto deadline = timeout_seconds > 0 ? start + std::chrono::seconds(timeout_seconds)
                                            : SteadyClock::time_point::max();
  std::optional<SteadyClock::time_point> term_sent;
  bool killed = false;
  char buffer[65536];
  while (true) {
    pollfd descriptor{.fd = child->stdout_fd(), .events = POLLIN, .revents = 0};
    const int ready = poll(&descriptor, 1, 250);
    if (ready > 0) {
      const ssize_t n = read(child->stdout_fd(), buffer, sizeof(buffer));
      if (n == 0) break;
      if (n < 0 && errno != EINTR) break;
      if (n > 0 && run.output.size() < kMaxOutput) run.output.append(buffer, size_t(n));
    }
    const auto now = SteadyClock::now();
    const bool stop = options.control != nullptr && options.control->terminate.load();
    if (!term_sent && (now >= deadline || stop)) {
      run.timed_out = now >= deadline;
      run.terminated = !run.timed_out;
      child->Signal(SIGTERM);
      term_sent = now;
    } else if (term_sent && !killed && now - *term_sent > kKillAfter) {
      child->Signal(SIGKILL);
      killed = true;
    }
  }
  run.error_tail = tail.Finish(10);
  (void)child->Wait();
  run.exit = child->exit();
  return run;
}

std::string Indent(const std::string& tail) {
  if (tail.empty()) return "";
  std::string text = ":\n";
  std::istringstream lines(tail);
  std::string line;
  while (std::getline(lines, line)) text += "  " + line + "\n";
  text.pop_back();
  return text;
}

class JobRun {
 public:
  JobRun(const RunnerOptions& options, std::string task)
      : options_(options), task_(std::move(task)), start_(SteadyClock::now()) {
    outcome_.task = task_;
    outcome_.status = RunStatus::kSuccess;
  }

  bool stopping() const {
    return options_.control != nullptr && options_.control->stop_new_steps.load();
  }

  // Runs one step and records it; returns it.
  StepOutcome Step(const std::string& name, const std::vector<std::string>& argv,
                   const std::vector<std::string>& environment, int64_t timeout_seconds,
                   bool lifeboat_step, const std::string& display) {
    StepOutcome step;
    step.step = name;
    const auto start = SteadyClock::now();
    Log("step_started", {{"step", name}, {"command", display}});
    Result<ChildRun> run = RunChild(argv, environment, timeout_seconds, options_);
    step.duration_ms = MillisSince(start);
    if (!run.ok()) {
      step.status = RunStatus::kFailed;
      step.error = run.status().message();
    } else {
      const ChildExit& exit = run->exit;
      if (exit.exited && exit.code == 0) {
        step.status = RunStatus::kSuccess;
      } else if (lifeboat_step && exit.exited && exit.code == 3) {
        step.status = RunStatus::kPartial;
      } else if (run->terminated || (exit.exited && (exit.code == 130 || exit.code == 143))) {
        step.status = RunStatus::kInterrupted;
        step.error = "stopped because lifeboat is shutting down";
      } else {
        step.status = RunStatus::kFailed;
        step.error = run->timed_out ? "timed out after " + FormatDuration(timeout_seconds)
                                    : "`" + display + "` " + exit.Describe();
        step.error += Indent(run->error_tail);
      }
      if (lifeboat_step) step.snapshot_id = SnapshotIdFrom(run->output);
    }
    EventFields fields = {{"step", name},
                          {"status", std::string(RunStatusName(step.status))},
                          {"seconds", Seconds(step.duration_ms)}};
    if (!step.snapshot_id.empty()) fields.emplace_back("snapshot", step.snapshot_id.substr(0, 8));
    if (!step.error.empty()) fields.emplace_back("error", step.error);
    Log("step_finished", fields);
    Record(step);
    outcome_.steps.push_back(step);
    return step;
  }

  // A step that could not start (a secret that cannot be read): recorded as failed.
  StepOutcome Failed(const std::string& name, const std::string& error) {
    StepOutcome step{.step = name, .status = RunStatus::kFailed, .error = error};
    Log("step_finished", {{"step", name}, {"status", "failed"}, {"error", error}});
    Record(step);
    outcome_.steps.push_back(step);
    return step;
  }

  JobOutcome Finish() {
    outcome_.duration_ms = MillisSince(start_);
    return std::move(outcome_);
  }

  void Log(std::string_view event, EventFields fields) const {
    if (options_.log == nullptr) return;
    fields.insert(fields.begin(), {"task", task_});
    options_.log->Write(event, fields);
  }

  static std::string Seconds(int64_t millis) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.1f", static_cast<double>(millis) / 1000.0);
    return text;
  }

 private:
  static std::string SnapshotIdFrom(const std::string& output) {
    // lifeboat --json prints one object; a step without a snapshot has no such field.
    const auto json = nlohmann::json::parse(output, nullptr, false);
    if (json.is_object() && json.contains("snapshot_id") && json["snapshot_id"].is_string()) {
      return json["snapshot_id"].get<std::string>();
    }
    return "";
  }

  void Record(const StepOutcome& step) {
    if (!step.snapshot_id.empty() && outcome_.snapshot_id.empty()) {
      outcome_.snapshot_id = step.snapshot_id;
    }
    if (step.status == RunStatus::kSuccess) return;
    const bool worse = static_cast<int>(step.status) > static_cast<int>(outcome_.status);
    if (worse) outcome_.status = step.status;
    if (step.status != RunStatus::kPartial && outcome_.error.empty()) {
      outcome_.error = step.step + ": " + step.error;
    }
  }

  const RunnerOptions& options_;
  std::string task_;
  SteadyClock::time_point start_;
  JobOutcome outcome_;
};

// The environment a lifeboat step gets: the invocation's variables, each read from its source;
// the secrets an argument holds are put into `argv`. Errors name the secret's source.
Result<std::vector<std::string>> StepEnvironment(const Invocation& invocation,
                                                 std::vector<std::string>* argv) {
  std::vector<std::string> environment;
  for (const auto& [name, source] : invocation.environment) {
    LIFEBOAT_ASSIGN_OR_RETURN(std::string value, ResolveSecret(source, name));
    environment.push_back(name + "=" + value);
  }
  for (const auto& [index, source] : invocation.argument_secrets) {
    const std::string what = index > 0 ? invocation.argv[index - 1] : "an argument";
    LIFEBOAT_ASSIGN_OR_RETURN((*argv)[index], ResolveSecret(source, what));
  }
  return environment;
}

StepOutcome RunLifeboatStep(JobRun& run, const RunnerOptions& options, const std::string& name,
                            const Invocation& invocation) {
  // Results as JSON on stdout (the snapshot id), and no progress line.
  Invocation shown = invocation;
  shown.argv.insert(shown.argv.begin() + 1, "--json");
  shown.argument_secrets.clear();
  for (const auto& [index, source] : invocation.argument_secrets) {
    shown.argument_secrets[index + 1] = source;
  }
  std::vector<std::string> argv = shown.argv;
  argv[0] = options.executable;
  auto environment = StepEnvironment(shown, &argv);
  if (!environment.ok()) return run.Failed(name, environment.status().message());
  return run.Step(name, argv, *environment, 0, true, shown.Display());
}

// Runs the hooks in order until one fails; true when all succeeded.
bool RunHooks(JobRun& run, const std::vector<Hook>& hooks, const char* when,
              const std::vector<std::string>& environment) {
  for (size_t index = 0; index < hooks.size(); ++index) {
    const Hook& hook = hooks[index];
    const std::string name = std::string(when) + " hook " + std::to_string(index + 1);
    const StepOutcome step = run.Step(name, {"/bin/sh", "-c", hook.command}, environment,
                                      hook.timeout_seconds, false, hook.command);
    if (step.status != RunStatus::kSuccess) return false;
  }
  return true;
}

}  // namespace

std::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kSuccess:
      return "success";
    case RunStatus::kPartial:
      return "partial";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kInterrupted:
      return "interrupted";
  }
  return "failed";
}

Result<std::string> ResolveSecret(const SecretSource& source, std::string_view what) {
  const std::string described = std::string(what) + " (" + source.Describe() + ")";
  switch (source.kind) {
    case SecretSource::Kind::kNone:
      return InvalidArgumentError("no value is configured for " + std::string(what));
    case SecretSource::Kind::kLiteral:
    case SecretSource::Kind::kInline:
      return source.value;
    case SecretSource::Kind::kEnv: {
      const char* value = std::getenv(source.value.c_str());
      if (value == nullptr) {
        return NotFoundError("the variable " + source.value + " that holds " + std::string(what) +
                             " is not set")
            .WithHint("export " + source.value + " in the environment lifeboat runs in");
      }
      return std::string(value);
    }
    case SecretSource::Kind::kFile: {
      std::ifstream file(source.value, std::ios::binary);
      if (!file) {
        return NotFoundError("cannot read " + described)
            .WithHint("check that the file exists and is readable by this user");
      }
      std::ostringstream content;
      content << file.rdbuf();
      return StripOneNewline(content.str());
    }
    case SecretSource::Kind::kCommand: {
      Result<std::string> output = RunAndCapture({"/bin/sh", "-c", source.value});
      if (!output.ok()) {
        return Status(output.status().code(),
                      "the command for " + described + " failed: " + output.status().message())
            .WithHint("run the command by hand to see why");
      }
      return StripOneNewline(*output);
    }
  }
  return InternalError("unknown secret source");
}

Result<std::string> CurrentExecutable() {
  char path[4096];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return ErrnoError(errno, "finding this program's path (/proc/self/exe)");
  return std::string(path, static_cast<size_t>(n));
}

JobOutcome JobRunner::RunJob(const Plan& plan, const Job& job) const {
  JobRun run(options_, job.name);
  run.Log("job_started", {{"tier", job.tier}, {"source", SourceKindName(job.source)}});
  const bool prepared = RunHooks(run, job.before, "before", {"LIFEBOAT_JOB=" + job.name});
  StepOutcome backup;
  if (!prepared) {
    backup = run.Failed("backup", "not started: a before hook failed");
  } else if (run.stopping()) {
    backup = run.Failed("backup", "not started: lifeboat is shutting down");
  } else {
    backup = RunLifeboatStep(run, options_, "backup", BackupInvocation(plan, job));
  }
  const bool saved = backup.status == RunStatus::kSuccess || backup.status == RunStatus::kPartial;
  RunHooks(run, job.after, "after",
           {"LIFEBOAT_JOB=" + job.name,
            "LIFEBOAT_JOB_STATUS=" + std::string(RunStatusName(backup.status)),
            "LIFEBOAT_SNAPSHOT=" + backup.snapshot_id});
  if (saved) {
    std::vector<const Repository*> holding = {&plan.Primary()};
    for (const std::string& name : job.copy_to) {
      const Repository* copy = plan.FindRepository(name);
      if (copy == nullptr || run.stopping()) continue;
      const StepOutcome step =
          RunLifeboatStep(run, options_, "copy to " + name, CopyInvocation(plan, job, *copy));
      if (step.status == RunStatus::kSuccess) holding.push_back(copy);
    }
    for (const Repository* repository : holding) {
      const Invocation forget = ForgetInvocation(plan, job, *repository);
      if (forget.argv.empty() || run.stopping()) continue;
      RunLifeboatStep(run, options_, "forget on " + repository->name, forget);
    }
  }
  JobOutcome outcome = run.Finish();
  EventFields fields = {{"status", std::string(RunStatusName(outcome.status))},
                        {"seconds", JobRun::Seconds(outcome.duration_ms)}};
  if (!outcome.snapshot_id.empty()) fields.emplace_back("snapshot", outcome.snapshot_id);
  if (!outcome.error.empty()) fields.emplace_back("error", outcome.error);
  run.Log("job_finished", fields);
  return outcome;
}

JobOutcome JobRunner::RunPrune(const Plan& plan) const {
  JobRun run(options_, "prune");
  run.Log("job_started", {});
  for (const Repository& repository : plan.repositories) {
    const auto& names = plan.prune.repositories;
    if (!names.empty() && std::find(names.begin(), names.end(), repository.name) == names.end()) {
      continue;
    }
    if (run.stopping()) break;
    RunLifeboatStep(run, options_, "prune on " + repository.name,
                    PruneInvocation(plan, repository));
  }
  JobOutcome outcome = run.Finish();
  EventFields fields = {{"status", std::string(RunStatusName(outcome.status))},
                        {"seconds", JobRun::Seconds(outcome.duration_ms)}};
  if (!outcome.error.empty()) fields.emplace_back("error", outcome.error);
  run.Log("job_finished", fields);
  return outcome;
}

}  // namespace lifeboat::plan
