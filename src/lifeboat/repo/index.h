// Index: where every blob lives (pack, offset, length). Two parts:
// - index files in the repository (sealed, binary; docs/FORMAT.md), each listing some packs and
//   their blobs, written after the packs they describe;
// - the in-memory Index, built from all index files at open. It is compact — 38 bytes per blob
//   plus a fixed 256 KiB bucket table — because memory at scale is what hurts users of other
//   tools most: the first two bytes of an id select a bucket and are not stored, the other 30
//   are, with the pack number, offset and length in 3 bytes each. Only 31 of the 32 id bytes
//   are kept: two keyed 248-bit ids colliding is as unlikely as two 256-bit ones for any
//   repository that can exist, and the byte saved keeps the index at 40 bytes per blob
//   including the pack table (38 per blob + 32 per pack of ~16 blobs).
//
// Thread-safety: Lookup/Contains may run concurrently with each other and with AddPack.
// AddStaged, Compact and Clear are for single-threaded bulk loading.
#pragma once

#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "lifeboat/repo/blob.h"
#include "lifeboat/util/id.h"

namespace lifeboat::repo {

struct IndexedPack {
  Id pack;
  std::vector<PackedBlob> blobs;
};

Bytes EncodeIndexPayload(const std::vector<IndexedPack>& packs);
Result<std::vector<IndexedPack>> DecodeIndexPayload(ByteView payload);

struct BlobLocation {
  Id pack;
  uint32_t offset = 0;
  uint32_t length = 0;
};

class Index {
 public:
  Index();

  // Bulk loading: stage packs, then Compact() once before lookups see them.
  void AddStaged(const IndexedPack& pack);
  // Folds staged entries and entries added since the last compaction into the compact table.
  void Compact();

  // Forgets every entry (to load the index again after maintenance changed it).
  void Clear();

  // Adds a pack written during this session; visible to lookups at once.
  void AddPack(const IndexedPack& pack);

  std::optional<BlobLocation> Lookup(const Id& blob) const;
  bool Contains(const Id& blob) const { return Lookup(blob).has_value(); }

  size_t blob_count() const;
  size_t pack_count() const;
  // Bytes held by the compact table, bucket directory and pack table (for the memory
  // benchmark).
  size_t CompactBytes() const;

 private:
  struct FullEntry {
    Id blob;
    uint32_t pack_number;
    uint32_t offset;
    uint32_t length;
  };
  static constexpr size_t kIdBytesKept = 29;  // id bytes 2..30; byte 31 is dropped
  static constexpr size_t kRecordSize = kIdBytesKept + 9;
  static constexpr size_t kBuckets = 65536;

  uint32_t AddPackLocked(const Id& pack);
  std::optional<BlobLocation> LookupCompactLocked(const Id& blob) const;

  mutable std::shared_mutex mutex_;
  std::vector<Id> packs_;
  std::vector<uint32_t> bucket_start_;  // kBuckets + 1 record indices
  std::vector<uint8_t> records_;        // kRecordSize bytes each, sorted by blob id
  std::vector<FullEntry> staged_;
  std::unordered_map<Id, FullEntry, IdHash> recent_;
};

}  // namespace lifeboat::repo
