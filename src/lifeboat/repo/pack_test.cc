#include "lifeboat/repo/pack.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "lifeboat/crypto/random.h"
#include "lifeboat/crypto/sha256.h"

namespace lifeboat::repo {
namespace {

Bytes RandomData(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes data(size, 0);
  for (uint8_t& byte : data) byte = static_cast<uint8_t>(rng());
  return data;
}

struct Added {
  BlobType type;
  Bytes plaintext;
  Bytes sealed;
};

class PackTest : public ::testing::Test {
 protected:
  // Adds `count` blobs of varied sizes and types to builder_; returns them by id.
  std::map<Id, Added> AddBlobs(int count, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::map<Id, Added> added;
    for (int i = 0; i < count; ++i) {
      Added blob;
      blob.type = i % 3 == 0 ? BlobType::kTree : BlobType::kData;
      blob.plaintext = RandomData(rng() % 5000, rng());
      const Id id = id_hash_.Hash(blob.plaintext);
      blob.sealed = EncodeBlob(aead_, id, blob.plaintext, true, {});
      builder_.Add(blob.type, id, blob.sealed, static_cast<uint32_t>(blob.plaintext.size()));
      added.emplace(id, std::move(blob));
    }
    return added;
  }

  crypto::Aead aead_{crypto::RandomBytes(32)};
  crypto::KeyedHash id_hash_{crypto::RandomBytes(32)};
  PackBuilder builder_{&aead_};
};

void Flip(Bytes& data, size_t pos) { data[pos] ^= 0x40; }

void SetHeaderLength(Bytes& pack, uint32_t length) {
  for (int i = 0; i < 4; ++i) pack[pack.size() - 4 + i] = static_cast<uint8_t>(length >> (8 * i));
}

uint32_t HeaderLength(const Bytes& pack) { return LoadU32(pack.data() + pack.size() - 4); }

TEST_F(PackTest, HeaderListsEveryBlobAtItsLocation) {
  const std::map<Id, Added> added = AddBlobs(40, 1);
  EXPECT_EQ(builder_.count(), 40u);
  FinishedPack pack = builder_.Finish();
  EXPECT_EQ(builder_.count(), 0u);
  EXPECT_EQ(builder_.size(), 0u);

  Result<std::vector<PackedBlob>> parsed = ParsePackHeader(aead_, pack.data, pack.data.size());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), added.size());
  // The header lists the blobs in pack order, as Finish reported them.
  EXPECT_EQ(*parsed, pack.blobs);

  std::map<Id, PackedBlob> by_id;
  for (const PackedBlob& blob : *parsed) by_id.emplace(blob.id, blob);
  ASSERT_EQ(by_id.size(), added.size());
  for (const auto& [id, blob] : added) {
    auto it = by_id.find(id);
    ASSERT_NE(it, by_id.end()) << id.Hex();
    const PackedBlob& packed = it->second;
    EXPECT_EQ(packed.type, blob.type);
    EXPECT_EQ(packed.raw_length, blob.plaintext.size());
    ASSERT_EQ(packed.length, blob.sealed.size());
    ASSERT_LE(uint64_t{packed.offset} + packed.length, pack.data.size());
    const ByteView located = ByteView(pack.data).subspan(packed.offset, packed.length);
    EXPECT_TRUE(std::equal(located.begin(), located.end(), blob.sealed.begin()));
    Result<Bytes> plaintext = DecodeBlob(aead_, id_hash_, id, located);
    ASSERT_TRUE(plaintext.ok()) << plaintext.status().ToString();
    EXPECT_EQ(*plaintext, blob.plaintext);
  }
}

TEST_F(PackTest, BlobsAreLaidOutBackToBackFromOffsetZero) {
  AddBlobs(20, 2);
  FinishedPack pack = builder_.Finish();
  uint64_t offset = 0;
  for (const PackedBlob& blob : pack.blobs) {
    EXPECT_EQ(blob.offset, offset);
    offset += blob.length;
  }
  EXPECT_EQ(pack.data.size(), offset + 20 * kPackHeaderEntrySize + crypto::Aead::kOverhead + 4);
  EXPECT_EQ(HeaderLength(pack.data), 20 * kPackHeaderEntrySize + crypto::Aead::kOverhead);
}

TEST_F(PackTest, BuilderReusesTheSpareBufferForTheNextPack) {
  Bytes data = RandomData(1000, 5);
  Id id = id_hash_.Hash(data);
  builder_.Add(BlobType::kData, id, EncodeBlob(aead_, id, data, false, {}), 1000);
  Bytes spare;
  spare.reserve(1 << 20);
  const uint8_t* spare_memory = spare.data();
  FinishedPack first = builder_.Finish(std::move(spare));
  EXPECT_EQ(first.blobs.size(), 1u);
  builder_.Add(BlobType::kData, id, EncodeBlob(aead_, id, data, false, {}), 1000);
  FinishedPack second = builder_.Finish();
  EXPECT_EQ(second.data.data(), spare_memory);
  EXPECT_EQ(second.blobs.size(), 1u);
  EXPECT_EQ(second.blobs[0].offset, 0u);
}

