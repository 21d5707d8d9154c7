#include "lifeboat/engine/fs_metadata.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lifeboat/util/check.h"
#include "lifeboat/util/log.h"

namespace lifeboat::engine {
namespace {

using repo::Node;
using repo::NodeType;

constexpr int64_t kNanosPerSecond = 1'000'000'000;

// NSS entries can be arbitrarily large (a group with thousands of members), so the buffer grows
// on ERANGE; past this size the entry is treated as unresolvable rather than eating memory.
constexpr size_t kMaxNssBuffer = size_t{1} << 22;

// Runs one getpw*_r / getgr*_r lookup. Returns the lookup's error code (0 when the database
// answered, whether or not the entry exists) and sets *found.
template <typename Entry, typename Lookup>
int LookUpEntry(const Lookup& lookup, Entry* entry, std::vector<char>* buffer, bool* found) {
  buffer->resize(1024);
  while (true) {
    Entry* result = nullptr;
    int rc = lookup(entry, buffer->data(), buffer->size(), &result);
    if (rc == ERANGE && buffer->size() < kMaxNssBuffer) {
      buffer->resize(buffer->size() * 2);
      continue;
    }
    *found = rc == 0 && result != nullptr;
    return rc;
  }
}

// Name service lookups can go over the network (LDAP, SSSD) and a backup asks about the same few
// owners for every file, so answers are cached for the life of the process. Lookups run outside
// the lock so one slow query does not stall the other pipeline threads; a duplicate lookup is
// harmless. Only definitive answers are cached, so a transient NSS failure is retried later.
class OwnerNames {
 public:
  std::string UserName(uid_t uid) {
    if (auto cached = Find(user_names_, uid)) return *cached;
    passwd entry;
    std::vector<char> buffer;
    bool found = false;
    int rc = LookUpEntry(
        [uid](passwd* e, char* b, size_t n, passwd** r) { return getpwuid_r(uid, e, b, n, r); },
        &entry, &buffer, &found);
    std::string name = found ? entry.pw_name : "";
    if (rc == 0) Store(user_names_, uid, name);
    return name;
  }

  std::string GroupName(gid_t gid) {
    if (auto cached = Find(group_names_, gid)) return *cached;
    group entry;
    std::vector<char> buffer;
    bool found = false;
    int rc = LookUpEntry(
        [gid](group* e, char* b, size_t n, group** r) { return getgrgid_r(gid, e, b, n, r); },
        &entry, &buffer, &found);
    std::string name = found ? entry.gr_name : "";
    if (rc == 0) Store(group_names_, gid, name);
    return name;
  }

  std::optional<uid_t> UserId(const std::string& name) {
    if (auto cached = Find(user_ids_, name)) return *cached;
    passwd entry;
    std::vector<char> buffer;
    bool found = false;
    int rc = LookUpEntry([&name](passwd* e, char* b, size_t n,
                                 passwd** r) { return getpwnam_r(name.c_str(), e, b, n, r); },
                         &entry, &buffer, &found);
    std::optional<uid_t> id;
    if (found) id = entry.pw_uid;
    if (rc == 0) Store(user_ids_, name, id);
    return id;
  }

  std::optional<gid_t> GroupId(const std::string& name) {
    if (auto cached = Find(group_ids_, name)) return *cached;
    group entry;
    std::vector<char> buffer;
    bool found = false;
    int rc = LookUpEntry([&name](group* e, char* b, size_t n,
                                 group** r) { return getgrnam_r(name.c_str(), e, b, n, r); },
                         &entry, &buffer, &found);
    std::optional<gid_t> id;
    if (found) id = entry.gr_gid;
    if (rc == 0) Store(group_ids_, name, id);
    return id;
  }

 private:
  template <typename Map, typename Key>
  std::optional<typename Map::mapped_type> Find(const Map& map, const Key& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map.find(key);
    if (it == map.end()) return std::nullopt;
    return it->second;
  }

  template <typename Map, typename Key, typename Value>
  void Store(Map& map, const Key& key, const Value& value) {
    std::lock_guard<std::mutex> lock(mu_);
    map.emplace(key, value);
  }

