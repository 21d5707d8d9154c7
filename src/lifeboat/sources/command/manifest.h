// The manifest of a command backup: which command ran, how it ended, and what it wrote. Kept in
// the snapshot record (Snapshot::manifest, shown by `snapshots --json`); the snapshot's tree
// holds only the output file, under the name the user chose. docs/FORMAT.md specifies it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lifeboat/repo/snapshot.h"
#include "lifeboat/util/result.h"

namespace lifeboat::sources::command {

struct CommandManifest {
  int format = 1;
  std::vector<std::string> argv;  // as RedactArguments leaves it
  int exit_status = 0;            // always 0 in a stored snapshot: other endings store none
  std::string file;               // the output's name in the snapshot
  uint64_t bytes = 0;
  std::string sha256;    // hex, of the output
  std::string started;   // RFC 3339, UTC
  std::string finished;  // RFC 3339, UTC
};

std::string CommandManifestToJson(const CommandManifest& manifest);
// kCorruption naming the problem.
Result<CommandManifest> CommandManifestFromJson(const std::string& json);
// The manifest of a command snapshot; kInvalidArgument for other snapshots (a `backup
// --stdin-from-command` snapshot has source "command" but no manifest).
Result<CommandManifest> SnapshotCommandManifest(const repo::Snapshot& snapshot);

// `argv` with what looks like a secret replaced by "***": the password of a URL
// ("postgres://app:***@db/app", as the seeds pass $DATABASE_URL to pg_dump) and the value of an
// option whose name says password, passwd, secret or token ("--password=***"). The manifest and
// every message hold only this form; the command itself runs with the real arguments.
std::vector<std::string> RedactArguments(const std::vector<std::string>& argv);

// The command line as a user would type it: arguments with spaces, quotes or shell characters
// in single quotes, for messages (`sh -c 'exit 3'`).
std::string QuoteCommandLine(const std::vector<std::string>& argv);

}  // namespace lifeboat::sources::command
