#include "lifeboat/ops/prune.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "lifeboat/repo/blob.h"
#include "lifeboat/repo/garbage.h"
#include "lifeboat/repo/index.h"

namespace lifeboat::ops {

namespace {

using storage::ObjectKey;
using storage::ObjectKind;

constexpr int64_t kSecond = 1'000'000'000;
// Replacement index files hold as many packs as a backup's (repo/repository.cc).
constexpr size_t kPacksPerIndexFile = 64;

struct PackState {
  uint64_t stored_size = 0;
  bool stored = false;
  const std::vector<repo::PackedBlob>* blobs = nullptr;  // from the first index file listing it
  uint64_t used_bytes = 0;                               // blobs assigned to this pack
  uint64_t unused_bytes = 0;
};

std::string DescribeMarker(const std::string& name, const repo::GarbageMarker& marker) {
  return "marker " + name.substr(0, 8) + " (marked " + FormatTimeRfc3339(marker.time_ns) + ")";
}

class Pruner {
 public:
  Pruner(repo::Repository& repository, const PruneOptions& options,
         const std::function<void(const PruneReport&)>& on_plan,
         const std::function<void(std::string_view)>& progress)
      : repository_(repository), options_(options), on_plan_(on_plan), progress_(progress) {}

  Result<PruneReport> Run() {
    report_.dry_run = options_.dry_run;
    if (!options_.dry_run) {
      Result<std::unique_ptr<repo::RepositoryLock>> lock = repo::RepositoryLock::Acquire(
          &repository_, repo::LockKind::kPrune, options_.hostname, options_.username);
      if (!lock.ok()) {
        return lock.status().WithHint(
            "another prune is running (only one may run at a time); if it died, `lifeboat "
            "unlock` removes its stale lock");
      }
      prune_lock_ = std::move(lock).value();
    }
    Progress("loading the index");
    LIFEBOAT_RETURN_IF_ERROR(repository_.LoadIndex().WithContext("loading the index"));
    LIFEBOAT_ASSIGN_OR_RETURN(markers_, repository_.ListGarbageMarkers());
    LIFEBOAT_ASSIGN_OR_RETURN(index_files_, repository_.ReadAllIndexFiles());
    LIFEBOAT_RETURN_IF_ERROR(LoadPacks());
    // The locks are judged before the snapshots are read: an operation that started before a
    // mark and has finished by now has written its snapshot, which the walk then sees.
    LIFEBOAT_RETURN_IF_ERROR(ChooseMarkersToSweep());
    Progress("finding the data snapshots use");
    LIFEBOAT_RETURN_IF_ERROR(FindUsedBlobs());
    PlanSweep();
    PlanMark();
    if (on_plan_) on_plan_(report_);
    if (options_.dry_run) return report_;
    LIFEBOAT_RETURN_IF_ERROR(Sweep());
    LIFEBOAT_RETURN_IF_ERROR(Mark());
    if (prune_lock_) LIFEBOAT_RETURN_IF_ERROR(prune_lock_->Release());
    return report_;
  }

 private:
  void Progress(const std::string& message) {
    if (progress_) progress_(message);
  }

  Status LoadPacks() {
    for (const auto& [name, packs] : index_files_) {
      for (const repo::IndexedPack& pack : packs) {
        PackState& state = packs_[pack.pack];
        if (state.blobs == nullptr) state.blobs = &pack.blobs;
      }
    }
    LIFEBOAT_RETURN_IF_ERROR(
        repository_.backend().List(ObjectKind::kPack, "", [&](const storage::ObjectInfo& info) {
          if (std::optional<Id> id = Id::FromHex(info.key.name)) {
            PackState& state = packs_[*id];
            state.stored = true;
            state.stored_size = info.size;
          }
          return Status::Ok();
        }));
    for (const auto& [id, state] : packs_) {
      if (state.blobs != nullptr && !state.stored) {
        return CorruptionError("cannot prune: pack " + id.Hex() +
                               " is listed in the index but missing from storage")
            .WithHint("run `lifeboat check`; `lifeboat repair index` rebuilds the index");
      }
    }
    return Status::Ok();
  }

  std::vector<std::string> OwnLockNames() const {
    std::vector<std::string> names;
    if (prune_lock_) names.push_back(prune_lock_->name());
    for (const repo::RepositoryLock* lock : options_.own_locks) {
      if (lock != nullptr) names.push_back(lock->name());
    }
    return names;
  }

