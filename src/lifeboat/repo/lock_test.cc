#include "lifeboat/repo/lock.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <limits>

#include "lifeboat/crypto/sha256.h"
#include "lifeboat/storage/local_backend.h"
#include "lifeboat/storage/testing/memory_backend.h"

namespace lifeboat::repo {
namespace {

using storage::ObjectKey;
using storage::ObjectKind;
using ::testing::HasSubstr;

constexpr int64_t kStartNs = 1'700'000'000'000'000'000;
constexpr int64_t kSecond = 1'000'000'000;

class LockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitOptions options;
    options.kdf = crypto::KdfParams{1, 8 * 1024, 1};
    ASSERT_TRUE(Repository::Init(&backend_, "pw", options, clock_).ok());
    auto opened = Repository::Open(&backend_, "pw", clock_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    repo_ = std::move(opened).value();
  }

  template <typename Kind>
  std::unique_ptr<RepositoryLock> Acquire(Kind kind, const std::string& hostname,
                                          const std::string& username) {
    auto lock = RepositoryLock::Acquire(repo_.get(), kind, hostname, username);
    EXPECT_TRUE(lock.ok()) << lock.status().ToString();
    return lock.ok() ? std::move(lock).value() : nullptr;
  }

  size_t LockCount() {
    size_t count = 0;
    Status listed = backend_.List(ObjectKind::kLock, "", [&](const storage::ObjectInfo&) {
      ++count;
      return Status::Ok();
    });
    EXPECT_TRUE(listed.ok());
    return count;
  }

  std::string Holder(const char* kind, const std::string& who, int64_t time_ns) {
    return std::string(kind) + " lock held by " + who + " (pid " + std::to_string(getpid()) +
           ") since " + FormatTimeRfc3339(time_ns);
  }

  FakeClock clock_{kStartNs};
  storage::testing::MemoryBackend backend_;
  std::unique_ptr<Repository> repo_;
};

TEST_F(LockTest, SharedLocksCoexist) {
  std::unique_ptr<RepositoryLock> first = Acquire(false, "host-a", "alice");
  std::unique_ptr<RepositoryLock> second = Acquire(false, "host-b", "bob");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(LockCount(), 2u);
}

TEST_F(LockTest, ExclusiveWhileSharedIsLockHeldNamingTheHolder) {
  std::unique_ptr<RepositoryLock> shared = Acquire(false, "host-a", "alice");
  ASSERT_NE(shared, nullptr);
  clock_.AdvanceSeconds(10);
  auto exclusive = RepositoryLock::Acquire(repo_.get(), true, "host-b", "bob");
  ASSERT_FALSE(exclusive.ok());
  EXPECT_EQ(exclusive.status().code(), StatusCode::kLockHeld);
  EXPECT_EQ(exclusive.status().message(),
            "the repository is locked: " + Holder("a shared", "alice@host-a", kStartNs));
  EXPECT_THAT(exclusive.status().hint(), HasSubstr("`lifeboat unlock`"));
  // The refused attempt leaves no lock of its own behind.
  EXPECT_EQ(LockCount(), 1u);
}

TEST_F(LockTest, SharedWhileExclusiveIsLockHeld) {
  std::unique_ptr<RepositoryLock> exclusive = Acquire(true, "host-a", "alice");
  ASSERT_NE(exclusive, nullptr);
  auto shared = RepositoryLock::Acquire(repo_.get(), false, "host-b", "bob");
  ASSERT_FALSE(shared.ok());
  EXPECT_EQ(shared.status().code(), StatusCode::kLockHeld);
  EXPECT_EQ(shared.status().message(),
            "the repository is locked: " + Holder("an exclusive", "alice@host-a", kStartNs));
  auto second_exclusive = RepositoryLock::Acquire(repo_.get(), true, "host-a", "alice");
  ASSERT_FALSE(second_exclusive.ok());
  EXPECT_EQ(second_exclusive.status().code(), StatusCode::kLockHeld);
  EXPECT_EQ(LockCount(), 1u);
}

TEST_F(LockTest, StaleLockIsIgnoredAndRemoved) {
  std::unique_ptr<RepositoryLock> old = Acquire(false, "host-a", "alice");
  ASSERT_NE(old, nullptr);

  // Exactly at the limit the lock still counts.
  clock_.AdvanceSeconds(kLockStaleAfterSeconds);
  auto refused = RepositoryLock::Acquire(repo_.get(), true, "host-b", "bob");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kLockHeld);
  Result<int> none = RemoveLocks(repo_.get(), false, "host-b");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, 0);

  clock_.AdvanceSeconds(1);
  std::unique_ptr<RepositoryLock> exclusive = Acquire(true, "host-b", "bob");
  ASSERT_NE(exclusive, nullptr);
  EXPECT_EQ(LockCount(), 2u);

  Result<int> removed = RemoveLocks(repo_.get(), false, "host-b");
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(LockCount(), 1u);  // the fresh exclusive lock stays

  // Releasing a lock someone already removed is fine.
  EXPECT_TRUE(old->Release().ok());
  EXPECT_TRUE(exclusive->Release().ok());
  EXPECT_EQ(LockCount(), 0u);
}

