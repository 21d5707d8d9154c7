#include "lifeboat/ops/check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "lifeboat/crypto/sha256.h"
#include "lifeboat/ops/testing/test_repository.h"
#include "lifeboat/storage/testing/faulty_backend.h"

namespace lifeboat::ops {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using testing::TestContent;
using testing::ValueOrDie;

constexpr std::string_view kAltered =
    "authentication failed: the sealed message was altered, or sealed under another key or "
    "associated data";

// Two snapshots sharing the /srv subtree:
//   1: /srv/a.txt (4 chunks), /srv/db/dump.sql (3 chunks), /srv/link, /top (1 chunk)
//   2: the same plus /new.txt (1 chunk)
// Each snapshot flushes one data pack, one tree pack and one index file.
class CheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_txt_ = repo_.File("a.txt", TestContent(3500, 1));
    dump_sql_ = repo_.File("dump.sql", TestContent(2500, 2));
    repo::Node db = repo_.Dir("db", {dump_sql_});
    db_tree_ = *db.subtree;
    repo::Node srv = repo_.Dir("srv", {a_txt_, db, repo_.Symlink("link", "a.txt")});
    repo::Node top = repo_.File("top", "hello");
    first_ = repo_.Snapshot({srv, top}).first;
    second_ = repo_.Snapshot({srv, top, repo_.File("new.txt", TestContent(800, 3))}).first;
  }

  CheckReport Check(bool read_data) {
    std::unique_ptr<repo::Repository> fresh = repo_.OpenFresh();
    return ValueOrDie(CheckRepository(*fresh, CheckOptions{.read_data = read_data}, nullptr));
  }

  std::string Users(std::string_view what, std::string_view path) {
    return "snapshot " + first_.ShortHex() + " " + std::string(what) + " " + std::string(path) +
           ", snapshot " + second_.ShortHex() + " " + std::string(what) + " " + std::string(path);
  }

  uint64_t StoredPackBytes() {
    uint64_t total = 0;
    testing::ExpectOk(
        repo_.backend().List(storage::ObjectKind::kPack, "", [&](const storage::ObjectInfo& info) {
          total += info.size;
          return Status::Ok();
        }));
    return total;
  }

  testing::TestRepository repo_;
  repo::Node a_txt_;
  repo::Node dump_sql_;
  Id db_tree_;
  Id first_;
  Id second_;
};

TEST_F(CheckTest, HealthyRepositoryIsOkWithExactCounts) {
  for (bool read_data : {false, true}) {
    SCOPED_TRACE(read_data ? "read_data" : "structure");
    CheckReport report = Check(read_data);
    EXPECT_THAT(report.errors, IsEmpty());
    EXPECT_THAT(report.warnings, IsEmpty());
    EXPECT_TRUE(report.ok());
    EXPECT_EQ(report.snapshots, 2u);
    EXPECT_EQ(report.trees, 4u);  // two roots, /srv, /srv/db
    EXPECT_EQ(report.packs, 4u);
    EXPECT_EQ(report.blobs, 9u + 4u);
    EXPECT_EQ(report.bytes_read, read_data ? StoredPackBytes() : 0u);
  }
}

TEST_F(CheckTest, WorksWithTheIndexAlreadyLoaded) {
  CheckReport report =
      ValueOrDie(CheckRepository(repo_.repository(), CheckOptions{.read_data = true}, nullptr));
  EXPECT_TRUE(report.ok()) << ::testing::PrintToString(report.errors);
  EXPECT_EQ(report.blobs, 13u);
}

TEST_F(CheckTest, ReportsProgress) {
  std::vector<std::string> messages;
  std::unique_ptr<repo::Repository> fresh = repo_.OpenFresh();
  ValueOrDie(CheckRepository(*fresh, CheckOptions{.read_data = true},
                             [&](std::string_view message) { messages.emplace_back(message); }));
  EXPECT_THAT(messages, ::testing::IsSupersetOf({"checking index files", "checking packs",
                                                 "checking snapshots", "reading packs: 4 of 4",
                                                 "checking trees"}));
}

