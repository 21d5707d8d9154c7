#include "lifeboat/ops/repair.h"

#include <algorithm>
#include <unordered_set>

#include "lifeboat/ops/snapshot_path.h"
#include "lifeboat/repo/garbage.h"
#include "lifeboat/repo/index.h"
#include "lifeboat/repo/lock.h"

namespace lifeboat::ops {

namespace {

using storage::ObjectKey;
using storage::ObjectKind;

constexpr size_t kPacksPerIndexFile = 64;

Result<std::vector<std::string>> ListNames(repo::Repository& repository, ObjectKind kind) {
  std::vector<std::string> names;
  LIFEBOAT_RETURN_IF_ERROR(
      repository.backend().List(kind, "", [&](const storage::ObjectInfo& info) {
        names.push_back(info.key.name);
        return Status::Ok();
      }));
  std::sort(names.begin(), names.end());
  return names;
}

class SnapshotRepairer {
 public:
  SnapshotRepairer(repo::Repository& repository, const RepairSnapshotsOptions& options)
      : repository_(repository), options_(options) {}

  // The tree without what is lost, or nullopt when the tree itself cannot be read. Trees found
  // whole are remembered, so snapshots sharing them are not walked twice.
  Result<std::optional<Id>> RepairTree(const Id& tree_id, const std::string& path,
                                       std::vector<std::string>* removed) {
    if (whole_trees_.contains(tree_id)) return std::optional<Id>(tree_id);
    Result<repo::Tree> tree = repository_.LoadTree(tree_id);
    if (!tree.ok()) {
      removed->push_back((path.empty() ? "/" : path) + ": " + tree.status().message());
      return std::optional<Id>();
    }
    repo::Tree repaired;
    bool changed = false;
    for (repo::Node& node : tree->nodes) {
      const std::string node_path = JoinSnapshotPath(path.empty() ? "/" : path, node.name);
      if (node.type == repo::NodeType::kDirectory && node.subtree) {
        LIFEBOAT_ASSIGN_OR_RETURN(std::optional<Id> subtree,
                                  RepairTree(*node.subtree, node_path, removed));
        if (!subtree) {
          changed = true;
          continue;
        }
        if (*subtree != *node.subtree) changed = true;
        node.subtree = *subtree;
      }
      if (std::optional<std::string> lost = LostContent(node)) {
        removed->push_back(node_path + ": " + *lost);
        changed = true;
        continue;
      }
      repaired.nodes.push_back(std::move(node));
    }
    if (!changed) {
      whole_trees_.insert(tree_id);
      return std::optional<Id>(tree_id);
    }
    if (options_.dry_run) return std::optional<Id>(Id{});  // a stand-in: nothing is written
    LIFEBOAT_ASSIGN_OR_RETURN(Id id, repository_.SaveTree(repaired));
    return std::optional<Id>(id);
  }

 private:
  std::optional<std::string> LostContent(const repo::Node& node) {
    for (const repo::ContentChunk& chunk : node.content) {
      if (!repository_.index().Contains(chunk.id)) {
        return "blob " + chunk.id.Hex() + " is not in the index";
      }
      if (!options_.read_data || verified_.contains(chunk.id)) continue;
      Result<Bytes> data = repository_.LoadBlob(chunk.id);
      if (!data.ok()) return data.status().message();
      verified_.insert(chunk.id);
    }
    return std::nullopt;
  }

