// Local time: civil dates and times (year, month, day, hour) of instants in the process's time
// zone, for the rules that work on calendar boundaries (retention's daily/weekly/... buckets,
// tables that print times). The zone is libc's: the TZ variable, else /etc/localtime;
// SetProcessTimeZone replaces it for the whole process (`forget --time-zone`).
//
// libc keeps the zone in process-global state: call SetProcessTimeZone from the main thread
// before other threads convert times. The conversions themselves are thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "lifeboat/util/status.h"

namespace lifeboat {

struct CivilTime {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  int hour = 0;
  int minute = 0;
  int second = 0;
};

// The local civil time of an instant (seconds since the Unix epoch).
CivilTime ToLocalCivil(int64_t unix_seconds);

// The instant of a local civil time. Fields out of range carry over as calendar arithmetic
// does (month 13 is January of the next year, February 30 is March 1 or 2); a time that a
// DST change skips or repeats resolves as libc's mktime resolves it.
int64_t FromLocalCivil(const CivilTime& civil);

// ISO 8601 week of a date: weeks start on Monday and week 1 holds the year's first Thursday,
// so 2024-12-30 is in week 1 of 2025 and 2021-01-03 in week 53 of 2020.
struct IsoWeek {
  int year = 0;
  int week = 0;  // 1..53
};
IsoWeek IsoWeekOf(int year, int month, int day);

// Sets the zone by tz database name ("Europe/Berlin", "UTC"). kInvalidArgument when the
// name is not in the tz database (libc would silently fall back to UTC).
Status SetProcessTimeZone(std::string_view name);

}  // namespace lifeboat
