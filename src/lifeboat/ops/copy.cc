#include "lifeboat/ops/copy.h"

#include <algorithm>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace lifeboat::ops {

namespace {

using IdMap = std::unordered_map<Id, Id, IdHash>;

class Copier {
 public:
  Copier(repo::Repository& source, repo::Repository& destination, const CopyOptions& options,
         CopyProgress* progress)
      : source_(source), destination_(destination), options_(options), progress_(progress) {}

  // The destination id of a source tree, copying it and everything below it first.
  Result<Id> CopyTree(const Id& source_tree) {
    if (auto known = trees_.find(source_tree); known != trees_.end()) return known->second;
    // Forgetting happens only here, before this tree's chunks are looked up, so every id a
    // tree needs is still in the map when the tree is rewritten.
    if (blobs_.size() > options_.max_remembered_ids) blobs_.clear();
    if (trees_.size() > options_.max_remembered_ids) trees_.clear();

    Result<repo::Tree> loaded = source_.LoadTree(source_tree);
    if (!loaded.ok()) {
      return loaded.status().WithContext("reading tree " + source_tree.ShortHex() +
                                         " from the source");
    }
    repo::Tree tree = std::move(loaded).value();
    std::vector<Id> needed;
    std::unordered_set<Id, IdHash> listed;
    for (const repo::Node& node : tree.nodes) {
      for (const repo::ContentChunk& chunk : node.content) {
        if (!blobs_.contains(chunk.id) && listed.insert(chunk.id).second) {
          needed.push_back(chunk.id);
        }
      }
    }
    LIFEBOAT_RETURN_IF_ERROR(CopyBlobs(needed));
    for (repo::Node& node : tree.nodes) {
      for (repo::ContentChunk& chunk : node.content) chunk.id = blobs_.at(chunk.id);
    }
    // Subtrees after the chunks: descending may empty the blob map.
    for (repo::Node& node : tree.nodes) {
      if (node.subtree) {
        LIFEBOAT_ASSIGN_OR_RETURN(Id copied, CopyTree(*node.subtree));
        node.subtree = copied;
      }
    }
    Result<Id> saved = destination_.SaveTree(tree);
    if (!saved.ok()) return saved.status().WithContext("writing a tree to the destination");
    trees_.emplace(source_tree, *saved);
    return *saved;
  }

  uint64_t blobs_copied() const { return blobs_copied_; }
  uint64_t bytes_copied() const { return bytes_copied_; }
  uint64_t blobs_present() const { return blobs_present_; }
  uint64_t bytes_present() const { return bytes_present_; }

 private:
  // Reads, hashes and stores blobs on a few threads. A destination id must be computed from
  // the plaintext, so even a blob the destination has is read once per run.
  Status CopyBlobs(const std::vector<Id>& ids) {
    if (ids.empty()) return Status::Ok();
    std::vector<Id> copied(ids.size());
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex error_mutex;
    Status first_error;
    auto record = [&](Status status) {
      std::lock_guard lock(error_mutex);
      if (first_error.ok()) first_error = std::move(status);
      failed = true;
    };
    auto work = [&] {
      for (size_t at = next++; at < ids.size() && !failed; at = next++) {
        Result<Bytes> plaintext = source_.LoadBlob(ids[at]);
        if (!plaintext.ok()) {
          record(
              plaintext.status().WithContext("reading blob " + ids[at].Hex() + " from the source"));
          return;
        }
        const Id id = destination_.HashBlob(*plaintext);
        Result<bool> added = destination_.SaveBlob(repo::BlobType::kData, id, *plaintext);
        if (!added.ok()) {
          record(added.status().WithContext("writing to the destination"));
          return;
        }
        copied[at] = id;
        Count(*added, plaintext->size());
      }
    };
    const size_t helpers =
        std::min(ids.size(), static_cast<size_t>(std::max(options_.threads, 1))) - 1;
    std::vector<std::thread> threads;
    threads.reserve(helpers);
    for (size_t i = 0; i < helpers; ++i) threads.emplace_back(work);
    work();
    for (std::thread& thread : threads) thread.join();
    if (!first_error.ok()) return first_error;
    for (size_t at = 0; at < ids.size(); ++at) blobs_.emplace(ids[at], copied[at]);
    return Status::Ok();
  }

  void Count(bool added, uint64_t bytes) {
    std::atomic<uint64_t>& blobs = added ? blobs_copied_ : blobs_present_;
    std::atomic<uint64_t>& total = added ? bytes_copied_ : bytes_present_;
    blobs += 1;
    total += bytes;
    if (progress_ != nullptr) {
      (added ? progress_->blobs_copied : progress_->blobs_present) += 1;
      (added ? progress_->bytes_copied : progress_->bytes_present) += bytes;
    }
  }

