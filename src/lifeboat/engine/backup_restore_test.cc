// End-to-end tests of the engine on a real local repository: a generated tree with every kind
// of entry goes through backup and restore and must come back identical in every byte and
// every piece of metadata; dedup, change detection, damage and escape attempts are checked.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "lifeboat/engine/backup.h"
#include "lifeboat/engine/restore.h"
#include "lifeboat/storage/local_backend.h"

namespace lifeboat::engine {
namespace {

namespace fs = std::filesystem;

Bytes RandomData(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes data(size, 0);
  for (size_t i = 0; i + 8 <= size; i += 8) {
    uint64_t v = rng();
    std::memcpy(data.data() + i, &v, 8);
  }
  for (size_t i = size - size % 8; i < size; ++i) data[i] = static_cast<uint8_t>(rng());
  return data;
}

void WriteFile(const std::string& path, ByteView data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good()) << path;
}

Bytes ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

uint64_t DirectorySize(const std::string& path) {
  uint64_t total = 0;
  for (const auto& entry : fs::recursive_directory_iterator(path)) {
    if (entry.is_regular_file()) total += entry.file_size();
  }
  return total;
}

class BackupRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/lifeboat-engine-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    root_ = templ;
    source_ = root_ + "/source";
    repo_dir_ = root_ + "/repo";
    fs::create_directories(source_);
    backend_ = std::make_unique<storage::LocalBackend>(repo_dir_);
    ASSERT_TRUE(backend_->CreateRoot().ok());
    repo::InitOptions init;
    init.kdf = crypto::KdfParams{1, 8 * 1024, 1};
    ASSERT_TRUE(repo::Repository::Init(backend_.get(), "pw", init, SystemClock::Get()).ok());
    Reopen();
  }
  void TearDown() override { fs::remove_all(root_); }

  void Reopen() {
    repository_.reset();
    auto opened = repo::Repository::Open(backend_.get(), "pw", SystemClock::Get());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    repository_ = std::move(opened).value();
    ASSERT_TRUE(repository_->LoadIndex().ok());
  }

  BackupResult Backup(std::vector<std::string> paths, BackupOptions options = {}) {
    options.paths = std::move(paths);
    options.hostname = "test-host";
    auto result = BackupPaths(*repository_, options, nullptr);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    Reopen();
    return result.ok() ? std::move(result).value() : BackupResult{};
  }

  RestoreResult Restore(const repo::Snapshot& snapshot, const std::string& target,
                        RestoreOptions options = {}) {
    options.target = target;
    auto result = RestoreSnapshot(*repository_, snapshot, options, nullptr);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? std::move(result).value() : RestoreResult{};
  }

  std::string root_, source_, repo_dir_;
  std::unique_ptr<storage::LocalBackend> backend_;
  std::unique_ptr<repo::Repository> repository_;
};

// Compares two trees entry by entry: type, mode, owner, size, mtime, content, link targets,
// xattrs, and hard-link groups.
void ExpectSameTree(const std::string& expected_root, const std::string& actual_root) {
  std::map<ino_t, std::string> expected_links, actual_links;
  size_t compared = 0;
  for (auto it = fs::recursive_directory_iterator(expected_root); it != fs::end(it); ++it) {
    const std::string rel = it->path().lexically_relative(expected_root).string();
    const std::string a = it->path().string();
    const std::string b = actual_root + "/" + rel;
    struct stat sa, sb;
    ASSERT_EQ(lstat(a.c_str(), &sa), 0) << a;
    ASSERT_EQ(lstat(b.c_str(), &sb), 0) << "missing after restore: " << rel;
    ++compared;
    EXPECT_EQ(sa.st_mode, sb.st_mode) << rel;
    EXPECT_EQ(sa.st_uid, sb.st_uid) << rel;
    EXPECT_EQ(sa.st_gid, sb.st_gid) << rel;
    if (!S_ISDIR(sa.st_mode)) {
      EXPECT_EQ(sa.st_mtim.tv_sec, sb.st_mtim.tv_sec) << rel;
      EXPECT_EQ(sa.st_mtim.tv_nsec, sb.st_mtim.tv_nsec) << rel;
    }
    if (S_ISREG(sa.st_mode)) {
      EXPECT_EQ(sa.st_size, sb.st_size) << rel;
      EXPECT_TRUE(ReadFile(a) == ReadFile(b)) << "content differs: " << rel;
      if (sa.st_nlink > 1) {
        auto [ea, inserted_a] = expected_links.try_emplace(sa.st_ino, rel);
        auto [eb, inserted_b] = actual_links.try_emplace(sb.st_ino, rel);
        EXPECT_EQ(inserted_a, inserted_b) << "hard-link group differs at " << rel;
        EXPECT_EQ(ea->second, eb->second) << "hard-link group differs at " << rel;
      }
    }
    if (S_ISLNK(sa.st_mode)) {
      EXPECT_EQ(fs::read_symlink(a), fs::read_symlink(b)) << rel;
    }
    if (S_ISCHR(sa.st_mode) || S_ISBLK(sa.st_mode)) {
      EXPECT_EQ(sa.st_rdev, sb.st_rdev) << rel;
    }
    if (!S_ISLNK(sa.st_mode)) {
      char va[256] = {}, vb[256] = {};
      ssize_t la = getxattr(a.c_str(), "user.lifeboat", va, sizeof(va));
      ssize_t lb = getxattr(b.c_str(), "user.lifeboat", vb, sizeof(vb));
      EXPECT_EQ(la, lb) << rel;
      if (la > 0) {
        EXPECT_EQ(std::string(va, la), std::string(vb, lb)) << rel;
      }
    }
  }
  EXPECT_GT(compared, 0u);
  // Nothing extra was restored either.
  size_t actual_count = 0;
  for (auto it = fs::recursive_directory_iterator(actual_root); it != fs::end(it); ++it) {
    ++actual_count;
  }
  EXPECT_EQ(actual_count, compared);
}

