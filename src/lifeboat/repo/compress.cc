#include "lifeboat/repo/compress.h"

#include <zstd.h>

#include <array>
#include <cmath>
#include <memory>
#include <string>

#include "lifeboat/util/check.h"
#include "lifeboat/util/status.h"

namespace lifeboat::repo {
namespace {

// Three windows (start, middle, end) catch files whose header differs from their body, such
// as archives and media with text metadata, while costing a few microseconds per blob.
constexpr size_t kSampleWindow = 4096;
constexpr size_t kSampleWindows = 3;
// Below this the entropy estimate is too noisy to trust, and zstd on so little data is cheap
// enough to just try.
constexpr size_t kMinSampledSize = 1024;
// Bits per byte of a window's byte histogram, measured on 4 KiB windows: uniform random bytes
// 7.95 (the estimate is biased low by ~255 / (2 n ln 2)); zstd, gzip and JPEG output 7.9; a PNG
// 7.7 that zstd still shrank by 13%; arrays of floats and doubles 7.3-7.4 (6-8% saving); base64
// 6; text and source code 4.8; machine code 2-6.
constexpr double kIncompressibleBitsPerByte = 7.8;

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* ctx) const { ZSTD_freeCCtx(ctx); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* ctx) const { ZSTD_freeDCtx(ctx); }
};

// A context holds ~1 MiB of tables at level 3; reusing one per thread avoids allocating and
// zeroing them for every blob.
ZSTD_CCtx* ThreadCompressionContext() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxDeleter> ctx(ZSTD_createCCtx());
  LIFEBOAT_CHECK(ctx != nullptr, "out of memory creating a zstd compression context");
  return ctx.get();
}

ZSTD_DCtx* ThreadDecompressionContext() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> ctx(ZSTD_createDCtx());
  LIFEBOAT_CHECK(ctx != nullptr, "out of memory creating a zstd decompression context");
  return ctx.get();
}

double BitsPerByte(ByteView window) {
  std::array<uint32_t, 256> counts{};
  for (uint8_t byte : window) ++counts[byte];
  const double total = static_cast<double>(window.size());
  double sum = 0;  // sum of c * log2(c); entropy = log2(n) - sum / n
  for (uint32_t count : counts) {
    if (count > 1) sum += count * std::log2(static_cast<double>(count));
  }
  return std::log2(total) - sum / total;
}

}  // namespace

bool LooksIncompressible(ByteView input) {
  if (input.size() < kMinSampledSize) return false;
  if (input.size() < kSampleWindow * kSampleWindows) {
    return BitsPerByte(input) >= kIncompressibleBitsPerByte;
  }
  // Each window is judged alone: one compressible window (a text header, a run of zeros) is
  // enough reason to let zstd try.
  const size_t middle = input.size() / 2 - kSampleWindow / 2;
  const size_t starts[kSampleWindows] = {0, middle, input.size() - kSampleWindow};
  for (size_t start : starts) {
    if (BitsPerByte(input.subspan(start, kSampleWindow)) < kIncompressibleBitsPerByte) {
      return false;
    }
  }
  return true;
}

bool CompressIfWorthIt(ByteView input, const CompressionOptions& options, Bytes* out) {
  if (LooksIncompressible(input)) return false;

  // Giving zstd only as much room as a worthwhile result may take makes it fail fast, with
  // dstSize_tooSmall, on data that does not shrink enough.
  const double saving = std::ceil(static_cast<double>(input.size()) * options.min_saving);
  const size_t min_saving_bytes = saving <= 0 ? 0 : static_cast<size_t>(saving);
  if (min_saving_bytes >= input.size()) return false;
  const size_t capacity = input.size() - min_saving_bytes;

  const size_t old_size = out->size();
  out->resize(old_size + capacity);
  const size_t written = ZSTD_compressCCtx(ThreadCompressionContext(), out->data() + old_size,
                                           capacity, input.data(), input.size(), options.level);
  if (ZSTD_isError(written)) {
    out->resize(old_size);
    return false;
  }
  out->resize(old_size + written);
  return true;
}

Result<Bytes> Decompress(ByteView frame, size_t raw_size) {
  // Measured first so that a second frame or trailing bytes, which ZSTD_decompressDCtx would
  // silently decode or misreport, are caught as damage.
  const size_t frame_size = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
  if (ZSTD_isError(frame_size)) {
    return CorruptionError(std::string("zstd frame is truncated or malformed (") +
                           ZSTD_getErrorName(frame_size) + ")");
  }
  if (frame_size != frame.size()) {
    return CorruptionError("zstd frame is followed by " +
                           std::to_string(frame.size() - frame_size) + " unexpected bytes");
  }
  const unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) {
    return CorruptionError("zstd frame header is malformed");
  }
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != raw_size) {
    return CorruptionError("zstd frame holds " + std::to_string(declared) + " bytes, expected " +
                           std::to_string(raw_size));
  }

  Bytes raw(raw_size);
  const size_t written = ZSTD_decompressDCtx(ThreadDecompressionContext(), raw.data(), raw.size(),
                                             frame.data(), frame.size());
  if (ZSTD_isError(written)) {
    return CorruptionError(std::string("zstd frame does not decompress to ") +
                           std::to_string(raw_size) + " bytes (" + ZSTD_getErrorName(written) +
                           ")");
  }
  if (written != raw_size) {
    return CorruptionError("zstd frame decompresses to " + std::to_string(written) +
                           " bytes, expected " + std::to_string(raw_size));
  }
  return raw;
}

}  // namespace lifeboat::repo
