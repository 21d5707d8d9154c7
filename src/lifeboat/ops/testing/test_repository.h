// TestRepository: builds small repositories in memory for the ops tests — files cut into
// chunks of a chosen size, directories, symlinks and snapshots — and gives access to the stored
// objects so tests can damage them. Included by *_test.cc only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lifeboat/repo/repository.h"
#include "lifeboat/storage/testing/memory_backend.h"
#include "lifeboat/util/clock.h"

namespace lifeboat::ops::testing {

inline constexpr std::string_view kTestPassword = "correct horse";

// Asserts that a Result is ok and yields its value.
template <typename T>
T ValueOrDie(Result<T> result) {
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (!result.ok()) std::abort();
  return std::move(result).value();
}

inline void ExpectOk(const Status& status) { ASSERT_TRUE(status.ok()) << status.ToString(); }

// Deterministic content that does not repeat within a few hundred KiB.
inline std::string TestContent(size_t size, uint32_t seed) {
  std::string data(size, '\0');
  uint32_t state = seed * 2654435761u + 1;
  for (char& c : data) {
    state = state * 1664525u + 1013904223u;
    c = static_cast<char>(state >> 24);
  }
  return data;
}

// What a restore of the snapshot would write: every file's content by path ("/dir/file"),
// read through `repository` (open it fresh, with its own index, so no writer's cache helps).
inline std::map<std::string, std::string> ReadSnapshotFiles(repo::Repository& repository,
                                                            const Id& snapshot_id) {
  auto [id, snapshot] = ValueOrDie(repository.FindSnapshot(snapshot_id.Hex()));
  std::map<std::string, std::string> files;
  std::vector<std::pair<std::string, Id>> trees = {{"", snapshot.tree}};
  while (!trees.empty()) {
    auto [path, tree_id] = trees.back();
    trees.pop_back();
    repo::Tree tree = ValueOrDie(repository.LoadTree(tree_id));
    for (const repo::Node& node : tree.nodes) {
      if (node.subtree) trees.emplace_back(path + "/" + node.name, *node.subtree);
      if (node.type != repo::NodeType::kFile) continue;
      std::string& content = files[path + "/" + node.name];
      for (const repo::ContentChunk& chunk : node.content) {
        Bytes data = ValueOrDie(repository.LoadBlob(chunk.id));
        content.append(data.begin(), data.end());
      }
    }
  }
  return files;
}

class TestRepository {
 public:
  TestRepository() : clock_(1'700'000'000'000'000'000) {
    repo::InitOptions options;
    options.kdf = crypto::KdfParams{1, 8 * 1024, 1};
    options.hostname = "testhost";
    options.username = "tester";
    ExpectOk(repo::Repository::Init(&backend_, kTestPassword, options, clock_));
    repository_ = ValueOrDie(repo::Repository::Open(&backend_, kTestPassword, clock_));
    ExpectOk(repository_->LoadIndex());
  }

  repo::Repository& repository() { return *repository_; }

  // ReadSnapshotFiles through a freshly opened instance.
  std::map<std::string, std::string> ReadFiles(const Id& snapshot) {
    auto fresh = OpenFresh();
    ExpectOk(fresh->LoadIndex());
    return ReadSnapshotFiles(*fresh, snapshot);
  }
  storage::testing::MemoryBackend& backend() { return backend_; }
  FakeClock& clock() { return clock_; }

  // A fresh instance on the same storage, its index not loaded: what a new process sees.
  std::unique_ptr<repo::Repository> OpenFresh() {
    return ValueOrDie(repo::Repository::Open(&backend_, kTestPassword, clock_));
  }

  // A file whose content is stored in chunks of chunk_size bytes (the last may be shorter).
  repo::Node File(std::string name, std::string_view content, size_t chunk_size = 1000) {
    repo::Node node = Entry(std::move(name), repo::NodeType::kFile, 0644);
    node.size = content.size();
    for (size_t offset = 0; offset < content.size(); offset += chunk_size) {
      const ByteView chunk = AsBytes(content.substr(offset, chunk_size));
      const Id id = repository_->HashBlob(chunk);
      ValueOrDie(repository_->SaveBlob(repo::BlobType::kData, id, chunk));
      node.content.push_back(repo::ContentChunk{id, static_cast<uint32_t>(chunk.size())});
    }
    return node;
  }

  repo::Node Dir(std::string name, std::vector<repo::Node> children) {
    repo::Node node = Entry(std::move(name), repo::NodeType::kDirectory, 0755);
    node.subtree = SaveTree(std::move(children));
    return node;
  }

  repo::Node Symlink(std::string name, std::string target) {
    repo::Node node = Entry(std::move(name), repo::NodeType::kSymlink, 0777);
    node.link_target = std::move(target);
    return node;
  }

  Id SaveTree(std::vector<repo::Node> children) {
    std::sort(children.begin(), children.end(),
              [](const repo::Node& a, const repo::Node& b) { return a.name < b.name; });
    return ValueOrDie(repository_->SaveTree(repo::Tree{std::move(children)}));
  }

  // Flushes what was saved and writes a snapshot whose root holds `root`.
  std::pair<Id, repo::Snapshot> Snapshot(std::vector<repo::Node> root) {
    repo::Snapshot snapshot;
    snapshot.tree = SaveTree(std::move(root));
    ExpectOk(repository_->Flush());
    snapshot.time_ns = clock_.NowNanos();
    clock_.AdvanceSeconds(60);
    snapshot.hostname = "testhost";
    snapshot.paths = {"/"};
    return {ValueOrDie(repository_->SaveSnapshot(snapshot)), snapshot};
  }

  std::set<std::string> Names(storage::ObjectKind kind) {
    std::set<std::string> names;
    ExpectOk(backend_.List(kind, "", [&](const storage::ObjectInfo& info) {
      names.insert(info.key.name);
      return Status::Ok();
    }));
    return names;
  }

  // The pack that holds a blob, by the loaded index.
  Id PackOf(const Id& blob) {
    std::optional<repo::BlobLocation> location = repository_->index().Lookup(blob);
    EXPECT_TRUE(location.has_value()) << blob.Hex();
    return location ? location->pack : Id{};
  }

  // Flips one byte of a blob where it sits in its pack.
  void FlipByteOfBlob(const Id& blob, uint32_t at = 20) {
    std::optional<repo::BlobLocation> location = repository_->index().Lookup(blob);
    ASSERT_TRUE(location.has_value());
    const storage::ObjectKey key{storage::ObjectKind::kPack, location->pack.Hex()};
    Bytes data = ValueOrDie(backend_.Get(key));
    ASSERT_LT(at, location->length);
    data[location->offset + at] ^= 0x5a;
    ExpectOk(backend_.Put(key, data));
  }

 private:
  repo::Node Entry(std::string name, repo::NodeType type, uint32_t mode) {
    repo::Node node;
    node.name = std::move(name);
    node.type = type;
    node.mode = mode;
    node.uid = 1000;
    node.gid = 1000;
    node.user = "tester";
    node.group = "tester";
    node.mtime_ns = 1'600'000'000'000'000'000;
    return node;
  }

  storage::testing::MemoryBackend backend_;
  FakeClock clock_;
  std::unique_ptr<repo::Repository> repository_;
};

}  // namespace lifeboat::ops::testing
