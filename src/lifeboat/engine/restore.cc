#include "lifeboat/engine/restore.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "lifeboat/engine/path_pattern.h"

namespace lifeboat::engine {

namespace {
using repo::Node;
using repo::NodeType;

// Ranges of a pack closer than this are read in one request rather than two.
constexpr uint32_t kMaxReadGap = 1 << 20;
// One read covers at most this much of a pack, so each restore thread holds little memory.
constexpr uint64_t kMaxReadSpan = 4 << 20;
constexpr size_t kSparseBlock = 4096;

struct Entry {
  std::string snapshot_path;  // absolute path inside the snapshot
  std::string target_path;
  Node node;
  bool keep = false;
  size_t hardlink_leader = SIZE_MAX;  // index of the entry this one is a hard link of
  std::atomic<int64_t> remaining_chunks{0};
  std::atomic<bool> failed{false};
  // A file with content is created at its first piece and, while few enough files are open,
  // kept open until its last piece is written: opening by path for every piece costs a path
  // walk each time, which dominated restores of many small files.
  std::mutex fd_mutex;
  int fd = -1;           // held open between pieces; -1 when not held
  bool created = false;  // created and sized; later opens must not truncate it
};

struct BlobUse {
  Id blob;
  uint32_t pack_offset;
  uint32_t length;
  size_t entry;
  uint64_t file_offset;
};

class RestoreRun {
 public:
  RestoreRun(repo::Repository& repository, const RestoreOptions& options,
             const PathPatternSet& includes, const PathPatternSet& excludes,
             RestoreProgress* progress)
      : repository_(repository),
        options_(options),
        includes_(includes),
        excludes_(excludes),
        progress_(progress) {}

  Status Plan(const Id& tree_id, const std::string& snapshot_dir, const std::string& target_dir,
              bool selected, bool* any_kept) {
    Result<repo::Tree> tree = repository_.LoadTree(tree_id);
    if (!tree.ok()) {
      Error(tree.status().WithContext("reading directory " + snapshot_dir).ToString());
      return Status::Ok();
    }
    for (Node& node : tree->nodes) {
      const std::string snapshot_path =
          (snapshot_dir == "/" ? "/" : snapshot_dir + "/") + node.name;
      if (!excludes_.empty() && excludes_.Matches(snapshot_path)) continue;
      const bool entry_selected = selected || includes_.empty() || includes_.Matches(snapshot_path);
      const bool is_dir = node.type == NodeType::kDirectory;
      if (!entry_selected && !(is_dir && includes_.CouldMatchBelow(snapshot_path))) continue;
      auto entry = std::make_unique<Entry>();
      entry->snapshot_path = snapshot_path;
      entry->target_path = target_dir + "/" + node.name;
      std::optional<Id> subtree = node.subtree;
      entry->node = std::move(node);
      entry->keep = entry_selected;
      Entry* raw = entry.get();
      entries_.push_back(std::move(entry));
      if (is_dir && subtree) {
        bool below = false;
        LIFEBOAT_RETURN_IF_ERROR(
            Plan(*subtree, snapshot_path, raw->target_path, entry_selected, &below));
        if (below) raw->keep = true;
      }
      if (raw->keep) *any_kept = true;
    }
    return Status::Ok();
  }

  Result<RestoreResult> Run(const Id& root_tree) {
    std::error_code ec;
    std::filesystem::create_directories(options_.target, ec);
    if (ec) return IoError("creating target " + options_.target + ": " + ec.message());
    bool any = false;
    LIFEBOAT_RETURN_IF_ERROR(Plan(root_tree, "/", StripSlash(options_.target), false, &any));
    if (!includes_.empty() && !any) {
      return NotFoundError("no entry of the snapshot matches the --include patterns");
    }
    CreateEntries();
    RestoreData();
    LinkHardLinks();
    ApplyMetadata();
    if (options_.verify) Verify();
    result_.errors = std::move(errors_);
    return result_;
  }

 private:
  static std::string StripSlash(std::string path) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    return path;
  }

  void Error(std::string message) {
    std::lock_guard lock(errors_mutex_);
    errors_.push_back(std::move(message));
  }

  void FailEntry(Entry& entry, const std::string& message) {
    if (!entry.failed.exchange(true)) Error(entry.snapshot_path + ": " + message);
  }

