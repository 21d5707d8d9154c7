#include "lifeboat/ops/retention.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "lifeboat/util/clock.h"
#include "lifeboat/util/testing/scoped_time_zone.h"

namespace lifeboat::ops {
namespace {

using lifeboat::testing::ScopedTimeZone;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

// Every expected result below is written out by hand (with the reasoning beside it), never
// computed by the code under test. Times are given and compared in UTC, "YYYY-MM-DD HH:MM";
// each test pins the zone its buckets are counted in.

// Far in the future, so no snapshot is "in the future" unless a test says so.
constexpr int64_t kNow = 4'000'000'000LL * 1'000'000'000LL;

int64_t Utc(const std::string& text) {
  int64_t nanos = 0;
  const std::string rfc3339 = text.substr(0, 10) + "T" + text.substr(11) + ":00Z";
  EXPECT_TRUE(ParseTimeRfc3339(rfc3339, &nanos)) << text;
  return nanos;
}

std::string UtcText(int64_t nanos) {
  const std::string rfc3339 = FormatTimeRfc3339(nanos);
  return rfc3339.substr(0, 10) + " " + rfc3339.substr(11, 5);
}

struct SnapshotSpec {
  std::string time;  // UTC
  std::string host = "db1";
  std::vector<std::string> paths = {"/srv"};
  std::vector<std::string> tags = {};
  std::string source = "files";
};

std::vector<std::pair<Id, repo::Snapshot>> Snapshots(const std::vector<SnapshotSpec>& specs) {
  std::vector<std::pair<Id, repo::Snapshot>> snapshots;
  for (size_t i = 0; i < specs.size(); ++i) {
    Id id;
    id.bytes[0] = static_cast<uint8_t>(i >> 8);
    id.bytes[1] = static_cast<uint8_t>(i);
    repo::Snapshot snapshot;
    snapshot.time_ns = Utc(specs[i].time);
    snapshot.hostname = specs[i].host;
    snapshot.paths = specs[i].paths;
    snapshot.tags = specs[i].tags;
    snapshot.source = specs[i].source;
    snapshots.emplace_back(id, snapshot);
  }
  return snapshots;
}

std::vector<std::pair<Id, repo::Snapshot>> At(const std::vector<std::string>& times) {
  std::vector<SnapshotSpec> specs;
  for (const std::string& time : times) specs.push_back({.time = time});
  return Snapshots(specs);
}

// One snapshot a day at `time_of_day` UTC from `first` to `last` (both "YYYY-MM-DD").
std::vector<std::pair<Id, repo::Snapshot>> Daily(const std::string& first, const std::string& last,
                                                 const std::string& time_of_day) {
  std::vector<std::string> times;
  const int64_t day_ns = int64_t{86400} * 1'000'000'000;
  for (int64_t t = Utc(first + " " + time_of_day); t <= Utc(last + " " + time_of_day);
       t += day_ns) {
    times.push_back(UtcText(t));
  }
  return At(times);
}

std::vector<std::string> Times(const std::vector<RetentionEntry>& entries) {
  std::vector<std::string> times;
  for (const RetentionEntry& entry : entries) times.push_back(UtcText(entry.snapshot.time_ns));
  return times;
}

// "time: reason, reason" for each kept snapshot, oldest first.
std::vector<std::string> KeptWithReasons(const RetentionGroup& group) {
  std::vector<std::string> lines;
  for (const RetentionEntry& entry : group.keep) {
    std::string line = UtcText(entry.snapshot.time_ns) + ":";
    for (size_t i = 0; i < entry.reasons.size(); ++i) {
      line += (i == 0 ? " " : ", ") + entry.reasons[i];
    }
    lines.push_back(line);
  }
  return lines;
}

RetentionGroup ApplyOne(std::vector<std::pair<Id, repo::Snapshot>> snapshots,
                        const RetentionPolicy& policy, int64_t now_ns = kNow) {
  std::vector<RetentionGroup> groups =
      ApplyRetention(std::move(snapshots), policy, GroupBy{}, now_ns);
  EXPECT_EQ(groups.size(), 1u);
  return groups.empty() ? RetentionGroup{} : groups.front();
}

// --- durations and group-by ---

TEST(KeepDuration, ParsesEveryUnitAndPrintsCanonically) {
  struct Case {
    const char* text;
    KeepDuration want;
    const char* canonical;
  };
  const Case cases[] = {
      {"90d", {.days = 90}, "90d"},
      {"36h", {.hours = 36}, "36h"},
      {"2y5m", {.years = 2, .months = 5}, "2y5m"},
      {"2y5m7d3h", {.years = 2, .months = 5, .days = 7, .hours = 3}, "2y5m7d3h"},
      {"3h1y", {.years = 1, .hours = 3}, "1y3h"},
      {"0y1d", {.days = 1}, "1d"},
  };
  for (const Case& c : cases) {
    Result<KeepDuration> parsed = ParseKeepDuration(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.status().ToString();
    EXPECT_EQ(parsed->years, c.want.years) << c.text;
    EXPECT_EQ(parsed->months, c.want.months) << c.text;
    EXPECT_EQ(parsed->days, c.want.days) << c.text;
    EXPECT_EQ(parsed->hours, c.want.hours) << c.text;
    EXPECT_EQ(parsed->ToString(), c.canonical);
  }
}

TEST(KeepDuration, RejectsMalformedTextWithExactMessages) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "invalid duration \"\": expected numbers with units y, m, d or h, e.g. 2y5m7d3h"},
      {"90", "invalid duration \"90\": expected numbers with units y, m, d or h, e.g. 2y5m7d3h"},
      {"d", "invalid duration \"d\": expected numbers with units y, m, d or h, e.g. 2y5m7d3h"},
      {"-1d", "invalid duration \"-1d\": expected numbers with units y, m, d or h, e.g. 2y5m7d3h"},
      {"2w", "invalid duration \"2w\": unknown unit \"w\"; use y, m, d or h (a week is 7d)"},
      {"1d2d", "invalid duration \"1d2d\": the unit \"d\" appears twice"},
      {"0d", "invalid duration \"0d\": it must be longer than zero"},
      {"100001d", "invalid duration \"100001d\": a number is larger than 100000"},
  };
  for (const auto& [text, message] : cases) {
    Result<KeepDuration> parsed = ParseKeepDuration(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(parsed.status().message(), message);
  }
}

TEST(GroupBy, ParsesFieldListsAndRejectsUnknownFields) {
  Result<GroupBy> all = ParseGroupBy("tags,source,paths,host");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->host && all->paths && all->source && all->tags);
  Result<GroupBy> none = ParseGroupBy("");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->host || none->paths || none->source || none->tags);
  Result<GroupBy> bad = ParseGroupBy("host,user");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "invalid --group-by \"host,user\": unknown field \"user\"");
}

