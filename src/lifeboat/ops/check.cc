#include "lifeboat/ops/check.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "lifeboat/crypto/sha256.h"
#include "lifeboat/ops/audit.h"
#include "lifeboat/ops/snapshot_path.h"
#include "lifeboat/repo/garbage.h"
#include "lifeboat/repo/pack.h"

namespace lifeboat::ops {

namespace {

using storage::ObjectKey;
using storage::ObjectKind;

// A blob shared by thousands of files would cost memory for every user; a few examples tell the
// user what is at stake.
constexpr size_t kMaxUsersListed = 5;
// Index files are read in batches so that their decoded form never all sits in memory at once.
constexpr size_t kIndexFilesPerBatch = 64;
// Enough to keep a remote store busy without holding many whole packs in memory.
constexpr int kMaxReaderThreads = 4;

// The snapshots and files that use a damaged object, capped at kMaxUsersListed.
class Users {
 public:
  void Add(std::string user) {
    if (std::find(listed_.begin(), listed_.end(), user) != listed_.end()) return;
    if (listed_.size() < kMaxUsersListed) {
      listed_.push_back(std::move(user));
    } else {
      ++unlisted_;
    }
  }

  // `lead` followed by the users ("used by a, b and 2 more"), or `nobody` when there are none.
  std::string Describe(std::string_view lead, std::string_view nobody) const {
    if (listed_.empty()) return std::string(nobody);
    std::string out(lead);
    for (size_t i = 0; i < listed_.size(); ++i) {
      if (i > 0) out += ", ";
      out += listed_[i];
    }
    if (unlisted_ > 0) out += " and " + std::to_string(unlisted_) + " more";
    return out;
  }

 private:
  std::vector<std::string> listed_;
  uint64_t unlisted_ = 0;
};

struct Damage {
  std::string description;  // names the object and what is wrong with it
  Users users;
};

// Who uses a blob: built into a string only when the blob turns out to be damaged, because the
// walk asks about every blob of every file.
struct UserRef {
  const std::string& snapshot;  // "snapshot 1a2b3c4d"
  std::string_view what;        // "file" or "directory"
  const std::string& path;
  std::string Describe() const { return snapshot + " " + std::string(what) + " " + path; }
};

// What check keeps of each pack the index lists: enough to compare with storage and with the
// pack's own header, without holding the index's blob lists (tens of bytes per blob).
struct PackSummary {
  uint64_t entries_digest = 0;  // of the index's entries for the pack, sorted by offset
  uint64_t expected_size = 0;   // the size the blobs and header those entries describe add up to
  uint64_t stored_size = 0;
  uint32_t index_file = 0;  // position in the sorted index file names of the first that lists it
  bool stored = false;
};

bool PackedBlobLess(const repo::PackedBlob& a, const repo::PackedBlob& b) {
  return std::tie(a.offset, a.id, a.length, a.raw_length, a.type) <
         std::tie(b.offset, b.id, b.length, b.raw_length, b.type);
}

std::vector<repo::PackedBlob> SortedByOffset(std::vector<repo::PackedBlob> blobs) {
  std::sort(blobs.begin(), blobs.end(), PackedBlobLess);
  return blobs;
}

uint64_t EntriesDigest(const std::vector<repo::PackedBlob>& blobs) {
  crypto::Sha256Hasher hasher;
  Bytes entry;
  for (const repo::PackedBlob& blob : SortedByOffset(blobs)) {
    entry.clear();
    entry.push_back(static_cast<uint8_t>(blob.type));
    entry.insert(entry.end(), blob.id.bytes.begin(), blob.id.bytes.end());
    AppendU32(entry, blob.offset);
    AppendU32(entry, blob.length);
    AppendU32(entry, blob.raw_length);
    hasher.Update(entry);
  }
  return LoadU64(hasher.Finish().bytes.data());
}

uint64_t ExpectedPackSize(const std::vector<repo::PackedBlob>& blobs) {
  uint64_t data_end = 0;
  for (const repo::PackedBlob& blob : blobs) {
    data_end = std::max<uint64_t>(data_end, uint64_t{blob.offset} + blob.length);
  }
  // The layout of docs/FORMAT.md: blobs, the sealed header of one entry per blob, its length.
  return data_end + blobs.size() * repo::kPackHeaderEntrySize + crypto::Aead::kOverhead + 4;
}

// DecodeBlob names the blob by its short id; check names it in full, so drop the short form.
std::string BlobFailureReason(const Status& status, const Id& blob) {
  const std::string prefix = "blob " + blob.ShortHex() + ": ";
  std::string_view message = status.message();
  if (message.starts_with(prefix)) message.remove_prefix(prefix.size());
  return std::string(message);
}

void ParallelFor(size_t count, int threads, const std::function<void(size_t)>& body) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < count; i = next++) body(i);
  };
  const size_t helpers = std::min<size_t>(std::max(threads, 1), count);
  std::vector<std::thread> pool;
  for (size_t t = 1; t < helpers; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& thread : pool) thread.join();
}

