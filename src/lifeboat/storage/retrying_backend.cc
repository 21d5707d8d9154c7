#include "lifeboat/storage/retrying_backend.h"

#include <algorithm>
#include <unordered_set>

#include "lifeboat/util/id.h"
#include "lifeboat/util/log.h"

namespace lifeboat::storage {
RetryingBackend::RetryingBackend(Backend* inner, RetryPolicy policy, Clock* clock,
                                 RandomFraction random)
    : inner_(inner),
      policy_(policy),
      clock_(clock),
      random_(random ? std::move(random) : RandomFraction(DefaultRandomFraction)) {
  policy_.max_attempts = std::max(policy_.max_attempts, 1);
}

RetryingBackend::RetryingBackend(std::unique_ptr<Backend> inner, RetryPolicy policy, Clock* clock,
                                 RandomFraction random)
    : RetryingBackend(inner.get(), policy, clock, std::move(random)) {
  owned_ = std::move(inner);
}

void RetryingBackend::Backoff(int failed_attempts) {
  SleepBeforeRetry(policy_, failed_attempts, *clock_, random_);
}

Status RetryingBackend::GiveUp(const Status& last) const {
  Status status(
      last.code(),
      last.message() + " (gave up after " + std::to_string(policy_.max_attempts) + " attempts)",
      last.hint());
  return status.SetRetryable(last.retryable());
}

Status RetryingBackend::Put(const ObjectKey& key, ByteView data, const PutOptions& options) {
  bool ambiguous = false;
  for (int attempt = 1;; ++attempt) {
    Status status = inner_->Put(key, data, options);
    if (status.ok()) return status;
    if (status.code() == StatusCode::kAlreadyExists && options.if_absent && ambiguous) {
      // An earlier attempt may have stored the object and only lost its reply.
      Result<Bytes> stored = Get(key, ByteRange{});
      if (stored.ok() && stored->size() == data.size() &&
          std::equal(stored->begin(), stored->end(), data.begin())) {
        return Status::Ok();
      }
      return status;
    }
    if (!status.retryable()) return status;
    if (attempt >= policy_.max_attempts) return GiveUp(status);
    ambiguous = true;
    LogVerbose("retrying after: " + status.message());
    Backoff(attempt);
  }
}

Result<Bytes> RetryingBackend::Get(const ObjectKey& key, ByteRange range) {
  for (int attempt = 1;; ++attempt) {
    Result<Bytes> got = inner_->Get(key, range);
    if (got.ok() || !got.status().retryable()) return got;
    if (attempt >= policy_.max_attempts) return GiveUp(got.status());
    LogVerbose("retrying after: " + got.status().message());
    Backoff(attempt);
  }
}

Result<ObjectInfo> RetryingBackend::Stat(const ObjectKey& key) {
  for (int attempt = 1;; ++attempt) {
    Result<ObjectInfo> info = inner_->Stat(key);
    if (info.ok() || !info.status().retryable()) return info;
    if (attempt >= policy_.max_attempts) return GiveUp(info.status());
    LogVerbose("retrying after: " + info.status().message());
    Backoff(attempt);
  }
}

Status RetryingBackend::List(ObjectKind kind, std::string_view prefix, const ListVisitor& visit) {
  std::unordered_set<Id, IdHash> visited;
  bool config_visited = false;
  bool visitor_failed = false;
  const ListVisitor once = [&](const ObjectInfo& info) -> Status {
    if (info.key.kind == ObjectKind::kConfig) {
      if (config_visited) return Status::Ok();
      config_visited = true;
    } else if (std::optional<Id> id = Id::FromHex(info.key.name)) {
      if (!visited.insert(*id).second) return Status::Ok();
    }
    Status status = visit(info);
    visitor_failed = !status.ok();
    return status;
  };
  for (int attempt = 1;; ++attempt) {
    Status status = inner_->List(kind, prefix, once);
    if (status.ok() || visitor_failed || !status.retryable()) return status;
    if (attempt >= policy_.max_attempts) return GiveUp(status);
    LogVerbose("retrying after: " + status.message());
    Backoff(attempt);
  }
}

Status RetryingBackend::Remove(const ObjectKey& key) {
  bool ambiguous = false;
  for (int attempt = 1;; ++attempt) {
    Status status = inner_->Remove(key);
    if (status.ok()) return status;
    // An earlier attempt may have removed the object and only lost its reply.
    if (status.code() == StatusCode::kNotFound && ambiguous) return Status::Ok();
    if (!status.retryable()) return status;
    if (attempt >= policy_.max_attempts) return GiveUp(status);
    ambiguous = true;
    LogVerbose("retrying after: " + status.message());
    Backoff(attempt);
  }
}

}  // namespace lifeboat::storage
