// ScopedTimeZone: pins the process's time zone for one test and restores the previous one, so
// tests of calendar rules give the same answer on every machine. Included by *_test.cc only.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include "lifeboat/util/local_time.h"

namespace lifeboat::testing {

class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* zone) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    const Status status = SetProcessTimeZone(zone);
    EXPECT_TRUE(status.ok()) << zone << ": " << status.ToString();
  }
  ~ScopedTimeZone() {
    if (old_) {
      setenv("TZ", old_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  ScopedTimeZone(const ScopedTimeZone&) = delete;
  ScopedTimeZone& operator=(const ScopedTimeZone&) = delete;

 private:
  std::optional<std::string> old_;
};

}  // namespace lifeboat::testing
