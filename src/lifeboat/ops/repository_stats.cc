// ComputeStats (declared in inspect.h).
#include <unordered_map>
#include <unordered_set>

#include "lifeboat/ops/inspect.h"

namespace lifeboat::ops {

namespace {

// Total size of the files under a tree. Memoised by tree id: unchanged directories share trees,
// within a snapshot as across snapshots, and need reading once.
class RestoreSizer {
 public:
  explicit RestoreSizer(repo::Repository& repository) : repository_(repository) {}

  Result<uint64_t> SizeOf(const Id& tree_id) {
    if (auto it = sizes_.find(tree_id); it != sizes_.end()) return it->second;
    LIFEBOAT_ASSIGN_OR_RETURN(repo::Tree tree, repository_.LoadTree(tree_id));
    uint64_t size = 0;
    for (const repo::Node& node : tree.nodes) {
      if (node.type == repo::NodeType::kFile) {
        size += node.size;
      } else if (node.type == repo::NodeType::kDirectory && node.subtree) {
        LIFEBOAT_ASSIGN_OR_RETURN(uint64_t subtree_size, SizeOf(*node.subtree));
        size += subtree_size;
      }
    }
    sizes_.emplace(tree_id, size);
    return size;
  }

 private:
  repo::Repository& repository_;
  std::unordered_map<Id, uint64_t, IdHash> sizes_;
};

}  // namespace

Result<RepositoryStats> ComputeStats(repo::Repository& repository) {
  RepositoryStats stats;
  LIFEBOAT_ASSIGN_OR_RETURN(auto snapshots, repository.ListSnapshots());
  stats.snapshots = snapshots.size();

  LIFEBOAT_ASSIGN_OR_RETURN(auto index_files, repository.ReadAllIndexFiles());
  // The walk of the latest snapshot below needs the index to find its trees.
  const bool fill_index = repository.index().pack_count() == 0;
  std::unordered_set<Id, IdHash> indexed_packs;
  uint64_t sealed_bytes = 0;
  for (const auto& [name, packs] : index_files) {
    for (const repo::IndexedPack& pack : packs) {
      if (!indexed_packs.insert(pack.pack).second) continue;
      if (fill_index) repository.index().AddStaged(pack);
      for (const repo::PackedBlob& blob : pack.blobs) {
        stats.blobs++;
        (blob.type == repo::BlobType::kTree ? stats.tree_blobs : stats.data_blobs)++;
        stats.raw_bytes += blob.raw_length;
        sealed_bytes += blob.length;
      }
    }
  }
  index_files.clear();
  if (fill_index) repository.index().Compact();
  stats.index_memory_bytes = repository.index().CompactBytes();
  if (sealed_bytes > 0) {
    stats.compression_ratio = static_cast<double>(stats.raw_bytes) / sealed_bytes;
  }

  LIFEBOAT_RETURN_IF_ERROR(repository.backend().List(storage::ObjectKind::kPack, "",
                                                     [&](const storage::ObjectInfo& info) {
                                                       stats.packs++;
                                                       stats.stored_bytes += info.size;
                                                       return Status::Ok();
                                                     }));

  if (!snapshots.empty()) {
    RestoreSizer sizer(repository);
    LIFEBOAT_ASSIGN_OR_RETURN(stats.restore_size_latest,
                              sizer.SizeOf(snapshots.back().second.tree));
  }
  return stats;
}

}  // namespace lifeboat::ops
