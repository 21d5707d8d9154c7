#include "lifeboat/storage/retry.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace lifeboat::storage {

double DefaultRandomFraction() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

void SleepBeforeRetry(const RetryPolicy& policy, int failed_attempts, Clock& clock,
                      const RandomFraction& random) {
  // base * 2^(n-1), capped; the shift is bounded so it cannot overflow on long policies.
  const int shift = std::clamp(failed_attempts - 1, 0, 30);
  const int64_t bound_ms = std::min(policy.max_delay_ms, policy.base_delay_ms << shift);
  const double fraction = std::clamp(random ? random() : DefaultRandomFraction(), 0.0, 1.0);
  clock.SleepFor(static_cast<int64_t>(std::llround(fraction * bound_ms * 1e6)));
}

}  // namespace lifeboat::storage
