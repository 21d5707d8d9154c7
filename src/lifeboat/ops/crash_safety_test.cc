// Crash safety of the write order (packs → index → snapshot, docs/FORMAT.md): a backup whose
// storage stops accepting writes at any point leaves a repository that check passes, with no
// snapshot from the failed run, and the next backup completes and restores byte-exact.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "lifeboat/engine/backup.h"
#include "lifeboat/engine/restore.h"
#include "lifeboat/ops/check.h"
#include "lifeboat/storage/testing/faulty_backend.h"
#include "lifeboat/storage/testing/memory_backend.h"

namespace lifeboat::ops {
namespace {

namespace fs = std::filesystem;
using storage::testing::BackendMethod;
using storage::testing::Fault;
using storage::testing::FaultyBackend;
using storage::testing::MemoryBackend;

class CrashSafetyTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/lifeboat-crash-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    root_ = templ;
    source_ = root_ + "/source";
    fs::create_directories(source_ + "/sub");
    // Enough data for several packs: 40 files of 1.5 MiB of distinct bytes.
    for (int i = 0; i < 40; ++i) {
      std::ofstream out(source_ + (i % 2 ? "/sub/f" : "/f") + std::to_string(i), std::ios::binary);
      uint64_t state = 0x9e3779b97f4a7c15ull * (i + 1);
      for (int j = 0; j < (3 << 18); ++j) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.write(reinterpret_cast<const char*>(&state), 2);
      }
    }
    repo::InitOptions init;
    init.kdf = crypto::KdfParams{1, 8 * 1024, 1};
    ASSERT_TRUE(repo::Repository::Init(&memory_, "pw", init, SystemClock::Get()).ok());
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<repo::Repository> Open(storage::Backend* backend) {
    auto repository = repo::Repository::Open(backend, "pw", SystemClock::Get());
    EXPECT_TRUE(repository.ok()) << repository.status().ToString();
    EXPECT_TRUE((*repository)->LoadIndex().ok());
    return std::move(repository).value();
  }

  Result<engine::BackupResult> Backup(repo::Repository& repository) {
    engine::BackupOptions options;
    options.paths = {source_};
    options.hostname = "host";
    return engine::BackupPaths(repository, options, nullptr);
  }

  std::string root_, source_;
  MemoryBackend memory_;
};

TEST_P(CrashSafetyTest, BackupInterruptedAtAnyWriteLeavesARepositoryThatChecksAndRecovers) {
  const int writes_before_crash = GetParam();
  {
    FaultyBackend faulty(&memory_);
    auto repository = Open(&faulty);
    // Every put from the nth on fails: the process "dies" there.
    Fault crash;
    crash.method = BackendMethod::kPut;
    crash.first_call = static_cast<uint64_t>(writes_before_crash) + 1;
    crash.count = 0;
    crash.error = IoError("simulated crash");
    faulty.AddFault(crash);
    auto result = Backup(*repository);
    ASSERT_FALSE(result.ok()) << "the backup should not have completed";
  }
  {
    auto repository = Open(&memory_);
    auto snapshots = repository->ListSnapshots();
    ASSERT_TRUE(snapshots.ok());
    EXPECT_TRUE(snapshots->empty()) << "a failed backup must not leave a snapshot";
    auto report = CheckRepository(*repository, CheckOptions{.read_data = true}, nullptr);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->errors.empty()) << report->errors.front();
  }
  auto repository = Open(&memory_);
  auto result = Backup(*repository);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  auto reopened = Open(&memory_);
  auto report = CheckRepository(*reopened, CheckOptions{.read_data = true}, nullptr);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->errors.empty()) << report->errors.front();
  engine::RestoreOptions restore;
  restore.target = root_ + "/restore";
  auto restored = engine::RestoreSnapshot(*reopened, result->snapshot, restore, nullptr);
  ASSERT_TRUE(restored.ok());
  EXPECT_TRUE(restored->errors.empty());
  for (const auto& entry : fs::recursive_directory_iterator(source_)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream a(entry.path(), std::ios::binary);
    std::ifstream b(restore.target + entry.path().string(), std::ios::binary);
    std::string da((std::istreambuf_iterator<char>(a)), {});
    std::string db((std::istreambuf_iterator<char>(b)), {});
    EXPECT_TRUE(da == db) << entry.path();
  }
}

// The backup writes 4 data packs and a tree pack (in any order), one index file, then the
// snapshot: crash before anything, among the packs, before the index, before the snapshot.
INSTANTIATE_TEST_SUITE_P(WritesBeforeCrash, CrashSafetyTest, ::testing::Values(0, 1, 3, 4, 5, 6));

}  // namespace
}  // namespace lifeboat::ops