TEST_F(CheckTest, ReadDataNamesTheDamagedBlobAndTheFilesUsingIt) {
  const Id damaged = a_txt_.content[1].id;
  const Id pack = repo_.PackOf(damaged);
  repo_.FlipByteOfBlob(damaged);

  // Without reading data only the structure is checked, and it is intact.
  CheckReport structure = Check(false);
  EXPECT_TRUE(structure.ok()) << ::testing::PrintToString(structure.errors);

  CheckReport report = Check(true);
  EXPECT_FALSE(report.ok());
  EXPECT_THAT(report.errors,
              ElementsAre("pack " + pack.Hex() + " is damaged: its content does not match its name",
                          "blob " + damaged.Hex() + " in pack " + pack.ShortHex() +
                              " is damaged: " + std::string(kAltered) + "; used by " +
                              Users("file", "/srv/a.txt")));
  EXPECT_THAT(report.warnings, IsEmpty());
}

TEST_F(CheckTest, DamagedTreeNamesTheDirectoryInEverySnapshot) {
  repo_.FlipByteOfBlob(db_tree_);
  CheckReport report = Check(false);
  ASSERT_EQ(report.errors.size(), 1u) << ::testing::PrintToString(report.errors);
  EXPECT_THAT(report.errors[0], StartsWith("tree " + db_tree_.Hex() + " cannot be read: "));
  EXPECT_THAT(report.errors[0], EndsWith("; used by " + Users("directory", "/srv/db")));
  EXPECT_EQ(report.trees, 3u);
}

TEST_F(CheckTest, MissingPackNamesThePackAndTheFilesUsingIt) {
  const Id pack = repo_.PackOf(a_txt_.content[0].id);
  ASSERT_TRUE(repo_.backend().Remove({storage::ObjectKind::kPack, pack.Hex()}).ok());
  const std::string first = "snapshot " + first_.ShortHex() + " file ";
  const std::string second = "snapshot " + second_.ShortHex() + " file ";
  const std::string expected = "pack " + pack.Hex() +
                               " is missing from storage; its blobs are used by " + first +
                               "/srv/a.txt, " + first + "/srv/db/dump.sql, " + first + "/top, " +
                               second + "/srv/a.txt, " + second + "/srv/db/dump.sql and 1 more";
  for (bool read_data : {false, true}) {
    CheckReport report = Check(read_data);
    EXPECT_THAT(report.errors, ElementsAre(expected));
  }
}

TEST_F(CheckTest, TruncatedPackIsReported) {
  const Id pack = repo_.PackOf(a_txt_.content[0].id);
  const storage::ObjectKey key{storage::ObjectKind::kPack, pack.Hex()};
  Bytes data = ValueOrDie(repo_.backend().Get(key));
  const size_t size = data.size();
  data.resize(size - 10);
  testing::ExpectOk(repo_.backend().Put(key, data));
  CheckReport report = Check(false);
  EXPECT_THAT(report.errors,
              ElementsAre("pack " + pack.Hex() + " holds " + std::to_string(size - 10) +
                          " bytes but the index describes " + std::to_string(size) +
                          "; it was truncated or altered"));
}

TEST_F(CheckTest, DamagedPackHeaderStillVerifiesEveryBlob) {
  const Id pack = repo_.PackOf(a_txt_.content[0].id);
  const storage::ObjectKey key{storage::ObjectKind::kPack, pack.Hex()};
  Bytes data = ValueOrDie(repo_.backend().Get(key));
  data[data.size() - 10] ^= 1;  // inside the header's authentication tag
  testing::ExpectOk(repo_.backend().Put(key, data));
  CheckReport report = Check(true);
  EXPECT_THAT(
      report.errors,
      ElementsAre(StartsWith("pack " + pack.Hex() + " has a damaged header: "),
                  "pack " + pack.Hex() + " is damaged: its content does not match its name"));
}

