// Inspect: read-only views of what a repository holds, for ls, dump, diff and stats. Paths are
// absolute within a snapshot ("/srv/app/config.yml"); the leading '/' is optional, so a stream
// backup's single file is found by its name ("mydb.dump").
//
// The repository must be open with its index loaded (ComputeStats loads it when it is empty).
// These functions read trees and blobs through the repository and may be called from any
// thread; each call uses its caller's thread (DumpFile also reads ahead on a few of its own).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lifeboat/repo/repository.h"
#include "lifeboat/util/result.h"

namespace lifeboat::ops {

struct ListedNode {
  std::string path;  // absolute path within the snapshot
  repo::Node node;   // without its content chunk list (see ListSnapshotPath)
};

// Lists the entry at `path` ("/" or "" is the root, which has no entry of its own) and, when it
// is a directory, its contents, sorted by name; `recursive` descends fully, each directory
// followed by its contents. Content chunk lists are left empty: a listing of a large snapshot
// would otherwise hold a chunk list for all of its data (use FindNode for one file's).
// kNotFound "path /x is not in the snapshot" when nothing is at `path`.
Result<std::vector<ListedNode>> ListSnapshotPath(repo::Repository& repository,
                                                 const repo::Snapshot& snapshot,
                                                 std::string_view path, bool recursive);

// Finds one node by absolute path. The root ("/" or "") is returned as a directory node with
// an empty name whose subtree is the snapshot's tree. kNotFound as for ListSnapshotPath.
Result<repo::Node> FindNode(repo::Repository& repository, const repo::Snapshot& snapshot,
                            std::string_view path);

// Streams a file's content to fd, in order, verifying every chunk; handles short writes and
// EINTR. kInvalidArgument when `path` is not a regular file; kNotFound as for FindNode; the
// write error's code (e.g. kIoError) when fd fails. On error some content may have been written.
Status DumpFile(repo::Repository& repository, const repo::Snapshot& snapshot, std::string_view path,
                int fd);

struct DiffEntry {
  // '+' added, '-' removed, 'M' content changed (file data, symlink target, device number),
  // 'U' metadata only (mode, owner, mtime, xattrs), 'T' type changed
  char change;
  std::string path;
};

struct DiffReport {
  std::vector<DiffEntry> entries;  // in path order, each directory before its contents
  uint64_t added_files = 0;        // regular files, including those of a changed type
  uint64_t removed_files = 0;
  uint64_t changed_files = 0;  // regular files whose content changed
  // Bytes of file content present in one snapshot and not the other: whole added and removed
  // files, and for changed files the chunks gained or lost.
  uint64_t added_bytes = 0;
  uint64_t removed_bytes = 0;
};

// Walks both trees together, skipping identical subtrees by id. Added or removed directories
// are listed with everything in them. Access and change times, inode, device and link count
// are not compared: they change whenever a tree is copied or read.
Result<DiffReport> DiffSnapshots(repo::Repository& repository, const repo::Snapshot& from,
                                 const repo::Snapshot& to);

struct RepositoryStats {
  uint64_t snapshots = 0;
  uint64_t packs = 0;  // pack files in storage
  uint64_t blobs = 0;  // index entries (a blob stored twice counts twice)
  uint64_t data_blobs = 0;
  uint64_t tree_blobs = 0;
  uint64_t stored_bytes = 0;         // sum of pack sizes
  uint64_t raw_bytes = 0;            // sum of blob raw_length
  uint64_t restore_size_latest = 0;  // sum of file sizes in the latest snapshot
  double compression_ratio = 0;      // raw / stored bytes of blobs (0 when there are none)
  uint64_t index_memory_bytes = 0;   // the in-memory index
};

// Fails when a snapshot or index file cannot be read (`lifeboat check` says which).
Result<RepositoryStats> ComputeStats(repo::Repository& repository);

}  // namespace lifeboat::ops
