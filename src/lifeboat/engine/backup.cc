#include "lifeboat/engine/backup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "lifeboat/engine/backup_run.h"
#include "lifeboat/engine/fs_metadata.h"
#include "lifeboat/engine/path_pattern.h"
#include "lifeboat/util/bounded_queue.h"
#include "lifeboat/util/log.h"

namespace lifeboat::engine {

namespace {
using internal::BackupRun;
using internal::DirState;
using internal::FileState;
using internal::MakeRoot;
using internal::StreamChunker;
using repo::ContentChunk;
using repo::Node;
using repo::NodeType;
using repo::Tree;

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir == "/") return "/" + name;
  return dir + "/" + name;
}

// Reads fd to its end into `file`, cutting chunks with the repository's chunker.
Result<uint64_t> ChunkStream(BackupRun& run, int fd, const std::shared_ptr<FileState>& file,
                             const std::string& what) {
  StreamChunker chunker(run, run.repository().chunker(), file);
  LIFEBOAT_RETURN_IF_ERROR(chunker.AppendFrom(fd, what));
  LIFEBOAT_RETURN_IF_ERROR(chunker.Finish());
  return chunker.total();
}

class Walker {
 public:
  Walker(BackupRun& run, const BackupOptions& options, const PathPatternSet& excludes,
         repo::SnapshotSummary& summary, std::vector<std::string>& warnings)
      : run_(run), options_(options), excludes_(excludes), summary_(summary), warnings_(warnings) {}

  // Stores the entry at `path` as slot `slot` of `dir`. `old` is the same entry in the parent
  // snapshot, if any.
  void Entry(const std::string& path, const std::string& name, const std::shared_ptr<DirState>& dir,
             size_t slot, const Node* old) {
    if (run_.failed()) {
      run_.CompleteEntry(dir, slot, std::nullopt);
      return;
    }
    if (!excludes_.empty() && excludes_.Matches(path)) {
      run_.CompleteEntry(dir, slot, std::nullopt);
      return;
    }
    Result<Node> meta = ReadNodeMetadata(path, name);
    if (!meta.ok()) {
      Warn(meta.status().ToString());
      run_.CompleteEntry(dir, slot, std::nullopt);
      return;
    }
    Node node = std::move(meta).value();
    switch (node.type) {
      case NodeType::kFile:
        File(path, std::move(node), dir, slot, old);
        return;
      case NodeType::kDirectory:
        Directory(path, std::move(node), dir, slot, old);
        return;
      case NodeType::kSocket:
        // A socket belongs to a running program and means nothing without it: it is recorded
        // so listings are complete, and a restore leaves it out.
        LogVerbose(path + ": socket recorded, it will not be restored");
        [[fallthrough]];
      default:
        summary_.other_entries++;
        run_.CompleteEntry(dir, slot, std::move(node));
        return;
    }
  }

  // Enters a directory: lists it and stores every entry.
  void Directory(const std::string& path, Node node, const std::shared_ptr<DirState>& parent,
                 size_t slot, const Node* old) {
    summary_.dirs++;
    // Listing a directory updates its atime, so recording it would make every backup write
    // new trees for unchanged directories; directories restore with atime = mtime.
    node.atime_ns = node.mtime_ns;
    std::vector<std::string> names;
    Status listed = ListDirectory(path, &names);
    if (!listed.ok()) {
      // The directory itself is kept (with its metadata) even if its contents are unreadable.
      Warn(listed.ToString());
    }
    auto dir = std::make_shared<DirState>();
    dir->node = std::move(node);
    dir->parent = parent;
    dir->slot = slot;
    dir->slots.resize(names.size());
    dir->pending.store(static_cast<int64_t>(names.size()) + 1);
    std::optional<Tree> old_tree = LoadOldTree(old);
    for (size_t i = 0; i < names.size(); ++i) {
      const Node* old_child = FindOld(old_tree, names[i]);
      Entry(JoinPath(path, names[i]), names[i], dir, i, old_child);
    }
    run_.Release(dir);
  }

  // A directory that is only on the way to a selected path: its metadata, and the children
  // given (not its whole listing).
  std::shared_ptr<DirState> Intermediate(const std::string& path, const std::string& name,
                                         const std::shared_ptr<DirState>& parent, size_t slot,
                                         size_t children) {
    Node node;
    Result<Node> meta = ReadNodeMetadata(path, name);
    if (meta.ok() && meta->type == NodeType::kDirectory) {
      node = std::move(meta).value();
      node.atime_ns = node.mtime_ns;
    } else {
      node.name = name;
      node.type = NodeType::kDirectory;
      node.mode = 0755;
    }
    auto dir = std::make_shared<DirState>();
    dir->node = std::move(node);
    dir->parent = parent;
    dir->slot = slot;
    dir->slots.resize(children);
    dir->pending.store(static_cast<int64_t>(children) + 1);
    return dir;
  }

