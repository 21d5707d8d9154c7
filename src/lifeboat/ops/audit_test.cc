#include "lifeboat/ops/audit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "lifeboat/ops/check.h"
#include "lifeboat/ops/testing/test_repository.h"

namespace lifeboat::ops {
namespace {

using ::testing::ElementsAre;
using testing::ExpectOk;
using ::testing::IsEmpty;
using testing::ValueOrDie;

AuditRecord Record(std::string operation, std::string status = "success", std::string job = "",
                   std::string started_at = "2026-11-20T10:00:00.000Z") {
  AuditRecord record;
  record.operation = std::move(operation);
  record.job = std::move(job);
  record.repository = "/srv/backups";
  record.status = std::move(status);
  record.started_at = started_at;
  record.finished_at = started_at;
  record.host = "db1";
  record.user = "backup";
  return record;
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/lifeboat-audit-test-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
    path_ = dir_ + "/state/lifeboat/audit.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<AuditLog> OpenLog() { return ValueOrDie(AuditLog::Open(path_)); }

  // Runs SQL on the database as a tamperer with the sqlite3 tool would.
  void Tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  // Appends five records and returns them.
  std::vector<AuditRecord> AppendFive(AuditLog& log) {
    std::vector<AuditRecord> records;
    for (const char* operation : {"init", "backup", "check", "forget", "prune"}) {
      records.push_back(ValueOrDie(log.Append(Record(operation))));
    }
    return records;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(AuditLogTest, AppendChainsRecordsAndVerifies) {
  auto log = OpenLog();
  std::vector<AuditRecord> records = AppendFive(*log);
  EXPECT_EQ(records[0].sequence, 1);
  EXPECT_EQ(records[0].prev_hash, "");
  for (size_t i = 1; i < records.size(); ++i) {
    EXPECT_EQ(records[i].sequence, static_cast<int64_t>(i + 1));
    EXPECT_EQ(records[i].prev_hash, records[i - 1].hash);
  }
  for (const AuditRecord& record : records) {
    EXPECT_EQ(record.hash, AuditRecordHash(record));
    EXPECT_EQ(record.id.size(), 36u);
    EXPECT_EQ(record.id[14], '4');
  }
  std::vector<AuditRecord> stored = ValueOrDie(log->Query({}));
  ASSERT_EQ(stored.size(), 5u);
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(EncodeAuditRecord(stored[i]), EncodeAuditRecord(records[i]));
  }
  EXPECT_THAT(ValueOrDie(log->Verify()), IsEmpty());
  // A second connection, as the next command run opens, sees and extends the same chain.
  auto again = OpenLog();
  AuditRecord sixth = ValueOrDie(again->Append(Record("restore")));
  EXPECT_EQ(sixth.sequence, 6);
  EXPECT_EQ(sixth.prev_hash, records[4].hash);
  EXPECT_THAT(ValueOrDie(again->Verify()), IsEmpty());
}

TEST_F(AuditLogTest, VerifyReportsARemovedRecord) {
  auto log = OpenLog();
  std::vector<AuditRecord> records = AppendFive(*log);
  Tamper("DELETE FROM audit_log WHERE sequence = 3");
  EXPECT_THAT(ValueOrDie(log->Verify()),
              ElementsAre("record #4 (id " + records[3].id +
                          ") follows a record that is missing: a record before it was removed"));
}

TEST_F(AuditLogTest, VerifyReportsARemovedFirstRecord) {
  auto log = OpenLog();
  std::vector<AuditRecord> records = AppendFive(*log);
  Tamper("DELETE FROM audit_log WHERE sequence = 1");
  EXPECT_THAT(ValueOrDie(log->Verify()),
              ElementsAre("record #2 (id " + records[1].id +
                          ") follows a record that is missing: a record before it was removed"));
}

TEST_F(AuditLogTest, VerifyReportsAnAlteredField) {
  auto log = OpenLog();
  std::vector<AuditRecord> records = AppendFive(*log);
  Tamper(
      "UPDATE audit_log SET status = 'success', error = '' WHERE sequence = 2;"
      "UPDATE audit_log SET bytes_added = 1 WHERE sequence = 4");
  // Record 2 already said success: rewriting a field to the same value changes nothing.
  EXPECT_THAT(ValueOrDie(log->Verify()),
              ElementsAre("record #4 (id " + records[3].id +
                          ") was altered: its content does not match its hash"));
}

TEST_F(AuditLogTest, VerifyReportsAnAlteredRecordWhoseHashWasRecomputed) {
  auto log = OpenLog();
  std::vector<AuditRecord> records = AppendFive(*log);
  AuditRecord forged = records[1];
  forged.status = "failed";
  forged.hash = AuditRecordHash(forged);
  Tamper("UPDATE audit_log SET status = 'failed', hash = '" + forged.hash + "' WHERE sequence = 2");
  EXPECT_THAT(ValueOrDie(log->Verify()),
              ElementsAre("record #3 (id " + records[2].id +
                          ") follows a record that is missing: a record before it was removed"));
}

TEST_F(AuditLogTest, VerifyReportsSwappedRecords) {
  auto log = OpenLog();
  std::vector<AuditRecord> records = AppendFive(*log);
  Tamper(
      "UPDATE audit_log SET sequence = -2 WHERE sequence = 2;"
      "UPDATE audit_log SET sequence = 2 WHERE sequence = 3;"
      "UPDATE audit_log SET sequence = 3 WHERE sequence = -2");
  // Now #2 holds the third record and #3 the second; both records and the one after them are
  // out of place in the chain.
  EXPECT_THAT(
      ValueOrDie(log->Verify()),
      ElementsAre(
          "record #2 (id " + records[2].id +
              ") is out of order: it was appended after record #3 (id " + records[1].id + ")",
          "record #3 (id " + records[1].id +
              ") is out of order: it was appended after record #1 (id " + records[0].id + ")",
          "record #4 (id " + records[3].id +
              ") is out of order: it was appended after record #2 (id " + records[2].id + ")"));
}

TEST_F(AuditLogTest, RepositoryCopiesShowRecordsRemovedFromTheEnd) {
  auto log = OpenLog();
  std::vector<AuditRecord> copies = AppendFive(*log);
  copies.push_back(ValueOrDie(log->Append(Record("restore"))));
  copies.push_back(ValueOrDie(log->Append(Record("copy"))));
  // Another database's records and a forged continuation prove nothing about this log.
  AuditRecord other = Record("backup");
  other.id = NewAuditId();
  other.hash = AuditRecordHash(other);
  copies.push_back(other);
  EXPECT_THAT(FindRecordsMissingFromTheEnd(ValueOrDie(log->Query({})), copies), IsEmpty());

  Tamper("DELETE FROM audit_log WHERE sequence >= 5");
  std::vector<AuditRecord> remaining = ValueOrDie(log->Query({}));
  EXPECT_THAT(ValueOrDie(log->Verify()), IsEmpty());  // a shorter chain is whole
  EXPECT_THAT(FindRecordsMissingFromTheEnd(remaining, copies),
              ElementsAre("record #5 (id " + copies[4].id +
                              ") is missing from the end of the log: the repository holds a copy",
                          "record #6 (id " + copies[5].id +
                              ") is missing from the end of the log: the repository holds a copy",
                          "record #7 (id " + copies[6].id +
                              ") is missing from the end of the log: the repository holds a copy"));
  copies[5].status = "failed";  // a forged copy breaks the evidence after it
  EXPECT_THAT(FindRecordsMissingFromTheEnd(remaining, copies),
              ElementsAre("record #5 (id " + copies[4].id +
                          ") is missing from the end of the log: the repository holds a copy"));
  EXPECT_THAT(FindRecordsMissingFromTheEnd({}, copies), IsEmpty());
}

TEST_F(AuditLogTest, QueryFilters) {
  auto log = OpenLog();
  ExpectOk(log->Append(Record("backup", "success", "db", "2026-11-01T00:00:00.000Z")).status());
  ExpectOk(log->Append(Record("backup", "failed", "db", "2026-11-10T00:00:00.000Z")).status());
  ExpectOk(log->Append(Record("prune", "success", "", "2026-11-11T00:00:00.000Z")).status());
  ExpectOk(log->Append(Record("backup", "success", "files", "2026-11-12T00:00:00.000Z")).status());
  auto operations = [&](const AuditFilter& filter) {
    std::vector<std::string> seen;
    for (const AuditRecord& r : ValueOrDie(log->Query(filter))) {
      seen.push_back(std::to_string(r.sequence) + " " + r.operation);
    }
    return seen;
  };
  EXPECT_THAT(operations({.since = "2026-11-10T00:00:00.000Z"}),
              ElementsAre("2 backup", "3 prune", "4 backup"));
  EXPECT_THAT(operations({.job = "db"}), ElementsAre("1 backup", "2 backup"));
  EXPECT_THAT(operations({.status = "failed"}), ElementsAre("2 backup"));
  EXPECT_THAT(operations({.operation = "prune"}), ElementsAre("3 prune"));
  EXPECT_THAT(operations({.operation = "backup", .limit = 2}), ElementsAre("2 backup", "4 backup"));
  EXPECT_THAT(operations({.job = "db", .status = "success"}), ElementsAre("1 backup"));
  // The same filter over records in memory (the repository copy) selects the same ones.
  std::vector<AuditRecord> all = ValueOrDie(log->Query({}));
  std::vector<AuditRecord> filtered = FilterAuditRecords(all, {.operation = "backup", .limit = 2});
  ASSERT_EQ(filtered.size(), 2u);
  EXPECT_EQ(filtered[0].sequence, 2);
  EXPECT_EQ(filtered[1].sequence, 4);
}

TEST_F(AuditLogTest, ConcurrentAppendsFromThreadsAndAProcessKeepOneChain) {
  ExpectOk(OpenLog()->Append(Record("init")).status());
  constexpr int kPerWriter = 25;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child is a separate process with its own connection, as a CLI run beside a daemon.
    Result<std::unique_ptr<AuditLog>> log = AuditLog::Open(path_);
    bool ok = log.ok();
    for (int i = 0; ok && i < kPerWriter; ++i) ok = (*log)->Append(Record("process")).ok();
    _exit(ok ? 0 : 1);
  }
  auto writer = [&] {
    auto log = OpenLog();
    for (int i = 0; i < kPerWriter; ++i) ExpectOk(log->Append(Record("thread")).status());
  };
  std::thread first(writer);
  std::thread second(writer);
  first.join();
  second.join();
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  auto log = OpenLog();
  std::vector<AuditRecord> records = ValueOrDie(log->Query({}));
  ASSERT_EQ(records.size(), 1u + 3 * kPerWriter);
  std::set<std::string> ids;
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].sequence, static_cast<int64_t>(i + 1));
    if (i > 0) {
      EXPECT_EQ(records[i].prev_hash, records[i - 1].hash);
    }
    ids.insert(records[i].id);
  }
  EXPECT_EQ(ids.size(), records.size());
  EXPECT_THAT(ValueOrDie(log->Verify()), IsEmpty());
}

