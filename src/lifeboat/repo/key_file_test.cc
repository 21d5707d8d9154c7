#include "lifeboat/repo/key_file.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace lifeboat::repo {
namespace {

const crypto::KdfParams kCheapKdf{1, 8 * 1024, 1};

KeyFileInfo Info() {
  KeyFileInfo info;
  info.created_ns = 1'700'000'000'123'456'789;
  info.hostname = "host-a";
  info.username = "alice";
  info.kdf = kCheapKdf;
  return info;
}

Bytes Create(const MasterKey& master, std::string_view password) {
  Result<Bytes> file = CreateKeyFile(master, password, kCheapKdf, Info());
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return file.ok() ? *file : Bytes{};
}

// Parses a key file, lets `edit` change its JSON, and serialises it again.
template <typename Edit>
Bytes Edited(const Bytes& file, Edit edit) {
  nlohmann::json json = nlohmann::json::parse(file.begin(), file.end());
  edit(json);
  return ToBytes(json.dump());
}

void ExpectCorruption(const Result<MasterKey>& opened, const std::string& message) {
  ASSERT_FALSE(opened.ok()) << message;
  EXPECT_EQ(opened.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(opened.status().message(), message);
}

TEST(MasterKey, GeneratesDistinctFullLengthKeys) {
  const MasterKey a = MasterKey::Generate();
  const MasterKey b = MasterKey::Generate();
  EXPECT_EQ(a.encryption_key.size(), 32u);
  EXPECT_EQ(a.id_key.size(), 32u);
  EXPECT_EQ(a.chunker_key.size(), 32u);
  EXPECT_NE(a.encryption_key, a.id_key);
  EXPECT_NE(a.id_key, a.chunker_key);
  EXPECT_NE(a.encryption_key, b.encryption_key);
}

TEST(KeyFile, OpensWithItsPassword) {
  const MasterKey master = MasterKey::Generate();
  const Bytes file = Create(master, "correct horse");
  Result<MasterKey> opened = OpenKeyFile(file, "correct horse");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->encryption_key, master.encryption_key);
  EXPECT_EQ(opened->id_key, master.id_key);
  EXPECT_EQ(opened->chunker_key, master.chunker_key);
}

TEST(KeyFile, DoesNotContainTheKeysInTheClear) {
  const MasterKey master = MasterKey::Generate();
  const std::string text(AsString(Create(master, "pw")));
  EXPECT_EQ(text.find(HexEncode(master.encryption_key)), std::string::npos);
  EXPECT_EQ(text.find(HexEncode(master.id_key)), std::string::npos);
  EXPECT_EQ(text.find(HexEncode(master.chunker_key)), std::string::npos);
}

TEST(KeyFile, SamePasswordTwiceGivesDifferentFiles) {
  const MasterKey master = MasterKey::Generate();
  EXPECT_NE(Create(master, "pw"), Create(master, "pw"));
}

TEST(KeyFile, WrongPasswordIsWrongPassword) {
  const Bytes file = Create(MasterKey::Generate(), "correct horse");
  for (std::string_view password : {"correct hors", "Correct horse", "", "correct horse "}) {
    Result<MasterKey> opened = OpenKeyFile(file, password);
    ASSERT_FALSE(opened.ok()) << password;
    EXPECT_EQ(opened.status().code(), StatusCode::kWrongPassword);
    EXPECT_EQ(opened.status().message(), "wrong password");
  }
}

TEST(KeyFile, GarbageIsCorruption) {
  ExpectCorruption(OpenKeyFile(ToBytes("not json at all"), "pw"), "key file is not JSON");
  ExpectCorruption(OpenKeyFile(Bytes{}, "pw"), "key file is not JSON");
  ExpectCorruption(OpenKeyFile(Bytes{0xff, 0x00, 0x7b}, "pw"), "key file is not JSON");
  ExpectCorruption(OpenKeyFile(ToBytes("[1, 2]"), "pw"), "key file is not JSON");
  ExpectCorruption(OpenKeyFile(ToBytes("{\"version\": 1"), "pw"), "key file is not JSON");
}

TEST(KeyFile, UnknownVersionIsCorruption) {
  const Bytes file = Create(MasterKey::Generate(), "pw");
  ExpectCorruption(OpenKeyFile(Edited(file, [](auto& j) { j["version"] = 2; }), "pw"),
                   "key file has an unknown version");
  ExpectCorruption(OpenKeyFile(Edited(file, [](auto& j) { j.erase("version"); }), "pw"),
                   "key file has an unknown version");
}

TEST(KeyFile, DamagedFieldsAreCorruption) {
  const Bytes file = Create(MasterKey::Generate(), "pw");
  ExpectCorruption(OpenKeyFile(Edited(file, [](auto& j) { j.erase("salt"); }), "pw"),
                   "key file lacks field \"salt\"");
  ExpectCorruption(OpenKeyFile(Edited(file, [](auto& j) { j["data"] = 7; }), "pw"),
                   "key file lacks field \"data\"");
  ExpectCorruption(OpenKeyFile(Edited(file, [](auto& j) { j["salt"] = "xyz"; }), "pw"),
                   "key file field \"salt\" is not hex");
  ExpectCorruption(OpenKeyFile(Edited(file, [](auto& j) { j["kdf"] = "scrypt"; }), "pw"),
                   "key file has an unknown kdf");
  ExpectCorruption(OpenKeyFile(Edited(file, [](auto& j) { j["time_cost"] = -1; }), "pw"),
                   "key file has invalid kdf parameters");
  ExpectCorruption(OpenKeyFile(Edited(file, [](auto& j) { j.erase("memory_kib"); }), "pw"),
                   "key file has invalid kdf parameters");
}

TEST(KeyFile, AlteredSealedDataIsWrongPassword) {
  // The AEAD cannot tell a wrong password from altered ciphertext; both fail to open.
  const Bytes file = Create(MasterKey::Generate(), "pw");
  const Bytes altered = Edited(file, [](auto& j) {
    std::string data = j["data"];
    data[10] = data[10] == '0' ? '1' : '0';
    j["data"] = data;
  });
  Result<MasterKey> opened = OpenKeyFile(altered, "pw");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kWrongPassword);
  EXPECT_EQ(opened.status().message(), "wrong password");
}

