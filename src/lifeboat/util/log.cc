#include "lifeboat/util/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

namespace lifeboat {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mutex;
}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }

void LogMessage(LogLevel level, std::string_view message) {
  if (static_cast<int>(level) > g_level.load()) return;
  std::string line;
  switch (level) {
    case LogLevel::kError:
      line = "error: ";
      break;
    case LogLevel::kWarning:
      line = "warning: ";
      break;
    default:
      break;
  }
  line.append(message);
  line.push_back('\n');
  std::lock_guard lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace lifeboat
