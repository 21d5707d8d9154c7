// SnapshotWriter: builds a snapshot from named byte streams rather than a directory walk — the
// shape of sources that produce data (a database's dump and per-table row streams, a bucket's
// objects). Several files may be written at once from different threads; all share one pool of
// workers that hash, compress, encrypt and pack, and one optional chunker tuned for the source
// (database streams dedup far better with small chunks than file trees need).
//
// Use: open the repository and lock it, construct a writer, Open() each file by its path in the
// snapshot ("app/tables/public.users.copy"), Write()/WriteFrom() its bytes and Close() it, then
// Commit() the snapshot. Nothing is visible in the repository until Commit() stores the
// snapshot; a writer destroyed without Commit() leaves only unreferenced packs behind.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "lifeboat/engine/backup.h"
#include "lifeboat/repo/chunker.h"
#include "lifeboat/repo/repository.h"

namespace lifeboat::engine {

namespace internal {
class BackupRun;
class StreamChunker;
}  // namespace internal

struct SnapshotWriterOptions {
  int threads = 0;  // workers; 0 = number of cores
  // Chunk sizes for every file of this snapshot; unset: the repository's.
  std::optional<repo::ChunkerParams> chunker;
  BackupProgress* progress = nullptr;
};

class SnapshotWriter;

// One file being written. Used from one thread; destroyed before its writer.
class StreamFile {
 public:
  ~StreamFile();
  Status Write(ByteView data);
  // Reads fd to its end; `what` names the stream in errors.
  Status WriteFrom(int fd, const std::string& what);
  // Ends the file; its chunks finish storing in the background. Returns its size.
  Result<uint64_t> Close();
  uint64_t size() const;

 private:
  friend class SnapshotWriter;
  StreamFile() = default;
  std::unique_ptr<internal::StreamChunker> chunker_;
  bool closed_ = false;
};

class SnapshotWriter {
 public:
  SnapshotWriter(repo::Repository& repository, const SnapshotWriterOptions& options);
  ~SnapshotWriter();

  // path: relative, '/'-separated, no empty, "." or ".." components; each path once.
  Result<std::unique_ptr<StreamFile>> Open(const std::string& path, uint32_t mode = 0600);
  // As Open, but the file's metadata (mode, owner, times, extended attributes) is `like`'s,
  // as ReadNodeMetadata gave it: a file copied from disk keeps it through `restore`.
  Result<std::unique_ptr<StreamFile>> Open(const std::string& path, const repo::Node& like);

  // After every file is closed: writes the directory trees, packs and index, then the snapshot
  // (its tree and summary filled in here). Fails, storing no snapshot, if any file failed.
  Result<BackupResult> Commit(repo::Snapshot snapshot);

 private:
  repo::Repository& repository_;
  std::unique_ptr<repo::Chunker> chunker_;
  int64_t start_ns_ = 0;
  std::mutex files_mutex_;
  std::map<std::string, std::optional<repo::Node>> files_;  // path → node once done
  // Last, so it is destroyed first: stopping its workers may still hand nodes to files_.
  std::unique_ptr<internal::BackupRun> run_;
};

}  // namespace lifeboat::engine
