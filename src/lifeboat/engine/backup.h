// Backup: turns file trees or a byte stream into a snapshot.
//
// The pipeline: the calling thread walks the paths (in byte-wise name order), skips files whose
// size, mtime, ctime and inode match the parent snapshot, reads the others and cuts them into
// content-defined chunks; a pool of workers hashes, deduplicates, compresses, encrypts and packs
// the chunks; a directory's tree blob is written as soon as its last entry is done. Memory stays
// bounded by a byte-limited queue between the reader and the workers.
//
// Unreadable entries are warnings: they are left out, counted in summary.errors, and the
// snapshot is still written (the caller reports a partial backup). Repository failures are
// fatal: no snapshot is written, and what was stored stays valid (packs → index → snapshot).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lifeboat/repo/repository.h"
#include "lifeboat/util/result.h"

namespace lifeboat::engine {

// Live counters for a progress display; written by the backup, read by anyone.
struct BackupProgress {
  std::atomic<uint64_t> files_done{0};
  std::atomic<uint64_t> bytes_done{0};
  std::atomic<uint64_t> files_total{0};  // from a concurrent scan; valid when scan_done
  std::atomic<uint64_t> bytes_total{0};
  std::atomic<bool> scan_done{false};
  std::atomic<uint64_t> errors{0};
};

struct BackupOptions {
  std::vector<std::string> paths;     // files or directories; relative paths are made absolute
  std::vector<std::string> excludes;  // PathPattern syntax, matched against absolute paths
  std::vector<std::string> tags;
  std::string hostname;
  std::string username;
  // Snapshot to compare against for unchanged files: an id prefix or "latest". Unset: the
  // newest snapshot with the same host and paths.
  std::optional<std::string> parent;
  bool force_reread = false;  // read every file even if unchanged
  int threads = 0;            // workers; 0 = number of cores
  bool scan_totals = false;   // run a concurrent scan so progress can show an ETA
  std::string program_version;
  // Called for each warning (unreadable file, vanished file, skipped socket).
  std::function<void(const std::string&)> on_warning;
};

struct StreamBackupOptions {
  std::string filename;          // the name of the single file in the snapshot
  std::string source = "stdin";  // "stdin" or "command"
  std::vector<std::string> tags;
  std::string hostname;
  std::string username;
  int threads = 0;
  std::string program_version;
  // Called at end of stream, before the snapshot is written; an error aborts the backup without
  // a snapshot (e.g. the command producing the stream exited non-zero).
  std::function<Status()> before_commit;
};

struct BackupResult {
  Id snapshot_id;
  repo::Snapshot snapshot;
  std::vector<std::string> warnings;
  bool partial() const { return snapshot.summary.errors > 0; }
};

// The repository must be open with its index loaded and a lock held by the caller.
Result<BackupResult> BackupPaths(repo::Repository& repository, const BackupOptions& options,
                                 BackupProgress* progress);

// Stores everything readable from fd until end of stream as one file.
Result<BackupResult> BackupStream(repo::Repository& repository, int fd,
                                  const StreamBackupOptions& options, BackupProgress* progress);

// Turns a user-given path into the absolute, lexically normal form stored in snapshots.
std::string AbsolutePath(const std::string& path);

}  // namespace lifeboat::engine
