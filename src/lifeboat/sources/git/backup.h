// Backs up a git repository — every branch, tag and other ref — into a lifeboat snapshot as one
// bundle (`git bundle create --all`), the form the seeds' teams already use, which `git clone`
// and `git fetch` read directly. git's output streams straight into the snapshot (no temporary
// file) and, through a pipe, into `git bundle verify` at the same time; the snapshot is
// committed only when bundle creation and verification both succeed and the bundle's refs are
// the ones listed before it was made.
//
// What `git bundle verify` checks (git 2.39): the header, and that the repository has every
// prerequisite object (a full bundle has none). It does not read the pack; git itself checks
// each object when the bundle is fetched at restore (restore.h), and the manifest's SHA-256
// guards the bytes in between.
//
// The snapshot: source "git", paths [the repository's absolute path], a tree of repo.bundle and
// manifest.json, and the manifest (manifest.h) in its record.
#pragma once

#include <string>
#include <vector>

#include "lifeboat/engine/backup.h"
#include "lifeboat/repo/chunker.h"
#include "lifeboat/repo/repository.h"
#include "lifeboat/sources/git/manifest.h"

namespace lifeboat::sources::git {

// 64 KiB average chunks: a day's new commits shift the bundle's pack around the objects they
// add, and smaller chunks keep the unchanged objects' bytes in chunks already stored.
inline constexpr repo::ChunkerParams kBundleChunker{16 * 1024, 64 * 1024, 256 * 1024};

struct GitBackupOptions {
  std::string path;  // the working tree's top level, or a bare repository
  std::vector<std::string> tags;
  std::string hostname;
  std::string username;
  std::string program_version;
};

struct GitBackupResult {
  engine::BackupResult backup;
  GitManifest manifest;
};

// The repository must be open with its index loaded and a lock held. Errors, each storing no
// snapshot: git missing (kNotFound), the path missing or not a repository's top level
// (kInvalidArgument), a repository without commits (kInvalidArgument), git failing or rejecting
// the bundle (kIoError / kCorruption), refs changing during the backup (kUnavailable).
Result<GitBackupResult> BackupGitRepository(repo::Repository& repository,
                                            const GitBackupOptions& options,
                                            engine::BackupProgress* progress);

}  // namespace lifeboat::sources::git
