#include "lifeboat/plan/cron.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace lifeboat::plan {

namespace {

// How far NextAfter looks: a day-of-month/day-of-week combination such as "Feb 29 that is a
// Monday" recurs within 28 years; 400 years is the full Gregorian cycle.
constexpr int64_t kSearchDays = 400 * 366;

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const char* const* names;  // names[i] is the value min + i; nullptr: numbers only
  int name_count;
};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kWeekdayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr FieldSpec kFields[5] = {
    {"minute", 0, 59, nullptr, 0},
    {"hour", 0, 23, nullptr, 0},
    {"day-of-month", 1, 31, nullptr, 0},
    {"month", 1, 12, kMonthNames, 12},
    // 7 is Sunday too, as crontab(5) allows.
    {"day-of-week", 0, 7, kWeekdayNames, 7},
};

constexpr const char* kHint =
    "a cron expression is 5 fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12 or "
    "jan-dec) day-of-week (0-7 or sun-sat); e.g. \"0 2 * * *\" is daily at 02:00";

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

class FieldParser {
 public:
  FieldParser(const FieldSpec& spec, std::string_view field, std::string_view expression)
      : spec_(spec), field_(field), expression_(expression) {}

  Status Error(const std::string& why) const {
    return InvalidArgumentError(std::string(spec_.name) + " field \"" + std::string(field_) +
                                "\" of cron expression \"" + std::string(expression_) +
                                "\": " + why)
        .WithHint(kHint);
  }

