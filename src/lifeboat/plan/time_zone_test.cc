#include "lifeboat/plan/time_zone.h"

#include <gtest/gtest.h>

namespace lifeboat::plan {
namespace {

int64_t Utc(int year, int month, int day, int hour, int minute, int second = 0) {
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

CivilTime Civil(int year, int month, int day, int hour, int minute, int second = 0) {
  return CivilTime{
      .year = year, .month = month, .day = day, .hour = hour, .minute = minute, .second = second};
}

std::string Show(const CivilTime& c) {
  char text[32];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02d %02d:%02d:%02d", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return text;
}

TimeZone MustLoad(std::string_view name) {
  Result<TimeZone> zone = TimeZone::Load(name);
  EXPECT_TRUE(zone.ok()) << zone.status().ToString();
  return zone.ok() ? *zone : TimeZone();
}

TEST(CivilDays, RoundTripAndWeekdays) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  int year = 0, month = 0, day = 0;
  CivilFromDays(DaysFromCivil(2028, 2, 29), &year, &month, &day);
  EXPECT_EQ(year, 2028);
  EXPECT_EQ(month, 2);
  EXPECT_EQ(day, 29);
  EXPECT_EQ(WeekdayFromDays(0), 4);                            // Thursday
  EXPECT_EQ(WeekdayFromDays(DaysFromCivil(2026, 11, 23)), 1);  // Monday
  EXPECT_EQ(DaysInMonth(2026, 2), 28);
  EXPECT_EQ(DaysInMonth(2028, 2), 29);
  EXPECT_EQ(DaysInMonth(2100, 2), 28);
  EXPECT_EQ(DaysInMonth(2026, 4), 30);
}

TEST(TimeZone, UtcHasNoOffset) {
  const TimeZone utc = TimeZone::Utc();
  EXPECT_EQ(utc.name(), "UTC");
  EXPECT_EQ(utc.OffsetAt(Utc(2026, 7, 1, 0, 0)), 0);
  EXPECT_EQ(Show(utc.ToCivil(Utc(2026, 7, 1, 13, 45, 7))), "2026-07-01 13:45:07");
  EXPECT_EQ(MustLoad("UTC").OffsetAt(0), 0);
}

TEST(TimeZone, BerlinSpringForwardSkipsAnHour) {
  const TimeZone berlin = MustLoad("Europe/Berlin");
  EXPECT_EQ(Show(berlin.ToCivil(Utc(2026, 3, 29, 0, 59, 59))), "2026-03-29 01:59:59");
  EXPECT_EQ(Show(berlin.ToCivil(Utc(2026, 3, 29, 1, 0, 0))), "2026-03-29 03:00:00");
  EXPECT_TRUE(berlin.FromCivil(Civil(2026, 3, 29, 2, 30)).empty());
  EXPECT_EQ(berlin.FromCivilOrGapEnd(Civil(2026, 3, 29, 2, 30)), Utc(2026, 3, 29, 1, 0));
  EXPECT_EQ(berlin.FromCivil(Civil(2026, 3, 29, 3, 0)),
            std::vector<int64_t>{Utc(2026, 3, 29, 1, 0)});
  EXPECT_EQ(berlin.FromCivil(Civil(2026, 3, 29, 1, 59)),
            std::vector<int64_t>{Utc(2026, 3, 29, 0, 59)});
}

TEST(TimeZone, BerlinFallBackRepeatsAnHour) {
  const TimeZone berlin = MustLoad("Europe/Berlin");
  EXPECT_EQ(berlin.FromCivil(Civil(2026, 10, 25, 2, 30)),
            (std::vector<int64_t>{Utc(2026, 10, 25, 0, 30), Utc(2026, 10, 25, 1, 30)}));
  EXPECT_EQ(berlin.OffsetAt(Utc(2026, 10, 25, 0, 59)), 7200);
  EXPECT_EQ(berlin.OffsetAt(Utc(2026, 10, 25, 1, 0)), 3600);
  EXPECT_EQ(berlin.FromCivilOrGapEnd(Civil(2026, 10, 25, 2, 30)), Utc(2026, 10, 25, 0, 30));
}

TEST(TimeZone, NewYorkTransitions) {
  const TimeZone new_york = MustLoad("America/New_York");
  EXPECT_EQ(new_york.OffsetAt(Utc(2026, 1, 15, 12, 0)), -5 * 3600);
  EXPECT_EQ(new_york.OffsetAt(Utc(2026, 7, 15, 12, 0)), -4 * 3600);
  EXPECT_TRUE(new_york.FromCivil(Civil(2026, 3, 8, 2, 0)).empty());
  EXPECT_EQ(new_york.FromCivilOrGapEnd(Civil(2026, 3, 8, 2, 0)), Utc(2026, 3, 8, 7, 0));
  EXPECT_EQ(new_york.FromCivil(Civil(2026, 11, 1, 1, 30)),
            (std::vector<int64_t>{Utc(2026, 11, 1, 5, 30), Utc(2026, 11, 1, 6, 30)}));
}

// Past the transitions a TZif file lists (2037 in "fat" files, earlier in "slim" ones), the
// footer's POSIX rule decides.
TEST(TimeZone, FollowsTheFooterRuleAfterTheLastListedTransition) {
  const TimeZone berlin = MustLoad("Europe/Berlin");
  EXPECT_EQ(berlin.OffsetAt(Utc(2100, 1, 1, 12, 0)), 3600);
  EXPECT_EQ(berlin.OffsetAt(Utc(2100, 7, 1, 12, 0)), 7200);
  // 2100-03-28 is the last Sunday of March.
  EXPECT_EQ(berlin.OffsetAt(Utc(2100, 3, 28, 0, 59)), 3600);
  EXPECT_EQ(berlin.OffsetAt(Utc(2100, 3, 28, 1, 0)), 7200);
  EXPECT_TRUE(berlin.FromCivil(Civil(2100, 3, 28, 2, 30)).empty());
  EXPECT_EQ(berlin.FromCivil(Civil(2100, 10, 31, 2, 30)).size(), 2u);
}

TEST(TimeZone, PosixRuleAgreesWithTheDatabaseHourByHour) {
  const TimeZone berlin = MustLoad("Europe/Berlin");
  Result<TimeZone> rule = TimeZone::FromPosixRule("rule", "CET-1CEST,M3.5.0,M10.5.0/3");
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  const TimeZone new_york = MustLoad("America/New_York");
  Result<TimeZone> us_rule = TimeZone::FromPosixRule("rule", "EST5EDT,M3.2.0,M11.1.0");
  ASSERT_TRUE(us_rule.ok()) << us_rule.status().ToString();
  for (int64_t t = Utc(2024, 1, 1, 0, 0); t < Utc(2031, 1, 1, 0, 0); t += 3600) {
    ASSERT_EQ(rule->OffsetAt(t), berlin.OffsetAt(t)) << t;
    ASSERT_EQ(us_rule->OffsetAt(t), new_york.OffsetAt(t)) << t;
  }
}

TEST(TimeZone, SouthernHemisphereRuleWrapsTheYear) {
  Result<TimeZone> sydney = TimeZone::FromPosixRule("Sydney", "AEST-10AEDT,M10.1.0,M4.1.0/3");
  ASSERT_TRUE(sydney.ok());
  EXPECT_EQ(sydney->OffsetAt(Utc(2030, 1, 15, 0, 0)), 11 * 3600);
  EXPECT_EQ(sydney->OffsetAt(Utc(2030, 7, 15, 0, 0)), 10 * 3600);
  EXPECT_EQ(sydney->OffsetAt(Utc(2030, 12, 15, 0, 0)), 11 * 3600);
  const TimeZone loaded = MustLoad("Australia/Sydney");
  for (int64_t t = Utc(2025, 1, 1, 0, 0); t < Utc(2027, 1, 1, 0, 0); t += 3600) {
    ASSERT_EQ(sydney->OffsetAt(t), loaded.OffsetAt(t)) << t;
  }
}

TEST(TimeZone, ZonesWithoutDaylightTime) {
  Result<TimeZone> india = TimeZone::FromPosixRule("IST", "<+0530>-5:30");
  ASSERT_TRUE(india.ok());
  EXPECT_EQ(india->OffsetAt(Utc(2030, 6, 1, 0, 0)), 5 * 3600 + 1800);
  EXPECT_EQ(MustLoad("Asia/Kolkata").OffsetAt(Utc(2030, 6, 1, 0, 0)), 5 * 3600 + 1800);
}

TEST(TimeZone, RejectsUnknownNames) {
  Result<TimeZone> zone = TimeZone::Load("Mars/Olympus_Mons");
  ASSERT_FALSE(zone.ok());
  EXPECT_EQ(zone.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(zone.status().message(), "unknown time zone \"Mars/Olympus_Mons\"");
  EXPECT_EQ(zone.status().hint(),
            "give a name from the tz database, e.g. Europe/Berlin, America/New_York or UTC");
  for (const char* name : {"", "../../etc/passwd", "/etc/localtime", "Europe//Berlin", "Europe/"}) {
    EXPECT_FALSE(TimeZone::Load(name).ok()) << name;
  }
}

TEST(TimeZone, RejectsFilesThatAreNotTzif) {
  Result<TimeZone> zone = TimeZone::FromTzif("Bad/Zone", "not a time zone file at all, honestly");
  ASSERT_FALSE(zone.ok());
  EXPECT_EQ(zone.status().message(), "unknown time zone \"Bad/Zone\": not a TZif file");
  // A real header whose data is cut short.
  std::string header = "TZif2";
  header.resize(20, '\0');
  for (int count : {0, 0, 0, 5, 1, 4}) {
    header += std::string{0, 0, 0, static_cast<char>(count)};
  }
  zone = TimeZone::FromTzif("Cut/Zone", header);
  ASSERT_FALSE(zone.ok());
  EXPECT_EQ(zone.status().message(), "unknown time zone \"Cut/Zone\": truncated TZif file");
}

TEST(TimeZone, RejectsBadPosixRules) {
  for (const char* rule : {"", "C-1", "CET", "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.5.0",
                           "CET-1CEST,J0,J100", "CET-1CEST,M3.5.0,M10.5.0/x"}) {
    EXPECT_FALSE(TimeZone::FromPosixRule("x", rule).ok()) << rule;
  }
}

}  // namespace
}  // namespace lifeboat::plan
