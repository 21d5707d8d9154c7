// Minimal leveled logging to stderr for messages meant for the user (warnings about skipped
// files, verbose progress). Thread-safe: each call writes one whole line. The level is global
// and set once by the CLI from --quiet/--verbose.
#pragma once

#include <string_view>

namespace lifeboat {

enum class LogLevel { kError = 0, kWarning = 1, kInfo = 2, kVerbose = 3, kDebug = 4 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void LogMessage(LogLevel level, std::string_view message);

inline void LogError(std::string_view m) { LogMessage(LogLevel::kError, m); }
inline void LogWarning(std::string_view m) { LogMessage(LogLevel::kWarning, m); }
inline void LogInfo(std::string_view m) { LogMessage(LogLevel::kInfo, m); }
inline void LogVerbose(std::string_view m) { LogMessage(LogLevel::kVerbose, m); }

}  // namespace lifeboat
