#include "lifeboat/crypto/sha256.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace lifeboat::crypto {
namespace {

Bytes PatternBytes(size_t size) {
  Bytes data(size, 0);
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<uint8_t>(i % 251);
  return data;
}

TEST(Sha256, MatchesNistAbc) {
  EXPECT_EQ(Sha256(AsBytes("abc")).Hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, MatchesEmptyString) {
  EXPECT_EQ(Sha256({}).Hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, MatchesNistTwoBlockMessage) {
  EXPECT_EQ(Sha256(AsBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).Hex(),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, MatchesOneMebibyteReference) {
  // Reference digest from Python's hashlib.
  EXPECT_EQ(Sha256(PatternBytes(1 << 20)).Hex(),
            "631b84027d6b9e52b539c4e8373622d23032dfadc64d60af87339c9037e4f769");
}

TEST(Sha256Hasher, MatchesNistMillionA) {
  Sha256Hasher hasher;
  const Bytes thousand(1000, 'a');
  for (int i = 0; i < 1000; ++i) hasher.Update(thousand);
  EXPECT_EQ(hasher.Finish().Hex(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Hasher, IncrementalMatchesOneShotOver1MiB) {
  const Bytes data = PatternBytes(1 << 20);
  Sha256Hasher hasher;
  // Piece sizes straddle the 64-byte block boundary in every way.
  const size_t pieces[] = {0, 1, 63, 64, 65, 127, 4096, 4097, 100000};
  size_t offset = 0;
  for (size_t round = 0; offset < data.size(); ++round) {
    const size_t size = std::min(pieces[round % std::size(pieces)], data.size() - offset);
    hasher.Update(ByteView(data).subspan(offset, size));
    offset += size;
  }
  EXPECT_EQ(hasher.Finish(), Sha256(data));
}

TEST(Sha256Hasher, IsReusableAfterFinish) {
  Sha256Hasher hasher;
  hasher.Update(AsBytes("something else"));
  (void)hasher.Finish();
  hasher.Update(AsBytes("abc"));
  EXPECT_EQ(hasher.Finish(), Sha256(AsBytes("abc")));
  EXPECT_EQ(hasher.Finish(), Sha256({}));
}

}  // namespace
}  // namespace lifeboat::crypto
