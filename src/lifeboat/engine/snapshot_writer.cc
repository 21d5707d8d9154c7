#include "lifeboat/engine/snapshot_writer.h"

#include <unistd.h>

#include <vector>

#include "lifeboat/engine/backup_run.h"

namespace lifeboat::engine {

using internal::BackupRun;
using internal::FileState;
using internal::StreamChunker;

namespace {

bool ValidPath(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find('/', begin);
    if (end == std::string::npos) end = path.size();
    const std::string_view part(path.data() + begin, end - begin);
    if (part.empty() || part == "." || part == ".." || part.find('\0') != std::string_view::npos) {
      return false;
    }
    begin = end + 1;
  }
  return true;
}

// A directory of the snapshot being assembled from file paths.
struct DirBuilder {
  std::map<std::string, DirBuilder> dirs;
  std::map<std::string, repo::Node> files;
};

Result<Id> SaveDirectory(repo::Repository& repository, DirBuilder& dir, const repo::Node& like) {
  repo::Tree tree;
  auto file = dir.files.begin();
  auto sub = dir.dirs.begin();
  // Both maps are in byte-wise name order; merge them, as trees must be sorted by name.
  while (file != dir.files.end() || sub != dir.dirs.end()) {
    if (sub == dir.dirs.end() || (file != dir.files.end() && file->first < sub->first)) {
      tree.nodes.push_back(std::move(file->second));
      ++file;
      continue;
    }
    if (file != dir.files.end() && file->first == sub->first) {
      return InvalidArgumentError("\"" + sub->first + "\" is both a file and a directory");
    }
    repo::Node node = like;
    node.name = sub->first;
    LIFEBOAT_ASSIGN_OR_RETURN(Id id, SaveDirectory(repository, sub->second, like));
    node.subtree = id;
    tree.nodes.push_back(std::move(node));
    ++sub;
  }
  return repository.SaveTree(tree);
}

}  // namespace

StreamFile::~StreamFile() = default;

Status StreamFile::Write(ByteView data) {
  if (closed_) return InternalError("write to a closed stream");
  return chunker_->Append(data);
}

Status StreamFile::WriteFrom(int fd, const std::string& what) {
  if (closed_) return InternalError("write to a closed stream");
  return chunker_->AppendFrom(fd, what);
}

uint64_t StreamFile::size() const { return chunker_->total(); }

Result<uint64_t> StreamFile::Close() {
  if (closed_) return InternalError("stream closed twice");
  closed_ = true;
  LIFEBOAT_RETURN_IF_ERROR(chunker_->Finish());
  const std::shared_ptr<FileState>& file = chunker_->file();
  file->node.size = chunker_->total();
  // The reader's own reference: whoever drops the last one hands the node on.
  if (file->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) chunker_->run().FileDone(file);
  return chunker_->total();
}

SnapshotWriter::SnapshotWriter(repo::Repository& repository, const SnapshotWriterOptions& options)
    : repository_(repository) {
  if (options.chunker) chunker_ = repository.MakeChunker(*options.chunker);
  run_ = std::make_unique<BackupRun>(repository, options.threads, options.progress);
  start_ns_ = repository.clock().NowNanos();
}

SnapshotWriter::~SnapshotWriter() = default;

Result<std::unique_ptr<StreamFile>> SnapshotWriter::Open(const std::string& path, uint32_t mode) {
  repo::Node like;
  like.mode = mode;
  like.uid = geteuid();
  like.gid = getegid();
  like.mtime_ns = like.atime_ns = like.ctime_ns = start_ns_;
  return Open(path, like);
}

Result<std::unique_ptr<StreamFile>> SnapshotWriter::Open(const std::string& path,
                                                         const repo::Node& like) {
  if (!ValidPath(path)) return InvalidArgumentError("invalid path in snapshot: \"" + path + "\"");
  {
    std::lock_guard lock(files_mutex_);
    if (!files_.emplace(path, std::nullopt).second) {
      return InvalidArgumentError("\"" + path + "\" written twice");
    }
  }
  auto file = std::make_shared<FileState>();
  repo::Node& node = file->node;
  node = like;
  node.name = path.substr(path.rfind('/') + 1);
  node.type = repo::NodeType::kFile;
  node.content.clear();
  node.subtree.reset();
  node.size = 0;
  file->on_done = [this, path](repo::Node done) {
    std::lock_guard lock(files_mutex_);
    files_[path] = std::move(done);
  };
  std::unique_ptr<StreamFile> stream(new StreamFile());
  stream->chunker_ = std::make_unique<StreamChunker>(
      *run_, chunker_ ? *chunker_ : repository_.chunker(), std::move(file));
  return stream;
}

Result<BackupResult> SnapshotWriter::Commit(repo::Snapshot snapshot) {
  run_->Stop();
  if (run_->failed()) return run_->fatal();
  DirBuilder root;
  uint64_t total_bytes = 0;
  {
    std::lock_guard lock(files_mutex_);
    for (auto& [path, node] : files_) {
      if (!node) return InternalError("\"" + path + "\" was not closed");
      DirBuilder* dir = &root;
      size_t begin = 0;
      for (size_t slash; (slash = path.find('/', begin)) != std::string::npos; begin = slash + 1) {
        dir = &dir->dirs[path.substr(begin, slash - begin)];
      }
      total_bytes += node->size;
      dir->files.emplace(node->name, std::move(*node));
    }
    snapshot.summary.files_new = files_.size();
    snapshot.summary.total_files = files_.size();
  }
  snapshot.summary.total_bytes = total_bytes;
  if (snapshot.summary.start_ns == 0) snapshot.summary.start_ns = start_ns_;
  if (snapshot.time_ns == 0) snapshot.time_ns = start_ns_;
  repo::Node dir_like;
  dir_like.type = repo::NodeType::kDirectory;
  dir_like.mode = 0700;
  dir_like.uid = geteuid();
  dir_like.gid = getegid();
  dir_like.mtime_ns = dir_like.atime_ns = dir_like.ctime_ns = start_ns_;
  LIFEBOAT_ASSIGN_OR_RETURN(Id tree, SaveDirectory(repository_, root, dir_like));
  return internal::CommitSnapshot(repository_, std::move(snapshot), tree, {});
}

}  // namespace lifeboat::engine
