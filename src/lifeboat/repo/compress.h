// Per-blob compression with zstd. Data that does not compress (media, archives, encrypted
// files) is detected from a cheap sample before zstd runs, because compression is half the CPU
// cost of a backup and wasted entirely on such data. Thread-safe (each call uses its own or a
// thread-local context).
#pragma once

#include <cstddef>

#include "lifeboat/util/bytes.h"
#include "lifeboat/util/result.h"

namespace lifeboat::repo {

struct CompressionOptions {
  int level = 3;
  // Store compressed only when it saves at least this fraction of the input.
  double min_saving = 0.03;
};

// Returns true and appends the zstd frame to *out when compression pays; returns false and
// leaves *out untouched when the data should be stored raw.
bool CompressIfWorthIt(ByteView input, const CompressionOptions& options, Bytes* out);

// Cheap entropy estimate on a sample of the data: true when it is almost surely not compressible.
bool LooksIncompressible(ByteView input);

// Decompresses a zstd frame that must expand to exactly raw_size bytes (kCorruption otherwise).
Result<Bytes> Decompress(ByteView frame, size_t raw_size);

}  // namespace lifeboat::repo
