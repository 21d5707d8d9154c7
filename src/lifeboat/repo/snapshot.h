// Snapshot: the record of one backup — when, from where, of what (paths or a stream), its root
// tree, its parent, tags and a summary of the work done. Stored sealed as JSON under
// snapshots/<sha256 of the stored bytes>; a snapshot is written last, after the packs and index
// it depends on, so a visible snapshot is always complete.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lifeboat/util/bytes.h"
#include "lifeboat/util/id.h"
#include "lifeboat/util/result.h"

namespace lifeboat::repo {

struct SnapshotSummary {
  uint64_t files_new = 0;
  uint64_t files_changed = 0;
  uint64_t files_unmodified = 0;
  uint64_t dirs = 0;
  uint64_t other_entries = 0;  // symlinks, devices, FIFOs
  uint64_t errors = 0;         // entries that could not be read (a partial backup)
  uint64_t blobs_added = 0;
  uint64_t bytes_added = 0;         // plaintext bytes of new blobs
  uint64_t bytes_added_stored = 0;  // bytes written to packs for them
  uint64_t total_files = 0;
  uint64_t total_bytes = 0;  // plaintext bytes of every file in the snapshot
  int64_t start_ns = 0;
  int64_t end_ns = 0;
};

struct Snapshot {
  int64_t time_ns = 0;
  std::string hostname;
  std::string username;
  std::vector<std::string> paths;  // absolute; for stdin backups, the file name given
  std::vector<std::string> tags;
  std::vector<std::string> excludes;
  std::string source = "files";  // files | stdin | command
  std::string program_version;
  Id tree;
  std::optional<Id> parent;
  SnapshotSummary summary;
  // What a source records about itself (a database's manifest), as a JSON object's text;
  // stored as an object under "manifest". Unset for file backups.
  std::optional<std::string> manifest;
  // Set on a snapshot written by `copy`: the id of the snapshot it was copied from, in that
  // repository (for a copy of a copy, the first one's), so copying again recognises it.
  std::optional<Id> original;
};

Bytes EncodeSnapshot(const Snapshot& snapshot);
Result<Snapshot> DecodeSnapshot(ByteView data);
// The snapshot as a JSON object for --json output, with its id.
std::string SnapshotToJson(const Id& id, const Snapshot& snapshot);

}  // namespace lifeboat::repo
