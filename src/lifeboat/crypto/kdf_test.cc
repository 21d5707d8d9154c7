#include "lifeboat/crypto/kdf.h"

#include <gtest/gtest.h>

#include <string>

namespace lifeboat::crypto {
namespace {

// Small enough that a test derivation takes well under a millisecond.
constexpr KdfParams kCheap = {.time_cost = 1, .memory_kib = 64, .parallelism = 1};

const Bytes& Salt() {
  static const Bytes salt = ToBytes("somesaltsomesalt");
  return salt;
}

Bytes Derive(std::string_view password, ByteView salt, const KdfParams& params = kCheap,
             size_t length = 32) {
  Result<Bytes> key = DeriveKey(password, salt, params, length);
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return key.ok() ? std::move(key).value() : Bytes{};
}

void ExpectInvalid(const KdfParams& params, ByteView salt, std::string_view message) {
  const Result<Bytes> key = DeriveKey("password", salt, params);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(key.status().message(), message);
}

// Reference outputs below come from the argon2 implementation in Python's cryptography
// package, which does not use libargon2.
TEST(DeriveKey, MatchesArgon2idKnownAnswer) {
  EXPECT_EQ(HexEncode(Derive("password", Salt(),
                             {.time_cost = 2, .memory_kib = 65536, .parallelism = 2})),
            "02ebcec0c5c140e2db6759e211ac43056ccc03290d3e08f5e7e6a6c128ac4a74");
}

TEST(DeriveKey, MatchesArgon2idKnownAnswerWithFourLanes) {
  EXPECT_EQ(
      HexEncode(Derive("password", Salt(), {.time_cost = 2, .memory_kib = 256, .parallelism = 4})),
      "e42674cb8105a3c6863674ceab28f466fdcbcbffc512caf46cf67a0469c43bd5");
}

TEST(DeriveKey, IsDeterministic) {
  EXPECT_EQ(Derive("correct horse", Salt()), Derive("correct horse", Salt()));
}

TEST(DeriveKey, DependsOnPassword) {
  EXPECT_NE(Derive("correct horse", Salt()), Derive("correct horsf", Salt()));
  EXPECT_NE(Derive("", Salt()), Derive(std::string_view("\0", 1), Salt()));
}

TEST(DeriveKey, DependsOnSalt) {
  Bytes other_salt = Salt();
  other_salt.back() ^= 1;
  EXPECT_NE(Derive("password", Salt()), Derive("password", other_salt));
}

TEST(DeriveKey, DependsOnEveryCost) {
  const Bytes base = Derive("password", Salt(), kCheap);
  EXPECT_NE(base, Derive("password", Salt(), {.time_cost = 2, .memory_kib = 64, .parallelism = 1}));
  EXPECT_NE(base, Derive("password", Salt(), {.time_cost = 1, .memory_kib = 72, .parallelism = 1}));
  EXPECT_NE(base, Derive("password", Salt(), {.time_cost = 1, .memory_kib = 64, .parallelism = 2}));
}

TEST(DeriveKey, ReturnsRequestedLength) {
  const Bytes long_key = Derive("password", Salt(), kCheap, 64);
  EXPECT_EQ(long_key.size(), 64u);
  EXPECT_EQ(Derive("password", Salt(), kCheap, 4).size(), 4u);
}

TEST(DeriveKey, AcceptsSmallestParameters) {
  EXPECT_EQ(
      Derive("password", Bytes(16, 1), {.time_cost = 1, .memory_kib = 8, .parallelism = 1}).size(),
      32u);
  EXPECT_EQ(
      Derive("password", Bytes(16, 1), {.time_cost = 1, .memory_kib = 16, .parallelism = 2}).size(),
      32u);
}

TEST(DeriveKey, RejectsZeroTimeCost) {
  ExpectInvalid({.time_cost = 0, .memory_kib = 64, .parallelism = 1}, Salt(),
                "kdf time_cost 0 is out of range: it must be between 1 and 100");
}

TEST(DeriveKey, RejectsExcessiveTimeCost) {
  ExpectInvalid({.time_cost = 101, .memory_kib = 64, .parallelism = 1}, Salt(),
                "kdf time_cost 101 is out of range: it must be between 1 and 100");
}

TEST(DeriveKey, RejectsZeroParallelism) {
  ExpectInvalid({.time_cost = 1, .memory_kib = 64, .parallelism = 0}, Salt(),
                "kdf parallelism 0 is out of range: it must be between 1 and 64");
}

TEST(DeriveKey, RejectsExcessiveParallelism) {
  ExpectInvalid({.time_cost = 1, .memory_kib = 4096, .parallelism = 65}, Salt(),
                "kdf parallelism 65 is out of range: it must be between 1 and 64");
}

TEST(DeriveKey, RejectsMemoryBelowEightKibPerLane) {
  ExpectInvalid({.time_cost = 1, .memory_kib = 31, .parallelism = 4}, Salt(),
                "kdf memory_kib 31 is out of range: it must be between 32 and 4194304 (the "
                "minimum is 8 KiB per unit of parallelism)");
}

TEST(DeriveKey, RejectsMemoryAboveFourGib) {
  ExpectInvalid({.time_cost = 1, .memory_kib = 4194305, .parallelism = 1}, Salt(),
                "kdf memory_kib 4194305 is out of range: it must be between 8 and 4194304 (the "
                "minimum is 8 KiB per unit of parallelism)");
}

TEST(DeriveKey, RejectsShortSalt) {
  ExpectInvalid(kCheap, Bytes(15, 1), "kdf salt is 15 bytes; it must be at least 16");
  ExpectInvalid(kCheap, {}, "kdf salt is 0 bytes; it must be at least 16");
}

}  // namespace
}  // namespace lifeboat::crypto
