#include "lifeboat/repo/index.h"

#include <gtest/gtest.h>

#include <random>

namespace lifeboat::repo {
namespace {

constexpr uint32_t kMax24 = (1u << 24) - 1;

class IdSource {
 public:
  explicit IdSource(uint64_t seed) : rng_(seed) {}
  Id Next() {
    Id id;
    for (uint8_t& byte : id.bytes) byte = static_cast<uint8_t>(rng_());
    return id;
  }
  uint32_t Below(uint32_t bound) { return static_cast<uint32_t>(rng_() % bound); }

 private:
  std::mt19937_64 rng_;
};

// Packs of `blobs_per_pack` blobs with random ids and locations that fit the index.
std::vector<IndexedPack> RandomPacks(IdSource& ids, int packs, int blobs_per_pack) {
  std::vector<IndexedPack> out(packs);
  for (IndexedPack& pack : out) {
    pack.pack = ids.Next();
    for (int i = 0; i < blobs_per_pack; ++i) {
      pack.blobs.push_back(PackedBlob{i % 5 == 0 ? BlobType::kTree : BlobType::kData, ids.Next(),
                                      ids.Below(kMax24 + 1), ids.Below(kMax24 + 1),
                                      ids.Below(kMaxBlobSize + 1)});
    }
  }
  return out;
}

void ExpectLocated(const Index& index, const IndexedPack& pack, const PackedBlob& blob) {
  std::optional<BlobLocation> found = index.Lookup(blob.id);
  ASSERT_TRUE(found.has_value()) << blob.id.Hex();
  EXPECT_EQ(found->pack, pack.pack);
  EXPECT_EQ(found->offset, blob.offset);
  EXPECT_EQ(found->length, blob.length);
  EXPECT_TRUE(index.Contains(blob.id));
}

void ExpectSamePacks(const std::vector<IndexedPack>& a, const std::vector<IndexedPack>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].pack, b[i].pack) << i;
    EXPECT_EQ(a[i].blobs, b[i].blobs) << i;
  }
}

TEST(Index, EmptyIndexFindsNothing) {
  Index index;
  IdSource ids(1);
  EXPECT_FALSE(index.Lookup(ids.Next()).has_value());
  index.Compact();
  EXPECT_FALSE(index.Contains(ids.Next()));
  EXPECT_FALSE(index.Contains(Id{}));
  EXPECT_EQ(index.blob_count(), 0u);
  EXPECT_EQ(index.pack_count(), 0u);
}

TEST(Index, StagedBlobsAreFoundAfterCompact) {
  IdSource ids(2);
  const std::vector<IndexedPack> packs = RandomPacks(ids, 300, 20);
  Index index;
  for (const IndexedPack& pack : packs) index.AddStaged(pack);
  // Staged entries are not visible before Compact.
  EXPECT_FALSE(index.Contains(packs[0].blobs[0].id));
  index.Compact();
  EXPECT_EQ(index.blob_count(), 6000u);
  EXPECT_EQ(index.pack_count(), 300u);
  for (const IndexedPack& pack : packs) {
    for (const PackedBlob& blob : pack.blobs) ExpectLocated(index, pack, blob);
  }
  for (int i = 0; i < 6000; ++i) EXPECT_FALSE(index.Lookup(ids.Next()).has_value());
}

TEST(Index, MissesIdsThatDifferInTheStoredBytes) {
  IdSource ids(3);
  const std::vector<IndexedPack> packs = RandomPacks(ids, 10, 100);
  Index index;
  for (const IndexedPack& pack : packs) index.AddStaged(pack);
  index.Compact();
  for (const IndexedPack& pack : packs) {
    for (const PackedBlob& blob : pack.blobs) {
      // Same bucket (first two bytes), different stored suffix.
      for (size_t byte : {2, 15, 30}) {
        Id near = blob.id;
        near.bytes[byte] ^= 0x01;
        EXPECT_FALSE(index.Contains(near)) << blob.id.Hex() << " byte " << byte;
      }
    }
  }
}

