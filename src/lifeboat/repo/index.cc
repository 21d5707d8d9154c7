#include "lifeboat/repo/index.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "lifeboat/repo/varint.h"
#include "lifeboat/util/check.h"

namespace lifeboat::repo {

namespace {
constexpr std::string_view kIndexMagic = "LBIX";
constexpr uint8_t kIndexVersion = 1;
constexpr uint32_t kMax24 = (1u << 24) - 1;

void Store24(uint8_t* p, uint32_t value) {
  p[0] = static_cast<uint8_t>(value);
  p[1] = static_cast<uint8_t>(value >> 8);
  p[2] = static_cast<uint8_t>(value >> 16);
}
uint32_t Load24(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16; }
size_t BucketOf(const Id& id) { return size_t(id.bytes[0]) << 8 | id.bytes[1]; }
}  // namespace

Bytes EncodeIndexPayload(const std::vector<IndexedPack>& packs) {
  Bytes out(kIndexMagic.begin(), kIndexMagic.end());
  out.push_back(kIndexVersion);
  PutVarint(out, packs.size());
  for (const IndexedPack& pack : packs) {
    out.insert(out.end(), pack.pack.bytes.begin(), pack.pack.bytes.end());
    PutVarint(out, pack.blobs.size());
    for (const PackedBlob& blob : pack.blobs) {
      out.push_back(static_cast<uint8_t>(blob.type));
      out.insert(out.end(), blob.id.bytes.begin(), blob.id.bytes.end());
      PutVarint(out, blob.offset);
      PutVarint(out, blob.length);
      PutVarint(out, blob.raw_length);
    }
  }
  return out;
}

Result<std::vector<IndexedPack>> DecodeIndexPayload(ByteView payload) {
  const Status malformed = CorruptionError("index file is malformed");
  if (payload.size() < kIndexMagic.size() + 1 ||
      std::memcmp(payload.data(), kIndexMagic.data(), kIndexMagic.size()) != 0) {
    return malformed;
  }
  if (payload[kIndexMagic.size()] != kIndexVersion) {
    return CorruptionError("index file has an unknown version");
  }
  VarintReader reader(payload.subspan(kIndexMagic.size() + 1));
  uint64_t pack_count = 0;
  if (!reader.ReadVarint(&pack_count) || pack_count > payload.size() / Id::kSize) return malformed;
  std::vector<IndexedPack> packs(pack_count);
  for (IndexedPack& pack : packs) {
    uint64_t blob_count = 0;
    if (!reader.ReadId(&pack.pack) || !reader.ReadVarint(&blob_count) ||
        blob_count > reader.remaining() / Id::kSize) {
      return malformed;
    }
    pack.blobs.resize(blob_count);
    for (PackedBlob& blob : pack.blobs) {
      uint8_t type = 0;
      uint64_t offset, length, raw_length;
      if (!reader.ReadByte(&type) || type > 1 || !reader.ReadId(&blob.id) ||
          !reader.ReadVarint(&offset) || !reader.ReadVarint(&length) ||
          !reader.ReadVarint(&raw_length) || offset > kMax24 || length > kMax24 ||
          raw_length > kMaxBlobSize) {
        return malformed;
      }
      blob.type = static_cast<BlobType>(type);
      blob.offset = static_cast<uint32_t>(offset);
      blob.length = static_cast<uint32_t>(length);
      blob.raw_length = static_cast<uint32_t>(raw_length);
    }
  }
  if (!reader.AtEnd()) return malformed;
  return packs;
}

Index::Index() : bucket_start_(kBuckets + 1, 0) {}

// A pack listed twice (in two index files) simply gets two numbers; both resolve to it.
uint32_t Index::AddPackLocked(const Id& pack) {
  LIFEBOAT_CHECK(packs_.size() < kMax24, "more than 16 million packs");
  packs_.push_back(pack);
  return static_cast<uint32_t>(packs_.size() - 1);
}

void Index::AddStaged(const IndexedPack& pack) {
  std::unique_lock lock(mutex_);
  const uint32_t number = AddPackLocked(pack.pack);
  for (const PackedBlob& blob : pack.blobs) {
    staged_.push_back(FullEntry{blob.id, number, blob.offset, blob.length});
  }
}

void Index::AddPack(const IndexedPack& pack) {
  std::unique_lock lock(mutex_);
  const uint32_t number = AddPackLocked(pack.pack);
  for (const PackedBlob& blob : pack.blobs) {
    recent_.try_emplace(blob.id, FullEntry{blob.id, number, blob.offset, blob.length});
  }
}

void Index::Clear() {
  std::unique_lock lock(mutex_);
  packs_.clear();
  std::fill(bucket_start_.begin(), bucket_start_.end(), 0);
  records_.clear();
  staged_.clear();
  recent_.clear();
}

void Index::Compact() {
  std::unique_lock lock(mutex_);
  if (staged_.empty() && recent_.empty()) return;
  std::vector<FullEntry> entries = std::move(staged_);
  staged_ = {};
  for (auto& [id, entry] : recent_) entries.push_back(entry);
  recent_.clear();
  const size_t added = entries.size();
  const size_t existing = records_.size() / kRecordSize;
  entries.reserve(entries.size() + existing);
  for (size_t bucket = 0; bucket < kBuckets; ++bucket) {
    for (uint32_t r = bucket_start_[bucket]; r < bucket_start_[bucket + 1]; ++r) {
      const uint8_t* rec = records_.data() + size_t(r) * kRecordSize;
      FullEntry entry;
      entry.blob.bytes[0] = static_cast<uint8_t>(bucket >> 8);
      entry.blob.bytes[1] = static_cast<uint8_t>(bucket);
      std::memcpy(entry.blob.bytes.data() + 2, rec, kIdBytesKept);
      entry.pack_number = Load24(rec + kIdBytesKept);
      entry.offset = Load24(rec + kIdBytesKept + 3);
      entry.length = Load24(rec + kIdBytesKept + 6);
      entries.push_back(entry);
    }
  }
  records_.clear();
  records_.shrink_to_fit();
  // Existing records go first, so a blob added again keeps the location lookups already
  // returned. Ids compare on the bytes the table keeps (not byte 31, which records lose), and a
  // stable sort keeps the first location seen for a blob stored twice.
  std::rotate(entries.begin(), entries.begin() + static_cast<ptrdiff_t>(added), entries.end());
  auto kept_order = [](const FullEntry& a, const FullEntry& b) {
    return std::memcmp(a.blob.bytes.data(), b.blob.bytes.data(), 2 + kIdBytesKept);
  };
  std::stable_sort(entries.begin(), entries.end(),
                   [&](const FullEntry& a, const FullEntry& b) { return kept_order(a, b) < 0; });
  entries.erase(
      std::unique(entries.begin(), entries.end(),
                  [&](const FullEntry& a, const FullEntry& b) { return kept_order(a, b) == 0; }),
      entries.end());
  records_.resize(entries.size() * kRecordSize);
  packs_.shrink_to_fit();
  std::fill(bucket_start_.begin(), bucket_start_.end(), 0);
  for (size_t i = 0; i < entries.size(); ++i) {
    const FullEntry& entry = entries[i];
    LIFEBOAT_CHECK(entry.offset <= kMax24 && entry.length <= kMax24, "blob location too large");
    uint8_t* rec = records_.data() + i * kRecordSize;
    std::memcpy(rec, entry.blob.bytes.data() + 2, kIdBytesKept);
    Store24(rec + kIdBytesKept, entry.pack_number);
    Store24(rec + kIdBytesKept + 3, entry.offset);
    Store24(rec + kIdBytesKept + 6, entry.length);
    bucket_start_[BucketOf(entry.blob) + 1]++;
  }
  for (size_t bucket = 0; bucket < kBuckets; ++bucket) {
    bucket_start_[bucket + 1] += bucket_start_[bucket];
  }
}

std::optional<BlobLocation> Index::LookupCompactLocked(const Id& blob) const {
  const size_t bucket = BucketOf(blob);
  size_t low = bucket_start_[bucket];
  size_t high = bucket_start_[bucket + 1];
  const uint8_t* suffix = blob.bytes.data() + 2;
  while (low < high) {
    const size_t mid = low + (high - low) / 2;
    const uint8_t* rec = records_.data() + mid * kRecordSize;
    const int order = std::memcmp(rec, suffix, kIdBytesKept);
    if (order == 0) {
      return BlobLocation{packs_[Load24(rec + kIdBytesKept)], Load24(rec + kIdBytesKept + 3),
                          Load24(rec + kIdBytesKept + 6)};
    }
    if (order < 0) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return std::nullopt;
}

std::optional<BlobLocation> Index::Lookup(const Id& blob) const {
  std::shared_lock lock(mutex_);
  if (auto found = LookupCompactLocked(blob)) return found;
  auto it = recent_.find(blob);
  if (it == recent_.end()) return std::nullopt;
  return BlobLocation{packs_[it->second.pack_number], it->second.offset, it->second.length};
}

size_t Index::blob_count() const {
  std::shared_lock lock(mutex_);
  return records_.size() / kRecordSize + recent_.size();
}

size_t Index::pack_count() const {
  std::shared_lock lock(mutex_);
  return packs_.size();
}

size_t Index::CompactBytes() const {
  std::shared_lock lock(mutex_);
  return records_.capacity() + bucket_start_.capacity() * sizeof(uint32_t) +
         packs_.capacity() * sizeof(Id);
}

}  // namespace lifeboat::repo