TEST_F(PackTest, IdIsSha256OfTheData) {
  AddBlobs(5, 3);
  FinishedPack pack = builder_.Finish();
  EXPECT_EQ(pack.id, crypto::Sha256(pack.data));
}

TEST_F(PackTest, SizeCountsSealedBytes) {
  builder_.Add(BlobType::kData, crypto::RandomId(), Bytes(1000, 0), 900);
  builder_.Add(BlobType::kData, crypto::RandomId(), Bytes(234, 0), 200);
  EXPECT_EQ(builder_.size(), 1234u);
  EXPECT_EQ(builder_.count(), 2u);
  EXPECT_FALSE(builder_.full());
}

TEST_F(PackTest, EmptyPackHasAnEmptyHeader) {
  FinishedPack pack = builder_.Finish();
  EXPECT_TRUE(pack.blobs.empty());
  EXPECT_EQ(pack.data.size(), crypto::Aead::kOverhead + 4);
  Result<std::vector<PackedBlob>> parsed = ParsePackHeader(aead_, pack.data, pack.data.size());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(parsed->empty());
}

TEST_F(PackTest, ParsesFromATailHoldingJustTheHeader) {
  AddBlobs(10, 4);
  FinishedPack pack = builder_.Finish();
  Result<uint64_t> span = PackHeaderSpan(ByteView(pack.data).last(4), pack.data.size());
  ASSERT_TRUE(span.ok()) << span.status().ToString();
  EXPECT_EQ(*span, HeaderLength(pack.data) + 4u);

  Result<std::vector<PackedBlob>> parsed =
      ParsePackHeader(aead_, ByteView(pack.data).last(*span), pack.data.size());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, pack.blobs);

  Result<std::vector<PackedBlob>> short_tail =
      ParsePackHeader(aead_, ByteView(pack.data).last(*span - 1), pack.data.size());
  ASSERT_FALSE(short_tail.ok());
  EXPECT_EQ(short_tail.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(short_tail.status().message(), "pack tail does not hold the whole header");
}

TEST_F(PackTest, HeaderUnderAnotherKeyIsCorruption) {
  AddBlobs(3, 5);
  FinishedPack pack = builder_.Finish();
  crypto::Aead other(crypto::RandomBytes(32));
  Result<std::vector<PackedBlob>> parsed = ParsePackHeader(other, pack.data, pack.data.size());
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(parsed.status().message(),
            "pack header: authentication failed: the sealed message was altered, or sealed "
            "under another key or associated data");
}

TEST_F(PackTest, FlippedHeaderByteIsCorruption) {
  AddBlobs(10, 6);
  FinishedPack pack = builder_.Finish();
  const size_t header_start = pack.data.size() - 4 - HeaderLength(pack.data);
  for (size_t pos = header_start; pos < pack.data.size() - 4; pos += 5) {
    Bytes damaged = pack.data;
    Flip(damaged, pos);
    Result<std::vector<PackedBlob>> parsed = ParsePackHeader(aead_, damaged, damaged.size());
    ASSERT_FALSE(parsed.ok()) << pos;
    EXPECT_EQ(parsed.status().code(), StatusCode::kCorruption) << pos;
    EXPECT_EQ(parsed.status().message(),
              "pack header: authentication failed: the sealed message was altered, or sealed "
              "under another key or associated data")
        << pos;
  }
}

TEST_F(PackTest, WrongHeaderLengthIsCorruption) {
  AddBlobs(10, 7);
  FinishedPack pack = builder_.Finish();
  const uint32_t length = HeaderLength(pack.data);
  const std::string auth_failed =
      "pack header: authentication failed: the sealed message was altered, or sealed under "
      "another key or associated data";
  struct Case {
    uint32_t length;
    std::string message;
  };
  const std::vector<Case> cases = {
      {length + 1, auth_failed},
      {length - 1, auth_failed},
      {static_cast<uint32_t>(length + kPackHeaderEntrySize), auth_failed},
      {0, "pack header length is out of range"},
      {crypto::Aead::kOverhead - 1, "pack header length is out of range"},
      {static_cast<uint32_t>(pack.data.size() - 3), "pack header length is out of range"},
      {0xffffffff, "pack header length is out of range"},
  };
  for (const Case& c : cases) {
    Bytes damaged = pack.data;
    SetHeaderLength(damaged, c.length);
    Result<std::vector<PackedBlob>> parsed = ParsePackHeader(aead_, damaged, damaged.size());
    ASSERT_FALSE(parsed.ok()) << c.length;
    EXPECT_EQ(parsed.status().code(), StatusCode::kCorruption) << c.length;
    EXPECT_EQ(parsed.status().message(), c.message) << c.length;
  }
}