  Status ChooseMarkersToSweep() {
    const int64_t now = repository_.clock().NowNanos();
    bool any_due = false;
    for (const auto& [name, marker] : markers_) {
      if (marker.time_ns + options_.grace_seconds * kSecond <= now) any_due = true;
    }
    std::vector<repo::NamedLock> locks;
    if (any_due) {
      LIFEBOAT_ASSIGN_OR_RETURN(locks, repo::ReadLocks(&repository_));
    }
    const std::vector<std::string> own = OwnLockNames();
    for (size_t i = 0; i < markers_.size(); ++i) {
      const auto& [name, marker] = markers_[i];
      const int64_t due = marker.time_ns + options_.grace_seconds * kSecond;
      if (due > now) {
        report_.markers_waiting++;
        if (report_.next_sweep_ns == 0 || due < report_.next_sweep_ns) report_.next_sweep_ns = due;
        continue;
      }
      std::string blocker;
      for (const repo::NamedLock& lock : locks) {
        if (std::find(own.begin(), own.end(), lock.name) != own.end()) continue;
        if (!lock.info.ok()) {
          // Whoever wrote it cannot be told apart from a backup that started before the mark.
          blocker = "lock " + lock.name.substr(0, 8) + " cannot be read (" +
                    lock.info.status().message() + ")";
          break;
        }
        if (repo::IsStaleLock(*lock.info, now, options_.hostname)) continue;
        if (lock.info->created_ns < marker.time_ns + kMarkSafetyMarginSeconds * kSecond) {
          blocker = repo::DescribeLock(*lock.info) + " was taken before the mark";
          break;
        }
      }
      if (!blocker.empty()) {
        report_.deferred.push_back(DescribeMarker(name, marker) + ": " + blocker);
        continue;
      }
      sweep_markers_.push_back(i);
    }
    return Status::Ok();
  }

  Status FindUsedBlobs() {
    LIFEBOAT_ASSIGN_OR_RETURN(auto snapshots, repository_.ListSnapshots());
    std::vector<Id> to_walk;
    for (const auto& [snapshot_id, snapshot] : snapshots) {
      if (used_.insert(snapshot.tree).second) to_walk.push_back(snapshot.tree);
    }
    while (!to_walk.empty()) {
      const Id tree_id = to_walk.back();
      to_walk.pop_back();
      LIFEBOAT_RETURN_IF_ERROR(RequireIndexed(tree_id, "tree"));
      Result<repo::Tree> tree = repository_.LoadTree(tree_id);
      if (!tree.ok()) {
        return CorruptionError("cannot prune: " + tree.status().message())
            .WithHint("run `lifeboat check`; prune deletes nothing while a tree cannot be read");
      }
      for (const repo::Node& node : tree->nodes) {
        if (node.subtree && used_.insert(*node.subtree).second) to_walk.push_back(*node.subtree);
        for (const repo::ContentChunk& chunk : node.content) {
          if (used_.insert(chunk.id).second) {
            LIFEBOAT_RETURN_IF_ERROR(RequireIndexed(chunk.id, "blob"));
          }
        }
      }
    }
    return Status::Ok();
  }

  Status RequireIndexed(const Id& blob, std::string_view kind) {
    if (repository_.index().Contains(blob)) return Status::Ok();
    return CorruptionError("cannot prune: " + std::string(kind) + " " + blob.Hex() +
                           " is used by a snapshot but no index lists it")
        .WithHint(
            "run `lifeboat check`; `lifeboat repair index` may find it in a pack, `lifeboat "
            "repair snapshots` removes what is lost");
  }

