#include "lifeboat/plan/cron.h"

#include <gtest/gtest.h>

#include <vector>

namespace lifeboat::plan {
namespace {

int64_t Utc(int year, int month, int day, int hour, int minute) {
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60;
}

CronSchedule MustParse(std::string_view text) {
  Result<CronSchedule> schedule = CronSchedule::Parse(text);
  EXPECT_TRUE(schedule.ok()) << text << ": " << schedule.status().ToString();
  return *schedule;
}

TimeZone Zone(std::string_view name) {
  Result<TimeZone> zone = TimeZone::Load(name);
  EXPECT_TRUE(zone.ok()) << zone.status().ToString();
  return *zone;
}

// The next `count` runs after `from`.
std::vector<int64_t> Runs(std::string_view text, const TimeZone& zone, int64_t from, int count) {
  const CronSchedule schedule = MustParse(text);
  std::vector<int64_t> runs;
  for (int i = 0; i < count; ++i) {
    std::optional<int64_t> next = schedule.NextAfter(from, zone);
    if (!next) break;
    runs.push_back(*next);
    from = *next;
  }
  return runs;
}

std::string ParseError(std::string_view text) {
  Result<CronSchedule> schedule = CronSchedule::Parse(text);
  return schedule.ok() ? "parsed" : schedule.status().message();
}

TEST(CronSchedule, DailyInUtc) {
  EXPECT_EQ(Runs("0 2 * * *", TimeZone::Utc(), Utc(2026, 1, 1, 0, 0), 2),
            (std::vector<int64_t>{Utc(2026, 1, 1, 2, 0), Utc(2026, 1, 2, 2, 0)}));
  // Strictly after: a run at the very instant is not the next one.
  EXPECT_EQ(Runs("0 2 * * *", TimeZone::Utc(), Utc(2026, 1, 1, 2, 0), 1),
            std::vector<int64_t>{Utc(2026, 1, 2, 2, 0)});
  EXPECT_EQ(Runs("0 2 * * *", TimeZone::Utc(), Utc(2026, 1, 1, 2, 0) - 1, 1),
            std::vector<int64_t>{Utc(2026, 1, 1, 2, 0)});
}

TEST(CronSchedule, Steps) {
  EXPECT_EQ(Runs("*/15 * * * *", TimeZone::Utc(), Utc(2026, 5, 5, 10, 7), 3),
            (std::vector<int64_t>{Utc(2026, 5, 5, 10, 15), Utc(2026, 5, 5, 10, 30),
                                  Utc(2026, 5, 5, 10, 45)}));
  EXPECT_EQ(Runs("0-30/10 9 * * *", TimeZone::Utc(), Utc(2026, 5, 5, 9, 0), 4),
            (std::vector<int64_t>{Utc(2026, 5, 5, 9, 10), Utc(2026, 5, 5, 9, 20),
                                  Utc(2026, 5, 5, 9, 30), Utc(2026, 5, 6, 9, 0)}));
  // "5/20" is 5-59/20.
  EXPECT_EQ(Runs("5/20 0 * * *", TimeZone::Utc(), Utc(2026, 5, 5, 0, 0), 4),
            (std::vector<int64_t>{Utc(2026, 5, 5, 0, 5), Utc(2026, 5, 5, 0, 25),
                                  Utc(2026, 5, 5, 0, 45), Utc(2026, 5, 6, 0, 5)}));
  EXPECT_EQ(Runs("0 */6 * * *", TimeZone::Utc(), Utc(2026, 5, 5, 0, 0), 4),
            (std::vector<int64_t>{Utc(2026, 5, 5, 6, 0), Utc(2026, 5, 5, 12, 0),
                                  Utc(2026, 5, 5, 18, 0), Utc(2026, 5, 6, 0, 0)}));
  EXPECT_EQ(
      Runs("0 0 1 */3 *", TimeZone::Utc(), Utc(2026, 1, 15, 0, 0), 3),
      (std::vector<int64_t>{Utc(2026, 4, 1, 0, 0), Utc(2026, 7, 1, 0, 0), Utc(2026, 10, 1, 0, 0)}));
}

TEST(CronSchedule, ListsRangesAndNames) {
  // Weekdays at 09:00 and 17:30 in January to March; 2026-03-27 is a Friday.
  EXPECT_EQ(Runs("0,30 9,17 * JAN-mar Mon-FRI", TimeZone::Utc(), Utc(2026, 3, 27, 17, 0), 3),
            (std::vector<int64_t>{Utc(2026, 3, 27, 17, 30), Utc(2026, 3, 30, 9, 0),
                                  Utc(2026, 3, 30, 9, 30)}));
  // After March 31 the next run is in January.
  EXPECT_EQ(Runs("0 9 * jan-mar mon-fri", TimeZone::Utc(), Utc(2026, 3, 31, 10, 0), 1),
            std::vector<int64_t>{Utc(2027, 1, 1, 9, 0)});
}

TEST(CronSchedule, SundayIsZeroAndSeven) {
  // 2026-11-29 is a Sunday.
  for (const char* text : {"0 1 * * 0", "0 1 * * 7", "0 1 * * sun", "@weekly"}) {
    const int hour = std::string_view(text) == "@weekly" ? 0 : 1;
    EXPECT_EQ(Runs(text, TimeZone::Utc(), Utc(2026, 11, 23, 0, 0), 1),
              std::vector<int64_t>{Utc(2026, 11, 29, hour, 0)})
        << text;
  }
  EXPECT_EQ(Runs("0 1 * * 5-7", TimeZone::Utc(), Utc(2026, 11, 23, 0, 0), 3),
            (std::vector<int64_t>{Utc(2026, 11, 27, 1, 0), Utc(2026, 11, 28, 1, 0),
                                  Utc(2026, 11, 29, 1, 0)}));
}

TEST(CronSchedule, Shorthands) {
  const int64_t from = Utc(2026, 11, 23, 10, 30);
  EXPECT_EQ(Runs("@hourly", TimeZone::Utc(), from, 1),
            std::vector<int64_t>{Utc(2026, 11, 23, 11, 0)});
  EXPECT_EQ(Runs("@daily", TimeZone::Utc(), from, 1),
            std::vector<int64_t>{Utc(2026, 11, 24, 0, 0)});
  EXPECT_EQ(Runs("@midnight", TimeZone::Utc(), from, 1),
            std::vector<int64_t>{Utc(2026, 11, 24, 0, 0)});
  EXPECT_EQ(Runs("@monthly", TimeZone::Utc(), from, 1),
            std::vector<int64_t>{Utc(2026, 12, 1, 0, 0)});
  EXPECT_EQ(Runs("@yearly", TimeZone::Utc(), from, 1), std::vector<int64_t>{Utc(2027, 1, 1, 0, 0)});
  EXPECT_EQ(Runs("@annually", TimeZone::Utc(), from, 1),
            std::vector<int64_t>{Utc(2027, 1, 1, 0, 0)});
}

TEST(CronSchedule, The31stSkipsShortMonths) {
  EXPECT_EQ(Runs("0 0 31 * *", TimeZone::Utc(), Utc(2026, 3, 31, 0, 0), 3),
            (std::vector<int64_t>{Utc(2026, 5, 31, 0, 0), Utc(2026, 7, 31, 0, 0),
                                  Utc(2026, 8, 31, 0, 0)}));
  EXPECT_EQ(Runs("0 0 30 * *", TimeZone::Utc(), Utc(2026, 1, 30, 0, 0), 1),
            std::vector<int64_t>{Utc(2026, 3, 30, 0, 0)});
}

TEST(CronSchedule, February29thWaitsForALeapYear) {
  EXPECT_EQ(Runs("0 12 29 2 *", TimeZone::Utc(), Utc(2026, 3, 1, 0, 0), 2),
            (std::vector<int64_t>{Utc(2028, 2, 29, 12, 0), Utc(2032, 2, 29, 12, 0)}));
  // 2100 is not a leap year.
  EXPECT_EQ(Runs("0 12 29 2 *", TimeZone::Utc(), Utc(2097, 1, 1, 0, 0), 1),
            std::vector<int64_t>{Utc(2104, 2, 29, 12, 0)});
}

TEST(CronSchedule, DayOfMonthOrDayOfWeekWhenBothAreRestricted) {
  // The 13th or any Friday. 2026-04-10 is a Friday, 2026-04-13 a Monday.
  EXPECT_EQ(Runs("0 0 13 * 5", TimeZone::Utc(), Utc(2026, 4, 10, 0, 0), 3),
            (std::vector<int64_t>{Utc(2026, 4, 13, 0, 0), Utc(2026, 4, 17, 0, 0),
                                  Utc(2026, 4, 24, 0, 0)}));
  // Only the day-of-month restricted: the 13th alone.
  EXPECT_EQ(Runs("0 0 13 * *", TimeZone::Utc(), Utc(2026, 4, 10, 0, 0), 2),
            (std::vector<int64_t>{Utc(2026, 4, 13, 0, 0), Utc(2026, 5, 13, 0, 0)}));
  // A field starting with '*' counts as unrestricted, so both must match: odd days that are
  // Mondays (2026-04-13 and 2026-04-27 are Mondays, 2026-04-20 is even).
  EXPECT_EQ(Runs("0 0 */2 * 1", TimeZone::Utc(), Utc(2026, 4, 10, 0, 0), 2),
            (std::vector<int64_t>{Utc(2026, 4, 13, 0, 0), Utc(2026, 4, 27, 0, 0)}));
}

TEST(CronSchedule, FixedHourInASpringForwardGapRunsWhenTheGapEnds) {
  const TimeZone berlin = Zone("Europe/Berlin");
  // 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
  EXPECT_EQ(Runs("30 2 * * *", berlin, Utc(2026, 3, 28, 12, 0), 3),
            (std::vector<int64_t>{Utc(2026, 3, 29, 1, 0), Utc(2026, 3, 30, 0, 30),
                                  Utc(2026, 3, 31, 0, 30)}));
  // A job at 03:00 and one in the gap coincide and run once.
  EXPECT_EQ(Runs("0 2,3 * * *", berlin, Utc(2026, 3, 28, 12, 0), 2),
            (std::vector<int64_t>{Utc(2026, 3, 29, 1, 0), Utc(2026, 3, 30, 0, 0)}));
  const TimeZone new_york = Zone("America/New_York");
  EXPECT_EQ(Runs("0 2 * * *", new_york, Utc(2026, 3, 7, 12, 0), 3),
            (std::vector<int64_t>{Utc(2026, 3, 8, 6, 0) + 3600, Utc(2026, 3, 9, 6, 0),
                                  Utc(2026, 3, 10, 6, 0)}));
}

TEST(CronSchedule, FixedHourInAFallBackFoldRunsOnce) {
  const TimeZone berlin = Zone("Europe/Berlin");
  // 2026-10-25: 03:00 CEST goes back to 02:00 CET (01:00 UTC); 02:30 happens twice.
  EXPECT_EQ(Runs("30 2 * * *", berlin, Utc(2026, 10, 24, 12, 0), 2),
            (std::vector<int64_t>{Utc(2026, 10, 25, 0, 30), Utc(2026, 10, 26, 1, 30)}));
  const TimeZone new_york = Zone("America/New_York");
  // 2026-11-01: 02:00 EDT goes back to 01:00 EST (06:00 UTC).
  EXPECT_EQ(Runs("30 1 * * *", new_york, Utc(2026, 10, 31, 12, 0), 2),
            (std::vector<int64_t>{Utc(2026, 11, 1, 5, 30), Utc(2026, 11, 2, 6, 30)}));
}

TEST(CronSchedule, MinutesOfAFixedHourInAGapRunOnceAndInAFoldOnlyTheFirstTime) {
  const TimeZone berlin = Zone("Europe/Berlin");
  // All of 02:00-02:45 fall into the gap: one run when it ends, then the next night.
  EXPECT_EQ(Runs("*/15 2 * * *", berlin, Utc(2026, 3, 28, 12, 0), 2),
            (std::vector<int64_t>{Utc(2026, 3, 29, 1, 0), Utc(2026, 3, 30, 0, 0)}));
  // The first 02:xx hour runs, the repeated one does not.
  EXPECT_EQ(Runs("*/15 2 * * *", berlin, Utc(2026, 10, 24, 12, 0), 5),
            (std::vector<int64_t>{Utc(2026, 10, 25, 0, 0), Utc(2026, 10, 25, 0, 15),
                                  Utc(2026, 10, 25, 0, 30), Utc(2026, 10, 25, 0, 45),
                                  Utc(2026, 10, 26, 1, 0)}));
}

TEST(CronSchedule, WildcardHourFollowsRealTimeAcrossDstChanges) {
  const TimeZone berlin = Zone("Europe/Berlin");
  // Spring: 02:30 does not exist and is not made up.
  EXPECT_EQ(Runs("30 * * * *", berlin, Utc(2026, 3, 29, 0, 0), 2),
            (std::vector<int64_t>{Utc(2026, 3, 29, 0, 30), Utc(2026, 3, 29, 1, 30)}));
  // Autumn: every half hour of real time, through both 02:xx hours.
  EXPECT_EQ(Runs("*/30 * * * *", berlin, Utc(2026, 10, 24, 23, 45), 5),
            (std::vector<int64_t>{Utc(2026, 10, 25, 0, 0), Utc(2026, 10, 25, 0, 30),
                                  Utc(2026, 10, 25, 1, 0), Utc(2026, 10, 25, 1, 30),
                                  Utc(2026, 10, 25, 2, 0)}));
}

TEST(CronSchedule, RunsInTheJobsZone) {
  // 02:00 in Berlin is 01:00 UTC in winter and 00:00 UTC in summer.
  EXPECT_EQ(Runs("0 2 * * *", Zone("Europe/Berlin"), Utc(2026, 1, 10, 12, 0), 1),
            std::vector<int64_t>{Utc(2026, 1, 11, 1, 0)});
  EXPECT_EQ(Runs("0 2 * * *", Zone("Europe/Berlin"), Utc(2026, 7, 10, 12, 0), 1),
            std::vector<int64_t>{Utc(2026, 7, 11, 0, 0)});
  // Midnight in New York on the 1st is the 1st at 05:00 UTC in winter.
  EXPECT_EQ(Runs("0 0 1 * *", Zone("America/New_York"), Utc(2026, 11, 23, 0, 0), 1),
            std::vector<int64_t>{Utc(2026, 12, 1, 5, 0)});
}

TEST(CronSchedule, Matches) {
  const CronSchedule schedule = MustParse("15 3 * * mon");
  EXPECT_TRUE(
      schedule.Matches(CivilTime{.year = 2026, .month = 11, .day = 23, .hour = 3, .minute = 15}));
  EXPECT_FALSE(
      schedule.Matches(CivilTime{.year = 2026, .month = 11, .day = 24, .hour = 3, .minute = 15}));
  EXPECT_FALSE(
      schedule.Matches(CivilTime{.year = 2026, .month = 11, .day = 23, .hour = 3, .minute = 16}));
}

TEST(CronSchedule, RejectsBadExpressionsNamingTheField) {
  EXPECT_EQ(ParseError("0 2 * *"),
            "cron expression \"0 2 * *\" has 4 fields; expected 5: minute hour day-of-month month "
            "day-of-week");
  EXPECT_EQ(ParseError("0 2 * * * *"),
            "cron expression \"0 2 * * * *\" has 6 fields; expected 5: minute hour day-of-month "
            "month day-of-week");
  EXPECT_EQ(ParseError(""),
            "cron expression \"\" has 0 fields; expected 5: minute hour day-of-month month "
            "day-of-week");
  EXPECT_EQ(ParseError("61 * * * *"),
            "minute field \"61\" of cron expression \"61 * * * *\": 61 is out of range 0-59");
  EXPECT_EQ(ParseError("0 24 * * *"),
            "hour field \"24\" of cron expression \"0 24 * * *\": 24 is out of range 0-23");
  EXPECT_EQ(ParseError("0 0 0 * *"),
            "day-of-month field \"0\" of cron expression \"0 0 0 * *\": 0 is out of range 1-31");
  EXPECT_EQ(ParseError("0 0 * 13 *"),
            "month field \"13\" of cron expression \"0 0 * 13 *\": 13 is out of range 1-12");
  EXPECT_EQ(ParseError("0 0 * * 8"),
            "day-of-week field \"8\" of cron expression \"0 0 * * 8\": 8 is out of range 0-7");
  EXPECT_EQ(ParseError("0 0 * jam *"),
            "month field \"jam\" of cron expression \"0 0 * jam *\": \"jam\" is neither a number "
            "1-12 nor a month name (jan-dec)");
  EXPECT_EQ(ParseError("0 0 * * fri-mon"),
            "day-of-week field \"fri-mon\" of cron expression \"0 0 * * fri-mon\": range fri-mon "
            "goes backwards");
  EXPECT_EQ(ParseError("*/0 * * * *"),
            "minute field \"*/0\" of cron expression \"*/0 * * * *\": a step of 0 never advances");
  EXPECT_EQ(ParseError("*/x * * * *"),
            "minute field \"*/x\" of cron expression \"*/x * * * *\": step \"x\" is not a "
            "positive number");
  EXPECT_EQ(ParseError("1,,2 * * * *"),
            "minute field \"1,,2\" of cron expression \"1,,2 * * * *\": a list has an empty item");
  EXPECT_EQ(ParseError("0 x * * *"),
            "hour field \"x\" of cron expression \"0 x * * *\": \"x\" is not a number 0-23");
  EXPECT_EQ(ParseError("0 0 30 2 *"),
            "cron expression \"0 0 30 2 *\" never runs: none of its months has any of its days");
  EXPECT_EQ(ParseError("@fortnightly"), "unknown cron shorthand \"@fortnightly\"");
  // Feb 30 or a Monday: the weekday makes it possible.
  EXPECT_EQ(ParseError("0 0 30 2 mon"), "parsed");
  EXPECT_EQ(ParseError("0 0 29 2 *"), "parsed");
}

}  // namespace
}  // namespace lifeboat::plan