Result<std::vector<repo::IndexedPack>> ReadIndexFile(repo::Repository& repository,
                                                     const std::string& name) {
  LIFEBOAT_ASSIGN_OR_RETURN(Bytes payload, repository.LoadSealedFile(ObjectKind::kIndex, name));
  Result<std::vector<repo::IndexedPack>> packs = repo::DecodeIndexPayload(payload);
  if (!packs.ok()) return packs.status().WithContext("index/" + name);
  return packs;
}

Result<repo::Snapshot> ReadSnapshotFile(repo::Repository& repository, const std::string& name) {
  LIFEBOAT_ASSIGN_OR_RETURN(Bytes plain, repository.LoadSealedFile(ObjectKind::kSnapshot, name));
  Result<repo::Snapshot> snapshot = repo::DecodeSnapshot(plain);
  if (!snapshot.ok()) return snapshot.status().WithContext("snapshots/" + name);
  return snapshot;
}

// "its header lists 3 blobs and the index 4; the index's entries for blob <hex>, … differ"
std::string DescribeMismatch(const std::vector<repo::PackedBlob>& header,
                             const std::vector<repo::PackedBlob>& indexed) {
  std::vector<repo::PackedBlob> sorted_header = SortedByOffset(header);
  std::vector<repo::PackedBlob> only_indexed;
  for (const repo::PackedBlob& blob : SortedByOffset(indexed)) {
    if (!std::binary_search(sorted_header.begin(), sorted_header.end(), blob, PackedBlobLess)) {
      only_indexed.push_back(blob);
    }
  }
  std::string out = "its header lists " + std::to_string(header.size()) + " blobs and the index " +
                    std::to_string(indexed.size());
  if (!only_indexed.empty()) {
    out += "; the index's entries for";
    for (size_t i = 0; i < only_indexed.size() && i < kMaxUsersListed; ++i) {
      out += (i == 0 ? " blob " : ", blob ") + only_indexed[i].id.Hex();
    }
    if (only_indexed.size() > kMaxUsersListed) {
      out += " and " + std::to_string(only_indexed.size() - kMaxUsersListed) + " more";
    }
    out += " are not in the header";
  }
  return out;
}

class Checker {
 public:
  Checker(repo::Repository& repository, const CheckOptions& options,
          const std::function<void(std::string_view)>& progress)
      : repository_(repository),
        options_(options),
        progress_(progress),
        // Reading data is CPU-bound here (hash, decrypt, decompress): more threads than
        // cores only add whole packs to memory.
        threads_(std::clamp(
            repository.backend().Properties().max_connections, 1,
            std::min<int>(kMaxReaderThreads, std::max(2u, std::thread::hardware_concurrency())))) {}

  Result<CheckReport> Run() {
    // Markers first, as Repository::LoadIndex reads them: a prune sweeping meanwhile removes
    // only packs they list, so check can tell its work from damage.
    LIFEBOAT_RETURN_IF_ERROR(CheckGarbageMarkers());
    Progress("checking audit records");
    LIFEBOAT_RETURN_IF_ERROR(CheckAuditRecords());
    Progress("checking index files");
    LIFEBOAT_RETURN_IF_ERROR(CheckIndexFiles());
    Progress("checking packs");
    LIFEBOAT_RETURN_IF_ERROR(CheckPackFiles());
    Progress("checking snapshots");
    LIFEBOAT_RETURN_IF_ERROR(LoadSnapshots());
    // Pack data is read before the trees are walked so that the walk, which sees every use of
    // every blob, can attribute the damaged ones to their files without a second pass.
    if (options_.read_data || options_.read_data_subset) ReadPacks();
    Progress("checking trees");
    for (const auto& [id, snapshot] : snapshots_) {
      WalkTree(snapshot.tree, "/", "snapshot " + id.ShortHex());
    }
    ReportDamage();
    report_.bytes_read = bytes_read_.load();
    return std::move(report_);
  }