  Status Value(std::string_view text, int* value) const {
    if (text.empty()) return Error("a value is missing");
    if (std::all_of(text.begin(), text.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      if (text.size() > 4) return Error(std::string(text) + " is out of range " + Range());
      *value = std::stoi(std::string(text));
      if (*value < spec_.min || *value > spec_.max) {
        return Error(std::string(text) + " is out of range " + Range());
      }
      return Status::Ok();
    }
    const std::string lower = Lower(text);
    for (int index = 0; index < spec_.name_count; ++index) {
      if (lower == spec_.names[index]) {
        *value = spec_.min + index;
        return Status::Ok();
      }
    }
    if (spec_.names != nullptr) {
      return Error("\"" + std::string(text) + "\" is neither a number " + Range() + " nor a " +
                   (spec_.names == kMonthNames ? "month name (jan-dec)" : "day name (sun-sat)"));
    }
    return Error("\"" + std::string(text) + "\" is not a number " + Range());
  }

  // Sets the bits of the field's values in `mask`.
  Status Parse(uint64_t* mask) const {
    if (field_.empty()) return Error("the field is empty");
    size_t start = 0;
    while (start <= field_.size()) {
      const size_t comma = std::min(field_.find(',', start), field_.size());
      LIFEBOAT_RETURN_IF_ERROR(Item(field_.substr(start, comma - start), mask));
      start = comma + 1;
    }
    return Status::Ok();
  }

 private:
  std::string Range() const { return std::to_string(spec_.min) + "-" + std::to_string(spec_.max); }

  Status Item(std::string_view item, uint64_t* mask) const {
    if (item.empty()) return Error("a list has an empty item");
    int step = 1;
    const size_t slash = item.find('/');
    std::string_view range = item;
    if (slash != std::string_view::npos) {
      const std::string_view step_text = item.substr(slash + 1);
      range = item.substr(0, slash);
      if (step_text.empty() ||
          !std::all_of(step_text.begin(), step_text.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
          step_text.size() > 4) {
        return Error("step \"" + std::string(step_text) + "\" is not a positive number");
      }
      step = std::stoi(std::string(step_text));
      if (step == 0) return Error("a step of 0 never advances");
      if (step > spec_.max - spec_.min + 1 && spec_.max != 7) {
        return Error("step " + std::to_string(step) + " is larger than the range " + Range());
      }
    }
    int first = spec_.min;
    int last = spec_.max;
    if (range == "*") {
      if (spec_.max == 7) last = 6;  // "*" in day-of-week is 0-6; 7 would repeat Sunday
    } else {
      const size_t dash = range.find('-');
      if (dash == std::string_view::npos) {
        LIFEBOAT_RETURN_IF_ERROR(Value(range, &first));
        // "5/20" is "5-max/20", as Vixie cron reads it; a bare value is itself.
        last = slash == std::string_view::npos ? first : spec_.max;
      } else {
        LIFEBOAT_RETURN_IF_ERROR(Value(range.substr(0, dash), &first));
        LIFEBOAT_RETURN_IF_ERROR(Value(range.substr(dash + 1), &last));
        if (last < first) {
          return Error("range " + std::string(range) + " goes backwards");
        }
      }
    }
    for (int value = first; value <= last; value += step) {
      // Sunday is both 0 and 7 in day-of-week.
      const int bit = (spec_.max == 7 && value == 7) ? 0 : value;
      *mask |= uint64_t{1} << bit;
    }
    return Status::Ok();
  }

  const FieldSpec& spec_;
  std::string_view field_;
  std::string_view expression_;
};

std::vector<std::string_view> SplitFields(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t position = 0;
  while (position < text.size()) {
    while (position < text.size() && (text[position] == ' ' || text[position] == '\t')) ++position;
    const size_t start = position;
    while (position < text.size() && text[position] != ' ' && text[position] != '\t') ++position;
    if (position > start) fields.push_back(text.substr(start, position - start));
  }
  return fields;
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view text) {
  std::string expanded(text);
  const std::string lower = Lower(text);
  if (!lower.empty() && lower.front() == '@') {
    static constexpr std::array<std::pair<const char*, const char*>, 7> kShorthands = {{
        {"@hourly", "0 * * * *"},
        {"@daily", "0 0 * * *"},
        {"@midnight", "0 0 * * *"},
        {"@weekly", "0 0 * * 0"},
        {"@monthly", "0 0 1 * *"},
        {"@yearly", "0 0 1 1 *"},
        {"@annually", "0 0 1 1 *"},
    }};
    const auto found = std::find_if(kShorthands.begin(), kShorthands.end(),
                                    [&](const auto& entry) { return lower == entry.first; });
    if (found == kShorthands.end()) {
      return InvalidArgumentError("unknown cron shorthand \"" + std::string(text) + "\"")
          .WithHint("use @hourly, @daily, @weekly, @monthly or @yearly, or 5 fields");
    }
    expanded = found->second;
  }
  const std::vector<std::string_view> fields = SplitFields(expanded);
  if (fields.size() != 5) {
    return InvalidArgumentError("cron expression \"" + std::string(text) + "\" has " +
                                std::to_string(fields.size()) +
                                (fields.size() == 1 ? " field" : " fields") +
                                "; expected 5: minute hour day-of-month month day-of-week")
        .WithHint(kHint);
  }
  uint64_t masks[5] = {};
  for (int index = 0; index < 5; ++index) {
    LIFEBOAT_RETURN_IF_ERROR(FieldParser(kFields[index], fields[index], text).Parse(&masks[index]));
  }
  CronSchedule schedule;
  schedule.text_ = std::string(text);
  schedule.minutes_ = std::bitset<60>(masks[0]);
  schedule.hours_ = std::bitset<24>(masks[1]);
  schedule.days_ = std::bitset<32>(masks[2]);
  schedule.months_ = std::bitset<13>(masks[3]);
  schedule.weekdays_ = std::bitset<7>(masks[4] & 0x7f);
  schedule.hour_star_ = fields[1].front() == '*';
  schedule.day_star_ = fields[2].front() == '*';
  schedule.weekday_star_ = fields[4].front() == '*';

  // When the day-of-month alone decides (or must agree with the weekday), some month of the
  // schedule must have one of its days, or the job would never run.
  if (schedule.day_star_ || schedule.weekday_star_) {
    bool possible = false;
    for (int month = 1; month <= 12 && !possible; ++month) {
      if (!schedule.months_[month]) continue;
      const int longest = month == 2 ? 29 : DaysInMonth(2001, month);
      for (int day = 1; day <= longest && !possible; ++day) possible = schedule.days_[day];
    }
    if (!possible) {
      return InvalidArgumentError("cron expression \"" + std::string(text) +
                                  "\" never runs: none of its months has any of its days")
          .WithHint(
              "check the day-of-month and month fields (February has at most 29 days; "
              "April, June, September and November 30)");
    }
  }
  return schedule;
}

bool CronSchedule::DayMatches(int /*year*/, int month, int day, int weekday) const {
  if (!months_[month]) return false;
  const bool day_ok = days_[day];
  const bool weekday_ok = weekdays_[weekday];
  if (day_star_ || weekday_star_) return day_ok && weekday_ok;
  return day_ok || weekday_ok;
}

bool CronSchedule::Matches(const CivilTime& civil) const {
  const int64_t days = DaysFromCivil(civil.year, civil.month, civil.day);
  return minutes_[civil.minute] && hours_[civil.hour] &&
         DayMatches(civil.year, civil.month, civil.day, WeekdayFromDays(days));
}

std::optional<int64_t> CronSchedule::NextAfter(int64_t after, const TimeZone& zone) const {
  const CivilTime now = zone.ToCivil(after);
  // Start a day early: a fold can put the first occurrence of a local time before `after`'s
  // local date.
  const int64_t first_day = DaysFromCivil(now.year, now.month, now.day) - 1;
  std::optional<int64_t> best;
  std::optional<int64_t> found_on;
  for (int64_t day = first_day; day < first_day + kSearchDays; ++day) {
    // A run found on one local day can only be beaten by one on the next (zones that move
    // back across midnight); after that the answer is final.
    if (found_on && day > *found_on + 1) break;
    CivilTime civil;
    CivilFromDays(day, &civil.year, &civil.month, &civil.day);
    if (!DayMatches(civil.year, civil.month, civil.day, WeekdayFromDays(day))) continue;
    for (int hour = 0; hour < 24; ++hour) {
      if (!hours_[hour]) continue;
      for (int minute = 0; minute < 60; ++minute) {
        if (!minutes_[minute]) continue;
        civil.hour = hour;
        civil.minute = minute;
        civil.second = 0;
        std::vector<int64_t> instants = zone.FromCivil(civil);
        if (instants.empty()) {
          if (hour_star_) continue;  // skipped by the clock, and the job follows the clock
          instants.push_back(zone.FromCivilOrGapEnd(civil));
        } else if (!hour_star_) {
          // A repeated local time runs at its first occurrence only.
          instants.erase(instants.begin() + 1, instants.end());
        }
        for (int64_t instant : instants) {
          if (instant > after && (!best || instant < *best)) {
            best = instant;
            if (!found_on) found_on = day;
          }
        }
      }
    }
  }
  return best;
}

}  // namespace lifeboat::plan
