// Copy: puts snapshots of one repository into another, for `lifeboat copy`. The two have their
// own keys, so every blob and tree gets a new id in the destination (an HMAC under the
// destination's key): each tree is read, its file chunks are read, hashed and stored unless
// the destination already has them, and the tree is written again with the new ids. Chunk
// boundaries stay as the source cut them, whatever the destination's chunker parameters.
//
// A copied snapshot keeps the original's metadata (time, host, user, paths, tags, excludes,
// source, manifest, summary) and records the original's id in `original`. A source snapshot
// is skipped when the destination already has one that is the same backup (SameBackup), so
// running copy again copies nothing twice.
//
// Write order, per snapshot: its blobs and trees, Flush (packs, then the index), then the
// snapshot. A copy that fails or is killed leaves no snapshot that is not complete; running
// it again finds the blobs already written and writes only the rest.
//
// Both repositories must be open with their index loaded; the caller holds their locks.
// CopySnapshots is called from one thread and reads the source on a few threads of its own.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "lifeboat/repo/repository.h"
#include "lifeboat/util/result.h"

namespace lifeboat::ops {

// Counters a progress display may read from another thread while a copy runs.
struct CopyProgress {
  std::atomic<uint64_t> snapshots_done{0};  // copied or skipped
  std::atomic<uint64_t> blobs_copied{0};
  std::atomic<uint64_t> bytes_copied{0};  // plaintext
  std::atomic<uint64_t> blobs_present{0};
  std::atomic<uint64_t> bytes_present{0};
};

struct CopyOptions {
  // Threads reading blobs from the source (and storing them), so a remote source's latency
  // does not serialise the copy.
  int threads = 8;
  // How many source → destination id pairs (blobs and trees each) a run remembers, so shared
  // data is read once. About 100 bytes each: the default bounds the maps near 100 MiB each.
  // Past the bound they are emptied: shared data is then read again, never written twice
  // (the destination's index decides that).
  size_t max_remembered_ids = size_t{1} << 20;
};

struct CopiedSnapshot {
  Id source_id;
  repo::Snapshot snapshot;  // as stored in the destination
  Id destination_id;        // the new snapshot, or the existing one for a skipped snapshot
  bool skipped = false;     // the destination already had this backup
};

struct CopyReport {
  std::vector<CopiedSnapshot> snapshots;  // in the order given
  uint64_t copied = 0;
  uint64_t skipped = 0;
  uint64_t blobs_copied = 0;   // data blobs written to the destination
  uint64_t bytes_copied = 0;   // their plaintext bytes
  uint64_t blobs_present = 0;  // data blobs the destination already had
  uint64_t bytes_present = 0;
  uint64_t trees_written = 0;  // tree blobs the destination did not have
  uint64_t bytes_stored = 0;   // pack bytes written for all new blobs, trees included
};

// Whether `existing` (with id existing_id, in the destination) is the same backup as
// `snapshot` (with id source_id, in the source): a copy of it, or of the snapshot it was
// itself copied from, or that snapshot itself (a copy going back); or, for snapshots without
// that record, one with the same time, host, user, paths, tags, excludes, source and manifest,
// as restic decides.
bool SameBackup(const Id& source_id, const repo::Snapshot& snapshot, const Id& existing_id,
                const repo::Snapshot& existing);

// Copies the snapshots given (with their ids in the source), oldest first is best, skipping
// those the destination already has. A failure stops the copy: snapshots copied before it stay
// (each complete); the error names the snapshot and, in a hint, how many were copied.
// `progress` may be null.
Result<CopyReport> CopySnapshots(repo::Repository& source, repo::Repository& destination,
                                 const std::vector<std::pair<Id, repo::Snapshot>>& snapshots,
                                 const CopyOptions& options, CopyProgress* progress);

}  // namespace lifeboat::ops
