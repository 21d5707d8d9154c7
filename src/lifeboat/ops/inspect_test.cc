#include "lifeboat/ops/inspect.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "lifeboat/ops/testing/test_repository.h"

namespace lifeboat::ops {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::TestContent;
using testing::ValueOrDie;

std::vector<std::string> Paths(const std::vector<ListedNode>& listed) {
  std::vector<std::string> paths;
  for (const ListedNode& entry : listed) paths.push_back(entry.path);
  return paths;
}

// /srv/a.txt (4 chunks), /srv/db/dump.sql, /srv/link -> a.txt, /top
class InspectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_content_ = TestContent(3500, 1);
    repo::Node srv = repo_.Dir("srv", {repo_.File("a.txt", a_content_),
                                       repo_.Dir("db", {repo_.File("dump.sql", "select 1;")}),
                                       repo_.Symlink("link", "a.txt")});
    snapshot_ = repo_.Snapshot({srv, repo_.File("top", "hello")}).second;
  }

  Result<std::vector<std::string>> List(std::string_view path, bool recursive) {
    LIFEBOAT_ASSIGN_OR_RETURN(auto listed,
                              ListSnapshotPath(repo_.repository(), snapshot_, path, recursive));
    return Paths(listed);
  }

  // Dumps into a temporary file and reads it back.
  Result<std::string> Dump(std::string_view path) {
    std::FILE* file = std::tmpfile();
    EXPECT_NE(file, nullptr);
    Status status = DumpFile(repo_.repository(), snapshot_, path, fileno(file));
    std::string content;
    if (status.ok()) {
      std::rewind(file);
      char buffer[4096];
      size_t n;
      while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) content.append(buffer, n);
    }
    std::fclose(file);
    if (!status.ok()) return status;
    return content;
  }

  testing::TestRepository repo_;
  std::string a_content_;
  repo::Snapshot snapshot_;
};

TEST_F(InspectTest, ListsRootContents) {
  for (std::string_view root : {"/", "", "/."}) {
    EXPECT_THAT(ValueOrDie(List(root, false)), ElementsAre("/srv", "/top")) << root;
  }
}

TEST_F(InspectTest, ListsDirectoryItselfThenItsContents) {
  EXPECT_THAT(ValueOrDie(List("/srv", false)),
              ElementsAre("/srv", "/srv/a.txt", "/srv/db", "/srv/link"));
  EXPECT_THAT(ValueOrDie(List("srv/", false)),
              ElementsAre("/srv", "/srv/a.txt", "/srv/db", "/srv/link"));
}

TEST_F(InspectTest, ListsRecursively) {
  EXPECT_THAT(ValueOrDie(List("/", true)), ElementsAre("/srv", "/srv/a.txt", "/srv/db",
                                                       "/srv/db/dump.sql", "/srv/link", "/top"));
}

TEST_F(InspectTest, ListingAFileGivesItsMetadataWithoutChunks) {
  auto listed = ValueOrDie(ListSnapshotPath(repo_.repository(), snapshot_, "/srv/a.txt", false));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].path, "/srv/a.txt");
  EXPECT_EQ(listed[0].node.size, 3500u);
  EXPECT_EQ(listed[0].node.mode, 0644u);
  EXPECT_THAT(listed[0].node.content, IsEmpty());
}

TEST_F(InspectTest, MissingPathIsNotFound) {
  Result<std::vector<std::string>> missing = List("/srv/nope", false);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "path /srv/nope is not in the snapshot");

  Result<std::vector<std::string>> under_file = List("top/x", false);
  EXPECT_EQ(under_file.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(under_file.status().message(),
            "path /top/x is not in the snapshot: /top is not a directory");
}

TEST_F(InspectTest, FindsNodesWithOrWithoutLeadingSlash) {
  repo::Node dump = ValueOrDie(FindNode(repo_.repository(), snapshot_, "srv/db/dump.sql"));
  EXPECT_EQ(dump.name, "dump.sql");
  EXPECT_EQ(dump.size, 9u);
  repo::Node link = ValueOrDie(FindNode(repo_.repository(), snapshot_, "/srv/link"));
  EXPECT_EQ(link.link_target, "a.txt");
  repo::Node root = ValueOrDie(FindNode(repo_.repository(), snapshot_, "/"));
  EXPECT_EQ(root.type, repo::NodeType::kDirectory);
  EXPECT_EQ(root.subtree, snapshot_.tree);
}

TEST_F(InspectTest, FindsTheFileOfAStreamSnapshotByName) {
  repo::Snapshot stream = repo_.Snapshot({repo_.File("mydb.dump", "COPY ...")}).second;
  repo::Node node = ValueOrDie(FindNode(repo_.repository(), stream, "mydb.dump"));
  EXPECT_EQ(node.size, 8u);
}

TEST_F(InspectTest, DumpsAMultiChunkFileByteForByte) {
  EXPECT_EQ(ValueOrDie(Dump("/srv/a.txt")), a_content_);
  EXPECT_EQ(ValueOrDie(Dump("top")), "hello");
}

TEST_F(InspectTest, DumpsAnEmptyFile) {
  snapshot_ = repo_.Snapshot({repo_.File("empty", "")}).second;
  EXPECT_EQ(ValueOrDie(Dump("/empty")), "");
}

TEST_F(InspectTest, DumpsThroughAPipeWithPartialWrites) {
  const std::string big = TestContent(300 * 1000, 9);
  snapshot_ = repo_.Snapshot({repo_.File("big", big, 64 * 1024)}).second;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::string received;
  std::thread reader([&] {
    char buffer[777];  // small reads keep the pipe full, so writes come back short
    ssize_t n;
    while ((n = read(fds[0], buffer, sizeof(buffer))) > 0) received.append(buffer, n);
  });
  Status status = DumpFile(repo_.repository(), snapshot_, "/big", fds[1]);
  close(fds[1]);
  reader.join();
  close(fds[0]);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(received == big) << received.size();
}