 private:
  void Progress(const std::string& message) {
    if (!progress_) return;
    std::lock_guard lock(progress_mutex_);
    progress_(message);
  }

  void AddError(std::string error) {
    std::lock_guard lock(mutex_);
    report_.errors.push_back(std::move(error));
  }

  // Keeps the first description when a blob is found damaged twice (in two packs).
  void AddBlobDamage(const Id& blob, std::string description) {
    std::lock_guard lock(mutex_);
    damaged_blobs_.try_emplace(blob, Damage{std::move(description), {}});
  }

  Result<std::vector<std::string>> ListNames(ObjectKind kind) {
    std::vector<std::string> names;
    LIFEBOAT_RETURN_IF_ERROR(
        repository_.backend().List(kind, "", [&](const storage::ObjectInfo& info) {
          names.push_back(info.key.name);
          return Status::Ok();
        }));
    std::sort(names.begin(), names.end());
    return names;
  }

  Status CheckIndexFiles() {
    LIFEBOAT_ASSIGN_OR_RETURN(index_names_, ListNames(ObjectKind::kIndex));
    // A caller that loaded the index already has the same entries; one that could not (an
    // index file is damaged) gets the readable ones, which the tree walk needs to find blobs.
    const bool fill_index = repository_.index().pack_count() == 0;
    // As Repository::LoadIndex does: packs pending deletion last, so a blob stored in a live
    // pack too is looked up there.
    std::vector<repo::IndexedPack> pending_packs;
    for (size_t first = 0; first < index_names_.size(); first += kIndexFilesPerBatch) {
      const size_t count = std::min(kIndexFilesPerBatch, index_names_.size() - first);
      std::vector<std::optional<Result<std::vector<repo::IndexedPack>>>> loaded(count);
      ParallelFor(count, threads_, [&](size_t i) {
        loaded[i].emplace(ReadIndexFile(repository_, index_names_[first + i]));
      });
      for (size_t i = 0; i < count; ++i) {
        // A prune replaced it since the listing; the replacement lists the same packs.
        if (!loaded[i]->ok() && loaded[i]->status().code() == StatusCode::kNotFound) continue;
        if (!loaded[i]->ok()) {
          report_.errors.push_back(loaded[i]->status().message() +
                                   "; the packs it lists are not checked");
          continue;
        }
        for (const repo::IndexedPack& pack : loaded[i]->value()) {
          const PackSummary summary{.entries_digest = EntriesDigest(pack.blobs),
                                    .expected_size = ExpectedPackSize(pack.blobs),
                                    .index_file = static_cast<uint32_t>(first + i)};
          if (!packs_.try_emplace(pack.pack, summary).second) continue;
          report_.packs++;
          report_.blobs += pack.blobs.size();
          if (!fill_index) continue;
          if (pending_.contains(pack.pack)) {
            pending_packs.push_back(pack);
          } else {
            repository_.index().AddStaged(pack);
          }
        }
      }
    }
    for (const repo::IndexedPack& pack : pending_packs) repository_.index().AddStaged(pack);
    if (fill_index) repository_.index().Compact();
    return Status::Ok();
  }

  // A marker that cannot be read stops every backup (repo/garbage.h says why).
  Status CheckGarbageMarkers() {
    LIFEBOAT_ASSIGN_OR_RETURN(std::vector<std::string> names, ListNames(ObjectKind::kGarbage));
    for (const std::string& name : names) {
      Result<Bytes> payload = repository_.LoadSealedFile(ObjectKind::kGarbage, name);
      if (!payload.ok() && payload.status().code() == StatusCode::kNotFound) continue;
      Result<repo::GarbageMarker> marker =
          payload.ok() ? repo::DecodeGarbageMarker(*payload) : payload.status();
      if (marker.ok()) pending_.insert(marker->packs.begin(), marker->packs.end());
      const Status status = marker.status();
      if (!status.ok()) {
        report_.errors.push_back("garbage marker " + name + " cannot be read: " + status.message() +
                                 "; `lifeboat repair index` removes it (its packs are then kept)");
      }
    }
    return Status::Ok();
  }

