// Packs: the files that hold blobs. A pack is the concatenation of sealed blobs, in random
// order, followed by a sealed header listing them and a 4-byte header length, so the index can
// always be rebuilt from the packs alone. Blob order is shuffled and blobs are padded so that
// storage observers learn little about chunk sizes (docs/FORMAT.md). Packs are named by the
// SHA-256 of their bytes.
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

  void Add(BlobType type, const Id& id, Bytes sealed, uint32_t raw_length);
  size_t size() const { return size_; }
  size_t count() const { return pending_.size(); }
  bool full() const { return size_ >= kPackTargetSize; }
  // True when adding a blob of this many sealed bytes must wait for a new pack.
  bool WouldOverflow(size_t sealed_size) const {
    return !pending_.empty() && size_ + sealed_size > kPackMaxDataSize;
  }

  // Shuffles the blobs, lays them out, appends the header and resets the builder.
  FinishedPack Finish();

 private:
  struct Pending {
    BlobType type;
    Id id;
    Bytes sealed;
    uint32_t raw_length;
  };
  const crypto::Aead* aead_;
  std::vector<Pending> pending_;
  size_t size_ = 0;
};

// Parses the header at the end of a pack. `tail` holds the last bytes of the pack (at least
// the header and its length); pack_size is the whole pack's size. kCorruption when damaged.
Result<std::vector<PackedBlob>> ParsePackHeader(const crypto::Aead& aead, ByteView tail,
                                                uint64_t pack_size);

// How many bytes of a pack's tail hold the header, from the last 4 bytes of the pack.
Result<uint64_t> PackHeaderSpan(ByteView last4, uint64_t pack_size);

}  // namespace lifeboat::repo
