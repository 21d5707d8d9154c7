// Prune: frees the space of data no snapshot needs, without ever stopping a backup. It works in
// two phases spread over two runs (docs/FORMAT.md, "Pruning"):
//  - mark: packs no snapshot uses are listed in a garbage marker (repo/garbage.h); packs that
//    are partly used, while the repository's unused share exceeds max_unused, are repacked —
//    their used blobs are copied into new packs, written and indexed first — and marked too;
//  - sweep, in a later run once the marker is older than the grace period: the marked packs no
//    snapshot has come to need are deleted, after the index files that list them have been
//    rewritten without them. A marker is not swept while any lock taken before the mark is still
//    held: the operation holding it may have deduplicated against a marked pack.
// Each run sweeps the markers that are due, then marks.
//
// Use: open the repository, take a shared lock (passed in PruneOptions::own_locks), and call
// Prune from one thread. Prune takes the prune lock itself (kLockHeld naming the holder when
// another prune runs) and loads the index itself.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lifeboat/repo/lock.h"
#include "lifeboat/repo/repository.h"
#include "lifeboat/util/result.h"

namespace lifeboat::ops {

inline constexpr double kDefaultMaxUnused = 0.05;
inline constexpr int64_t kDefaultPruneGraceSeconds = 60 * 60;
// A lock taken up to this long after a mark still counts as taken before it: this covers the
// time the marker takes to be written and the clock difference between hosts. A mark whose
// marker took longer to write is undone.
inline constexpr int64_t kMarkSafetyMarginSeconds = 5 * 60;

struct PruneOptions {
  // The share of the repository's pack bytes that may stay unused in partly used packs; above
  // it, the most wasteful packs are repacked until the share is below. 0 repacks every partly
  // used pack; 1 or more never repacks.
  double max_unused = kDefaultMaxUnused;
  // How old a marker must be before its packs are deleted: longer than any backup takes.
  int64_t grace_seconds = kDefaultPruneGraceSeconds;
  bool dry_run = false;  // plan only: nothing is written or removed, no lock taken beyond ours
  std::string hostname;
  std::string username;
  // Locks of this process that do not stand for a concurrent operation (the caller's shared
  // lock); the prune lock Prune takes is added to them.
  std::vector<const repo::RepositoryLock*> own_locks;
};

struct PruneReport {
  bool dry_run = false;
  // Sweep.
  uint64_t markers_swept = 0;
  uint64_t packs_swept = 0;  // deleted (or, on a dry run, that would be)
  uint64_t bytes_swept = 0;
  uint64_t packs_rescued = 0;  // marked packs a snapshot written since needs: kept
  uint64_t index_files_rewritten = 0;
  uint64_t markers_waiting = 0;  // younger than the grace period
  int64_t next_sweep_ns = 0;     // when the oldest waiting marker becomes due (0: none)
  // Due markers not swept, each with the reason: "marker 1a2b3c4d (marked <time>): a shared
  // lock held by ... since ... was taken before the mark".
  std::vector<std::string> deferred;
  // Mark.
  uint64_t packs_unused = 0;  // no snapshot uses them (including packs no index lists)
  uint64_t bytes_unused = 0;
  uint64_t packs_unindexed = 0;  // of packs_unused: listed by no index (an interrupted backup)
  uint64_t packs_repacked = 0;   // partly used packs whose used blobs are copied
  uint64_t bytes_repacked = 0;   // their size
  uint64_t blobs_copied = 0;
  uint64_t bytes_copied = 0;  // stored bytes of the copied blobs
  std::string marker;         // the new marker's name; empty when nothing was marked
  // The repository after this run's sweep, before the mark.
  uint64_t packs_total = 0;
  uint64_t bytes_total = 0;
  uint64_t bytes_used = 0;          // stored bytes of the blobs snapshots use
  uint64_t bytes_unused_after = 0;  // unused bytes left in partly used packs after the mark
};

// Runs one prune: sweeps due markers, then marks. `on_plan` (may be null) receives the report
// of what will be done before anything is changed; with dry_run nothing is. Fails with
// kLockHeld when another prune runs; kCorruption (nothing changed) when a snapshot, tree or index
// file cannot be read or a snapshot uses a blob no index lists — prune must see everything that
// is used before it deletes anything. `progress` (may be null) gets short phase messages.
Result<PruneReport> Prune(repo::Repository& repository, const PruneOptions& options,
                          const std::function<void(const PruneReport&)>& on_plan,
                          const std::function<void(std::string_view)>& progress);

// "5%", "0.5%", "100%", "unlimited": a share for --max-unused. kInvalidArgument otherwise.
Result<double> ParseMaxUnused(std::string_view text);
// "1h", "30m", "90s", "2d", "0": seconds for --grace. kInvalidArgument otherwise.
Result<int64_t> ParseGrace(std::string_view text);

}  // namespace lifeboat::ops