  // Packs of due markers that no snapshot needs are deleted; a marked pack holding a used blob
  // that no other surviving pack holds is kept (rescued).
  void PlanSweep() {
    std::set<Id> candidates;
    for (size_t i : sweep_markers_) {
      for (const Id& pack : markers_[i].second.packs) {
        if (packs_.contains(pack)) candidates.insert(pack);
      }
    }
    std::unordered_set<Id, IdHash> available;
    for (const auto& [id, state] : packs_) {
      if (candidates.contains(id) || state.blobs == nullptr) continue;
      for (const repo::PackedBlob& blob : *state.blobs) {
        if (used_.contains(blob.id)) available.insert(blob.id);
      }
    }
    for (const Id& pack : candidates) {
      const PackState& state = packs_.at(pack);
      bool needed = false;
      if (state.blobs != nullptr) {
        for (const repo::PackedBlob& blob : *state.blobs) {
          if (used_.contains(blob.id) && !available.contains(blob.id)) needed = true;
        }
      }
      if (needed) {
        report_.packs_rescued++;
        for (const repo::PackedBlob& blob : *state.blobs) {
          if (used_.contains(blob.id)) available.insert(blob.id);
        }
        continue;
      }
      if (state.stored) {
        report_.packs_swept++;
        report_.bytes_swept += state.stored_size;
      }
      swept_.insert(pack);
    }
    report_.markers_swept = sweep_markers_.size();
    for (const auto& [name, packs] : index_files_) {
      if (std::any_of(packs.begin(), packs.end(),
                      [&](const repo::IndexedPack& pack) { return swept_.contains(pack.pack); })) {
        report_.index_files_rewritten++;
      }
    }
  }

  // After the sweep: every pack neither deleted nor still pending is live. Each used blob is
  // counted in one live pack (the first by id that holds it); a pack none of whose blobs
  // counts is unused.
  void PlanMark() {
    std::unordered_set<Id, IdHash> still_pending;
    for (size_t i = 0; i < markers_.size(); ++i) {
      if (std::find(sweep_markers_.begin(), sweep_markers_.end(), i) != sweep_markers_.end()) {
        continue;
      }
      still_pending.insert(markers_[i].second.packs.begin(), markers_[i].second.packs.end());
    }
    std::vector<Id> live;
    for (const auto& [id, state] : packs_) {
      if (!state.stored || swept_.contains(id) || still_pending.contains(id)) continue;
      live.push_back(id);
    }
    std::sort(live.begin(), live.end());
    std::unordered_set<Id, IdHash> counted;
    std::vector<Id> partial;
    for (const Id& id : live) {
      PackState& state = packs_.at(id);
      report_.packs_total++;
      report_.bytes_total += state.stored_size;
      if (state.blobs == nullptr) {
        report_.packs_unindexed++;
        report_.packs_unused++;
        report_.bytes_unused += state.stored_size;
        mark_.push_back(id);
        continue;
      }
      for (const repo::PackedBlob& blob : *state.blobs) {
        if (used_.contains(blob.id) && counted.insert(blob.id).second) {
          state.used_bytes += blob.length;
          assigned_[id].push_back(blob);
        } else {
          state.unused_bytes += blob.length;
        }
      }
      report_.bytes_used += state.used_bytes;
      if (state.used_bytes == 0) {
        report_.packs_unused++;
        report_.bytes_unused += state.stored_size;
        mark_.push_back(id);
      } else if (state.unused_bytes > 0) {
        partial.push_back(id);
      }
    }
    // The most wasteful packs first, until the unused share is within the limit.
    std::stable_sort(partial.begin(), partial.end(), [&](const Id& a, const Id& b) {
      const PackState& x = packs_.at(a);
      const PackState& y = packs_.at(b);
      return x.unused_bytes * (y.used_bytes + y.unused_bytes) >
             y.unused_bytes * (x.used_bytes + x.unused_bytes);
    });
    uint64_t waste = 0;
    uint64_t kept_total = report_.bytes_total - report_.bytes_unused;
    for (const Id& id : partial) waste += packs_.at(id).unused_bytes;
    for (const Id& id : partial) {
      if (static_cast<double>(waste) <= options_.max_unused * static_cast<double>(kept_total)) {
        break;
      }
      const PackState& state = packs_.at(id);
      repack_.push_back(id);
      report_.packs_repacked++;
      report_.bytes_repacked += state.stored_size;
      report_.blobs_copied += assigned_.at(id).size();
      report_.bytes_copied += state.used_bytes;
      waste -= state.unused_bytes;
      kept_total -= state.unused_bytes;
    }
    report_.bytes_unused_after = waste;
  }