  repo::Repository& repository_;
  const RepairSnapshotsOptions& options_;
  std::unordered_set<Id, IdHash> whole_trees_;
  std::unordered_set<Id, IdHash> verified_;
};

}  // namespace

Result<RepairIndexReport> RepairIndex(repo::Repository& repository,
                                      const RepairIndexOptions& options,
                                      const std::function<void(std::string_view)>& progress) {
  std::unique_ptr<repo::RepositoryLock> prune_lock;
  if (!options.dry_run) {
    // A prune sweeping meanwhile could delete a pack this index is about to list again.
    LIFEBOAT_ASSIGN_OR_RETURN(prune_lock,
                              repo::RepositoryLock::Acquire(&repository, repo::LockKind::kPrune,
                                                            options.hostname, options.username));
  }
  // Listed before anything is written: these are the files the new ones replace; index files
  // written meanwhile by backups stay.
  LIFEBOAT_ASSIGN_OR_RETURN(std::vector<std::string> old_files,
                            ListNames(repository, ObjectKind::kIndex));
  std::vector<std::pair<Id, uint64_t>> packs;
  LIFEBOAT_RETURN_IF_ERROR(
      repository.backend().List(ObjectKind::kPack, "", [&](const storage::ObjectInfo& info) {
        if (std::optional<Id> id = Id::FromHex(info.key.name)) packs.emplace_back(*id, info.size);
        return Status::Ok();
      }));
  std::sort(packs.begin(), packs.end());
  RepairIndexReport report;
  std::vector<repo::IndexedPack> indexed;
  for (size_t i = 0; i < packs.size(); ++i) {
    if (progress) {
      progress("reading pack headers: " + std::to_string(i + 1) + " of " +
               std::to_string(packs.size()));
    }
    const auto& [pack, size] = packs[i];
    Result<std::vector<repo::PackedBlob>> header = repository.LoadPackHeader(pack, size);
    if (!header.ok()) {
      report.unreadable_packs.push_back("pack " + pack.Hex() + ": " + header.status().message());
      continue;
    }
    report.packs++;
    report.blobs += header->size();
    indexed.push_back(repo::IndexedPack{pack, std::move(header).value()});
  }
  report.index_files_written = (indexed.size() + kPacksPerIndexFile - 1) / kPacksPerIndexFile;
  report.index_files_removed = old_files.size();
  if (options.dry_run) return report;
  std::unordered_set<std::string> written;
  for (size_t first = 0; first < indexed.size(); first += kPacksPerIndexFile) {
    const size_t end = std::min(indexed.size(), first + kPacksPerIndexFile);
    std::vector<repo::IndexedPack> chunk(indexed.begin() + static_cast<ptrdiff_t>(first),
                                         indexed.begin() + static_cast<ptrdiff_t>(end));
    LIFEBOAT_ASSIGN_OR_RETURN(
        Id id, repository.SaveSealedFile(ObjectKind::kIndex, repo::EncodeIndexPayload(chunk)));
    written.insert(id.Hex());
  }
  for (const std::string& name : old_files) {
    // The same packs give the same file: a rewritten index may have the name of an old one.
    if (written.contains(name)) {
      report.index_files_removed--;
      continue;
    }
    Status removed = repository.backend().Remove(ObjectKey{ObjectKind::kIndex, name});
    if (!removed.ok() && removed.code() != StatusCode::kNotFound) {
      return removed.WithContext("removing old index file " + name.substr(0, 8))
          .WithHint("the new index is complete; run repair index again to remove the rest");
    }
  }
  LIFEBOAT_ASSIGN_OR_RETURN(std::vector<std::string> markers,
                            ListNames(repository, ObjectKind::kGarbage));
  for (const std::string& name : markers) {
    Result<Bytes> payload = repository.LoadSealedFile(ObjectKind::kGarbage, name);
    if (payload.ok() && repo::DecodeGarbageMarker(*payload).ok()) continue;
    if (!payload.ok() && payload.status().code() == StatusCode::kNotFound) continue;
    Status removed = repository.backend().Remove(ObjectKey{ObjectKind::kGarbage, name});
    if (!removed.ok() && removed.code() != StatusCode::kNotFound) return removed;
    report.markers_removed++;
  }
  if (prune_lock) LIFEBOAT_RETURN_IF_ERROR(prune_lock->Release());
  return report;
}

Result<RepairSnapshotsReport> RepairSnapshots(
    repo::Repository& repository, const RepairSnapshotsOptions& options,
    const std::function<void(std::string_view)>& progress) {
  LIFEBOAT_ASSIGN_OR_RETURN(std::vector<std::string> names,
                            ListNames(repository, ObjectKind::kSnapshot));
  RepairSnapshotsReport report;
  SnapshotRepairer repairer(repository, options);
  std::vector<std::pair<RepairedSnapshot, repo::Snapshot>> pending;
  for (const std::string& name : names) {
    if (progress) progress("checking snapshot " + name.substr(0, 8));
    const Id original = *Id::FromHex(name);
    Result<Bytes> plain = repository.LoadSealedFile(ObjectKind::kSnapshot, name);
    if (!plain.ok() && plain.status().code() == StatusCode::kNotFound) continue;
    report.snapshots_checked++;
    Result<repo::Snapshot> snapshot =
        plain.ok() ? repo::DecodeSnapshot(*plain) : Result<repo::Snapshot>(plain.status());
    if (!snapshot.ok()) {
      RepairedSnapshot damaged{.original = original, .unreadable = true};
      damaged.removed.push_back("snapshot " + name.substr(0, 8) +
                                " cannot be read: " + snapshot.status().message());
      pending.emplace_back(std::move(damaged), repo::Snapshot{});
      continue;
    }
    RepairedSnapshot result{.original = original};
    LIFEBOAT_ASSIGN_OR_RETURN(std::optional<Id> tree,
                              repairer.RepairTree(snapshot->tree, "", &result.removed));
    if (tree && *tree == snapshot->tree) continue;
    if (!tree) result.unreadable = true;
    repo::Snapshot repaired = *snapshot;
    if (tree) repaired.tree = *tree;
    if (std::find(repaired.tags.begin(), repaired.tags.end(), kRepairedTag) ==
        repaired.tags.end()) {
      repaired.tags.emplace_back(kRepairedTag);
    }
    pending.emplace_back(std::move(result), std::move(repaired));
  }
  if (options.dry_run) {
    for (auto& [result, snapshot] : pending) report.damaged.push_back(std::move(result));
    return report;
  }
  // Trees first, then the snapshots that use them (the write order of a backup).
  LIFEBOAT_RETURN_IF_ERROR(repository.Flush());
  for (auto& [result, snapshot] : pending) {
    if (!result.unreadable) {
      LIFEBOAT_ASSIGN_OR_RETURN(Id id, repository.SaveSnapshot(snapshot));
      result.repaired = id;
    }
    if (options.forget) {
      Status removed =
          repository.backend().Remove(ObjectKey{ObjectKind::kSnapshot, result.original.Hex()});
      if (!removed.ok() && removed.code() != StatusCode::kNotFound) {
        return removed.WithContext("removing snapshot " + result.original.ShortHex());
      }
      result.forgotten = true;
    }
    report.damaged.push_back(std::move(result));
  }
  return report;
}

}  // namespace lifeboat::ops