  // Audit records are evidence: one that cannot be read, or whose content no longer matches
  // its hash, is damage like a lost snapshot.
  Status CheckAuditRecords() {
    LIFEBOAT_ASSIGN_OR_RETURN(std::vector<std::string> names, ListNames(ObjectKind::kAudit));
    for (const std::string& name : names) {
      Result<Bytes> payload = repository_.LoadSealedFile(ObjectKind::kAudit, name);
      Result<AuditRecord> record =
          payload.ok() ? DecodeAuditRecord(std::string_view(
                             reinterpret_cast<const char*>(payload->data()), payload->size()))
                       : payload.status();
      if (!record.ok()) {
        report_.errors.push_back("audit record " + name +
                                 " cannot be read: " + record.status().message());
      } else if (AuditRecordHash(*record) != record->hash) {
        report_.errors.push_back("audit record " + name + " (id " + record->id +
                                 ") does not match its hash");
      }
    }
    return Status::Ok();
  }

  Status CheckPackFiles() {
    std::vector<std::string> unindexed;
    LIFEBOAT_RETURN_IF_ERROR(
        repository_.backend().List(ObjectKind::kPack, "", [&](const storage::ObjectInfo& info) {
          const std::optional<Id> id = Id::FromHex(info.key.name);
          auto it = id ? packs_.find(*id) : packs_.end();
          if (it == packs_.end()) {
            unindexed.push_back(info.key.name);
          } else {
            it->second.stored = true;
            it->second.stored_size = info.size;
          }
          return Status::Ok();
        }));
    std::sort(unindexed.begin(), unindexed.end());
    for (const std::string& name : unindexed) {
      report_.warnings.push_back("pack " + name +
                                 " is not referenced by any index; an interrupted backup leaves "
                                 "these, prune will remove them");
    }
    for (const Id& pack : SortedPackIds()) {
      const PackSummary& summary = packs_.at(pack);
      if (!summary.stored && pending_.contains(pack)) {
        // Swept by a prune since the index was read: only a blob in use that no other pack
        // holds is a loss (CheckBlobUse).
        swept_packs_.insert(pack);
      } else if (!summary.stored) {
        damaged_packs_[pack].description = "pack " + pack.Hex() + " is missing from storage";
      } else if (summary.stored_size != summary.expected_size) {
        report_.errors.push_back(
            "pack " + pack.Hex() + " holds " + std::to_string(summary.stored_size) +
            " bytes but the index describes " + std::to_string(summary.expected_size) +
            "; it was truncated or altered");
      }
    }
    return Status::Ok();
  }

