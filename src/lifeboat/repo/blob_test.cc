#include "lifeboat/repo/blob.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "lifeboat/crypto/random.h"

namespace lifeboat::repo {
namespace {

// Size of the header EncodeBlob puts before the payload (flags, payload and plaintext length).
constexpr size_t kInnerHeader = 9;

Bytes RandomData(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes data(size, 0);
  for (uint8_t& byte : data) byte = static_cast<uint8_t>(rng());
  return data;
}

Bytes TextData(size_t size) {
  std::mt19937 rng(3);
  std::string text;
  while (text.size() < size) {
    text += "2024-05-1" + std::to_string(rng() % 10) + " INFO request " +
            std::to_string(rng() % 1000) + " served in " + std::to_string(rng() % 100) + " ms\n";
  }
  text.resize(size);
  return ToBytes(text);
}

class BlobTest : public ::testing::Test {
 protected:
  crypto::Aead aead_{crypto::RandomBytes(32)};
  crypto::KeyedHash id_hash_{crypto::RandomBytes(32)};

  Bytes Encode(const Id& id, ByteView plaintext, bool compress = true) {
    return EncodeBlob(aead_, id, plaintext, compress, CompressionOptions{});
  }
};

TEST(PaddedLength, KnownSmallValues) {
  EXPECT_EQ(PaddedLength(0), 0u);
  EXPECT_EQ(PaddedLength(1), 1u);
  EXPECT_EQ(PaddedLength(2), 2u);
  EXPECT_EQ(PaddedLength(7), 7u);
  EXPECT_EQ(PaddedLength(8), 8u);
  EXPECT_EQ(PaddedLength(9), 10u);
  EXPECT_EQ(PaddedLength(17), 18u);
  EXPECT_EQ(PaddedLength(33), 36u);
  EXPECT_EQ(PaddedLength(100), 104u);
  EXPECT_EQ(PaddedLength(1000), 1024u);
  EXPECT_EQ(PaddedLength(1025), 1088u);
  EXPECT_EQ(PaddedLength(1 << 20), uint64_t{1} << 20);
  EXPECT_EQ(PaddedLength((1 << 20) + 1), (uint64_t{1} << 20) + (1 << 15));
}

TEST(PaddedLength, IsMonotonicAndNeverShrinks) {
  uint64_t previous = 0;
  for (uint64_t length = 0; length < 200000; ++length) {
    const uint64_t padded = PaddedLength(length);
    ASSERT_GE(padded, length) << length;
    ASSERT_GE(padded, previous) << length;
    previous = padded;
  }
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) {
    const uint64_t length = rng() % (uint64_t{1} << 40);
    ASSERT_GE(PaddedLength(length), length) << length;
    ASSERT_LE(PaddedLength(length), PaddedLength(length + 1)) << length;
  }
}

TEST(PaddedLength, IsIdempotent) {
  std::mt19937_64 rng(6);
  for (int i = 0; i < 20000; ++i) {
    const uint64_t padded = PaddedLength(rng() % (uint64_t{1} << 36));
    ASSERT_EQ(PaddedLength(padded), padded);
  }
}

TEST(PaddedLength, OverheadIsAtMostTwelvePercentFromOneKibibyte) {
  auto check = [](uint64_t length) {
    const uint64_t padded = PaddedLength(length);
    ASSERT_LE(static_cast<double>(padded - length), 0.12 * static_cast<double>(length)) << length;
  };
  for (uint64_t length = 1024; length < (1 << 20); ++length) check(length);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) check(1024 + rng() % (uint64_t{1} << 34));
}

TEST_F(BlobTest, RoundTripsCompressibleTextStoredSmaller) {
  const Bytes text = TextData(256 * 1024);
  const Id id = id_hash_.Hash(text);
  const Bytes sealed = Encode(id, text);
  EXPECT_LT(sealed.size(), text.size() / 2);
  Result<Bytes> decoded = DecodeBlob(aead_, id_hash_, id, sealed);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, text);
}

TEST_F(BlobTest, RoundTripsRandomDataAtAboutTheSameSize) {
  const Bytes random = RandomData(256 * 1024 + 17, 1);
  const Id id = id_hash_.Hash(random);
  const Bytes sealed = Encode(id, random);
  EXPECT_EQ(sealed.size(), PaddedLength(random.size() + kInnerHeader) + crypto::Aead::kOverhead);
  EXPECT_LE(sealed.size(), random.size() + random.size() / 14);  // padding stays under 7%
  Result<Bytes> decoded = DecodeBlob(aead_, id_hash_, id, sealed);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, random);
}

