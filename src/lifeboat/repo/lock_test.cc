#include "lifeboat/repo/lock.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <limits>

#include "lifeboat/crypto/sha256.h"
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

  std::unique_ptr<RepositoryLock> Acquire(bool exclusive, const std::string& hostname,
                                          const std::string& username) {
    auto lock = RepositoryLock::Acquire(repo_.get(), exclusive, hostname, username);
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
