// TimeZone: one IANA time zone ("Europe/Berlin") as a value, for the schedules of a plan, where
// every job may run in its own zone. Load reads the zone's TZif file (RFC 8536) from the tz
// database (TZDIR, else /usr/share/zoneinfo); ToCivil and FromCivil convert instants to local
// civil times and back, including the gaps and folds of daylight saving time.
//
// Why our own reader: GCC 12's libstdc++ has the C++20 calendar types but not the tzdb part of
// <chrono> (std::chrono::locate_zone, zoned_time), and libc's localtime/mktime use one zone for
// the whole process (the TZ variable), so two jobs in two zones cannot be computed side by side.
// Debian 12 packages no C++ library with per-object zones (date-tz is header-only with a
// downloader; ICU is large for this), so this file reads the tz database's binary files itself:
// the transitions they list, and the POSIX TZ rule in their footer for instants after the last
// listed transition.
//
// A TimeZone is immutable after loading; copies share nothing mutable; all methods are const and
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lifeboat/util/local_time.h"
#include "lifeboat/util/result.h"

namespace lifeboat::plan {

class TimeZone {
 public:
  // UTC, which needs no file.
  TimeZone();
  static TimeZone Utc() { return TimeZone(); }

  // kInvalidArgument naming the zone when it is not a name of the tz database (or its file is
  // damaged), with a hint giving examples.
  static Result<TimeZone> Load(std::string_view name);
  // Parses TZif bytes (any version; version 2+ files use the 64-bit data and the footer).
  // kInvalidArgument when the bytes are not a TZif file.
  static Result<TimeZone> FromTzif(std::string name, std::string_view bytes);
  // A zone from a POSIX TZ rule alone ("CET-1CEST,M3.5.0,M10.5.0/3").
  static Result<TimeZone> FromPosixRule(std::string name, std::string_view rule);

  const std::string& name() const { return name_; }

  // Seconds east of UTC in effect at the instant (+3600 for CET, -18000 for EST).
  int OffsetAt(int64_t unix_seconds) const;
  CivilTime ToCivil(int64_t unix_seconds) const;

  // The instants whose local civil time is `civil` (seconds must be 0..59), earliest first:
  // one normally, none when the time falls into a gap (clocks jump forward over it), two when
  // it falls into a fold (clocks are set back and the time happens twice).
  std::vector<int64_t> FromCivil(const CivilTime& civil) const;
  // For a civil time in a gap: the instant the gap ends (the first instant after it); for any
  // other time, the earliest instant FromCivil gives.
  int64_t FromCivilOrGapEnd(const CivilTime& civil) const;

 private:
  struct LocalType {
    int offset = 0;
    bool dst = false;
  };
  // A POSIX TZ rule: standard time, and optionally daylight time between two yearly dates.
  struct Rule {
    bool present = false;
    LocalType standard;
    bool has_dst = false;
    LocalType daylight;
    // Each date: kind 'M' (month, week 1-5 with 5 = last, weekday 0 = Sunday), 'J' (Julian day
    // 1-365 without Feb 29) or 'N' (day 0-365 with Feb 29); time is seconds after local
    // midnight (may be negative or past 24 h).
    struct Date {
      char kind = 'M';
      int month = 0, week = 0, weekday = 0, day = 0;
      int time = 7200;
    } start, end;
  };

  static Result<Rule> ParseRule(std::string_view text);
  LocalType RuleTypeAt(int64_t unix_seconds) const;
  // The UTC instant of a rule date in `year` for a clock at `offset`.
  static int64_t RuleTransition(const Rule::Date& date, int year, int offset);
  // The first instant after `unix_seconds` at which the offset may change (max() when never).
  int64_t NextChangeAfter(int64_t unix_seconds) const;

  std::string name_ = "UTC";
  std::vector<int64_t> transitions_;  // ascending
  std::vector<uint8_t> transition_types_;
  std::vector<LocalType> types_ = {LocalType{}};
  Rule rule_;
};

// Days since 1970-01-01 of a proleptic Gregorian date, and back; used by the cron search too.
int64_t DaysFromCivil(int year, int month, int day);
void CivilFromDays(int64_t days, int* year, int* month, int* day);
// 0 = Sunday .. 6 = Saturday.
int WeekdayFromDays(int64_t days);
int DaysInMonth(int year, int month);

}  // namespace lifeboat::plan
