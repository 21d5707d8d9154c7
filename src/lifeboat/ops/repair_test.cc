// The corruption matrix: a byte flipped in, a truncation of, or the removal of a pack, an index
// file and a snapshot. For each, check reports the damage precisely, and repair brings back a
// repository whose undamaged content is whole.
#include "lifeboat/ops/repair.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "lifeboat/crypto/sha256.h"
#include "lifeboat/ops/check.h"
#include "lifeboat/ops/testing/test_repository.h"

namespace lifeboat::ops {
namespace {

using storage::ObjectKey;
using storage::ObjectKind;
using ::testing::ElementsAre;
using testing::ExpectOk;
using ::testing::HasSubstr;
using testing::TestContent;
using testing::TestRepository;
using testing::ValueOrDie;

class RepairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The two files are in different packs: "lost" in the first snapshot's, "kept" in the
    // second's; the second snapshot holds both.
    lost_file_ = t_.File("lost", lost_);
    t_.Snapshot({lost_file_});
    auto [id, snapshot] = t_.Snapshot({lost_file_, t_.File("kept", kept_)});
    both_ = id;
    lost_pack_ = t_.PackOf(lost_file_.content[0].id);
  }

  CheckReport Check() {
    auto repository = t_.OpenFresh();
    return ValueOrDie(CheckRepository(*repository, CheckOptions{.read_data = true}, nullptr));
  }

  RepairSnapshotsReport RepairSnapshotsOk(RepairSnapshotsOptions options) {
    auto repository = t_.OpenFresh();
    ExpectOk(repository->LoadIndex());
    return ValueOrDie(RepairSnapshots(*repository, options, nullptr));
  }

  RepairIndexReport RepairIndexOk() {
    auto repository = t_.OpenFresh();
    return ValueOrDie(RepairIndex(
        *repository, RepairIndexOptions{.hostname = "testhost", .username = "tester"}, nullptr));
  }

  void Damage(ObjectKind kind, const std::string& name, const std::string& how) {
    const ObjectKey key{kind, name};
    if (how == "delete") {
      ExpectOk(t_.backend().Remove(key));
      return;
    }
    Bytes data = ValueOrDie(t_.backend().Get(key));
    if (how == "flip") {
      data[data.size() / 3] ^= 0x40;
    } else {
      data.resize(data.size() / 2);  // into the blobs: the header alone is rebuilt from the index
    }
    ExpectOk(t_.backend().Put(key, data));
  }

  // The repaired copy of `both_` holds exactly the file that is whole.
  void ExpectRepairedKeepsOnlyKept(const RepairSnapshotsReport& report) {
    ASSERT_EQ(report.snapshots_checked, 2u);
    ASSERT_EQ(report.damaged.size(), 2u);
    for (const RepairedSnapshot& repaired : report.damaged) {
      ASSERT_TRUE(repaired.repaired.has_value());
      EXPECT_THAT(repaired.removed, ElementsAre(HasSubstr("/lost: ")));
      auto fresh = t_.OpenFresh();
      ExpectOk(fresh->LoadIndex());
      auto [id, snapshot] = ValueOrDie(fresh->FindSnapshot(repaired.repaired->Hex()));
      EXPECT_THAT(snapshot.tags, ElementsAre("repaired"));
      if (repaired.original == both_) {
        EXPECT_EQ(t_.ReadFiles(id), (std::map<std::string, std::string>{{"/kept", kept_}}));
      }
    }
  }

  TestRepository t_;
  const std::string lost_ = TestContent(3000, 21);
  const std::string kept_ = TestContent(3000, 22);
  repo::Node lost_file_;
  Id both_;
  Id lost_pack_;
};

TEST_F(RepairTest, FlippedByteInAPackIsReportedAndRepairSnapshotsDropsTheFile) {
  Damage(ObjectKind::kPack, lost_pack_.Hex(), "flip");
  CheckReport report = Check();
  ASSERT_EQ(report.errors.size(), 2u);
  EXPECT_EQ(report.errors[0],
            "pack " + lost_pack_.Hex() + " is damaged: its content does not match its name");
  EXPECT_THAT(report.errors[1], HasSubstr(" in pack " + lost_pack_.ShortHex() + " is damaged"));
  EXPECT_THAT(report.errors[1], HasSubstr("file /lost"));

  // Without reading data the index still lists the blob; with it, the damage is found.
  EXPECT_TRUE(RepairSnapshotsOk({.dry_run = true}).damaged.empty());
  RepairSnapshotsReport repaired = RepairSnapshotsOk({.read_data = true});
  ExpectRepairedKeepsOnlyKept(repaired);
  EXPECT_EQ(t_.Names(ObjectKind::kSnapshot).size(), 4u) << "originals are kept";
}

TEST_F(RepairTest, TruncatedPackIsReportedAndRepairSnapshotsDropsTheFile) {
  Damage(ObjectKind::kPack, lost_pack_.Hex(), "truncate");
  CheckReport report = Check();
  ASSERT_FALSE(report.errors.empty());
  EXPECT_THAT(report.errors,
              ::testing::Contains(HasSubstr("pack " + lost_pack_.Hex() + " holds ")));
  RepairSnapshotsReport repaired = RepairSnapshotsOk({.forget = true, .read_data = true});
  ExpectRepairedKeepsOnlyKept(repaired);
  EXPECT_EQ(t_.Names(ObjectKind::kSnapshot).size(), 2u) << "--forget removes the originals";
}