  repo::Repository& source_;
  repo::Repository& destination_;
  const CopyOptions& options_;
  CopyProgress* progress_;
  IdMap blobs_;  // source blob id → destination blob id
  IdMap trees_;  // source tree id → destination tree id
  std::atomic<uint64_t> blobs_copied_{0};
  std::atomic<uint64_t> bytes_copied_{0};
  std::atomic<uint64_t> blobs_present_{0};
  std::atomic<uint64_t> bytes_present_{0};
};

// The destination snapshot a source snapshot's parent became, when it was copied; a parent is
// only a hint for the next backup, so none is better than one from the other repository.
std::optional<Id> CopiedParent(const std::optional<Id>& parent,
                               const std::vector<std::pair<Id, repo::Snapshot>>& existing) {
  if (!parent) return std::nullopt;
  for (const auto& [id, snapshot] : existing) {
    if (snapshot.original == *parent || id == *parent) return id;
  }
  return std::nullopt;
}

}  // namespace

bool SameBackup(const Id& source_id, const repo::Snapshot& snapshot, const Id& existing_id,
                const repo::Snapshot& existing) {
  const Id origin = snapshot.original.value_or(source_id);
  if (existing.original == origin || existing_id == origin) return true;
  return existing.time_ns == snapshot.time_ns && existing.hostname == snapshot.hostname &&
         existing.username == snapshot.username && existing.paths == snapshot.paths &&
         existing.tags == snapshot.tags && existing.excludes == snapshot.excludes &&
         existing.source == snapshot.source && existing.manifest == snapshot.manifest;
}

Result<CopyReport> CopySnapshots(repo::Repository& source, repo::Repository& destination,
                                 const std::vector<std::pair<Id, repo::Snapshot>>& snapshots,
                                 const CopyOptions& options, CopyProgress* progress) {
  LIFEBOAT_ASSIGN_OR_RETURN(auto existing, destination.ListSnapshots());
  const repo::SessionStats before = destination.session_stats();
  Copier copier(source, destination, options, progress);
  CopyReport report;
  for (const auto& [source_id, original] : snapshots) {
    auto same = std::find_if(existing.begin(), existing.end(), [&](const auto& entry) {
      return SameBackup(source_id, original, entry.first, entry.second);
    });
    if (same != existing.end()) {
      report.snapshots.push_back(CopiedSnapshot{.source_id = source_id,
                                                .snapshot = same->second,
                                                .destination_id = same->first,
                                                .skipped = true});
      ++report.skipped;
      if (progress != nullptr) ++progress->snapshots_done;
      continue;
    }
    auto copy_one = [&]() -> Result<CopiedSnapshot> {
      repo::Snapshot copy = original;
      LIFEBOAT_ASSIGN_OR_RETURN(copy.tree, copier.CopyTree(original.tree));
      // Packs and index before the snapshot: a visible snapshot is always complete.
      Status flushed = destination.Flush();
      if (!flushed.ok()) return flushed.WithContext("writing to the destination");
      copy.original = original.original.value_or(source_id);
      copy.parent = CopiedParent(original.parent, existing);
      Result<Id> saved = destination.SaveSnapshot(copy);
      if (!saved.ok()) return saved.status().WithContext("writing the snapshot");
      return CopiedSnapshot{
          .source_id = source_id, .snapshot = std::move(copy), .destination_id = *saved};
    };
    Result<CopiedSnapshot> copied = copy_one();
    if (!copied.ok()) {
      return copied.status()
          .WithContext("copying snapshot " + source_id.ShortHex())
          .WithHint(std::to_string(report.copied) + " of " + std::to_string(snapshots.size()) +
                    " snapshots were copied before the failure; run copy again to copy the rest "
                    "(data already written is not written again)");
    }
    existing.emplace_back(copied->destination_id, copied->snapshot);
    report.snapshots.push_back(std::move(copied).value());
    ++report.copied;
    if (progress != nullptr) ++progress->snapshots_done;
  }
  const repo::SessionStats after = destination.session_stats();
  report.blobs_copied = copier.blobs_copied();
  report.bytes_copied = copier.bytes_copied();
  report.blobs_present = copier.blobs_present();
  report.bytes_present = copier.bytes_present();
  report.trees_written = after.blobs_added - before.blobs_added - report.blobs_copied;
  report.bytes_stored = after.bytes_added_stored - before.bytes_added_stored;
  return report;
}

}  // namespace lifeboat::ops
