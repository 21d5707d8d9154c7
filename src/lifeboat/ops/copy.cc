#include "lifeboat/ops/copy.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace lifeboat::ops {

namespace {

using IdMap = std::unordered_map<Id, Id, IdHash>;

// One tree's blobs to copy, filled in by the pool.
struct Batch {
  std::vector<Id> source_ids;
  std::vector<Id> destination_ids;
  size_t remaining = 0;  // guarded by Copier::mutex_
};

// Walks trees on the calling thread and copies blobs on a pool. A tree hands its blobs to the
// pool before descending into its subtrees and waits for them only before it is written, so
// reads of many directories overlap: copying from S3 is not one round trip after another.
class Copier {
 public:
  Copier(repo::Repository& source, repo::Repository& destination, const CopyOptions& options,
         CopyProgress* progress)
      : source_(source), destination_(destination), options_(options), progress_(progress) {
    for (int i = 0; i < std::max(options.threads, 1); ++i) {
      workers_.emplace_back([this] { Work(); });
    }
  }

  ~Copier() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    work_ready_.notify_all();
    for (std::thread& worker : workers_) worker.join();
  }

  // The destination id of a source tree, copying it and everything below it first.
  Result<Id> CopyTree(const Id& source_tree) {
    if (auto known = trees_.find(source_tree); known != trees_.end()) return known->second;
    // Forgetting only drops what later trees could reuse: each tree keeps the ids it needs
    // in `resolved`.
    if (blobs_.size() > options_.max_remembered_ids) blobs_.clear();
    if (trees_.size() > options_.max_remembered_ids) trees_.clear();

    Result<repo::Tree> loaded = source_.LoadTree(source_tree);
    if (!loaded.ok()) {
      return loaded.status().WithContext("reading tree " + source_tree.ShortHex() +
                                         " from the source");
    }
    repo::Tree tree = std::move(loaded).value();
    IdMap resolved;
    auto batch = std::make_shared<Batch>();
    for (const repo::Node& node : tree.nodes) {
      for (const repo::ContentChunk& chunk : node.content) {
        if (resolved.contains(chunk.id)) continue;
        if (auto known = blobs_.find(chunk.id); known != blobs_.end()) {
          resolved.emplace(chunk.id, known->second);
        } else {
          resolved.emplace(chunk.id, Id{});
          batch->source_ids.push_back(chunk.id);
        }
      }
    }
    Submit(batch);
    for (repo::Node& node : tree.nodes) {
      if (node.subtree) {
        LIFEBOAT_ASSIGN_OR_RETURN(Id copied, CopyTree(*node.subtree));
        node.subtree = copied;
      }
    }
    LIFEBOAT_RETURN_IF_ERROR(Wait(*batch));
    for (size_t at = 0; at < batch->source_ids.size(); ++at) {
      resolved[batch->source_ids[at]] = batch->destination_ids[at];
      blobs_.emplace(batch->source_ids[at], batch->destination_ids[at]);
    }
    for (repo::Node& node : tree.nodes) {
      for (repo::ContentChunk& chunk : node.content) chunk.id = resolved.at(chunk.id);
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
  void Submit(const std::shared_ptr<Batch>& batch) {
    batch->destination_ids.resize(batch->source_ids.size());
    {
      std::lock_guard lock(mutex_);
      batch->remaining = batch->source_ids.size();
      for (size_t at = 0; at < batch->source_ids.size(); ++at) queue_.emplace_back(batch, at);
    }
    work_ready_.notify_all();
  }

  Status Wait(Batch& batch) {
    std::unique_lock lock(mutex_);
    batch_done_.wait(lock, [&] { return batch.remaining == 0; });
    // Any blob's failure fails the copy, whichever tree it belonged to.
    return first_error_;
  }

  void Work() {
    std::unique_lock lock(mutex_);
    while (true) {
      work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      auto [batch, at] = std::move(queue_.front());
      queue_.pop_front();
      const bool skip = !first_error_.ok();
      lock.unlock();
      // After a failure the copy is over: the rest is only counted off, not read.
      Status status =
          skip ? Status::Ok() : CopyBlob(batch->source_ids[at], &batch->destination_ids[at]);
      lock.lock();
      if (!status.ok() && first_error_.ok()) first_error_ = status;
      if (--batch->remaining == 0) batch_done_.notify_all();
    }
  }

  // A destination id must be computed from the plaintext, so even a blob the destination has
  // is read once per run.
  Status CopyBlob(const Id& source_id, Id* destination_id) {
    Result<Bytes> plaintext = source_.LoadBlob(source_id);
    if (!plaintext.ok()) {
      return plaintext.status().WithContext("reading blob " + source_id.Hex() + " from the source");
    }
    *destination_id = destination_.HashBlob(*plaintext);
    Result<bool> added = destination_.SaveBlob(repo::BlobType::kData, *destination_id, *plaintext);
    if (!added.ok()) return added.status().WithContext("writing to the destination");
    Count(*added, plaintext->size());
    return Status::Ok();
  }

  void Count(bool added, uint64_t bytes) {
    (added ? blobs_copied_ : blobs_present_) += 1;
    (added ? bytes_copied_ : bytes_present_) += bytes;
    if (progress_ != nullptr) {
      (added ? progress_->blobs_copied : progress_->blobs_present) += 1;
      (added ? progress_->bytes_copied : progress_->bytes_present) += bytes;
    }
  }

  repo::Repository& source_;
  repo::Repository& destination_;
  const CopyOptions& options_;
  CopyProgress* progress_;
  // Used by the walking thread only.
  IdMap blobs_;  // source blob id → destination blob id
  IdMap trees_;  // source tree id → destination tree id

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable batch_done_;
  std::deque<std::pair<std::shared_ptr<Batch>, size_t>> queue_;
  bool stopping_ = false;
  Status first_error_;
  std::vector<std::thread> workers_;

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
