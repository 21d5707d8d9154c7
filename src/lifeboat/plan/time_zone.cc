#include "lifeboat/plan/time_zone.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

namespace lifeboat::plan {

namespace {

constexpr int64_t kDay = 86400;
// No zone's offset exceeds 26 hours either way, so every instant whose local time is a given
// civil time lies within this distance of that civil time read as UTC.
constexpr int64_t kWindow = 26 * 3600;

Status BadZone(std::string_view name, std::string_view why) {
  return InvalidArgumentError("unknown time zone \"" + std::string(name) + "\"" +
                              (why.empty() ? "" : ": " + std::string(why)))
      .WithHint("give a name from the tz database, e.g. Europe/Berlin, America/New_York or UTC");
}

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  bool Has(size_t count) const { return bytes_.size() - position_ >= count; }
  size_t position() const { return position_; }
  void Skip(size_t count) { position_ += count; }
  uint8_t U8() { return static_cast<uint8_t>(bytes_[position_++]); }
  int64_t BigEndian(int size) {
    uint64_t value = 0;
    for (int i = 0; i < size; ++i) value = (value << 8) | U8();
    if (size == 4) return static_cast<int32_t>(static_cast<uint32_t>(value));
    return static_cast<int64_t>(value);
  }
  std::string_view Rest() const { return bytes_.substr(position_); }

 private:
  std::string_view bytes_;
  size_t position_ = 0;
};

struct Counts {
  int64_t isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0;
  size_t DataSize(int time_size) const {
    return static_cast<size_t>(time * time_size + time + type * 6 + chars + leap * (time_size + 4) +
                               isstd + isut);
  }
};

bool ReadHeader(ByteReader& reader, char* version, Counts* counts) {
  if (!reader.Has(44) || reader.Rest().substr(0, 4) != "TZif") return false;
  reader.Skip(4);
  *version = static_cast<char>(reader.U8());
  reader.Skip(15);
  counts->isut = reader.BigEndian(4);
  counts->isstd = reader.BigEndian(4);
  counts->leap = reader.BigEndian(4);
  counts->time = reader.BigEndian(4);
  counts->type = reader.BigEndian(4);
  counts->chars = reader.BigEndian(4);
  return counts->isut >= 0 && counts->isstd >= 0 && counts->leap >= 0 && counts->time >= 0 &&
         counts->type >= 1 && counts->type <= 256 && counts->chars >= 0;
}

// "[+-]hh[:mm[:ss]]" as seconds; hours up to 167 as RFC 8536 allows for transition times.
bool ParsePosixTime(std::string_view& text, int* seconds) {
  int sign = 1;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    if (text.front() == '-') sign = -1;
    text.remove_prefix(1);
  }
  int parts[3] = {0, 0, 0};
  for (int index = 0; index < 3; ++index) {
    if (index > 0) {
      if (text.empty() || text.front() != ':') break;
      text.remove_prefix(1);
    }
    if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front()))) return false;
    int value = 0;
    while (!text.empty() && std::isdigit(static_cast<unsigned char>(text.front()))) {
      value = value * 10 + (text.front() - '0');
      text.remove_prefix(1);
      if (value > 167) return false;
    }
    parts[index] = value;
  }
  *seconds = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return true;
}

bool ParsePosixName(std::string_view& text) {
  if (!text.empty() && text.front() == '<') {
    const size_t close = text.find('>');
    if (close == std::string_view::npos || close < 2) return false;
    text.remove_prefix(close + 1);
    return true;
  }
  size_t length = 0;
  while (length < text.size() && std::isalpha(static_cast<unsigned char>(text[length]))) ++length;
  if (length < 3) return false;
  text.remove_prefix(length);
  return true;
}

bool ParseNumber(std::string_view& text, int* value) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front()))) return false;
  *value = 0;
  while (!text.empty() && std::isdigit(static_cast<unsigned char>(text.front()))) {
    *value = *value * 10 + (text.front() - '0');
    text.remove_prefix(1);
    if (*value > 1000) return false;
  }
  return true;
}

}  // namespace

int64_t DaysFromCivil(int year, int month, int day) {
  using namespace std::chrono;
  return sys_days{std::chrono::year{year} / month / day}.time_since_epoch().count();
}