TEST(RetentionPolicy, EmptyOnlyWithoutAnyRule) {
  EXPECT_TRUE(RetentionPolicy{}.Empty());
  EXPECT_FALSE(RetentionPolicy{.last = 1}.Empty());
  EXPECT_FALSE(RetentionPolicy{.daily = kUnlimited}.Empty());
  EXPECT_FALSE(RetentionPolicy{.within = {.hours = 1}}.Empty());
  EXPECT_FALSE(RetentionPolicy{.within_weekly = {.days = 7}}.Empty());
  RetentionPolicy tags_only{.keep_tags = {{"release"}}};
  EXPECT_FALSE(tags_only.Empty());
  EXPECT_TRUE(tags_only.OnlyTags());
  EXPECT_FALSE(RetentionPolicy{.last = 1}.OnlyTags());
}

TEST(RetentionPolicy, DescribesItself) {
  EXPECT_EQ((RetentionPolicy{.daily = 30, .weekly = 12, .monthly = 12, .yearly = 7}.Describe()),
            "keep 30 daily, 12 weekly, 12 monthly, 7 yearly snapshots");
  EXPECT_EQ((RetentionPolicy{.last = kUnlimited,
                             .within = {.days = 90},
                             .within_daily = {.months = 1},
                             .keep_tags = {{"a", "b"}, {}}}
                 .Describe()),
            "keep all snapshots, daily snapshots within 1m, snapshots tagged a,b, untagged "
            "snapshots, all snapshots within 90d of the newest");
  EXPECT_EQ((RetentionPolicy{.last = 1, .daily = kUnlimited}.Describe()),
            "keep the last snapshot, all daily snapshots");
  EXPECT_EQ((RetentionPolicy{.last = 2, .hourly = 24}.Describe()),
            "keep the last 2 snapshots, 24 hourly snapshots");
}

