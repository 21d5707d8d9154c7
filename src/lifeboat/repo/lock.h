// Repository locks. Backups, restores and checks take a shared lock; an exclusive lock (for
// maintenance that rewrites the index) waits for no one and is refused while any other fresh
// lock exists. A prune lock is held by prune beside its shared lock: it conflicts only with
// other prune locks (and exclusive ones), so prune never blocks a backup but two prunes never
// run at once. Every lock records when it was first taken (`created`, kept across refreshes), so
// prune's sweep can tell which operations started before it marked packs (docs/FORMAT.md). Locks
// are sealed files under locks/; a lock is refreshed every few minutes by a background thread, and
// one older than kStaleAfter — or left by a process on this host that no longer runs — is stale: it
// is ignored and `lifeboat unlock` removes it.
//
// Acquiring writes our lock first, then lists the others, so two processes racing for
// conflicting locks both see each other and at least one backs off.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lifeboat/repo/repository.h"

namespace lifeboat::repo {

inline constexpr int64_t kLockStaleAfterSeconds = 30 * 60;
inline constexpr int64_t kLockRefreshSeconds = 5 * 60;

enum class LockKind { kShared, kExclusive, kPrune };

struct LockInfo {
  int64_t time_ns = 0;  // last refreshed
  bool exclusive = false;
  std::string hostname;
  std::string username;
  int64_t pid = 0;
  bool prune = false;
  // When the holder first took the lock. Locks written before this field existed read as 0:
  // "older than anything", the safe reading for prune's sweep.
  int64_t created_ns = 0;
};

// A lock as found in the repository, with its object name; `info` fails for a lock that
// cannot be read.
struct NamedLock {
  std::string name;
  Result<LockInfo> info;
};

// Every lock in the repository. A lock removed between listing and reading is left out.
Result<std::vector<NamedLock>> ReadLocks(Repository* repo);

// "a shared lock held by user@host (pid 12) since <time>"
std::string DescribeLock(const LockInfo& info);

class RepositoryLock {
 public:
  // kLockHeld (naming the holder) when a conflicting fresh lock exists.
  static Result<std::unique_ptr<RepositoryLock>> Acquire(Repository* repo, LockKind kind,
                                                         const std::string& hostname,
                                                         const std::string& username);
  static Result<std::unique_ptr<RepositoryLock>> Acquire(Repository* repo, bool exclusive,
                                                         const std::string& hostname,
                                                         const std::string& username) {
    return Acquire(repo, exclusive ? LockKind::kExclusive : LockKind::kShared, hostname, username);
  }
  ~RepositoryLock();  // releases

  Status Release();
  // Rewrites the lock with the current time now; a background thread does this every
  // kLockRefreshSeconds. Tests with a FakeClock call it after moving the clock.
  Status Refresh();
  // The lock object's current name (it changes when the lock is refreshed). Thread-safe.
  std::string name() const;

 private:
  RepositoryLock(Repository* repo, LockInfo info, std::string name);
  void RefreshLoop();
  Status RefreshLocked();  // mutex_ held

  Repository* repo_;
  LockInfo info_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool released_ = false;
  std::string name_;
  std::thread refresher_;
};

// True when a lock is stale at `now_ns` as seen from `hostname`.
bool IsStaleLock(const LockInfo& lock, int64_t now_ns, const std::string& hostname);

// Removes stale locks (or all locks when `all`); returns how many were removed.
Result<int> RemoveLocks(Repository* repo, bool all, const std::string& hostname);

}  // namespace lifeboat::repo