TEST(KeyFile, OutOfRangeKdfParametersAreCorruption) {
  const Bytes file = Create(MasterKey::Generate(), "pw");
  ExpectCorruption(OpenKeyFile(Edited(file, [](auto& j) { j["time_cost"] = 0; }), "pw"),
                   "key file: kdf time_cost 0 is out of range: it must be between 1 and 100");
  ExpectCorruption(
      OpenKeyFile(Edited(file, [](auto& j) { j["memory_kib"] = 1u << 30; }), "pw"),
      "key file: kdf memory_kib 1073741824 is out of range: it must be between 8 and 4194304 "
      "(the minimum is 8 KiB per unit of parallelism)");
  ExpectCorruption(OpenKeyFile(Edited(file, [](auto& j) { j["salt"] = "00"; }), "pw"),
                   "key file: kdf salt is 1 bytes; it must be at least 16");
}

TEST(KeyFile, ReadKeyFileInfoReturnsTheDescription) {
  const Bytes file = Create(MasterKey::Generate(), "pw");
  Result<KeyFileInfo> info = ReadKeyFileInfo(file);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->created_ns, 1'700'000'000'123'456'789);
  EXPECT_EQ(info->hostname, "host-a");
  EXPECT_EQ(info->username, "alice");
  EXPECT_EQ(info->kdf.time_cost, 1u);
  EXPECT_EQ(info->kdf.memory_kib, 8u * 1024);
  EXPECT_EQ(info->kdf.parallelism, 1u);
}

TEST(KeyFile, ReadKeyFileInfoNeedsNoPasswordAndKeepsTheKdf) {
  crypto::KdfParams kdf{2, 16 * 1024, 2};
  KeyFileInfo info = Info();
  info.kdf = kdf;
  Result<Bytes> file = CreateKeyFile(MasterKey::Generate(), "pw", kdf, info);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  Result<KeyFileInfo> read = ReadKeyFileInfo(*file);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->kdf.time_cost, 2u);
  EXPECT_EQ(read->kdf.memory_kib, 16u * 1024);
  EXPECT_EQ(read->kdf.parallelism, 2u);
  EXPECT_TRUE(OpenKeyFile(*file, "pw").ok());
}

TEST(KeyFile, ReadKeyFileInfoOfGarbageIsCorruption) {
  Result<KeyFileInfo> info = ReadKeyFileInfo(ToBytes("{oops"));
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(info.status().message(), "key file is not JSON");
}

TEST(KeyFile, IsJsonWithTheDocumentedFields) {
  const Bytes file = Create(MasterKey::Generate(), "pw");
  nlohmann::json json = nlohmann::json::parse(file.begin(), file.end());
  EXPECT_EQ(json["version"], 1);
  EXPECT_EQ(json["kdf"], "argon2id");
  EXPECT_EQ(json["created"], "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(json["hostname"], "host-a");
  EXPECT_EQ(json["username"], "alice");
  EXPECT_EQ(json["salt"].get<std::string>().size(), 64u);
  // 96 bytes of keys plus nonce and tag, in hex.
  EXPECT_EQ(json["data"].get<std::string>().size(), 2u * (96 + 28));
}

}  // namespace
}  // namespace lifeboat::repo