// --- counted rules ---

TEST(Retention, KeepLastKeepsTheNewestAndNamesTheRest) {
  ScopedTimeZone zone("UTC");
  // Given out of order: the policy must sort them itself.
  RetentionGroup group = ApplyOne(At({"2024-05-03 10:00", "2024-05-01 10:00", "2024-05-05 10:00",
                                      "2024-05-02 10:00", "2024-05-04 10:00"}),
                                  RetentionPolicy{.last = 2});
  EXPECT_THAT(KeptWithReasons(group),
              ElementsAre("2024-05-04 10:00: last 2", "2024-05-05 10:00: last 1"));
  EXPECT_THAT(Times(group.remove),
              ElementsAre("2024-05-01 10:00", "2024-05-02 10:00", "2024-05-03 10:00"));
  for (const RetentionEntry& entry : group.remove) {
    EXPECT_THAT(entry.reasons, ElementsAre("no rule kept it"));
  }
}

// The test: grandfather-father-son (daily 30, weekly 12, monthly 12, yearly 7) over
// eight years of one snapshot a day, 2017-01-01 .. 2024-12-31 at 12:00 UTC (2922 snapshots,
// two leap days). Each rule walks back from the newest snapshot (Tuesday 2024-12-31) and keeps
// the newest snapshot of each bucket until its count is spent; a snapshot kept by several
// rules is kept once, but each of those rules spends a count on it:
//   daily 30:   2024-12-02 .. 2024-12-31                                          30 new
//   weekly 12:  the newest of each ISO week: 12-31 (2025-W01: Dec 30 and 31 belong to the week
//               of 2025's first Thursday), the Sundays 12-29, 22, 15, 08 (already daily), then
//               12-01, 11-24, 11-17, 11-10, 11-03, 10-27, 10-20                     7 new
//   monthly 12: the last day of each month Jan..Dec 2024 (Feb 29); 12-31 already   11 new
//   yearly 7:   12-31 of 2024 (already kept) and of 2023 .. 2018                    6 new
// 30 + 7 + 11 + 6 = 54. The yearly rule is spent at 2018, so nothing of 2017 is kept, not
// even the oldest snapshot.
TEST(Retention, GrandfatherFatherSonOverEightYearsKeepsExactly54) {
  ScopedTimeZone zone("Europe/Berlin");  // 12:00 UTC is 13:00 or 14:00: same day
  RetentionGroup group =
      ApplyOne(Daily("2017-01-01", "2024-12-31", "12:00"),
               RetentionPolicy{.daily = 30, .weekly = 12, .monthly = 12, .yearly = 7});
  std::vector<std::string> expected = {
      "2018-12-31 12:00: yearly 7",
      "2019-12-31 12:00: yearly 6",
      "2020-12-31 12:00: yearly 5",
      "2021-12-31 12:00: yearly 4",
      "2022-12-31 12:00: yearly 3",
      "2023-12-31 12:00: yearly 2",
      "2024-01-31 12:00: monthly 12",
      "2024-02-29 12:00: monthly 11",
      "2024-03-31 12:00: monthly 10",
      "2024-04-30 12:00: monthly 9",
      "2024-05-31 12:00: monthly 8",
      "2024-06-30 12:00: monthly 7",
      "2024-07-31 12:00: monthly 6",
      "2024-08-31 12:00: monthly 5",
      "2024-09-30 12:00: monthly 4",
      "2024-10-20 12:00: weekly 12",
      "2024-10-27 12:00: weekly 11",
      "2024-10-31 12:00: monthly 3",
      "2024-11-03 12:00: weekly 10",
      "2024-11-10 12:00: weekly 9",
      "2024-11-17 12:00: weekly 8",
      "2024-11-24 12:00: weekly 7",
      "2024-11-30 12:00: monthly 2",
      "2024-12-01 12:00: weekly 6",
      "2024-12-02 12:00: daily 30",
      "2024-12-03 12:00: daily 29",
      "2024-12-04 12:00: daily 28",
      "2024-12-05 12:00: daily 27",
      "2024-12-06 12:00: daily 26",
      "2024-12-07 12:00: daily 25",
      "2024-12-08 12:00: daily 24, weekly 5",
      "2024-12-09 12:00: daily 23",
      "2024-12-10 12:00: daily 22",
      "2024-12-11 12:00: daily 21",
      "2024-12-12 12:00: daily 20",
      "2024-12-13 12:00: daily 19",
      "2024-12-14 12:00: daily 18",
      "2024-12-15 12:00: daily 17, weekly 4",
      "2024-12-16 12:00: daily 16",
      "2024-12-17 12:00: daily 15",
      "2024-12-18 12:00: daily 14",
      "2024-12-19 12:00: daily 13",
      "2024-12-20 12:00: daily 12",
      "2024-12-21 12:00: daily 11",
      "2024-12-22 12:00: daily 10, weekly 3",
      "2024-12-23 12:00: daily 9",
      "2024-12-24 12:00: daily 8",
      "2024-12-25 12:00: daily 7",
      "2024-12-26 12:00: daily 6",
      "2024-12-27 12:00: daily 5",
      "2024-12-28 12:00: daily 4",
      "2024-12-29 12:00: daily 3, weekly 2",
      "2024-12-30 12:00: daily 2",
      "2024-12-31 12:00: daily 1, weekly 1, monthly 1, yearly 1",
  };
  ASSERT_EQ(expected.size(), 54u);
  EXPECT_THAT(KeptWithReasons(group), ElementsAreArray(expected));
  EXPECT_EQ(group.remove.size(), 2922u - 54u);
}

