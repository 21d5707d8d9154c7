#include "lifeboat/repo/lock.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

namespace lifeboat::repo {

namespace {
using storage::ObjectKey;
using storage::ObjectKind;

Bytes EncodeLock(const LockInfo& info) {
  nlohmann::json json{{"time", FormatTimeRfc3339(info.time_ns)},
                      {"exclusive", info.exclusive},
                      {"hostname", info.hostname},
                      {"username", info.username},
                      {"pid", info.pid},
                      {"created", FormatTimeRfc3339(info.created_ns)}};
  if (info.prune) json["prune"] = true;
  return ToBytes(json.dump());
}

Result<LockInfo> DecodeLock(ByteView data) {
  nlohmann::json json = nlohmann::json::parse(data.begin(), data.end(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) return CorruptionError("lock is not JSON");
  LockInfo info;
  if (!ParseTimeRfc3339(json.value("time", ""), &info.time_ns)) {
    return CorruptionError("lock has an invalid time");
  }
  info.exclusive = json.value("exclusive", false);
  info.hostname = json.value("hostname", "");
  info.username = json.value("username", "");
  info.pid = json.value("pid", int64_t{0});
  info.prune = json.value("prune", false);
  if (json.contains("created") && !ParseTimeRfc3339(json.value("created", ""), &info.created_ns)) {
    return CorruptionError("lock has an invalid creation time");
  }
  return info;
}

bool Conflicts(const LockInfo& a, const LockInfo& b) {
  return a.exclusive || b.exclusive || (a.prune && b.prune);
}
}  // namespace

Result<std::vector<NamedLock>> ReadLocks(Repository* repo) {
  std::vector<std::string> names;
  LIFEBOAT_RETURN_IF_ERROR(
      repo->backend().List(ObjectKind::kLock, "", [&](const storage::ObjectInfo& o) {
        names.push_back(o.key.name);
        return Status::Ok();
      }));
  std::vector<NamedLock> locks;
  for (const std::string& name : names) {
    Result<Bytes> plain = repo->LoadSealedFile(ObjectKind::kLock, name);
    if (!plain.ok()) {
      // A lock removed between listing and reading is simply gone.
      if (plain.status().code() == StatusCode::kNotFound) continue;
      locks.push_back(NamedLock{name, plain.status()});
      continue;
    }
    locks.push_back(NamedLock{name, DecodeLock(*plain)});
  }
  return locks;
}

std::string DescribeLock(const LockInfo& info) {
  const char* kind = info.exclusive ? "an exclusive" : info.prune ? "a prune" : "a shared";
  return std::string(kind) + " lock held by " + info.username + "@" + info.hostname + " (pid " +
         std::to_string(info.pid) + ") since " +
         FormatTimeRfc3339(info.created_ns != 0 ? info.created_ns : info.time_ns);
}

bool IsStaleLock(const LockInfo& lock, int64_t now_ns, const std::string& hostname) {
  if (now_ns - lock.time_ns > kLockStaleAfterSeconds * 1'000'000'000) return true;
  if (lock.hostname == hostname && lock.pid > 0) {
    if (kill(static_cast<pid_t>(lock.pid), 0) != 0 && errno == ESRCH) return true;
  }
  return false;
}

Result<std::unique_ptr<RepositoryLock>> RepositoryLock::Acquire(Repository* repo, LockKind kind,
                                                                const std::string& hostname,
                                                                const std::string& username) {
  const int64_t now_ns = repo->clock().NowNanos();
  LockInfo info{.time_ns = now_ns,
                .exclusive = kind == LockKind::kExclusive,
                .hostname = hostname,
                .username = username,
                .pid = static_cast<int64_t>(getpid()),
                .prune = kind == LockKind::kPrune,
                .created_ns = now_ns};
  LIFEBOAT_ASSIGN_OR_RETURN(Id id, repo->SaveSealedFile(ObjectKind::kLock, EncodeLock(info)));
  std::unique_ptr<RepositoryLock> lock(new RepositoryLock(repo, info, id.Hex()));
  Result<std::vector<NamedLock>> others = ReadLocks(repo);
  if (!others.ok()) return others.status().WithContext("reading locks");
  const int64_t now = repo->clock().NowNanos();
  for (const NamedLock& other : *others) {
    if (other.name == lock->name_ || !other.info.ok()) continue;
    if (IsStaleLock(*other.info, now, hostname)) continue;
    if (Conflicts(info, *other.info)) {
      return LockHeldError("the repository is locked: " + DescribeLock(*other.info))
          .WithHint(
              "wait for that operation to finish; if it died, `lifeboat unlock` removes "
              "stale locks");
    }
  }
  lock->refresher_ = std::thread([raw = lock.get()] { raw->RefreshLoop(); });
  return lock;
}

RepositoryLock::RepositoryLock(Repository* repo, LockInfo info, std::string name)
    : repo_(repo), info_(std::move(info)), name_(std::move(name)) {}

RepositoryLock::~RepositoryLock() { Release().IgnoreError(); }

std::string RepositoryLock::name() const {
  std::lock_guard guard(mutex_);
  return name_;
}

void RepositoryLock::RefreshLoop() {
  std::unique_lock guard(mutex_);
  while (!released_) {
    if (wake_.wait_for(guard, std::chrono::seconds(kLockRefreshSeconds),
                       [&] { return released_; })) {
      return;
    }
    RefreshLocked().IgnoreError();  // tried again at the next interval
  }
}

Status RepositoryLock::Refresh() {
  std::lock_guard guard(mutex_);
  if (released_) return Status::Ok();
  return RefreshLocked();
}

Status RepositoryLock::RefreshLocked() {
  // Write the fresh lock before removing the old one so we are never unlocked.
  LockInfo fresh = info_;
  fresh.time_ns = repo_->clock().NowNanos();
  LIFEBOAT_ASSIGN_OR_RETURN(Id id, repo_->SaveSealedFile(ObjectKind::kLock, EncodeLock(fresh)));
  repo_->backend().Remove(ObjectKey{ObjectKind::kLock, name_}).IgnoreError();
  name_ = id.Hex();
  return Status::Ok();
}

Status RepositoryLock::Release() {
  {
    std::lock_guard guard(mutex_);
    if (released_) return Status::Ok();
    released_ = true;
  }
  wake_.notify_all();
  if (refresher_.joinable()) refresher_.join();
  Status status = repo_->backend().Remove(ObjectKey{ObjectKind::kLock, name_});
  if (status.code() == StatusCode::kNotFound) return Status::Ok();
  return status;
}

Result<int> RemoveLocks(Repository* repo, bool all, const std::string& hostname) {
  LIFEBOAT_ASSIGN_OR_RETURN(std::vector<NamedLock> locks, ReadLocks(repo));
  const int64_t now = repo->clock().NowNanos();
  int removed = 0;
  for (const NamedLock& lock : locks) {
    // An unreadable lock cannot be judged fresh; only --remove-all takes it.
    bool stale = lock.info.ok() && IsStaleLock(*lock.info, now, hostname);
    if (!all && !stale) continue;
    Status status = repo->backend().Remove(ObjectKey{ObjectKind::kLock, lock.name});
    if (!status.ok() && status.code() != StatusCode::kNotFound) return status;
    ++removed;
  }
  return removed;
}

}  // namespace lifeboat::repo
