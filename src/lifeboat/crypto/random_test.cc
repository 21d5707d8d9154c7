#include "lifeboat/crypto/random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <set>
#include <vector>

namespace lifeboat::crypto {
namespace {

TEST(RandomBelow, StaysWithinBounds) {
  for (int i = 0; i < 100; ++i) EXPECT_EQ(RandomBelow(1), 0u);
  std::set<uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const uint64_t value = RandomBelow(7);
    ASSERT_LT(value, 7u);
    seen.insert(value);
  }
  EXPECT_EQ(seen.size(), 7u);
  const uint64_t huge = std::numeric_limits<uint64_t>::max();
  for (int i = 0; i < 100; ++i) EXPECT_LT(RandomBelow(huge), huge);
}

TEST(RandomBelow, IsRoughlyUniform) {
  constexpr int kBuckets = 10;
  constexpr int kDraws = 100000;
  std::vector<int> counts(kBuckets, 0);
  for (int i = 0; i < kDraws; ++i) ++counts[RandomBelow(kBuckets)];
  double chi_square = 0;
  const double expected = double{kDraws} / kBuckets;
  for (int count : counts) chi_square += (count - expected) * (count - expected) / expected;
  // With 9 degrees of freedom, a uniform source exceeds 40 about once in 200,000 runs.
  EXPECT_LT(chi_square, 40.0);
}

TEST(RandomId, IsDistinctEachTime) {
  std::set<Id> ids;
  for (int i = 0; i < 1000; ++i) {
    const Id id = RandomId();
    EXPECT_FALSE(id.IsZero());
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(RandomBytes, HasRequestedSize) {
  EXPECT_TRUE(RandomBytes(0).empty());
  EXPECT_EQ(RandomBytes(33).size(), 33u);
  EXPECT_NE(RandomBytes(32), RandomBytes(32));
}

TEST(FillRandom, FillsWholeBuffer) {
  // Every 4 KiB page of a 1 MiB buffer must change; all zeros left anywhere means a short fill.
  std::vector<uint8_t> buffer(1 << 20, 0);
  FillRandom(buffer);
  for (size_t page = 0; page < buffer.size(); page += 4096) {
    EXPECT_TRUE(std::any_of(buffer.begin() + page, buffer.begin() + page + 4096,
                            [](uint8_t b) { return b != 0; }))
        << "page at " << page;
  }
}

TEST(RandomBelowDeathTest, RejectsZeroBound) { EXPECT_DEATH(RandomBelow(0), "positive bound"); }

}  // namespace
}  // namespace lifeboat::crypto