  std::vector<Id> SortedPackIds() const {
    std::vector<Id> ids;
    ids.reserve(packs_.size());
    for (const auto& [id, summary] : packs_) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  Status LoadSnapshots() {
    LIFEBOAT_ASSIGN_OR_RETURN(std::vector<std::string> names, ListNames(ObjectKind::kSnapshot));
    std::vector<std::optional<Result<repo::Snapshot>>> loaded(names.size());
    ParallelFor(names.size(), threads_,
                [&](size_t i) { loaded[i].emplace(ReadSnapshotFile(repository_, names[i])); });
    for (size_t i = 0; i < names.size(); ++i) {
      // forget removes snapshots under a shared lock, so one listed a moment ago may be gone:
      // that is a snapshot less, not damage.
      if (!loaded[i]->ok() && loaded[i]->status().code() == StatusCode::kNotFound) continue;
      if (!loaded[i]->ok()) {
        report_.errors.push_back("snapshot " + names[i].substr(0, 8) +
                                 " cannot be read: " + loaded[i]->status().message());
        continue;
      }
      // Listing yields only valid object names, which are ids.
      if (std::optional<Id> id = Id::FromHex(names[i])) {
        snapshots_.emplace_back(*id, std::move(*loaded[i]).value());
      }
    }
    std::sort(snapshots_.begin(), snapshots_.end(), [](const auto& a, const auto& b) {
      return std::tie(a.second.time_ns, a.first) < std::tie(b.second.time_ns, b.first);
    });
    report_.snapshots = snapshots_.size();
    return Status::Ok();
  }

  void ReadPacks() {
    std::vector<Id> to_read;
    for (const Id& pack : SortedPackIds()) {
      if (packs_.at(pack).stored) to_read.push_back(pack);
    }
    if (!options_.read_data) to_read = SelectDataSubset(to_read, *options_.read_data_subset);
    report_.packs_read = to_read.size();
    const std::string total = std::to_string(to_read.size());
    Progress("reading packs: 0 of " + total);
    std::atomic<size_t> done{0};
    const size_t errors_before = report_.errors.size();
    ParallelFor(to_read.size(), threads_, [&](size_t i) {
      CheckPackData(to_read[i], packs_.at(to_read[i]));
      Progress("reading packs: " + std::to_string(++done) + " of " + total);
    });
    // Threads finish packs in any order; the report should not.
    std::sort(report_.errors.begin() + static_cast<ptrdiff_t>(errors_before), report_.errors.end());
  }

  // The index's entries for one pack, re-read from the index file that lists it: needed only
  // when the pack's own header is damaged or disagrees, so it is not kept for every pack.
  Result<std::vector<repo::PackedBlob>> IndexedBlobs(const Id& pack, const PackSummary& summary) {
    LIFEBOAT_ASSIGN_OR_RETURN(std::vector<repo::IndexedPack> packs,
                              ReadIndexFile(repository_, index_names_[summary.index_file]));
    for (repo::IndexedPack& indexed : packs) {
      if (indexed.pack == pack) return std::move(indexed.blobs);
    }
    return CorruptionError("index/" + index_names_[summary.index_file] + " no longer lists pack " +
                           pack.Hex());
  }

  void CheckPackData(const Id& pack, const PackSummary& summary) {
    const std::string name = "pack " + pack.Hex();
    Result<Bytes> data = repository_.backend().Get(ObjectKey{ObjectKind::kPack, pack.Hex()});
    if (!data.ok()) {
      std::lock_guard lock(mutex_);
      damaged_packs_[pack].description = name + " cannot be read: " + data.status().message();
      return;
    }
    bytes_read_ += data->size();
    if (crypto::Sha256(*data) != pack) {
      AddError(name + " is damaged: its content does not match its name");
    }
    // Even in a damaged pack, every blob is decoded on its own, so that only the blobs that are
    // really lost are reported.
    std::vector<repo::PackedBlob> blobs;
    Result<std::vector<repo::PackedBlob>> header =
        repo::ParsePackHeader(repository_.aead(), *data, data->size());
    if (header.ok() && EntriesDigest(*header) == summary.entries_digest) {
      blobs = std::move(header).value();
    } else {
      Result<std::vector<repo::PackedBlob>> indexed = IndexedBlobs(pack, summary);
      if (!indexed.ok()) {
        AddError(name + " cannot be compared with the index: " + indexed.status().message());
      } else {
        blobs = std::move(indexed).value();
      }
      if (!header.ok()) {
        AddError(name + " has a damaged header: " + header.status().message());
      } else {
        if (indexed.ok()) {
          AddError(name + " does not match the index: " + DescribeMismatch(*header, blobs));
        }
        blobs.insert(blobs.end(), header->begin(), header->end());
        std::sort(blobs.begin(), blobs.end(), PackedBlobLess);
        blobs.erase(std::unique(blobs.begin(), blobs.end()), blobs.end());
      }
    }
    for (const repo::PackedBlob& blob : blobs) VerifyBlob(pack, *data, blob);
  }

  void VerifyBlob(const Id& pack, ByteView data, const repo::PackedBlob& blob) {
    const std::string name = "blob " + blob.id.Hex() + " in pack " + pack.ShortHex();
    if (uint64_t{blob.offset} + blob.length > data.size()) {
      AddBlobDamage(blob.id, name + " lies beyond the end of the pack");
      return;
    }
    Result<Bytes> plain = repo::DecodeBlob(repository_.aead(), repository_.id_hash(), blob.id,
                                           data.subspan(blob.offset, blob.length));
    if (!plain.ok()) {
      AddBlobDamage(blob.id, name + " is damaged: " + BlobFailureReason(plain.status(), blob.id));
    } else if (plain->size() != blob.raw_length) {
      AddBlobDamage(blob.id, name + " holds " + std::to_string(plain->size()) + " bytes, not the " +
                                 std::to_string(blob.raw_length) + " its pack header records");
    }
  }

  // Records `user` against the blob when the blob or its pack is damaged; returns whether so.
  bool CheckBlobUse(const Id& blob, std::string_view kind, const UserRef& user) {
    if (auto it = damaged_blobs_.find(blob); it != damaged_blobs_.end()) {
      it->second.users.Add(user.Describe());
      return true;
    }
    const std::optional<repo::BlobLocation> location = repository_.index().Lookup(blob);
    if (!location) {
      Damage& damage = damaged_blobs_[blob];
      damage.description = std::string(kind) + " " + blob.Hex() + " is not in the index";
      damage.users.Add(user.Describe());
      return true;
    }
    if (swept_packs_.contains(location->pack)) {
      Damage& damage = damaged_blobs_[blob];
      damage.description = std::string(kind) + " " + blob.Hex() + " was only in pack " +
                           location->pack.Hex() + ", which prune has deleted";
      damage.users.Add(user.Describe());
      return true;
    }
    if (auto it = damaged_packs_.find(location->pack); it != damaged_packs_.end()) {
      it->second.users.Add(user.Describe());
      return true;
    }
    auto pack = packs_.find(location->pack);
    if (pack != packs_.end() && pack->second.stored &&
        uint64_t{location->offset} + location->length > pack->second.stored_size) {
      Damage& damage = damaged_blobs_[blob];
      damage.description = std::string(kind) + " " + blob.Hex() + " lies beyond the end of pack " +
                           location->pack.ShortHex() + ", which is truncated";
      damage.users.Add(user.Describe());
      return true;
    }
    return false;
  }

  // Checks a tree and everything below it; returns whether anything below is damaged. A tree
  // seen before is skipped unless it holds damage: then it is walked again, so that every
  // snapshot and path that reaches the damage is named.
  bool WalkTree(const Id& tree_id, const std::string& path, const std::string& snapshot) {
    const UserRef user{snapshot, "directory", path};
    if (CheckBlobUse(tree_id, "tree", user)) return true;
    if (checked_trees_.contains(tree_id) && !tainted_trees_.contains(tree_id)) return false;
    Result<repo::Tree> tree = repository_.LoadTree(tree_id);
    if (!tree.ok()) {
      Damage& damage = damaged_blobs_[tree_id];
      damage.description = "tree " + tree_id.Hex() + " cannot be read: " + tree.status().message();
      damage.users.Add(user.Describe());
      return true;
    }
    const bool first_visit = checked_trees_.insert(tree_id).second;
    if (first_visit) report_.trees++;
    bool tainted = false;
    for (const repo::Node& node : tree->nodes) {
      const std::string node_path = JoinSnapshotPath(path, node.name);
      if (node.type == repo::NodeType::kDirectory) {
        if (!node.subtree) {
          if (first_visit) {
            report_.errors.push_back("directory " + node_path + " in " + snapshot + " has no tree");
          }
          continue;
        }
        if (WalkTree(*node.subtree, node_path, snapshot)) tainted = true;
        continue;
      }
      uint64_t content_size = 0;
      const UserRef file_user{snapshot, "file", node_path};
      for (const repo::ContentChunk& chunk : node.content) {
        content_size += chunk.size;
        if (CheckBlobUse(chunk.id, "blob", file_user)) tainted = true;
      }
      if (first_visit && node.type == repo::NodeType::kFile && content_size != node.size) {
        report_.errors.push_back("file " + node_path + " in " + snapshot + " has " +
                                 std::to_string(node.size) + " bytes but its content adds up to " +
                                 std::to_string(content_size));
      }
    }
    if (tainted) tainted_trees_.insert(tree_id);
    return tainted;
  }

  void ReportDamage() {
    for (const auto& [pack, damage] : damaged_packs_) {
      report_.errors.push_back(
          damage.description + "; " +
          damage.users.Describe("its blobs are used by ", "no snapshot uses its blobs"));
    }
    for (const auto& [blob, damage] : damaged_blobs_) {
      report_.errors.push_back(damage.description + "; " +
                               damage.users.Describe("used by ", "no snapshot uses it"));
    }
  }

  repo::Repository& repository_;
  const CheckOptions& options_;
  const std::function<void(std::string_view)>& progress_;
  const int threads_;
  std::mutex progress_mutex_;

  std::mutex mutex_;  // guards report_.errors and the damage maps while packs are read
  CheckReport report_;
  std::atomic<uint64_t> bytes_read_{0};
  std::vector<std::string> index_names_;
  std::unordered_map<Id, PackSummary, IdHash> packs_;
  std::vector<std::pair<Id, repo::Snapshot>> snapshots_;
  std::map<Id, Damage> damaged_packs_;          // packs none of whose blobs can be read
  std::unordered_set<Id, IdHash> pending_;      // packs listed by garbage markers
  std::unordered_set<Id, IdHash> swept_packs_;  // pending packs gone from storage
  std::map<Id, Damage> damaged_blobs_;
  std::unordered_set<Id, IdHash> checked_trees_;
  std::unordered_set<Id, IdHash> tainted_trees_;  // checked trees with damage below them
};

}  // namespace

