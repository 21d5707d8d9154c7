// CronSchedule: a 5-field cron expression ("minute hour day-of-month month day-of-week"), as
// crontab(5) writes them, and the next instant it fires in a time zone.
//
// Fields take `*`, numbers, ranges (1-5), steps (*/15, 0-30/10, 5/20 = 5-max/20), lists of
// those (1,15,30-35), month names jan-dec and weekday names sun-sat (case-insensitive; 0 and 7
// are both Sunday). @hourly, @daily (@midnight), @weekly, @monthly and @yearly (@annually) are
// shorthands. As in Vixie cron and cronie: when both day-of-month and day-of-week are
// restricted (neither starts with `*`), a day matching either runs; otherwise both must match.
//
// Daylight saving time, as cronie handles it:
//  - A job with a fixed hour (the hour field does not start with `*`) runs once per matching
//    local time: a time skipped by a spring-forward gap runs at the first instant after the gap
//    (02:30 on the day Berlin skips 02:00-03:00 runs at 03:00 CEST); a time repeated by a
//    fall-back fold runs at its first occurrence only.
//  - A job whose hour field starts with `*` follows the clock as it is: skipped times do not
//    happen, repeated times happen twice (`*/15 * * * *` runs every 15 minutes of real time).
//
// Parse rejects expressions that can never fire (`0 0 30 2 *`). Immutable; thread-safe.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lifeboat/plan/time_zone.h"
#include "lifeboat/util/result.h"

namespace lifeboat::plan {

class CronSchedule {
 public:
  // kInvalidArgument with a message naming the field and what is wrong with it, e.g.
  // `minute field "61" of cron expression "61 * * * *": 61 is out of range 0-59`, and a hint.
  static Result<CronSchedule> Parse(std::string_view text);

  const std::string& text() const { return text_; }

  // Whether the schedule fires at this local civil time (seconds are ignored).
  bool Matches(const CivilTime& civil) const;

  // The first instant strictly after `after` (seconds since the epoch) at which the schedule
  // fires in `zone`, with the DST rules above. Always a whole minute of local time, or the end
  // of a DST gap. nullopt only for a schedule that cannot fire (Parse refuses those).
  std::optional<int64_t> NextAfter(int64_t after, const TimeZone& zone) const;

 private:
  bool DayMatches(int year, int month, int day, int weekday) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;      // 1..31
  std::bitset<13> months_;    // 1..12
  std::bitset<7> weekdays_;   // 0 = Sunday
  bool day_star_ = true;      // day-of-month starts with '*'
  bool weekday_star_ = true;  // day-of-week starts with '*'
  bool hour_star_ = true;     // hour starts with '*': follows real time across DST changes
};

}  // namespace lifeboat::plan
