#include "lifeboat/plan/status.h"

#include "lifeboat/plan/scheduler.h"
#include "lifeboat/util/clock.h"

namespace lifeboat::plan {

bool IsBackupOperation(const std::string& operation) {
  return operation == "backup" ||
         (operation.size() > 7 && operation.compare(operation.size() - 7, 7, " backup") == 0);
}

Result<std::vector<JobStatus>> JobStatuses(const Plan& plan, ops::AuditLog& audit,
                                           int64_t now_seconds) {
  std::vector<JobStatus> statuses;
  for (const Job& job : plan.jobs) {
    const Tier& tier = plan.TierOf(job);
    JobStatus status;
    status.job = job.name;
    status.tier = job.tier;
    status.source = SourceKindName(job.source);
    status.rpo_seconds = tier.rpo_seconds;
    status.rto_seconds = tier.rto_seconds;
    status.stale_after_seconds = tier.stale_after_seconds;
    ops::AuditFilter filter;
    filter.job = job.name;
    LIFEBOAT_ASSIGN_OR_RETURN(std::vector<ops::AuditRecord> records, audit.Query(filter));
    // Oldest first: the last match wins.
    for (ops::AuditRecord& record : records) {
      if (record.operation == "drill") {
        status.last_drill = record;
      } else if (IsBackupOperation(record.operation)) {
        status.last_run = record;
        if (record.status == ops::kAuditSuccess || record.status == ops::kAuditPartial) {
          status.last_success = record;
        }
      }
    }
    std::optional<int64_t> finished;
    int64_t nanos = 0;
    if (status.last_success && ParseTimeRfc3339(status.last_success->finished_at, &nanos)) {
      finished = nanos / 1'000'000'000;
    }
    const Freshness freshness = FreshnessOf(plan, job, finished, now_seconds);
    status.age_seconds = freshness.age_seconds.value_or(-1);
    status.stale_after_seconds = freshness.threshold_seconds;
    status.fresh = !freshness.stale;
    if (!status.last_success) {
      status.state = "never";
    } else if (!status.fresh) {
      status.state = "stale";
    } else if (status.last_run && status.last_run->status == ops::kAuditFailed) {
      status.state = "failing";
    } else {
      status.state = "ok";
    }
    statuses.push_back(std::move(status));
  }
  return statuses;
}

}  // namespace lifeboat::plan
