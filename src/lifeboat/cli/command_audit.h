// The audit record of one command run (ops/audit.h). The dispatcher (app.cc) starts a
// CommandAudit before the command opens its repository and finishes it with the exit code
// before the process reports the result, so the record is committed to the audit database
// first. A copy goes to the repository the command used (when one was opened, the command is
// not a read-only listing and did not leave the repository unchanged: dry runs) and, when
// configured, to PostgreSQL; those two are warnings when they fail, the database is not.
//
// Commands with RepositoryAccess::kNone (version, audit) leave no record. If the process is
// stopped by SIGINT/SIGTERM, an interrupt cleanup appends the record with status "interrupted".
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "lifeboat/cli/command.h"
#include "lifeboat/ops/audit.h"

namespace lifeboat::cli {

// The audit database the options name: --audit-db / LIFEBOAT_AUDIT_DB, else the default
// (ops::DefaultAuditDatabasePath).
Result<std::string> AuditDatabasePath(const GlobalOptions& globals);

class CommandAudit {
 public:
  // Does nothing (and Start/Finish succeed) when `enabled` is false.
  CommandAudit(const GlobalOptions& globals, std::string operation, bool enabled,
               AuditPolicy policy);
  ~CommandAudit();
  CommandAudit(const CommandAudit&) = delete;
  CommandAudit& operator=(const CommandAudit&) = delete;

  // Opens the audit database. An error means a kRequired command must not run.
  Status Start();
  ops::AuditFacts* facts() { return &facts_; }
  // Appends the record for a run that ended with `exit_code`; `error` is the failure, if any.
  // `session` (may be null) is where the repository copy goes. Returns the database's error;
  // the other sinks' errors are printed as warnings.
  Status Finish(int exit_code, const Status& error, Session* session);
  AuditPolicy policy() const { return policy_; }

 private:
  ops::AuditRecord MakeRecord(std::string status, std::string error) const;
  Status AppendLocked(ops::AuditRecord record, Session* session);

  const GlobalOptions& globals_;
  std::string operation_;
  bool enabled_;
  AuditPolicy policy_;
  int64_t started_ns_;
  ops::AuditFacts facts_;
  std::mutex mutex_;  // between Finish and the interrupt cleanup
  bool finished_ = false;
  std::unique_ptr<ops::AuditLog> log_;
  std::unique_ptr<InterruptCleanup> on_interrupt_;
};

}  // namespace lifeboat::cli