  // A directory on the way must be one we can trust: created now, or a real directory.
  bool MakeDirectory(Entry& entry) {
    if (mkdir(entry.target_path.c_str(), 0700) == 0) return true;
    if (errno != EEXIST) {
      FailEntry(entry, ErrnoError(errno, "creating " + entry.target_path).message());
      return false;
    }
    struct stat st;
    if (lstat(entry.target_path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      FailEntry(entry, "refusing to restore into " + entry.target_path +
                           ": it exists and is not a directory (a symlink could lead outside "
                           "the target)");
      return false;
    }
    return true;
  }

  void CreateEntries() {
    std::map<std::pair<uint64_t, uint64_t>, size_t> hardlinks;
    // A failed directory makes everything below it fail: nothing may be created through it.
    std::vector<std::string> failed_dirs;
    for (size_t i = 0; i < entries_.size(); ++i) {
      Entry& entry = *entries_[i];
      if (!entry.keep) continue;
      bool under_failed = false;
      for (const std::string& dir : failed_dirs) {
        if (entry.target_path.compare(0, dir.size() + 1, dir + "/") == 0) under_failed = true;
      }
      if (under_failed) {
        FailEntry(entry, "not restored: a directory above it could not be created");
        continue;
      }
      switch (entry.node.type) {
        case NodeType::kDirectory:
          if (!MakeDirectory(entry)) failed_dirs.push_back(entry.target_path);
          result_.dirs++;
          break;
        case NodeType::kFile: {
          if (entry.node.links > 1) {
            auto key = std::make_pair(entry.node.device_id, entry.node.inode);
            auto [it, inserted] = hardlinks.try_emplace(key, i);
            if (!inserted) {
              entry.hardlink_leader = it->second;
              result_.files++;
              continue;
            }
          }
          CreateFile(entry);
          break;
        }
        case NodeType::kSocket:
          // Sockets are recreated by the programs that listen on them, never by a restore.
          entry.keep = false;
          break;
        default:
          CreateOther(entry);
          break;
      }
    }
  }

  // Creates the file (truncated, then sized so that skipped zero blocks stay holes) and
  // returns its descriptor, or -1 after failing the entry.
  int CreateAndSize(Entry& entry) {
    const int fd = open(entry.target_path.c_str(),
                        O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      FailEntry(entry, ErrnoError(errno, "creating " + entry.target_path).message());
      return -1;
    }
    if (ftruncate(fd, static_cast<off_t>(entry.node.size)) != 0) {
      FailEntry(entry, ErrnoError(errno, "sizing " + entry.target_path).message());
      close(fd);
      return -1;
    }
    return fd;
  }

  void CreateFile(Entry& entry) {
    // A file with content is created by the first piece written into it (OpenForWrite).
    if (entry.node.content.empty()) {
      const int fd = CreateAndSize(entry);
      if (fd >= 0) close(fd);
    }
    result_.files++;
    result_.bytes += entry.node.size;
    if (progress_) {
      progress_->files_total++;
      progress_->bytes_total += entry.node.size;
    }
  }

  void CreateOther(Entry& entry) {
    struct stat st;
    if (lstat(entry.target_path.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode) || unlink(entry.target_path.c_str()) != 0) {
        FailEntry(entry, "cannot replace the existing " + entry.target_path);
        return;
      }
    }
    Status status = CreateSpecialNode(entry.target_path, entry.node);
    if (!status.ok()) {
      FailEntry(entry, status.message());
      return;
    }
    result_.other_entries++;
  }