  Status Sweep() {
    if (sweep_markers_.empty()) return Status::Ok();
    Progress("sweeping " + std::to_string(report_.packs_swept) + " packs");
    // 1. Index files without the swept packs, written before anything is removed: a crash
    //    leaves packs listed twice, which is harmless.
    std::vector<std::string> rewritten;
    std::unordered_set<Id, IdHash> listed_elsewhere;
    for (const auto& [name, packs] : index_files_) {
      const bool affected = std::any_of(
          packs.begin(), packs.end(), [&](const auto& pack) { return swept_.contains(pack.pack); });
      if (affected) {
        rewritten.push_back(name);
      } else {
        for (const repo::IndexedPack& pack : packs) listed_elsewhere.insert(pack.pack);
      }
    }
    std::vector<repo::IndexedPack> kept;
    for (const auto& [name, packs] : index_files_) {
      if (std::find(rewritten.begin(), rewritten.end(), name) == rewritten.end()) continue;
      for (const repo::IndexedPack& pack : packs) {
        if (swept_.contains(pack.pack) || !listed_elsewhere.insert(pack.pack).second) continue;
        kept.push_back(pack);
      }
    }
    for (size_t first = 0; first < kept.size(); first += kPacksPerIndexFile) {
      const size_t end = std::min(kept.size(), first + kPacksPerIndexFile);
      std::vector<repo::IndexedPack> chunk(kept.begin() + static_cast<ptrdiff_t>(first),
                                           kept.begin() + static_cast<ptrdiff_t>(end));
      LIFEBOAT_RETURN_IF_ERROR(
          repository_.SaveSealedFile(ObjectKind::kIndex, repo::EncodeIndexPayload(chunk))
              .status()
              .WithContext("writing a replacement index file"));
    }
    // 2. The old index files: from here on no index lists a swept pack.
    for (const std::string& name : rewritten) {
      LIFEBOAT_RETURN_IF_ERROR(Remove(ObjectKey{ObjectKind::kIndex, name}, "index file"));
    }
    // 3. The packs, then 4. the markers: a marker outliving its packs only names packs that are
    //    gone, which the next sweep skips.
    for (const Id& pack : swept_) {
      if (!packs_.at(pack).stored) continue;
      LIFEBOAT_RETURN_IF_ERROR(Remove(ObjectKey{ObjectKind::kPack, pack.Hex()}, "pack"));
    }
    for (size_t i : sweep_markers_) {
      LIFEBOAT_RETURN_IF_ERROR(
          Remove(ObjectKey{ObjectKind::kGarbage, markers_[i].first}, "garbage marker"));
    }
    // The in-memory index still lists the swept packs; the mark must not copy blobs into them.
    return repository_.LoadIndex().WithContext("loading the index after the sweep");
  }

  Status Remove(const ObjectKey& key, std::string_view what) {
    Status status = repository_.backend().Remove(key);
    if (status.ok() || status.code() == StatusCode::kNotFound) return Status::Ok();
    return status.WithContext("removing " + std::string(what) + " " + key.name.substr(0, 8))
        .WithHint("nothing is lost; run prune again to finish");
  }

  Status Mark() {
    if (mark_.empty() && repack_.empty()) return Status::Ok();
    if (!repack_.empty()) {
      Progress("repacking " + std::to_string(repack_.size()) + " packs");
      // Copies must not deduplicate against the packs being emptied, nor against the unused
      // ones: the index may name any of them as a blob's location.
      std::vector<Id> leaving = mark_;
      leaving.insert(leaving.end(), repack_.begin(), repack_.end());
      repository_.AddPendingPacks(leaving);
      for (const Id& pack : repack_) LIFEBOAT_RETURN_IF_ERROR(Repack(pack));
      // 1. The copies are stored and indexed before their originals are marked.
      LIFEBOAT_RETURN_IF_ERROR(repository_.Flush().WithContext("writing repacked blobs"));
    }
    // 2. The marker. Its time is taken before it is written; a lock taken while it was being
    //    written must still count as older, which kMarkSafetyMarginSeconds covers.
    repo::GarbageMarker marker;
    marker.time_ns = repository_.clock().NowNanos();
    marker.hostname = options_.hostname;
    marker.username = options_.username;
    marker.packs = mark_;
    marker.packs.insert(marker.packs.end(), repack_.begin(), repack_.end());
    std::sort(marker.packs.begin(), marker.packs.end());
    Progress("marking " + std::to_string(marker.packs.size()) + " packs");
    LIFEBOAT_ASSIGN_OR_RETURN(
        Id id, repository_.SaveSealedFile(ObjectKind::kGarbage, repo::EncodeGarbageMarker(marker)));
    if (repository_.clock().NowNanos() - marker.time_ns > kMarkSafetyMarginSeconds * kSecond) {
      repository_.backend().Remove(ObjectKey{ObjectKind::kGarbage, id.Hex()}).IgnoreError();
      return UnavailableError("writing the garbage marker took longer than " +
                              std::to_string(kMarkSafetyMarginSeconds / 60) +
                              " minutes; it was withdrawn")
          .WithHint("nothing was deleted; run prune again");
    }
    report_.marker = id.Hex();
    return Status::Ok();
  }