TEST_F(LockTest, RemoveAllRemovesFreshLocks) {
  std::unique_ptr<RepositoryLock> first = Acquire(false, "host-a", "alice");
  std::unique_ptr<RepositoryLock> second = Acquire(false, "host-b", "bob");
  Result<int> removed = RemoveLocks(repo_.get(), true, "host-c");
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 2);
  EXPECT_EQ(LockCount(), 0u);
}

TEST_F(LockTest, UnreadableLockIsIgnoredAndOnlyRemovedWithAll) {
  const Bytes garbage = ToBytes("not a sealed lock");
  const ObjectKey key{ObjectKind::kLock, crypto::Sha256(garbage).Hex()};
  ASSERT_TRUE(backend_.Put(key, garbage).ok());
  std::unique_ptr<RepositoryLock> exclusive = Acquire(true, "host-a", "alice");
  ASSERT_NE(exclusive, nullptr);
  ASSERT_TRUE(exclusive->Release().ok());

  Result<int> stale_only = RemoveLocks(repo_.get(), false, "host-a");
  ASSERT_TRUE(stale_only.ok());
  EXPECT_EQ(*stale_only, 0);
  EXPECT_EQ(LockCount(), 1u);
  Result<int> all = RemoveLocks(repo_.get(), true, "host-a");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, 1);
  EXPECT_EQ(LockCount(), 0u);
}

TEST_F(LockTest, ReleaseRemovesTheLockObject) {
  std::unique_ptr<RepositoryLock> lock = Acquire(true, "host-a", "alice");
  ASSERT_NE(lock, nullptr);
  EXPECT_EQ(LockCount(), 1u);
  EXPECT_TRUE(lock->Release().ok());
  EXPECT_EQ(LockCount(), 0u);
  EXPECT_TRUE(lock->Release().ok());  // twice is harmless
  // After release another exclusive lock is granted.
  std::unique_ptr<RepositoryLock> next = Acquire(true, "host-b", "bob");
  ASSERT_NE(next, nullptr);
}

TEST_F(LockTest, DestructorReleases) {
  {
    std::unique_ptr<RepositoryLock> lock = Acquire(false, "host-a", "alice");
    ASSERT_NE(lock, nullptr);
    EXPECT_EQ(LockCount(), 1u);
  }
  EXPECT_EQ(LockCount(), 0u);
}

TEST_F(LockTest, PruneLocksExcludeEachOtherButNotSharedLocks) {
  std::unique_ptr<RepositoryLock> prune = Acquire(LockKind::kPrune, "host-a", "alice");
  ASSERT_NE(prune, nullptr);
  std::unique_ptr<RepositoryLock> shared = Acquire(LockKind::kShared, "host-b", "bob");
  ASSERT_NE(shared, nullptr);
  auto second = RepositoryLock::Acquire(repo_.get(), LockKind::kPrune, "host-c", "carol");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kLockHeld);
  EXPECT_EQ(second.status().message(),
            "the repository is locked: " + Holder("a prune", "alice@host-a", kStartNs));
  auto exclusive = RepositoryLock::Acquire(repo_.get(), LockKind::kExclusive, "host-c", "carol");
  EXPECT_EQ(exclusive.status().code(), StatusCode::kLockHeld);
}

