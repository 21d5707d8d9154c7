// Repository: an opened, unlocked repository on some Backend. It owns the keys, the config and
// the in-memory index, and is the only way the layers above read and write repository objects:
// blobs (through packs), trees, index files, snapshots, locks and key files.
//
// Lifecycle: Repository::Init creates config and the first key; Repository::Open unlocks with a
// password and reads the config; LoadIndex reads every index file. Writers call SaveBlob from
// any number of threads, then Flush once, then SaveSnapshot — the write order that makes a crash
// harmless (packs → index → snapshot; docs/FORMAT.md).
//
// Thread-safety: SaveBlob, LoadBlob, LoadTree and the index may be used from many threads.
// Init/Open/LoadIndex/Flush/key management are called from one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "lifeboat/crypto/aead.h"
#include "lifeboat/crypto/kdf.h"
#include "lifeboat/crypto/keyed_hash.h"
#include "lifeboat/repo/blob.h"
#include "lifeboat/repo/chunker.h"
#include "lifeboat/repo/garbage.h"
#include "lifeboat/repo/index.h"
#include "lifeboat/repo/key_file.h"
#include "lifeboat/repo/pack.h"
#include "lifeboat/repo/snapshot.h"
#include "lifeboat/repo/tree.h"
#include "lifeboat/storage/backend.h"
#include "lifeboat/util/clock.h"

namespace lifeboat::repo {

inline constexpr int kRepositoryVersion = 1;
// zstd level 1: on the benchmark corpus it stores within 0.3% of level 3's size for a fifth
// less backup CPU time (docs/BENCHMARKS.md).
inline constexpr int kDefaultCompressionLevel = 1;

struct RepositoryConfig {
  int version = kRepositoryVersion;
  Id id;
  ChunkerParams chunker;
  int compression_level = kDefaultCompressionLevel;
};

struct InitOptions {
  crypto::KdfParams kdf;
  ChunkerParams chunker;
  int compression_level = kDefaultCompressionLevel;
  std::string hostname;
  std::string username;
};

struct KeyListing {
  std::string id;  // hex
  bool current = false;
  KeyFileInfo info;
};

struct SessionStats {
  uint64_t blobs_added = 0;
  uint64_t bytes_added = 0;
  uint64_t bytes_added_stored = 0;
  uint64_t packs_written = 0;
};

class Repository {
 public:
  // Creates a new repository. kAlreadyExists when a config is already there.
  static Status Init(storage::Backend* backend, std::string_view password,
                     const InitOptions& options, const Clock& clock);

  // kNotFound when there is no repository; kWrongPassword when no key file opens with this
  // password; kCorruption when the config cannot be read.
  static Result<std::unique_ptr<Repository>> Open(storage::Backend* backend,
                                                  std::string_view password, const Clock& clock);

  ~Repository();

  storage::Backend& backend() { return *backend_; }
  const Clock& clock() const { return clock_; }
  const RepositoryConfig& config() const { return config_; }
  const Chunker& chunker() const { return *chunker_; }
  // A chunker with other sizes but this repository's secret gear table, for sources whose data
  // deduplicates better at another granularity (database streams).
  std::unique_ptr<Chunker> MakeChunker(const ChunkerParams& params) const {
    return std::make_unique<Chunker>(master_.chunker_key, params);
  }
  const crypto::Aead& aead() const { return *aead_; }
  Id HashBlob(ByteView plaintext) const { return id_hash_->Hash(plaintext); }
  const crypto::KeyedHash& id_hash() const { return *id_hash_; }

  // --- index ---
  // Reads the garbage markers, then every index file (in parallel), into the in-memory index,
  // replacing what it held. Packs pending deletion (listed by a marker) stay readable, but their
  // entries come last, so a blob also stored elsewhere is read from there, and SaveBlob and
  // HasBlob treat blobs only they hold as absent (repo/garbage.h). Damaged index files and
  // markers fail with kCorruption naming the file: a writer that could not read a marker might
  // deduplicate against a pack about to be deleted. Calling it again reloads (prune does, after
  // its sweep); blobs saved since the last Flush would be forgotten, so flush first.
  Status LoadIndex();
  Index& index() { return index_; }
  // Every index file's id and the packs it lists (for check, stats and prune). An index file
  // that disappears while being read (prune replaced it) makes the listing start over.
  Result<std::vector<std::pair<std::string, std::vector<IndexedPack>>>> ReadAllIndexFiles();
  // Every garbage marker's name and content, sorted by name.
  Result<std::vector<std::pair<std::string, GarbageMarker>>> ListGarbageMarkers();
  // Treats these packs as pending deletion from now on (prune, before copying blobs out of
  // packs it is about to mark). Call before SaveBlob runs.
  void AddPendingPacks(const std::vector<Id>& packs);
  // True when the blob is stored in a pack that is not pending deletion, or was stored again
  // during this session: what a writer may reference without storing it.
  bool HasBlob(const Id& id);

