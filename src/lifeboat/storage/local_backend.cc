#include "lifeboat/storage/local_backend.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <utility>
#include <vector>

#include "lifeboat/crypto/random.h"

namespace lifeboat::storage {
namespace {

constexpr std::string_view kTempPrefix = ".tmp-";
constexpr size_t kTempRandomBytes = 8;
// The repository holds secrets (key files) and backed-up data: owner only.
constexpr mode_t kDirectoryMode = 0700;
constexpr mode_t kFileMode = 0600;

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes now so the caller sees the error (NFS may report write failures only at close).
  int Close() { return ::close(std::exchange(fd_, -1)); }

 private:
  int fd_;
};

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};
using DirHandle = std::unique_ptr<DIR, DirCloser>;

std::string JoinPath(std::string_view base, std::string_view relative) {
  std::string path(base);
  if (!relative.empty()) {
    path += '/';
    path += relative;
  }
  return path;
}

// The directory part of an object path ("" for objects at the root) and the file name.
std::pair<std::string, std::string> SplitObjectPath(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

Status MissingRootError(const std::string& root) {
  return NotFoundError("repository directory " + root + " does not exist");
}

// Called once an operation has hit ENOENT, to tell a missing object or kind directory (fine)
// from a missing repository (a mistyped location should not look like an empty repository).
Status CheckRootExists(const std::string& root) {
  struct stat info;
  if (::stat(root.c_str(), &info) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return MissingRootError(root);
    return ErrnoError(errno, "opening repository directory " + root);
  }
  if (!S_ISDIR(info.st_mode)) {
    return NotFoundError("repository location " + root + " is not a directory");
  }
  return Status::Ok();
}

Status SyncDirectory(const std::string& path) {
  FileDescriptor dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return ErrnoError(errno, "opening directory " + path);
  if (::fsync(dir.get()) != 0) return ErrnoError(errno, "syncing directory " + path);
  return Status::Ok();
}

// Opens the directory an object lives in, creating the kind and fan-out directories on first
// use, but never the repository root itself.
Result<FileDescriptor> OpenObjectDirectory(const std::string& root, const std::string& directory) {
  const std::string path = JoinPath(root, directory);
  FileDescriptor dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.valid()) return dir;
  if (errno != ENOENT) return ErrnoError(errno, "opening directory " + path);
  LIFEBOAT_RETURN_IF_ERROR(CheckRootExists(root));

  std::string parent = root;
  size_t start = 0;
  while (start < directory.size()) {
    size_t end = directory.find('/', start);
    if (end == std::string::npos) end = directory.size();
    const std::string level = JoinPath(root, directory.substr(0, end));
    if (::mkdir(level.c_str(), kDirectoryMode) == 0) {
      // The new directory's entry must be durable before objects inside it are.
      LIFEBOAT_RETURN_IF_ERROR(SyncDirectory(parent));
    } else if (errno != EEXIST) {
      return ErrnoError(errno, "creating directory " + level);
    }
    parent = level;
    start = end + 1;
  }
  FileDescriptor created(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!created.valid()) return ErrnoError(errno, "opening directory " + path);
  return created;
}

int WriteAll(int fd, ByteView data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t written = ::write(fd, data.data() + done, data.size() - done);
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    done += static_cast<size_t>(written);
  }
  return 0;
}

Status WriteTempFile(int dir_fd, const std::string& temp_name, ByteView data) {
  FileDescriptor file(
      ::openat(dir_fd, temp_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode));
  if (!file.valid()) return ErrnoError(errno, "creating temporary file");
  if (int error = WriteAll(file.get(), data); error != 0) {
    return ErrnoError(error, "writing temporary file");
  }
  if (::fsync(file.get()) != 0) return ErrnoError(errno, "syncing temporary file");
  if (file.Close() != 0) return ErrnoError(errno, "closing temporary file");
  return Status::Ok();
}

Status AlreadyExists() { return AlreadyExistsError("object already exists"); }

