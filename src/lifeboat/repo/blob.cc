#include "lifeboat/repo/blob.h"

#include <bit>

namespace lifeboat::repo {

namespace {
constexpr uint8_t kStoredRaw = 0;
constexpr uint8_t kStoredZstd = 1;
constexpr size_t kInnerHeader = 9;  // flags u8, payload length u32, plaintext length u32
}  // namespace

uint64_t PaddedLength(uint64_t length) {
  if (length < 2) return length;
  const uint64_t exponent = std::bit_width(length) - 1;  // floor(log2 L)
  const uint64_t size_bits = std::bit_width(exponent);   // floor(log2 E) + 1
  const uint64_t low_bits = exponent - size_bits;
  const uint64_t mask = (uint64_t{1} << low_bits) - 1;
  return (length + mask) & ~mask;
}

Bytes EncodeBlob(const crypto::Aead& aead, const Id& id, ByteView plaintext, bool compress,
                 const CompressionOptions& options) {
  Bytes inner;
  inner.reserve(PaddedLength(plaintext.size() + kInnerHeader));
  inner.resize(kInnerHeader);
  bool compressed = compress && CompressIfWorthIt(plaintext, options, &inner);
  if (!compressed) inner.insert(inner.end(), plaintext.begin(), plaintext.end());
  const uint32_t payload = static_cast<uint32_t>(inner.size() - kInnerHeader);
  inner[0] = compressed ? kStoredZstd : kStoredRaw;
  const uint32_t raw = static_cast<uint32_t>(plaintext.size());
  for (int i = 0; i < 4; ++i) {
    inner[1 + i] = static_cast<uint8_t>(payload >> (8 * i));
    inner[5 + i] = static_cast<uint8_t>(raw >> (8 * i));
  }
  inner.resize(PaddedLength(inner.size()), 0);
  Bytes sealed;
  sealed.reserve(inner.size() + crypto::Aead::kOverhead);
  aead.SealAppend(inner, id.bytes, &sealed);
  return sealed;
}

Result<Bytes> DecodeBlob(const crypto::Aead& aead, const crypto::KeyedHash& id_hash, const Id& id,
                         ByteView sealed) {
  const std::string name = "blob " + id.ShortHex();
  Result<Bytes> inner = aead.Open(sealed, id.bytes);
  if (!inner.ok()) return inner.status().WithContext(name);
  if (inner->size() < kInnerHeader) return CorruptionError(name + ": too short");
  const uint8_t flags = (*inner)[0];
  const uint32_t payload = LoadU32(inner->data() + 1);
  const uint32_t raw_length = LoadU32(inner->data() + 5);
  if (raw_length > kMaxBlobSize) return CorruptionError(name + ": bad length");
  if (payload > inner->size() - kInnerHeader) return CorruptionError(name + ": bad length");
  ByteView body(inner->data() + kInnerHeader, payload);
  Bytes plaintext;
  if (flags == kStoredZstd) {
    Result<Bytes> raw = Decompress(body, raw_length);
    if (!raw.ok()) return raw.status().WithContext(name);
    plaintext = std::move(raw).value();
  } else if (flags == kStoredRaw) {
    if (payload != raw_length) return CorruptionError(name + ": bad length");
    inner->resize(kInnerHeader + payload);
    inner->erase(inner->begin(), inner->begin() + kInnerHeader);
    plaintext = std::move(inner).value();
  } else {
    return CorruptionError(name + ": unknown storage flags");
  }
  if (id_hash.Hash(plaintext) != id) return CorruptionError(name + ": content does not match id");
  return plaintext;
}

}  // namespace lifeboat::repo