TEST_F(PackTest, TruncatedPackIsCorruption) {
  AddBlobs(10, 8);
  FinishedPack pack = builder_.Finish();
  // 10 entries: the header length is 438 = 0x1b6, so dropping the last byte leaves a length
  // field whose top byte is 0xb6: far larger than the pack.
  ASSERT_EQ(HeaderLength(pack.data), 10 * kPackHeaderEntrySize + crypto::Aead::kOverhead);
  {
    Bytes truncated(pack.data.begin(), pack.data.end() - 1);
    Result<std::vector<PackedBlob>> parsed = ParsePackHeader(aead_, truncated, truncated.size());
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(parsed.status().message(), "pack header length is out of range");
  }
  {
    // The front of the pack lost: the header is intact but lists more data than is left.
    Bytes truncated(pack.data.begin() + 1, pack.data.end());
    Result<std::vector<PackedBlob>> parsed = ParsePackHeader(aead_, truncated, truncated.size());
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(parsed.status().message(), "pack header lists more data than the pack holds");
  }
  {
    // Extra bytes before the header that it does not list.
    Bytes longer = pack.data;
    longer.insert(longer.begin(), 0);
    Result<std::vector<PackedBlob>> parsed = ParsePackHeader(aead_, longer, longer.size());
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(parsed.status().message(), "pack holds data its header does not list");
  }
  for (size_t size : {0, 3, 4, 31}) {
    Bytes truncated(pack.data.end() - static_cast<ptrdiff_t>(size), pack.data.end());
    Result<std::vector<PackedBlob>> parsed = ParsePackHeader(aead_, truncated, truncated.size());
    ASSERT_FALSE(parsed.ok()) << size;
    EXPECT_EQ(parsed.status().code(), StatusCode::kCorruption) << size;
    EXPECT_EQ(parsed.status().message(), "pack is too short to hold a header") << size;
  }
}

TEST_F(PackTest, EveryTruncationFails) {
  AddBlobs(4, 9);
  FinishedPack pack = builder_.Finish();
  for (size_t size = 0; size < pack.data.size(); ++size) {
    ByteView truncated = ByteView(pack.data).first(size);
    Result<std::vector<PackedBlob>> parsed = ParsePackHeader(aead_, truncated, size);
    ASSERT_FALSE(parsed.ok()) << size;
    EXPECT_EQ(parsed.status().code(), StatusCode::kCorruption) << size;
  }
}

TEST(PackHeaderSpan, RejectsBadInput) {
  Bytes last4 = {28, 0, 0, 0};
  Result<uint64_t> span = PackHeaderSpan(last4, 32);
  ASSERT_TRUE(span.ok()) << span.status().ToString();
  EXPECT_EQ(*span, 32u);

  Result<uint64_t> short_pack = PackHeaderSpan(last4, 31);
  ASSERT_FALSE(short_pack.ok());
  EXPECT_EQ(short_pack.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(short_pack.status().message(), "pack is too short to hold a header");

  Result<uint64_t> three_bytes = PackHeaderSpan(ByteView(last4).first(3), 1000);
  ASSERT_FALSE(three_bytes.ok());
  EXPECT_EQ(three_bytes.status().message(), "pack is too short to hold a header");

  Bytes too_long = {29, 0, 0, 0};
  Result<uint64_t> out_of_range = PackHeaderSpan(too_long, 32);
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_EQ(out_of_range.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(out_of_range.status().message(), "pack header length is out of range");
}

TEST_F(PackTest, WouldOverflowNeverRefusesTheFirstBlob) {
  EXPECT_FALSE(builder_.WouldOverflow(0));
  EXPECT_FALSE(builder_.WouldOverflow(kPackMaxDataSize + 1));
  EXPECT_FALSE(builder_.WouldOverflow(size_t{1} << 30));
}

TEST_F(PackTest, WouldOverflowWhenDataWouldPassTheMaximum) {
  builder_.Add(BlobType::kData, crypto::RandomId(), Bytes(1000, 0), 1000);
  EXPECT_FALSE(builder_.WouldOverflow(0));
  EXPECT_FALSE(builder_.WouldOverflow(kPackMaxDataSize - 1000));
  EXPECT_TRUE(builder_.WouldOverflow(kPackMaxDataSize - 1000 + 1));

  builder_.Add(BlobType::kData, crypto::RandomId(), Bytes(kPackMaxDataSize - 1000), 1);
  EXPECT_EQ(builder_.size(), kPackMaxDataSize);
  EXPECT_FALSE(builder_.WouldOverflow(0));
  EXPECT_TRUE(builder_.WouldOverflow(1));
  // Every offset and length stays within the index's 24 bits.
  FinishedPack pack = builder_.Finish();
  for (const PackedBlob& blob : pack.blobs) {
    EXPECT_LE(uint64_t{blob.offset} + blob.length, kPackMaxDataSize);
  }
  EXPECT_FALSE(builder_.WouldOverflow(kPackMaxDataSize));
}

TEST_F(PackTest, FullAtTheTargetSize) {
  builder_.Add(BlobType::kData, crypto::RandomId(), Bytes(kPackTargetSize - 1), 1);
  EXPECT_FALSE(builder_.full());
  builder_.Add(BlobType::kData, crypto::RandomId(), Bytes(1, 0), 1);
  EXPECT_TRUE(builder_.full());
  static_assert(kPackTargetSize < kPackMaxDataSize);
}

}  // namespace
}  // namespace lifeboat::repo
