#include "lifeboat/util/local_time.h"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>

namespace lifeboat {

namespace {

bool IsTzifFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  char magic[4] = {};
  return file.read(magic, sizeof(magic)) && std::string_view(magic, 4) == "TZif";
}

}  // namespace

CivilTime ToLocalCivil(int64_t unix_seconds) {
  const time_t seconds = static_cast<time_t>(unix_seconds);
  tm local{};
  localtime_r(&seconds, &local);
  return CivilTime{.year = local.tm_year + 1900,
                   .month = local.tm_mon + 1,
                   .day = local.tm_mday,
                   .hour = local.tm_hour,
                   .minute = local.tm_min,
                   .second = local.tm_sec};
}

int64_t FromLocalCivil(const CivilTime& civil) {
  tm local{};
  local.tm_year = civil.year - 1900;
  local.tm_mon = civil.month - 1;
  local.tm_mday = civil.day;
  local.tm_hour = civil.hour;
  local.tm_min = civil.minute;
  local.tm_sec = civil.second;
  local.tm_isdst = -1;  // let the zone's rules decide, as a wall clock would
  return static_cast<int64_t>(mktime(&local));
}

IsoWeek IsoWeekOf(int year, int month, int day) {
  using namespace std::chrono;
  const sys_days date{std::chrono::year{year} / month / day};
  const unsigned weekday_iso = weekday{date}.iso_encoding();  // Monday 1 .. Sunday 7
  // The Thursday of the same week decides the year the week belongs to.
  const sys_days thursday = date + days{4 - static_cast<int>(weekday_iso)};
  const std::chrono::year thursday_year = year_month_day{thursday}.year();
  const sys_days first_day{thursday_year / January / 1};
  return IsoWeek{.year = static_cast<int>(thursday_year),
                 .week = static_cast<int>((thursday - first_day).count() / 7 + 1)};
}

Status SetProcessTimeZone(std::string_view name) {
  const std::string zone(name);
  const auto unknown = [&] {
    return InvalidArgumentError("unknown time zone \"" + zone + "\"")
        .WithHint("give a name from the tz database, e.g. Europe/Berlin, America/New_York or UTC");
  };
  if (zone.empty() || zone.front() == '/' || zone.find("..") != std::string::npos) {
    return unknown();
  }
  const char* tzdir = std::getenv("TZDIR");
  const std::string directory = tzdir != nullptr && *tzdir != '\0' ? tzdir : "/usr/share/zoneinfo";
  // UTC needs no tz database, so it works on a minimal system without tzdata.
  const bool utc = zone == "UTC";
  if (!utc && !IsTzifFile(directory + "/" + zone)) return unknown();
  if (setenv("TZ", utc ? "UTC0" : zone.c_str(), 1) != 0) {
    return ErrnoError(errno, "setting the time zone");
  }
  tzset();
  return Status::Ok();
}

}  // namespace lifeboat
