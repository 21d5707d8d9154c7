#include "lifeboat/repo/pack.h"

#include "lifeboat/crypto/random.h"
#include "lifeboat/crypto/sha256.h"

namespace lifeboat::repo {

namespace {
constexpr std::string_view kPackHeaderAad = "lifeboat pack header v1";
}

void PackBuilder::Add(BlobType type, const Id& id, Bytes sealed, uint32_t raw_length) {
  size_ += sealed.size();
  pending_.push_back(Pending{type, id, std::move(sealed), raw_length});
}

FinishedPack PackBuilder::Finish() {
  // Fisher-Yates with the system RNG: the order in the pack must not follow the order in files.
  for (size_t i = pending_.size(); i > 1; --i) {
    std::swap(pending_[i - 1], pending_[crypto::RandomBelow(i)]);
  }
  FinishedPack pack;
  Bytes header;
  header.reserve(pending_.size() * kPackHeaderEntrySize);
  pack.data.reserve(size_ + pending_.size() * kPackHeaderEntrySize + 64);
  for (Pending& blob : pending_) {
    PackedBlob packed{blob.type, blob.id, static_cast<uint32_t>(pack.data.size()),
                      static_cast<uint32_t>(blob.sealed.size()), blob.raw_length};
    pack.data.insert(pack.data.end(), blob.sealed.begin(), blob.sealed.end());
    header.push_back(static_cast<uint8_t>(blob.type));
    header.insert(header.end(), blob.id.bytes.begin(), blob.id.bytes.end());
    AppendU32(header, packed.length);
    AppendU32(header, packed.raw_length);
    pack.blobs.push_back(packed);
  }
  const size_t before_header = pack.data.size();
  aead_->SealAppend(header, AsBytes(kPackHeaderAad), &pack.data);
  AppendU32(pack.data, static_cast<uint32_t>(pack.data.size() - before_header));
  pack.id = crypto::Sha256(pack.data);
  pending_.clear();
  size_ = 0;
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
