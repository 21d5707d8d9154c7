// The retry policy for object-store requests, shared by RetryingBackend (whole Backend
// operations) and S3Client (single requests, for bucket sources and targets, which have no
// Backend around them): exponential backoff with full jitter. Before attempt n+1 the caller
// sleeps a uniformly random time in [0, min(max_delay, base_delay * 2^(n-1))], so many clients
// backing off from one overloaded server spread out.
//
//   for (int attempt = 1;; ++attempt) {
//     Status status = Try();
//     if (status.ok() || !status.retryable() || attempt >= policy.max_attempts) return status;
//     SleepBeforeRetry(policy, attempt, clock, random);
//   }
#pragma once

#include <cstdint>
#include <functional>

#include "lifeboat/util/clock.h"

namespace lifeboat::storage {

struct RetryPolicy {
  int max_attempts = 8;  // including the first; 1 disables retrying
  int64_t base_delay_ms = 100;
  int64_t max_delay_ms = 10'000;
};

// Returns a number in [0, 1]: the fraction of the backoff bound to sleep.
using RandomFraction = std::function<double()>;

// A per-thread pseudo-random generator: jitter only needs to differ between processes and
// threads, not to be unpredictable.
double DefaultRandomFraction();

// Sleeps on `clock` before the attempt after `failed_attempts` failures; `random` may be empty.
void SleepBeforeRetry(const RetryPolicy& policy, int failed_attempts, Clock& clock,
                      const RandomFraction& random);

}  // namespace lifeboat::storage
