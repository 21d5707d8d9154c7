#include "lifeboat/ops/prune.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <utility>

#include "lifeboat/ops/check.h"
#include "lifeboat/ops/testing/test_repository.h"
#include "lifeboat/repo/lock.h"

namespace lifeboat::ops {
namespace {

using storage::ObjectKey;
using storage::ObjectKind;
using testing::ExpectOk;
using ::testing::HasSubstr;
using testing::TestContent;
using testing::TestRepository;
using testing::ValueOrDie;

constexpr int64_t kHour = 3600;

std::map<std::string, std::string> ReadFiles(TestRepository& t, const Id& snapshot_id) {
  return t.ReadFiles(snapshot_id);
}

void ExpectCheckPasses(TestRepository& t) {
  auto repository = t.OpenFresh();
  ExpectOk(repository->LoadIndex());
  CheckReport report =
      ValueOrDie(CheckRepository(*repository, CheckOptions{.read_data = true}, nullptr));
  EXPECT_TRUE(report.errors.empty()) << report.errors.front();
}

class PruneTest : public ::testing::Test {
 protected:
  Result<PruneReport> RunPrune(double max_unused = kDefaultMaxUnused, bool dry_run = false) {
    auto repository = t_.OpenFresh();
    PruneOptions options{.max_unused = max_unused,
                         .grace_seconds = kHour,
                         .dry_run = dry_run,
                         .hostname = "testhost",
                         .username = "pruner"};
    return Prune(*repository, options, nullptr, nullptr);
  }

  PruneReport PruneOk(double max_unused = kDefaultMaxUnused) {
    return ValueOrDie(RunPrune(max_unused));
  }

  void Forget(const Id& snapshot) {
    ExpectOk(t_.backend().Remove(ObjectKey{ObjectKind::kSnapshot, snapshot.Hex()}));
  }

  bool PackExists(const Id& pack) { return t_.Names(ObjectKind::kPack).contains(pack.Hex()); }

