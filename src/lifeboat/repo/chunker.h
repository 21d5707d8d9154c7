// Chunker: content-defined chunking (FastCDC-style gear hash with normalized chunking), keyed by
// a per-repository secret so chunk boundaries — and hence chunk sizes — cannot be predicted from
// known content. Boundaries depend only on the bytes near them, so inserting one byte into a
// large file changes one or two chunks and daily database dumps deduplicate.
//
// Use: keep a buffer of the stream; call FindBoundary on the unconsumed bytes; emit that many
// bytes as a chunk; repeat. FindBoundary returns data.size() when no cut point lies within it
// and data.size() < max_size: the caller then reads more, or, at end of stream, emits the rest.
// Const and thread-safe after construction.
#pragma once

#include <array>
#include <cstdint>

#include "lifeboat/util/bytes.h"

namespace lifeboat::repo {

struct ChunkerParams {
  uint32_t min_size = 512 * 1024;
  uint32_t average_size = 1024 * 1024;  // a power of two
  uint32_t max_size = 8 * 1024 * 1024;
};

class Chunker {
 public:
  // key: 32 secret bytes from the repository's master key; the gear table is derived from it.
  Chunker(ByteView key, ChunkerParams params = {});

  const ChunkerParams& params() const { return params_; }

  // Length of the next chunk at the start of data: in [min(data.size(), min_size), max_size].
  size_t FindBoundary(ByteView data) const;

 private:
  ChunkerParams params_;
  uint64_t mask_small_;  // stricter mask before the average size
  uint64_t mask_large_;  // looser mask after it
  std::array<uint64_t, 256> gear_;
};

}  // namespace lifeboat::repo
