#include "lifeboat/repo/compress.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <random>
#include <string>

namespace lifeboat::repo {
namespace {

Bytes LogLines(size_t size) {
  std::mt19937 rng(7);
  const char* levels[] = {"INFO", "WARN", "DEBUG", "ERROR"};
  const char* events[] = {"request served", "cache miss", "connection reset by peer",
                          "retrying upload", "checkpoint complete"};
  std::string text;
  while (text.size() < size) {
    text += "2024-03-0" + std::to_string(rng() % 9 + 1) + "T12:" + std::to_string(rng() % 60) +
            ":" + std::to_string(rng() % 60) + "Z " + levels[rng() % 4] + " worker-" +
            std::to_string(rng() % 16) + " " + events[rng() % 5] +
            " latency_ms=" + std::to_string(rng() % 5000) + "\n";
  }
  text.resize(size);
  return ToBytes(text);
}

Bytes RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes data(size, 0);
  for (uint8_t& byte : data) byte = static_cast<uint8_t>(rng());
  return data;
}

Bytes Base64Text(size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937 rng(11);
  Bytes data(size, 0);
  for (size_t i = 0; i < size; ++i) data[i] = (i % 77 == 76) ? '\n' : kAlphabet[rng() % 64];
  return data;
}

TEST(Compress, RoundTripsText) {
  Bytes text = LogLines(1 << 20);
  Bytes frame = {0xaa, 0xbb};  // CompressIfWorthIt appends
  ASSERT_TRUE(CompressIfWorthIt(text, {}, &frame));
  ASSERT_EQ(frame[0], 0xaa);
  ASSERT_EQ(frame[1], 0xbb);
  EXPECT_LT(frame.size(), text.size() / 3);

  Result<Bytes> raw = Decompress(ByteView(frame).subspan(2), text.size());
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_EQ(*raw, text);
}

TEST(Compress, RoundTripsAtOtherLevels) {
  Bytes text = LogLines(100000);
  for (int level : {1, 9, 19}) {
    Bytes frame;
    ASSERT_TRUE(CompressIfWorthIt(text, {.level = level}, &frame)) << level;
    Result<Bytes> raw = Decompress(frame, text.size());
    ASSERT_TRUE(raw.ok()) << raw.status().ToString();
    EXPECT_EQ(*raw, text);
  }
}

TEST(Compress, RandomDataIsStoredRaw) {
  Bytes random = RandomBytes(1 << 20, 1);
  EXPECT_TRUE(LooksIncompressible(random));
  Bytes out = {1, 2, 3};
  EXPECT_FALSE(CompressIfWorthIt(random, {}, &out));
  EXPECT_EQ(out, (Bytes{1, 2, 3}));
}

TEST(Compress, TextAndBase64LookCompressible) {
  EXPECT_FALSE(LooksIncompressible(LogLines(1 << 20)));
  EXPECT_FALSE(LooksIncompressible(Base64Text(1 << 20)));
  EXPECT_FALSE(LooksIncompressible(Bytes(1 << 20)));
}

TEST(Compress, CompressedDataLooksIncompressible) {
  Bytes frame;
  ASSERT_TRUE(CompressIfWorthIt(LogLines(4 << 20), {}, &frame));
  ASSERT_GT(frame.size(), 12 * 1024u);
  EXPECT_TRUE(LooksIncompressible(frame));
}

TEST(Compress, RandomBodyWithTextHeaderIsTried) {
  Bytes data = RandomBytes(1 << 20, 2);
  Bytes header = LogLines(8192);
  std::copy(header.begin(), header.end(), data.begin());
  EXPECT_FALSE(LooksIncompressible(data));
  // zstd runs but the saving is under 3%, so the data is still stored raw.
  Bytes out;
  EXPECT_FALSE(CompressIfWorthIt(data, {}, &out));
  EXPECT_TRUE(out.empty());
}

TEST(Compress, MinSavingIsRespected) {
  Bytes text = LogLines(1 << 16);
  Bytes out;
  EXPECT_FALSE(CompressIfWorthIt(text, {.min_saving = 0.99}, &out));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(CompressIfWorthIt(text, {.min_saving = 0.5}, &out));
}

TEST(Compress, SmallInputs) {
  Bytes out;
  EXPECT_FALSE(CompressIfWorthIt(ByteView(), {}, &out));
  EXPECT_FALSE(CompressIfWorthIt(ToBytes("abc"), {}, &out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(LooksIncompressible(ByteView()));
  EXPECT_TRUE(CompressIfWorthIt(Bytes(100, 'x'), {}, &out));
}

TEST(Compress, ZerosRoundTrip) {
  Bytes frame;
  ASSERT_TRUE(CompressIfWorthIt(Bytes(5000, 0), {}, &frame));
  Result<Bytes> raw = Decompress(frame, 5000);
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_EQ(*raw, Bytes(5000, 0));
}

TEST(Decompress, FrameOfEmptyInput) {
  Bytes frame(ZSTD_compressBound(0));
  size_t size = ZSTD_compress(frame.data(), frame.size(), nullptr, 0, 3);
  ASSERT_FALSE(ZSTD_isError(size));
  frame.resize(size);

  Result<Bytes> raw = Decompress(frame, 0);
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_TRUE(raw->empty());
  EXPECT_EQ(Decompress(frame, 1).status().code(), StatusCode::kCorruption);
}

TEST(Decompress, EmptyInputIsCorruption) {
  Result<Bytes> raw = Decompress(ByteView(), 0);
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.status().code(), StatusCode::kCorruption);
}

// Streaming compressors may omit the content size; the size check must then come from the
// decoded length.
TEST(Decompress, FrameWithoutContentSizeIsChecked) {
  Bytes text = LogLines(100000);
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  ASSERT_NE(ctx, nullptr);
  ASSERT_FALSE(ZSTD_isError(ZSTD_CCtx_setParameter(ctx, ZSTD_c_contentSizeFlag, 0)));
  Bytes frame(ZSTD_compressBound(text.size()));
  size_t size = ZSTD_compress2(ctx, frame.data(), frame.size(), text.data(), text.size());
  ZSTD_freeCCtx(ctx);
  ASSERT_FALSE(ZSTD_isError(size));
  frame.resize(size);
  ASSERT_EQ(ZSTD_getFrameContentSize(frame.data(), frame.size()), ZSTD_CONTENTSIZE_UNKNOWN);

  Result<Bytes> raw = Decompress(frame, text.size());
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_EQ(*raw, text);

  Result<Bytes> longer = Decompress(frame, text.size() + 1);
  ASSERT_FALSE(longer.ok());
  EXPECT_EQ(longer.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(longer.status().message(), "zstd frame decompresses to " + std::to_string(text.size()) +
                                           " bytes, expected " + std::to_string(text.size() + 1));

  Result<Bytes> shorter = Decompress(frame, text.size() - 1);
  ASSERT_FALSE(shorter.ok());
  EXPECT_EQ(shorter.status().code(), StatusCode::kCorruption);
}

TEST(Decompress, CorruptedFrameIsCorruption) {
  Bytes text = LogLines(1 << 18);
  Bytes frame;
  ASSERT_TRUE(CompressIfWorthIt(text, {}, &frame));
  // Flip bytes across the frame: none may crash or return wrong data unnoticed.
  for (size_t position : {size_t{0}, size_t{5}, frame.size() / 3, frame.size() / 2}) {
    Bytes damaged = frame;
    damaged[position] ^= 0x5a;
    Result<Bytes> raw = Decompress(damaged, text.size());
    if (raw.ok()) {
      // Without a checksum some flips decode to other bytes; the blob's keyed hash catches
      // those. What must not happen is a silent wrong size.
      EXPECT_EQ(raw->size(), text.size());
    } else {
      EXPECT_EQ(raw.status().code(), StatusCode::kCorruption) << position;
    }
  }
  Bytes garbage = RandomBytes(1000, 3);
  Result<Bytes> raw = Decompress(garbage, 1000);
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.status().code(), StatusCode::kCorruption);
  EXPECT_NE(raw.status().message().find("zstd frame"), std::string::npos);
}

TEST(Decompress, TruncatedFrameIsCorruption) {
  Bytes text = LogLines(1 << 18);
  Bytes frame;
  ASSERT_TRUE(CompressIfWorthIt(text, {}, &frame));
  Result<Bytes> raw = Decompress(ByteView(frame).first(frame.size() - 1), text.size());
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.status().code(), StatusCode::kCorruption);
  EXPECT_NE(raw.status().message().find("truncated"), std::string::npos);
}

TEST(Decompress, TrailingBytesAreCorruption) {
  Bytes text = LogLines(1 << 16);
  Bytes frame;
  ASSERT_TRUE(CompressIfWorthIt(text, {}, &frame));
  frame.push_back(0);
  Result<Bytes> raw = Decompress(frame, text.size());
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(raw.status().message(), "zstd frame is followed by 1 unexpected bytes");

  // A second complete frame is trailing data too.
  Bytes twice;
  ASSERT_TRUE(CompressIfWorthIt(text, {}, &twice));
  ASSERT_TRUE(CompressIfWorthIt(text, {}, &twice));
  raw = Decompress(twice, 2 * text.size());
  ASSERT_FALSE(raw.ok());
  EXPECT_EQ(raw.status().code(), StatusCode::kCorruption);
}

TEST(Decompress, WrongRawSizeIsCorruption) {
  Bytes text = LogLines(1 << 16);
  Bytes frame;
  ASSERT_TRUE(CompressIfWorthIt(text, {}, &frame));
  for (size_t raw_size : {text.size() - 1, text.size() + 1, size_t{0}}) {
    Result<Bytes> raw = Decompress(frame, raw_size);
    ASSERT_FALSE(raw.ok()) << raw_size;
    EXPECT_EQ(raw.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(raw.status().message(), "zstd frame holds " + std::to_string(text.size()) +
                                          " bytes, expected " + std::to_string(raw_size));
  }
}

}  // namespace
}  // namespace lifeboat::repo
