#include "lifeboat/crypto/aead.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace lifeboat::crypto {
namespace {

Bytes FromHex(std::string_view hex) {
  Bytes out;
  EXPECT_TRUE(HexDecode(hex, &out)) << hex;
  return out;
}

Bytes TestKey(uint8_t seed) {
  Bytes key(Aead::kKeySize, 0);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(seed + i);
  return key;
}

void ExpectAuthenticationFailure(const Result<Bytes>& opened) {
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(opened.status().message().rfind("authentication failed: ", 0), 0u)
      << opened.status().message();
}

// McGrew and Viega, "The Galois/Counter Mode of Operation (GCM)", test case 16: AES-256 with a
// 96-bit IV, 60-byte plaintext and 20 bytes of associated data.
constexpr std::string_view kCase16Key =
    "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
constexpr std::string_view kCase16Nonce = "cafebabefacedbaddecaf888";
constexpr std::string_view kCase16Plaintext =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
constexpr std::string_view kCase16AssociatedData = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
constexpr std::string_view kCase16Ciphertext =
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
constexpr std::string_view kCase16Tag = "76fc6ece0f4e1768cddf8853bb2d551b";

TEST(Aead, MatchesGcmSpecTestCase16WithAssociatedData) {
  const Aead aead(FromHex(kCase16Key));
  Bytes sealed;
  aead.SealWithNonceForTesting(FromHex(kCase16Nonce), FromHex(kCase16Plaintext),
                               FromHex(kCase16AssociatedData), &sealed);
  EXPECT_EQ(HexEncode(sealed),
            std::string(kCase16Nonce) + std::string(kCase16Ciphertext) + std::string(kCase16Tag));
}

TEST(Aead, OpensGcmSpecTestCase16) {
  const Aead aead(FromHex(kCase16Key));
  const Bytes sealed =
      FromHex(std::string(kCase16Nonce) + std::string(kCase16Ciphertext) + std::string(kCase16Tag));
  const Result<Bytes> opened = aead.Open(sealed, FromHex(kCase16AssociatedData));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(HexEncode(*opened), kCase16Plaintext);
}

TEST(Aead, MatchesGcmSpecTestCase14WithoutAssociatedData) {
  const Aead aead(Bytes(32, 0));
  Bytes sealed;
  aead.SealWithNonceForTesting(Bytes(12, 0), Bytes(16, 0), {}, &sealed);
  EXPECT_EQ(HexEncode(sealed),
            "000000000000000000000000"
            "cea7403d4d606b6e074ec5d3baf39d18"
            "d0d1c8a799996bf0265b98b5d48ab919");
}

TEST(Aead, MatchesGcmSpecTestCase13EmptyMessage) {
  const Aead aead(Bytes(32, 0));
  Bytes sealed;
  aead.SealWithNonceForTesting(Bytes(12, 0), {}, {}, &sealed);
  EXPECT_EQ(HexEncode(sealed), "000000000000000000000000530f8afbc74536b9a963b4f1c4cb738b");
}

TEST(Aead, OpensWhatItSeals) {
  const Aead aead(TestKey(1));
  for (size_t size : {0, 1, 15, 16, 17, 4096, 1 << 20}) {
    Bytes plaintext(size, 0);
    for (size_t i = 0; i < size; ++i) plaintext[i] = static_cast<uint8_t>(i * 7);
    const Bytes sealed = aead.Seal(plaintext, AsBytes("blob-id"));
    ASSERT_EQ(sealed.size(), size + Aead::kOverhead);
    const Result<Bytes> opened = aead.Open(sealed, AsBytes("blob-id"));
    ASSERT_TRUE(opened.ok()) << "size " << size << ": " << opened.status().ToString();
    EXPECT_EQ(*opened, plaintext) << "size " << size;
  }
}

TEST(Aead, SealAppendKeepsEarlierBytes) {
  const Aead aead(TestKey(1));
  Bytes out = ToBytes("header");
  aead.SealAppend(AsBytes("first"), {}, &out);
  const size_t first_end = out.size();
  aead.SealAppend(AsBytes("second"), {}, &out);
  EXPECT_EQ(AsString(ByteView(out).first(6)), "header");
  const Result<Bytes> first = aead.Open(ByteView(out).subspan(6, first_end - 6), {});
  const Result<Bytes> second = aead.Open(ByteView(out).subspan(first_end), {});
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(AsString(*first), "first");
  EXPECT_EQ(AsString(*second), "second");
}

TEST(Aead, UsesFreshNonceForEachSeal) {
  const Aead aead(TestKey(1));
  std::set<Bytes> nonces;
  for (int i = 0; i < 100; ++i) {
    const Bytes sealed = aead.Seal(AsBytes("same message"), {});
    nonces.insert(Bytes(sealed.begin(), sealed.begin() + Aead::kNonceSize));
  }
  EXPECT_EQ(nonces.size(), 100u);
}

TEST(Aead, RejectsFlippedByte) {
  const Aead aead(TestKey(1));
  const Bytes sealed = aead.Seal(AsBytes("hello"), AsBytes("ad"));
  for (size_t index = 0; index < sealed.size(); ++index) {
    for (uint8_t mask : {0x01, 0x80}) {
      Bytes damaged = sealed;
      damaged[index] ^= mask;
      SCOPED_TRACE("byte " + std::to_string(index) + " mask " + std::to_string(mask));
      ExpectAuthenticationFailure(aead.Open(damaged, AsBytes("ad")));
    }
  }
}

TEST(Aead, RejectsWrongAssociatedData) {
  const Aead aead(TestKey(1));
  const Bytes sealed = aead.Seal(AsBytes("hello"), AsBytes("blob a"));
  ExpectAuthenticationFailure(aead.Open(sealed, AsBytes("blob b")));
  ExpectAuthenticationFailure(aead.Open(sealed, {}));
}

TEST(Aead, RejectsTruncatedMessage) {
  const Aead aead(TestKey(1));
  const Bytes sealed = aead.Seal(AsBytes("hello"), {});
  for (size_t size = 0; size < sealed.size(); ++size) {
    SCOPED_TRACE("size " + std::to_string(size));
    ExpectAuthenticationFailure(aead.Open(ByteView(sealed).first(size), {}));
  }
}

TEST(Aead, ReportsLengthOfTooShortMessage) {
  const Aead aead(TestKey(1));
  const Result<Bytes> opened = aead.Open(Bytes(5, 0), {});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().message(),
            "authentication failed: the sealed message is 5 bytes, shorter than its 28-byte nonce "
            "and tag");
}

