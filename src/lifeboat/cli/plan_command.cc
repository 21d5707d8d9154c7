// `lifeboat plan check|show PLAN`: validates a plan (plan/plan_loader.h) and prints it resolved:
// repositories (never a secret), tiers, jobs with their sources, schedules, next run times,
// retention and objectives.
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <variant>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/plan/invocation.h"
#include "lifeboat/plan/plan_loader.h"
#include "lifeboat/plan/scheduler.h"
#include "lifeboat/util/clock.h"

namespace lifeboat::cli {

namespace {

struct PlanArgs {
  std::string file;
  std::string now;  // RFC 3339; empty: the current time
  int runs = 3;
};

std::string Plural(size_t count, const std::string& word) {
  if (count == 1) return "1 " + word;
  if (word.ends_with('y'))
    return std::to_string(count) + " " + word.substr(0, word.size() - 1) + "ies";
  return std::to_string(count) + " " + word + "s";
}

std::string Join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

std::string FormatCivil(const CivilTime& civil) {
  char text[32];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02d %02d:%02d", civil.year, civil.month, civil.day,
                civil.hour, civil.minute);
  return text;
}

// "2026-11-24 03:00 Europe/Berlin (2026-11-24 02:00 UTC)", or one time for UTC jobs.
std::string FormatRun(int64_t instant, const plan::TimeZone& zone) {
  const std::string utc = FormatCivil(plan::TimeZone::Utc().ToCivil(instant)) + " UTC";
  if (zone.name() == "UTC") return utc;
  return FormatCivil(zone.ToCivil(instant)) + " " + zone.name() + " (" + utc + ")";
}

std::string RetentionText(const ops::RetentionPolicy& policy) {
  return policy.Empty() ? "keep everything" : policy.Describe();
}

void PrintErrors(const std::vector<plan::PlanError>& errors, bool json) {
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const plan::PlanError& error : errors) {
      list.push_back({{"file", error.file},
                      {"line", error.at.line},
                      {"column", error.at.column},
                      {"message", error.message},
                      {"hint", error.hint}});
    }
    PrintJson({{"ok", false}, {"errors", list}});
  }
  for (const plan::PlanError& error : errors) {
    PrintError(
        Status(StatusCode::kInvalidArgument, error.Location() + ": " + error.message, error.hint));
  }
}

std::string Summary(const plan::Plan& plan) {
  return plan.file + ": ok: " + Plural(plan.repositories.size(), "repository") + ", " +
         Plural(plan.tiers.size(), "tier") + ", " + Plural(plan.jobs.size(), "job") + ", " +
         Plural(plan.drills.size(), "drill") + ", " + Plural(plan.alert_rules.size(), "alert rule");
}

Result<int64_t> Now(const PlanArgs& args) {
  if (args.now.empty()) return SystemClock::Get().NowSeconds();
  int64_t nanos = 0;
  if (!ParseTimeRfc3339(args.now, &nanos)) {
    return InvalidArgumentError("--now \"" + args.now + "\" is not an RFC 3339 time")
        .WithHint("e.g. --now 2026-11-23T09:00:00Z");
  }
  return nanos / 1'000'000'000;
}

Result<ExitCode> RunCheck(CommandContext& context, const PlanArgs& args) {
  plan::PlanLoad load = plan::ReadPlan(args.file);
  if (!load.plan) {
    PrintErrors(load.errors, context.globals.json);
    return ExitCode::kUsage;
  }
  if (context.globals.json) {
    PrintJson({{"ok", true},
               {"file", load.plan->file},
               {"repositories", load.plan->repositories.size()},
               {"tiers", load.plan->tiers.size()},
               {"jobs", load.plan->jobs.size()},
               {"drills", load.plan->drills.size()},
               {"alert_rules", load.plan->alert_rules.size()}});
  } else {
    PrintText(Summary(*load.plan) + "\n");
  }
  return ExitCode::kOk;
}

nlohmann::json SecretJson(const plan::SecretSource& source) {
  return source.given() ? nlohmann::json(source.Describe()) : nlohmann::json(nullptr);
}