Result<DataSubset> ParseDataSubset(std::string_view text) {
  const std::string quoted = "invalid --read-data-subset \"" + std::string(text) + "\": ";
  const auto bad_form = [&] {
    return InvalidArgumentError(quoted + "expected n/t (e.g. 2/7) or a percentage (e.g. 10%)");
  };
  const auto parse_count = [](std::string_view digits, uint64_t* value) {
    if (digits.empty() || digits.size() > 9) return false;  // up to 999,999,999 parts
    *value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
      *value = *value * 10 + static_cast<uint64_t>(c - '0');
    }
    return true;
  };
  DataSubset subset;
  if (const size_t slash = text.find('/'); slash != std::string_view::npos) {
    if (!parse_count(text.substr(0, slash), &subset.part) ||
        !parse_count(text.substr(slash + 1), &subset.parts)) {
      return bad_form();
    }
    if (subset.parts == 0) return InvalidArgumentError(quoted + "t must be at least 1");
    if (subset.part < 1 || subset.part > subset.parts) {
      return InvalidArgumentError(quoted + "n must be between 1 and t (" +
                                  std::to_string(subset.parts) + ")");
    }
    return subset;
  }
  if (text.size() < 2 || text.back() != '%') return bad_form();
  const std::string number(text.substr(0, text.size() - 1));
  // Digits with at most one decimal point: strtod alone would also take "inf", "1e2", " 5".
  if (number.find_first_not_of("0123456789.") != std::string::npos ||
      std::count(number.begin(), number.end(), '.') > 1 || number == ".") {
    return bad_form();
  }
  subset.percent = std::strtod(number.c_str(), nullptr);
  if (!(subset.percent > 0 && subset.percent <= 100)) {
    return InvalidArgumentError(quoted + "the percentage must be above 0 and at most 100");
  }
  return subset;
}