TEST_F(InspectTest, DumpingADirectoryIsInvalid) {
  Result<std::string> dumped = Dump("/srv");
  EXPECT_EQ(dumped.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(dumped.status().message(), "/srv is not a regular file; only files can be dumped");
  EXPECT_EQ(Dump("/srv/link").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(InspectTest, DumpToAClosedDescriptorFails) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[0]);
  close(fds[1]);
  Status status = DumpFile(repo_.repository(), snapshot_, "/top", fds[1]);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), ::testing::StartsWith("writing /top to the output: "));
}

TEST(Diff, ReportsEveryKindOfChange) {
  testing::TestRepository repo;
  std::string a = TestContent(3500, 1);
  repo::Node top = repo.File("top", "hello");
  repo::Node same = repo.Dir("same", {repo.File("f", "unchanged")});
  repo::Snapshot from =
      repo.Snapshot({repo.Dir("gone", {repo.File("x", TestContent(100, 2))}),
                     repo.File("kind", TestContent(50, 3)), same,
                     repo.Dir("srv", {repo.File("a.txt", a), repo.Symlink("link", "a.txt")}), top})
          .second;

  a[1500] ^= 1;  // changes the second of four chunks
  repo::Node top_private = top;
  top_private.mode = 0600;
  repo::Snapshot to =
      repo.Snapshot({repo.Dir("kind", {repo.File("inner", TestContent(70, 4))}),
                     repo.File("new.txt", TestContent(300, 5)), same,
                     repo.Dir("srv", {repo.File("a.txt", a), repo.Symlink("link", "b.txt")}),
                     top_private})
          .second;

  DiffReport diff = ValueOrDie(DiffSnapshots(repo.repository(), from, to));
  std::vector<std::string> entries;
  for (const DiffEntry& entry : diff.entries) entries.push_back(entry.change + entry.path);
  EXPECT_THAT(entries, ElementsAre("-/gone", "-/gone/x", "T/kind", "+/kind/inner", "+/new.txt",
                                   "M/srv/a.txt", "M/srv/link", "U/top"));
  EXPECT_EQ(diff.added_files, 2u);
  EXPECT_EQ(diff.removed_files, 2u);
  EXPECT_EQ(diff.changed_files, 1u);
  EXPECT_EQ(diff.added_bytes, 70u + 300u + 1000u);
  EXPECT_EQ(diff.removed_bytes, 100u + 50u + 1000u);

  DiffReport reverse = ValueOrDie(DiffSnapshots(repo.repository(), to, from));
  EXPECT_EQ(reverse.added_bytes, diff.removed_bytes);
  EXPECT_EQ(reverse.removed_files, diff.added_files);
}

TEST(Diff, IdenticalSnapshotsHaveNoEntries) {
  testing::TestRepository repo;
  repo::Snapshot snapshot = repo.Snapshot({repo.File("f", "x")}).second;
  DiffReport diff = ValueOrDie(DiffSnapshots(repo.repository(), snapshot, snapshot));
  EXPECT_THAT(diff.entries, IsEmpty());
  EXPECT_EQ(diff.added_bytes + diff.removed_bytes, 0u);
}

TEST(Stats, CountsBlobsPacksAndTheLatestRestoreSize) {
  testing::TestRepository repo;
  repo.Snapshot({repo.File("old", TestContent(5000, 1))});
  repo.Snapshot({repo.Dir("d", {repo.File("a", TestContent(2500, 2)), repo.File("b", "bb")}),
                 repo.File("c", "ccc")});

  std::unique_ptr<repo::Repository> fresh = repo.OpenFresh();
  RepositoryStats stats = ValueOrDie(ComputeStats(*fresh));
  EXPECT_EQ(stats.snapshots, 2u);
  EXPECT_EQ(stats.packs, 4u);
  EXPECT_EQ(stats.data_blobs, 5u + 3u + 1u + 1u);
  EXPECT_EQ(stats.tree_blobs, 3u);
  EXPECT_EQ(stats.blobs, stats.data_blobs + stats.tree_blobs);
  EXPECT_EQ(stats.restore_size_latest, 2500u + 2u + 3u);
  EXPECT_GT(stats.raw_bytes, 5000u + 2500u + 2u + 3u);
  uint64_t stored = 0;
  testing::ExpectOk(
      repo.backend().List(storage::ObjectKind::kPack, "", [&](const storage::ObjectInfo& info) {
        stored += info.size;
        return Status::Ok();
      }));
  EXPECT_EQ(stats.stored_bytes, stored);
  EXPECT_GT(stats.compression_ratio, 0.5);
  EXPECT_LT(stats.compression_ratio, 1.0);  // random content does not compress; sealing costs
  EXPECT_GT(stats.index_memory_bytes, 0u);
  EXPECT_EQ(fresh->index().blob_count(), stats.blobs);
}

TEST(Stats, EmptyRepository) {
  testing::TestRepository repo;
  RepositoryStats stats = ValueOrDie(ComputeStats(repo.repository()));
  EXPECT_EQ(stats.snapshots, 0u);
  EXPECT_EQ(stats.blobs, 0u);
  EXPECT_EQ(stats.restore_size_latest, 0u);
  EXPECT_EQ(stats.compression_ratio, 0.0);
}

}  // namespace
}  // namespace lifeboat::ops