// With only three years the yearly rule has 4 counts left at the oldest snapshot, so that one
// is kept as well: 30 + 7 + 11 + 2 (2023-12-31, 2022-12-31) + 1 (2022-01-01) = 51.
TEST(Retention, RuleWithCountsLeftKeepsTheOldestSnapshot) {
  ScopedTimeZone zone("UTC");
  RetentionGroup group =
      ApplyOne(Daily("2022-01-01", "2024-12-31", "12:00"),
               RetentionPolicy{.daily = 30, .weekly = 12, .monthly = 12, .yearly = 7});
  ASSERT_EQ(group.keep.size(), 51u);
  std::vector<std::string> kept = KeptWithReasons(group);
  EXPECT_EQ(kept[0], "2022-01-01 12:00: oldest yearly");
  EXPECT_EQ(kept[1], "2022-12-31 12:00: yearly 3");
  EXPECT_EQ(kept[2], "2023-12-31 12:00: yearly 2");
  EXPECT_EQ(kept[3], "2024-01-31 12:00: monthly 12");
}

// An unlimited rule never runs out, so (as in restic) it also keeps the group's oldest snapshot.
TEST(Retention, UnlimitedKeepsTheNewestOfEveryBucketAndTheOldest) {
  ScopedTimeZone zone("UTC");
  RetentionGroup group = ApplyOne(At({"2024-01-01 08:00", "2024-01-01 20:00", "2024-01-02 08:00",
                                      "2024-01-03 08:00", "2024-01-03 09:00"}),
                                  RetentionPolicy{.daily = kUnlimited});
  EXPECT_THAT(KeptWithReasons(group),
              ElementsAre("2024-01-01 08:00: oldest daily", "2024-01-01 20:00: daily 3",
                          "2024-01-02 08:00: daily 2", "2024-01-03 09:00: daily 1"));
  EXPECT_THAT(Times(group.remove), ElementsAre("2024-01-03 08:00"));
}