void CivilFromDays(int64_t days, int* year, int* month, int* day) {
  using namespace std::chrono;
  const year_month_day date{sys_days{std::chrono::days{days}}};
  *year = static_cast<int>(date.year());
  *month = static_cast<int>(static_cast<unsigned>(date.month()));
  *day = static_cast<int>(static_cast<unsigned>(date.day()));
}

int WeekdayFromDays(int64_t days) {
  // 1970-01-01 was a Thursday (4).
  return static_cast<int>(((days % 7) + 11) % 7);
}

int DaysInMonth(int year, int month) {
  using namespace std::chrono;
  return static_cast<int>(
      static_cast<unsigned>(year_month_day_last{std::chrono::year{year} / month / last}.day()));
}

TimeZone::TimeZone() = default;

Result<TimeZone> TimeZone::Load(std::string_view name) {
  if (name == "UTC") return TimeZone();
  const auto component_ok = [](std::string_view part) {
    return !part.empty() && part != "." && part != ".." &&
           std::all_of(part.begin(), part.end(), [](char c) {
             return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+';
           });
  };
  // Names are paths below the database; refuse anything that could leave it.
  if (name.empty() || name.front() == '/') return BadZone(name, "");
  for (size_t start = 0; start <= name.size();) {
    const size_t slash = std::min(name.find('/', start), name.size());
    if (!component_ok(name.substr(start, slash - start))) return BadZone(name, "");
    start = slash + 1;
  }
  const char* tzdir = std::getenv("TZDIR");
  const std::string directory = tzdir != nullptr && *tzdir != '\0' ? tzdir : "/usr/share/zoneinfo";
  std::ifstream file(directory + "/" + std::string(name), std::ios::binary);
  if (!file) return BadZone(name, "");
  std::ostringstream content;
  content << file.rdbuf();
  return FromTzif(std::string(name), content.str());
}

Result<TimeZone> TimeZone::FromTzif(std::string name, std::string_view bytes) {
  ByteReader reader(bytes);
  char version = 0;
  Counts counts;
  if (!ReadHeader(reader, &version, &counts)) return BadZone(name, "not a TZif file");
  int time_size = 4;
  if (version >= '2') {
    // Skip the 32-bit block: the 64-bit one after it holds the same data and more.
    const size_t v1_size = counts.DataSize(4);
    if (!reader.Has(v1_size)) return BadZone(name, "truncated TZif file");
    reader.Skip(v1_size);
    if (!ReadHeader(reader, &version, &counts)) return BadZone(name, "damaged TZif file");
    time_size = 8;
  }
  if (!reader.Has(counts.DataSize(time_size))) return BadZone(name, "truncated TZif file");

  TimeZone zone;
  zone.name_ = std::move(name);
  zone.transitions_.resize(counts.time);
  for (int64_t& transition : zone.transitions_) transition = reader.BigEndian(time_size);
  zone.transition_types_.resize(counts.time);
  for (uint8_t& type : zone.transition_types_) {
    type = reader.U8();
    if (type >= counts.type) return BadZone(zone.name_, "damaged TZif file");
  }
  if (!std::is_sorted(zone.transitions_.begin(), zone.transitions_.end())) {
    return BadZone(zone.name_, "damaged TZif file");
  }
  zone.types_.clear();
  for (int64_t index = 0; index < counts.type; ++index) {
    LocalType type;
    type.offset = static_cast<int>(reader.BigEndian(4));
    type.dst = reader.U8() != 0;
    reader.Skip(1);  // abbreviation index: names are not needed for scheduling
    zone.types_.push_back(type);
  }
  reader.Skip(static_cast<size_t>(counts.chars + counts.leap * (time_size + 4) + counts.isstd +
                                  counts.isut));
  if (time_size == 8) {
    std::string_view footer = reader.Rest();
    if (footer.size() >= 2 && footer.front() == '\n') {
      footer.remove_prefix(1);
      const size_t end = footer.find('\n');
      if (end != std::string_view::npos && end > 0) {
        Result<Rule> rule = ParseRule(footer.substr(0, end));
        if (!rule.ok()) return BadZone(zone.name_, "damaged TZif footer");
        zone.rule_ = *rule;
      }
    }
  }
  return zone;
}

