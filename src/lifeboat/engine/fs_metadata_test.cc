#include "lifeboat/engine/fs_metadata.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/acl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace lifeboat::engine {
namespace {

using repo::Node;
using repo::NodeType;

// Ids no account on a test machine is likely to have, so names stay empty and numbers rule.
constexpr uid_t kUid = 4321;
constexpr gid_t kGid = 8765;
constexpr int64_t kMtimeNs = 1234567890123456789;
constexpr int64_t kAtimeNs = 1000000000987654321;

bool IsRoot() { return geteuid() == 0; }

bool SupportsUserXattrs(const std::string& dir) {
  std::string probe = dir + "/xattr-probe";
  int fd = open(probe.c_str(), O_CREAT | O_WRONLY, 0600);
  if (fd < 0) return false;
  close(fd);
  bool ok = setxattr(probe.c_str(), "user.lifeboat-probe", "1", 1, 0) == 0;
  unlink(probe.c_str());
  return ok;
}

std::string MakeTempDir(const std::string& parent) {
  std::string templ = parent + "/lifeboat-fs-metadata-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) return "";
  return templ;
}

std::string Show(const std::vector<repo::Xattr>& xattrs) {
  std::string out;
  for (const repo::Xattr& xattr : xattrs) {
    out += xattr.name + "=" + HexEncode(xattr.value) + "\n";
  }
  return out;
}

void WriteFile(const std::string& path, std::string_view content) {
  int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  ASSERT_GE(fd, 0) << path << ": " << std::strerror(errno);
  ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  close(fd);
}

void SetTimes(const std::string& path, int64_t atime_ns, int64_t mtime_ns) {
  auto to_timespec = [](int64_t ns) {
    timespec ts{};
    ts.tv_sec = ns / 1'000'000'000;
    ts.tv_nsec = ns % 1'000'000'000;
    if (ts.tv_nsec < 0) {
      ts.tv_nsec += 1'000'000'000;
      ts.tv_sec -= 1;
    }
    return ts;
  };
  timespec times[2] = {to_timespec(atime_ns), to_timespec(mtime_ns)};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0)
      << std::strerror(errno);
}

void SetXattr(const std::string& path, const std::string& name, std::string_view value) {
  ASSERT_EQ(lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0), 0)
      << name << ": " << std::strerror(errno);
}

std::string AclText(const std::string& path, acl_type_t type) {
  acl_t acl = acl_get_file(path.c_str(), type);
  if (acl == nullptr) return std::string("error: ") + std::strerror(errno);
  char* text = acl_to_text(acl, nullptr);
  std::string result = text != nullptr ? text : "";
  acl_free(text);
  acl_free(acl);
  return result;
}

// Sets an ACL from its text form; false (with errno) when the file system rejects ACLs.
bool SetAcl(const std::string& path, acl_type_t type, const char* text) {
  acl_t acl = acl_from_text(text);
  if (acl == nullptr) return false;
  int rc = acl_set_file(path.c_str(), type, acl);
  int saved = errno;
  acl_free(acl);
  errno = saved;
  return rc == 0;
}

// Every field a restore is meant to reproduce; ctime, inode, device and link count describe the
// restored entry itself and cannot carry over.
void ExpectSameRestorableMetadata(const Node& want, const Node& got) {
  EXPECT_EQ(static_cast<int>(got.type), static_cast<int>(want.type));
  EXPECT_EQ(got.mode, want.mode) << std::oct << "0" << got.mode << " vs 0" << want.mode;
  EXPECT_EQ(got.uid, want.uid);
  EXPECT_EQ(got.gid, want.gid);
  EXPECT_EQ(got.user, want.user);
  EXPECT_EQ(got.group, want.group);
  EXPECT_EQ(got.mtime_ns, want.mtime_ns);
  EXPECT_EQ(got.atime_ns, want.atime_ns);
  EXPECT_EQ(got.rdev, want.rdev);
  EXPECT_EQ(got.size, want.size);
  EXPECT_EQ(got.link_target, want.link_target);
  EXPECT_EQ(Show(got.xattrs), Show(want.xattrs));
}

class FsMetadataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The test needs user xattrs and ACLs; when the temp file system lacks them, the build
    // directory (the working directory under ctest) usually has them.
    for (const std::string& parent : {std::string("/tmp"), std::string(".")}) {
      dir_ = MakeTempDir(parent);
      if (dir_.empty()) continue;
      if (SupportsUserXattrs(dir_)) {
        xattrs_supported_ = true;
        return;
      }
      RemoveDir();
    }
    dir_ = MakeTempDir("/tmp");
    ASSERT_FALSE(dir_.empty()) << std::strerror(errno);
  }

  void TearDown() override { RemoveDir(); }

  void RemoveDir() {
    if (dir_.empty()) return;
    std::error_code error;
    std::filesystem::remove_all(dir_, error);
    dir_.clear();
  }

  std::string Path(std::string_view name) const { return dir_ + "/" + std::string(name); }

  // Reads `source`, applies the result to the already created `target`, and checks that reading
  // `target` back gives the same metadata. Returns the source's node.
  Node ExpectRoundTrip(const std::string& source, const std::string& target,
                       bool create_special = false) {
    Result<Node> original = ReadNodeMetadata(source, "entry");
    EXPECT_TRUE(original.ok()) << original.status().ToString();
    if (!original.ok()) return Node();
    if (create_special) {
      Status created = CreateSpecialNode(target, *original);
      EXPECT_TRUE(created.ok()) << created.ToString();
    }
    Status applied = ApplyNodeMetadata(target, *original, ApplyOptions());
    EXPECT_TRUE(applied.ok()) << applied.ToString();
    Result<Node> restored = ReadNodeMetadata(target, "entry");
    EXPECT_TRUE(restored.ok()) << restored.status().ToString();
    if (restored.ok()) ExpectSameRestorableMetadata(*original, *restored);
    return *original;
  }

  std::string dir_;
  bool xattrs_supported_ = false;
};

TEST_F(FsMetadataTest, RegularFileWithSpecialModeBitsRoundTrips) {
  if (!IsRoot()) GTEST_SKIP() << "chown to another owner needs root";
  for (uint32_t mode : {04755u, 02755u, 01777u, 06711u, 0640u, 0u}) {
    SCOPED_TRACE(mode);
    std::string source = Path("source-" + std::to_string(mode));
    std::string target = Path("target-" + std::to_string(mode));
    WriteFile(source, "hello");
    ASSERT_EQ(lchown(source.c_str(), kUid, kGid), 0);
    // After chown, which clears setuid and setgid.
    ASSERT_EQ(chmod(source.c_str(), mode), 0);
    SetTimes(source, kAtimeNs, kMtimeNs);
    WriteFile(target, "hello");

    Node node = ExpectRoundTrip(source, target);
    EXPECT_EQ(node.name, "entry");
    EXPECT_EQ(node.type, NodeType::kFile);
    EXPECT_EQ(node.mode, mode);
    EXPECT_EQ(node.uid, kUid);
    EXPECT_EQ(node.gid, kGid);
    EXPECT_EQ(node.mtime_ns, kMtimeNs);
    EXPECT_EQ(node.atime_ns, kAtimeNs);
    EXPECT_EQ(node.size, 5u);
    EXPECT_EQ(node.links, 1u);
    EXPECT_NE(node.inode, 0u);
    EXPECT_NE(node.ctime_ns, 0);
  }
}

TEST_F(FsMetadataTest, ReadsOwnerNames) {
  std::string path = Path("file");
  WriteFile(path, "");
  Result<Node> node = ReadNodeMetadata(path, "file");
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  passwd* user = getpwuid(node->uid);
  group* grp = getgrgid(node->gid);
  EXPECT_EQ(node->user, user != nullptr ? user->pw_name : "");
  EXPECT_EQ(node->group, grp != nullptr ? grp->gr_name : "");
}

