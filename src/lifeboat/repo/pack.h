// Packs: the files that hold blobs. A pack is the concatenation of sealed blobs followed by a
// sealed header listing them and a 4-byte header length, so the index can always be rebuilt
// from the packs alone. Where one blob ends and the next begins is written only in the sealed
// header, and blobs are padded, so storage observers learn little about chunk sizes
// (docs/FORMAT.md). Packs are named by the SHA-256 of their bytes.
//
// PackBuilder is not thread-safe; the blob store serialises access to it.
#pragma once

#include <vector>

#include "lifeboat/crypto/aead.h"
#include "lifeboat/repo/blob.h"

namespace lifeboat::repo {

// A pack is closed once it reaches the target size, and before a blob would take its data
// past kPackMaxDataSize: the in-memory index stores offsets and lengths in 24 bits, and blobs
// are shuffled when the pack is finished, so any blob may end up last.
inline constexpr size_t kPackTargetSize = 15 * 1024 * 1024;
inline constexpr size_t kPackMaxDataSize = (1 << 24) - 1;
inline constexpr size_t kPackHeaderEntrySize = 1 + 32 + 4 + 4;

struct FinishedPack {
  Id id;
  Bytes data;
  std::vector<PackedBlob> blobs;
};

class PackBuilder {
 public:
  explicit PackBuilder(const crypto::Aead* aead) : aead_(aead) {}

  // Copies the sealed blob to the end of the pack being built.
  void Add(BlobType type, const Id& id, ByteView sealed, uint32_t raw_length);
  size_t size() const { return data_.size(); }
  size_t count() const { return blobs_.size(); }
  bool full() const { return size() >= kPackTargetSize; }
  // True when adding a blob of this many sealed bytes must wait for a new pack.
  bool WouldOverflow(size_t sealed_size) const {
    return !blobs_.empty() && size() + sealed_size > kPackMaxDataSize;
  }

  // Appends the header and returns the pack; the builder starts a new, empty pack in `spare`
  // (a buffer whose capacity is reused, so packs do not churn the allocator).
  FinishedPack Finish(Bytes spare = {});

 private:
  const crypto::Aead* aead_;
  Bytes data_;
  std::vector<PackedBlob> blobs_;
};

// Parses the header at the end of a pack. `tail` holds the last bytes of the pack (at least
// the header and its length); pack_size is the whole pack's size. kCorruption when damaged.
Result<std::vector<PackedBlob>> ParsePackHeader(const crypto::Aead& aead, ByteView tail,
                                                uint64_t pack_size);

// How many bytes of a pack's tail hold the header, from the last 4 bytes of the pack.
Result<uint64_t> PackHeaderSpan(ByteView last4, uint64_t pack_size);

}  // namespace lifeboat::repo
