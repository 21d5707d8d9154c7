#include "lifeboat/sources/postgres/tools.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "lifeboat/util/child_process.h"

namespace lifeboat::sources::postgres {

namespace {

// "pg_dump (PostgreSQL) 15.4 (Debian 15.4-1)" → "15.4".
std::string ParseVersion(const std::string& output) {
  const size_t paren = output.find(')');
  if (paren == std::string::npos) return "";
  size_t begin = output.find_first_of("0123456789", paren);
  if (begin == std::string::npos) return "";
  size_t end = output.find_first_not_of("0123456789.", begin);
  return output.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

Result<PgTool> Probe(const std::string& path) {
  LIFEBOAT_ASSIGN_OR_RETURN(std::string output, RunAndCapture({path, "--version"}));
  PgTool tool;
  tool.path = path;
  tool.version = ParseVersion(output);
  tool.major = std::atoi(tool.version.c_str());
  if (tool.major == 0) return NotFoundError("cannot tell the version of " + path);
  return tool;
}

}  // namespace

int MajorVersion(int server_version_num) {
  // Before 10, majors had two parts (9.6); lifeboat needs only "older than 10".
  return server_version_num / 10000;
}

Result<PgTool> FindPgTool(const std::string& name, int server_major) {
  std::vector<std::string> candidates;
  // A directory the user names is the only place looked: a silent fallback would hide that
  // the programs there are unusable.
  if (const char* dir = std::getenv("LIFEBOAT_PG_BINDIR"); dir != nullptr && *dir != '\0') {
    candidates.push_back(std::string(dir) + "/" + name);
  } else {
    for (int major = server_major; major <= server_major + 10; ++major) {
      candidates.push_back("/usr/lib/postgresql/" + std::to_string(major) + "/bin/" + name);
    }
    candidates.push_back(name);  // PATH
  }
  std::string too_old;
  for (const std::string& candidate : candidates) {
    if (candidate.find('/') != std::string::npos && access(candidate.c_str(), X_OK) != 0) continue;
    Result<PgTool> tool = Probe(candidate);
    if (!tool.ok()) continue;
    if (tool->major >= server_major) return tool;
    too_old = tool->path + " is version " + tool->version;
  }
  const std::string install = "install postgresql-client-" + std::to_string(server_major) +
                              " or set LIFEBOAT_PG_BINDIR to the directory of a " + name + " " +
                              std::to_string(server_major) + " or newer";
  if (!too_old.empty()) {
    return NotFoundError(name + " is too old for a PostgreSQL " + std::to_string(server_major) +
                         " server: " + too_old)
        .WithHint(install);
  }
  return NotFoundError("no " + name + " found for a PostgreSQL " + std::to_string(server_major) +
                       " server")
      .WithHint(install);
}

}  // namespace lifeboat::sources::postgres
