#include "lifeboat/cli/app.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "lifeboat/ops/audit.h"
#include "lifeboat/repo/lock.h"
#include "lifeboat/repo/repository.h"
#include "lifeboat/storage/local_backend.h"

namespace lifeboat::cli {
namespace {

// Runs the command line the way main() does and returns the exit code.
int RunLifeboat(std::vector<std::string> args) {
  args.insert(args.begin(), "lifeboat");
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  return Main(static_cast<int>(argv.size()), argv.data());
}

class AppTest : public testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"LIFEBOAT_REPOSITORY", "LIFEBOAT_PASSWORD", "LIFEBOAT_PASSWORD_FILE",
                             "LIFEBOAT_PASSWORD_COMMAND", "LIFEBOAT_NEW_PASSWORD",
                             "LIFEBOAT_FROM_REPOSITORY", "LIFEBOAT_FROM_PASSWORD",
                             "LIFEBOAT_FROM_PASSWORD_FILE", "LIFEBOAT_FROM_PASSWORD_COMMAND"}) {
      unsetenv(name);
    }
    setenv("LIFEBOAT_KDF_PARAMS", "1,8192,1", 1);
    char dir[] = "/tmp/lifeboat_app_test_XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    repo_ = dir_ + "/repo";
    // Commands append to the audit log; never to the home directory of whoever runs the tests.
    setenv("LIFEBOAT_AUDIT_DB", (dir_ + "/audit.db").c_str(), 1);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    unsetenv("LIFEBOAT_KDF_PARAMS");
    unsetenv("LIFEBOAT_AUDIT_DB");
  }

  std::string dir_;
  std::string repo_;
};

TEST_F(AppTest, NoCommandIsAUsageError) { EXPECT_EQ(RunLifeboat({}), 2); }

TEST_F(AppTest, UnknownOptionIsAUsageError) {
  EXPECT_EQ(RunLifeboat({"snapshots", "--frobnicate"}), 2);
}

TEST_F(AppTest, HelpAndVersionSucceed) {
  EXPECT_EQ(RunLifeboat({"--help"}), 0);
  EXPECT_EQ(RunLifeboat({"backup", "--help"}), 0);
  EXPECT_EQ(RunLifeboat({"version"}), 0);
  EXPECT_EQ(RunLifeboat({"--version"}), 0);
}

TEST_F(AppTest, BackupArgumentsAreCheckedBeforeAnyRepositoryAccess) {
  // No password source exists, so reaching the repository would fail differently.
  EXPECT_EQ(RunLifeboat({"-r", repo_, "backup"}), 2);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "backup", "--stdin", "--stdin-from-command", "--", "true"}),
            2);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "backup", "--stdin-from-command"}), 2);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "backup", "--stdin-filename", "x", "/etc"}), 2);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "backup", "--stdin-from-command", "--stdin-filename", "a/b",
                         "--", "true"}),
            2);
  EXPECT_FALSE(std::filesystem::exists(repo_));
}

TEST_F(AppTest, MissingRequiredArgumentsAreUsageErrors) {
  setenv("LIFEBOAT_PASSWORD", "secret", 1);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "ls"}), 2);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "restore", "latest"}), 2);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "dump", "latest"}), 2);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "key"}), 2);
}

TEST_F(AppTest, RemoteRepositoryIsAUsageError) {
  setenv("LIFEBOAT_PASSWORD", "secret", 1);
  EXPECT_EQ(RunLifeboat({"-r", "sftp:host:/srv", "snapshots"}), 2);
}

TEST_F(AppTest, S3WithoutCredentialsOrWithBadSyntaxIsAUsageError) {
  setenv("LIFEBOAT_PASSWORD", "secret", 1);
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(RunLifeboat({"-r", "s3:http://127.0.0.1:1/bucket/prefix", "snapshots"}), 2);
  EXPECT_EQ(RunLifeboat({"-r", "s3:https://host-without-bucket", "snapshots"}), 2);
}

TEST_F(AppTest, BackendOptionsAreCheckedAsUsage) {
  setenv("LIFEBOAT_PASSWORD", "secret", 1);
  setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  EXPECT_EQ(RunLifeboat({"-r", "s3:http://127.0.0.1:1/b", "-o", "s3.colour=blue", "snapshots"}), 2);
  EXPECT_EQ(RunLifeboat({"-r", "s3:http://127.0.0.1:1/b", "-o", "s3.bucket-lookup=x", "init"}), 2);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "-o", "s3.storage-class=STANDARD_IA", "init"}), 2);
  EXPECT_FALSE(std::filesystem::exists(repo_));
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
}

TEST_F(AppTest, NoRepositoryGivenIsAUsageError) {
  setenv("LIFEBOAT_PASSWORD", "secret", 1);
  EXPECT_EQ(RunLifeboat({"snapshots"}), 2);
}

TEST_F(AppTest, NoPasswordSourceIsAUsageError) {
  if (isatty(STDIN_FILENO)) GTEST_SKIP() << "stdin is a terminal: lifeboat would prompt";
  EXPECT_EQ(RunLifeboat({"-r", repo_, "snapshots"}), 2);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "init"}), 2);
}

