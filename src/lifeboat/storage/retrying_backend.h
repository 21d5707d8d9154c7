// RetryingBackend: wraps a Backend and repeats calls that failed with a retryable() error
// (timeouts, resets, 5xx, SlowDown), waiting between attempts with exponential backoff and full
// jitter: before attempt n+1 it sleeps a uniformly random time in [0, min(max_delay,
// base_delay * 2^(n-1))], so many clients backing off from one overloaded server spread out.
// Errors that are not retryable (not found, permission denied, already exists, bad request)
// are returned at once.
//
// A retried write may have taken effect the first time, with only its reply lost. Objects are
// content-addressed (a name is the SHA-256 of the content; FORMAT.md), so:
// - Put with if_absent that meets kAlreadyExists after such an ambiguous failure reads the
//   stored object back: identical content means our own earlier attempt stored it (success);
//   different content (only possible for the config) stays kAlreadyExists.
// - Remove that meets kNotFound after an ambiguous failure counts as done.
// - A List that breaks midway is listed again from the start, skipping the objects already
//   visited, so each object is still visited once (this costs one Id, 32 bytes plus set
//   overhead, per object for the duration of the listing). A visitor's own error is never
//   retried.
//
//   RetryingBackend backend(std::move(s3_backend));   // SystemClock, default policy
//
// Thread-safe when the inner backend is.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "lifeboat/storage/backend.h"
#include "lifeboat/storage/retry.h"
#include "lifeboat/util/clock.h"

namespace lifeboat::storage {

class RetryingBackend final : public Backend {
 public:
  using RandomFraction = storage::RandomFraction;

  // Borrows `inner`, which must outlive this. clock sleeps between attempts (a FakeClock in
  // tests); random defaults to a per-thread pseudo-random generator.
  RetryingBackend(Backend* inner, RetryPolicy policy = {}, Clock* clock = &SystemClock::Get(),
                  RandomFraction random = {});
  // Owns `inner`.
  explicit RetryingBackend(std::unique_ptr<Backend> inner, RetryPolicy policy = {},
                           Clock* clock = &SystemClock::Get(), RandomFraction random = {});

  BackendProperties Properties() const override { return inner_->Properties(); }
  Status Put(const ObjectKey& key, ByteView data, const PutOptions& options) override;
  Result<Bytes> Get(const ObjectKey& key, ByteRange range) override;
  Result<ObjectInfo> Stat(const ObjectKey& key) override;
  Status List(ObjectKind kind, std::string_view prefix, const ListVisitor& visit) override;
  Status Remove(const ObjectKey& key) override;
  using Backend::Get;
  using Backend::Put;

 private:
  // Sleeps before the attempt after `failed_attempts` failures.
  void Backoff(int failed_attempts);
  // The last error of an operation that ran out of attempts.
  Status GiveUp(const Status& last) const;

  std::unique_ptr<Backend> owned_;
  Backend* inner_;
  RetryPolicy policy_;
  Clock* clock_;
  RandomFraction random_;
};

}  // namespace lifeboat::storage