TEST_F(CheckTest, GarbageSnapshotIsReported) {
  const std::string name = second_.Hex();
  testing::ExpectOk(
      repo_.backend().Put({storage::ObjectKind::kSnapshot, name}, ToBytes("not a snapshot")));
  CheckReport report = Check(false);
  EXPECT_THAT(report.errors,
              ElementsAre("snapshot " + second_.ShortHex() + " cannot be read: snapshots/" + name +
                          " is damaged: its content does not match its name"));
  EXPECT_EQ(report.snapshots, 1u);
  EXPECT_EQ(report.trees, 3u);
}

TEST_F(CheckTest, UnindexedPackIsOnlyAWarning) {
  const Bytes junk = ToBytes("left behind by an interrupted backup");
  const Id id = crypto::Sha256(junk);
  testing::ExpectOk(repo_.backend().Put({storage::ObjectKind::kPack, id.Hex()}, junk));
  CheckReport report = Check(true);
  EXPECT_TRUE(report.ok()) << ::testing::PrintToString(report.errors);
  EXPECT_THAT(report.warnings,
              ElementsAre("pack " + id.Hex() +
                          " is not referenced by any index; an interrupted backup leaves these, "
                          "prune will remove them"));
  EXPECT_EQ(report.packs, 4u);
}

TEST_F(CheckTest, SnapshotForgottenWhileCheckingIsNotDamage) {
  storage::testing::FaultyBackend faulty(&repo_.backend());
  // Every snapshot read finds the object gone, as when a concurrent forget removed them
  // between check's listing and its reads.
  faulty.AddFault({.method = storage::testing::BackendMethod::kGet,
                   .count = 0,
                   .kind = storage::ObjectKind::kSnapshot,
                   .error = NotFoundError("snapshots/x does not exist")});
  std::unique_ptr<repo::Repository> repository =
      ValueOrDie(repo::Repository::Open(&faulty, testing::kTestPassword, repo_.clock()));
  CheckReport report = ValueOrDie(CheckRepository(*repository, CheckOptions{}, nullptr));
  EXPECT_TRUE(report.ok()) << ::testing::PrintToString(report.errors);
  EXPECT_EQ(report.snapshots, 0u);
  EXPECT_EQ(report.packs, 4u);
}

// --- --read-data-subset ---

CheckReport CheckSubset(testing::TestRepository& repo, const std::string& subset, uint64_t seed) {
  DataSubset parsed = ValueOrDie(ParseDataSubset(subset));
  parsed.seed = seed;
  std::unique_ptr<repo::Repository> fresh = repo.OpenFresh();
  return ValueOrDie(CheckRepository(*fresh, CheckOptions{.read_data_subset = parsed}, nullptr));
}

TEST_F(CheckTest, SubsetRunsOneToTReadEveryPackExactlyOnce) {
  for (uint64_t parts : {1, 2, 3, 5}) {
    SCOPED_TRACE(parts);
    uint64_t packs_read = 0;
    uint64_t bytes_read = 0;
    for (uint64_t part = 1; part <= parts; ++part) {
      CheckReport report =
          CheckSubset(repo_, std::to_string(part) + "/" + std::to_string(parts), 0);
      EXPECT_TRUE(report.ok()) << ::testing::PrintToString(report.errors);
      EXPECT_EQ(report.packs, 4u);
      packs_read += report.packs_read;
      bytes_read += report.bytes_read;
    }
    EXPECT_EQ(packs_read, 4u);
    EXPECT_EQ(bytes_read, StoredPackBytes());
  }
}