  std::optional<Tree> LoadOldTree(const Node* old) {
    if (!old || old->type != NodeType::kDirectory || !old->subtree) return std::nullopt;
    Result<Tree> tree = run_.repository().LoadTree(*old->subtree);
    if (!tree.ok()) return std::nullopt;  // the parent is only an optimisation
    return std::move(tree).value();
  }

  static const Node* FindOld(const std::optional<Tree>& tree, const std::string& name) {
    if (!tree) return nullptr;
    auto it = std::lower_bound(tree->nodes.begin(), tree->nodes.end(), name,
                               [](const Node& n, const std::string& key) { return n.name < key; });
    if (it == tree->nodes.end() || it->name != name) return nullptr;
    return &*it;
  }

 private:
  void Warn(std::string message) {
    summary_.errors++;
    if (run_.progress()) run_.progress()->errors++;
    if (options_.on_warning) options_.on_warning(message);
    warnings_.push_back(std::move(message));
  }

  Status ListDirectory(const std::string& path, std::vector<std::string>* names) {
    DIR* handle = opendir(path.c_str());
    if (!handle) return ErrnoError(errno, "listing " + path);
    errno = 0;
    while (dirent* entry = readdir(handle)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names->push_back(std::move(name));
    }
    const int error = errno;
    closedir(handle);
    std::sort(names->begin(), names->end());
    if (error != 0) return ErrnoError(error, "listing " + path);
    return Status::Ok();
  }

  bool Unchanged(const Node& node, const Node* old) {
    if (options_.force_reread || !old || old->type != NodeType::kFile) return false;
    if (old->size != node.size || old->mtime_ns != node.mtime_ns ||
        old->ctime_ns != node.ctime_ns || old->inode != node.inode) {
      return false;
    }
    // Reuse the old content only if every blob is still in the repository, and not only in a
    // pack that prune has marked for deletion (repo/garbage.h).
    for (const ContentChunk& chunk : old->content) {
      if (!run_.repository().HasBlob(chunk.id)) return false;
    }
    return true;
  }

  void File(const std::string& path, Node node, const std::shared_ptr<DirState>& dir, size_t slot,
            const Node* old) {
    summary_.total_files++;
    summary_.total_bytes += node.size;
    if (Unchanged(node, old)) {
      summary_.files_unmodified++;
      node.content = old->content;
      if (run_.progress()) {
        run_.progress()->files_done++;
        run_.progress()->bytes_done += node.size;
      }
      run_.CompleteEntry(dir, slot, std::move(node));
      return;
    }
    const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
    int open_errno = errno;
    int fd_final = fd;
    if (fd < 0 && open_errno == EPERM) {
      // O_NOATIME is only allowed on files we own.
      fd_final = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      open_errno = errno;
    }
    if (fd_final < 0) {
      summary_.total_files--;
      summary_.total_bytes -= node.size;
      Warn(ErrnoError(open_errno, "opening " + path).ToString());
      run_.CompleteEntry(dir, slot, std::nullopt);
      return;
    }
    if (old && old->type == NodeType::kFile) {
      summary_.files_changed++;
    } else {
      summary_.files_new++;
    }
    auto file = std::make_shared<FileState>();
    file->node = std::move(node);
    file->parent = dir;
    file->slot = slot;
    Result<uint64_t> read = ChunkStream(run_, fd_final, file, path);
    close(fd_final);
    if (!read.ok()) {
      if (run_.failed()) return;
      // Chunks already submitted still complete (their blobs are harmless); the file itself
      // is left out of the snapshot.
      summary_.total_files--;
      summary_.total_bytes -= file->node.size;
      Warn(read.status().ToString());
      file->dropped.store(true, std::memory_order_release);
      run_.CompleteEntry(dir, slot, std::nullopt);
      FinishFile(file);
      return;
    }
    summary_.total_bytes += *read - file->node.size;
    file->node.size = *read;
    FinishFile(file);
  }

  // Drops the reader's count; the file completes when its last chunk is stored.
  void FinishFile(const std::shared_ptr<FileState>& file) {
    if (file->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) run_.FileDone(file);
  }

