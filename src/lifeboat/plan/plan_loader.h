// Loading a plan: YAML text → a validated Plan (plan.h), or every error found, each with the
// file, line and column it is about, a message and a hint:
//
//   plan.yaml:12:15: unknown key "schedul" in job "database"
//   hint: did you mean "schedule"?
//
// Validation is strict, because a plan that is silently misread backs up the wrong thing:
// unknown keys, wrong types, bad cron expressions, durations without a unit, references to
// tiers, repositories, jobs or channels that do not exist, duplicate names, secrets written
// inline without `insecure_inline: true` and unknown time zones are all errors. The loader goes
// on after an error where it can, so one run reports them all.
//
// yaml-cpp throws; it is called only behind this interface (plan_reader.h, plan_loader.cc,
// plan_sections.cc), where Run catches and converts.
// Thread-compatible; the only file read is the plan (and time zone files).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lifeboat/plan/plan.h"
#include "lifeboat/util/result.h"

namespace lifeboat::plan {

struct PlanError {
  std::string file;
  Position at;  // line 0: about the whole file
  std::string message;
  std::string hint;

  // "file:line:column: message" ("file: message" without a position); the hint is separate.
  std::string Location() const;
  std::string ToString() const;
};

struct PlanLoad {
  std::optional<Plan> plan;  // set when there are no errors
  std::vector<PlanError> errors;
};

// `file` names the text in messages.
PlanLoad ParsePlan(std::string_view text, const std::string& file);
// Reads and parses the file; a file that cannot be read is one error without a position.
PlanLoad ReadPlan(const std::string& path);

// The same, with the errors folded into one kInvalidArgument Status: the first error's
// "file:line:column: message" and hint, plus "(and N more errors)" when there are more.
Result<Plan> LoadPlan(const std::string& path);
Result<Plan> LoadPlanFromString(std::string_view text, const std::string& file = "<plan>");
Status ErrorsToStatus(const std::vector<PlanError>& errors);

}  // namespace lifeboat::plan