TEST_F(AuditLogTest, OpenFailsWhereTheDirectoryCannotBeCreated) {
  const std::string file = dir_ + "/file";
  { std::ofstream(file) << "x"; }
  Result<std::unique_ptr<AuditLog>> log = AuditLog::Open(file + "/audit.db");
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().message(),
            "opening the audit log " + file + "/audit.db: unable to open database file");
  EXPECT_EQ(log.status().hint(), "set --audit-db or LIFEBOAT_AUDIT_DB to a writable place");
}

TEST(AuditTest, CanonicalFormCoversEveryFieldButSequenceAndHash) {
  AuditRecord record = Record("pg backup", "partial", "orders");
  record.snapshot_id = std::string(64, 'a');
  record.bytes_added = 10;
  record.bytes_total = 20;
  record.error = "two\nlines";
  record.duration_ms = 1500;
  record.prev_hash = std::string(64, 'b');
  record.id = "00000000-0000-4000-8000-000000000000";
  EXPECT_EQ(CanonicalAuditRecord(record),
            "lifeboat audit record v1\n"
            "id 36:00000000-0000-4000-8000-000000000000\n"
            "operation 9:pg backup\n"
            "job 6:orders\n"
            "repository 12:/srv/backups\n"
            "snapshot_id 64:" +
                std::string(64, 'a') +
                "\n"
                "bytes_added 2:10\n"
                "bytes_total 2:20\n"
                "status 7:partial\n"
                "error 9:two\nlines\n"
                "started_at 24:2026-11-20T10:00:00.000Z\n"
                "finished_at 24:2026-11-20T10:00:00.000Z\n"
                "duration_ms 4:1500\n"
                "host 3:db1\n"
                "user 6:backup\n"
                "prev_hash 64:" +
                std::string(64, 'b') + "\n");
  const std::string hash = AuditRecordHash(record);
  record.sequence = 99;
  record.hash = "x";
  EXPECT_EQ(AuditRecordHash(record), hash);
  AuditRecord decoded = ValueOrDie(DecodeAuditRecord(EncodeAuditRecord(record)));
  EXPECT_EQ(EncodeAuditRecord(decoded), EncodeAuditRecord(record));
}

