// Repair: puts a damaged repository back into a consistent state, keeping everything that can
// still be read.
//  - RepairIndex rebuilds the index from the packs' own headers (every pack is self-describing,
//    docs/FORMAT.md): new index files are written first, then the old ones removed, so a crash
//    leaves packs listed twice at worst. A pack whose header cannot be read is left out (its
//    blobs are lost) and named in the report. Garbage markers that cannot be read are removed:
//    their packs become ordinary packs again, which the next prune marks if nothing uses them.
//  - RepairSnapshots writes, for each snapshot that uses something lost, a new snapshot without
//    the damaged files and directories, tagged "repaired"; the original stays unless `forget`.
//
// Use: open the repository and hold a shared lock. RepairIndex takes a prune lock itself
// (so no prune deletes a pack it is indexing); backups may run meanwhile. RepairSnapshots needs
// the index loaded. Call from one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lifeboat/repo/repository.h"
#include "lifeboat/util/result.h"

namespace lifeboat::ops {

inline constexpr std::string_view kRepairedTag = "repaired";

struct RepairIndexOptions {
  bool dry_run = false;
  std::string hostname;
  std::string username;
};

struct RepairIndexReport {
  uint64_t packs = 0;  // packs indexed from their headers
  uint64_t blobs = 0;
  uint64_t index_files_written = 0;
  uint64_t index_files_removed = 0;
  // "pack <hex>: <why its header cannot be read>", sorted.
  std::vector<std::string> unreadable_packs;
  uint64_t markers_removed = 0;  // garbage markers that could not be read
};

Result<RepairIndexReport> RepairIndex(repo::Repository& repository,
                                      const RepairIndexOptions& options,
                                      const std::function<void(std::string_view)>& progress);

struct RepairSnapshotsOptions {
  bool forget = false;     // remove each original that was repaired (or cannot be read at all)
  bool read_data = false;  // read every data blob, not only look it up in the index
  bool dry_run = false;
};

struct RepairedSnapshot {
  Id original;
  std::optional<Id> repaired;  // unset when nothing of it could be kept, or on a dry run
  // What was left out: "/srv/a.txt: blob <hex> is not in the index", in walk order.
  std::vector<std::string> removed;
  bool unreadable = false;  // the snapshot file or its root tree cannot be read
  bool forgotten = false;   // the original was removed
};

struct RepairSnapshotsReport {
  uint64_t snapshots_checked = 0;
  std::vector<RepairedSnapshot> damaged;  // only the snapshots that needed repair
};

Result<RepairSnapshotsReport> RepairSnapshots(
    repo::Repository& repository, const RepairSnapshotsOptions& options,
    const std::function<void(std::string_view)>& progress);

}  // namespace lifeboat::ops