nlohmann::json ShowJson(const plan::Plan& plan, int64_t now, int runs) {
  nlohmann::json repositories = nlohmann::json::array();
  for (const plan::Repository& repository : plan.repositories) {
    repositories.push_back({{"name", repository.name},
                            {"primary", repository.primary},
                            {"location", repository.location},
                            {"options", repository.options},
                            {"password", SecretJson(repository.password)}});
  }
  nlohmann::json tiers = nlohmann::json::array();
  for (const plan::Tier& tier : plan.tiers) {
    tiers.push_back({{"name", tier.name},
                     {"level", tier.level},
                     {"rpo_seconds", tier.rpo_seconds},
                     {"rto_seconds", tier.rto_seconds},
                     {"stale_after_seconds", tier.stale_after_seconds},
                     {"retention", RetentionText(tier.retention)}});
  }
  nlohmann::json jobs = nlohmann::json::array();
  for (const plan::Task& task : plan::TasksOf(plan)) {  // in run order, as the text shows them
    if (task.kind != plan::TaskKind::kJob) continue;
    const plan::Job& job = *plan.FindJob(task.name);
    const plan::Tier& tier = plan.TierOf(job);
    nlohmann::json next = nlohmann::json::array();
    for (int64_t instant : plan::NextRuns(job.schedule, now, runs)) {
      next.push_back({{"utc", FormatTimeRfc3339(instant * 1'000'000'000)},
                      {"local", FormatCivil(job.schedule.zone.ToCivil(instant))},
                      {"unix_seconds", instant}});
    }
    jobs.push_back({{"name", job.name},
                    {"tier", job.tier},
                    {"tier_level", tier.level},
                    {"source",
                     {{"kind", plan::SourceKindName(job.source)},
                      {"summary", plan::SourceSummary(job.source)}}},
                    {"schedule", job.schedule.cron.text()},
                    {"timezone", job.schedule.zone.name()},
                    {"next_runs", next},
                    {"retention", RetentionText(plan.RetentionOf(job))},
                    {"copy_to", job.copy_to},
                    {"rpo_seconds", tier.rpo_seconds},
                    {"rto_seconds", tier.rto_seconds},
                    {"stale_after_seconds", tier.stale_after_seconds},
                    {"command", plan::BackupInvocation(plan, job).Display()}});
  }
  nlohmann::json drills = nlohmann::json::array();
  for (const plan::Drill& drill : plan.drills) {
    nlohmann::json next = nlohmann::json::array();
    for (int64_t instant : plan::NextRuns(drill.schedule, now, runs)) {
      next.push_back(FormatTimeRfc3339(instant * 1'000'000'000));
    }
    drills.push_back({{"name", drill.name},
                      {"job", drill.job},
                      {"schedule", drill.schedule.cron.text()},
                      {"timezone", drill.schedule.zone.name()},
                      {"next_runs", next},
                      {"queries", drill.queries.size()},
                      {"rto_seconds", drill.rto_seconds}});
  }
  nlohmann::json out = {{"file", plan.file},
                        {"version", plan.version},
                        {"repositories", repositories},
                        {"tiers", tiers},
                        {"jobs", jobs},
                        {"drills", drills},
                        {"alert_channels", plan.alert_channels.size()},
                        {"alert_rules", plan.alert_rules.size()}};
  if (plan.prune.schedule) {
    out["prune"] = {{"schedule", plan.prune.schedule->cron.text()},
                    {"timezone", plan.prune.schedule->zone.name()},
                    {"repositories", plan.prune.repositories}};
  }
  return out;
}

std::string ShowText(const plan::Plan& plan, int64_t now, int runs) {
  std::string text = "Plan " + plan.file + " (version " + std::to_string(plan.version) + ")\n";
  text += "\nRepositories:\n";
  for (const plan::Repository& repository : plan.repositories) {
    text += "  " + repository.name + (repository.primary ? " (primary)" : " (copy)") + ": " +
            repository.location + "\n    password from " + repository.password.Describe() + "\n";
    for (const auto& [key, value] : repository.options) {
      text += "    option " + key + "=" + value + "\n";
    }
  }
  text += "\nTiers:\n";
  for (const plan::Tier& tier : plan.tiers) {
    text += "  " + std::to_string(tier.level) + " " + tier.name + ": rpo " +
            plan::FormatDuration(tier.rpo_seconds) + ", rto " +
            plan::FormatDuration(tier.rto_seconds) + ", stale after " +
            plan::FormatDuration(tier.stale_after_seconds) +
            "\n    retention: " + RetentionText(tier.retention) + "\n";
  }
  text += "\nJobs (in run order):\n";
  for (const plan::Task& task : plan::TasksOf(plan)) {
    if (task.kind != plan::TaskKind::kJob) continue;
    const plan::Job& job = *plan.FindJob(task.name);
    const plan::Tier& tier = plan.TierOf(job);
    text += "  " + job.name + " (tier " + std::to_string(tier.level) + " " + tier.name + ")\n";
    text += "    source:     " + plan::SourceSummary(job.source) + "\n";
    text += "    schedule:   " + job.schedule.cron.text() + " (" + job.schedule.zone.name() + ")\n";
    const std::vector<int64_t> next = plan::NextRuns(job.schedule, now, runs);
    for (size_t index = 0; index < next.size(); ++index) {
      text += std::string(index == 0 ? "    next runs:  " : "                ") +
              FormatRun(next[index], job.schedule.zone) + "\n";
    }
    text += "    retention:  " + RetentionText(plan.RetentionOf(job)) +
            (job.retention ? "" : " (tier default)") + "\n";
    text +=
        "    copy to:    " + (job.copy_to.empty() ? std::string("none") : Join(job.copy_to)) + "\n";
    text += "    objectives: rpo " + plan::FormatDuration(tier.rpo_seconds) + ", rto " +
            plan::FormatDuration(tier.rto_seconds) + ", stale after " +
            plan::FormatDuration(tier.stale_after_seconds) + "\n";
    for (const plan::Hook& hook : job.before) {
      text += "    before:     " + hook.command + " (timeout " +
              plan::FormatDuration(hook.timeout_seconds) + ")\n";
    }
    for (const plan::Hook& hook : job.after) {
      text += "    after:      " + hook.command + " (timeout " +
              plan::FormatDuration(hook.timeout_seconds) + ")\n";
    }
  }
  if (!plan.drills.empty()) {
    text += "\nDrills:\n";
    for (const plan::Drill& drill : plan.drills) {
      const std::vector<int64_t> next = plan::NextRuns(drill.schedule, now, 1);
      text += "  " + drill.name + ": restores job " + drill.job + ", " +
              Plural(drill.queries.size(), "query") + ", rto " +
              plan::FormatDuration(drill.rto_seconds) +
              "\n    schedule:   " + drill.schedule.cron.text() + " (" +
              drill.schedule.zone.name() + ")" +
              (next.empty() ? "" : ", next " + FormatRun(next.front(), drill.schedule.zone)) + "\n";
    }
  }
  if (plan.prune.schedule) {
    const std::vector<int64_t> next = plan::NextRuns(*plan.prune.schedule, now, 1);
    text += "\nPrune: " + plan.prune.schedule->cron.text() + " (" +
            plan.prune.schedule->zone.name() + ")" +
            (next.empty() ? "" : ", next " + FormatRun(next.front(), plan.prune.schedule->zone)) +
            ", repositories " + Join(plan.prune.repositories) + "\n";
  }
  text += "\nAlerts: " + Plural(plan.alert_channels.size(), "channel") + ", " +
          Plural(plan.alert_rules.size(), "rule") + "\n";
  return text;
}

Result<ExitCode> RunShow(CommandContext& context, const PlanArgs& args) {
  LIFEBOAT_ASSIGN_OR_RETURN(const int64_t now, Now(args));
  plan::PlanLoad load = plan::ReadPlan(args.file);
  if (!load.plan) {
    PrintErrors(load.errors, context.globals.json);
    return ExitCode::kUsage;
  }
  if (context.globals.json) {
    PrintJson(ShowJson(*load.plan, now, args.runs));
  } else {
    PrintText(ShowText(*load.plan, now, args.runs));
  }
  return ExitCode::kOk;
}

}  // namespace

void AddPlanCommand(CLI::App& app, CommandTable& table) {
  CLI::App* group = app.add_subcommand("plan", "Disaster-recovery plans: check, show");
  group->require_subcommand(1);
  group->footer("The plan's format is described in docs/PLAN.md.");

  auto check = std::make_shared<PlanArgs>();
  CLI::App* c = group->add_subcommand(
      "check", "Validate a plan; print each error as FILE:LINE:COLUMN (exit code 2)");
  c->add_option("plan", check->file, "the plan file (YAML)")->required()->type_name("PLAN");
  table.Add(c, Command{.access = RepositoryAccess::kNone, .run = [check](CommandContext& context) {
                         return RunCheck(context, *check);
                       }});

  auto show = std::make_shared<PlanArgs>();
  CLI::App* s = group->add_subcommand(
      "show", "Print the resolved plan: repositories, tiers, jobs, next run times, objectives");
  s->add_option("plan", show->file, "the plan file (YAML)")->required()->type_name("PLAN");
  s->add_option("--now", show->now, "compute next runs from this RFC 3339 time, not the clock")
      ->type_name("TIME");
  s->add_option("--runs", show->runs, "how many next run times to show per job (default 3)")
      ->check(CLI::Range(1, 100));
  table.Add(s, Command{.access = RepositoryAccess::kNone,
                       .validate = [show](const GlobalOptions&) { return Now(*show).status(); },
                       .run = [show](CommandContext& context) { return RunShow(context, *show); }});
}

}  // namespace lifeboat::cli