TEST_F(RepairTest, DeletedPackIsReportedAndRepairIndexThenSnapshotsKeepTheRest) {
  Damage(ObjectKind::kPack, lost_pack_.Hex(), "delete");
  CheckReport report = Check();
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0], "pack " + lost_pack_.Hex() +
                                  " is missing from storage; its blobs are used by snapshot " +
                                  ValueOrDie(t_.OpenFresh()->ListSnapshots())[0].first.ShortHex() +
                                  " file /lost, snapshot " + both_.ShortHex() + " file /lost");
  RepairIndexReport index = RepairIndexOk();
  EXPECT_TRUE(index.unreadable_packs.empty());
  // The index no longer lists the lost blobs, so even without reading data they are found.
  RepairSnapshotsReport repaired = RepairSnapshotsOk({.forget = true});
  ExpectRepairedKeepsOnlyKept(repaired);
  CheckReport after = Check();
  EXPECT_TRUE(after.errors.empty()) << after.errors.front();
}

TEST_F(RepairTest, DamagedOrDeletedIndexFileIsReportedAndRepairIndexRestoresIt) {
  for (const std::string how : {"flip", "truncate", "delete"}) {
    SCOPED_TRACE(how);
    const std::set<std::string> index_files = t_.Names(ObjectKind::kIndex);
    ASSERT_FALSE(index_files.empty());
    const std::string name = *index_files.begin();
    Damage(ObjectKind::kIndex, name, how);
    CheckReport report = Check();
    ASSERT_FALSE(report.errors.empty());
    if (how == "delete") {
      EXPECT_THAT(
          report.warnings,
          ::testing::Contains(HasSubstr(" is not referenced by any index; an interrupted backup")));
      EXPECT_THAT(report.errors[0], HasSubstr(" is not in the index; used by snapshot "));
    } else {
      EXPECT_EQ(report.errors[0], "index/" + name +
                                      " is damaged: its content does not match its name; the "
                                      "packs it lists are not checked");
    }
    RepairIndexReport repaired = RepairIndexOk();
    EXPECT_EQ(repaired.packs, 4u);  // two snapshots, each one data and one tree pack
    CheckReport after = Check();
    EXPECT_TRUE(after.errors.empty()) << after.errors.front();
    EXPECT_TRUE(after.warnings.empty()) << after.warnings.front();
    EXPECT_EQ(t_.ReadFiles(both_),
              (std::map<std::string, std::string>{{"/kept", kept_}, {"/lost", lost_}}));
  }
}

TEST_F(RepairTest, DamagedSnapshotIsReportedAndRepairSnapshotsForgetRemovesIt) {
  for (const std::string how : {"flip", "truncate"}) {
    SCOPED_TRACE(how);
    TestRepository t;
    auto [broken, s1] = t.Snapshot({t.File("a", lost_)});
    auto [whole, s2] = t.Snapshot({t.File("b", kept_)});
    const ObjectKey key{ObjectKind::kSnapshot, broken.Hex()};
    Bytes data = ValueOrDie(t.backend().Get(key));
    if (how == std::string("flip")) {
      data[5] ^= 1;
    } else {
      data.resize(20);
    }
    ExpectOk(t.backend().Put(key, data));
    auto repository = t.OpenFresh();
    CheckReport report =
        ValueOrDie(CheckRepository(*repository, CheckOptions{.read_data = true}, nullptr));
    ASSERT_EQ(report.errors.size(), 1u);
    EXPECT_EQ(report.errors[0], "snapshot " + broken.Hex().substr(0, 8) +
                                    " cannot be read: snapshots/" + broken.Hex() +
                                    " is damaged: its content does not match its name");
    ExpectOk(repository->LoadIndex());
    RepairSnapshotsReport repaired =
        ValueOrDie(RepairSnapshots(*repository, {.forget = true}, nullptr));
    ASSERT_EQ(repaired.damaged.size(), 1u);
    EXPECT_TRUE(repaired.damaged[0].unreadable);
    EXPECT_TRUE(repaired.damaged[0].forgotten);
    EXPECT_EQ(t.Names(ObjectKind::kSnapshot), std::set<std::string>{whole.Hex()});
    EXPECT_EQ(t.ReadFiles(whole), (std::map<std::string, std::string>{{"/b", kept_}}));
  }
}

TEST_F(RepairTest, DamagedGarbageMarkerIsReportedAndRepairIndexRemovesIt) {
  const Bytes garbage = ToBytes("not a sealed marker");
  const std::string name = crypto::Sha256(garbage).Hex();
  ExpectOk(t_.backend().Put(ObjectKey{ObjectKind::kGarbage, name}, garbage));
  CheckReport report = Check();
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_EQ(report.errors[0],
            "garbage marker " + name + " cannot be read: garbage/" + name +
                ": authentication failed: the sealed message is 19 bytes, shorter than its 28-byte "
                "nonce and tag; `lifeboat repair index` removes it (its packs are then kept)");
  // Writers refuse to work without knowing which packs are pending deletion.
  auto writer = t_.OpenFresh();
  EXPECT_EQ(writer->LoadIndex().code(), StatusCode::kCorruption);
  EXPECT_EQ(RepairIndexOk().markers_removed, 1u);
  EXPECT_TRUE(Check().errors.empty());
  ExpectOk(t_.OpenFresh()->LoadIndex());
}

TEST_F(RepairTest, DeletedSnapshotLeavesTheRestWhole) {
  ExpectOk(t_.backend().Remove(ObjectKey{ObjectKind::kSnapshot, both_.Hex()}));
  CheckReport report = Check();
  EXPECT_TRUE(report.errors.empty()) << report.errors.front();
  EXPECT_EQ(report.snapshots, 1u);
  EXPECT_TRUE(RepairSnapshotsOk({}).damaged.empty());
}

}  // namespace
}  // namespace lifeboat::ops