// Buckets count only days that have snapshots: a gap does not use up the count.
TEST(Retention, BucketsWithoutSnapshotsDoNotCount) {
  ScopedTimeZone zone("UTC");
  RetentionGroup group =
      ApplyOne(At({"2024-01-01 08:00", "2024-01-10 08:00", "2024-01-20 08:00", "2024-01-20 09:00"}),
               RetentionPolicy{.daily = 2});
  EXPECT_THAT(KeptWithReasons(group),
              ElementsAre("2024-01-10 08:00: daily 2", "2024-01-20 09:00: daily 1"));
}

// --- time zones, daylight saving, leap days ---

// Berlin, autumn 2024: clocks go back at 01:00 UTC on Sunday October 27. A snapshot every day
// at 22:30 UTC is at 00:30 CEST of the next day until then and at 23:30 CET of the same day
// after, so Berlin's October 26 has none and October 27 has two:
//   UTC Oct 24 22:30 -> Oct 25 00:30    UTC Oct 27 22:30 -> Oct 27 23:30
//   UTC Oct 25 22:30 -> Oct 26 00:30    UTC Oct 28 22:30 -> Oct 28 23:30
//   UTC Oct 26 22:30 -> Oct 27 00:30    UTC Oct 29 22:30 -> Oct 29 23:30
// daily 4 keeps Berlin's Oct 29, 28, 27 (the later one) and 26 (= UTC Oct 25); counting UTC
// days instead would have kept UTC Oct 26 and dropped Oct 25.
TEST(Retention, DailyBucketsFollowTheLocalDayAcrossTheAutumnChangeInBerlin) {
  ScopedTimeZone zone("Europe/Berlin");
  RetentionGroup group =
      ApplyOne(Daily("2024-10-24", "2024-10-29", "22:30"), RetentionPolicy{.daily = 4});
  EXPECT_THAT(KeptWithReasons(group),
              ElementsAre("2024-10-25 22:30: daily 4", "2024-10-27 22:30: daily 3",
                          "2024-10-28 22:30: daily 2", "2024-10-29 22:30: daily 1"));
  EXPECT_THAT(Times(group.remove), ElementsAre("2024-10-24 22:30", "2024-10-26 22:30"));
}

// Berlin, spring 2024: 02:00-03:00 local on March 31 does not exist. Every 30 minutes from
// 00:00 UTC: 01:00, 01:30 CET, then 03:00, 03:30, 04:00 CEST — local hours 1, 3 and 4.
TEST(Retention, HourlyBucketsSkipTheMissingHourInBerlin) {
  ScopedTimeZone zone("Europe/Berlin");
  RetentionGroup group = ApplyOne(At({"2024-03-31 00:00", "2024-03-31 00:30", "2024-03-31 01:00",
                                      "2024-03-31 01:30", "2024-03-31 02:00"}),
                                  RetentionPolicy{.hourly = 3});
  EXPECT_THAT(KeptWithReasons(group),
              ElementsAre("2024-03-31 00:30: hourly 3", "2024-03-31 01:30: hourly 2",
                          "2024-03-31 02:00: hourly 1"));
}

