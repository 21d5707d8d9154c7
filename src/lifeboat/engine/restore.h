// Restore: writes a snapshot (or the parts selected by --include/--exclude) under a target
// directory, recreating every entry at <target>/<absolute path in the snapshot> with its
// content and metadata.
//
// Data is restored pack by pack on several threads: each pack is read once (in ranges that
// cover the blobs needed), every blob is decrypted and verified, and written at each offset
// where it occurs. Blobs of zeros are not written, so sparse files stay sparse. Metadata is
// applied last, directories deepest first, so directory times survive.
//
// Safety: names come from verified trees (no '/', '.', '..'); every directory on the way is
// created by the restore or must already be a real directory (never a symlink), and files are
// opened with O_NOFOLLOW, so nothing is written outside the target.
// A damaged blob fails only the files that use it: they are reported, the rest is restored.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "lifeboat/engine/fs_metadata.h"
#include "lifeboat/repo/repository.h"

namespace lifeboat::engine {

struct RestoreProgress {
  std::atomic<uint64_t> files_done{0};
  std::atomic<uint64_t> bytes_done{0};
  std::atomic<uint64_t> files_total{0};
  std::atomic<uint64_t> bytes_total{0};
};

struct RestoreOptions {
  std::string target;
  std::vector<std::string> includes;  // PathPattern syntax; empty = everything
  std::vector<std::string> excludes;
  bool verify = false;  // re-read restored files and compare with the snapshot
  int threads = 0;      // 0 = number of cores (at least 2)
  ApplyOptions metadata;
};

struct RestoreResult {
  uint64_t files = 0;
  uint64_t dirs = 0;
  uint64_t other_entries = 0;
  uint64_t bytes = 0;
  uint64_t verified_files = 0;
  std::vector<std::string> errors;  // one message per entry that could not be restored
};

// The repository must be open with its index loaded. kInvalidArgument for bad patterns or an
// empty target. Entry-level failures are returned in RestoreResult::errors, not as a Status.
Result<RestoreResult> RestoreSnapshot(repo::Repository& repository, const repo::Snapshot& snapshot,
                                      const RestoreOptions& options, RestoreProgress* progress);

}  // namespace lifeboat::engine
