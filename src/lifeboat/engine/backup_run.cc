#include "lifeboat/engine/backup_run.h"

#include <unistd.h>

#include <cerrno>

namespace lifeboat::engine::internal {

StreamChunker::StreamChunker(BackupRun& run, const repo::Chunker& chunker,
                             std::shared_ptr<FileState> file)
    : run_(run), chunker_(chunker), file_(std::move(file)) {
  const size_t max_chunk = chunker_.params().max_size;
  buffer_.reserve(max_chunk + max_chunk / 2 + kReadBlock);
}

void StreamChunker::Emit(size_t length) {
  ChunkTask task;
  task.file = file_;
  {
    std::lock_guard lock(file_->chunks_mutex);
    task.index = file_->chunks.size();
    file_->chunks.emplace_back();
  }
  task.data.assign(buffer_.begin() + start_, buffer_.begin() + start_ + length);
  file_->remaining.fetch_add(1, std::memory_order_relaxed);
  start_ += length;
  run_.Submit(std::move(task));
}

Status StreamChunker::Cut(bool at_end) {
  const size_t max_chunk = chunker_.params().max_size;
  while (start_ < buffer_.size()) {
    if (run_.failed()) return run_.fatal();
    ByteView rest(buffer_.data() + start_, buffer_.size() - start_);
    if (!at_end && rest.size() < max_chunk) break;  // a later byte may still move the cut
    Emit(chunker_.FindBoundary(rest));
  }
  // Drop consumed bytes only once they reach half a maximum chunk: compacting on every
  // refill moved up to 8 MiB per 1 MiB read.
  if (start_ >= max_chunk / 2 || start_ == buffer_.size()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + start_);
    start_ = 0;
  }
  return run_.failed() ? run_.fatal() : Status::Ok();
}

Status StreamChunker::Append(ByteView data) {
  buffer_.insert(buffer_.end(), data.begin(), data.end());
  total_ += data.size();
  return Cut(false);
}

Status StreamChunker::AppendFrom(int fd, const std::string& what) {
  while (true) {
    const size_t old_size = buffer_.size();
    buffer_.resize(old_size + kReadBlock);
    ssize_t n;
    do {
      n = read(fd, buffer_.data() + old_size, kReadBlock);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      const int error = errno;
      buffer_.resize(old_size);
      return ErrnoError(error, "reading " + what);
    }
    buffer_.resize(old_size + static_cast<size_t>(n));
    if (n == 0) return Status::Ok();
    total_ += static_cast<uint64_t>(n);
    LIFEBOAT_RETURN_IF_ERROR(Cut(false));
  }
}

Status StreamChunker::Finish() { return Cut(true); }

std::shared_ptr<DirState> MakeRoot(size_t children) {
  auto root = std::make_shared<DirState>();
  root->node.type = NodeType::kDirectory;
  root->slots.resize(children);
  root->pending.store(static_cast<int64_t>(children) + 1);
  return root;
}

Result<BackupResult> CommitSnapshot(repo::Repository& repository, repo::Snapshot snapshot,
                                    const Id& root, std::vector<std::string> warnings) {
  LIFEBOAT_RETURN_IF_ERROR(repository.Flush());
  const repo::SessionStats stats = repository.session_stats();
  snapshot.tree = root;
  snapshot.summary.blobs_added = stats.blobs_added;
  snapshot.summary.bytes_added = stats.bytes_added;
  snapshot.summary.bytes_added_stored = stats.bytes_added_stored;
  snapshot.summary.end_ns = repository.clock().NowNanos();
  LIFEBOAT_ASSIGN_OR_RETURN(Id id, repository.SaveSnapshot(snapshot));
  return BackupResult{id, std::move(snapshot), std::move(warnings)};
}

}  // namespace lifeboat::engine::internal
