// Crash safety of prune's write order (docs/FORMAT.md, "Pruning"): a prune whose process dies at
// any write or delete — while repacking and marking, or while sweeping — leaves a repository
// that check --read-data passes, whose every snapshot still reads byte-exact, and on which the
// next prune completes.
#include <gtest/gtest.h>

#include <map>

#include "lifeboat/ops/check.h"
#include "lifeboat/ops/prune.h"
#include "lifeboat/ops/testing/test_repository.h"
#include "lifeboat/repo/lock.h"
#include "lifeboat/storage/testing/faulty_backend.h"

namespace lifeboat::ops {
namespace {

using storage::ObjectKey;
using storage::ObjectKind;
using storage::testing::FaultyBackend;
using testing::ExpectOk;
using testing::kTestPassword;
using testing::TestContent;
using testing::TestRepository;
using testing::ValueOrDie;

constexpr int64_t kHour = 3600;

class PruneCrashTest : public ::testing::Test {
 protected:
  // A repository with something for every part of prune: a pack no snapshot uses (a), a pack
  // partly used (the forgotten snapshot's "mixed" file shares b with the kept snapshot), and
  // the forgotten snapshots' tree packs.
  void Build() {
    t_ = std::make_unique<TestRepository>();
    auto [s1, snap1] = t_->Snapshot({t_->File("a", a_)});
    auto [s2, snap2] = t_->Snapshot({t_->File("mixed", x_ + b_)});
    auto [s3, snap3] = t_->Snapshot({t_->File("b", b_), t_->File("c", c_)});
    kept_ = s3;
    ExpectOk(t_->backend().Remove(ObjectKey{ObjectKind::kSnapshot, s1.Hex()}));
    ExpectOk(t_->backend().Remove(ObjectKey{ObjectKind::kSnapshot, s2.Hex()}));
  }

  Result<PruneReport> PruneOn(storage::Backend* backend) {
    auto repository = ValueOrDie(repo::Repository::Open(backend, kTestPassword, t_->clock()));
    PruneOptions options{
        .max_unused = 0, .grace_seconds = kHour, .hostname = "testhost", .username = "pruner"};
    return Prune(*repository, options, nullptr, nullptr);
  }

  // The state every crash must leave, and what a restarted prune must reach.
  void ExpectIntact(const std::string& when) {
    SCOPED_TRACE(when);
    auto repository = t_->OpenFresh();
    ExpectOk(repository->LoadIndex());
    CheckReport report =
        ValueOrDie(CheckRepository(*repository, CheckOptions{.read_data = true}, nullptr));
    EXPECT_TRUE(report.errors.empty()) << report.errors.front();
    EXPECT_EQ(report.snapshots, 1u);
    EXPECT_EQ(t_->ReadFiles(kept_), (std::map<std::string, std::string>{{"/b", b_}, {"/c", c_}}));
  }

  // A restarted process: the dead one's locks are stale (its pid is gone); here they are
  // removed as `lifeboat unlock` would.
  void Restart() { ValueOrDie(repo::RemoveLocks(&t_->repository(), true, "testhost")); }

  // Runs prune with the process dying at its k-th write; returns false when prune finished
  // before reaching it (k is past its last write).
  bool CrashingPruneAt(uint64_t k) {
    FaultyBackend faulty(&t_->backend());
    faulty.CrashAtMutation(k);
    Result<PruneReport> result = PruneOn(&faulty);
    if (result.ok()) {
      EXPECT_LT(faulty.MutationCount(), k);
      return false;
    }
    EXPECT_NE(result.status().ToString().find("simulated crash"), std::string::npos)
        << result.status().ToString();
    return true;
  }

  std::unique_ptr<TestRepository> t_;
  Id kept_;
  const std::string a_ = TestContent(6000, 11);
  const std::string b_ = TestContent(4000, 12);
  const std::string c_ = TestContent(3000, 13);
  const std::string x_ = TestContent(4000, 14);
};

TEST_F(PruneCrashTest, CrashAtAnyWriteWhileMarkingAndRepacking) {
  uint64_t k = 1;
  for (; k < 100; ++k) {
    Build();
    if (!CrashingPruneAt(k)) break;
    ExpectIntact("after a crash at write " + std::to_string(k) + " of the mark");
    Restart();
    ValueOrDie(PruneOn(&t_->backend()));
    ExpectIntact("after the mark was run again");
    t_->clock().AdvanceSeconds(2 * kHour);
    PruneReport sweep = ValueOrDie(PruneOn(&t_->backend()));
    EXPECT_GT(sweep.packs_swept, 0u);
    ExpectIntact("after the sweep that followed");
  }
  EXPECT_GT(k, 4u) << "the mark should write a lock, a pack, an index file and a marker";
}

TEST_F(PruneCrashTest, CrashAtAnyWriteOrDeleteWhileSweeping) {
  uint64_t k = 1;
  for (; k < 100; ++k) {
    Build();
    PruneReport mark = ValueOrDie(PruneOn(&t_->backend()));
    ASSERT_EQ(mark.packs_repacked, 1u);
    ASSERT_EQ(mark.packs_unused, 3u);
    t_->clock().AdvanceSeconds(2 * kHour);
    if (!CrashingPruneAt(k)) break;
    ExpectIntact("after a crash at write " + std::to_string(k) + " of the sweep");
    Restart();
    ValueOrDie(PruneOn(&t_->backend()));
    ExpectIntact("after the sweep was run again");
    // Whatever the interrupted sweep left unindexed is marked again and goes in the next one.
    t_->clock().AdvanceSeconds(2 * kHour);
    ValueOrDie(PruneOn(&t_->backend()));
    ExpectIntact("after a further sweep");
    EXPECT_TRUE(t_->Names(ObjectKind::kGarbage).empty());
    // Only the packs the kept snapshot needs remain: b and c's data and its tree.
    auto repository = t_->OpenFresh();
    ExpectOk(repository->LoadIndex());
    CheckReport report =
        ValueOrDie(CheckRepository(*repository, CheckOptions{.read_data = true}, nullptr));
    EXPECT_TRUE(report.warnings.empty()) << report.warnings.front();
  }
  EXPECT_GT(k, 8u) << "the sweep should write an index file and remove index files and packs";
}

}  // namespace
}  // namespace lifeboat::ops
