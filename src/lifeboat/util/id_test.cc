#include "lifeboat/util/id.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_set>

namespace lifeboat {
namespace {

Id Sequential(uint8_t start) {
  Id id;
  for (size_t i = 0; i < Id::kSize; ++i) id.bytes[i] = static_cast<uint8_t>(start + i);
  return id;
}

TEST(Id, DefaultIsZero) {
  Id id;
  EXPECT_TRUE(id.IsZero());
  EXPECT_EQ(id.Hex(), std::string(64, '0'));
  EXPECT_FALSE(Sequential(1).IsZero());
  Id last_byte_set;
  last_byte_set.bytes[31] = 1;
  EXPECT_FALSE(last_byte_set.IsZero());
}

TEST(Id, HexIs64LowercaseDigits) {
  Id id = Sequential(0xe0);
  std::string hex = id.Hex();
  ASSERT_EQ(hex.size(), 64u);
  EXPECT_EQ(hex.substr(0, 8), "e0e1e2e3");
  EXPECT_EQ(id.ShortHex(), "e0e1e2e3");
  for (char c : hex) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << hex;
}

TEST(Id, HexRoundTrip) {
  Id id = Sequential(0x9c);
  std::optional<Id> parsed = Id::FromHex(id.Hex());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, id);
}

TEST(Id, FromHexRejectsWrongLengthOrDigits) {
  std::string hex = Sequential(0).Hex();
  EXPECT_FALSE(Id::FromHex("").has_value());
  EXPECT_FALSE(Id::FromHex(hex.substr(0, 62)).has_value());
  EXPECT_FALSE(Id::FromHex(hex.substr(0, 63)).has_value());
  EXPECT_FALSE(Id::FromHex(hex + "00").has_value());
  std::string bad = hex;
  bad[10] = 'x';
  EXPECT_FALSE(Id::FromHex(bad).has_value());
}

TEST(Id, FromBytesCopiesAllBytes) {
  uint8_t raw[Id::kSize];
  for (size_t i = 0; i < Id::kSize; ++i) raw[i] = static_cast<uint8_t>(255 - i);
  Id id = Id::FromBytes(raw);
  for (size_t i = 0; i < Id::kSize; ++i) EXPECT_EQ(id.bytes[i], raw[i]);
}

TEST(Id, ComparisonIsByteOrder) {
  Id a = Sequential(1);
  Id b = Sequential(1);
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a != b);
  b.bytes[31] ^= 1;
  EXPECT_NE(a, b);
  Id low;
  Id high;
  high.bytes[0] = 1;
  low.bytes[1] = 0xff;
  EXPECT_LT(low, high);
  EXPECT_FALSE(high < low);
}

TEST(Id, UsableAsHashKey) {
  std::unordered_set<Id, IdHash> ids;
  for (uint8_t start = 0; start < 100; ++start) ids.insert(Sequential(start));
  ids.insert(Sequential(5));
  EXPECT_EQ(ids.size(), 100u);
  EXPECT_EQ(ids.count(Sequential(42)), 1u);
  EXPECT_EQ(ids.count(Sequential(200)), 0u);
}

}  // namespace
}  // namespace lifeboat