TEST_F(CheckTest, OnlyTheSubsetHoldingADamagedPackReportsIt) {
  const Id damaged = a_txt_.content[1].id;
  const Id pack = repo_.PackOf(damaged);
  repo_.FlipByteOfBlob(damaged);
  // The part whose remainder the pack's first 8 bytes leave, computed here by hand.
  uint64_t number = 0;
  for (size_t i = 0; i < 8; ++i) number = number * 256 + pack.bytes[i];
  const uint64_t damaged_part = number % 3 + 1;
  for (uint64_t part = 1; part <= 3; ++part) {
    CheckReport report = CheckSubset(repo_, std::to_string(part) + "/3", 0);
    EXPECT_EQ(report.ok(), part != damaged_part) << part;
  }
  CheckReport everything = CheckSubset(repo_, "100%", 7);
  EXPECT_EQ(everything.packs_read, 4u);
  EXPECT_FALSE(everything.ok());
}

TEST(DataSubset, ParsesPartsAndPercentages) {
  DataSubset part = ValueOrDie(ParseDataSubset("2/7"));
  EXPECT_EQ(part.part, 2u);
  EXPECT_EQ(part.parts, 7u);
  DataSubset all = ValueOrDie(ParseDataSubset("1/1"));
  EXPECT_EQ(all.part, 1u);
  EXPECT_EQ(all.parts, 1u);
  EXPECT_EQ(ValueOrDie(ParseDataSubset("10%")).percent, 10.0);
  EXPECT_EQ(ValueOrDie(ParseDataSubset("2.5%")).percent, 2.5);
  EXPECT_EQ(ValueOrDie(ParseDataSubset("100%")).percent, 100.0);
  EXPECT_EQ(ValueOrDie(ParseDataSubset("10%")).parts, 0u);
}

