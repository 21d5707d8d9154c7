// The audit log: one record per operation lifeboat runs (backup, copy, forget, prune, check,
// restore, drill, key change, plan reload, ...), kept where compliance reviews look for it.
//
// Records are hash-chained: each carries the SHA-256 of the one before (prev_hash) and its own
// hash over a canonical serialisation of every field but the sequence number, so a record that
// is removed, altered or moved is found by AuditLog::Verify. The sequence number is the record's
// position in the log; the chain, not the sequence, is what fixes the order.
//
// Three places hold a record:
//   - the primary sink, an SQLite database (AuditLog; WAL mode, synchronous=FULL). Appends take
//     the database's write lock (BEGIN IMMEDIATE), read the last hash and insert in one
//     transaction, so a daemon and CLI runs append to one chain concurrently;
//   - a copy in the repository (audit/<sha256> sealed files, docs/FORMAT.md), so the history
//     survives losing the machine: SaveAuditRecordToRepository, LoadAuditRecordsFromRepository;
//   - optionally a PostgreSQL table, the seeds' backup_audit_log plus lifeboat's columns
//     (AppendAuditRecordToPostgres).
// The CLI (cli/app.cc) appends one record per command that touches a repository.
//
// An AuditLog is used from one thread; processes and threads each open their own.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lifeboat/repo/repository.h"
#include "lifeboat/util/result.h"

struct sqlite3;

