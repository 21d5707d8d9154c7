#include "lifeboat/util/clock.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace lifeboat {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

int64_t Parse(const std::string& text) {
  int64_t nanos = -12345;
  EXPECT_TRUE(ParseTimeRfc3339(text, &nanos)) << text;
  return nanos;
}

bool Rejects(const std::string& text) {
  int64_t nanos = 0;
  return !ParseTimeRfc3339(text, &nanos);
}

TEST(Clock, FormatsKnownInstants) {
  EXPECT_EQ(FormatTimeRfc3339(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(FormatTimeRfc3339(1), "1970-01-01T00:00:00.000000001Z");
  EXPECT_EQ(FormatTimeRfc3339(1'700'000'000 * kSecond), "2023-11-14T22:13:20.000000000Z");
  EXPECT_EQ(FormatTimeRfc3339(951'782'400 * kSecond), "2000-02-29T00:00:00.000000000Z");
  EXPECT_EQ(FormatTimeRfc3339(1'795'426'860 * kSecond + 123'456'789),
            "2026-11-23T09:41:00.123456789Z");
  // Past the 32-bit time_t limit.
  EXPECT_EQ(FormatTimeRfc3339(2'147'483'648 * kSecond), "2038-01-19T03:14:08.000000000Z");
  EXPECT_EQ(FormatTimeRfc3339(4'133'980'799 * kSecond + 999'999'999),
            "2100-12-31T23:59:59.999999999Z");
}

TEST(Clock, ParsesKnownInstants) {
  EXPECT_EQ(Parse("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Parse("2023-11-14T22:13:20Z"), 1'700'000'000 * kSecond);
  EXPECT_EQ(Parse("2023-11-14T22:13:20z"), 1'700'000'000 * kSecond);
  EXPECT_EQ(Parse("2000-02-29T00:00:00Z"), 951'782'400 * kSecond);
  EXPECT_EQ(Parse("2026-11-23T09:41:00.123456789Z"), 1'795'426'860 * kSecond + 123'456'789);
}

TEST(Clock, RoundTripsWhatItFormats) {
  for (int64_t nanos : {int64_t{0}, int64_t{1}, 999'999'999 * int64_t{1}, 1'700'000'000 * kSecond,
                        1'795'426'860 * kSecond + 123'456'789, 2'147'483'648 * kSecond + 7,
                        4'133'980'799 * kSecond + 999'999'999}) {
    std::string text = FormatTimeRfc3339(nanos);
    EXPECT_EQ(Parse(text), nanos) << text;
  }
}

TEST(Clock, ParsesOffsets) {
  EXPECT_EQ(Parse("2023-11-15T00:13:20+02:00"), 1'700'000'000 * kSecond);
  EXPECT_EQ(Parse("2023-11-14T17:13:20-05:00"), 1'700'000'000 * kSecond);
  EXPECT_EQ(Parse("2023-11-15T03:43:20+05:30"), 1'700'000'000 * kSecond);
  EXPECT_EQ(Parse("2023-11-14T22:13:20+00:00"), 1'700'000'000 * kSecond);
  EXPECT_EQ(Parse("2023-11-14T22:13:20-00:00"), 1'700'000'000 * kSecond);
  EXPECT_EQ(Parse("2023-11-15T00:13:20.25+02:00"), 1'700'000'000 * kSecond + 250'000'000);
}

TEST(Clock, ParsesFractionsOfAnyLength) {
  const int64_t base = 1'700'000'000 * kSecond;
  EXPECT_EQ(Parse("2023-11-14T22:13:20.5Z"), base + 500'000'000);
  EXPECT_EQ(Parse("2023-11-14T22:13:20.05Z"), base + 50'000'000);
  EXPECT_EQ(Parse("2023-11-14T22:13:20.123Z"), base + 123'000'000);
  EXPECT_EQ(Parse("2023-11-14T22:13:20.123456Z"), base + 123'456'000);
  EXPECT_EQ(Parse("2023-11-14T22:13:20.123456789Z"), base + 123'456'789);
  // Digits past nanoseconds are accepted and dropped.
  EXPECT_EQ(Parse("2023-11-14T22:13:20.1234567899Z"), base + 123'456'789);
  EXPECT_EQ(Parse("2023-11-14T22:13:20.000000000000Z"), base);
}

TEST(Clock, RejectsGarbage) {
  EXPECT_TRUE(Rejects(""));
  EXPECT_TRUE(Rejects("garbage"));
  EXPECT_TRUE(Rejects("yesterday"));
  EXPECT_TRUE(Rejects("2023-11-14"));
  EXPECT_TRUE(Rejects("2023-11-14T22:13:20"));  // no zone
  EXPECT_TRUE(Rejects("2023-11-14 22:13:20Z"));
  EXPECT_TRUE(Rejects("2023-11-14T22:13Z"));
  EXPECT_TRUE(Rejects("2023-11-14T22:13:20.Z"));     // empty fraction
  EXPECT_TRUE(Rejects("2023-11-14T22:13:20Zjunk"));  // trailing text
  EXPECT_TRUE(Rejects("2023-11-14T22:13:20Z "));
  EXPECT_TRUE(Rejects("2023-11-14T22:13:20+0200"));
  EXPECT_TRUE(Rejects("2023-11-14T22:13:20+02"));
  EXPECT_TRUE(Rejects("2023-11-14T22:13:20+02:00:00"));
  EXPECT_TRUE(Rejects("2023-1-14T22:13:20Z"));
  EXPECT_TRUE(Rejects("23-11-14T22:13:20Z"));
  EXPECT_TRUE(Rejects("20231114T221320Z"));
}

TEST(Clock, RejectsFieldsOutOfRange) {
  EXPECT_TRUE(Rejects("2023-13-01T00:00:00Z"));
  EXPECT_TRUE(Rejects("2023-00-01T00:00:00Z"));
  EXPECT_TRUE(Rejects("2023-11-00T00:00:00Z"));
  EXPECT_TRUE(Rejects("2023-11-31T00:00:00Z"));
  EXPECT_TRUE(Rejects("2023-02-29T00:00:00Z"));  // not a leap year
  EXPECT_TRUE(Rejects("1900-02-29T00:00:00Z"));  // century, not a leap year
  EXPECT_TRUE(Rejects("2023-11-14T24:00:00Z"));
  EXPECT_TRUE(Rejects("2023-11-14T22:60:00Z"));
  EXPECT_TRUE(Rejects("2023-11-14T22:13:61Z"));
  EXPECT_TRUE(Rejects("2023-11-14T22:13:20+24:00"));
  EXPECT_TRUE(Rejects("2023-11-14T22:13:20+02:60"));
}

TEST(Clock, RejectsSignsAndSpacesInsideFields) {
  EXPECT_TRUE(Rejects(" 2023-11-14T22:13:20Z"));
  EXPECT_TRUE(Rejects(" 023-11-14T22:13:20Z"));
  EXPECT_TRUE(Rejects("+023-11-14T22:13:20Z"));
  EXPECT_TRUE(Rejects("2023-+1-14T22:13:20Z"));
  EXPECT_TRUE(Rejects("2023-11- 4T22:13:20Z"));
  EXPECT_TRUE(Rejects("2023-11-14T22:13:20+-1:00"));
  EXPECT_TRUE(Rejects("2023-11-14T22:13:20+ 1:00"));
  EXPECT_TRUE(Rejects("2023-11-14T22:13:20+0a:00"));
}

TEST(Clock, AcceptsLeapDayAndLeapSecondOfRfc3339) {
  EXPECT_EQ(Parse("2024-02-29T12:00:00Z"), Parse("2024-02-28T12:00:00Z") + 86'400 * kSecond);
  // RFC 3339 allows second 60; it lands on the next minute's first second.
  EXPECT_EQ(Parse("2016-12-31T23:59:60Z"), Parse("2017-01-01T00:00:00Z"));
}

TEST(FakeClock, StartsWhereToldAndMovesOnlyWhenTold) {
  FakeClock clock(1'700'000'000 * kSecond + 5);
  const Clock& as_clock = clock;
  EXPECT_EQ(as_clock.NowNanos(), 1'700'000'000 * kSecond + 5);
  EXPECT_EQ(as_clock.NowSeconds(), 1'700'000'000);
  EXPECT_EQ(as_clock.NowNanos(), as_clock.NowNanos());
  clock.AdvanceSeconds(86'400);
  EXPECT_EQ(as_clock.NowSeconds(), 1'700'086'400);
  clock.Set(0);
  EXPECT_EQ(as_clock.NowNanos(), 0);
  EXPECT_EQ(FakeClock().NowNanos(), 0);
}

TEST(FakeClock, SleepForOnlyMovesTimeForward) {
  FakeClock clock(10);
  Clock& as_clock = clock;
  as_clock.SleepFor(250);
  EXPECT_EQ(clock.NowNanos(), 260);
  as_clock.SleepFor(0);
  as_clock.SleepFor(-5);
  EXPECT_EQ(clock.NowNanos(), 260);
}

TEST(SystemClock, SleepForWaitsAtLeastThatLong) {
  Clock& clock = SystemClock::Get();
  const int64_t start = clock.NowNanos();
  clock.SleepFor(2'000'000);
  EXPECT_GE(clock.NowNanos() - start, 2'000'000);
}

TEST(SystemClock, ReadsWallClock) {
  const Clock& clock = SystemClock::Get();
  EXPECT_EQ(&SystemClock::Get(), &SystemClock::Get());
  int64_t first = clock.NowNanos();
  EXPECT_GT(first, Parse("2024-01-01T00:00:00Z"));
  EXPECT_GE(clock.NowNanos(), first - kSecond);
}

}  // namespace
}  // namespace lifeboat