// New York, autumn 2024: 01:00-02:00 local happens twice on November 3 (EDT, then EST).
// Every 30 minutes from 04:00 UTC: 00:00, 00:30, 01:00, 01:30 EDT, 01:00, 01:30 EST, 02:00,
// 02:30 EST. The local hour 1 is one bucket holding four snapshots; hourly 3 keeps the newest
// of local hours 2, 1 and 0. UTC hours would have kept 05:30 instead of 04:30.
TEST(Retention, HourlyBucketsMergeTheRepeatedHourInNewYork) {
  ScopedTimeZone zone("America/New_York");
  RetentionGroup group =
      ApplyOne(At({"2024-11-03 04:00", "2024-11-03 04:30", "2024-11-03 05:00", "2024-11-03 05:30",
                   "2024-11-03 06:00", "2024-11-03 06:30", "2024-11-03 07:00", "2024-11-03 07:30"}),
               RetentionPolicy{.hourly = 3});
  EXPECT_THAT(KeptWithReasons(group),
              ElementsAre("2024-11-03 04:30: hourly 3", "2024-11-03 06:30: hourly 2",
                          "2024-11-03 07:30: hourly 1"));
}

// New York, March 2024 (EDT from March 10): 03:30 UTC on a Monday is 23:30 on Sunday in New
// York, still the previous ISO week.
//   UTC Mon Mar 04 03:30 -> Sun Mar 03 22:30 EST  (week 9)
//   UTC Mon Mar 11 03:30 -> Sun Mar 10 23:30 EDT  (week 10)
//   UTC Tue Mar 12 03:30 -> Mon Mar 11 23:30 EDT  (week 11)
// weekly 2 keeps weeks 11 and 10; UTC weeks would have put Mar 11 and 12 both in week 11.
TEST(Retention, WeeklyBucketsAreLocalIsoWeeks) {
  ScopedTimeZone zone("America/New_York");
  RetentionGroup group = ApplyOne(At({"2024-03-04 03:30", "2024-03-11 03:30", "2024-03-12 03:30"}),
                                  RetentionPolicy{.weekly = 2});
  EXPECT_THAT(KeptWithReasons(group),
              ElementsAre("2024-03-11 03:30: weekly 2", "2024-03-12 03:30: weekly 1"));
}

TEST(Retention, MonthlyBucketsEndOnLeapDays) {
  ScopedTimeZone zone("UTC");
  RetentionGroup group =
      ApplyOne(Daily("2024-01-15", "2024-03-15", "12:00"), RetentionPolicy{.monthly = 2});
  EXPECT_THAT(KeptWithReasons(group),
              ElementsAre("2024-02-29 12:00: monthly 2", "2024-03-15 12:00: monthly 1"));
}

// One year before 2024-02-29 12:00 is "2023-02-29", which the calendar carries over to
// 2023-03-01 12:00; "within" means strictly newer than that.
TEST(Retention, WithinAYearOfALeapDay) {
  ScopedTimeZone zone("UTC");
  RetentionGroup group =
      ApplyOne(At({"2023-02-28 12:00", "2023-03-01 12:00", "2023-03-01 12:01", "2024-02-29 12:00"}),
               RetentionPolicy{.within = {.years = 1}});
  EXPECT_THAT(KeptWithReasons(group),
              ElementsAre("2023-03-01 12:01: within 1y", "2024-02-29 12:00: within 1y"));
  EXPECT_THAT(Times(group.remove), ElementsAre("2023-02-28 12:00", "2023-03-01 12:00"));
}

// One month before 2024-03-31 10:00 is "February 31", which carries over to March 2 10:00.
// In Berlin (CEST since March 31) that is 08:00 UTC on the 31st and 09:00 UTC on the 2nd.
TEST(Retention, WithinAMonthCarriesOverShortMonthsInLocalTime) {
  ScopedTimeZone zone("Europe/Berlin");
  RetentionGroup group =
      ApplyOne(At({"2024-02-29 09:00", "2024-03-02 09:00", "2024-03-02 09:01", "2024-03-31 08:00"}),
               RetentionPolicy{.within = {.months = 1}});
  EXPECT_THAT(Times(group.keep), ElementsAre("2024-03-02 09:01", "2024-03-31 08:00"));
}