namespace lifeboat::ops {

// What a command learns while it runs and the dispatcher cannot: the snapshot it wrote and the
// bytes it moved. Left empty/zero by commands that have nothing to say.
struct AuditFacts {
  std::string snapshot_id;  // 64 hex digits
  uint64_t bytes_added = 0;
  uint64_t bytes_total = 0;
  // The run left the repository as it was (a dry run, a copy with nothing to copy): its
  // record stays out of the repository, which such runs promise not to touch.
  bool unchanged = false;
};

// The record's status values.
inline constexpr std::string_view kAuditSuccess = "success";
inline constexpr std::string_view kAuditFailed = "failed";
inline constexpr std::string_view kAuditPartial = "partial";
inline constexpr std::string_view kAuditInterrupted = "interrupted";
bool IsAuditStatus(std::string_view status);

struct AuditRecord {
  std::string id;           // a random UUID (version 4); Append assigns one when empty
  int64_t sequence = 0;     // 1, 2, ... in the database it was appended to; assigned by Append
  std::string operation;    // "backup", "pg backup", "bucket restore", "plan reload", ...
  std::string job;          // the plan's job name, or empty
  std::string repository;   // location without credentials (SanitizeLocation)
  std::string snapshot_id;  // the snapshot written, or empty
  uint64_t bytes_added = 0;
  uint64_t bytes_total = 0;
  std::string status;       // kAuditSuccess, kAuditFailed, kAuditPartial or kAuditInterrupted
  std::string error;        // the error message when not successful
  std::string started_at;   // UTC, ISO 8601 with milliseconds: 2026-11-23T18:41:21.123Z
  std::string finished_at;  // same form
  int64_t duration_ms = 0;
  std::string host;
  std::string user;
  std::string prev_hash;  // 64 hex digits, or empty for the first record
  std::string hash;       // AuditRecordHash(*this)
};

// "2026-11-23T18:41:21.123Z" for a time in Unix nanoseconds (truncated to milliseconds).
std::string FormatAuditTime(int64_t unix_nanos);
// A random version-4 UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
std::string NewAuditId();
// `location` with any "user:password@" after a scheme's "://" removed, so a record never holds
// credentials.
std::string SanitizeLocation(std::string_view location);

// The bytes the hash covers: a version line, then each field but sequence and hash as
// "name length:value\n" (docs/FORMAT.md).
std::string CanonicalAuditRecord(const AuditRecord& record);
// SHA-256 of CanonicalAuditRecord, in hex.
std::string AuditRecordHash(const AuditRecord& record);

// JSON objects with every field, as `lifeboat audit --json` prints and the repository copy
// stores. kCorruption for a payload that is not a record.
std::string EncodeAuditRecord(const AuditRecord& record);
Result<AuditRecord> DecodeAuditRecord(std::string_view json);

struct AuditFilter {
  std::string since;      // records started at or after this time (FormatAuditTime's form)
  std::string job;        // exact match; empty: any
  std::string status;     // exact match; empty: any
  std::string operation;  // exact match; empty: any
  size_t limit = 0;       // the newest `limit` matching records; 0: all
};

// The records of `records` (oldest first) that match, as AuditLog::Query selects them: for
// the repository copy, which is filtered in memory.
std::vector<AuditRecord> FilterAuditRecords(std::vector<AuditRecord> records,
                                            const AuditFilter& filter);

// "7d", "12h", "30m" (before `now_nanos`), "2026-11-01" (midnight UTC) or an RFC 3339 time,
// as FormatAuditTime's form. kInvalidArgument naming the accepted forms otherwise.
Result<std::string> ParseAuditSince(std::string_view text, int64_t now_nanos);

// The default database path (--audit-db and LIFEBOAT_AUDIT_DB, the CLI's, come first):
// $XDG_STATE_HOME/lifeboat/audit.db, else $HOME/.local/state/lifeboat/audit.db.
// kInvalidArgument when neither variable is set.
Result<std::string> DefaultAuditDatabasePath();

class AuditLog {
 public:
  // Opens (creating the file, its directory and the table as needed) the database at `path`.
  static Result<std::unique_ptr<AuditLog>> Open(const std::string& path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Assigns the id (when empty), sequence, prev_hash and hash, and commits the record durably
  // before returning it. Waits for other writers (busy timeout) rather than failing.
  Result<AuditRecord> Append(AuditRecord record);
  // Matching records, oldest first.
  Result<std::vector<AuditRecord>> Query(const AuditFilter& filter);
  // Walks the chain in sequence order; one message per record found removed, altered or out
  // of order (empty when the log is intact):
  //   record #N (id ID) was altered: its content does not match its hash
  //   record #N (id ID) is out of order: it was appended after record #M (id ID2)
  //   record #N (id ID) follows a record that is missing: a record before it was removed
  // Removing the newest records leaves a shorter chain that is whole; the repository copy is
  // the evidence for those (FindRecordsMissingFromTheEnd).
  Result<std::vector<std::string>> Verify();

  const std::string& path() const { return path_; }

 private:
  AuditLog(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status Exec(const char* sql);
  Status Error(const std::string& what) const;
  sqlite3* db_;
  std::string path_;
};

// Stores the record as a sealed audit/<sha256> file in the repository.
Status SaveAuditRecordToRepository(repo::Repository& repository, const AuditRecord& record);
// Every record stored in the repository, ordered by start time then id. Files that cannot be
// read fail the listing with kCorruption naming the file.
Result<std::vector<AuditRecord>> LoadAuditRecordsFromRepository(repo::Repository& repository);

// What the chain alone cannot show: records removed from the end of the log. Each record of
// `copies` (the repository's) that continues `log`'s chain past its last record is reported,
// in chain order:
//   record #N (id ID) is missing from the end of the log: the repository holds a copy
// An empty log reports nothing (every other machine's first record would match).
std::vector<std::string> FindRecordsMissingFromTheEnd(const std::vector<AuditRecord>& log,
                                                      const std::vector<AuditRecord>& copies);

// Creates the seeds' table (CREATE TABLE IF NOT EXISTS backup_audit_log ..., adding lifeboat's
// columns when missing) and inserts the record. `conninfo` is libpq's; errors never contain
// the password.
Status AppendAuditRecordToPostgres(const std::string& conninfo, const AuditRecord& record);

}  // namespace lifeboat::ops
