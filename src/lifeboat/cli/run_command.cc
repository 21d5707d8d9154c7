// `lifeboat run PLAN [JOB...]`, `lifeboat daemon PLAN` and `lifeboat status PLAN`: a plan's
// jobs run now, on their schedule, and how they stand against their objectives.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/interrupt.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/ops/audit.h"
#include "lifeboat/plan/daemon.h"
#include "lifeboat/plan/plan_loader.h"
#include "lifeboat/plan/runner.h"
#include "lifeboat/plan/scheduler.h"
#include "lifeboat/plan/status.h"
#include "lifeboat/util/clock.h"

namespace lifeboat::cli {

namespace {

// A plan that does not load is a usage error (exit 2): every problem printed with its place.
std::optional<plan::Plan> LoadPlanOrReport(const std::string& file) {
  plan::PlanLoad load = plan::ReadPlan(file);
  for (const plan::PlanError& error : load.errors) {
    PrintError(
        Status(StatusCode::kInvalidArgument, error.Location() + ": " + error.message, error.hint));
  }
  return std::move(load.plan);
}

// The audit database a plan's runs use: the plan's audit.sqlite_path, else --audit-db (or
// LIFEBOAT_AUDIT_DB), else the default. Exported as LIFEBOAT_AUDIT_DB so every step the plan
// runs writes to the same log the daemon and `status` read.
Result<std::string> UseAuditDatabase(const GlobalOptions& globals, const plan::Plan& plan) {
  std::string path = plan.audit.sqlite_path;
  if (path.empty()) path = globals.audit_db;
  if (path.empty()) {
    LIFEBOAT_ASSIGN_OR_RETURN(path, ops::DefaultAuditDatabasePath());
  }
  setenv("LIFEBOAT_AUDIT_DB", path.c_str(), 1);
  return path;
}

std::string AgeText(int64_t seconds) {
  if (seconds < 0) return "-";
  return plan::FormatDuration(seconds < 120 ? seconds : seconds / 60 * 60);
}

std::string Pad(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

// ---- run

struct RunArgs {
  std::string file;
  std::vector<std::string> jobs;
};

Result<ExitCode> Run(CommandContext& context, const RunArgs& args) {
  std::optional<plan::Plan> loaded = LoadPlanOrReport(args.file);
  if (!loaded) return ExitCode::kUsage;
  plan::Plan& plan = *loaded;
  for (const std::string& name : args.jobs) {
    if (plan.FindJob(name) == nullptr) {
      std::string known;
      for (const plan::Job& job : plan.jobs) known += (known.empty() ? "" : ", ") + job.name;
      PrintError(Status(StatusCode::kInvalidArgument,
                        "the plan " + args.file + " has no job \"" + name + "\"",
                        "its jobs are: " + known));
      return ExitCode::kUsage;
    }
  }
  LIFEBOAT_RETURN_IF_ERROR(UseAuditDatabase(context.globals, plan).status());
  LIFEBOAT_ASSIGN_OR_RETURN(std::string executable, plan::CurrentExecutable());
  plan::EventLog log(plan::LogFormat::kText, stderr);
  plan::JobRunner runner(
      plan::RunnerOptions{.executable = executable,
                          .log = context.globals.quiet || context.globals.json ? nullptr : &log,
                          .forward_child_stderr = !context.globals.json});
  std::vector<plan::JobOutcome> outcomes;
  // Tier order, then plan order: what the scheduler would run first comes first.
  for (const plan::Task& task : plan::TasksOf(plan)) {
    if (task.kind != plan::TaskKind::kJob) continue;
    if (!args.jobs.empty() &&
        std::find(args.jobs.begin(), args.jobs.end(), task.name) == args.jobs.end()) {
      continue;
    }
    outcomes.push_back(runner.RunJob(plan, *plan.FindJob(task.name)));
  }
  bool failed = false, partial = false;
  nlohmann::json list = nlohmann::json::array();
  std::string text;
  for (const plan::JobOutcome& outcome : outcomes) {
    failed = failed || !outcome.ok();
    partial = partial || outcome.status == plan::RunStatus::kPartial;
    list.push_back({{"job", outcome.task},
                    {"status", plan::RunStatusName(outcome.status)},
                    {"snapshot_id", outcome.snapshot_id},
                    {"seconds", static_cast<double>(outcome.duration_ms) / 1000.0},
                    {"error", outcome.error}});
    text +=
        Pad(outcome.task, 20) + " " + Pad(std::string(plan::RunStatusName(outcome.status)), 12) +
        " " + Pad(outcome.snapshot_id.substr(0, 8), 9) + " " +
        FormatDuration(static_cast<double>(outcome.duration_ms) / 1000.0) +
        (outcome.error.empty() ? "" : "  " + outcome.error.substr(0, outcome.error.find('\n'))) +
        "\n";
  }
  if (context.globals.json) {
    PrintJson({{"jobs", list}});
  } else if (!context.globals.quiet || failed) {
    PrintText(text);
  }
  if (failed) {
    return Status(StatusCode::kUnavailable, "some jobs of the plan failed",
                  "the errors above say why; `lifeboat audit --status failed` lists them");
  }
  return partial ? ExitCode::kPartialBackup : ExitCode::kOk;
}

// ---- daemon

struct DaemonArgs {
  std::string file;
  std::string log_format;
};

Result<ExitCode> RunDaemon(CommandContext& context, const DaemonArgs& args) {
  std::optional<plan::Plan> loaded = LoadPlanOrReport(args.file);
  if (!loaded) return ExitCode::kUsage;
  plan::Plan& plan = *loaded;
  if (args.log_format == "json") plan.daemon.log_format = plan::LogFormat::kJson;
  if (args.log_format == "text") plan.daemon.log_format = plan::LogFormat::kText;
  LIFEBOAT_ASSIGN_OR_RETURN(std::string audit_db, UseAuditDatabase(context.globals, plan));
  LIFEBOAT_ASSIGN_OR_RETURN(std::string executable, plan::CurrentExecutable());
  plan::EventLog log(plan.daemon.log_format, stderr);
  plan::Daemon daemon(plan::DaemonOptions{.plan_path = args.file,
                                          .executable = executable,
                                          .audit_db = audit_db,
                                          .log = &log,
                                          .log_format_fixed = !args.log_format.empty()},
                      std::move(plan));
  SetSignalDelegate([&daemon](int signal_number) {
    if (signal_number == SIGHUP) {
      daemon.RequestReload();
    } else {
      daemon.RequestStop();
    }
  });
  Status status = daemon.Run();
  SetSignalDelegate(nullptr);
  LIFEBOAT_RETURN_IF_ERROR(status);
  return ExitCode::kOk;
}

// ---- status

struct StatusArgs {
  std::string file;
};

nlohmann::json RecordJson(const std::optional<ops::AuditRecord>& record) {
  if (!record) return nullptr;
  return {{"operation", record->operation},     {"status", record->status},
          {"snapshot_id", record->snapshot_id}, {"started_at", record->started_at},
          {"finished_at", record->finished_at}, {"bytes_added", record->bytes_added},
          {"bytes_total", record->bytes_total}, {"error", record->error}};
}

Result<ExitCode> RunStatus(CommandContext& context, const StatusArgs& args) {
  std::optional<plan::Plan> loaded = LoadPlanOrReport(args.file);
  if (!loaded) return ExitCode::kUsage;
  const plan::Plan& plan = *loaded;
  LIFEBOAT_ASSIGN_OR_RETURN(std::string audit_db, UseAuditDatabase(context.globals, plan));
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<ops::AuditLog> audit, ops::AuditLog::Open(audit_db));
  const int64_t now = SystemClock::Get().NowSeconds();
  LIFEBOAT_ASSIGN_OR_RETURN(std::vector<plan::JobStatus> statuses,
                            plan::JobStatuses(plan, *audit, now));
  bool all_fresh = true;
  nlohmann::json list = nlohmann::json::array();
  std::string text = Pad("JOB", 20) + " " + Pad("TIER", 10) + " " + Pad("STATE", 8) + " " +
                     Pad("LAST SUCCESS", 21) + " " + Pad("AGE", 8) + " " + Pad("STALE AFTER", 11) +
                     " " + Pad("SIZE", 10) + " LAST DRILL\n";
  for (const plan::JobStatus& status : statuses) {
    all_fresh = all_fresh && status.fresh;
    list.push_back({{"job", status.job},
                    {"tier", status.tier},
                    {"source", status.source},
                    {"state", status.state},
                    {"fresh", status.fresh},
                    {"age_seconds", status.age_seconds < 0 ? nlohmann::json(nullptr)
                                                           : nlohmann::json(status.age_seconds)},
                    {"rpo_seconds", status.rpo_seconds},
                    {"rto_seconds", status.rto_seconds},
                    {"stale_after_seconds", status.stale_after_seconds},
                    {"last_success", RecordJson(status.last_success)},
                    {"last_run", RecordJson(status.last_run)},
                    {"last_drill", RecordJson(status.last_drill)}});
    const std::string finished =
        status.last_success ? status.last_success->finished_at.substr(0, 19) + "Z" : "never";
    text += Pad(status.job, 20) + " " + Pad(status.tier, 10) + " " + Pad(status.state, 8) + " " +
            Pad(finished, 21) + " " + Pad(AgeText(status.age_seconds), 8) + " " +
            Pad(plan::FormatDuration(status.stale_after_seconds), 11) + " " +
            Pad(status.last_success ? FormatBytes(status.last_success->bytes_total) : "-", 10) +
            " " + (status.last_drill ? status.last_drill->status : "never") + "\n";
  }
  if (context.globals.json) {
    PrintJson(
        {{"plan", args.file}, {"audit_db", audit_db}, {"all_fresh", all_fresh}, {"jobs", list}});
  } else {
    PrintText(text);
  }
  return all_fresh ? ExitCode::kOk : ExitCode::kObjectiveMissed;
}

}  // namespace

void AddRunCommand(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* command =
      app.add_subcommand("run", "Run a plan's jobs now, in tier order: backup, copies, retention");
  command->add_option("plan", args->file, "the plan file (docs/PLAN.md)")->required();
  command->add_option("jobs", args->jobs, "only these jobs (default: every job)");
  table.Add(command,
            Command{.run = [args](CommandContext& context) { return Run(context, *args); }});
}

void AddDaemonCommand(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<DaemonArgs>();
  CLI::App* command =
      app.add_subcommand("daemon", "Run a plan's schedule until SIGTERM (SIGHUP reloads the plan)");
  command->add_option("plan", args->file, "the plan file (docs/PLAN.md)")->required();
  command->add_option("--log-format", args->log_format, "text or json (default: the plan's)")
      ->check(CLI::IsMember({"text", "json"}));
  table.Add(command,
            Command{.run = [args](CommandContext& context) { return RunDaemon(context, *args); }});
}

void AddStatusCommand(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<StatusArgs>();
  CLI::App* command = app.add_subcommand(
      "status", "Per job of a plan: last success, its age against the objective, last drill");
  command->add_option("plan", args->file, "the plan file (docs/PLAN.md)")->required();
  table.Add(command,
            Command{.run = [args](CommandContext& context) { return RunStatus(context, *args); }});
}

}  // namespace lifeboat::cli