TEST_F(BackupRestoreTest, RoundTripPreservesEveryEntryKind) {
  const std::string s = source_ + "/tree";
  fs::create_directories(s + "/dir/nested/deeper");
  fs::create_directories(s + "/empty-dir");
  WriteFile(s + "/small.txt", AsBytes("hello lifeboat\n"));
  WriteFile(s + "/empty", {});
  WriteFile(s + "/dir/big.bin", RandomData(3 * 1024 * 1024 + 17, 1));
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "line " + std::to_string(i) + " of a log\n";
  WriteFile(s + "/dir/nested/log.txt", AsBytes(text));
  WriteFile(s + "/dir/nested/deeper/setuid", AsBytes("x"));
  chmod((s + "/dir/nested/deeper/setuid").c_str(), 04755);
  WriteFile(s + "/setgid", AsBytes("y"));
  chmod((s + "/setgid").c_str(), 02750);
  chmod((s + "/empty-dir").c_str(), 01777);
  WriteFile(s + "/owned", AsBytes("owned"));
  ASSERT_EQ(lchown((s + "/owned").c_str(), 4321, 8765), 0);
  WriteFile(s + "/name-\xff\xfe-latin1", AsBytes("not utf-8"));
  ASSERT_EQ(symlink("dir/big.bin", (s + "/link").c_str()), 0);
  ASSERT_EQ(symlink("/nonexistent/\xff", (s + "/dangling").c_str()), 0);
  WriteFile(s + "/hard-a", AsBytes("shared inode"));
  ASSERT_EQ(link((s + "/hard-a").c_str(), (s + "/dir/hard-b").c_str()), 0);
  ASSERT_EQ(mkfifo((s + "/fifo").c_str(), 0640), 0);
  {
    // A socket is recorded, not counted as an error, and left out of the restore.
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string socket_path = s + "/socket";
    ASSERT_LT(socket_path.size(), sizeof(address.sun_path));
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    close(fd);
  }
  if (geteuid() == 0) {
    ASSERT_EQ(mknod((s + "/null-device").c_str(), S_IFCHR | 0600, makedev(1, 3)), 0);
  }
  ASSERT_EQ(setxattr((s + "/small.txt").c_str(), "user.lifeboat", "v1", 2, 0), 0);
  ASSERT_EQ(setxattr((s + "/dir").c_str(), "user.lifeboat", "dir", 3, 0), 0);
  {
    // A sparse file: 24 MiB with 4 KiB of data in the middle.
    int fd = open((s + "/sparse").c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    Bytes middle = RandomData(4096, 7);
    ASSERT_EQ(pwrite(fd, middle.data(), middle.size(), 12 << 20), 4096);
    ASSERT_EQ(ftruncate(fd, 24 << 20), 0);
    close(fd);
  }
  // Times last: creating entries above changed the directories' times.
  for (const auto& entry : fs::recursive_directory_iterator(s)) {
    struct timespec times[2] = {{1600000000, 123456789}, {1600000000, 987654321}};
    utimensat(AT_FDCWD, entry.path().c_str(), times, AT_SYMLINK_NOFOLLOW);
  }

  BackupResult backup = Backup({s});
  EXPECT_EQ(backup.snapshot.summary.errors, 0u);
  EXPECT_FALSE(backup.partial());
  const std::string target = root_ + "/restore";
  RestoreOptions options;
  options.verify = true;
  RestoreResult restored = Restore(backup.snapshot, target, options);
  EXPECT_TRUE(restored.errors.empty()) << restored.errors.front();
  ASSERT_TRUE(fs::is_socket(s + "/socket"));
  EXPECT_FALSE(fs::exists(target + s + "/socket"));
  fs::remove(s + "/socket");
  ExpectSameTree(s, target + s);
  struct stat sparse;
  ASSERT_EQ(stat((target + s + "/sparse").c_str(), &sparse), 0);
  EXPECT_LT(sparse.st_blocks * 512, 1 << 20) << "the sparse file was restored dense";
}

TEST_F(BackupRestoreTest, UnchangedFilesAreNotReadAgain) {
  for (int i = 0; i < 20; ++i) {
    WriteFile(source_ + "/f" + std::to_string(i), RandomData(1000 + i, i));
  }
  BackupResult first = Backup({source_});
  EXPECT_EQ(first.snapshot.summary.files_new, 20u);
  BackupResult second = Backup({source_});
  EXPECT_EQ(second.snapshot.summary.files_unmodified, 20u);
  EXPECT_EQ(second.snapshot.summary.files_new, 0u);
  // Only trees of directories above the source (whose times other processes change) may be new.
  const uint64_t depth = std::count(source_.begin(), source_.end(), '/');
  EXPECT_LE(second.snapshot.summary.blobs_added, depth);
  ASSERT_TRUE(second.snapshot.parent.has_value());
  EXPECT_EQ(*second.snapshot.parent, first.snapshot_id);
  WriteFile(source_ + "/f3", AsBytes("changed"));
  BackupResult third = Backup({source_});
  EXPECT_EQ(third.snapshot.summary.files_changed, 1u);
  EXPECT_EQ(third.snapshot.summary.files_unmodified, 19u);
}

TEST_F(BackupRestoreTest, SameDataTwiceAddsLessThanOnePercent) {
  Bytes data = RandomData(200u << 20, 42);
  WriteFile(source_ + "/a.bin", data);
  Backup({source_});
  const uint64_t after_first = DirectorySize(repo_dir_);
  EXPECT_GT(after_first, 200u << 20);
  fs::create_directories(source_ + "/copy");
  WriteFile(source_ + "/copy/b.bin", data);
  BackupOptions reread;
  reread.force_reread = true;
  Backup({source_}, reread);
  const uint64_t after_second = DirectorySize(repo_dir_);
  EXPECT_LT(after_second - after_first, after_first / 100);
}

TEST_F(BackupRestoreTest, OneByteInsertedInTheMiddleAddsFewChunks) {
  Bytes data = RandomData(100u << 20, 9);
  WriteFile(source_ + "/big.bin", data);
  Backup({source_});
  data.insert(data.begin() + data.size() / 2, 0x5a);
  WriteFile(source_ + "/big.bin", data);
  BackupResult second = Backup({source_});
  // New trees for every directory from / down to the source, plus at most 3 data chunks.
  const uint64_t depth = std::count(source_.begin(), source_.end(), '/') + 1;
  EXPECT_LE(second.snapshot.summary.blobs_added, depth + 3);
  EXPECT_LE(second.snapshot.summary.bytes_added, depth * 4096 + 3 * (8u << 20));
  RestoreResult restored = Restore(second.snapshot, root_ + "/restore");
  EXPECT_TRUE(restored.errors.empty());
  EXPECT_TRUE(ReadFile(root_ + "/restore" + source_ + "/big.bin") == data);
}

TEST_F(BackupRestoreTest, ExcludedEntriesAreLeftOut) {
  WriteFile(source_ + "/keep.txt", AsBytes("keep"));
  WriteFile(source_ + "/skip.tmp", AsBytes("skip"));
  fs::create_directories(source_ + "/cache");
  WriteFile(source_ + "/cache/x", AsBytes("x"));
  BackupOptions options;
  options.excludes = {"*.tmp", "/" + source_.substr(1) + "/cache"};
  BackupResult backup = Backup({source_}, options);
  Restore(backup.snapshot, root_ + "/restore");
  EXPECT_TRUE(fs::exists(root_ + "/restore" + source_ + "/keep.txt"));
  EXPECT_FALSE(fs::exists(root_ + "/restore" + source_ + "/skip.tmp"));
  EXPECT_FALSE(fs::exists(root_ + "/restore" + source_ + "/cache"));
}

TEST_F(BackupRestoreTest, IncludeRestoresOnlyMatchingEntries) {
  fs::create_directories(source_ + "/uploads/2026");
  fs::create_directories(source_ + "/logs");
  WriteFile(source_ + "/uploads/2026/a.jpg", AsBytes("jpeg"));
  WriteFile(source_ + "/logs/app.log", AsBytes("log"));
  BackupResult backup = Backup({source_});
  RestoreOptions options;
  options.includes = {"uploads/**"};
  RestoreResult restored = Restore(backup.snapshot, root_ + "/restore", options);
  EXPECT_TRUE(restored.errors.empty());
  EXPECT_TRUE(ReadFile(root_ + "/restore" + source_ + "/uploads/2026/a.jpg") == ToBytes("jpeg"));
  EXPECT_FALSE(fs::exists(root_ + "/restore" + source_ + "/logs"));
}

TEST_F(BackupRestoreTest, RestoreRefusesToFollowASymlinkOutOfTheTarget) {
  WriteFile(source_ + "/secret", AsBytes("data"));
  BackupResult backup = Backup({source_});
  const std::string target = root_ + "/restore";
  const std::string outside = root_ + "/outside";
  fs::create_directories(target);
  fs::create_directories(outside);
  // The first directory of the snapshot's paths is a symlink pointing elsewhere.
  const std::string first = source_.substr(1, source_.find('/', 1) - 1);
  ASSERT_EQ(symlink(outside.c_str(), (target + "/" + first).c_str()), 0);
  RestoreResult restored = Restore(backup.snapshot, target);
  ASSERT_FALSE(restored.errors.empty());
  EXPECT_NE(restored.errors.front().find("refusing to restore into"), std::string::npos)
      << restored.errors.front();
  EXPECT_TRUE(fs::is_empty(outside)) << "restore wrote outside the target";
}

TEST_F(BackupRestoreTest, DamagedBlobFailsOnlyTheFileUsingIt) {
  WriteFile(source_ + "/damaged.bin", RandomData(2 << 20, 3));
  WriteFile(source_ + "/intact.bin", RandomData(2 << 20, 4));
  BackupResult backup = Backup({source_});
  // Find the first chunk of damaged.bin and flip a byte of it inside its pack.
  Bytes damaged = ReadFile(source_ + "/damaged.bin");
  const repo::Chunker& chunker = repository_->chunker();
  const size_t first_chunk = chunker.FindBoundary(damaged);
  const Id blob = repository_->HashBlob(ByteView(damaged).first(first_chunk));
  auto location = repository_->index().Lookup(blob);
  ASSERT_TRUE(location.has_value());
  const std::string pack_path =
      repo_dir_ + "/" + storage::ObjectPath({storage::ObjectKind::kPack, location->pack.Hex()});
  {
    std::fstream pack(pack_path, std::ios::in | std::ios::out | std::ios::binary);
    pack.seekg(location->offset + 100);
    char byte;
    pack.read(&byte, 1);
    byte ^= 0x40;
    pack.seekp(location->offset + 100);
    pack.write(&byte, 1);
  }
  RestoreResult restored = Restore(backup.snapshot, root_ + "/restore");
  ASSERT_EQ(restored.errors.size(), 1u);
  EXPECT_NE(restored.errors[0].find("damaged.bin"), std::string::npos) << restored.errors[0];
  EXPECT_NE(restored.errors[0].find(blob.Hex()), std::string::npos) << restored.errors[0];
  EXPECT_TRUE(ReadFile(root_ + "/restore" + source_ + "/intact.bin") ==
              ReadFile(source_ + "/intact.bin"));
}

TEST_F(BackupRestoreTest, StreamBackupStoresOneFile) {
  Bytes data = RandomData(5u << 20, 11);
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  std::thread writer([&] {
    size_t written = 0;
    while (written < data.size()) {
      ssize_t n = write(pipe_fds[1], data.data() + written, data.size() - written);
      if (n <= 0) break;
      written += n;
    }
    close(pipe_fds[1]);
  });
  StreamBackupOptions options;
  options.filename = "mydb.dump";
  auto result = BackupStream(*repository_, pipe_fds[0], options, nullptr);
  writer.join();
  close(pipe_fds[0]);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->snapshot.source, "stdin");
  EXPECT_EQ(result->snapshot.summary.total_bytes, data.size());
  Reopen();
  Restore(result->snapshot, root_ + "/restore");
  EXPECT_TRUE(ReadFile(root_ + "/restore/mydb.dump") == data);
}

TEST_F(BackupRestoreTest, StreamBackupAbortsWithoutSnapshotWhenTheProducerFails) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  ASSERT_EQ(write(pipe_fds[1], "partial", 7), 7);
  close(pipe_fds[1]);
  StreamBackupOptions options;
  options.filename = "dump.sql";
  options.before_commit = [] { return IoError("pg_dump exited with status 1"); };
  auto result = BackupStream(*repository_, pipe_fds[0], options, nullptr);
  close(pipe_fds[0]);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "pg_dump exited with status 1");
  auto snapshots = repository_->ListSnapshots();
  ASSERT_TRUE(snapshots.ok());
  EXPECT_TRUE(snapshots->empty());
}

TEST_F(BackupRestoreTest, MissingPathIsAnError) {
  BackupOptions options;
  options.paths = {root_ + "/does-not-exist"};
  auto result = BackupPaths(*repository_, options, nullptr);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(result.status().message(), "the path " + root_ + "/does-not-exist does not exist");
}

}  // namespace
}  // namespace lifeboat::engine