// Hours are elapsed time, taken after the calendar part: 36h before 2024-03-31 12:00 UTC.
TEST(Retention, WithinHoursCountsElapsedTime) {
  ScopedTimeZone zone("Europe/Berlin");
  RetentionGroup group = ApplyOne(At({"2024-03-29 23:59", "2024-03-30 00:01", "2024-03-31 12:00"}),
                                  RetentionPolicy{.within = {.hours = 36}});
  EXPECT_THAT(Times(group.keep), ElementsAre("2024-03-30 00:01", "2024-03-31 12:00"));
}

// The anchor of --keep-within is the newest snapshot that is not in the future; a snapshot
// from the future is still kept by it (it is newer than the cutoff).
TEST(Retention, WithinIgnoresSnapshotsFromTheFutureAsAnchor) {
  ScopedTimeZone zone("UTC");
  RetentionGroup group =
      ApplyOne(At({"2024-01-01 00:00", "2024-01-05 00:00", "2024-01-09 00:00", "2030-01-01 00:00"}),
               RetentionPolicy{.within = {.days = 5}}, Utc("2024-01-10 00:00"));
  EXPECT_THAT(Times(group.keep),
              ElementsAre("2024-01-05 00:00", "2024-01-09 00:00", "2030-01-01 00:00"));
}

// Within-bucket rules keep the newest of each bucket, but only inside the duration: the group's
// oldest snapshot is outside it, so it is not kept as "oldest" either.
TEST(Retention, WithinDailyKeepsOnePerDayInsideTheDuration) {
  ScopedTimeZone zone("UTC");
  RetentionGroup group =
      ApplyOne(At({"2024-01-01 10:00", "2024-01-07 10:00", "2024-01-08 10:00", "2024-01-08 22:00",
                   "2024-01-09 10:00", "2024-01-10 09:00", "2024-01-10 10:00"}),
               RetentionPolicy{.within_daily = {.days = 3}});
  // Cutoff 2024-01-07 10:00 (exclusive).
  EXPECT_THAT(KeptWithReasons(group),
              ElementsAre("2024-01-08 22:00: daily within 3d", "2024-01-09 10:00: daily within 3d",
                          "2024-01-10 10:00: daily within 3d"));
}

// --- tags, combinations, groups ---

TEST(Retention, KeepTagKeepsEverySnapshotWithAllTagsOfASet) {
  ScopedTimeZone zone("UTC");
  RetentionGroup group =
      ApplyOne(Snapshots({{.time = "2024-01-01 00:00", .tags = {"release", "v1"}},
                          {.time = "2024-01-02 00:00", .tags = {"release"}},
                          {.time = "2024-01-03 00:00", .tags = {"nightly"}},
                          {.time = "2024-01-04 00:00"},
                          {.time = "2024-01-05 00:00", .tags = {"nightly"}}}),
               RetentionPolicy{.last = 1, .keep_tags = {{"release", "v1"}, {"release"}, {}}});
  EXPECT_THAT(
      KeptWithReasons(group),
      ElementsAre("2024-01-01 00:00: tag release,v1, tag release", "2024-01-02 00:00: tag release",
                  "2024-01-04 00:00: untagged", "2024-01-05 00:00: last 1"));
  EXPECT_THAT(Times(group.remove), ElementsAre("2024-01-03 00:00"));
}