  Status Repack(const Id& pack) {
    const std::string context = "repacking pack " + pack.ShortHex();
    Result<Bytes> data = repository_.backend().Get(ObjectKey{ObjectKind::kPack, pack.Hex()});
    if (!data.ok()) return data.status().WithContext(context);
    for (const repo::PackedBlob& blob : assigned_.at(pack)) {
      if (uint64_t{blob.offset} + blob.length > data->size()) {
        return CorruptionError(context + ": blob " + blob.id.Hex() +
                               " lies beyond the end of the pack")
            .WithHint("run `lifeboat check --read-data`");
      }
      // Decoding verifies the blob: a damaged one is not copied as if it were good.
      Result<Bytes> plain = repo::DecodeBlob(repository_.aead(), repository_.id_hash(), blob.id,
                                             ByteView(*data).subspan(blob.offset, blob.length));
      if (!plain.ok()) {
        return plain.status().WithContext(context).WithHint("run `lifeboat check --read-data`");
      }
      LIFEBOAT_RETURN_IF_ERROR(
          repository_.SaveBlob(blob.type, blob.id, *plain).status().WithContext(context));
    }
    return Status::Ok();
  }

  repo::Repository& repository_;
  const PruneOptions& options_;
  const std::function<void(const PruneReport&)>& on_plan_;
  const std::function<void(std::string_view)>& progress_;

  PruneReport report_;
  std::unique_ptr<repo::RepositoryLock> prune_lock_;
  std::vector<std::pair<std::string, repo::GarbageMarker>> markers_;
  std::vector<std::pair<std::string, std::vector<repo::IndexedPack>>> index_files_;
  std::unordered_map<Id, PackState, IdHash> packs_;
  std::vector<size_t> sweep_markers_;  // positions in markers_
  std::unordered_set<Id, IdHash> used_;
  std::set<Id> swept_;
  std::vector<Id> mark_;    // unused packs to mark
  std::vector<Id> repack_;  // partly used packs to copy from and mark
  std::unordered_map<Id, std::vector<repo::PackedBlob>, IdHash> assigned_;
};

}  // namespace

Result<PruneReport> Prune(repo::Repository& repository, const PruneOptions& options,
                          const std::function<void(const PruneReport&)>& on_plan,
                          const std::function<void(std::string_view)>& progress) {
  Pruner pruner(repository, options, on_plan, progress);
  return pruner.Run();
}

Result<double> ParseMaxUnused(std::string_view text) {
  if (text == "unlimited") return std::numeric_limits<double>::infinity();
  const auto bad = [&] {
    return InvalidArgumentError("invalid --max-unused \"" + std::string(text) +
                                "\": expected a percentage (e.g. 5%) or \"unlimited\"");
  };
  if (text.size() < 2 || text.back() != '%') return bad();
  const std::string number(text.substr(0, text.size() - 1));
  if (number.find_first_not_of("0123456789.") != std::string::npos ||
      std::count(number.begin(), number.end(), '.') > 1 || number == ".") {
    return bad();
  }
  const double percent = std::strtod(number.c_str(), nullptr);
  if (!(percent >= 0 && percent <= 100)) return bad();
  return percent / 100.0;
}

Result<int64_t> ParseGrace(std::string_view text) {
  const auto bad = [&] {
    return InvalidArgumentError("invalid --grace \"" + std::string(text) +
                                "\": expected a duration such as 1h, 30m, 90s or 2d");
  };
  if (text == "0") return int64_t{0};
  if (text.size() < 2) return bad();
  int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return bad();
  }
  int64_t value = 0;
  const std::string_view digits = text.substr(0, text.size() - 1);
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || value < 0 ||
      value > 3650 * 86400 / unit) {
    return bad();
  }
  return value * unit;
}

}  // namespace lifeboat::ops