TEST_F(FsMetadataTest, TimesBefore1970RoundTrip) {
  std::string source = Path("old");
  std::string target = Path("old-target");
  WriteFile(source, "");
  WriteFile(target, "");
  SetTimes(source, -1'500'000'000, -86'400'000'000'001);
  Node node = ExpectRoundTrip(source, target);
  EXPECT_EQ(node.atime_ns, -1'500'000'000);
  EXPECT_EQ(node.mtime_ns, -86'400'000'000'001);
}

TEST_F(FsMetadataTest, ExtendedAttributesRoundTripSortedByName) {
  if (!xattrs_supported_) GTEST_SKIP() << "no file system here supports user xattrs";
  std::string source = Path("source");
  std::string target = Path("target");
  WriteFile(source, "data");
  WriteFile(target, "data");
  SetXattr(source, "user.zeta", "z");
  SetXattr(source, "user.alpha", std::string_view("\0\x01\xff", 3));
  SetXattr(source, "user.empty", "");
  SetXattr(source, "user.big", std::string(3000, 'b'));

  Node node = ExpectRoundTrip(source, target);
  std::vector<std::string> names;
  for (const repo::Xattr& xattr : node.xattrs) {
    if (xattr.name.starts_with("user.")) names.push_back(xattr.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"user.alpha", "user.big", "user.empty", "user.zeta"}));
  EXPECT_TRUE(
      std::is_sorted(node.xattrs.begin(), node.xattrs.end(),
                     [](const repo::Xattr& a, const repo::Xattr& b) { return a.name < b.name; }));
  for (const repo::Xattr& xattr : node.xattrs) {
    if (xattr.name == "user.alpha") {
      EXPECT_EQ(xattr.value, Bytes({0, 1, 0xff}));
    }
    if (xattr.name == "user.big") {
      EXPECT_EQ(xattr.value.size(), 3000u);
    }
    if (xattr.name == "user.empty") {
      EXPECT_TRUE(xattr.value.empty());
    }
  }
}

TEST_F(FsMetadataTest, SkipsXattrsWhenNotRestoringThem) {
  if (!xattrs_supported_) GTEST_SKIP() << "no file system here supports user xattrs";
  std::string source = Path("source");
  std::string target = Path("target");
  WriteFile(source, "");
  WriteFile(target, "");
  SetXattr(source, "user.kept", "1");
  Result<Node> node = ReadNodeMetadata(source, "source");
  ASSERT_TRUE(node.ok());
  ASSERT_EQ(node->xattrs.size(), 1u);
  ASSERT_TRUE(ApplyNodeMetadata(target, *node, {.restore_xattrs = false}).ok());
  EXPECT_EQ(lgetxattr(target.c_str(), "user.kept", nullptr, 0), -1);
  EXPECT_EQ(errno, ENODATA);
}

TEST_F(FsMetadataTest, AccessAclSurvivesReadAndApply) {
  std::string source = Path("source");
  std::string target = Path("target");
  WriteFile(source, "");
  WriteFile(target, "");
  if (!SetAcl(source, ACL_TYPE_ACCESS, "u::rw-,u:4321:r--,g::r--,g:8765:rw-,m::rw-,o::---")) {
    GTEST_SKIP() << "the file system rejects POSIX ACLs: " << std::strerror(errno);
  }
  Node node = ExpectRoundTrip(source, target);
  EXPECT_TRUE(std::any_of(node.xattrs.begin(), node.xattrs.end(), [](const repo::Xattr& x) {
    return x.name == "system.posix_acl_access";
  })) << Show(node.xattrs);
  std::string want = AclText(source, ACL_TYPE_ACCESS);
  EXPECT_NE(want.find("user:4321:r--"), std::string::npos) << want;
  EXPECT_EQ(AclText(target, ACL_TYPE_ACCESS), want);
}

TEST_F(FsMetadataTest, DefaultAclOnDirectorySurvivesReadAndApply) {
  std::string source = Path("source");
  std::string target = Path("target");
  ASSERT_EQ(mkdir(source.c_str(), 0750), 0);
  ASSERT_EQ(mkdir(target.c_str(), 0700), 0);
  if (!SetAcl(source, ACL_TYPE_DEFAULT, "u::rwx,u:4321:rwx,g::r-x,m::rwx,o::---")) {
    GTEST_SKIP() << "the file system rejects POSIX ACLs: " << std::strerror(errno);
  }
  ExpectRoundTrip(source, target);
  std::string want = AclText(source, ACL_TYPE_DEFAULT);
  EXPECT_NE(want.find("user:4321:rwx"), std::string::npos) << want;
  EXPECT_EQ(AclText(target, ACL_TYPE_DEFAULT), want);
}

TEST_F(FsMetadataTest, SymlinkWithNonUtf8TargetRoundTrips) {
  if (!IsRoot()) GTEST_SKIP() << "lchown to another owner needs root";
  std::string source = Path("link");
  std::string target = Path("link-restored");
  std::string link_target = "\xff\xfe/not-utf8/\x80" + std::string(3000, 'x');
  ASSERT_EQ(symlink(link_target.c_str(), source.c_str()), 0) << std::strerror(errno);
  ASSERT_EQ(lchown(source.c_str(), kUid, kGid), 0);
  SetTimes(source, kAtimeNs, kMtimeNs);

  Node node = ExpectRoundTrip(source, target, /*create_special=*/true);
  EXPECT_EQ(node.type, NodeType::kSymlink);
  EXPECT_EQ(node.link_target, link_target);
  EXPECT_EQ(node.uid, kUid);
  EXPECT_EQ(node.size, 0u);
}

TEST_F(FsMetadataTest, FifoRoundTrips) {
  std::string source = Path("fifo");
  std::string target = Path("fifo-restored");
  ASSERT_EQ(mkfifo(source.c_str(), 0640), 0);
  if (IsRoot()) {
    ASSERT_EQ(lchown(source.c_str(), kUid, kGid), 0);
  }
  SetTimes(source, kAtimeNs, kMtimeNs);
  Node node = ExpectRoundTrip(source, target, /*create_special=*/true);
  EXPECT_EQ(node.type, NodeType::kFifo);
  EXPECT_EQ(node.mode, 0640u);
}

TEST_F(FsMetadataTest, DevicesRoundTrip) {
  if (!IsRoot()) GTEST_SKIP() << "mknod needs root";
  std::string char_source = Path("null");
  if (mknod(char_source.c_str(), S_IFCHR | 0620, makedev(1, 3)) != 0) {
    GTEST_SKIP() << "mknod is not permitted here (no CAP_MKNOD?): " << std::strerror(errno);
  }
  ASSERT_EQ(chmod(char_source.c_str(), 0620), 0);  // mknod applies the umask
  SetTimes(char_source, kAtimeNs, kMtimeNs);
  Node char_node = ExpectRoundTrip(char_source, Path("null-restored"), /*create_special=*/true);
  EXPECT_EQ(char_node.type, NodeType::kCharDevice);
  EXPECT_EQ(char_node.rdev, makedev(1, 3));
  EXPECT_EQ(char_node.mode, 0620u);

  std::string block_source = Path("loop");
  ASSERT_EQ(mknod(block_source.c_str(), S_IFBLK | 0600, makedev(7, 200)), 0);
  Node block_node = ExpectRoundTrip(block_source, Path("loop-restored"), /*create_special=*/true);
  EXPECT_EQ(block_node.type, NodeType::kBlockDevice);
  EXPECT_EQ(block_node.rdev, makedev(7, 200));
}

TEST_F(FsMetadataTest, SocketIsReadButNotRecreated) {
  std::string path = Path("sock");
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof(address.sun_path));
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0)
      << std::strerror(errno);
  close(fd);

  Result<Node> node = ReadNodeMetadata(path, "sock");
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ(node->type, NodeType::kSocket);
  std::string target = Path("sock-restored");
  Status created = CreateSpecialNode(target, *node);
  EXPECT_EQ(created.code(), StatusCode::kUnsupported);
  EXPECT_NE(created.message().find(target), std::string::npos) << created.message();
}