TEST_F(LockTest, RefreshKeepsTheCreationTime) {
  std::unique_ptr<RepositoryLock> lock = Acquire(LockKind::kShared, "host-a", "alice");
  const std::string first_name = lock->name();
  clock_.AdvanceSeconds(kLockStaleAfterSeconds);
  ASSERT_TRUE(lock->Refresh().ok());
  EXPECT_NE(lock->name(), first_name);
  EXPECT_EQ(LockCount(), 1u);
  Result<std::vector<NamedLock>> locks = ReadLocks(repo_.get());
  ASSERT_TRUE(locks.ok());
  ASSERT_EQ(locks->size(), 1u);
  EXPECT_EQ(locks->front().info->created_ns, kStartNs);
  EXPECT_EQ(locks->front().info->time_ns, kStartNs + kLockStaleAfterSeconds * kSecond);
  // Fresh again: a minute later it is not stale.
  clock_.AdvanceSeconds(60);
  EXPECT_FALSE(IsStaleLock(*locks->front().info, clock_.NowNanos(), "host-b"));
}

// `unlock` without --remove-all: a lock of a process that died on this host goes, the same lock
// seen from another host (which cannot tell whether the process runs) stays until it is old.
TEST(RemoveLocks, RemovesTheLockOfADeadProcessOnThisHostOnly) {
  char templ[] = "/tmp/lifeboat-lock-XXXXXX";
  ASSERT_NE(mkdtemp(templ), nullptr);
  const std::string root = templ;
  storage::LocalBackend backend(root + "/repo");
  ASSERT_TRUE(backend.CreateRoot().ok());
  FakeClock clock(kStartNs);
  InitOptions options;
  options.kdf = crypto::KdfParams{1, 8 * 1024, 1};
  ASSERT_TRUE(Repository::Init(&backend, "pw", options, clock).ok());
  auto repository = Repository::Open(&backend, "pw", clock);
  ASSERT_TRUE(repository.ok());

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child takes a lock and dies without releasing it.
    auto lock = RepositoryLock::Acquire(repository->get(), LockKind::kShared, "host-a", "dead");
    _exit(lock.ok() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto mine = RepositoryLock::Acquire(repository->get(), LockKind::kShared, "host-a", "alive");
  ASSERT_TRUE(mine.ok());

  Result<int> elsewhere = RemoveLocks(repository->get(), false, "host-b");
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_EQ(*elsewhere, 0);
  Result<int> here = RemoveLocks(repository->get(), false, "host-a");
  ASSERT_TRUE(here.ok());
  EXPECT_EQ(*here, 1);
  Result<std::vector<NamedLock>> left = ReadLocks(repository->get());
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().info->username, "alive");
  ASSERT_TRUE((*mine)->Release().ok());
  std::filesystem::remove_all(root);
}

TEST(IsStaleLock, DependsOnAgeAndOnLocalProcesses) {
  const int64_t now = kStartNs;
  LockInfo lock{now - kLockStaleAfterSeconds * kSecond, false, "host-a", "alice", getpid()};
  EXPECT_FALSE(IsStaleLock(lock, now, "host-a"));
  EXPECT_FALSE(IsStaleLock(lock, now, "host-b"));
  lock.time_ns -= 1;
  EXPECT_TRUE(IsStaleLock(lock, now, "host-b"));

  // A fresh lock of a process that no longer runs is stale on its own host only.
  LockInfo dead{now, false, "host-a", "alice", std::numeric_limits<int32_t>::max() - 1};
  EXPECT_TRUE(IsStaleLock(dead, now, "host-a"));
  EXPECT_FALSE(IsStaleLock(dead, now, "host-b"));
  // Locks without a pid are judged by age alone.
  LockInfo no_pid{now, false, "host-a", "alice", 0};
  EXPECT_FALSE(IsStaleLock(no_pid, now, "host-a"));
}

}  // namespace
}  // namespace lifeboat::repo