  BackupRun& run_;
  const BackupOptions& options_;
  const PathPatternSet& excludes_;
  repo::SnapshotSummary& summary_;
  std::vector<std::string>& warnings_;
};

}  // namespace

namespace {

// The selected paths as a tree of components, so that common ancestors are stored once.
struct PathTrie {
  bool selected = false;
  std::map<std::string, PathTrie> children;
};

void Scan(const std::string& path, const PathPatternSet& excludes, BackupProgress* progress,
          const std::atomic<bool>& stop) {
  if (stop.load(std::memory_order_relaxed)) return;
  if (!excludes.empty() && excludes.Matches(path)) return;
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return;
  if (S_ISREG(st.st_mode)) {
    progress->files_total++;
    progress->bytes_total += static_cast<uint64_t>(st.st_size);
    return;
  }
  if (!S_ISDIR(st.st_mode)) return;
  DIR* handle = opendir(path.c_str());
  if (!handle) return;
  std::vector<std::string> names;
  while (dirent* entry = readdir(handle)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  closedir(handle);
  for (const std::string& name : names) Scan(JoinPath(path, name), excludes, progress, stop);
}

void WalkTrie(Walker& walker, BackupRun& run, const PathTrie& trie, const std::string& path,
              const std::shared_ptr<DirState>& dir, const std::optional<Tree>& old_tree) {
  size_t slot = 0;
  for (const auto& [name, child] : trie.children) {
    const std::string child_path = JoinPath(path, name);
    const Node* old_child = Walker::FindOld(old_tree, name);
    if (child.selected) {
      walker.Entry(child_path, name, dir, slot, old_child);
    } else {
      std::shared_ptr<DirState> sub =
          walker.Intermediate(child_path, name, dir, slot, child.children.size());
      WalkTrie(walker, run, child, child_path, sub, walker.LoadOldTree(old_child));
      run.Release(sub);
    }
    ++slot;
  }
}

// Finishes a run: waits for the workers, writes packs and index, then the snapshot.
Result<BackupResult> Commit(BackupRun& run, repo::Repository& repository, repo::Snapshot snapshot,
                            std::vector<std::string> warnings) {
  run.Stop();
  if (run.failed()) return run.fatal();
  std::optional<Id> root = run.root_tree();
  if (!root) return InternalError("backup finished without a root tree");
  return internal::CommitSnapshot(repository, std::move(snapshot), *root, std::move(warnings));
}

std::optional<repo::Snapshot> FindParent(repo::Repository& repository, const BackupOptions& options,
                                         const std::vector<std::string>& paths,
                                         std::optional<Id>* parent_id, Status* error) {
  if (options.force_reread) return std::nullopt;
  if (options.parent) {
    Result<std::pair<Id, repo::Snapshot>> found = repository.FindSnapshot(*options.parent);
    if (!found.ok()) {
      *error = found.status().WithContext("finding parent snapshot");
      return std::nullopt;
    }
    *parent_id = found->first;
    return found->second;
  }
  Result<std::vector<std::pair<Id, repo::Snapshot>>> all = repository.ListSnapshots();
  if (!all.ok()) {
    *error = all.status();
    return std::nullopt;
  }
  for (auto it = all->rbegin(); it != all->rend(); ++it) {
    std::vector<std::string> other = it->second.paths;
    std::sort(other.begin(), other.end());
    if (it->second.hostname == options.hostname && other == paths && it->second.source == "files") {
      *parent_id = it->first;
      return it->second;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string AbsolutePath(const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative()) {
    std::error_code error;
    p = std::filesystem::current_path(error) / p;
  }
  std::string normal = p.lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

Result<BackupResult> BackupPaths(repo::Repository& repository, const BackupOptions& options,
                                 BackupProgress* progress) {
  if (options.paths.empty()) return InvalidArgumentError("no paths to back up");
  LIFEBOAT_ASSIGN_OR_RETURN(PathPatternSet excludes, PathPatternSet::Parse(options.excludes));

  std::vector<std::string> paths;
  for (const std::string& path : options.paths) paths.push_back(AbsolutePath(path));
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  // A path inside another selected path is already covered by it.
  std::vector<std::string> roots;
  for (const std::string& path : paths) {
    bool covered = false;
    for (const std::string& root : roots) {
      if (root == "/" || path.compare(0, root.size() + 1, root + "/") == 0) covered = true;
    }
    if (!covered) roots.push_back(path);
  }
  size_t existing = 0;
  for (const std::string& root : roots) {
    struct stat st;
    if (lstat(root.c_str(), &st) == 0) ++existing;
  }
  if (existing == 0) {
    return NotFoundError(roots.size() == 1 ? "the path " + roots[0] + " does not exist"
                                           : "none of the paths to back up exist");
  }

  Status parent_error;
  std::optional<Id> parent_id;
  std::optional<repo::Snapshot> parent =
      FindParent(repository, options, roots, &parent_id, &parent_error);
  if (!parent_error.ok()) return parent_error;
  std::optional<Tree> parent_root;
  if (parent) {
    Result<Tree> tree = repository.LoadTree(parent->tree);
    if (tree.ok()) parent_root = std::move(tree).value();
  }

  PathTrie trie;
  for (const std::string& root : roots) {
    PathTrie* node = &trie;
    std::filesystem::path p(root);
    for (const auto& component : p) {
      const std::string part = component.string();
      if (part == "/" || part.empty()) continue;
      node = &node->children[part];
    }
    node->selected = true;
  }
  if (trie.selected) {
    // Backing up "/" itself: every entry of the root directory is a selected path.
    DIR* handle = opendir("/");
    if (!handle) return ErrnoError(errno, "listing /");
    while (dirent* entry = readdir(handle)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") trie.children[name].selected = true;
    }
    closedir(handle);
  }

  repo::Snapshot snapshot;
  snapshot.time_ns = repository.clock().NowNanos();
  snapshot.summary.start_ns = snapshot.time_ns;
  snapshot.hostname = options.hostname;
  snapshot.username = options.username;
  snapshot.paths = roots;
  snapshot.tags = options.tags;
  snapshot.excludes = options.excludes;
  snapshot.source = "files";
  snapshot.program_version = options.program_version;
  snapshot.parent = parent_id;

  std::atomic<bool> stop_scan{false};
  std::thread scanner;
  if (progress && options.scan_totals) {
    scanner = std::thread([&] {
      for (const std::string& root : roots) Scan(root, excludes, progress, stop_scan);
      progress->scan_done = true;
    });
  }

  std::vector<std::string> warnings;
  BackupRun run(repository, options.threads, progress);
  Walker walker(run, options, excludes, snapshot.summary, warnings);
  std::shared_ptr<DirState> root = MakeRoot(trie.children.size());
  WalkTrie(walker, run, trie, "/", root, parent_root);
  run.Release(root);
  stop_scan = true;
  if (scanner.joinable()) scanner.join();
  return Commit(run, repository, std::move(snapshot), std::move(warnings));
}

Result<BackupResult> BackupStream(repo::Repository& repository, int fd,
                                  const StreamBackupOptions& options, BackupProgress* progress) {
  if (options.filename.empty() || options.filename.find('/') != std::string::npos ||
      options.filename == "." || options.filename == "..") {
    return InvalidArgumentError("the stream needs a plain file name, got \"" + options.filename +
                                "\"");
  }
  repo::Snapshot snapshot;
  snapshot.time_ns = repository.clock().NowNanos();
  snapshot.summary.start_ns = snapshot.time_ns;
  snapshot.hostname = options.hostname;
  snapshot.username = options.username;
  snapshot.paths = {options.filename};
  snapshot.tags = options.tags;
  snapshot.source = options.source;
  snapshot.program_version = options.program_version;

  BackupRun run(repository, options.threads, progress);
  std::shared_ptr<DirState> root = MakeRoot(1);
  auto file = std::make_shared<FileState>();
  file->node.name = options.filename;
  file->node.type = NodeType::kFile;
  file->node.mode = 0600;
  file->node.uid = geteuid();
  file->node.gid = getegid();
  file->node.user = options.username;
  file->node.mtime_ns = snapshot.time_ns;
  file->node.atime_ns = snapshot.time_ns;
  file->node.ctime_ns = snapshot.time_ns;
  file->parent = root;
  file->slot = 0;
  Result<uint64_t> read = ChunkStream(run, fd, file, "the input stream");
  if (!read.ok()) return read.status();
  file->node.size = *read;
  if (options.before_commit) LIFEBOAT_RETURN_IF_ERROR(options.before_commit());
  if (file->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) run.FileDone(file);
  run.Release(root);
  snapshot.summary.files_new = 1;
  snapshot.summary.total_files = 1;
  snapshot.summary.total_bytes = *read;
  return Commit(run, repository, std::move(snapshot), {});
}

}  // namespace lifeboat::engine