  // --- blobs ---
  // Stores a blob unless the repository already has it (HasBlob). Returns true when it was added.
  // The blob is durable only after Flush(). Packs are written by upload threads; once one upload
  // has failed, SaveBlob and Flush keep returning that error: a backup stops at the first
  // storage failure, and a new Repository must be opened to try again.
  Result<bool> SaveBlob(BlobType type, const Id& id, ByteView plaintext);
  Result<Bytes> LoadBlob(const Id& id);
  Result<Tree> LoadTree(const Id& id);
  Result<Id> SaveTree(const Tree& tree);
  // Writes the open packs and an index file for every pack written since the last one.
  Status Flush();
  SessionStats session_stats() const;

  // Reads a whole pack's header (used by check and index rebuilding).
  Result<std::vector<PackedBlob>> LoadPackHeader(const Id& pack, uint64_t pack_size);

  // --- sealed files: snapshots, index files, locks ---
  Result<Id> SaveSealedFile(storage::ObjectKind kind, ByteView plaintext);
  Result<Bytes> LoadSealedFile(storage::ObjectKind kind, const std::string& name);

  // --- snapshots ---
  Result<Id> SaveSnapshot(const Snapshot& snapshot);
  // All snapshots, oldest first. Snapshots that cannot be read fail the whole listing.
  Result<std::vector<std::pair<Id, Snapshot>>> ListSnapshots();
  // "latest" or a unique prefix of an id. kNotFound or kInvalidArgument (ambiguous).
  Result<std::pair<Id, Snapshot>> FindSnapshot(std::string_view reference);
  // Resolves a unique id prefix among objects of a kind.
  Result<std::string> ResolvePrefix(storage::ObjectKind kind, std::string_view prefix);

  // --- keys ---
  Result<std::vector<KeyListing>> ListKeys();
  Result<std::string> AddKey(std::string_view password, const crypto::KdfParams& kdf,
                             const std::string& hostname, const std::string& username);
  // Refuses to remove the key in use (kInvalidArgument).
  Status RemoveKey(std::string_view id_prefix);
  // Adds a key for new_password and removes the current one.
  Status ChangePassword(std::string_view new_password, const crypto::KdfParams& kdf,
                        const std::string& hostname, const std::string& username);

 private:
  Repository(storage::Backend* backend, const Clock& clock, MasterKey master, std::string key_name);
  Result<std::vector<std::pair<std::string, std::vector<IndexedPack>>>> ReadIndexFilesOnce();
  Status UploadPack(FinishedPack pack);
  Status WriteIndexFile(std::vector<IndexedPack> packs);
  // Hands a finished pack to the upload threads (started on first use), waiting until one is
  // free, so CPU workers rarely stall on storage latency and memory stays bounded. Returns
  // the first upload error seen so far.
  Status EnqueuePack(FinishedPack pack);
  Status WaitForUploads();
  void UploadLoop();
  // Pack buffers are recycled: allocating and freeing 16 MiB buffers on several threads
  // leaves freed memory scattered over malloc arenas and inflates the process's size.
  Bytes TakeSpareBuffer();
  void ReturnSpareBuffer(Bytes buffer);

  storage::Backend* backend_;
  const Clock& clock_;
  MasterKey master_;
  std::string key_name_;
  RepositoryConfig config_;
  std::unique_ptr<crypto::Aead> aead_;
  std::unique_ptr<crypto::KeyedHash> id_hash_;
  std::unique_ptr<Chunker> chunker_;
  Index index_;

  std::mutex pack_mutex_[2];  // one open pack per blob type, so trees share packs
  std::unique_ptr<PackBuilder> open_packs_[2];
  std::mutex inflight_mutex_;  // guards inflight_, pending_packs_ and restored_
  std::unordered_set<Id, IdHash> inflight_;
  std::unordered_set<Id, IdHash> pending_packs_;
  // Blobs whose only indexed copies are in pending packs and that this session stored again.
  std::unordered_set<Id, IdHash> restored_;
  std::mutex pending_index_mutex_;
  std::vector<IndexedPack> pending_index_;
  std::atomic<uint64_t> blobs_added_{0};
  std::atomic<uint64_t> bytes_added_{0};
  std::atomic<uint64_t> bytes_added_stored_{0};
  std::atomic<uint64_t> packs_written_{0};

  std::mutex upload_mutex_;
  std::condition_variable upload_changed_;
  std::deque<FinishedPack> upload_queue_;
  size_t uploads_running_ = 0;
  bool stopping_ = false;
  Status upload_error_;
  std::vector<std::thread> uploaders_;

  // Tree packs read whole, most recently used first: walking a snapshot reads thousands of
  // small trees that sit together in a few packs, and on object storage one GET per tree (a
  // round trip each) made a restore's planning take minutes.
  Result<Bytes> LoadTreeBlob(const Id& id);
  static constexpr size_t kTreePackCacheBytes = 64 << 20;
  std::mutex tree_packs_mutex_;
  std::list<std::pair<Id, std::shared_ptr<const Bytes>>> tree_packs_;
  size_t tree_packs_bytes_ = 0;

  static constexpr size_t kMaxSpareBuffers = 1;
  std::mutex spare_mutex_;
  std::vector<Bytes> spare_buffers_;
};

}  // namespace lifeboat::repo