Result<TimeZone> TimeZone::FromPosixRule(std::string name, std::string_view text) {
  Result<Rule> rule = ParseRule(text);
  if (!rule.ok()) return rule.status();
  TimeZone zone;
  zone.name_ = std::move(name);
  zone.rule_ = *rule;
  zone.types_ = {rule->standard};
  return zone;
}

Result<TimeZone::Rule> TimeZone::ParseRule(std::string_view text) {
  const std::string original(text);
  const auto bad = [&] { return InvalidArgumentError("bad POSIX TZ rule \"" + original + "\""); };
  Rule rule;
  rule.present = true;
  int seconds = 0;
  if (!ParsePosixName(text) || !ParsePosixTime(text, &seconds)) return bad();
  rule.standard.offset = -seconds;  // POSIX counts west of Greenwich as positive
  if (text.empty()) return rule;
  if (!ParsePosixName(text)) return bad();
  rule.has_dst = true;
  rule.daylight = {.offset = rule.standard.offset + 3600, .dst = true};
  if (!text.empty() && text.front() != ',') {
    if (!ParsePosixTime(text, &seconds)) return bad();
    rule.daylight.offset = -seconds;
  }
  if (text.empty()) text = ",M3.2.0,M11.1.0";  // POSIX's default, the US rule
  for (Rule::Date* date : {&rule.start, &rule.end}) {
    if (text.empty() || text.front() != ',') return bad();
    text.remove_prefix(1);
    if (!text.empty() && text.front() == 'M') {
      text.remove_prefix(1);
      date->kind = 'M';
      if (!ParseNumber(text, &date->month) || text.empty() || text.front() != '.') return bad();
      text.remove_prefix(1);
      if (!ParseNumber(text, &date->week) || text.empty() || text.front() != '.') return bad();
      text.remove_prefix(1);
      if (!ParseNumber(text, &date->weekday)) return bad();
      if (date->month < 1 || date->month > 12 || date->week < 1 || date->week > 5 ||
          date->weekday > 6) {
        return bad();
      }
    } else {
      date->kind = 'N';
      if (!text.empty() && text.front() == 'J') {
        date->kind = 'J';
        text.remove_prefix(1);
      }
      if (!ParseNumber(text, &date->day) || date->day > 365 ||
          (date->kind == 'J' && date->day < 1)) {
        return bad();
      }
    }
    date->time = 7200;
    if (!text.empty() && text.front() == '/') {
      text.remove_prefix(1);
      if (!ParsePosixTime(text, &date->time)) return bad();
    }
  }
  if (!text.empty()) return bad();
  return rule;
}

int64_t TimeZone::RuleTransition(const Rule::Date& date, int year, int offset) {
  int64_t days = 0;
  if (date.kind == 'M') {
    const int64_t first = DaysFromCivil(year, date.month, 1);
    int64_t day = first + (date.weekday - WeekdayFromDays(first) + 7) % 7 + 7 * (date.week - 1);
    const int64_t after_month = first + DaysInMonth(year, date.month);
    while (day >= after_month) day -= 7;  // week 5 means the last such weekday
    days = day;
  } else if (date.kind == 'J') {
    const bool leap = DaysInMonth(year, 2) == 29;
    days = DaysFromCivil(year, 1, 1) + date.day - 1 + (leap && date.day >= 60 ? 1 : 0);
  } else {
    days = DaysFromCivil(year, 1, 1) + date.day;
  }
  return days * kDay + date.time - offset;
}

TimeZone::LocalType TimeZone::RuleTypeAt(int64_t unix_seconds) const {
  if (!rule_.has_dst) return rule_.standard;
  int year = 0, month = 0, day = 0;
  const int64_t local = unix_seconds + rule_.standard.offset;
  CivilFromDays(local >= 0 ? local / kDay : (local - kDay + 1) / kDay, &year, &month, &day);
  // The start date is given in standard time, the end date in daylight time.
  const int64_t start = RuleTransition(rule_.start, year, rule_.standard.offset);
  const int64_t end = RuleTransition(rule_.end, year, rule_.daylight.offset);
  const bool in_dst = start < end ? (unix_seconds >= start && unix_seconds < end)
                                  : !(unix_seconds >= end && unix_seconds < start);
  return in_dst ? rule_.daylight : rule_.standard;
}