TEST(AuditTest, ParsesSince) {
  const int64_t now = 1'795'000'000'000'000'000;  // 2026-11-18T11:06:40Z
  EXPECT_EQ(ValueOrDie(ParseAuditSince("7d", now)), "2026-11-11T11:06:40.000Z");
  EXPECT_EQ(ValueOrDie(ParseAuditSince("12h", now)), "2026-11-17T23:06:40.000Z");
  EXPECT_EQ(ValueOrDie(ParseAuditSince("30m", now)), "2026-11-18T10:36:40.000Z");
  EXPECT_EQ(ValueOrDie(ParseAuditSince("2026-11-01", now)), "2026-11-01T00:00:00.000Z");
  EXPECT_EQ(ValueOrDie(ParseAuditSince("2026-11-01T12:00:00+01:00", now)),
            "2026-11-01T11:00:00.000Z");
  for (const char* bad : {"", "7", "d", "7w", "-7d", "2026-13-01", "yesterday"}) {
    Result<std::string> since = ParseAuditSince(bad, now);
    ASSERT_FALSE(since.ok()) << bad;
    EXPECT_EQ(since.status().message(),
              "--since " + std::string(bad) + " is not a duration or a date");
  }
}

TEST(AuditTest, SanitizeLocationDropsCredentials) {
  EXPECT_EQ(SanitizeLocation("/srv/backups"), "/srv/backups");
  EXPECT_EQ(SanitizeLocation("s3:https://s3.example.com/bucket/prefix"),
            "s3:https://s3.example.com/bucket/prefix");
  EXPECT_EQ(SanitizeLocation("s3:https://key:secret@s3.example.com/bucket"),
            "s3:https://s3.example.com/bucket");
  EXPECT_EQ(SanitizeLocation("s3:http://host/bucket/a@b"), "s3:http://host/bucket/a@b");
}