std::vector<Id> SelectDataSubset(const std::vector<Id>& packs, const DataSubset& subset) {
  std::vector<Id> selected;
  if (subset.parts > 0) {
    for (const Id& pack : packs) {
      uint64_t number = 0;
      for (size_t i = 0; i < 8; ++i) number = (number << 8) | pack.bytes[i];
      if (number % subset.parts == subset.part - 1) selected.push_back(pack);
    }
    return selected;
  }
  // The fraction is rounded up so that any share of a non-empty repository reads something.
  const double wanted = std::ceil(static_cast<double>(packs.size()) * subset.percent / 100.0);
  const size_t count = std::min(packs.size(), static_cast<size_t>(wanted));
  // A Fisher-Yates shuffle on mt19937_64, whose output the standard fixes, so that a seed
  // selects the same packs with every standard library (std::shuffle's algorithm is not fixed).
  selected = packs;
  std::mt19937_64 random(subset.seed);
  for (size_t i = selected.size(); i > 1; --i) {
    std::swap(selected[i - 1], selected[random() % i]);
  }
  selected.resize(count);
  std::sort(selected.begin(), selected.end());
  return selected;
}

Result<CheckReport> CheckRepository(repo::Repository& repository, const CheckOptions& options,
                                    const std::function<void(std::string_view)>& progress) {
  Checker checker(repository, options, progress);
  return checker.Run();
}

}  // namespace lifeboat::ops
