#include "lifeboat/util/bytes.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <limits>

namespace lifeboat {
namespace {

TEST(Bytes, HexEncodeLowercase) {
  EXPECT_EQ(HexEncode(Bytes{}), "");
  EXPECT_EQ(HexEncode(Bytes{0x00, 0x01, 0x7f, 0x80, 0xab, 0xff}), "00017f80abff");
}

TEST(Bytes, HexRoundTripAllByteValues) {
  Bytes all;
  for (int value = 0; value < 256; ++value) all.push_back(static_cast<uint8_t>(value));
  std::string hex = HexEncode(all);
  ASSERT_EQ(hex.size(), 512u);
  Bytes decoded;
  ASSERT_TRUE(HexDecode(hex, &decoded));
  EXPECT_EQ(decoded, all);
}

TEST(Bytes, HexDecodeAcceptsUppercase) {
  Bytes decoded;
  ASSERT_TRUE(HexDecode("DEADbeef", &decoded));
  EXPECT_EQ(decoded, (Bytes{0xde, 0xad, 0xbe, 0xef}));
  ASSERT_TRUE(HexDecode("", &decoded));
  EXPECT_TRUE(decoded.empty());
}

TEST(Bytes, HexDecodeRejectsBadInput) {
  Bytes decoded;
  EXPECT_FALSE(HexDecode("abc", &decoded));   // odd length
  EXPECT_FALSE(HexDecode("zz", &decoded));    // not hex
  EXPECT_FALSE(HexDecode("0g", &decoded));    // low nibble bad
  EXPECT_FALSE(HexDecode("g0", &decoded));    // high nibble bad
  EXPECT_FALSE(HexDecode("00 1", &decoded));  // space
  EXPECT_FALSE(HexDecode("-1", &decoded));
}

TEST(Bytes, StringConversions) {
  Bytes bytes = ToBytes("hello");
  EXPECT_EQ(bytes, (Bytes{'h', 'e', 'l', 'l', 'o'}));
  EXPECT_EQ(AsString(bytes), "hello");
  ByteView view = AsBytes("hi");
  ASSERT_EQ(view.size(), 2u);
  EXPECT_EQ(view[0], 'h');
}

TEST(Bytes, AppendU32IsLittleEndian) {
  Bytes out;
  AppendU32(out, 0x11223344u);
  EXPECT_EQ(out, (Bytes{0x44, 0x33, 0x22, 0x11}));
  EXPECT_EQ(LoadU32(out.data()), 0x11223344u);
}

TEST(Bytes, U32RoundTripEdgeValues) {
  for (uint32_t value :
       {0u, 1u, 0x80u, 0xffu, 0x100u, 0x80000000u, std::numeric_limits<uint32_t>::max()}) {
    Bytes out = {0xaa};  // appends after existing content
    AppendU32(out, value);
    ASSERT_EQ(out.size(), 5u);
    EXPECT_EQ(out[0], 0xaa);
    EXPECT_EQ(LoadU32(out.data() + 1), value);
  }
}

TEST(Bytes, AppendU64IsLittleEndian) {
  Bytes out;
  AppendU64(out, 0x0102030405060708ull);
  EXPECT_EQ(out, (Bytes{0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01}));
  EXPECT_EQ(LoadU64(out.data()), 0x0102030405060708ull);
}

TEST(Bytes, U64RoundTripEdgeValues) {
  for (uint64_t value :
       std::initializer_list<uint64_t>{0, 1, 0xffffffff, 0x100000000, 0x8000000000000000,
                                       std::numeric_limits<uint64_t>::max()}) {
    Bytes out;
    AppendU64(out, value);
    ASSERT_EQ(out.size(), 8u);
    EXPECT_EQ(LoadU64(out.data()), value);
  }
}

}  // namespace
}  // namespace lifeboat