TEST(Index, AddPackIsVisibleBeforeCompact) {
  IdSource ids(4);
  const std::vector<IndexedPack> packs = RandomPacks(ids, 3, 50);
  Index index;
  index.AddPack(packs[0]);
  for (const PackedBlob& blob : packs[0].blobs) ExpectLocated(index, packs[0], blob);
  EXPECT_EQ(index.blob_count(), 50u);
  index.AddPack(packs[1]);
  for (const PackedBlob& blob : packs[1].blobs) ExpectLocated(index, packs[1], blob);
  EXPECT_FALSE(index.Contains(packs[2].blobs[0].id));
  EXPECT_EQ(index.blob_count(), 100u);
  EXPECT_EQ(index.pack_count(), 2u);
}

TEST(Index, CompactMergesRecentAndExisting) {
  IdSource ids(5);
  const std::vector<IndexedPack> packs = RandomPacks(ids, 40, 50);
  Index index;
  for (int i = 0; i < 20; ++i) index.AddStaged(packs[i]);
  index.Compact();
  for (int i = 20; i < 30; ++i) index.AddPack(packs[i]);
  EXPECT_EQ(index.blob_count(), 1500u);
  index.Compact();
  EXPECT_EQ(index.blob_count(), 1500u);
  for (int i = 30; i < 35; ++i) index.AddStaged(packs[i]);
  for (int i = 35; i < 40; ++i) index.AddPack(packs[i]);
  index.Compact();
  EXPECT_EQ(index.blob_count(), 2000u);
  EXPECT_EQ(index.pack_count(), 40u);
  for (const IndexedPack& pack : packs) {
    for (const PackedBlob& blob : pack.blobs) ExpectLocated(index, pack, blob);
  }
  // Compacting with nothing new changes nothing.
  index.Compact();
  EXPECT_EQ(index.blob_count(), 2000u);
  ExpectLocated(index, packs[7], packs[7].blobs[3]);
}

TEST(Index, DuplicateStagedBlobKeepsTheFirstLocation) {
  IdSource ids(6);
  std::vector<IndexedPack> packs = RandomPacks(ids, 2, 30);
  // The second pack holds the first pack's blobs too, at other offsets.
  IndexedPack copy{ids.Next(), packs[0].blobs};
  for (PackedBlob& blob : copy.blobs) blob.offset = ids.Below(kMax24);
  Index index;
  index.AddStaged(packs[0]);
  index.AddStaged(copy);
  index.AddStaged(packs[1]);
  index.Compact();
  EXPECT_EQ(index.blob_count(), 60u);
  for (const PackedBlob& blob : packs[0].blobs) ExpectLocated(index, packs[0], blob);
}

TEST(Index, DuplicateRecentBlobKeepsTheFirstLocation) {
  IdSource ids(7);
  std::vector<IndexedPack> packs = RandomPacks(ids, 1, 30);
  IndexedPack copy{ids.Next(), packs[0].blobs};
  for (PackedBlob& blob : copy.blobs) blob.offset = ids.Below(kMax24);
  Index index;
  index.AddPack(packs[0]);
  index.AddPack(copy);
  EXPECT_EQ(index.blob_count(), 30u);
  for (const PackedBlob& blob : packs[0].blobs) ExpectLocated(index, packs[0], blob);
  index.Compact();
  EXPECT_EQ(index.blob_count(), 30u);
  for (const PackedBlob& blob : packs[0].blobs) ExpectLocated(index, packs[0], blob);
}

