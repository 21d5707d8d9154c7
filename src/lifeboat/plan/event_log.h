// EventLog: what the daemon and `lifeboat run` say while they work, one line per event, so a
// journal, a log shipper or a person can follow it: text on a terminal
//
//   2026-11-23T02:00:00Z job_finished job=database status=success snapshot=4f2a91c0 seconds=12.4
//
// or one JSON object per line with `log_format: json` / `--log-format json`. A value never holds
// a secret: callers pass Invocation::Display() and error messages, which name secret sources
// but not their values. Thread-safe: each event is written with one call.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lifeboat/plan/plan.h"

namespace lifeboat::plan {

using EventFields = std::vector<std::pair<std::string, std::string>>;

class EventLog {
 public:
  // Writes to `out` (not owned), which the caller keeps open.
  EventLog(LogFormat format, std::FILE* out) : format_(format), out_(out) {}

  void SetFormat(LogFormat format);
  // `event` is a fixed word ("job_started"); fields keep their order.
  void Write(std::string_view event, const EventFields& fields);

  // The text form of one event at `unix_nanos`, as Write prints it; for tests.
  static std::string Format(LogFormat format, int64_t unix_nanos, std::string_view event,
                            const EventFields& fields);

 private:
  std::mutex mutex_;
  LogFormat format_;
  std::FILE* out_;
};

}  // namespace lifeboat::plan