  std::mutex mu_;
  std::unordered_map<uid_t, std::string> user_names_;
  std::unordered_map<gid_t, std::string> group_names_;
  std::unordered_map<std::string, std::optional<uid_t>> user_ids_;
  std::unordered_map<std::string, std::optional<gid_t>> group_ids_;
};

OwnerNames& Owners() {
  static auto* owners = new OwnerNames();  // never destroyed: pipeline threads may outlive main
  return *owners;
}

// Saturates instead of overflowing for timestamps more than 292 years from 1970, which only a
// damaged file system reports.
int64_t ToNanoseconds(const timespec& ts) {
  int64_t ns = 0;
  if (__builtin_mul_overflow(static_cast<int64_t>(ts.tv_sec), kNanosPerSecond, &ns) ||
      __builtin_add_overflow(ns, static_cast<int64_t>(ts.tv_nsec), &ns)) {
    return ts.tv_sec < 0 ? std::numeric_limits<int64_t>::min()
                         : std::numeric_limits<int64_t>::max();
  }
  return ns;
}

// Floors, so times before 1970 keep a non-negative tv_nsec as utimensat requires.
timespec FromNanoseconds(int64_t ns) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(ns / kNanosPerSecond);
  ts.tv_nsec = static_cast<long>(ns % kNanosPerSecond);
  if (ts.tv_nsec < 0) {
    ts.tv_nsec += kNanosPerSecond;
    ts.tv_sec -= 1;
  }
  return ts;
}

Result<NodeType> TypeFromMode(mode_t mode, const std::string& path) {
  if (S_ISREG(mode)) return NodeType::kFile;
  if (S_ISDIR(mode)) return NodeType::kDirectory;
  if (S_ISLNK(mode)) return NodeType::kSymlink;
  if (S_ISCHR(mode)) return NodeType::kCharDevice;
  if (S_ISBLK(mode)) return NodeType::kBlockDevice;
  if (S_ISFIFO(mode)) return NodeType::kFifo;
  if (S_ISSOCK(mode)) return NodeType::kSocket;
  return UnsupportedError("examining " + path + ": unknown file type " +
                          std::to_string(mode & S_IFMT));
}

// st_size of a symlink is its target length on most file systems but 0 on some (procfs), and the
// link can be replaced between lstat and readlink, so the buffer grows until the target fits
// with room to spare (a full buffer may mean truncation).
Result<std::string> ReadLinkTarget(const std::string& path, size_t size_hint) {
  std::string target(std::max<size_t>(size_hint + 1, 256), '\0');
  while (true) {
    ssize_t length = readlink(path.c_str(), target.data(), target.size());
    if (length < 0) return ErrnoError(errno, "reading symlink " + path);
    if (static_cast<size_t>(length) < target.size()) {
      target.resize(static_cast<size_t>(length));
      return target;
    }
    target.resize(target.size() * 2);
  }
}

bool XattrsUnsupported(int error) { return error == ENOTSUP || error == EOPNOTSUPP; }

// Reads one attribute value. The value can change size between the size query and the read
// (ERANGE), in which case it is asked for again. Returns nullopt, after logging why, when the
// attribute cannot be read; an attribute removed meanwhile is skipped silently.
std::optional<Bytes> ReadXattrValue(const std::string& path, const std::string& name) {
  while (true) {
    ssize_t size = lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (size == 0) return Bytes();
    Bytes value(size > 0 ? static_cast<size_t>(size) : 0);
    if (size > 0) size = lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (size >= 0) {
      value.resize(static_cast<size_t>(size));
      return value;
    }
    if (errno == ERANGE) continue;
    if (errno != ENODATA) {
      LogWarning("skipping extended attribute " + name + " of " + path + ": " +
                 std::strerror(errno));
    }
    return std::nullopt;
  }
}

// Unreadable attributes are skipped rather than failing the whole entry (see the header): losing
// one attribute is better than losing the file from the backup.
std::vector<repo::Xattr> ReadXattrs(const std::string& path) {
  std::string names;
  while (true) {
    ssize_t size = llistxattr(path.c_str(), nullptr, 0);
    if (size > 0) {
      names.resize(static_cast<size_t>(size));
      size = llistxattr(path.c_str(), names.data(), names.size());
    }
    if (size >= 0) {
      names.resize(static_cast<size_t>(size));
      break;
    }
    if (errno == ERANGE) continue;  // an attribute was added between the two calls
    if (!XattrsUnsupported(errno)) {
      LogWarning("skipping extended attributes of " + path + ": " + std::strerror(errno));
    }
    return {};
  }

  std::vector<repo::Xattr> xattrs;
  size_t start = 0;
  while (start < names.size()) {
    size_t end = names.find('\0', start);
    if (end == std::string::npos) end = names.size();
    std::string name = names.substr(start, end - start);
    start = end + 1;
    if (name.empty()) continue;
    if (std::optional<Bytes> value = ReadXattrValue(path, name)) {
      xattrs.push_back(repo::Xattr{std::move(name), std::move(*value)});
    }
  }
  // The kernel lists attributes in storage order, which differs between file systems and after
  // edits; sorting makes an unchanged entry encode to the same tree blob.
  std::sort(xattrs.begin(), xattrs.end(),
            [](const repo::Xattr& a, const repo::Xattr& b) { return a.name < b.name; });
  return xattrs;
}

Status ApplyOwner(const std::string& path, const Node& node) {
  // Names are what an administrator means: the same user often has different ids on the machine
  // being restored to. The numeric id is the fallback when the name is unknown here.
  uid_t uid = node.uid;
  gid_t gid = node.gid;
  if (!node.user.empty()) {
    if (std::optional<uid_t> id = Owners().UserId(node.user)) uid = *id;
  }
  if (!node.group.empty()) {
    if (std::optional<gid_t> id = Owners().GroupId(node.group)) gid = *id;
  }
  if (lchown(path.c_str(), uid, gid) != 0) {
    return ErrnoError(errno, "changing owner of " + path + " to " + std::to_string(uid) + ":" +
                                 std::to_string(gid));
  }
  return Status::Ok();
}

Status ApplyXattr(const std::string& path, const repo::Xattr& xattr) {
  if (lsetxattr(path.c_str(), xattr.name.c_str(), xattr.value.data(), xattr.value.size(), 0) == 0) {
    return Status::Ok();
  }
  std::string context = "setting extended attribute " + xattr.name + " on " + path;
  if (XattrsUnsupported(errno)) {
    return UnsupportedError(context + ": the file system does not support it");
  }
  return ErrnoError(errno, context);
}

Status ApplyTimes(const std::string& path, const Node& node) {
  timespec times[2] = {FromNanoseconds(node.atime_ns), FromNanoseconds(node.mtime_ns)};
  if (utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, "setting times of " + path);
  }
  return Status::Ok();
}

}  // namespace

