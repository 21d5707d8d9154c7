// Who is running lifeboat, as recorded in snapshots, key files and locks.
#pragma once

#include <string>

namespace lifeboat::cli {

// gethostname(), or "localhost" if it fails.
std::string Hostname();
// The name of the effective user, or the numeric uid when it has no passwd entry (containers).
std::string Username();

}  // namespace lifeboat::cli
