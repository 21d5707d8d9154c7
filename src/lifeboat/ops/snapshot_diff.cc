// DiffSnapshots (declared in inspect.h).
#include <optional>
#include <unordered_map>

#include "lifeboat/ops/inspect.h"
#include "lifeboat/ops/snapshot_path.h"

namespace lifeboat::ops {

namespace {

// Metadata a user set or would restore. Access and change times, inode, device and link count
// are left out: reading, copying or restoring a file changes them without anyone meaning to.
bool MetadataDiffers(const repo::Node& a, const repo::Node& b) {
  return a.mode != b.mode || a.uid != b.uid || a.gid != b.gid || a.user != b.user ||
         a.group != b.group || a.mtime_ns != b.mtime_ns || a.xattrs != b.xattrs;
}

bool ContentDiffers(const repo::Node& a, const repo::Node& b) {
  switch (a.type) {
    case repo::NodeType::kFile:
      return a.content != b.content;
    case repo::NodeType::kSymlink:
      return a.link_target != b.link_target;
    case repo::NodeType::kCharDevice:
    case repo::NodeType::kBlockDevice:
      return a.rdev != b.rdev;
    default:
      return false;
  }
}

class SnapshotDiffer {
 public:
  explicit SnapshotDiffer(repo::Repository& repository) : repository_(repository) {}

  Status DiffTrees(const std::optional<Id>& from, const std::optional<Id>& to,
                   const std::string& path) {
    if (from == to) return Status::Ok();
    LIFEBOAT_ASSIGN_OR_RETURN(repo::Tree from_tree, LoadTreeOrEmpty(from));
    LIFEBOAT_ASSIGN_OR_RETURN(repo::Tree to_tree, LoadTreeOrEmpty(to));
    // Both trees are sorted by name: merge them.
    auto from_it = from_tree.nodes.begin();
    auto to_it = to_tree.nodes.begin();
    while (from_it != from_tree.nodes.end() || to_it != to_tree.nodes.end()) {
      if (to_it == to_tree.nodes.end() ||
          (from_it != from_tree.nodes.end() && from_it->name < to_it->name)) {
        LIFEBOAT_RETURN_IF_ERROR(AddWhole('-', *from_it, JoinSnapshotPath(path, from_it->name)));
        ++from_it;
      } else if (from_it == from_tree.nodes.end() || to_it->name < from_it->name) {
        LIFEBOAT_RETURN_IF_ERROR(AddWhole('+', *to_it, JoinSnapshotPath(path, to_it->name)));
        ++to_it;
      } else {
        LIFEBOAT_RETURN_IF_ERROR(DiffNodes(*from_it, *to_it, JoinSnapshotPath(path, to_it->name)));
        ++from_it;
        ++to_it;
      }
    }
    return Status::Ok();
  }

  DiffReport TakeReport() { return std::move(report_); }

 private:
  Result<repo::Tree> LoadTreeOrEmpty(const std::optional<Id>& id) {
    if (!id) return repo::Tree{};
    return repository_.LoadTree(*id);
  }

  static std::optional<Id> SubtreeOf(const repo::Node& node) {
    return node.type == repo::NodeType::kDirectory ? node.subtree : std::nullopt;
  }

  void CountFile(char change, const repo::Node& node) {
    if (node.type != repo::NodeType::kFile) return;
    if (change == '+') {
      report_.added_files++;
      report_.added_bytes += node.size;
    } else {
      report_.removed_files++;
      report_.removed_bytes += node.size;
    }
  }

  // An entry present on one side only, with everything below it.
  Status AddWhole(char change, const repo::Node& node, const std::string& path) {
    report_.entries.push_back(DiffEntry{change, path});
    CountFile(change, node);
    return AddContents(change, node, path);
  }

  Status AddContents(char change, const repo::Node& node, const std::string& path) {
    const std::optional<Id> subtree = SubtreeOf(node);
    if (!subtree) return Status::Ok();
    return change == '+' ? DiffTrees(std::nullopt, subtree, path)
                         : DiffTrees(subtree, std::nullopt, path);
  }

  Status DiffNodes(const repo::Node& from, const repo::Node& to, const std::string& path) {
    if (from.type != to.type) {
      report_.entries.push_back(DiffEntry{'T', path});
      CountFile('-', from);
      CountFile('+', to);
      LIFEBOAT_RETURN_IF_ERROR(AddContents('-', from, path));
      return AddContents('+', to, path);
    }
    if (ContentDiffers(from, to)) {
      report_.entries.push_back(DiffEntry{'M', path});
      if (from.type == repo::NodeType::kFile) CountChangedFile(from, to);
    } else if (MetadataDiffers(from, to)) {
      report_.entries.push_back(DiffEntry{'U', path});
    }
    if (from.type != repo::NodeType::kDirectory) return Status::Ok();
    return DiffTrees(SubtreeOf(from), SubtreeOf(to), path);
  }

  void CountChangedFile(const repo::Node& from, const repo::Node& to) {
    report_.changed_files++;
    // Chunks as a multiset: a chunk that occurs twice in one version and once in the other
    // counts once as gained or lost.
    std::unordered_map<Id, uint64_t, IdHash> unmatched;
    for (const repo::ContentChunk& chunk : from.content) unmatched[chunk.id]++;
    for (const repo::ContentChunk& chunk : to.content) {
      auto it = unmatched.find(chunk.id);
      if (it != unmatched.end() && it->second > 0) {
        it->second--;
      } else {
        report_.added_bytes += chunk.size;
      }
    }
    for (const repo::ContentChunk& chunk : from.content) {
      auto it = unmatched.find(chunk.id);
      if (it->second > 0) {
        it->second--;
        report_.removed_bytes += chunk.size;
      }
    }
  }

  repo::Repository& repository_;
  DiffReport report_;
};

}  // namespace

Result<DiffReport> DiffSnapshots(repo::Repository& repository, const repo::Snapshot& from,
                                 const repo::Snapshot& to) {
  SnapshotDiffer differ(repository);
  LIFEBOAT_RETURN_IF_ERROR(differ.DiffTrees(from.tree, to.tree, "/"));
  return differ.TakeReport();
}

}  // namespace lifeboat::ops
