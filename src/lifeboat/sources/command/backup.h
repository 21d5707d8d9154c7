// Backs up the standard output of any command as one named file of a snapshot — a database
// tool's dump, an API's export, `railway variables export` — committed only when the command
// exits 0: a producer that failed or was killed may have written a truncated output that looks
// complete. The command's stderr is passed on as it comes (to our stderr: the user's terminal or
// the daemon's log) and its last lines are kept for the error when it fails.
//
// The snapshot: source "command", paths [the file name], a tree of that one file (mode 0600),
// and the manifest (manifest.h) in its record. `lifeboat dump SNAP NAME` writes the output back
// byte for byte; `lifeboat restore` puts it in a directory.
#pragma once

#include <string>
#include <vector>

#include "lifeboat/engine/backup.h"
#include "lifeboat/repo/repository.h"
#include "lifeboat/sources/command/manifest.h"

namespace lifeboat::sources::command {

struct CommandBackupOptions {
  std::vector<std::string> argv;  // argv[0] searched in PATH
  std::string name;               // a plain file name: no '/', not "." or ".."
  std::vector<std::string> tags;
  std::string hostname;
  std::string username;
  std::string program_version;
  int stderr_forward_fd = 2;  // where the command's stderr goes on to; -1: nowhere
};

struct CommandBackupResult {
  engine::BackupResult backup;
  CommandManifest manifest;
};

// kInvalidArgument for a bad name or an empty command; kNotFound when the program is missing;
// kIoError naming the command and how it ended (with the end of its stderr) when it exits
// non-zero or is killed. Every failure stores no snapshot.
Result<CommandBackupResult> BackupCommandOutput(repo::Repository& repository,
                                                const CommandBackupOptions& options,
                                                engine::BackupProgress* progress);

// kInvalidArgument unless `name` is a plain file name.
Status ValidateOutputName(const std::string& name);

}  // namespace lifeboat::sources::command
