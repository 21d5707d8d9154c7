#include "lifeboat/ops/inspect.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <future>

#include "lifeboat/ops/snapshot_path.h"

namespace lifeboat::ops {

namespace {

// Chunks fetched ahead of the one being written, so that reading the repository (often over a
// network) overlaps writing; bounded because a chunk may be up to 8 MiB.
constexpr size_t kDumpReadAhead = 4;

std::string DisplayPath(const std::vector<std::string_view>& names, size_t count) {
  std::string path;
  for (size_t i = 0; i < count; ++i) path = JoinSnapshotPath(path, names[i]);
  return path.empty() ? "/" : path;
}

const repo::Node* FindChild(const repo::Tree& tree, std::string_view name) {
  // Trees are sorted byte-wise, which is how std::string compares (as unsigned char).
  auto it = std::lower_bound(tree.nodes.begin(), tree.nodes.end(), name,
                             [](const repo::Node& node, std::string_view key) {
                               return std::string_view(node.name) < key;
                             });
  return it != tree.nodes.end() && it->name == name ? &*it : nullptr;
}

struct FoundNode {
  std::string path;  // canonical: "/" or "/a/b"
  repo::Node node;
  bool is_root = true;
};

Result<FoundNode> Resolve(repo::Repository& repository, const repo::Snapshot& snapshot,
                          std::string_view path) {
  const std::vector<std::string_view> names = SplitSnapshotPath(path);
  FoundNode found{"/", repo::Node{}, names.empty()};
  found.node.type = repo::NodeType::kDirectory;
  found.node.subtree = snapshot.tree;
  for (size_t depth = 0; depth < names.size(); ++depth) {
    auto not_found = [&](std::string why) {
      return NotFoundError("path " + DisplayPath(names, names.size()) + " is not in the snapshot" +
                           why)
          .WithHint("list the snapshot's contents with `lifeboat ls` to see the paths it holds");
    };
    if (found.node.type != repo::NodeType::kDirectory || !found.node.subtree) {
      return not_found(": " + found.path + " is not a directory");
    }
    LIFEBOAT_ASSIGN_OR_RETURN(repo::Tree tree, repository.LoadTree(*found.node.subtree));
    const repo::Node* child = FindChild(tree, names[depth]);
    if (!child) return not_found("");
    found.path = DisplayPath(names, depth + 1);
    found.node = std::move(*child);
  }
  return found;
}

Status ListTree(repo::Repository& repository, const Id& tree_id, const std::string& path,
                bool recursive, std::vector<ListedNode>* out) {
  LIFEBOAT_ASSIGN_OR_RETURN(repo::Tree tree, repository.LoadTree(tree_id));
  for (repo::Node& node : tree.nodes) {
    std::string node_path = JoinSnapshotPath(path, node.name);
    const std::optional<Id> subtree =
        node.type == repo::NodeType::kDirectory ? node.subtree : std::nullopt;
    node.content.clear();
    node.content.shrink_to_fit();
    out->push_back(ListedNode{node_path, std::move(node)});
    if (recursive && subtree) {
      LIFEBOAT_RETURN_IF_ERROR(ListTree(repository, *subtree, node_path, recursive, out));
    }
  }
  return Status::Ok();
}

Status WriteAll(int fd, ByteView data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "writing " + path + " to the output");
    }
    data = data.subspan(static_cast<size_t>(written));
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<ListedNode>> ListSnapshotPath(repo::Repository& repository,
                                                 const repo::Snapshot& snapshot,
                                                 std::string_view path, bool recursive) {
  LIFEBOAT_ASSIGN_OR_RETURN(FoundNode found, Resolve(repository, snapshot, path));
  std::vector<ListedNode> listed;
  const std::optional<Id> subtree =
      found.node.type == repo::NodeType::kDirectory ? found.node.subtree : std::nullopt;
  if (!found.is_root) {
    found.node.content.clear();
    listed.push_back(ListedNode{found.path, std::move(found.node)});
  }
  if (subtree) {
    LIFEBOAT_RETURN_IF_ERROR(ListTree(repository, *subtree, found.path, recursive, &listed));
  }
  return listed;
}

Result<repo::Node> FindNode(repo::Repository& repository, const repo::Snapshot& snapshot,
                            std::string_view path) {
  LIFEBOAT_ASSIGN_OR_RETURN(FoundNode found, Resolve(repository, snapshot, path));
  return std::move(found.node);
}

Status DumpFile(repo::Repository& repository, const repo::Snapshot& snapshot, std::string_view path,
                int fd) {
  LIFEBOAT_ASSIGN_OR_RETURN(FoundNode found, Resolve(repository, snapshot, path));
  if (found.node.type != repo::NodeType::kFile) {
    return InvalidArgumentError(found.path + " is not a regular file; only files can be dumped")
        .WithHint("use `lifeboat restore` for directories and other entries");
  }
  const std::vector<repo::ContentChunk>& content = found.node.content;
  // Futures block in their destructors, so an early return waits for the reads in flight and
  // never leaves a thread using `repository` after this function.
  std::deque<std::future<Result<Bytes>>> reads;
  size_t next_read = 0;
  auto start_read = [&] {
    reads.push_back(std::async(std::launch::async, [&repository, id = content[next_read].id] {
      return repository.LoadBlob(id);
    }));
    ++next_read;
  };
  for (size_t chunk_index = 0; chunk_index < content.size(); ++chunk_index) {
    while (next_read < content.size() && reads.size() < kDumpReadAhead) start_read();
    Result<Bytes> blob = reads.front().get();
    reads.pop_front();
    if (!blob.ok()) return blob.status().WithContext("dumping " + found.path);
    if (blob->size() != content[chunk_index].size) {
      return CorruptionError("dumping " + found.path + ": blob " +
                             content[chunk_index].id.ShortHex() + " holds " +
                             std::to_string(blob->size()) + " bytes but the tree records " +
                             std::to_string(content[chunk_index].size));
    }
    LIFEBOAT_RETURN_IF_ERROR(WriteAll(fd, *blob, found.path));
  }
  return Status::Ok();
}

}  // namespace lifeboat::ops
