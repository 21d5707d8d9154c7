// Job status: for each job of a plan, when it last backed up successfully, how old that is
// against the job's staleness threshold (its tier's RPO unless the plan says otherwise), how its
// latest run went, and its last drill — what `lifeboat status`, and later /health/detailed,
// report. Read from the audit log alone, so it needs no repository password and works while a
// backup runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lifeboat/ops/audit.h"
#include "lifeboat/plan/plan.h"

namespace lifeboat::plan {

struct JobStatus {
  std::string job;
  std::string tier;
  std::string source;  // SourceKindName
  int64_t rpo_seconds = 0;
  int64_t rto_seconds = 0;
  int64_t stale_after_seconds = 0;
  std::optional<ops::AuditRecord> last_success;  // the newest successful (or partial) backup
  std::optional<ops::AuditRecord> last_run;      // the newest backup, whatever its status
  std::optional<ops::AuditRecord> last_drill;
  int64_t age_seconds = -1;  // of last_success at `now`; -1 without one
  // Whether the job meets its objective: a successful backup younger than stale_after.
  bool fresh = false;
  // "ok", "stale" (too old), "failing" (fresh, but its latest run failed), "never" (no success).
  std::string state;
};

// A backup operation in the audit log: "backup", "pg backup", "bucket backup", ...
bool IsBackupOperation(const std::string& operation);

Result<std::vector<JobStatus>> JobStatuses(const Plan& plan, ops::AuditLog& audit,
                                           int64_t now_seconds);

}  // namespace lifeboat::plan
