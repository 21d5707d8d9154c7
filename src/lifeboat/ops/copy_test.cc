// Copy between repositories with different passwords (so different id keys) and different
// chunker parameters: a copied snapshot restores byte- and metadata-exact, running copy again
// copies nothing, shared data is not written twice, and a copy whose destination stops
// accepting writes leaves no snapshot and completes when run again.
#include "lifeboat/ops/copy.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "lifeboat/engine/backup.h"
#include "lifeboat/engine/restore.h"
#include "lifeboat/ops/check.h"
#include "lifeboat/ops/testing/test_repository.h"
#include "lifeboat/storage/testing/faulty_backend.h"
#include "lifeboat/storage/testing/memory_backend.h"

namespace lifeboat::ops {
namespace {

namespace fs = std::filesystem;
using storage::testing::BackendMethod;
using storage::testing::Fault;
using storage::testing::FaultyBackend;
using storage::testing::MemoryBackend;
using testing::TestContent;
using testing::ValueOrDie;

constexpr std::string_view kSourcePassword = "source secret";
constexpr std::string_view kDestinationPassword = "destination secret";

void Init(MemoryBackend* backend, std::string_view password, repo::ChunkerParams chunker) {
  repo::InitOptions init;
  init.kdf = crypto::KdfParams{1, 8 * 1024, 1};
  init.chunker = chunker;
  Status status = repo::Repository::Init(backend, password, init, SystemClock::Get());
  ASSERT_TRUE(status.ok()) << status.ToString();
}

std::unique_ptr<repo::Repository> Open(storage::Backend* backend, std::string_view password) {
  auto repository = ValueOrDie(repo::Repository::Open(backend, password, SystemClock::Get()));
  Status loaded = repository->LoadIndex();
  EXPECT_TRUE(loaded.ok()) << loaded.ToString();
  return repository;
}

void WriteFile(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// Every data chunk id below a tree, with its size.
void CollectChunks(repo::Repository& repository, const Id& tree_id,
                   std::map<Id, uint32_t>* chunks) {
  repo::Tree tree = ValueOrDie(repository.LoadTree(tree_id));
  for (const repo::Node& node : tree.nodes) {
    for (const repo::ContentChunk& chunk : node.content) chunks->emplace(chunk.id, chunk.size);
    if (node.subtree) CollectChunks(repository, *node.subtree, chunks);
  }
}

std::string Content(repo::Repository& repository, const repo::Node& node) {
  std::string content;
  for (const repo::ContentChunk& chunk : node.content) {
    Bytes data = ValueOrDie(repository.LoadBlob(chunk.id));
    content.append(reinterpret_cast<const char*>(data.data()), data.size());
  }
  return content;
}

// Both trees hold the same entries with the same metadata and file bytes; only ids differ.
void ExpectSameTree(repo::Repository& source, const Id& source_tree, repo::Repository& copy,
                    const Id& copy_tree, const std::string& path) {
  repo::Tree a = ValueOrDie(source.LoadTree(source_tree));
  repo::Tree b = ValueOrDie(copy.LoadTree(copy_tree));
  ASSERT_EQ(a.nodes.size(), b.nodes.size()) << path;
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    repo::Node x = a.nodes[i];
    repo::Node y = b.nodes[i];
    const std::string child = path + "/" + x.name;
    EXPECT_EQ(Content(source, x), Content(copy, y)) << child;
    ASSERT_EQ(x.subtree.has_value(), y.subtree.has_value()) << child;
    if (x.subtree) ExpectSameTree(source, *x.subtree, copy, *y.subtree, child);
    ASSERT_EQ(x.content.size(), y.content.size()) << child;
    for (size_t c = 0; c < x.content.size(); ++c) EXPECT_EQ(x.content[c].size, y.content[c].size);
    x.content.clear();
    y.content.clear();
    x.subtree.reset();
    y.subtree.reset();
    EXPECT_EQ(x, y) << child;
  }
}

class CopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/lifeboat-copy-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    root_ = templ;
    data_ = root_ + "/data";
    fs::create_directories(data_ + "/sub/deeper");
    WriteFile(data_ + "/big.bin", TestContent(900'000, 1));
    WriteFile(data_ + "/sub/medium.bin", TestContent(200'000, 2));
    WriteFile(data_ + "/sub/deeper/small.txt", "hello\n");
    WriteFile(data_ + "/empty", "");
    // The same content twice: one blob in each repository.
    WriteFile(data_ + "/sub/twin.bin", TestContent(200'000, 2));
    fs::create_symlink("sub/deeper/small.txt", data_ + "/link");
    chmod((data_ + "/sub/deeper/small.txt").c_str(), 0600);
    // Small chunks in the source, large ones in the destination: copy keeps the source's.
    Init(&source_backend_, kSourcePassword, {16 * 1024, 32 * 1024, 128 * 1024});
    Init(&destination_backend_, kDestinationPassword, {256 * 1024, 512 * 1024, 2048 * 1024});
    source_ = Open(&source_backend_, kSourcePassword);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::pair<Id, repo::Snapshot> Backup(std::vector<std::string> tags = {}) {
    engine::BackupOptions options;
    options.paths = {data_};
    options.hostname = "host-a";
    options.username = "alice";
    options.tags = std::move(tags);
    options.threads = 2;
    engine::BackupResult result = ValueOrDie(engine::BackupPaths(*source_, options, nullptr));
    return {result.snapshot_id, result.snapshot};
  }

  // `entries`: how many entries the data directory holds, so a restore missing some fails.
  void ExpectRestoresLikeData(repo::Repository& repository, const repo::Snapshot& snapshot,
                              size_t entries = 8) {
    engine::RestoreOptions options;
    options.target = root_ + "/restore";
    fs::remove_all(options.target);
    engine::RestoreResult restored =
        ValueOrDie(engine::RestoreSnapshot(repository, snapshot, options, nullptr));
    EXPECT_TRUE(restored.errors.empty()) << restored.errors.front();
    size_t compared = 0;
    for (const auto& entry : fs::recursive_directory_iterator(data_)) {
      const std::string copy = options.target + entry.path().string();
      struct stat a {
      }, b{};
      ASSERT_EQ(lstat(entry.path().c_str(), &a), 0);
      ASSERT_EQ(lstat(copy.c_str(), &b), 0) << copy;
      EXPECT_EQ(a.st_mode, b.st_mode) << copy;
      if (!S_ISDIR(a.st_mode)) {
        EXPECT_EQ(a.st_mtim.tv_sec, b.st_mtim.tv_sec) << copy;
        EXPECT_EQ(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec) << copy;
      }
      if (S_ISREG(a.st_mode)) {
        EXPECT_TRUE(ReadFile(entry.path()) == ReadFile(copy)) << copy;
      }
      if (S_ISLNK(a.st_mode)) {
        EXPECT_EQ(fs::read_symlink(entry.path()), fs::read_symlink(copy));
      }
      ++compared;
    }
    EXPECT_EQ(compared, entries);
  }

  // Packs a failed copy left unindexed are warnings, so `warnings_allowed` after a crash.
  void ExpectChecks(storage::Backend* backend, bool warnings_allowed = false) {
    auto repository = Open(backend, kDestinationPassword);
    CheckReport report =
        ValueOrDie(CheckRepository(*repository, CheckOptions{.read_data = true}, nullptr));
    EXPECT_TRUE(report.errors.empty()) << report.errors.front();
    if (!warnings_allowed) {
      EXPECT_TRUE(report.warnings.empty()) << report.warnings.front();
    }
  }

  size_t Count(MemoryBackend& backend, storage::ObjectKind kind) {
    size_t count = 0;
    testing::ExpectOk(backend.List(kind, "", [&](const storage::ObjectInfo&) {
      ++count;
      return Status::Ok();
    }));
    return count;
  }

  std::string root_, data_;
  MemoryBackend source_backend_, destination_backend_;
  std::unique_ptr<repo::Repository> source_;
};

TEST_F(CopyTest, CopiedSnapshotRestoresByteIdenticalWithTheOriginalsMetadata) {
  auto [source_id, original] = Backup({"daily"});
  auto destination = Open(&destination_backend_, kDestinationPassword);
  CopyProgress progress;
  CopyReport report =
      ValueOrDie(CopySnapshots(*source_, *destination, {{source_id, original}}, {}, &progress));
  EXPECT_EQ(report.copied, 1u);
  EXPECT_EQ(report.skipped, 0u);
  std::map<Id, uint32_t> chunks;
  CollectChunks(*source_, original.tree, &chunks);
  EXPECT_EQ(report.blobs_copied, chunks.size());
  uint64_t bytes = 0;
  for (const auto& [id, size] : chunks) bytes += size;
  EXPECT_EQ(report.bytes_copied, bytes);
  EXPECT_EQ(report.blobs_present, 0u);
  EXPECT_GT(report.trees_written, 3u);
  EXPECT_EQ(progress.snapshots_done, 1u);
  EXPECT_EQ(progress.blobs_copied, report.blobs_copied);

  ASSERT_EQ(report.snapshots.size(), 1u);
  const CopiedSnapshot& copied = report.snapshots[0];
  EXPECT_FALSE(copied.skipped);
  EXPECT_EQ(copied.source_id, source_id);

  auto reopened = Open(&destination_backend_, kDestinationPassword);
  auto snapshots = ValueOrDie(reopened->ListSnapshots());
  ASSERT_EQ(snapshots.size(), 1u);
  const auto& [copy_id, copy] = snapshots[0];
  EXPECT_EQ(copy_id, copied.destination_id);
  EXPECT_EQ(copy.original, source_id);
  EXPECT_NE(copy.tree, original.tree);  // another key, another id
  EXPECT_EQ(copy.time_ns, original.time_ns);
  EXPECT_EQ(copy.hostname, "host-a");
  EXPECT_EQ(copy.username, "alice");
  EXPECT_EQ(copy.paths, original.paths);
  EXPECT_EQ(copy.tags, std::vector<std::string>{"daily"});
  EXPECT_EQ(copy.source, "files");
  EXPECT_EQ(copy.program_version, original.program_version);
  EXPECT_EQ(copy.summary.total_bytes, original.summary.total_bytes);
  EXPECT_EQ(copy.summary.end_ns, original.summary.end_ns);
  EXPECT_FALSE(copy.parent.has_value());

  ExpectSameTree(*source_, original.tree, *reopened, copy.tree, "");
  ExpectRestoresLikeData(*reopened, copy);
  ExpectChecks(&destination_backend_);
}

TEST_F(CopyTest, CopyingAgainCopiesNothing) {
  auto [source_id, original] = Backup();
  {
    auto destination = Open(&destination_backend_, kDestinationPassword);
    ValueOrDie(CopySnapshots(*source_, *destination, {{source_id, original}}, {}, nullptr));
  }
  const size_t packs = Count(destination_backend_, storage::ObjectKind::kPack);
  const size_t indexes = Count(destination_backend_, storage::ObjectKind::kIndex);

  auto destination = Open(&destination_backend_, kDestinationPassword);
  CopyReport again =
      ValueOrDie(CopySnapshots(*source_, *destination, {{source_id, original}}, {}, nullptr));
  EXPECT_EQ(again.copied, 0u);
  EXPECT_EQ(again.skipped, 1u);
  EXPECT_EQ(again.blobs_copied + again.blobs_present + again.trees_written, 0u);
  ASSERT_EQ(again.snapshots.size(), 1u);
  EXPECT_TRUE(again.snapshots[0].skipped);
  EXPECT_EQ(Count(destination_backend_, storage::ObjectKind::kSnapshot), 1u);
  EXPECT_EQ(Count(destination_backend_, storage::ObjectKind::kPack), packs);
  EXPECT_EQ(Count(destination_backend_, storage::ObjectKind::kIndex), indexes);

  // Copying the copy back finds the original it came from.
  const Id copy_id = again.snapshots[0].destination_id;
  CopyReport back = ValueOrDie(
      CopySnapshots(*destination, *source_, {{copy_id, again.snapshots[0].snapshot}}, {}, nullptr));
  EXPECT_EQ(back.skipped, 1u);
  EXPECT_EQ(back.snapshots[0].destination_id, source_id);
  EXPECT_EQ(Count(source_backend_, storage::ObjectKind::kSnapshot), 1u);
}

TEST_F(CopyTest, SecondSnapshotWritesOnlyItsNewBlobs) {
  auto first = Backup();
  {
    auto destination = Open(&destination_backend_, kDestinationPassword);
    ValueOrDie(CopySnapshots(*source_, *destination, {first}, {}, nullptr));
  }
  WriteFile(data_ + "/sub/new.bin", TestContent(300'000, 7));
  auto second = Backup();
  EXPECT_EQ(second.second.parent, first.first);

  std::map<Id, uint32_t> old_chunks, new_chunks;
  CollectChunks(*source_, first.second.tree, &old_chunks);
  CollectChunks(*source_, second.second.tree, &new_chunks);
  uint64_t added = 0, added_bytes = 0, shared = 0, shared_bytes = 0;
  for (const auto& [id, size] : new_chunks) {
    (old_chunks.contains(id) ? shared : added) += 1;
    (old_chunks.contains(id) ? shared_bytes : added_bytes) += size;
  }
  ASSERT_GT(added, 0u);
  ASSERT_GT(shared, added);

  auto destination = Open(&destination_backend_, kDestinationPassword);
  CopyReport report =
      ValueOrDie(CopySnapshots(*source_, *destination, {first, second}, {}, nullptr));
  EXPECT_EQ(report.skipped, 1u);
  EXPECT_EQ(report.copied, 1u);
  EXPECT_EQ(report.blobs_copied, added);
  EXPECT_EQ(report.bytes_copied, added_bytes);
  EXPECT_EQ(report.blobs_present, shared);
  EXPECT_EQ(report.bytes_present, shared_bytes);
  // At least the root, tmp, the test's directory, data and sub changed.
  EXPECT_GE(report.trees_written, 5u);

  const repo::Snapshot& copy = report.snapshots[1].snapshot;
  // The parent becomes the copy of the source's parent.
  EXPECT_EQ(copy.parent, report.snapshots[0].destination_id);
  auto reopened = Open(&destination_backend_, kDestinationPassword);
  ExpectRestoresLikeData(*reopened, copy, 9);
  ExpectChecks(&destination_backend_);
}

TEST_F(CopyTest, BoundedIdMapsStillCopyEverything) {
  auto first = Backup();
  WriteFile(data_ + "/another.bin", TestContent(100'000, 9));
  auto second = Backup();
  auto destination = Open(&destination_backend_, kDestinationPassword);
  // A bound of one: the maps are emptied before nearly every tree, and the copy is still
  // right; only the destination's index keeps data from being written twice.
  CopyReport report =
      ValueOrDie(CopySnapshots(*source_, *destination, {first, second},
                               CopyOptions{.threads = 3, .max_remembered_ids = 1}, nullptr));
  EXPECT_EQ(report.copied, 2u);
  std::map<Id, uint32_t> chunks;
  CollectChunks(*source_, second.second.tree, &chunks);
  EXPECT_EQ(report.blobs_copied, chunks.size());
  auto reopened = Open(&destination_backend_, kDestinationPassword);
  ExpectRestoresLikeData(*reopened, report.snapshots[1].snapshot, 9);
  ExpectChecks(&destination_backend_);
}

TEST_F(CopyTest, UnreadableSourceFailsTheCopyAndWritesNoSnapshot) {
  auto [source_id, original] = Backup();
  // The first read fails the root tree; later ones a subtree or a blob on the pool, whose
  // failure must reach the caller as the first error, not a cancellation.
  for (uint64_t first_failing_read : {1, 2, 5, 8, 12}) {
    SCOPED_TRACE("first failing read " + std::to_string(first_failing_read));
    FaultyBackend faulty(&source_backend_);
    auto source = Open(&faulty, kSourcePassword);
    faulty.AddFault(Fault{.method = BackendMethod::kGet,
                          .first_call = faulty.CallCount(BackendMethod::kGet) + first_failing_read,
                          .count = 0,
                          .kind = storage::ObjectKind::kPack,
                          .error = IoError("disk gone")});
    auto destination = Open(&destination_backend_, kDestinationPassword);
    Result<CopyReport> failed =
        CopySnapshots(*source, *destination, {{source_id, original}}, {}, nullptr);
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.status().code(), StatusCode::kIoError);
    EXPECT_TRUE(failed.status().message().starts_with("copying snapshot " + source_id.ShortHex() +
                                                      ": reading "))
        << failed.status().message();
    EXPECT_TRUE(failed.status().message().ends_with("disk gone")) << failed.status().message();
    EXPECT_EQ(Count(destination_backend_, storage::ObjectKind::kSnapshot), 0u);
  }
}

class CopyCrashTest : public CopyTest, public ::testing::WithParamInterface<int> {};

TEST_P(CopyCrashTest, DestinationFailingAtAWriteLeavesNoSnapshotAndARerunCompletes) {
  auto [source_id, original] = Backup();
  {
    FaultyBackend faulty(&destination_backend_);
    auto destination = Open(&faulty, kDestinationPassword);
    // Every put from the nth on fails: the process "dies" there.
    faulty.AddFault(Fault{.method = BackendMethod::kPut,
                          .first_call = static_cast<uint64_t>(GetParam()),
                          .count = 0,
                          .error = IoError("simulated crash")});
    Result<CopyReport> failed =
        CopySnapshots(*source_, *destination, {{source_id, original}}, {}, nullptr);
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.status().code(), StatusCode::kIoError);
    EXPECT_TRUE(
        failed.status().message().starts_with("copying snapshot " + source_id.ShortHex() + ": "))
        << failed.status().message();
    EXPECT_TRUE(failed.status().message().ends_with("simulated crash"))
        << failed.status().message();
    EXPECT_EQ(failed.status().hint(),
              "0 of 1 snapshots were copied before the failure; run copy again to copy the rest "
              "(data already written is not written again)");
  }
  EXPECT_EQ(Count(destination_backend_, storage::ObjectKind::kSnapshot), 0u);
  ExpectChecks(&destination_backend_, /*warnings_allowed=*/true);

  auto destination = Open(&destination_backend_, kDestinationPassword);
  CopyReport report =
      ValueOrDie(CopySnapshots(*source_, *destination, {{source_id, original}}, {}, nullptr));
  EXPECT_EQ(report.copied, 1u);
  auto reopened = Open(&destination_backend_, kDestinationPassword);
  auto snapshots = ValueOrDie(reopened->ListSnapshots());
  ASSERT_EQ(snapshots.size(), 1u);
  ExpectRestoresLikeData(*reopened, snapshots[0].second);
  // The failed run's packs stay unindexed (the re-run wrote its own) until prune.
  ExpectChecks(&destination_backend_, /*warnings_allowed=*/true);
}

// The destination's writes: the data pack, the tree pack (in either order), the index file,
// then the snapshot.
INSTANTIATE_TEST_SUITE_P(AtWrite, CopyCrashTest, ::testing::Values(1, 2, 3, 4));

TEST(SameBackup, ByOriginalIdOrByMetadata) {
  repo::Snapshot snapshot;
  snapshot.time_ns = 5;
  snapshot.hostname = "h";
  snapshot.paths = {"/p"};
  const Id source_id = Id::FromHex(std::string(64, 'a')).value();
  const Id other_id = Id::FromHex(std::string(64, 'b')).value();

  repo::Snapshot copy = snapshot;
  copy.original = source_id;
  copy.time_ns = 6;  // the record decides, not the time
  EXPECT_TRUE(SameBackup(source_id, snapshot, other_id, copy));

  repo::Snapshot twin = snapshot;
  EXPECT_TRUE(SameBackup(source_id, snapshot, other_id, twin));
  twin.tags = {"t"};
  EXPECT_FALSE(SameBackup(source_id, snapshot, other_id, twin));
  twin = snapshot;
  twin.manifest = "{}";
  EXPECT_FALSE(SameBackup(source_id, snapshot, other_id, twin));

  // A copy of a copy records the first original too.
  const Id third_id = Id::FromHex(std::string(64, 'c')).value();
  repo::Snapshot copy_of_copy = snapshot;
  copy_of_copy.original = source_id;
  copy_of_copy.time_ns = 8;
  EXPECT_TRUE(SameBackup(other_id, copy, third_id, copy_of_copy));
  copy_of_copy.original = third_id;
  EXPECT_FALSE(SameBackup(other_id, copy, third_id, copy_of_copy));
}

}  // namespace
}  // namespace lifeboat::ops