  TestRepository t_;
  const std::string a_ = TestContent(5000, 1);
  const std::string b_ = TestContent(5000, 2);
};

TEST_F(PruneTest, MarksUnusedPacksAndSweepsThemInALaterRunAfterTheGrace) {
  auto [first, s1] = t_.Snapshot({t_.File("a", a_)});
  const Id pack_a =
      t_.PackOf(t_.repository().HashBlob(AsBytes(std::string_view(a_).substr(0, 1000))));
  auto [second, s2] = t_.Snapshot({t_.File("b", b_)});
  Forget(first);

  PruneReport mark = PruneOk();
  EXPECT_EQ(mark.packs_unused, 2u);  // a's data pack and the first snapshot's tree pack
  EXPECT_EQ(mark.packs_swept, 0u);
  EXPECT_EQ(mark.packs_repacked, 0u);
  ASSERT_FALSE(mark.marker.empty());
  EXPECT_EQ(t_.Names(ObjectKind::kGarbage), std::set<std::string>{mark.marker});
  EXPECT_TRUE(PackExists(pack_a)) << "marking deletes nothing";
  ExpectCheckPasses(t_);

  // Within the grace period nothing is deleted, and nothing is marked twice.
  t_.clock().AdvanceSeconds(kHour - 1);
  PruneReport early = PruneOk();
  EXPECT_EQ(early.markers_waiting, 1u);
  EXPECT_EQ(early.packs_swept, 0u);
  EXPECT_EQ(early.packs_unused, 0u);
  EXPECT_TRUE(early.marker.empty());
  EXPECT_TRUE(PackExists(pack_a));

  t_.clock().AdvanceSeconds(1);
  const size_t packs_before = t_.Names(ObjectKind::kPack).size();
  PruneReport sweep = PruneOk();
  EXPECT_EQ(sweep.markers_swept, 1u);
  EXPECT_EQ(sweep.packs_swept, 2u);
  EXPECT_EQ(sweep.packs_rescued, 0u);
  EXPECT_EQ(sweep.index_files_rewritten, 1u);
  EXPECT_FALSE(PackExists(pack_a));
  EXPECT_EQ(t_.Names(ObjectKind::kPack).size(), packs_before - 2);
  EXPECT_TRUE(t_.Names(ObjectKind::kGarbage).empty());
  ExpectCheckPasses(t_);
  EXPECT_EQ(ReadFiles(t_, second), (std::map<std::string, std::string>{{"/b", b_}}));
}

TEST_F(PruneTest, RepacksPartlyUsedPacksAboveMaxUnused) {
  // One pack holds both halves; the survivor uses only the first.
  auto [first, s1] = t_.Snapshot({t_.File("whole", a_ + b_)});
  const Id half = t_.repository().HashBlob(AsBytes(std::string_view(a_).substr(0, 1000)));
  const Id old_pack = t_.PackOf(half);
  auto [second, s2] = t_.Snapshot({t_.File("half", a_)});
  Forget(first);

  // Half of the data pack is unused: tolerated below 100%...
  PruneReport tolerant = ValueOrDie(RunPrune(1.0, /*dry_run=*/true));
  EXPECT_EQ(tolerant.packs_repacked, 0u);
  // ...and repacked at 5%.
  PruneReport mark = PruneOk();
  EXPECT_EQ(mark.packs_repacked, 1u);
  EXPECT_EQ(mark.blobs_copied, 5u);
  EXPECT_EQ(mark.bytes_unused_after, 0u);
  auto fresh = t_.OpenFresh();
  ExpectOk(fresh->LoadIndex());
  EXPECT_NE(fresh->index().Lookup(half)->pack, old_pack) << "the copy is read first";
  ExpectCheckPasses(t_);

  t_.clock().AdvanceSeconds(kHour);
  PruneReport sweep = PruneOk();
  EXPECT_EQ(sweep.packs_swept, 2u);  // the repacked pack and the first snapshot's tree pack
  EXPECT_FALSE(PackExists(old_pack));
  ExpectCheckPasses(t_);
  EXPECT_EQ(ReadFiles(t_, second), (std::map<std::string, std::string>{{"/half", a_}}));
}

TEST_F(PruneTest, DryRunChangesNothing) {
  auto [first, s1] = t_.Snapshot({t_.File("a", a_)});
  t_.Snapshot({t_.File("b", b_)});
  Forget(first);
  PruneOk();
  t_.clock().AdvanceSeconds(2 * kHour);
  std::map<ObjectKind, std::set<std::string>> before;
  for (ObjectKind kind : {ObjectKind::kPack, ObjectKind::kIndex, ObjectKind::kSnapshot,
                          ObjectKind::kLock, ObjectKind::kGarbage}) {
    before[kind] = t_.Names(kind);
  }
  PruneReport plan = ValueOrDie(RunPrune(kDefaultMaxUnused, /*dry_run=*/true));
  EXPECT_TRUE(plan.dry_run);
  EXPECT_EQ(plan.packs_swept, 2u);
  for (const auto& [kind, names] : before) {
    EXPECT_EQ(t_.Names(kind), names) << storage::ObjectKindName(kind);
  }
}

TEST_F(PruneTest, ASecondPruneIsRefusedNamingTheHolder) {
  auto other = t_.OpenFresh();
  auto held = ValueOrDie(
      repo::RepositoryLock::Acquire(other.get(), repo::LockKind::kPrune, "otherhost", "alice"));
  // Backups still get their shared lock beside a prune lock.
  auto backup_lock = ValueOrDie(
      repo::RepositoryLock::Acquire(other.get(), repo::LockKind::kShared, "backuphost", "bob"));
  Result<PruneReport> refused = RunPrune();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kLockHeld);
  EXPECT_EQ(refused.status().message(),
            "the repository is locked: a prune lock held by alice@otherhost (pid " +
                std::to_string(getpid()) + ") since " + FormatTimeRfc3339(t_.clock().NowNanos()));
  EXPECT_THAT(refused.status().hint(), HasSubstr("another prune is running"));
  ExpectOk(held->Release());
  EXPECT_TRUE(RunPrune().ok());
}

// The race prune's protocol exists for: a backup loads the index, deduplicates against a pack,
// and the pack is marked before the backup writes its snapshot. The sweep must wait for the
// backup (its lock predates the mark), and then keep the pack its snapshot needs.
TEST_F(PruneTest, BackupRunningThroughAWholePruneKeepsItsData) {
  auto [first, s1] = t_.Snapshot({t_.File("a", a_)});
  t_.Snapshot({t_.File("b", b_)});
  Forget(first);

  // The backup starts: lock, index, and a file whose chunks are all in a's pack already.
  auto backup = t_.OpenFresh();
  auto backup_lock = ValueOrDie(
      repo::RepositoryLock::Acquire(backup.get(), repo::LockKind::kShared, "testhost", "backup"));
  const int64_t backup_start = t_.clock().NowNanos();
  ExpectOk(backup->LoadIndex());
  repo::Node file;
  file.name = "copy-of-a";
  file.type = repo::NodeType::kFile;
  file.size = a_.size();
  for (size_t offset = 0; offset < a_.size(); offset += 1000) {
    const ByteView chunk = AsBytes(std::string_view(a_).substr(offset, 1000));
    const Id id = backup->HashBlob(chunk);
    EXPECT_FALSE(ValueOrDie(backup->SaveBlob(repo::BlobType::kData, id, chunk)))
        << "deduplicated against the pack about to be marked";
    file.content.push_back(repo::ContentChunk{id, static_cast<uint32_t>(chunk.size())});
  }

  t_.clock().AdvanceSeconds(60);
  PruneReport mark = PruneOk();
  EXPECT_EQ(mark.packs_unused, 2u);

  // Far past the grace period, but the backup still runs (its lock is refreshed).
  t_.clock().AdvanceSeconds(2 * kHour);
  ExpectOk(backup_lock->Refresh());
  const size_t packs_before = t_.Names(ObjectKind::kPack).size();
  PruneReport deferred = PruneOk();
  EXPECT_EQ(deferred.markers_swept, 0u);
  EXPECT_EQ(deferred.packs_swept, 0u);
  ASSERT_EQ(deferred.deferred.size(), 1u);
  EXPECT_EQ(deferred.deferred[0],
            "marker " + mark.marker.substr(0, 8) + " (marked " +
                FormatTimeRfc3339(backup_start + 60'000'000'000) +
                "): a shared lock held by backup@testhost (pid " + std::to_string(getpid()) +
                ") since " + FormatTimeRfc3339(backup_start) + " was taken before the mark");
  EXPECT_EQ(t_.Names(ObjectKind::kPack).size(), packs_before);

  // The backup finishes and writes its snapshot.
  repo::Snapshot snapshot;
  snapshot.tree = ValueOrDie(backup->SaveTree(repo::Tree{{file}}));
  ExpectOk(backup->Flush());
  snapshot.time_ns = t_.clock().NowNanos();
  snapshot.hostname = "testhost";
  snapshot.paths = {"/"};
  const Id late = ValueOrDie(backup->SaveSnapshot(snapshot));
  ExpectOk(backup_lock->Release());

  PruneReport sweep = PruneOk();
  EXPECT_EQ(sweep.markers_swept, 1u);
  EXPECT_EQ(sweep.packs_rescued, 1u) << "a's pack is used again";
  EXPECT_EQ(sweep.packs_swept, 1u) << "the forgotten snapshot's tree pack";
  ExpectCheckPasses(t_);
  EXPECT_EQ(ReadFiles(t_, late), (std::map<std::string, std::string>{{"/copy-of-a", a_}}));
}

// A backup that starts after the mark sees the marker: it stores marked blobs again instead of
// deduplicating against them, and does not reuse a parent's chunks that only marked packs hold,
// so the sweep need not wait for it.
TEST_F(PruneTest, BackupStartedAfterTheMarkStoresMarkedBlobsAgain) {
  auto [first, s1] = t_.Snapshot({t_.File("a", a_)});
  t_.Snapshot({t_.File("b", b_)});
  Forget(first);
  PruneReport mark = PruneOk();
  ASSERT_EQ(mark.packs_unused, 2u);

  // Later than the safety margin: a lock taken within it would still count as older.
  t_.clock().AdvanceSeconds(kMarkSafetyMarginSeconds);
  auto backup = t_.OpenFresh();
  auto backup_lock = ValueOrDie(
      repo::RepositoryLock::Acquire(backup.get(), repo::LockKind::kShared, "testhost", "backup"));
  ExpectOk(backup->LoadIndex());
  const ByteView chunk = AsBytes(std::string_view(a_).substr(0, 1000));
  const Id id = backup->HashBlob(chunk);
  EXPECT_TRUE(backup->index().Contains(id)) << "still readable";
  EXPECT_FALSE(backup->HasBlob(id)) << "but not to be referenced";
  EXPECT_TRUE(ValueOrDie(backup->SaveBlob(repo::BlobType::kData, id, chunk)));
  EXPECT_FALSE(ValueOrDie(backup->SaveBlob(repo::BlobType::kData, id, chunk))) << "only once";
  EXPECT_TRUE(backup->HasBlob(id));
  repo::Node file;
  file.name = "a-again";
  file.type = repo::NodeType::kFile;
  file.size = chunk.size();
  file.content.push_back(repo::ContentChunk{id, static_cast<uint32_t>(chunk.size())});
  repo::Snapshot snapshot;
  snapshot.tree = ValueOrDie(backup->SaveTree(repo::Tree{{file}}));

  // The sweep runs while the backup does: its lock is younger than the mark.
  t_.clock().AdvanceSeconds(2 * kHour);
  ExpectOk(backup_lock->Refresh());
  PruneReport sweep = PruneOk();
  EXPECT_EQ(sweep.packs_swept, 2u);
  EXPECT_TRUE(sweep.deferred.empty());

  ExpectOk(backup->Flush());
  snapshot.time_ns = t_.clock().NowNanos();
  snapshot.paths = {"/"};
  const Id late = ValueOrDie(backup->SaveSnapshot(snapshot));
  ExpectOk(backup_lock->Release());
  ExpectCheckPasses(t_);
  EXPECT_EQ(ReadFiles(t_, late),
            (std::map<std::string, std::string>{{"/a-again", a_.substr(0, 1000)}}));
}

TEST_F(PruneTest, ASnapshotWrittenBetweenMarkAndSweepKeepsThePack) {
  auto [first, s1] = t_.Snapshot({t_.File("a", a_)});
  Forget(first);
  auto backup = t_.OpenFresh();
  ExpectOk(backup->LoadIndex());
  PruneOk();
  // The backup (which loaded the index before the mark) finishes before the sweep.
  repo::Node file;
  file.name = "a";
  file.type = repo::NodeType::kFile;
  file.size = a_.size();
  for (size_t offset = 0; offset < a_.size(); offset += 1000) {
    const ByteView chunk = AsBytes(std::string_view(a_).substr(offset, 1000));
    file.content.push_back(
        repo::ContentChunk{backup->HashBlob(chunk), static_cast<uint32_t>(chunk.size())});
  }
  repo::Snapshot snapshot;
  snapshot.tree = ValueOrDie(backup->SaveTree(repo::Tree{{file}}));
  ExpectOk(backup->Flush());
  snapshot.paths = {"/"};
  const Id late = ValueOrDie(backup->SaveSnapshot(snapshot));

  t_.clock().AdvanceSeconds(2 * kHour);
  PruneReport sweep = PruneOk();
  EXPECT_EQ(sweep.packs_rescued, 1u);
  ExpectCheckPasses(t_);
  EXPECT_EQ(ReadFiles(t_, late), (std::map<std::string, std::string>{{"/a", a_}}));
  // Rescued packs are ordinary packs again: nothing is pending.
  EXPECT_TRUE(t_.Names(ObjectKind::kGarbage).empty());
}

TEST_F(PruneTest, TwoConcurrentBackupsBothSucceedAndRestore) {
  auto one = t_.OpenFresh();
  auto two = t_.OpenFresh();
  auto lock_one = ValueOrDie(
      repo::RepositoryLock::Acquire(one.get(), repo::LockKind::kShared, "host-1", "one"));
  auto lock_two = ValueOrDie(
      repo::RepositoryLock::Acquire(two.get(), repo::LockKind::kShared, "host-2", "two"));
  ExpectOk(one->LoadIndex());
  ExpectOk(two->LoadIndex());
  // Both store the shared content (neither sees the other's), interleaved.
  auto file = [](repo::Repository& repository, const std::string& name,
                 const std::string& content) {
    repo::Node node;
    node.name = name;
    node.type = repo::NodeType::kFile;
    node.size = content.size();
    for (size_t offset = 0; offset < content.size(); offset += 1000) {
      const ByteView chunk = AsBytes(std::string_view(content).substr(offset, 1000));
      const Id id = repository.HashBlob(chunk);
      ValueOrDie(repository.SaveBlob(repo::BlobType::kData, id, chunk));
      node.content.push_back(repo::ContentChunk{id, static_cast<uint32_t>(chunk.size())});
    }
    return node;
  };
  repo::Node one_shared = file(*one, "shared", a_);
  repo::Node two_shared = file(*two, "shared", a_);
  repo::Node one_own = file(*one, "own", b_);
  const std::string c = TestContent(3000, 3);
  repo::Node two_own = file(*two, "own", c);
  std::vector<Id> ids;
  for (auto* pair : {&one, &two}) {
    repo::Repository& repository = **pair;
    repo::Snapshot snapshot;
    snapshot.tree = ValueOrDie(repository.SaveTree(
        repo::Tree{{pair == &one ? one_own : two_own, pair == &one ? one_shared : two_shared}}));
    ExpectOk(repository.Flush());
    snapshot.paths = {"/"};
    ids.push_back(ValueOrDie(repository.SaveSnapshot(snapshot)));
  }
  ExpectOk(lock_one->Release());
  ExpectOk(lock_two->Release());
  ExpectCheckPasses(t_);
  EXPECT_EQ(ReadFiles(t_, ids[0]),
            (std::map<std::string, std::string>{{"/own", b_}, {"/shared", a_}}));
  EXPECT_EQ(ReadFiles(t_, ids[1]),
            (std::map<std::string, std::string>{{"/own", c}, {"/shared", a_}}));
  // The duplicate copies of the shared content are what prune reclaims.
  PruneReport mark = PruneOk(0);
  EXPECT_EQ(mark.packs_unused + mark.packs_repacked, 1u);
  t_.clock().AdvanceSeconds(2 * kHour);
  PruneOk(0);
  ExpectCheckPasses(t_);
  EXPECT_EQ(ReadFiles(t_, ids[0]),
            (std::map<std::string, std::string>{{"/own", b_}, {"/shared", a_}}));
  EXPECT_EQ(ReadFiles(t_, ids[1]),
            (std::map<std::string, std::string>{{"/own", c}, {"/shared", a_}}));
}

TEST_F(PruneTest, RefusesWhenASnapshotUsesABlobNoIndexLists) {
  auto [first, s1] = t_.Snapshot({t_.File("a", a_)});
  for (const std::string& name : t_.Names(ObjectKind::kIndex)) {
    ExpectOk(t_.backend().Remove(ObjectKey{ObjectKind::kIndex, name}));
  }
  const std::set<std::string> packs = t_.Names(ObjectKind::kPack);
  Result<PruneReport> refused = RunPrune();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(refused.status().message(),
            "cannot prune: tree " + s1.tree.Hex() + " is used by a snapshot but no index lists it");
  EXPECT_EQ(t_.Names(ObjectKind::kPack), packs);
  EXPECT_TRUE(t_.Names(ObjectKind::kGarbage).empty());
}

// Runs `hook` once, just before the first listing of packs: check lists packs after it has read
// the index files, so a sweep run there is one that happens in the middle of a check.
class BeforePackListing final : public storage::Backend {
 public:
  BeforePackListing(storage::Backend* inner, std::function<void()> hook)
      : inner_(inner), hook_(std::move(hook)) {}
  storage::BackendProperties Properties() const override { return inner_->Properties(); }
  Status Put(const ObjectKey& key, ByteView data, const storage::PutOptions& options) override {
    return inner_->Put(key, data, options);
  }
  Result<Bytes> Get(const ObjectKey& key, storage::ByteRange range) override {
    return inner_->Get(key, range);
  }
  Result<storage::ObjectInfo> Stat(const ObjectKey& key) override { return inner_->Stat(key); }
  Status List(ObjectKind kind, std::string_view prefix,
              const storage::ListVisitor& visit) override {
    if (kind == ObjectKind::kPack && hook_) std::exchange(hook_, nullptr)();
    return inner_->List(kind, prefix, visit);
  }
  Status Remove(const ObjectKey& key) override { return inner_->Remove(key); }

 private:
  storage::Backend* inner_;
  std::function<void()> hook_;
};

TEST_F(PruneTest, CheckDuringASweepReportsNoDamage) {
  auto [first, s1] = t_.Snapshot({t_.File("a", a_)});
  auto [second, s2] = t_.Snapshot({t_.File("b", b_)});
  Forget(first);
  PruneOk();
  t_.clock().AdvanceSeconds(2 * kHour);
  PruneReport sweep;
  BeforePackListing during(&t_.backend(), [&] { sweep = PruneOk(); });
  auto checker = ValueOrDie(repo::Repository::Open(&during, testing::kTestPassword, t_.clock()));
  CheckReport report =
      ValueOrDie(CheckRepository(*checker, CheckOptions{.read_data = true}, nullptr));
  EXPECT_EQ(sweep.packs_swept, 2u) << "the sweep ran in the middle of the check";
  EXPECT_TRUE(report.errors.empty()) << report.errors.front();
  EXPECT_EQ(report.snapshots, 1u);
}

TEST(PruneOptions, ParseMaxUnusedAndGrace) {
  EXPECT_DOUBLE_EQ(*ParseMaxUnused("5%"), 0.05);
  EXPECT_DOUBLE_EQ(*ParseMaxUnused("0%"), 0.0);
  EXPECT_DOUBLE_EQ(*ParseMaxUnused("12.5%"), 0.125);
  EXPECT_TRUE(std::isinf(*ParseMaxUnused("unlimited")));
  EXPECT_EQ(ParseMaxUnused("5").status().message(),
            "invalid --max-unused \"5\": expected a percentage (e.g. 5%) or \"unlimited\"");
  EXPECT_FALSE(ParseMaxUnused("101%").ok());
  EXPECT_EQ(*ParseGrace("1h"), 3600);
  EXPECT_EQ(*ParseGrace("30m"), 1800);
  EXPECT_EQ(*ParseGrace("2d"), 172800);
  EXPECT_EQ(*ParseGrace("0"), 0);
  EXPECT_EQ(ParseGrace("1w").status().message(),
            "invalid --grace \"1w\": expected a duration such as 1h, 30m, 90s or 2d");
  EXPECT_FALSE(ParseGrace("-1h").ok());
}

}  // namespace
}  // namespace lifeboat::ops
