#include "lifeboat/plan/event_log.h"

#include <nlohmann/json.hpp>

#include "lifeboat/util/clock.h"

namespace lifeboat::plan {

namespace {

// Text values are quoted only when they would otherwise be misread: empty, or holding a space,
// a quote or an equals sign.
std::string TextValue(const std::string& value) {
  if (!value.empty() && value.find_first_of(" \t\n\"=") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    if (c == '\n') {
      quoted += "\\n";
      continue;
    }
    quoted += c;
  }
  return quoted + "\"";
}

// Seconds precision is what a person reading a schedule's log needs.
std::string TimeOf(int64_t unix_nanos) {
  std::string text = FormatTimeRfc3339(unix_nanos);
  const size_t dot = text.find('.');
  if (dot != std::string::npos) text = text.substr(0, dot) + "Z";
  return text;
}

}  // namespace

void EventLog::SetFormat(LogFormat format) {
  std::lock_guard lock(mutex_);
  format_ = format;
}

std::string EventLog::Format(LogFormat format, int64_t unix_nanos, std::string_view event,
                             const EventFields& fields) {
  if (format == LogFormat::kJson) {
    nlohmann::ordered_json line;
    line["time"] = TimeOf(unix_nanos);
    line["event"] = std::string(event);
    for (const auto& [name, value] : fields) line[name] = value;
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string text = TimeOf(unix_nanos) + " " + std::string(event);
  for (const auto& [name, value] : fields) text += " " + name + "=" + TextValue(value);
  return text;
}

void EventLog::Write(std::string_view event, const EventFields& fields) {
  std::lock_guard lock(mutex_);
  const std::string line = Format(format_, SystemClock::Get().NowNanos(), event, fields) + "\n";
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace lifeboat::plan
