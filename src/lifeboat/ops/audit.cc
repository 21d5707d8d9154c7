#include "lifeboat/ops/audit.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <utility>

#include "lifeboat/crypto/random.h"
#include "lifeboat/crypto/sha256.h"
#include "lifeboat/sources/postgres/connection.h"
#include "lifeboat/util/clock.h"

namespace lifeboat::ops {
namespace {

constexpr std::string_view kCanonicalVersion = "lifeboat audit record v1\n";
// Long enough for a backup finishing while a daemon's job appends; an append holds the write
// lock for one short transaction.
constexpr int kBusyTimeoutMs = 30'000;

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS audit_log (
  sequence INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  operation TEXT NOT NULL,
  job TEXT NOT NULL,
  repository TEXT NOT NULL,
  snapshot_id TEXT NOT NULL,
  bytes_added INTEGER NOT NULL,
  bytes_total INTEGER NOT NULL,
  status TEXT NOT NULL,
  error TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  host TEXT NOT NULL,
  user TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_started_at ON audit_log (started_at);
)";

constexpr const char* kColumns =
    "sequence, id, operation, job, repository, snapshot_id, bytes_added, bytes_total, status, "
    "error, started_at, finished_at, duration_ms, host, user, prev_hash, hash";

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ' ';
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += '\n';
}

// A prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) {
    rc_ = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }
  void Bind(int index, const std::string& text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void Bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  std::string Text(int column) {
    const unsigned char* text = sqlite3_column_text(stmt_, column);
    return text == nullptr ? std::string()
                           : std::string(reinterpret_cast<const char*>(text),
                                         static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  int64_t Int(int column) { return sqlite3_column_int64(stmt_, column); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

AuditRecord ReadRow(Statement& row) {
  AuditRecord record;
  record.sequence = row.Int(0);
  record.id = row.Text(1);
  record.operation = row.Text(2);
  record.job = row.Text(3);
  record.repository = row.Text(4);
  record.snapshot_id = row.Text(5);
  record.bytes_added = static_cast<uint64_t>(row.Int(6));
  record.bytes_total = static_cast<uint64_t>(row.Int(7));
  record.status = row.Text(8);
  record.error = row.Text(9);
  record.started_at = row.Text(10);
  record.finished_at = row.Text(11);
  record.duration_ms = row.Int(12);
  record.host = row.Text(13);
  record.user = row.Text(14);
  record.prev_hash = row.Text(15);
  record.hash = row.Text(16);
  return record;
}

std::string Describe(const AuditRecord& record) {
  return "record #" + std::to_string(record.sequence) + " (id " + record.id + ")";
}

Status MakeParentDirectories(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return Status::Ok();
  const std::string directory = path.substr(0, slash);
  size_t start = 1;
  while (start <= directory.size()) {
    size_t end = directory.find('/', start);
    if (end == std::string::npos) end = directory.size();
    const std::string level = directory.substr(0, end);
    // 0700: the log names repositories, hosts and users.
    if (::mkdir(level.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoError(errno, "creating directory " + level)
          .WithHint("set --audit-db or LIFEBOAT_AUDIT_DB to a writable place");
    }
    start = end + 1;
  }
  return Status::Ok();
}

}  // namespace

bool IsAuditStatus(std::string_view status) {
  return status == kAuditSuccess || status == kAuditFailed || status == kAuditPartial ||
         status == kAuditInterrupted;
}

std::string FormatAuditTime(int64_t unix_nanos) {
  // FormatTimeRfc3339 gives nanoseconds: "....SS.nnnnnnnnnZ"; keep three digits.
  std::string text = FormatTimeRfc3339(unix_nanos);
  const size_t dot = text.find('.');
  return text.substr(0, dot + 4) + "Z";
}

std::string NewAuditId() {
  Bytes raw = crypto::RandomBytes(16);
  raw[6] = static_cast<uint8_t>((raw[6] & 0x0f) | 0x40);  // version 4
  raw[8] = static_cast<uint8_t>((raw[8] & 0x3f) | 0x80);  // RFC 4122 variant
  const std::string hex = HexEncode(raw);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string SanitizeLocation(std::string_view location) {
  const size_t scheme = location.find("://");
  if (scheme == std::string_view::npos) return std::string(location);
  const size_t authority = scheme + 3;
  size_t end = location.find('/', authority);
  if (end == std::string_view::npos) end = location.size();
  const size_t at = location.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < authority) return std::string(location);
  return std::string(location.substr(0, authority)) + std::string(location.substr(at + 1));
}

std::string CanonicalAuditRecord(const AuditRecord& record) {
  std::string out(kCanonicalVersion);
  AppendField(out, "id", record.id);
  AppendField(out, "operation", record.operation);
  AppendField(out, "job", record.job);
  AppendField(out, "repository", record.repository);
  AppendField(out, "snapshot_id", record.snapshot_id);
  AppendField(out, "bytes_added", std::to_string(record.bytes_added));
  AppendField(out, "bytes_total", std::to_string(record.bytes_total));
  AppendField(out, "status", record.status);
  AppendField(out, "error", record.error);
  AppendField(out, "started_at", record.started_at);
  AppendField(out, "finished_at", record.finished_at);
  AppendField(out, "duration_ms", std::to_string(record.duration_ms));
  AppendField(out, "host", record.host);
  AppendField(out, "user", record.user);
  AppendField(out, "prev_hash", record.prev_hash);
  return out;
}

std::string AuditRecordHash(const AuditRecord& record) {
  const std::string canonical = CanonicalAuditRecord(record);
  return crypto::Sha256(AsBytes(canonical)).Hex();
}

std::string EncodeAuditRecord(const AuditRecord& record) {
  nlohmann::ordered_json json{{"id", record.id},
                              {"sequence", record.sequence},
                              {"operation", record.operation},
                              {"job", record.job},
                              {"repository", record.repository},
                              {"snapshot_id", record.snapshot_id},
                              {"bytes_added", record.bytes_added},
                              {"bytes_total", record.bytes_total},
                              {"status", record.status},
                              {"error", record.error},
                              {"started_at", record.started_at},
                              {"finished_at", record.finished_at},
                              {"duration_ms", record.duration_ms},
                              {"host", record.host},
                              {"user", record.user},
                              {"prev_hash", record.prev_hash},
                              {"hash", record.hash}};
  return json.dump();
}

Result<AuditRecord> DecodeAuditRecord(std::string_view text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return CorruptionError("an audit record is not a JSON object");
  AuditRecord record;
  try {
    record.id = json.at("id").get<std::string>();
    record.sequence = json.at("sequence").get<int64_t>();
    record.operation = json.at("operation").get<std::string>();
    record.job = json.at("job").get<std::string>();
    record.repository = json.at("repository").get<std::string>();
    record.snapshot_id = json.at("snapshot_id").get<std::string>();
    record.bytes_added = json.at("bytes_added").get<uint64_t>();
    record.bytes_total = json.at("bytes_total").get<uint64_t>();
    record.status = json.at("status").get<std::string>();
    record.error = json.at("error").get<std::string>();
    record.started_at = json.at("started_at").get<std::string>();
    record.finished_at = json.at("finished_at").get<std::string>();
    record.duration_ms = json.at("duration_ms").get<int64_t>();
    record.host = json.at("host").get<std::string>();
    record.user = json.at("user").get<std::string>();
    record.prev_hash = json.at("prev_hash").get<std::string>();
    record.hash = json.at("hash").get<std::string>();
  } catch (const nlohmann::json::exception& error) {
    return CorruptionError(std::string("an audit record is malformed: ") + error.what());
  }
  return record;
}

std::vector<AuditRecord> FilterAuditRecords(std::vector<AuditRecord> records,
                                            const AuditFilter& filter) {
  std::erase_if(records, [&](const AuditRecord& record) {
    return (!filter.since.empty() && record.started_at < filter.since) ||
           (!filter.job.empty() && record.job != filter.job) ||
           (!filter.status.empty() && record.status != filter.status) ||
           (!filter.operation.empty() && record.operation != filter.operation);
  });
  if (filter.limit > 0 && records.size() > filter.limit) {
    records.erase(records.begin(), records.end() - static_cast<ptrdiff_t>(filter.limit));
  }
  return records;
}

Result<std::string> ParseAuditSince(std::string_view text, int64_t now_nanos) {
  const std::string value(text);
  auto invalid = [&] {
    return InvalidArgumentError("--since " + value + " is not a duration or a date")
        .WithHint("use 7d, 12h or 30m (before now), 2026-11-01 (UTC) or an RFC 3339 time");
  };
  if (value.size() >= 2 &&
      std::all_of(value.begin(), value.end() - 1, [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t unit = 0;
    switch (value.back()) {
      case 'd':
        unit = 86'400;
        break;
      case 'h':
        unit = 3'600;
        break;
      case 'm':
        unit = 60;
        break;
      default:
        return invalid();
    }
    if (value.size() > 8) return invalid();
    const int64_t count = std::stoll(value.substr(0, value.size() - 1));
    return FormatAuditTime(now_nanos - count * unit * 1'000'000'000);
  }
  int64_t nanos = 0;
  if (value.size() == 10 && ParseTimeRfc3339(value + "T00:00:00Z", &nanos)) {
    return FormatAuditTime(nanos);
  }
  if (ParseTimeRfc3339(value, &nanos)) return FormatAuditTime(nanos);
  return invalid();
}

Result<std::string> DefaultAuditDatabasePath() {
  const char* state = std::getenv("XDG_STATE_HOME");
  if (state != nullptr && state[0] == '/') return std::string(state) + "/lifeboat/audit.db";
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') {
    return std::string(home) + "/.local/state/lifeboat/audit.db";
  }
  return InvalidArgumentError(
             "there is no place for the audit log: neither XDG_STATE_HOME nor "
             "HOME is set")
      .WithHint("set --audit-db or LIFEBOAT_AUDIT_DB to the audit database's path");
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path) {
  LIFEBOAT_RETURN_IF_ERROR(MakeParentDirectories(path));
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<AuditLog> log(new AuditLog(db, path));
  if (rc != SQLITE_OK) return log->Error("opening the audit log " + path);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  LIFEBOAT_RETURN_IF_ERROR(log->Exec("PRAGMA journal_mode=WAL"));
  // FULL: a record is on disk once Append returns, which is what "committed before the command
  // reports success" means after a power cut.
  LIFEBOAT_RETURN_IF_ERROR(log->Exec("PRAGMA synchronous=FULL"));
  LIFEBOAT_RETURN_IF_ERROR(log->Exec(kSchema));
  return log;
}

AuditLog::~AuditLog() { sqlite3_close(db_); }

Status AuditLog::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return Status::Ok();
  std::string text = message != nullptr ? message : sqlite3_errmsg(db_);
  sqlite3_free(message);
  return IoError("the audit log " + path_ + " cannot be written: " + text)
      .WithHint("set --audit-db or LIFEBOAT_AUDIT_DB to a writable place");
}

Status AuditLog::Error(const std::string& what) const {
  const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
  return IoError(what + ": " + message)
      .WithHint("set --audit-db or LIFEBOAT_AUDIT_DB to a writable place");
}

Result<AuditRecord> AuditLog::Append(AuditRecord record) {
  if (record.id.empty()) record.id = NewAuditId();
  // IMMEDIATE takes the write lock before reading the last hash: two appenders can never both
  // chain onto the same record.
  LIFEBOAT_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto fail = [&](const std::string& what) {
    Status error = Error(what);
    Exec("ROLLBACK").IgnoreError();
    return error;
  };
  {
    Statement last(db_, "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1");
    if (!last.ok()) return fail("reading the audit log " + path_);
    const int rc = sqlite3_step(last.get());
    if (rc == SQLITE_ROW) {
      record.sequence = last.Int(0) + 1;
      record.prev_hash = last.Text(1);
    } else if (rc == SQLITE_DONE) {
      record.sequence = 1;
      record.prev_hash.clear();
    } else {
      return fail("reading the audit log " + path_);
    }
  }
  record.hash = AuditRecordHash(record);
  {
    Statement insert(db_, std::string("INSERT INTO audit_log (") + kColumns +
                              ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert.ok()) return fail("writing the audit log " + path_);
    insert.Bind(1, record.sequence);
    insert.Bind(2, record.id);
    insert.Bind(3, record.operation);
    insert.Bind(4, record.job);
    insert.Bind(5, record.repository);
    insert.Bind(6, record.snapshot_id);
    insert.Bind(7, static_cast<int64_t>(record.bytes_added));
    insert.Bind(8, static_cast<int64_t>(record.bytes_total));
    insert.Bind(9, record.status);
    insert.Bind(10, record.error);
    insert.Bind(11, record.started_at);
    insert.Bind(12, record.finished_at);
    insert.Bind(13, record.duration_ms);
    insert.Bind(14, record.host);
    insert.Bind(15, record.user);
    insert.Bind(16, record.prev_hash);
    insert.Bind(17, record.hash);
    if (sqlite3_step(insert.get()) != SQLITE_DONE) return fail("writing the audit log " + path_);
  }
  Status committed = Exec("COMMIT");
  if (!committed.ok()) {
    Exec("ROLLBACK").IgnoreError();
    return committed;
  }
  return record;
}

Result<std::vector<AuditRecord>> AuditLog::Query(const AuditFilter& filter) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM audit_log WHERE 1=1";
  std::vector<std::string> params;
  auto add = [&](const char* condition, const std::string& value) {
    if (value.empty()) return;
    sql += condition;
    params.push_back(value);
  };
  add(" AND started_at >= ?", filter.since);
  add(" AND job = ?", filter.job);
  add(" AND status = ?", filter.status);
  add(" AND operation = ?", filter.operation);
  sql += " ORDER BY sequence DESC";
  if (filter.limit > 0) sql += " LIMIT " + std::to_string(filter.limit);
  Statement query(db_, sql);
  if (!query.ok()) return Error("reading the audit log " + path_);
  for (size_t i = 0; i < params.size(); ++i) query.Bind(static_cast<int>(i + 1), params[i]);
  std::vector<AuditRecord> records;
  int rc;
  while ((rc = sqlite3_step(query.get())) == SQLITE_ROW) records.push_back(ReadRow(query));
  if (rc != SQLITE_DONE) return Error("reading the audit log " + path_);
  std::reverse(records.begin(), records.end());
  return records;
}

Result<std::vector<std::string>> AuditLog::Verify() {
  LIFEBOAT_ASSIGN_OR_RETURN(std::vector<AuditRecord> records, Query(AuditFilter{}));
  // Where each intact hash sits, to tell a record moved from one whose predecessor is gone.
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < records.size(); ++i) position.emplace(records[i].hash, i);
  std::vector<std::string> problems;
  for (size_t i = 0; i < records.size(); ++i) {
    const AuditRecord& record = records[i];
    if (AuditRecordHash(record) != record.hash) {
      problems.push_back(Describe(record) + " was altered: its content does not match its hash");
      continue;
    }
    const std::string expected = i == 0 ? std::string() : records[i - 1].hash;
    if (record.prev_hash == expected) continue;
    if (record.prev_hash.empty()) {
      problems.push_back(Describe(record) + " is out of order: it was the first record appended");
      continue;
    }
    auto found = position.find(record.prev_hash);
    if (found != position.end() && found->second != i) {
      problems.push_back(Describe(record) + " is out of order: it was appended after " +
                         Describe(records[found->second]));
    } else {
      problems.push_back(Describe(record) +
                         " follows a record that is missing: a record before it was removed");
    }
  }
  return problems;
}

Status SaveAuditRecordToRepository(repo::Repository& repository, const AuditRecord& record) {
  const std::string json = EncodeAuditRecord(record);
  Result<Id> saved = repository.SaveSealedFile(storage::ObjectKind::kAudit, AsBytes(json));
  if (!saved.ok()) return saved.status().WithContext("storing the audit record in the repository");
  return Status::Ok();
}

Result<std::vector<AuditRecord>> LoadAuditRecordsFromRepository(repo::Repository& repository) {
  std::vector<std::string> names;
  LIFEBOAT_RETURN_IF_ERROR(repository.backend().List(storage::ObjectKind::kAudit, "",
                                                     [&](const storage::ObjectInfo& info) {
                                                       names.push_back(info.key.name);
                                                       return Status::Ok();
                                                     }));
  std::vector<AuditRecord> records;
  for (const std::string& name : names) {
    LIFEBOAT_ASSIGN_OR_RETURN(Bytes plain,
                              repository.LoadSealedFile(storage::ObjectKind::kAudit, name));
    Result<AuditRecord> record = DecodeAuditRecord(
        std::string_view(reinterpret_cast<const char*>(plain.data()), plain.size()));
    if (!record.ok()) return record.status().WithContext("audit/" + name);
    records.push_back(std::move(record).value());
  }
  std::sort(records.begin(), records.end(), [](const AuditRecord& a, const AuditRecord& b) {
    return std::tie(a.started_at, a.id) < std::tie(b.started_at, b.id);
  });
  return records;
}

std::vector<std::string> FindRecordsMissingFromTheEnd(const std::vector<AuditRecord>& log,
                                                      const std::vector<AuditRecord>& copies) {
  std::vector<std::string> missing;
  if (log.empty()) return missing;
  std::map<std::string, const AuditRecord*> by_prev_hash;
  for (const AuditRecord& copy : copies) {
    // Only copies that are what they say: a forged copy proves nothing.
    if (AuditRecordHash(copy) == copy.hash) by_prev_hash.emplace(copy.prev_hash, &copy);
  }
  std::set<std::string> seen;
  std::string last = log.back().hash;
  for (auto next = by_prev_hash.find(last); next != by_prev_hash.end() && seen.insert(last).second;
       next = by_prev_hash.find(last)) {
    missing.push_back(Describe(*next->second) +
                      " is missing from the end of the log: the repository holds a copy");
    last = next->second->hash;
  }
  return missing;
}

Status AppendAuditRecordToPostgres(const std::string& conninfo, const AuditRecord& record) {
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<sources::postgres::Connection> connection,
                            sources::postgres::Connection::Open(conninfo));
  // The seeds' table exactly, then lifeboat's columns, so a table the team already has keeps
  // its rows and gains the rest.
  LIFEBOAT_RETURN_IF_ERROR(connection->Exec(R"(
CREATE TABLE IF NOT EXISTS backup_audit_log (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  backup_type VARCHAR(50) NOT NULL,
  backup_location TEXT NOT NULL,
  backup_size BIGINT,
  status VARCHAR(20) NOT NULL,
  created_at TIMESTAMP DEFAULT NOW(),
  created_by VARCHAR(255)
);
ALTER TABLE backup_audit_log
  ADD COLUMN IF NOT EXISTS sequence BIGINT,
  ADD COLUMN IF NOT EXISTS job TEXT,
  ADD COLUMN IF NOT EXISTS snapshot_id TEXT,
  ADD COLUMN IF NOT EXISTS bytes_added BIGINT,
  ADD COLUMN IF NOT EXISTS error TEXT,
  ADD COLUMN IF NOT EXISTS started_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS finished_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS duration_ms BIGINT,
  ADD COLUMN IF NOT EXISTS host TEXT,
  ADD COLUMN IF NOT EXISTS prev_hash TEXT,
  ADD COLUMN IF NOT EXISTS hash TEXT;
)"));
  // created_at is TIMESTAMP (no time zone) in the seed: it holds the UTC time of the end.
  Result<sources::postgres::Rows> inserted = connection->Query(
      "INSERT INTO backup_audit_log (id, backup_type, backup_location, backup_size, status, "
      "created_at, created_by, sequence, job, snapshot_id, bytes_added, error, started_at, "
      "finished_at, duration_ms, host, prev_hash, hash) VALUES ($1::uuid, $2, $3, $4::bigint, "
      "$5, ($6::timestamptz AT TIME ZONE 'UTC'), $7, $8::bigint, $9, $10, $11::bigint, $12, "
      "$13::timestamptz, $6::timestamptz, $14::bigint, $15, $16, $17)",
      {record.id, record.operation.substr(0, 50), record.repository,
       std::to_string(record.bytes_total), record.status, record.finished_at, record.user,
       std::to_string(record.sequence), record.job, record.snapshot_id,
       std::to_string(record.bytes_added), record.error, record.started_at,
       std::to_string(record.duration_ms), record.host, record.prev_hash, record.hash});
  return inserted.status();
}

}  // namespace lifeboat::ops