TEST(Retention, EveryRuleThatKeepsASnapshotIsNamed) {
  ScopedTimeZone zone("UTC");
  RetentionGroup group = ApplyOne(
      Snapshots({{.time = "2024-01-01 00:00"}, {.time = "2024-01-02 00:00", .tags = {"release"}}}),
      RetentionPolicy{.last = 2,
                      .hourly = 2,
                      .daily = 2,
                      .weekly = 2,
                      .monthly = 2,
                      .yearly = 2,
                      .within = {.days = 90},
                      .within_daily = {.days = 90},
                      .keep_tags = {{"release"}}});
  // Both fall in one ISO week, month and year; each rule has a count left at the older one,
  // which is the group's oldest, so the week, month and year rules keep it as "oldest".
  EXPECT_THAT(KeptWithReasons(group),
              ElementsAre("2024-01-01 00:00: within 90d, last 2, hourly 2, daily 2, oldest "
                          "weekly, oldest monthly, oldest yearly, daily within 90d",
                          "2024-01-02 00:00: tag release, within 90d, last 1, hourly 1, daily 1, "
                          "weekly 1, monthly 1, yearly 1, daily within 90d"));
}

TEST(Retention, EachGroupKeepsItsOwnHistory) {
  ScopedTimeZone zone("UTC");
  std::vector<std::pair<Id, repo::Snapshot>> snapshots =
      Snapshots({{.time = "2024-01-01 00:00", .host = "a"},
                 {.time = "2024-01-02 00:00", .host = "a"},
                 {.time = "2024-01-03 00:00", .host = "b"},
                 {.time = "2024-01-04 00:00", .host = "b"},
                 {.time = "2024-01-05 00:00", .host = "b", .paths = {"/other"}},
                 {.time = "2024-01-06 00:00", .host = "b", .source = "stdin"},
                 {.time = "2024-01-07 00:00", .host = "b", .tags = {"x"}, .source = "stdin"}});
  std::vector<RetentionGroup> groups =
      ApplyRetention(snapshots, RetentionPolicy{.last = 1}, GroupBy{}, kNow);
  ASSERT_EQ(groups.size(), 4u);
  const GroupBy by;
  EXPECT_EQ(groups[0].key.Describe(by), "host a, paths /srv, source files");
  EXPECT_THAT(Times(groups[0].keep), ElementsAre("2024-01-02 00:00"));
  EXPECT_EQ(groups[1].key.Describe(by), "host b, paths /other, source files");
  EXPECT_THAT(Times(groups[1].keep), ElementsAre("2024-01-05 00:00"));
  EXPECT_EQ(groups[2].key.Describe(by), "host b, paths /srv, source files");
  EXPECT_THAT(Times(groups[2].keep), ElementsAre("2024-01-04 00:00"));
  EXPECT_EQ(groups[3].key.Describe(by), "host b, paths /srv, source stdin");
  EXPECT_THAT(Times(groups[3].keep), ElementsAre("2024-01-07 00:00"));

  const GroupBy tags_too{.tags = true};
  EXPECT_EQ(ApplyRetention(snapshots, RetentionPolicy{.last = 1}, tags_too, kNow).size(), 5u);
  const GroupBy nothing{.host = false, .paths = false, .source = false};
  std::vector<RetentionGroup> one =
      ApplyRetention(snapshots, RetentionPolicy{.last = 1}, nothing, kNow);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].key.Describe(nothing), "all snapshots");
  EXPECT_THAT(Times(one[0].keep), ElementsAre("2024-01-07 00:00"));
  EXPECT_EQ(one[0].remove.size(), 6u);
}

TEST(Retention, PathOrderDoesNotSplitAGroup) {
  ScopedTimeZone zone("UTC");
  std::vector<RetentionGroup> groups =
      ApplyRetention(Snapshots({{.time = "2024-01-01 00:00", .paths = {"/a", "/b"}},
                                {.time = "2024-01-02 00:00", .paths = {"/b", "/a"}}}),
                     RetentionPolicy{.last = 1}, GroupBy{}, kNow);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].key.Describe(GroupBy{}), "host db1, paths /a /b, source files");
}

TEST(Retention, NoSnapshotsNoGroups) {
  EXPECT_THAT(ApplyRetention({}, RetentionPolicy{.last = 1}, GroupBy{}, kNow), IsEmpty());
}

}  // namespace
}  // namespace lifeboat::ops