TEST(Index, BlobAddedAgainAfterCompactKeepsTheFirstLocation) {
  IdSource ids(8);
  std::vector<IndexedPack> packs = RandomPacks(ids, 1, 200);
  // Half the ids end in a zero byte, half do not: the index does not keep the last byte.
  for (size_t i = 0; i < packs[0].blobs.size(); ++i) {
    if (i % 2 == 0) packs[0].blobs[i].id.bytes[31] = 0;
    if (i % 2 == 1 && packs[0].blobs[i].id.bytes[31] == 0) packs[0].blobs[i].id.bytes[31] = 1;
  }
  IndexedPack copy{ids.Next(), packs[0].blobs};
  for (PackedBlob& blob : copy.blobs) blob.offset = ids.Below(kMax24);

  Index index;
  index.AddStaged(packs[0]);
  index.Compact();
  index.AddPack(copy);
  for (const PackedBlob& blob : packs[0].blobs) ExpectLocated(index, packs[0], blob);
  index.Compact();
  EXPECT_EQ(index.blob_count(), 200u);
  for (const PackedBlob& blob : packs[0].blobs) ExpectLocated(index, packs[0], blob);

  // The same through staging, as a second LoadIndex-style pass would do.
  index.AddStaged(copy);
  index.Compact();
  EXPECT_EQ(index.blob_count(), 200u);
  for (const PackedBlob& blob : packs[0].blobs) ExpectLocated(index, packs[0], blob);
}

TEST(Index, StoresLocationsUpToTwentyFourBits) {
  IdSource ids(9);
  IndexedPack pack{ids.Next(),
                   {PackedBlob{BlobType::kData, ids.Next(), kMax24, kMax24, kMaxBlobSize},
                    PackedBlob{BlobType::kData, ids.Next(), 0, 0, 0}}};
  Index index;
  index.AddStaged(pack);
  index.Compact();
  ExpectLocated(index, pack, pack.blobs[0]);
  ExpectLocated(index, pack, pack.blobs[1]);
}

TEST(Index, ManyBlobsInOneBucket) {
  IdSource ids(10);
  IndexedPack pack{ids.Next(), {}};
  for (uint32_t i = 0; i < 3000; ++i) {
    Id id = ids.Next();
    id.bytes[0] = 0xab;
    id.bytes[1] = 0xcd;
    pack.blobs.push_back(PackedBlob{BlobType::kData, id, i, i + 1, i + 2});
  }
  Index index;
  index.AddStaged(pack);
  index.Compact();
  for (const PackedBlob& blob : pack.blobs) ExpectLocated(index, pack, blob);
  Id miss = ids.Next();
  miss.bytes[0] = 0xab;
  miss.bytes[1] = 0xcd;
  EXPECT_FALSE(index.Contains(miss));
}

TEST(IndexPayload, RoundTrips) {
  IdSource ids(11);
  std::vector<IndexedPack> packs = RandomPacks(ids, 7, 33);
  packs.push_back(IndexedPack{ids.Next(), {}});  // a pack with no blobs
  const Bytes payload = EncodeIndexPayload(packs);
  Result<std::vector<IndexedPack>> decoded = DecodeIndexPayload(payload);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ExpectSamePacks(*decoded, packs);
  EXPECT_EQ(EncodeIndexPayload(*decoded), payload);
}

TEST(IndexPayload, EmptyRoundTripsAndHasAFixedEncoding) {
  const Bytes payload = EncodeIndexPayload({});
  EXPECT_EQ(payload, (Bytes{'L', 'B', 'I', 'X', 1, 0}));
  Result<std::vector<IndexedPack>> decoded = DecodeIndexPayload(payload);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->empty());
}

TEST(IndexPayload, HasAStableEncoding) {
  Id pack_id;
  pack_id.bytes.fill(0x11);
  Id blob_id;
  blob_id.bytes.fill(0x22);
  const Bytes payload =
      EncodeIndexPayload({IndexedPack{pack_id, {PackedBlob{BlobType::kTree, blob_id, 300, 5, 1}}}});
  Bytes expected = {'L', 'B', 'I', 'X', 1, 1};
  expected.insert(expected.end(), 32, 0x11);
  expected.push_back(1);  // blob count
  expected.push_back(1);  // type: tree
  expected.insert(expected.end(), 32, 0x22);
  expected.insert(expected.end(), {0xac, 0x02, 5, 1});  // offset 300, length, raw length
  EXPECT_EQ(payload, expected);
}