int TimeZone::OffsetAt(int64_t unix_seconds) const {
  if (transitions_.empty() || unix_seconds >= transitions_.back()) {
    if (rule_.present) return RuleTypeAt(unix_seconds).offset;
    if (transitions_.empty()) return types_.front().offset;
    return types_[transition_types_.back()].offset;
  }
  const auto after = std::upper_bound(transitions_.begin(), transitions_.end(), unix_seconds);
  if (after == transitions_.begin()) return types_.front().offset;
  return types_[transition_types_[std::distance(transitions_.begin(), after) - 1]].offset;
}

int64_t TimeZone::NextChangeAfter(int64_t unix_seconds) const {
  if (!transitions_.empty() && unix_seconds < transitions_.back()) {
    return *std::upper_bound(transitions_.begin(), transitions_.end(), unix_seconds);
  }
  if (!rule_.present || !rule_.has_dst) return std::numeric_limits<int64_t>::max();
  int year = 0, month = 0, day = 0;
  CivilFromDays((unix_seconds >= 0 ? unix_seconds : unix_seconds - kDay + 1) / kDay, &year, &month,
                &day);
  int64_t best = std::numeric_limits<int64_t>::max();
  for (int candidate_year = year - 1; candidate_year <= year + 1; ++candidate_year) {
    for (int64_t change : {RuleTransition(rule_.start, candidate_year, rule_.standard.offset),
                           RuleTransition(rule_.end, candidate_year, rule_.daylight.offset)}) {
      if (change > unix_seconds) best = std::min(best, change);
    }
  }
  return best;
}

CivilTime TimeZone::ToCivil(int64_t unix_seconds) const {
  const int64_t local = unix_seconds + OffsetAt(unix_seconds);
  const int64_t days = local >= 0 ? local / kDay : (local - kDay + 1) / kDay;
  const int64_t second_of_day = local - days * kDay;
  CivilTime civil;
  CivilFromDays(days, &civil.year, &civil.month, &civil.day);
  civil.hour = static_cast<int>(second_of_day / 3600);
  civil.minute = static_cast<int>(second_of_day / 60 % 60);
  civil.second = static_cast<int>(second_of_day % 60);
  return civil;
}

std::vector<int64_t> TimeZone::FromCivil(const CivilTime& civil) const {
  const int64_t local = DaysFromCivil(civil.year, civil.month, civil.day) * kDay +
                        civil.hour * 3600 + civil.minute * 60 + civil.second;
  // Every offset in effect near the civil time is a candidate; a candidate instant is real
  // when the zone has that very offset at it.
  std::vector<int> offsets = {OffsetAt(local - kWindow)};
  for (int64_t change = NextChangeAfter(local - kWindow); change <= local + kWindow;
       change = NextChangeAfter(change)) {
    offsets.push_back(OffsetAt(change));
  }
  std::vector<int64_t> instants;
  for (int offset : offsets) {
    const int64_t candidate = local - offset;
    if (OffsetAt(candidate) == offset) instants.push_back(candidate);
  }
  std::sort(instants.begin(), instants.end());
  instants.erase(std::unique(instants.begin(), instants.end()), instants.end());
  return instants;
}

int64_t TimeZone::FromCivilOrGapEnd(const CivilTime& civil) const {
  std::vector<int64_t> instants = FromCivil(civil);
  if (!instants.empty()) return instants.front();
  const int64_t local = DaysFromCivil(civil.year, civil.month, civil.day) * kDay +
                        civil.hour * 3600 + civil.minute * 60 + civil.second;
  // The gap that swallows the time: a change at T from offset `before` to a larger `after`
  // skips the local times [T + before, T + after).
  for (int64_t change = NextChangeAfter(local - kWindow); change <= local + kWindow;
       change = NextChangeAfter(change)) {
    const int before = OffsetAt(change - 1);
    const int after = OffsetAt(change);
    if (local >= change + before && local < change + after) return change;
  }
  return local - OffsetAt(local);
}

}  // namespace lifeboat::plan
