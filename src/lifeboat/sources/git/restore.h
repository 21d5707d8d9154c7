// Restores a git snapshot (backup.h) as a new repository: `git init` in the target, the bundle
// written into its git directory (git fetches only from a file), `git fetch BUNDLE
// 'refs/*:refs/*'` so every branch, tag and other ref lands under its own name, HEAD set as it
// was, the working tree checked out (unless bare), the bundle removed — then the refs are
// compared with the manifest's. The bundle's bytes are checked against the manifest's SHA-256
// as they are written, and git checks every object as it fetches.
#pragma once

#include <cstdint>
#include <string>

#include "lifeboat/repo/repository.h"
#include "lifeboat/sources/git/manifest.h"

namespace lifeboat::sources::git {

struct GitRestoreOptions {
  std::string target;  // a new or empty directory
  bool bare = false;
};

struct GitRestoreResult {
  GitManifest manifest;
  uint64_t bundle_bytes = 0;
};

// The repository must be open with its index loaded. kInvalidArgument for a non-git snapshot
// or a target that is not an empty directory; kNotFound when git is missing; kCorruption when
// the bundle or the restored refs differ from the manifest. A failure after `git init` leaves
// the partial repository in the target, and says so.
Result<GitRestoreResult> RestoreGitRepository(repo::Repository& repository,
                                              const repo::Snapshot& snapshot,
                                              const GitRestoreOptions& options);

}  // namespace lifeboat::sources::git