void ExpectMalformed(ByteView payload, const std::string& what) {
  Result<std::vector<IndexedPack>> decoded = DecodeIndexPayload(payload);
  ASSERT_FALSE(decoded.ok()) << what;
  EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption) << what;
  EXPECT_EQ(decoded.status().message(), "index file is malformed") << what;
}

TEST(IndexPayload, RejectsBadMagic) {
  IdSource ids(12);
  Bytes payload = EncodeIndexPayload(RandomPacks(ids, 2, 3));
  payload[0] = 'X';
  ExpectMalformed(payload, "bad magic");
  ExpectMalformed(Bytes{}, "empty");
  ExpectMalformed(ToBytes("LBIX"), "magic only");
  ExpectMalformed(ToBytes("lbix\x01"), "lowercase magic");
}

TEST(IndexPayload, RejectsUnknownVersion) {
  IdSource ids(13);
  Bytes payload = EncodeIndexPayload(RandomPacks(ids, 2, 3));
  for (uint8_t version : {0, 2, 255}) {
    payload[4] = version;
    Result<std::vector<IndexedPack>> decoded = DecodeIndexPayload(payload);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(decoded.status().message(), "index file has an unknown version");
  }
}

TEST(IndexPayload, RejectsEveryTruncation) {
  IdSource ids(14);
  const Bytes payload = EncodeIndexPayload(RandomPacks(ids, 3, 4));
  for (size_t size = 0; size < payload.size(); ++size) {
    ExpectMalformed(ByteView(payload).first(size), "truncated to " + std::to_string(size));
  }
}

TEST(IndexPayload, RejectsTrailingBytes) {
  IdSource ids(15);
  Bytes payload = EncodeIndexPayload(RandomPacks(ids, 2, 3));
  payload.push_back(0);
  ExpectMalformed(payload, "trailing zero");
  Bytes empty = EncodeIndexPayload({});
  empty.push_back(7);
  ExpectMalformed(empty, "trailing byte after empty");
}

TEST(IndexPayload, RejectsLocationsBeyondTwentyFourBits) {
  IdSource ids(16);
  const Id pack = ids.Next();
  const Id blob = ids.Next();
  auto with = [&](uint32_t offset, uint32_t length, uint32_t raw) {
    return EncodeIndexPayload(
        {IndexedPack{pack, {PackedBlob{BlobType::kData, blob, offset, length, raw}}}});
  };
  ASSERT_TRUE(DecodeIndexPayload(with(kMax24, kMax24, kMaxBlobSize)).ok());
  ExpectMalformed(with(kMax24 + 1, 10, 10), "offset");
  ExpectMalformed(with(0, kMax24 + 1, 10), "length");
  ExpectMalformed(with(0, 10, kMaxBlobSize + 1), "raw length");
  ExpectMalformed(with(0xffffffff, 10, 10), "offset 2^32-1");
}

TEST(IndexPayload, RejectsUnknownBlobType) {
  Id pack;
  pack.bytes.fill(1);
  Bytes payload = EncodeIndexPayload({IndexedPack{pack, {PackedBlob{}}}});
  payload[4 + 1 + 1 + 32 + 1] = 2;  // magic, version, pack count, pack id, blob count
  ExpectMalformed(payload, "blob type 2");
}

TEST(IndexPayload, RejectsHugeCountsWithoutAllocating) {
  Bytes payload = {'L', 'B', 'I', 'X', 1};
  for (uint8_t byte : {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}) {
    payload.push_back(byte);
  }
  ExpectMalformed(payload, "huge pack count");

  Id pack;
  Bytes huge_blobs = {'L', 'B', 'I', 'X', 1, 1};
  huge_blobs.insert(huge_blobs.end(), pack.bytes.begin(), pack.bytes.end());
  for (uint8_t byte : {0xff, 0xff, 0xff, 0xff, 0x0f}) huge_blobs.push_back(byte);
  ExpectMalformed(huge_blobs, "huge blob count");
}

}  // namespace
}  // namespace lifeboat::repo