TEST_F(BlobTest, RoundTripsUncompressedText) {
  const Bytes text = TextData(10000);
  const Id id = id_hash_.Hash(text);
  const Bytes sealed = Encode(id, text, /*compress=*/false);
  EXPECT_EQ(sealed.size(), PaddedLength(text.size() + kInnerHeader) + crypto::Aead::kOverhead);
  Result<Bytes> decoded = DecodeBlob(aead_, id_hash_, id, sealed);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, text);
}

TEST_F(BlobTest, RoundTripsSmallAndEmptyBlobs) {
  for (size_t size : {0, 1, 2, 8, 9, 100, 4095}) {
    const Bytes data = RandomData(size, size);
    const Id id = id_hash_.Hash(data);
    Result<Bytes> decoded = DecodeBlob(aead_, id_hash_, id, Encode(id, data));
    ASSERT_TRUE(decoded.ok()) << size << ": " << decoded.status().ToString();
    EXPECT_EQ(*decoded, data) << size;
  }
}

TEST_F(BlobTest, DecodeWithWrongIdIsCorruption) {
  const Bytes data = TextData(5000);
  const Id id = id_hash_.Hash(data);
  const Bytes sealed = Encode(id, data);
  const Id other = id_hash_.Hash(ToBytes("something else"));
  Result<Bytes> decoded = DecodeBlob(aead_, id_hash_, other, sealed);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(decoded.status().message(),
            "blob " + other.ShortHex() +
                ": authentication failed: the sealed message was altered, or sealed under "
                "another key or associated data");
}

TEST_F(BlobTest, DecodeOfContentNotMatchingItsIdIsCorruption) {
  // Sealed under `id` but holding other content: the AEAD opens, the hash check catches it.
  const Bytes data = TextData(5000);
  const Id id = crypto::RandomId();
  Result<Bytes> decoded = DecodeBlob(aead_, id_hash_, id, Encode(id, data));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(decoded.status().message(), "blob " + id.ShortHex() + ": content does not match id");
}

TEST_F(BlobTest, DecodeUnderAnotherKeyIsCorruption) {
  const Bytes data = TextData(5000);
  const Id id = id_hash_.Hash(data);
  const Bytes sealed = Encode(id, data);
  crypto::Aead other_key(crypto::RandomBytes(32));
  Result<Bytes> decoded = DecodeBlob(other_key, id_hash_, id, sealed);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption);
}

TEST_F(BlobTest, FlippedByteAnywhereIsCorruption) {
  const Bytes data = TextData(3000);
  const Id id = id_hash_.Hash(data);
  const Bytes sealed = Encode(id, data);
  const std::string expected =
      "blob " + id.ShortHex() +
      ": authentication failed: the sealed message was altered, or sealed under another key or "
      "associated data";
  for (size_t pos = 0; pos < sealed.size(); pos += 7) {
    Bytes damaged = sealed;
    damaged[pos] ^= 0x01;
    Result<Bytes> decoded = DecodeBlob(aead_, id_hash_, id, damaged);
    ASSERT_FALSE(decoded.ok()) << pos;
    EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption) << pos;
    EXPECT_EQ(decoded.status().message(), expected) << pos;
  }
}

TEST_F(BlobTest, TruncatedBlobIsCorruption) {
  const Bytes data = TextData(3000);
  const Id id = id_hash_.Hash(data);
  const Bytes sealed = Encode(id, data);
  for (size_t size : {size_t{0}, size_t{27}, size_t{28}, sealed.size() - 1}) {
    Result<Bytes> decoded = DecodeBlob(aead_, id_hash_, id, ByteView(sealed).first(size));
    ASSERT_FALSE(decoded.ok()) << size;
    EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption) << size;
  }
}

TEST_F(BlobTest, SealedSizeHidesExactLength) {
  const Bytes a = RandomData(100000, 1);
  const Bytes b = RandomData(100001, 2);
  const Bytes c = RandomData(100300, 3);
  const size_t sealed_a = Encode(id_hash_.Hash(a), a).size();
  EXPECT_EQ(sealed_a, Encode(id_hash_.Hash(b), b).size());
  EXPECT_EQ(sealed_a, Encode(id_hash_.Hash(c), c).size());
  EXPECT_EQ(sealed_a, PaddedLength(100000 + kInnerHeader) + crypto::Aead::kOverhead);
}

TEST_F(BlobTest, SealingTwiceGivesDifferentBytes) {
  const Bytes data = TextData(1000);
  const Id id = id_hash_.Hash(data);
  EXPECT_NE(Encode(id, data), Encode(id, data));
}

}  // namespace
}  // namespace lifeboat::repo