TEST(Aead, RejectsAppendedByte) {
  const Aead aead(TestKey(1));
  Bytes sealed = aead.Seal(AsBytes("hello"), {});
  sealed.push_back(0);
  ExpectAuthenticationFailure(aead.Open(sealed, {}));
}

TEST(Aead, RejectsWrongKey) {
  const Bytes sealed = Aead(TestKey(1)).Seal(AsBytes("hello"), {});
  const Result<Bytes> opened = Aead(TestKey(2)).Open(sealed, {});
  ExpectAuthenticationFailure(opened);
  EXPECT_EQ(opened.status().message(),
            "authentication failed: the sealed message was altered, or sealed under another key "
            "or associated data");
}

TEST(Aead, IsThreadSafeAcrossInstances) {
  // Threads share each Aead's keyed templates, and instances share each thread's scratch
  // context.
  const Aead first(TestKey(1));
  const Aead second(TestKey(2));
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const Aead& mine = t % 2 == 0 ? first : second;
      const Aead& other = t % 2 == 0 ? second : first;
      for (int round = 0; round < 300; ++round) {
        const Bytes plaintext(100 + round * 13, static_cast<uint8_t>(t));
        const Bytes sealed = mine.Seal(plaintext, AsBytes("ad"));
        const Result<Bytes> opened = mine.Open(sealed, AsBytes("ad"));
        if (!opened.ok() || *opened != plaintext) ++failures[t];
        if (other.Open(sealed, AsBytes("ad")).ok()) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

TEST(AeadDeathTest, RejectsShortKey) { EXPECT_DEATH(Aead(Bytes(16, 0)), "32-byte key"); }

TEST(AeadDeathTest, RejectsWrongNonceSizeForTesting) {
  const Aead aead(TestKey(1));
  Bytes out;
  EXPECT_DEATH(aead.SealWithNonceForTesting(Bytes(8, 0), {}, {}, &out), "12 bytes");
}

}  // namespace
}  // namespace lifeboat::crypto
