#include "lifeboat/repo/chunker.h"

#include <algorithm>
#include <bit>
#include <string_view>

#include "lifeboat/crypto/sha256.h"
#include "lifeboat/util/check.h"

namespace lifeboat::repo {
namespace {

constexpr size_t kKeySize = 32;
constexpr std::string_view kGearLabel = "lifeboat-chunker-gear";

// Each step shifts the hash left by one, so after 64 bytes a byte's gear value has left the
// 64-bit state entirely: hashing may start this far before the first allowed cut and still
// give exactly the hash it would have had from the chunk's start.
constexpr size_t kHashWindow = 64;

// Bit k of the gear hash depends only on the last k+1 bytes, so the cut masks cover the top
// bits: a mask of the top n bits depends on the last 64 bytes and each of its bits on at least
// the last 65-n, where a mask of the low n bits would see only the last n bytes.
uint64_t TopBitsMask(int bits) { return bits <= 0 ? 0 : ~uint64_t{0} << (64 - bits); }

// Hashes data[begin, end) and returns the length of the chunk that ends after the first byte
// whose hash has no bit of mask set, or 0 when there is none. One loop per mask keeps the mask
// in a register and leaves one well-predicted branch per byte.
inline size_t Scan(const uint8_t* data, size_t begin, size_t end, uint64_t mask,
                   const std::array<uint64_t, 256>& gear, uint64_t& hash) {
  uint64_t h = hash;
  size_t i = begin;
  // Unrolled by four: the hash is a serial chain of shift-adds, so the gain is fewer counter
  // updates and compares competing with it for issue slots.
  for (; i + 4 <= end; i += 4) {
    h = (h << 1) + gear[data[i]];
    if ((h & mask) == 0) [[unlikely]]
      return i + 1;
    h = (h << 1) + gear[data[i + 1]];
    if ((h & mask) == 0) [[unlikely]]
      return i + 2;
    h = (h << 1) + gear[data[i + 2]];
    if ((h & mask) == 0) [[unlikely]]
      return i + 3;
    h = (h << 1) + gear[data[i + 3]];
    if ((h & mask) == 0) [[unlikely]]
      return i + 4;
  }
  for (; i < end; ++i) {
    h = (h << 1) + gear[data[i]];
    if ((h & mask) == 0) [[unlikely]]
      return i + 1;
  }
  hash = h;
  return 0;
}

}  // namespace

Chunker::Chunker(ByteView key, ChunkerParams params) : params_(params) {
  LIFEBOAT_CHECK(key.size() == kKeySize, "the chunker key must be 32 bytes");
  LIFEBOAT_CHECK(std::has_single_bit(params.average_size),
                 "the average chunk size must be a power of two");
  LIFEBOAT_CHECK(params.min_size >= 1, "the minimum chunk size must be positive");
  LIFEBOAT_CHECK(params.min_size <= params.average_size && params.average_size <= params.max_size,
                 "chunk sizes must satisfy min <= average <= max");

  // Masks chosen by simulating the defaults (min = avg/2, max = 8*avg). FastCDC's pair,
  // log2(avg)+2 and log2(avg)-2 bits, gives a mean chunk of 1.19*avg, and since ~90% of its cuts
  // then fall on the loose points (one every avg/4 bytes) just past avg, a chunk sequence
  // knocked off its cuts by an edit takes ~2.3 chunks to fall back in step. log2(avg) and
  // log2(avg)-2 bits give a mean of ~1.06*avg with a spread of ~0.3*avg, and ~1.6 chunks.
  const int avg_bits = std::countr_zero(params.average_size);
  mask_small_ = TopBitsMask(avg_bits);
  mask_large_ = TopBitsMask(std::max(avg_bits - 2, 1));

  // The table is derived from the key so that chunk sizes, visible to the storage provider,
  // cannot be used to confirm that a known file is in the repository.
  Bytes input;
  input.reserve(kKeySize + kGearLabel.size() + 4);
  for (uint32_t i = 0; i < gear_.size(); ++i) {
    input.assign(key.begin(), key.end());
    input.insert(input.end(), kGearLabel.begin(), kGearLabel.end());
    AppendU32(input, i);
    gear_[i] = LoadU64(crypto::Sha256(input).bytes.data());
  }
}

size_t Chunker::FindBoundary(ByteView data) const {
  const size_t size = data.size();
  if (size <= params_.min_size) return size;

  const size_t limit = std::min<size_t>(size, params_.max_size);
  // Byte i decides a cut of length i+1: lengths in [min, avg) need the strict mask, lengths in
  // [avg, max] the loose one.
  const size_t strict_begin = params_.min_size - 1;
  const size_t loose_begin = params_.average_size - 1;
  const uint8_t* bytes = data.data();

  uint64_t hash = 0;
  for (size_t i = strict_begin > kHashWindow - 1 ? strict_begin - (kHashWindow - 1) : 0;
       i < strict_begin; ++i) {
    hash = (hash << 1) + gear_[bytes[i]];
  }
  if (size_t cut =
          Scan(bytes, strict_begin, std::min(limit, loose_begin), mask_small_, gear_, hash);
      cut != 0) {
    return cut;
  }
  if (loose_begin < limit) {
    if (size_t cut = Scan(bytes, loose_begin, limit, mask_large_, gear_, hash); cut != 0) {
      return cut;
    }
  }
  return limit;
}

}  // namespace lifeboat::repo