TEST_F(FsMetadataTest, NonUtf8FileNameRoundTrips) {
  std::string name = "\xff\xfe-name-\x80";
  std::string source = Path(name);
  std::string target = Path("\xc3\x28-target");
  WriteFile(source, "abc");
  WriteFile(target, "abc");
  ASSERT_EQ(chmod(source.c_str(), 0604), 0);
  SetTimes(source, kAtimeNs, kMtimeNs);
  Result<Node> node = ReadNodeMetadata(source, name);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ(node->name, name);
  ExpectRoundTrip(source, target);
}

TEST_F(FsMetadataTest, HardLinksShareDeviceAndInode) {
  std::string first = Path("first");
  std::string second = Path("second");
  WriteFile(first, "shared");
  ASSERT_EQ(link(first.c_str(), second.c_str()), 0);
  Result<Node> a = ReadNodeMetadata(first, "first");
  Result<Node> b = ReadNodeMetadata(second, "second");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->links, 2u);
  EXPECT_EQ(b->links, 2u);
  EXPECT_EQ(a->inode, b->inode);
  EXPECT_EQ(a->device_id, b->device_id);

  std::string target = Path("target");
  WriteFile(target, "shared");
  ExpectRoundTrip(first, target);
}

TEST_F(FsMetadataTest, EmptyDirectoryRoundTrips) {
  std::string source = Path("dir");
  std::string target = Path("dir-restored");
  ASSERT_EQ(mkdir(source.c_str(), 0700), 0);
  ASSERT_EQ(mkdir(target.c_str(), 0700), 0);
  if (IsRoot()) {
    ASSERT_EQ(lchown(source.c_str(), kUid, kGid), 0);
  }
  ASSERT_EQ(chmod(source.c_str(), 02750), 0);
  if (xattrs_supported_) SetXattr(source, "user.dir", "yes");
  SetTimes(source, kAtimeNs, kMtimeNs);
  Node node = ExpectRoundTrip(source, target);
  EXPECT_EQ(node.type, NodeType::kDirectory);
  EXPECT_EQ(node.mode, 02750u);
  EXPECT_EQ(node.size, 0u);
}

