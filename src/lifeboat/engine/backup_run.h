// Internal to the engine: the machinery one backup run shares between the thread that reads
// (a directory walk, a stream, several database streams) and the workers that hash, compress,
// encrypt and pack chunks. Not a public interface: backup.cc and snapshot_writer.cc use it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lifeboat/engine/backup.h"
#include "lifeboat/repo/chunker.h"
#include "lifeboat/repo/repository.h"
#include "lifeboat/util/bounded_queue.h"

namespace lifeboat::engine::internal {

using repo::ContentChunk;
using repo::Node;
using repo::NodeType;
using repo::Tree;

constexpr size_t kReadBlock = 1 << 20;
// Chunks read but not yet stored; bounds memory while keeping every worker busy.
constexpr size_t kQueuedChunkBytes = 8 << 20;

// A directory whose entries are still being stored. Entries are placed in `slots` in name
// order; `pending` counts unfinished entries plus one for the walk itself.
struct DirState {
  Node node;
  std::shared_ptr<DirState> parent;
  size_t slot = 0;
  std::vector<std::optional<Node>> slots;
  std::atomic<int64_t> pending{1};
};

// A file whose chunks are being stored; `remaining` counts chunks plus one for the reader.
struct FileState {
  Node node;
  // Set for files that belong to no directory being walked (SnapshotWriter): receives the
  // finished node instead of the parent directory.
  std::function<void(Node)> on_done;
  std::shared_ptr<DirState> parent;
  size_t slot = 0;
  std::vector<ContentChunk> chunks;
  std::mutex chunks_mutex;
  std::atomic<int64_t> remaining{1};
  std::atomic<bool> dropped{false};  // unreadable: left out of the snapshot
};

struct ChunkTask {
  std::shared_ptr<FileState> file;
  size_t index = 0;
  Bytes data;
};

class Walker;

// Everything one backup run shares between the walking thread and the workers.
class BackupRun {
 public:
  BackupRun(repo::Repository& repository, int threads, BackupProgress* progress)
      : repository_(repository), progress_(progress), queue_(kQueuedChunkBytes) {
    const int workers = threads > 0 ? threads : std::max(2u, std::thread::hardware_concurrency());
    for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  }
  ~BackupRun() { Stop(); }

  void Stop() {
    queue_.Close();
    for (auto& worker : workers_) {
      if (worker.joinable()) worker.join();
    }
  }

  repo::Repository& repository() { return repository_; }
  BackupProgress* progress() { return progress_; }

  bool failed() {
    std::lock_guard lock(error_mutex_);
    return !fatal_.ok();
  }
  Status fatal() {
    std::lock_guard lock(error_mutex_);
    return fatal_;
  }
  void Fail(const Status& status) {
    std::lock_guard lock(error_mutex_);
    if (fatal_.ok()) fatal_ = status;
  }

  void Submit(ChunkTask task) {
    const size_t cost = task.data.size();
    if (!queue_.Push(std::move(task), cost)) Fail(CancelledError("backup stopped"));
  }

  // Called when an entry of `dir` is final. Writes the directory's tree when it was the last.
  void CompleteEntry(const std::shared_ptr<DirState>& dir, size_t slot, std::optional<Node> node) {
    dir->slots[slot] = std::move(node);
    Release(dir);
  }

  void Release(std::shared_ptr<DirState> dir) {
    while (dir && dir->pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      Tree tree;
      tree.nodes.reserve(dir->slots.size());
      for (auto& slot : dir->slots) {
        if (slot) tree.nodes.push_back(std::move(*slot));
      }
      dir->slots.clear();
      Result<Id> id = repository_.SaveTree(tree);
      if (!id.ok()) {
        Fail(id.status().WithContext("saving tree of " + dir->node.name));
        return;
      }
      dir->node.subtree = *id;
      std::shared_ptr<DirState> parent = dir->parent;
      if (!parent) {
        std::lock_guard lock(error_mutex_);
        root_tree_ = *id;
        return;
      }
      parent->slots[dir->slot] = std::move(dir->node);
      dir = std::move(parent);
    }
  }

  // Called once, by whichever thread drops the file's last reference count.
  void FileDone(const std::shared_ptr<FileState>& file) {
    if (file->dropped.load(std::memory_order_acquire)) return;
    {
      std::lock_guard lock(file->chunks_mutex);
      file->node.content = std::move(file->chunks);
    }
    if (progress_) progress_->files_done++;
    if (file->on_done) {
      file->on_done(std::move(file->node));
      return;
    }
    CompleteEntry(file->parent, file->slot, std::move(file->node));
  }

  std::optional<Id> root_tree() {
    std::lock_guard lock(error_mutex_);
    return root_tree_;
  }

 private:
  void WorkerLoop() {
    while (auto task = queue_.Pop()) {
      if (failed()) continue;
      const Id id = repository_.HashBlob(task->data);
      Result<bool> saved = repository_.SaveBlob(repo::BlobType::kData, id, task->data);
      if (!saved.ok()) {
        Fail(saved.status());
        continue;
      }
      if (progress_) progress_->bytes_done += task->data.size();
      std::shared_ptr<FileState> file = std::move(task->file);
      {
        std::lock_guard lock(file->chunks_mutex);
        file->chunks[task->index] = ContentChunk{id, static_cast<uint32_t>(task->data.size())};
      }
      if (file->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) FileDone(file);
    }
  }

  repo::Repository& repository_;
  BackupProgress* progress_;
  BoundedQueue<ChunkTask> queue_;
  std::vector<std::thread> workers_;
  std::mutex error_mutex_;
  Status fatal_;
  std::optional<Id> root_tree_;
};

// Cuts one file's bytes into content-defined chunks and submits them to the run's workers.
// Bytes arrive by Append (a producer's buffers) or AppendFrom (a file descriptor); Finish cuts
// the rest. Used from one thread; each file being written has its own StreamChunker.
class StreamChunker {
 public:
  StreamChunker(BackupRun& run, const repo::Chunker& chunker, std::shared_ptr<FileState> file);
  Status Append(ByteView data);
  // Reads fd to its end; `what` names it in errors.
  Status AppendFrom(int fd, const std::string& what);
  // Emits what is left as the last chunk(s).
  Status Finish();
  uint64_t total() const { return total_; }
  BackupRun& run() { return run_; }
  const std::shared_ptr<FileState>& file() const { return file_; }

 private:
  void Emit(size_t length);
  // Emits every chunk whose end no later byte can move; with at_end, all of them.
  Status Cut(bool at_end);

  BackupRun& run_;
  const repo::Chunker& chunker_;
  std::shared_ptr<FileState> file_;
  Bytes buffer_;
  size_t start_ = 0;
  uint64_t total_ = 0;
};

std::shared_ptr<DirState> MakeRoot(size_t children);

// Writes packs and index (Flush), fills the summary's storage figures and stores the snapshot
// with `root` as its tree. The run must have stopped without a fatal error.
Result<BackupResult> CommitSnapshot(repo::Repository& repository, repo::Snapshot snapshot,
                                    const Id& root, std::vector<std::string> warnings);

}  // namespace lifeboat::engine::internal
