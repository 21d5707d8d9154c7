#include "lifeboat/repo/pack.h"

#include "lifeboat/crypto/sha256.h"

namespace lifeboat::repo {

namespace {
constexpr std::string_view kPackHeaderAad = "lifeboat pack header v1";
}

void PackBuilder::Add(BlobType type, const Id& id, ByteView sealed, uint32_t raw_length) {
  // Data packs fill up, so their buffer is sized once; tree packs stay small and grow.
  if (type == BlobType::kData && data_.capacity() == 0) {
    data_.reserve(kPackTargetSize + kMaxBlobSize / 8);
  }
  blobs_.push_back(PackedBlob{type, id, static_cast<uint32_t>(data_.size()),
                              static_cast<uint32_t>(sealed.size()), raw_length});
  data_.insert(data_.end(), sealed.begin(), sealed.end());
}

FinishedPack PackBuilder::Finish(Bytes spare) {
  Bytes header;
  header.reserve(blobs_.size() * kPackHeaderEntrySize);
  for (const PackedBlob& blob : blobs_) {
    header.push_back(static_cast<uint8_t>(blob.type));
    header.insert(header.end(), blob.id.bytes.begin(), blob.id.bytes.end());
    AppendU32(header, blob.length);
    AppendU32(header, blob.raw_length);
  }
  FinishedPack pack;
  pack.data = std::move(data_);
  pack.blobs = std::move(blobs_);
  const size_t before_header = pack.data.size();
  aead_->SealAppend(header, AsBytes(kPackHeaderAad), &pack.data);
  AppendU32(pack.data, static_cast<uint32_t>(pack.data.size() - before_header));
  pack.id = crypto::Sha256(pack.data);
  spare.clear();
  data_ = std::move(spare);
  blobs_ = {};
  return pack;
}

Result<uint64_t> PackHeaderSpan(ByteView last4, uint64_t pack_size) {
  if (last4.size() != 4 || pack_size < 4 + crypto::Aead::kOverhead) {
    return CorruptionError("pack is too short to hold a header");
  }
  const uint64_t header_length = LoadU32(last4.data());
  if (header_length < crypto::Aead::kOverhead || header_length + 4 > pack_size) {
    return CorruptionError("pack header length is out of range");
  }
  return header_length + 4;
}

Result<std::vector<PackedBlob>> ParsePackHeader(const crypto::Aead& aead, ByteView tail,
                                                uint64_t pack_size) {
  if (tail.size() < 4) return CorruptionError("pack is too short to hold a header");
  LIFEBOAT_ASSIGN_OR_RETURN(uint64_t span,
                            PackHeaderSpan(tail.subspan(tail.size() - 4), pack_size));
  if (span > tail.size()) return CorruptionError("pack tail does not hold the whole header");
  ByteView sealed = tail.subspan(tail.size() - span, span - 4);
  Result<Bytes> header = aead.Open(sealed, AsBytes(kPackHeaderAad));
  if (!header.ok()) return header.status().WithContext("pack header");
  if (header->size() % kPackHeaderEntrySize != 0) {
    return CorruptionError("pack header has a partial entry");
  }
  std::vector<PackedBlob> blobs;
  uint64_t offset = 0;
  const uint64_t data_end = pack_size - span;
  for (size_t pos = 0; pos < header->size(); pos += kPackHeaderEntrySize) {
    const uint8_t* entry = header->data() + pos;
    if (entry[0] > static_cast<uint8_t>(BlobType::kTree)) {
      return CorruptionError("pack header has an unknown blob type");
    }
    PackedBlob blob{static_cast<BlobType>(entry[0]), Id::FromBytes(entry + 1),
                    static_cast<uint32_t>(offset), LoadU32(entry + 33), LoadU32(entry + 37)};
    offset += blob.length;
    if (offset > data_end)
      return CorruptionError("pack header lists more data than the pack holds");
    blobs.push_back(blob);
  }
  if (offset != data_end) return CorruptionError("pack holds data its header does not list");
  return blobs;
}

}  // namespace lifeboat::repo
