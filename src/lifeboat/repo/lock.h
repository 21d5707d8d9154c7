// Repository locks. Backups, restores and checks take a shared lock; an exclusive lock (for
// maintenance that rewrites the index) waits for no one and is refused while any other fresh
// lock exists. Locks are sealed files under locks/; a lock is refreshed every few minutes by a
// background thread, and one older than kStaleAfter — or left by a process on this host that
// no longer runs — is stale: it is ignored and `lifeboat unlock` removes it.
//
// Acquiring writes our lock first, then lists the others, so two processes racing for
// conflicting locks both see each other and at least one backs off.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "lifeboat/repo/repository.h"

namespace lifeboat::repo {

inline constexpr int64_t kLockStaleAfterSeconds = 30 * 60;
inline constexpr int64_t kLockRefreshSeconds = 5 * 60;

struct LockInfo {
  int64_t time_ns = 0;
  bool exclusive = false;
  std::string hostname;
  std::string username;
  int64_t pid = 0;
};

class RepositoryLock {
 public:
  // kLockHeld (naming the holder) when a conflicting fresh lock exists.
  static Result<std::unique_ptr<RepositoryLock>> Acquire(Repository* repo, bool exclusive,
                                                         const std::string& hostname,
                                                         const std::string& username);
  ~RepositoryLock();  // releases

  Status Release();

 private:
  RepositoryLock(Repository* repo, LockInfo info, std::string name);
  void RefreshLoop();

  Repository* repo_;
  LockInfo info_;
  std::mutex mutex_;
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