TEST(AuditTest, RepositoryCopiesRoundTripAndCheckReadsThem) {
  testing::TestRepository test;
  AuditRecord first = Record("backup");
  first.id = NewAuditId();
  first.hash = AuditRecordHash(first);
  AuditRecord second = Record("prune", "failed", "", "2026-11-21T10:00:00.000Z");
  second.id = NewAuditId();
  second.prev_hash = first.hash;
  second.hash = AuditRecordHash(second);
  ExpectOk(SaveAuditRecordToRepository(test.repository(), second));
  ExpectOk(SaveAuditRecordToRepository(test.repository(), first));
  std::vector<AuditRecord> loaded = ValueOrDie(LoadAuditRecordsFromRepository(test.repository()));
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_EQ(EncodeAuditRecord(loaded[0]), EncodeAuditRecord(first));
  EXPECT_EQ(EncodeAuditRecord(loaded[1]), EncodeAuditRecord(second));

  CheckReport report = ValueOrDie(CheckRepository(test.repository(), {}, nullptr));
  EXPECT_THAT(report.errors, IsEmpty());

  // A record stored with a hash that does not match is damage check reports.
  AuditRecord forged = first;
  forged.status = "failed";
  const Id name = ValueOrDie(test.repository().SaveSealedFile(storage::ObjectKind::kAudit,
                                                              AsBytes(EncodeAuditRecord(forged))));
  report = ValueOrDie(CheckRepository(test.repository(), {}, nullptr));
  EXPECT_THAT(report.errors, ElementsAre("audit record " + name.Hex() + " (id " + first.id +
                                         ") does not match its hash"));
}

}  // namespace
}  // namespace lifeboat::ops