TEST(DataSubset, RejectsBadArgumentsWithExactMessages) {
  const std::string form = "expected n/t (e.g. 2/7) or a percentage (e.g. 10%)";
  const std::pair<std::string, std::string> cases[] = {
      {"", form},
      {"5", form},
      {"a/b", form},
      {"1/", form},
      {"/3", form},
      {"-1/3", form},
      {"1/1000000000", form},
      {"%", form},
      {"1e1%", form},
      {"1.2.3%", form},
      {"0/3", "n must be between 1 and t (3)"},
      {"4/3", "n must be between 1 and t (3)"},
      {"0/0", "t must be at least 1"},
      {"0%", "the percentage must be above 0 and at most 100"},
      {"0.0%", "the percentage must be above 0 and at most 100"},
      {"100.5%", "the percentage must be above 0 and at most 100"},
  };
  for (const auto& [text, problem] : cases) {
    Result<DataSubset> parsed = ParseDataSubset(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(parsed.status().message(), "invalid --read-data-subset \"" + text + "\": " + problem);
  }
}

std::vector<Id> ManyIds(size_t count) {
  std::vector<Id> ids;
  for (size_t i = 0; i < count; ++i) ids.push_back(crypto::Sha256(ToBytes(std::to_string(i))));
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(DataSubset, PartsCoverEveryPackExactlyOnce) {
  const std::vector<Id> packs = ManyIds(1000);
  for (uint64_t parts : {1, 2, 3, 7, 10, 256, 300, 1000, 5000}) {
    SCOPED_TRACE(parts);
    std::map<Id, int> visits;
    size_t largest = 0;
    for (uint64_t part = 1; part <= parts; ++part) {
      const std::vector<Id> selected =
          SelectDataSubset(packs, DataSubset{.part = part, .parts = parts});
      EXPECT_TRUE(std::is_sorted(selected.begin(), selected.end()));
      largest = std::max(largest, selected.size());
      for (const Id& id : selected) visits[id]++;
    }
    ASSERT_EQ(visits.size(), packs.size());
    for (const auto& [id, count] : visits) EXPECT_EQ(count, 1) << id.Hex();
    // Uniform ids spread evenly: no part holds more than twice its share (plus slack).
    EXPECT_LE(largest, 2 * packs.size() / parts + 5);
  }
}

TEST(DataSubset, PercentagePicksTheRoundedUpShareReproduciblyFromTheSeed) {
  const std::vector<Id> packs = ManyIds(1000);
  const std::vector<Id> ten = SelectDataSubset(packs, DataSubset{.percent = 10, .seed = 42});
  EXPECT_EQ(ten.size(), 100u);
  EXPECT_TRUE(std::is_sorted(ten.begin(), ten.end()));
  EXPECT_TRUE(std::includes(packs.begin(), packs.end(), ten.begin(), ten.end()));
  EXPECT_EQ(SelectDataSubset(packs, DataSubset{.percent = 10, .seed = 42}), ten);
  EXPECT_NE(SelectDataSubset(packs, DataSubset{.percent = 10, .seed = 43}), ten);
  EXPECT_EQ(SelectDataSubset(packs, DataSubset{.percent = 0.01, .seed = 1}).size(), 1u);
  EXPECT_EQ(SelectDataSubset(packs, DataSubset{.percent = 100, .seed = 1}), packs);
  EXPECT_EQ(SelectDataSubset(ManyIds(3), DataSubset{.percent = 50, .seed = 1}).size(), 2u);
  EXPECT_TRUE(SelectDataSubset({}, DataSubset{.percent = 50, .seed = 1}).empty());
}

TEST(CheckIndex, DeletedIndexFileLeavesBlobsUnindexed) {
  testing::TestRepository repo;
  repo::Node file = repo.File("data.bin", TestContent(1500, 7));
  testing::ExpectOk(repo.repository().Flush());
  const std::set<std::string> data_index = repo.Names(storage::ObjectKind::kIndex);
  ASSERT_EQ(data_index.size(), 1u);
  const Id data_pack = repo.PackOf(file.content[0].id);
  const Id snapshot = repo.Snapshot({repo.Dir("home", {file})}).first;
  ASSERT_EQ(repo.Names(storage::ObjectKind::kIndex).size(), 2u);

  testing::ExpectOk(repo.backend().Remove({storage::ObjectKind::kIndex, *data_index.begin()}));
  std::unique_ptr<repo::Repository> fresh = repo.OpenFresh();
  CheckReport report = ValueOrDie(CheckRepository(*fresh, CheckOptions{}, nullptr));
  const std::string user = "; used by snapshot " + snapshot.ShortHex() + " file /home/data.bin";
  std::vector<std::string> expected = {
      "blob " + file.content[0].id.Hex() + " is not in the index" + user,
      "blob " + file.content[1].id.Hex() + " is not in the index" + user};
  std::sort(expected.begin(), expected.end());
  EXPECT_THAT(report.errors, ::testing::ElementsAreArray(expected));
  EXPECT_THAT(report.warnings, ElementsAre(StartsWith("pack " + data_pack.Hex() +
                                                      " is not referenced by any index")));
}

TEST(CheckIndex, DamagedIndexFileIsReportedAndTheRestIsUsed) {
  testing::TestRepository repo;
  repo::Node file = repo.File("data.bin", TestContent(1500, 7));
  testing::ExpectOk(repo.repository().Flush());
  const std::string data_index = *repo.Names(storage::ObjectKind::kIndex).begin();
  const Id snapshot = repo.Snapshot({file}).first;
  testing::ExpectOk(
      repo.backend().Put({storage::ObjectKind::kIndex, data_index}, ToBytes("garbage")));

  std::unique_ptr<repo::Repository> fresh = repo.OpenFresh();
  CheckReport report = ValueOrDie(CheckRepository(*fresh, CheckOptions{}, nullptr));
  ASSERT_EQ(report.errors.size(), 3u) << ::testing::PrintToString(report.errors);
  EXPECT_EQ(report.errors[0], "index/" + data_index +
                                  " is damaged: its content does not match its name; the packs "
                                  "it lists are not checked");
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_THAT(report.errors[i], EndsWith(" is not in the index; used by snapshot " +
                                           snapshot.ShortHex() + " file /data.bin"));
  }
  EXPECT_EQ(report.packs, 1u);
}

}  // namespace
}  // namespace lifeboat::ops