Result<Node> ReadNodeMetadata(const std::string& path, const std::string& name) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return ErrnoError(errno, "examining " + path);

  Node node;
  node.name = name;
  LIFEBOAT_ASSIGN_OR_RETURN(node.type, TypeFromMode(st.st_mode, path));
  node.mode = st.st_mode & 07777;
  node.uid = st.st_uid;
  node.gid = st.st_gid;
  node.user = Owners().UserName(st.st_uid);
  node.group = Owners().GroupName(st.st_gid);
  node.mtime_ns = ToNanoseconds(st.st_mtim);
  node.atime_ns = ToNanoseconds(st.st_atim);
  node.ctime_ns = ToNanoseconds(st.st_ctim);
  node.device_id = st.st_dev;
  node.inode = st.st_ino;
  node.links = st.st_nlink;
  switch (node.type) {
    case NodeType::kFile:
      node.size = static_cast<uint64_t>(st.st_size);
      break;
    case NodeType::kCharDevice:
    case NodeType::kBlockDevice:
      node.rdev = st.st_rdev;
      break;
    case NodeType::kSymlink: {
      LIFEBOAT_ASSIGN_OR_RETURN(node.link_target,
                                ReadLinkTarget(path, static_cast<size_t>(st.st_size)));
      break;
    }
    default:
      break;
  }
  node.xattrs = ReadXattrs(path);
  return node;
}

Status CreateSpecialNode(const std::string& path, const Node& node) {
  LIFEBOAT_CHECK(node.type != NodeType::kFile && node.type != NodeType::kDirectory,
                 "files and directories are created by the restorer, not as special nodes");
  // Entries start private (0600); ApplyNodeMetadata sets the real mode once ownership is right,
  // so a device node is never briefly accessible to the wrong user.
  switch (node.type) {
    case NodeType::kSymlink:
      if (node.link_target.empty() || node.link_target.find('\0') != std::string::npos) {
        return InvalidArgumentError("creating symlink " + path +
                                    ": the target is empty or contains a NUL byte");
      }
      if (symlink(node.link_target.c_str(), path.c_str()) != 0) {
        return ErrnoError(errno, "creating symlink " + path);
      }
      return Status::Ok();
    case NodeType::kFifo:
      if (mkfifo(path.c_str(), 0600) != 0) return ErrnoError(errno, "creating fifo " + path);
      return Status::Ok();
    case NodeType::kCharDevice:
    case NodeType::kBlockDevice: {
      mode_t kind = node.type == NodeType::kCharDevice ? S_IFCHR : S_IFBLK;
      if (mknod(path.c_str(), kind | 0600, static_cast<dev_t>(node.rdev)) != 0) {
        return ErrnoError(errno, "creating device " + path + " (" +
                                     std::to_string(major(node.rdev)) + ":" +
                                     std::to_string(minor(node.rdev)) + ")");
      }
      return Status::Ok();
    }
    case NodeType::kSocket:
      return UnsupportedError("not restoring socket " + path +
                              ": a socket is recreated by the program that listens on it");
    default:
      break;
  }
  return InvalidArgumentError("creating " + path + ": unknown node type " +
                              std::to_string(static_cast<int>(node.type)));
}

Status ApplyNodeMetadata(const std::string& path, const Node& node, const ApplyOptions& options) {
  // Every step is attempted even after one fails (a file system without xattr support should
  // still get the right mode and times); the first failure is the one reported.
  Status first_error;
  auto record = [&first_error](Status status) {
    if (first_error.ok() && !status.ok()) first_error = std::move(status);
  };

  // Only root can give files away; an unprivileged restore keeps the restoring user as owner
  // instead of failing every file.
  if (options.restore_owner && geteuid() == 0) record(ApplyOwner(path, node));

  // Linux cannot change a symlink's mode (it is always 0777), so symlinks are left alone.
  if (node.type != NodeType::kSymlink) {
    if (chmod(path.c_str(), static_cast<mode_t>(node.mode & 07777)) != 0) {
      record(ErrnoError(errno, "changing mode of " + path));
    }
  }

  if (options.restore_xattrs) {
    for (const repo::Xattr& xattr : node.xattrs) record(ApplyXattr(path, xattr));
  }

  record(ApplyTimes(path, node));
  return first_error;
}

}  // namespace lifeboat::engine
