// SnapshotWriter and ContentReader on a real local repository: files written from several
// threads at once, with the repository's and a database-sized chunker, come back byte for byte
// in the right directories; failures store no snapshot.
#include "lifeboat/engine/snapshot_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <thread>

#include "lifeboat/engine/content_reader.h"
#include "lifeboat/storage/local_backend.h"

namespace lifeboat::engine {
namespace {

namespace fs = std::filesystem;

Bytes RandomText(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes data(size, 0);
  for (auto& byte : data) byte = static_cast<uint8_t>('a' + rng() % 16);
  return data;
}

class SnapshotWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/lifeboat-writer-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    root_ = templ;
    backend_ = std::make_unique<storage::LocalBackend>(root_ + "/repo");
    ASSERT_TRUE(backend_->CreateRoot().ok());
    repo::InitOptions init;
    init.kdf = crypto::KdfParams{1, 8 * 1024, 1};
    ASSERT_TRUE(repo::Repository::Init(backend_.get(), "pw", init, SystemClock::Get()).ok());
    auto opened = repo::Repository::Open(backend_.get(), "pw", SystemClock::Get());
    ASSERT_TRUE(opened.ok());
    repository_ = std::move(opened).value();
    ASSERT_TRUE(repository_->LoadIndex().ok());
  }
  void TearDown() override {
    repository_.reset();
    fs::remove_all(root_);
  }

  // The node at a '/'-separated path below the snapshot's root.
  repo::Node Find(const Id& tree_id, const std::string& path) {
    Id tree = tree_id;
    size_t begin = 0;
    while (true) {
      const size_t slash = path.find('/', begin);
      const std::string name =
          path.substr(begin, slash == std::string::npos ? std::string::npos : slash - begin);
      Result<repo::Tree> loaded = repository_->LoadTree(tree);
      EXPECT_TRUE(loaded.ok());
      for (const repo::Node& node : loaded->nodes) {
        if (node.name != name) continue;
        if (slash == std::string::npos) return node;
        tree = *node.subtree;
      }
      if (slash == std::string::npos) break;
      begin = slash + 1;
    }
    ADD_FAILURE() << path << " not found";
    return {};
  }

  Bytes ReadAll(const repo::Node& node) {
    ContentReader reader(*repository_, node.content, node.name, 2, 4);
    Bytes out;
    while (true) {
      Result<ByteView> chunk = reader.Next();
      EXPECT_TRUE(chunk.ok()) << chunk.status().ToString();
      if (!chunk.ok() || chunk->empty()) break;
      out.insert(out.end(), chunk->begin(), chunk->end());
    }
    return out;
  }

  std::string root_;
  std::unique_ptr<storage::LocalBackend> backend_;
  std::unique_ptr<repo::Repository> repository_;
};

TEST_F(SnapshotWriterTest, FilesFromSeveralThreadsRoundTripInTheirDirectories) {
  const repo::ChunkerParams small{4096, 16384, 131072};
  SnapshotWriter writer(*repository_, {.threads = 2, .chunker = small});
  const std::vector<std::pair<std::string, Bytes>> files = {
      {"app/schema.dump", RandomText(300000, 1)},
      {"app/tables/public.users.copy", RandomText(2000000, 2)},
      {"app/tables/public.logs.copy", RandomText(1500000, 3)},
      {"app/tables/public.empty.copy", Bytes()},
      {"app/manifest.json", RandomText(100, 4)},
  };
  std::vector<std::thread> threads;
  for (const auto& [path, data] : files) {
    threads.emplace_back([&writer, &path = path, &data = data] {
      auto stream = writer.Open(path);
      ASSERT_TRUE(stream.ok());
      // Uneven pieces, so chunk cuts fall across Write calls.
      for (size_t offset = 0; offset < data.size(); offset += 7777) {
        const size_t length = std::min<size_t>(7777, data.size() - offset);
        ASSERT_TRUE((*stream)->Write(ByteView(data.data() + offset, length)).ok());
      }
      Result<uint64_t> size = (*stream)->Close();
      ASSERT_TRUE(size.ok());
      EXPECT_EQ(*size, data.size());
    });
  }
  for (auto& thread : threads) thread.join();
  repo::Snapshot snapshot;
  snapshot.source = "postgres";
  snapshot.paths = {"app"};
  Result<BackupResult> result = writer.Commit(snapshot);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->snapshot.summary.total_files, files.size());
  uint64_t total = 0;
  for (const auto& [path, data] : files) {
    const repo::Node node = Find(result->snapshot.tree, path);
    EXPECT_EQ(node.size, data.size()) << path;
    EXPECT_TRUE(ReadAll(node) == data) << path;
    for (const repo::ContentChunk& chunk : node.content) {
      EXPECT_LE(chunk.size, small.max_size) << path;
    }
    if (data.size() > 1000000) {
      EXPECT_GT(node.content.size(), data.size() / small.max_size) << path;
    }
    total += data.size();
  }
  EXPECT_EQ(result->snapshot.summary.total_bytes, total);
  Result<std::pair<Id, repo::Snapshot>> stored = repository_->FindSnapshot("latest");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->first, result->snapshot_id);
  EXPECT_EQ(stored->second.source, "postgres");
}

TEST_F(SnapshotWriterTest, RejectsBadAndRepeatedPathsAndUnclosedFiles) {
  SnapshotWriter writer(*repository_, {});
  for (const std::string bad : {"", "/abs", "a//b", "a/../b", "a/", "."}) {
    Result<std::unique_ptr<StreamFile>> stream = writer.Open(bad);
    ASSERT_FALSE(stream.ok()) << bad;
    EXPECT_EQ(stream.status().message(), "invalid path in snapshot: \"" + bad + "\"");
  }
  auto first = writer.Open("a/b");
  ASSERT_TRUE(first.ok());
  auto again = writer.Open("a/b");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().message(), "\"a/b\" written twice");
  Result<BackupResult> result = writer.Commit({});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "\"a/b\" was not closed");
  Result<std::vector<std::pair<Id, repo::Snapshot>>> all = repository_->ListSnapshots();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

}  // namespace
}  // namespace lifeboat::engine