// Moves the finished temporary file to its name. With if_absent the check and the move must be
// one step, or two writers could both believe they created the object.
Status Publish(int dir_fd, const std::string& temp_name, const std::string& name, bool if_absent) {
  if (!if_absent) {
    if (::renameat(dir_fd, temp_name.c_str(), dir_fd, name.c_str()) != 0) {
      return ErrnoError(errno, "renaming temporary file");
    }
    return Status::Ok();
  }
  if (::renameat2(dir_fd, temp_name.c_str(), dir_fd, name.c_str(), RENAME_NOREPLACE) == 0) {
    return Status::Ok();
  }
  if (errno == EEXIST) return AlreadyExists();
  if (errno != EINVAL && errno != ENOSYS) return ErrnoError(errno, "renaming temporary file");
  // Some file systems (NFS, many FUSE mounts) lack RENAME_NOREPLACE; link() fails atomically
  // when the name exists, which is the same guarantee.
  if (::linkat(dir_fd, temp_name.c_str(), dir_fd, name.c_str(), 0) != 0) {
    if (errno == EEXIST) return AlreadyExists();
    return ErrnoError(errno, "linking temporary file");
  }
  // The object is already published; a leftover temporary file is ignored by List.
  ::unlinkat(dir_fd, temp_name.c_str(), 0);
  return Status::Ok();
}

bool IsFanOutDirectory(std::string_view name) {
  if (name.size() != 2) return false;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Visits the objects in one directory; *missing tells whether the directory does not exist,
// which callers treat as empty (kind directories appear with the first Put).
Status ListDirectory(const std::string& root, const std::string& directory, std::string_view prefix,
                     const ListVisitor& visit, bool* missing) {
  const std::string context = "listing " + directory;
  DirHandle dir(::opendir(JoinPath(root, directory).c_str()));
  *missing = dir == nullptr && errno == ENOENT;
  if (*missing) return Status::Ok();
  if (dir == nullptr) return ErrnoError(errno, context);
  while (true) {
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) return ErrnoError(errno, context);
      return Status::Ok();
    }
    // Temporary and foreign files do not parse, so they are skipped here.
    std::optional<ObjectKey> key = ParseObjectPath(JoinPath(directory, entry->d_name));
    if (!key || !key->name.starts_with(prefix)) continue;
    struct stat info;
    if (::fstatat(::dirfd(dir.get()), entry->d_name, &info, 0) != 0) {
      if (errno == ENOENT) continue;  // removed since readdir
      return ErrnoError(errno, "listing " + JoinPath(directory, entry->d_name));
    }
    if (!S_ISREG(info.st_mode)) continue;
    LIFEBOAT_RETURN_IF_ERROR(visit(ObjectInfo{*key, static_cast<uint64_t>(info.st_size)}));
  }
}

// Names of the fan-out directories under data/ that can hold names starting with prefix.
Result<std::vector<std::string>> FanOutDirectories(const std::string& root,
                                                   std::string_view prefix) {
  const std::string directory(ObjectKindDirectory(ObjectKind::kPack));
  DirHandle dir(::opendir(JoinPath(root, directory).c_str()));
  if (dir == nullptr) {
    if (errno == ENOENT) {
      LIFEBOAT_RETURN_IF_ERROR(CheckRootExists(root));
      return std::vector<std::string>();
    }
    return ErrnoError(errno, "listing " + directory);
  }
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) return ErrnoError(errno, "listing " + directory);
      return names;
    }
    const std::string_view name = entry->d_name;
    const size_t compared = std::min(name.size(), prefix.size());
    if (IsFanOutDirectory(name) && name.substr(0, compared) == prefix.substr(0, compared)) {
      names.emplace_back(name);
    }
  }
}

}  // namespace

LocalBackend::LocalBackend(std::string root) : root_(std::move(root)) {}

Status LocalBackend::CreateRoot() {
  const std::string context = "creating repository directory " + root_;
  if (root_.empty()) return InvalidArgumentError(context + ": the path is empty");
  // mkdir -p: parents get the usual permissions, only the repository itself is private.
  size_t end = 0;
  while (end != std::string::npos) {
    end = root_.find('/', end + 1);
    const std::string level = root_.substr(0, end);
    const mode_t mode = end == std::string::npos ? kDirectoryMode : 0777;
    if (::mkdir(level.c_str(), mode) != 0 && errno != EEXIST) return ErrnoError(errno, context);
  }
  struct stat info;
  if (::stat(root_.c_str(), &info) != 0) return ErrnoError(errno, context);
  if (!S_ISDIR(info.st_mode)) {
    return AlreadyExistsError(context + ": a file with that name exists and is not a directory");
  }
  return Status::Ok();
}

