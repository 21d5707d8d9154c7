// Finding PostgreSQL's client programs (pg_dump, pg_restore) that can work with a given server:
// their major version must not be older than the server's. Looked up, in order, in
// $LIFEBOAT_PG_BINDIR, Debian's /usr/lib/postgresql/<major>/bin (the server's major first,
// then newer ones), and PATH.
#pragma once

#include <string>

#include "lifeboat/util/result.h"

namespace lifeboat::sources::postgres {

struct PgTool {
  std::string path;
  std::string version;  // e.g. "15.4"
  int major = 0;
};

// kNotFound when no suitable program exists, naming what to install.
Result<PgTool> FindPgTool(const std::string& name, int server_major);

// The major version from server_version_num (150004 → 15; 90624 → 9).
int MajorVersion(int server_version_num);

}  // namespace lifeboat::sources::postgres
