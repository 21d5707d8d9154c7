#include "lifeboat/repo/chunker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

#include "lifeboat/crypto/sha256.h"
#include "lifeboat/util/id.h"

namespace lifeboat::repo {
namespace {

constexpr size_t kMiB = 1024 * 1024;

Bytes TestKey(uint8_t seed) {
  Bytes key(32, 0);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(seed * 31 + i);
  return key;
}

Bytes RandomBytes(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes data(size, 0);
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word = rng();
    for (int b = 0; b < 8; ++b) data[i + b] = static_cast<uint8_t>(word >> (8 * b));
  }
  for (; i < size; ++i) data[i] = static_cast<uint8_t>(rng());
  return data;
}

// Chunk lengths from cutting the whole buffer at once, the last chunk being the remainder.
std::vector<size_t> ChunkAll(const Chunker& chunker, ByteView data) {
  std::vector<size_t> lengths;
  while (!data.empty()) {
    size_t length = chunker.FindBoundary(data);
    lengths.push_back(length);
    data = data.subspan(length);
  }
  return lengths;
}

// Chunk lengths from the streaming protocol in chunker.h: the stream arrives in reads of
// read_size bytes and a chunk is emitted only once its cut is certain.
std::vector<size_t> ChunkStreaming(const Chunker& chunker, ByteView stream, size_t read_size) {
  std::vector<size_t> lengths;
  Bytes buffer;
  size_t read_offset = 0;
  while (true) {
    size_t length = chunker.FindBoundary(buffer);
    bool at_end = read_offset == stream.size();
    if (length < buffer.size() || buffer.size() >= chunker.params().max_size ||
        (at_end && !buffer.empty())) {
      lengths.push_back(length);
      buffer.erase(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(length));
      continue;
    }
    if (at_end) break;
    size_t n = std::min(read_size, stream.size() - read_offset);
    buffer.insert(buffer.end(), stream.begin() + static_cast<ptrdiff_t>(read_offset),
                  stream.begin() + static_cast<ptrdiff_t>(read_offset + n));
    read_offset += n;
  }
  return lengths;
}

std::map<Id, int> ChunkHashes(ByteView data, const std::vector<size_t>& lengths) {
  std::map<Id, int> hashes;
  size_t offset = 0;
  for (size_t length : lengths) {
    ++hashes[crypto::Sha256(data.subspan(offset, length))];
    offset += length;
  }
  return hashes;
}

TEST(Chunker, SameKeyGivesSameBoundaries) {
  Bytes data = RandomBytes(16 * kMiB, 1);
  Bytes key = TestKey(1);
  EXPECT_EQ(ChunkAll(Chunker(key), data), ChunkAll(Chunker(key), data));
}

TEST(Chunker, DifferentKeysGiveDifferentBoundaries) {
  Bytes data = RandomBytes(16 * kMiB, 2);
  std::vector<size_t> a = ChunkAll(Chunker(TestKey(1)), data);
  std::vector<size_t> b = ChunkAll(Chunker(TestKey(2)), data);
  ASSERT_GT(a.size(), 4u);
  ASSERT_GT(b.size(), 4u);
  EXPECT_NE(a.front(), b.front());
  EXPECT_NE(a, b);
}

TEST(Chunker, ChunksStayWithinSizeLimits) {
  Chunker chunker(TestKey(3));
  Bytes data = RandomBytes(64 * kMiB, 3);
  std::vector<size_t> lengths = ChunkAll(chunker, data);
  ASSERT_GT(lengths.size(), 2u);
  for (size_t i = 0; i + 1 < lengths.size(); ++i) {
    EXPECT_GE(lengths[i], chunker.params().min_size) << "chunk " << i;
    EXPECT_LE(lengths[i], chunker.params().max_size) << "chunk " << i;
  }
  EXPECT_LE(lengths.back(), chunker.params().max_size);
}

TEST(Chunker, MeanChunkSizeIsNearAverage) {
  Chunker chunker(TestKey(4));
  Bytes data = RandomBytes(64 * kMiB, 4);
  std::vector<size_t> lengths = ChunkAll(chunker, data);
  lengths.pop_back();  // the remainder is not a content-defined chunk
  ASSERT_FALSE(lengths.empty());
  double total = 0;
  for (size_t length : lengths) total += static_cast<double>(length);
  double mean = total / static_cast<double>(lengths.size());
  EXPECT_GT(mean, 0.75 * kMiB);
  EXPECT_LT(mean, 1.25 * kMiB);
}

TEST(Chunker, InsertedByteChangesFewChunks) {
  Chunker chunker(TestKey(5));
  Bytes original = RandomBytes(32 * kMiB, 5);
  Bytes edited = original;
  edited.insert(edited.begin() + static_cast<ptrdiff_t>(edited.size() / 2), 0x42);

  std::map<Id, int> before = ChunkHashes(original, ChunkAll(chunker, original));
  std::map<Id, int> after = ChunkHashes(edited, ChunkAll(chunker, edited));
  int new_chunks = 0;
  for (const auto& [hash, count] : after) {
    if (!before.contains(hash)) new_chunks += count;
  }
  EXPECT_GE(new_chunks, 1);
  EXPECT_LE(new_chunks, 3);
}

TEST(Chunker, ZerosCutAtMaxSize) {
  Chunker chunker(TestKey(6));
  Bytes zeros(3 * chunker.params().max_size);
  EXPECT_EQ(chunker.FindBoundary(zeros), chunker.params().max_size);
}

TEST(Chunker, ShortInputIsOneChunk) {
  Chunker chunker(TestKey(7));
  Bytes data = RandomBytes(chunker.params().min_size - 1, 7);
  EXPECT_EQ(chunker.FindBoundary(data), data.size());
  EXPECT_EQ(chunker.FindBoundary(ByteView(data).first(10)), 10u);
  EXPECT_EQ(chunker.FindBoundary(ByteView()), 0u);
}

TEST(Chunker, ReturnsInputSizeWhenNoCutBeforeEnd) {
  Chunker chunker(TestKey(8));
  Bytes data = RandomBytes(16 * kMiB, 8);
  size_t cut = chunker.FindBoundary(data);
  ASSERT_LT(cut, data.size());
  // Any prefix that ends before the cut holds no cut of its own.
  size_t prefix = cut - 1;
  ASSERT_GE(prefix, chunker.params().min_size);
  EXPECT_EQ(chunker.FindBoundary(ByteView(data).first(prefix)), prefix);
  EXPECT_EQ(chunker.FindBoundary(ByteView(data).first(cut)), cut);
}

TEST(Chunker, StreamingMatchesOneShot) {
  Chunker chunker(TestKey(9));
  Bytes data = RandomBytes(40 * kMiB + 12345, 9);
  EXPECT_EQ(ChunkStreaming(chunker, data, 64 * 1024), ChunkAll(chunker, data));
}

TEST(Chunker, StreamingMatchesOneShotOnZeros) {
  Chunker chunker(TestKey(10));
  Bytes data(20 * kMiB + 7, 0);
  EXPECT_EQ(ChunkStreaming(chunker, data, 1024 * 1024), ChunkAll(chunker, data));
}

TEST(Chunker, SmallParametersWork) {
  Chunker chunker(TestKey(11), {.min_size = 16, .average_size = 64, .max_size = 256});
  Bytes data = RandomBytes(1 * kMiB, 11);
  std::vector<size_t> lengths = ChunkAll(chunker, data);
  for (size_t i = 0; i + 1 < lengths.size(); ++i) {
    EXPECT_GE(lengths[i], 16u);
    EXPECT_LE(lengths[i], 256u);
  }
  double mean = static_cast<double>(data.size()) / static_cast<double>(lengths.size());
  EXPECT_GT(mean, 0.75 * 64);
  EXPECT_LT(mean, 1.25 * 64);
  EXPECT_EQ(ChunkStreaming(chunker, data, 100), lengths);
}

TEST(ChunkerDeathTest, RejectsAverageThatIsNotAPowerOfTwo) {
  EXPECT_DEATH(Chunker(TestKey(1), {.min_size = 1000, .average_size = 3000, .max_size = 9000}),
               "power of two");
}

TEST(ChunkerDeathTest, RejectsMinimumAboveAverage) {
  EXPECT_DEATH(Chunker(TestKey(1), {.min_size = 8192, .average_size = 4096, .max_size = 9000}),
               "min <= average <= max");
}

}  // namespace
}  // namespace lifeboat::repo