BackendProperties LocalBackend::Properties() const {
  return BackendProperties{.location = root_, .max_connections = 4};
}

Status LocalBackend::Put(const ObjectKey& key, ByteView data, const PutOptions& options) {
  const std::string path = ObjectPath(key);
  const std::string context = "writing " + path;
  const auto [directory, name] = SplitObjectPath(path);
  Result<FileDescriptor> dir = OpenObjectDirectory(root_, directory);
  if (!dir.ok()) return dir.status().WithContext(context);

  const std::string temp_name =
      std::string(kTempPrefix) + HexEncode(crypto::RandomBytes(kTempRandomBytes));
  Status status = WriteTempFile(dir->get(), temp_name, data);
  if (status.ok()) status = Publish(dir->get(), temp_name, name, options.if_absent);
  if (!status.ok()) {
    // Nothing was published; best effort, as List ignores temporary files anyway.
    ::unlinkat(dir->get(), temp_name.c_str(), 0);
    return status.WithContext(context);
  }
  // Without this the rename itself may be lost in a crash even though the data is on disk.
  if (::fsync(dir->get()) != 0) return ErrnoError(errno, context + ": syncing directory");
  return Status::Ok();
}

Result<Bytes> LocalBackend::Get(const ObjectKey& key, ByteRange range) {
  const std::string path = ObjectPath(key);
  const std::string context = "reading " + path;
  FileDescriptor file(::open(JoinPath(root_, path).c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.valid()) return ErrnoError(errno, context);
  struct stat info;
  if (::fstat(file.get(), &info) != 0) return ErrnoError(errno, context);
  Result<uint64_t> length = RangeLength(range, static_cast<uint64_t>(info.st_size));
  if (!length.ok()) return length.status().WithContext(context);

  Bytes out(*length);
  uint64_t done = 0;
  while (done < *length) {
    const ssize_t n = ::pread(file.get(), out.data() + done, *length - done,
                              static_cast<off_t>(range.offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, context);
    }
    // Objects are immutable, so a file shorter than fstat said means something outside lifeboat
    // changed it; a short read would break the contract.
    if (n == 0) return IoError(context + ": the file shrank while being read");
    done += static_cast<uint64_t>(n);
  }
  return out;
}

Result<ObjectInfo> LocalBackend::Stat(const ObjectKey& key) {
  const std::string path = ObjectPath(key);
  struct stat info;
  if (::stat(JoinPath(root_, path).c_str(), &info) != 0) {
    return ErrnoError(errno, "checking " + path);
  }
  return ObjectInfo{key, static_cast<uint64_t>(info.st_size)};
}

Status LocalBackend::List(ObjectKind kind, std::string_view prefix, const ListVisitor& visit) {
  if (kind == ObjectKind::kConfig) {
    if (!prefix.empty()) return Status::Ok();  // the config object's name is empty
    Result<ObjectInfo> info = Stat(ObjectKey{ObjectKind::kConfig, ""});
    if (info.ok()) return visit(*info);
    if (info.status().code() != StatusCode::kNotFound) return info.status();
    return CheckRootExists(root_);
  }
  const std::string directory(ObjectKindDirectory(kind));
  bool missing = false;
  if (kind != ObjectKind::kPack) {
    LIFEBOAT_RETURN_IF_ERROR(ListDirectory(root_, directory, prefix, visit, &missing));
    return missing ? CheckRootExists(root_) : Status::Ok();
  }
  LIFEBOAT_ASSIGN_OR_RETURN(std::vector<std::string> fan_outs, FanOutDirectories(root_, prefix));
  for (const std::string& fan_out : fan_outs) {
    // A fan-out directory that vanished since it was listed is simply empty.
    LIFEBOAT_RETURN_IF_ERROR(
        ListDirectory(root_, JoinPath(directory, fan_out), prefix, visit, &missing));
  }
  return Status::Ok();
}

Status LocalBackend::Remove(const ObjectKey& key) {
  const std::string path = ObjectPath(key);
  // No directory fsync: a removal lost in a crash only brings back an object nothing needs any
  // more (a pack prune already dropped, a stale lock), which the next prune or lock check
  // removes again; syncing every removal would make prune slow.
  if (::unlink(JoinPath(root_, path).c_str()) != 0) return ErrnoError(errno, "removing " + path);
  return Status::Ok();
}

}  // namespace lifeboat::storage
