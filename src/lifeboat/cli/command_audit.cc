#include "lifeboat/cli/command_audit.h"

#include <utility>

#include "lifeboat/cli/identity.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/util/clock.h"

namespace lifeboat::cli {

Result<std::string> AuditDatabasePath(const GlobalOptions& globals) {
  if (!globals.audit_db.empty()) return globals.audit_db;
  return ops::DefaultAuditDatabasePath();
}

CommandAudit::CommandAudit(const GlobalOptions& globals, std::string operation, bool enabled,
                           AuditPolicy policy)
    : globals_(globals),
      operation_(std::move(operation)),
      enabled_(enabled),
      policy_(policy),
      started_ns_(SystemClock().NowNanos()) {}

CommandAudit::~CommandAudit() { on_interrupt_.reset(); }

Status CommandAudit::Start() {
  if (!enabled_) return Status::Ok();
  LIFEBOAT_ASSIGN_OR_RETURN(std::string path, AuditDatabasePath(globals_));
  Result<std::unique_ptr<ops::AuditLog>> log = ops::AuditLog::Open(path);
  if (!log.ok()) return log.status();
  log_ = std::move(log).value();
  on_interrupt_ = std::make_unique<InterruptCleanup>([this] {
    std::lock_guard lock(mutex_);
    if (finished_) return;
    finished_ = true;
    // The repository may be mid-write on the main thread: only the database gets this one.
    log_->Append(MakeRecord(std::string(ops::kAuditInterrupted),
                            "interrupted by a signal before the command finished"))
        .status()
        .IgnoreError();
  });
  return Status::Ok();
}

ops::AuditRecord CommandAudit::MakeRecord(std::string status, std::string error) const {
  const int64_t finished_ns = SystemClock().NowNanos();
  ops::AuditRecord record;
  record.operation = operation_;
  record.job = globals_.job;
  record.repository = ops::SanitizeLocation(globals_.repository);
  record.snapshot_id = facts_.snapshot_id;
  record.bytes_added = facts_.bytes_added;
  record.bytes_total = facts_.bytes_total;
  record.status = std::move(status);
  record.error = std::move(error);
  record.started_at = ops::FormatAuditTime(started_ns_);
  record.finished_at = ops::FormatAuditTime(finished_ns);
  record.duration_ms = finished_ns / 1'000'000 - started_ns_ / 1'000'000;
  record.host = Hostname();
  record.user = Username();
  return record;
}

Status CommandAudit::Finish(int exit_code, const Status& error, Session* session) {
  if (!enabled_) return Status::Ok();
  std::lock_guard lock(mutex_);
  if (finished_ || log_ == nullptr) return Status::Ok();
  finished_ = true;
  std::string status;
  switch (static_cast<ExitCode>(exit_code)) {
    case ExitCode::kOk:
      status = ops::kAuditSuccess;
      break;
    case ExitCode::kPartialBackup:
      status = ops::kAuditPartial;
      break;
    case ExitCode::kInterrupted:
    case ExitCode::kTerminated:
      status = ops::kAuditInterrupted;
      break;
    default:
      status = ops::kAuditFailed;
      break;
  }
  std::string message;
  if (!error.ok()) {
    message = error.message();
  } else if (status != ops::kAuditSuccess) {
    message = "exit code " + std::to_string(exit_code);
  }
  ops::AuditRecord record = MakeRecord(std::move(status), std::move(message));
  if (session != nullptr && !session->location.empty()) {
    record.repository = ops::SanitizeLocation(session->location);
  }
  Result<ops::AuditRecord> appended = log_->Append(std::move(record));
  if (!appended.ok()) {
    return appended.status().WithContext("the audit record of `" + operation_ +
                                         "` was not written");
  }
  // Listings are not worth an object each; runs that promise to change nothing keep it.
  if (session != nullptr && session->repository != nullptr && policy_ == AuditPolicy::kRequired &&
      !facts_.unchanged) {
    Status copied = ops::SaveAuditRecordToRepository(*session->repository, *appended);
    if (!copied.ok()) {
      PrintWarning("the audit record was not copied to the repository: " + copied.message());
    }
  }
  if (!globals_.audit_postgres.empty()) {
    Status inserted = ops::AppendAuditRecordToPostgres(globals_.audit_postgres, *appended);
    if (!inserted.ok()) {
      PrintWarning("the audit record was not written to PostgreSQL (it is in " + log_->path() +
                   "): " + inserted.message());
    }
  }
  return Status::Ok();
}

}  // namespace lifeboat::cli