  void RestoreData() {
    std::map<Id, std::vector<BlobUse>> by_pack;
    for (size_t i = 0; i < entries_.size(); ++i) {
      Entry& entry = *entries_[i];
      if (!entry.keep || entry.failed || entry.node.type != NodeType::kFile ||
          entry.hardlink_leader != SIZE_MAX) {
        continue;
      }
      uint64_t offset = 0;
      std::vector<std::pair<Id, BlobUse>> uses;
      for (const repo::ContentChunk& chunk : entry.node.content) {
        std::optional<repo::BlobLocation> location = repository_.index().Lookup(chunk.id);
        if (!location) {
          FailEntry(entry, "blob " + chunk.id.Hex() + " is missing from the repository");
          break;
        }
        uses.emplace_back(location->pack,
                          BlobUse{chunk.id, location->offset, location->length, i, offset});
        offset += chunk.size;
      }
      if (entry.failed) continue;
      entry.remaining_chunks.store(static_cast<int64_t>(uses.size()));
      if (uses.empty()) FileDone();
      for (auto& [pack, use] : uses) by_pack[pack].push_back(use);
    }
    std::vector<std::pair<Id, std::vector<BlobUse>>> packs(by_pack.begin(), by_pack.end());
    by_pack.clear();
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t p = next++; p < packs.size(); p = next++)
        RestorePack(packs[p].first, packs[p].second);
    };
    // Restoring is CPU-bound on local storage (decrypt, decompress, verify) and each thread
    // holds a read buffer: one thread per core, at least two so reads overlap with work.
    // From an object store each thread spends most of its time waiting for a reply, so there
    // as many threads as the backend serves requests at once keep the cores busy.
    const storage::BackendProperties properties = repository_.backend().Properties();
    const int cores = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
    const int threads = options_.threads > 0 ? options_.threads
                        : properties.high_latency
                            ? std::clamp(properties.max_connections, 2, 16)
                            : std::clamp(properties.max_connections, 2, cores);
    max_held_files_ = MaxHeldFiles();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& thread : pool) thread.join();
    // Files whose last piece failed are still open.
    for (auto& entry : entries_) {
      if (entry->fd >= 0) close(entry->fd);
      entry->fd = -1;
    }
  }

  // Files held open at once: a quarter of the descriptor limit, so that the restore never
  // runs out of descriptors (nor starves the connections and the rest of the process).
  static int64_t MaxHeldFiles() {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 256;
    return std::clamp<int64_t>(static_cast<int64_t>(limit.rlim_cur) / 4, 4, 4096);
  }

  // The descriptor to write a piece of `entry` with, creating the file at its first piece;
  // -1 after failing the entry. *held: the descriptor stays open for the entry's later pieces
  // (CloseHeld closes it); otherwise the caller closes it.
  int OpenForWrite(Entry& entry, bool* held) {
    std::lock_guard lock(entry.fd_mutex);
    *held = true;
    if (entry.fd >= 0) return entry.fd;
    int fd;
    if (!entry.created) {
      fd = CreateAndSize(entry);
      if (fd < 0) return -1;
      entry.created = true;
    } else {
      fd = open(entry.target_path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) {
        FailEntry(entry, ErrnoError(errno, "opening " + entry.target_path).message());
        return -1;
      }
    }
    // A file of one piece is done after this write: holding it would gain nothing.
    if (entry.remaining_chunks.load() > 1) {
      if (held_files_.fetch_add(1) < max_held_files_) {
        entry.fd = fd;
        return fd;
      }
      held_files_--;
    }
    *held = false;
    return fd;
  }

  void CloseHeld(Entry& entry) {
    std::lock_guard lock(entry.fd_mutex);
    if (entry.fd < 0) return;
    close(entry.fd);
    entry.fd = -1;
    held_files_--;
  }

  void FileDone() {
    if (progress_) progress_->files_done++;
  }

  void RestorePack(const Id& pack, std::vector<BlobUse>& uses) {
    std::sort(uses.begin(), uses.end(),
              [](const BlobUse& a, const BlobUse& b) { return a.pack_offset < b.pack_offset; });
    size_t begin = 0;
    while (begin < uses.size()) {
      size_t end = begin + 1;
      uint64_t range_end = uint64_t(uses[begin].pack_offset) + uses[begin].length;
      while (end < uses.size() && uses[end].pack_offset <= range_end + kMaxReadGap &&
             uint64_t(uses[end].pack_offset) + uses[end].length - uses[begin].pack_offset <=
                 kMaxReadSpan) {
        range_end =
            std::max<uint64_t>(range_end, uint64_t(uses[end].pack_offset) + uses[end].length);
        ++end;
      }
      const uint64_t range_start = uses[begin].pack_offset;
      Result<Bytes> data =
          repository_.backend().Get(storage::ObjectKey{storage::ObjectKind::kPack, pack.Hex()},
                                    storage::ByteRange{range_start, range_end - range_start});
      for (size_t u = begin; u < end;) {
        // Uses of the same blob are adjacent after sorting; decode it once.
        size_t same = u + 1;
        while (same < end && uses[same].blob == uses[u].blob) ++same;
        Result<Bytes> plain =
            data.ok() ? repo::DecodeBlob(repository_.aead(), repository_.id_hash(), uses[u].blob,
                                         ByteView(*data).subspan(uses[u].pack_offset - range_start,
                                                                 uses[u].length))
                      : Result<Bytes>(data.status());
        for (size_t k = u; k < same; ++k) WriteUse(pack, uses[k], plain);
        u = same;
      }
      begin = end;
    }
  }

  static bool IsZeroBlock(const uint8_t* data, size_t size) {
    static const uint8_t kZeros[kSparseBlock] = {};
    return std::memcmp(data, kZeros, size) == 0;
  }

  // Writes data at offset, skipping 4 KiB blocks of zeros: the file was sized with ftruncate,
  // so skipped blocks stay holes that read as zeros, and sparse files stay sparse.
  static Status WriteSparse(int fd, const Bytes& data, uint64_t offset, const std::string& path) {
    size_t pos = 0;
    while (pos < data.size()) {
      size_t block = std::min(kSparseBlock, data.size() - pos);
      if (IsZeroBlock(data.data() + pos, block)) {
        pos += block;
        continue;
      }
      size_t end = pos + block;
      while (end < data.size()) {
        size_t next = std::min(kSparseBlock, data.size() - end);
        if (IsZeroBlock(data.data() + end, next)) break;
        end += next;
      }
      while (pos < end) {
        ssize_t n = pwrite(fd, data.data() + pos, end - pos, static_cast<off_t>(offset + pos));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return ErrnoError(errno, "writing " + path);
        pos += static_cast<size_t>(n);
      }
    }
    return Status::Ok();
  }

  void WriteUse(const Id& pack, const BlobUse& use, const Result<Bytes>& plain) {
    Entry& entry = *entries_[use.entry];
    if (entry.failed) return;
    if (!plain.ok()) {
      FailEntry(entry, "blob " + use.blob.Hex() + " in pack " + pack.ShortHex() +
                           " cannot be read: " + plain.status().message());
      return;
    }
    bool held = false;
    const int fd = OpenForWrite(entry, &held);
    if (fd < 0) return;
    Status written = WriteSparse(fd, *plain, use.file_offset, entry.target_path);
    if (!held) close(fd);
    if (!written.ok()) {
      FailEntry(entry, written.message());
      return;
    }
    if (progress_) progress_->bytes_done += plain->size();
    // Every other piece of the file was written before its count went down: the last one
    // may close the file.
    if (entry.remaining_chunks.fetch_sub(1) == 1) {
      CloseHeld(entry);
      FileDone();
    }
  }

  void LinkHardLinks() {
    for (auto& entry_ptr : entries_) {
      Entry& entry = *entry_ptr;
      if (!entry.keep || entry.hardlink_leader == SIZE_MAX) continue;
      Entry& leader = *entries_[entry.hardlink_leader];
      if (leader.failed) {
        FailEntry(entry, "not restored: the file it is a hard link of failed");
        continue;
      }
      struct stat st;
      if (lstat(entry.target_path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode) || unlink(entry.target_path.c_str()) != 0) {
          FailEntry(entry, "cannot replace the existing " + entry.target_path);
          continue;
        }
      }
      if (link(leader.target_path.c_str(), entry.target_path.c_str()) != 0) {
        FailEntry(entry, ErrnoError(errno, "linking " + entry.target_path).message());
      }
    }
  }

  void ApplyMetadata() {
    // Reverse pre-order: children before their directory, so directory times are final.
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
      Entry& entry = **it;
      if (!entry.keep || entry.failed) continue;
      // Hard links share the inode; its metadata is applied through the leader.
      if (entry.hardlink_leader != SIZE_MAX) continue;
      Status status = ApplyNodeMetadata(entry.target_path, entry.node, options_.metadata);
      if (!status.ok()) FailEntry(entry, status.message());
    }
  }

  void Verify() {
    for (auto& entry_ptr : entries_) {
      Entry& entry = *entry_ptr;
      if (!entry.keep || entry.failed || entry.node.type != NodeType::kFile ||
          entry.hardlink_leader != SIZE_MAX) {
        continue;
      }
      const int fd = open(entry.target_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) {
        FailEntry(entry, ErrnoError(errno, "verifying " + entry.target_path).message());
        continue;
      }
      uint64_t offset = 0;
      bool good = true;
      Bytes buffer;
      for (const repo::ContentChunk& chunk : entry.node.content) {
        buffer.resize(chunk.size);
        size_t got = 0;
        while (got < chunk.size) {
          ssize_t n =
              pread(fd, buffer.data() + got, chunk.size - got, static_cast<off_t>(offset + got));
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) break;
          got += static_cast<size_t>(n);
        }
        if (got != chunk.size || repository_.HashBlob(buffer) != chunk.id) {
          FailEntry(entry, "verification failed: the restored content at offset " +
                               std::to_string(offset) + " differs from the snapshot");
          good = false;
          break;
        }
        offset += chunk.size;
      }
      struct stat st;
      if (good && (fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != entry.node.size)) {
        FailEntry(entry, "verification failed: the restored file has the wrong size");
        good = false;
      }
      close(fd);
      if (good) result_.verified_files++;
    }
  }

  repo::Repository& repository_;
  const RestoreOptions& options_;
  const PathPatternSet& includes_;
  const PathPatternSet& excludes_;
  RestoreProgress* progress_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::atomic<int64_t> held_files_{0};
  int64_t max_held_files_ = 0;
  std::mutex errors_mutex_;
  std::vector<std::string> errors_;
  RestoreResult result_;
};

}  // namespace

Result<RestoreResult> RestoreSnapshot(repo::Repository& repository, const repo::Snapshot& snapshot,
                                      const RestoreOptions& options, RestoreProgress* progress) {
  if (options.target.empty()) return InvalidArgumentError("the restore target must not be empty");
  LIFEBOAT_ASSIGN_OR_RETURN(PathPatternSet includes, PathPatternSet::Parse(options.includes));
  LIFEBOAT_ASSIGN_OR_RETURN(PathPatternSet excludes, PathPatternSet::Parse(options.excludes));
  RestoreRun run(repository, options, includes, excludes, progress);
  return run.Run(snapshot.tree);
}

}  // namespace lifeboat::engine