TEST_F(FsMetadataTest, RestoreOwnerPrefersNameOverNumericId) {
  if (!IsRoot()) GTEST_SKIP() << "chown needs root";
  passwd* daemon_user = getpwnam("daemon");
  group* daemon_group = getgrnam("daemon");
  if (daemon_user == nullptr || daemon_group == nullptr) {
    GTEST_SKIP() << "no daemon user and group on this system";
  }
  uid_t daemon_uid = daemon_user->pw_uid;
  gid_t daemon_gid = daemon_group->gr_gid;
  std::string path = Path("file");
  WriteFile(path, "");
  Result<Node> node = ReadNodeMetadata(path, "file");
  ASSERT_TRUE(node.ok());

  node->uid = kUid;
  node->gid = kGid;
  node->user = "daemon";
  node->group = "daemon";
  ASSERT_TRUE(ApplyNodeMetadata(path, *node, ApplyOptions()).ok());
  struct stat st;
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, daemon_uid);
  EXPECT_EQ(st.st_gid, daemon_gid);

  node->user = "no-such-user-lifeboat";
  node->group = "no-such-group-lifeboat";
  ASSERT_TRUE(ApplyNodeMetadata(path, *node, ApplyOptions()).ok());
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kUid);
  EXPECT_EQ(st.st_gid, kGid);
}

TEST_F(FsMetadataTest, KeepsOwnerWhenNotRestoringIt) {
  std::string source = Path("source");
  std::string target = Path("target");
  WriteFile(source, "");
  WriteFile(target, "");
  if (IsRoot()) {
    ASSERT_EQ(lchown(source.c_str(), kUid, kGid), 0);
  }
  Result<Node> node = ReadNodeMetadata(source, "source");
  ASSERT_TRUE(node.ok());
  struct stat before;
  ASSERT_EQ(lstat(target.c_str(), &before), 0);
  ASSERT_TRUE(ApplyNodeMetadata(target, *node, {.restore_owner = false}).ok());
  struct stat after;
  ASSERT_EQ(lstat(target.c_str(), &after), 0);
  EXPECT_EQ(after.st_uid, before.st_uid);
  EXPECT_EQ(after.st_gid, before.st_gid);
}

TEST_F(FsMetadataTest, MissingPathIsNotFound) {
  for (const std::string& path : {Path("missing"), Path("missing/child")}) {
    Result<Node> node = ReadNodeMetadata(path, "missing");
    ASSERT_FALSE(node.ok());
    EXPECT_EQ(node.status().code(), StatusCode::kNotFound);
    EXPECT_NE(node.status().message().find(path), std::string::npos) << node.status().message();
  }
  std::string file = Path("file");
  WriteFile(file, "");
  Result<Node> below_file = ReadNodeMetadata(file + "/child", "child");
  EXPECT_EQ(below_file.status().code(), StatusCode::kNotFound);
}

TEST_F(FsMetadataTest, ApplyToMissingPathNamesIt) {
  Node node;
  node.mode = 0644;
  std::string path = Path("missing");
  Status status = ApplyNodeMetadata(path, node, ApplyOptions());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find(path), std::string::npos) << status.message();
}

TEST_F(FsMetadataTest, CreateSpecialNodeRefusesExistingPath) {
  std::string path = Path("exists");
  WriteFile(path, "");
  Node fifo;
  fifo.type = NodeType::kFifo;
  EXPECT_EQ(CreateSpecialNode(path, fifo).code(), StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace lifeboat::engine
