#include "lifeboat/util/local_time.h"

#include <gtest/gtest.h>

#include <string>

#include "lifeboat/util/testing/scoped_time_zone.h"

namespace lifeboat {
namespace {

using testing::ScopedTimeZone;

TEST(LocalTime, IsoWeeksAtYearBoundaries) {
  auto week = [](int y, int m, int d) {
    const IsoWeek w = IsoWeekOf(y, m, d);
    return std::to_string(w.year) + "-W" + std::to_string(w.week);
  };
  EXPECT_EQ(week(2024, 12, 29), "2024-W52");  // a Sunday
  EXPECT_EQ(week(2024, 12, 30), "2025-W1");   // Monday of the week holding 2025-01-02
  EXPECT_EQ(week(2021, 1, 3), "2020-W53");    // 2020 had 53 weeks
  EXPECT_EQ(week(2021, 1, 4), "2021-W1");
  EXPECT_EQ(week(2020, 2, 29), "2020-W9");
  EXPECT_EQ(week(2026, 1, 1), "2026-W1");  // a Thursday
  EXPECT_EQ(week(2027, 1, 1), "2026-W53");
}

TEST(LocalTime, ConvertsInThePinnedZoneAcrossDaylightSaving) {
  ScopedTimeZone zone("Europe/Berlin");
  // 2024-03-31 00:30 UTC is 01:30 CET; 01:30 UTC is 03:30 CEST (02:00-03:00 does not exist).
  CivilTime before = ToLocalCivil(1711845000);
  EXPECT_EQ(before.day, 31);
  EXPECT_EQ(before.hour, 1);
  CivilTime after = ToLocalCivil(1711845000 + 3600);
  EXPECT_EQ(after.hour, 3);
  EXPECT_EQ(FromLocalCivil(after), 1711845000 + 3600);
  // Day 32 of March carries over into April.
  EXPECT_EQ(FromLocalCivil({.year = 2024, .month = 3, .day = 32, .hour = 12}),
            FromLocalCivil({.year = 2024, .month = 4, .day = 1, .hour = 12}));
}

TEST(LocalTime, NewYorkIsFiveHoursBehindInWinter) {
  ScopedTimeZone zone("America/New_York");
  const CivilTime civil = ToLocalCivil(1704067200);  // 2024-01-01 00:00 UTC
  EXPECT_EQ(civil.year, 2023);
  EXPECT_EQ(civil.month, 12);
  EXPECT_EQ(civil.day, 31);
  EXPECT_EQ(civil.hour, 19);
}

TEST(LocalTime, RejectsUnknownZonesWithTheirName) {
  for (const char* name : {"Mars/Olympus_Mons", "", "../etc/passwd", "/etc/localtime"}) {
    Status status = SetProcessTimeZone(name);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << name;
    EXPECT_EQ(status.message(), "unknown time zone \"" + std::string(name) + "\"");
  }
}

}  // namespace
}  // namespace lifeboat
