// Blobs are the units of storage: a chunk of file content (data) or an encoded directory
// (tree). Each is compressed when it pays, padded, and sealed with its id as associated data
// (see docs/FORMAT.md). This header holds the codec and the location records shared by packs
// and the index.
#pragma once

#include <cstdint>

#include "lifeboat/crypto/aead.h"
#include "lifeboat/crypto/keyed_hash.h"
#include "lifeboat/repo/compress.h"
#include "lifeboat/util/id.h"
#include "lifeboat/util/result.h"

namespace lifeboat::repo {

enum class BlobType : uint8_t { kData = 0, kTree = 1 };

// A blob as it sits in a pack.
struct PackedBlob {
  BlobType type = BlobType::kData;
  Id id;
  uint32_t offset = 0;      // from the start of the pack
  uint32_t length = 0;      // sealed bytes in the pack
  uint32_t raw_length = 0;  // plaintext bytes
  friend bool operator==(const PackedBlob&, const PackedBlob&) = default;
};

// Largest plaintext blob: chunks are at most 8 MiB; trees (directory listings) may be larger.
inline constexpr uint32_t kMaxBlobSize = 12 * 1024 * 1024;

// Padmé padding (Nikitin et al., PETS 2019): rounds a length up so that it leaks
// O(log log n) bits, with at most ~12% (typically ~1.5% for 1 MiB) overhead.
uint64_t PaddedLength(uint64_t length);

// Compresses (when it pays and `compress` is set), pads and seals the plaintext, binding it to
// `id`. Returns the bytes to place in a pack.
Bytes EncodeBlob(const crypto::Aead& aead, const Id& id, ByteView plaintext, bool compress,
                 const CompressionOptions& options);

// Opens a sealed blob, decompresses it, and checks that it hashes to `id`. kCorruption names
// the blob on any mismatch.
Result<Bytes> DecodeBlob(const crypto::Aead& aead, const crypto::KeyedHash& id_hash, const Id& id,
                         ByteView sealed);

}  // namespace lifeboat::repo