TEST_F(AppTest, MalformedKdfParamsAreAUsageError) {
  setenv("LIFEBOAT_PASSWORD", "secret", 1);
  setenv("LIFEBOAT_KDF_PARAMS", "fast", 1);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "init"}), 2);
  EXPECT_FALSE(std::filesystem::exists(repo_ + "/config"));
}

TEST_F(AppTest, MissingRepositoryExitsWithTen) {
  setenv("LIFEBOAT_PASSWORD", "secret", 1);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "snapshots"}), 10);
}

TEST_F(AppTest, WrongPasswordExitsWithTwelve) {
  setenv("LIFEBOAT_PASSWORD", "right", 1);
  ASSERT_EQ(RunLifeboat({"-r", repo_, "init"}), 0);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "snapshots"}), 0);
  setenv("LIFEBOAT_PASSWORD", "wrong", 1);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "snapshots"}), 12);
}

// operation status job error, one line per record of the test's audit log.
std::vector<std::string> AuditLines(const std::string& path) {
  Result<std::unique_ptr<ops::AuditLog>> log = ops::AuditLog::Open(path);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  if (!log.ok()) return {};
  Result<std::vector<ops::AuditRecord>> records = (*log)->Query({});
  EXPECT_TRUE(records.ok()) << records.status().ToString();
  if (!records.ok()) return {};
  std::vector<std::string> lines;
  for (const ops::AuditRecord& r : *records) {
    lines.push_back(r.operation + " " + r.status + " [" + r.job + "] " + r.error);
  }
  return lines;
}

TEST_F(AppTest, CommandsThatTouchARepositoryAreAudited) {
  setenv("LIFEBOAT_PASSWORD", "right", 1);
  EXPECT_EQ(RunLifeboat({"-r", "sftp:host:/srv", "snapshots"}), 2);  // usage: nothing touched
  ASSERT_EQ(RunLifeboat({"-r", repo_, "--job", "nightly", "init"}), 0);
  ASSERT_EQ(RunLifeboat({"version"}), 0);  // no repository, no record
  EXPECT_EQ(RunLifeboat({"-r", repo_, "init"}), 1);
  setenv("LIFEBOAT_PASSWORD", "wrong", 1);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "key", "list"}), 12);
  EXPECT_EQ(AuditLines(dir_ + "/audit.db"),
            (std::vector<std::string>{
                "init success [nightly] ", "init failed [] a repository already exists at " + repo_,
                "key list failed [] wrong password: no key of the repository at " + repo_ +
                    " opens with it"}));
}

TEST_F(AppTest, AnUnwritableAuditLogStopsACommandButNotAListing) {
  setenv("LIFEBOAT_PASSWORD", "right", 1);
  ASSERT_EQ(RunLifeboat({"-r", repo_, "init"}), 0);
  // A directory where the database file should be: SQLite cannot open it.
  std::filesystem::create_directories(dir_ + "/blocked/audit.db");
  setenv("LIFEBOAT_AUDIT_DB", (dir_ + "/blocked/audit.db").c_str(), 1);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "key", "list"}), 1);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "snapshots"}), 0);
}

TEST_F(AppTest, InitTwiceFails) {
  setenv("LIFEBOAT_PASSWORD", "right", 1);
  ASSERT_EQ(RunLifeboat({"-r", repo_, "init"}), 0);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "init"}), 1);
}

TEST_F(AppTest, UnknownSnapshotIsAnErrorNotAMissingRepository) {
  setenv("LIFEBOAT_PASSWORD", "right", 1);
  ASSERT_EQ(RunLifeboat({"-r", repo_, "init"}), 0);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "dump", "deadbeef", "/x"}), 1);
}

TEST_F(AppTest, GlobalOptionsMayFollowTheCommand) {
  setenv("LIFEBOAT_PASSWORD", "right", 1);
  ASSERT_EQ(RunLifeboat({"init", "--repo", repo_}), 0);
  EXPECT_EQ(RunLifeboat({"snapshots", "--json", "-r", repo_}), 0);
}

TEST_F(AppTest, RepositoryLockedByAnotherProcessExitsWithEleven) {
  setenv("LIFEBOAT_PASSWORD", "right", 1);
  ASSERT_EQ(RunLifeboat({"-r", repo_, "init"}), 0);
  storage::LocalBackend backend(repo_);
  Result<std::unique_ptr<repo::Repository>> repository =
      repo::Repository::Open(&backend, "right", SystemClock::Get());
  ASSERT_TRUE(repository.ok()) << repository.status().ToString();
  // A live process's exclusive lock (ours) is fresh, as maintenance would hold it.
  Result<std::unique_ptr<repo::RepositoryLock>> lock =
      repo::RepositoryLock::Acquire(repository->get(), /*exclusive=*/true, "host", "user");
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  EXPECT_EQ(RunLifeboat({"-r", repo_, "backup", dir_}), 11);
  EXPECT_EQ(RunLifeboat({"-r", repo_, "snapshots"}), 0);  // takes no lock
}

}  // namespace
}  // namespace lifeboat::cli
