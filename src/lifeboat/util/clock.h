// Clock: the single source of wall-clock time, injected so that retention, locks, schedules and
// staleness can be tested with FakeClock. Times are nanoseconds since the Unix epoch (UTC).
// SleepFor waits (SystemClock) or only moves time forward (FakeClock), so code that backs off,
// like RetryingBackend, is tested without waiting. Both implementations are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace lifeboat {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowNanos() const = 0;
  int64_t NowSeconds() const { return NowNanos() / 1'000'000'000; }
  // Returns after `nanos` nanoseconds of this clock's time have passed (at once when <= 0).
  virtual void SleepFor(int64_t nanos) = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowNanos() const override;
  void SleepFor(int64_t nanos) override;
  static SystemClock& Get();
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_nanos = 0) : now_(now_nanos) {}
  int64_t NowNanos() const override { return now_.load(); }
  void SleepFor(int64_t nanos) override {
    if (nanos > 0) now_.fetch_add(nanos);
  }
  void Set(int64_t now_nanos) { now_.store(now_nanos); }
  void AdvanceSeconds(int64_t seconds) { now_.fetch_add(seconds * 1'000'000'000); }

 private:
  std::atomic<int64_t> now_;
};

// RFC 3339 in UTC with nanoseconds, e.g. "2026-11-23T09:41:00.123456789Z".
std::string FormatTimeRfc3339(int64_t unix_nanos);
// Accepts what FormatTimeRfc3339 writes, plus a fraction of any length or none, and a "Z" or
// "+hh:mm"/"-hh:mm" offset. Returns false on anything else.
bool ParseTimeRfc3339(const std::string& text, int64_t* unix_nanos);

}  // namespace lifeboat
