#include "lifeboat/crypto/keyed_hash.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "lifeboat/crypto/sha256.h"

namespace lifeboat::crypto {
namespace {

Bytes FromHex(std::string_view hex) {
  Bytes out;
  EXPECT_TRUE(HexDecode(hex, &out)) << hex;
  return out;
}

std::string Hmac(ByteView key, ByteView data) { return KeyedHash(key).Hash(data).Hex(); }

Bytes RepositoryKey() {
  Bytes key(KeyedHash::kKeySize, 0);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i);
  return key;
}

// RFC 4231 section 4; the expected values are its full-length HMAC-SHA-256 outputs.
TEST(KeyedHash, MatchesRfc4231Case1) {
  EXPECT_EQ(Hmac(Bytes(20, 0x0b), AsBytes("Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(KeyedHash, MatchesRfc4231Case2ShortKey) {
  EXPECT_EQ(Hmac(AsBytes("Jefe"), AsBytes("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(KeyedHash, MatchesRfc4231Case3) {
  EXPECT_EQ(Hmac(Bytes(20, 0xaa), Bytes(50, 0xdd)),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

TEST(KeyedHash, MatchesRfc4231Case4) {
  EXPECT_EQ(Hmac(FromHex("0102030405060708090a0b0c0d0e0f10111213141516171819"), Bytes(50, 0xcd)),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

TEST(KeyedHash, MatchesRfc4231Case6KeyLongerThanBlock) {
  EXPECT_EQ(
      Hmac(Bytes(131, 0xaa), AsBytes("Test Using Larger Than Block-Size Key - Hash Key First")),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(KeyedHash, MatchesRfc4231Case7KeyAndDataLongerThanBlock) {
  EXPECT_EQ(Hmac(Bytes(131, 0xaa),
                 AsBytes("This is a test using a larger than block-size key and a larger than "
                         "block-size data. The key needs to be hashed before being used by the "
                         "HMAC algorithm.")),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(KeyedHash, MatchesReferenceForEmptyInput) {
  // Reference values here and below from Python's hmac module.
  EXPECT_EQ(Hmac(RepositoryKey(), {}),
            "d38b42096d80f45f826b44a9d5607de72496a415d3f4a1a8c88e3bb9da8dc1cb");
}

TEST(KeyedHash, MatchesReferenceForOneMebibyteChunk) {
  Bytes data(1 << 20, 0);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i % 251);
  EXPECT_EQ(Hmac(RepositoryKey(), data),
            "0488bc456dd67f84091667afeba700d9b63be825bdd95b2af903216c5ffd95ef");
}

TEST(KeyedHash, RepeatedCallsAgree) {
  const KeyedHash hash(RepositoryKey());
  EXPECT_EQ(hash.Hash(AsBytes("chunk")), hash.Hash(AsBytes("chunk")));
}

TEST(KeyedHash, DependsOnKey) {
  Bytes other_key = RepositoryKey();
  other_key[31] ^= 1;
  EXPECT_NE(KeyedHash(RepositoryKey()).Hash(AsBytes("chunk")),
            KeyedHash(other_key).Hash(AsBytes("chunk")));
}

TEST(KeyedHash, DiffersFromUnkeyedSha256) {
  EXPECT_NE(KeyedHash(RepositoryKey()).Hash(AsBytes("chunk")), Sha256(AsBytes("chunk")));
}

TEST(KeyedHash, InstancesDoNotInterfere) {
  // Both instances share each thread's scratch context.
  const KeyedHash first(Bytes(20, 0x0b));
  const KeyedHash second(AsBytes("Jefe"));
  const Id first_id = first.Hash(AsBytes("Hi There"));
  (void)second.Hash(AsBytes("what do ya want for nothing?"));
  EXPECT_EQ(first.Hash(AsBytes("Hi There")), first_id);
}

TEST(KeyedHash, IsThreadSafe) {
  const KeyedHash hash(RepositoryKey());
  std::vector<Bytes> inputs;
  std::vector<Id> expected;
  for (int i = 0; i < 16; ++i) {
    inputs.push_back(Bytes(1000 + 997 * i, static_cast<uint8_t>(i)));
    expected.push_back(hash.Hash(inputs.back()));
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        const size_t index = (round + t) % inputs.size();
        if (hash.Hash(inputs[index]) != expected[index]) ++mismatches[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(KeyedHashDeathTest, RejectsEmptyKey) { EXPECT_DEATH(KeyedHash(ByteView{}), "non-empty key"); }

}  // namespace
}  // namespace lifeboat::crypto
