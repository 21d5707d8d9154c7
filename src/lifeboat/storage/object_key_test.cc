#include "lifeboat/storage/object_key.h"

#include <gtest/gtest.h>

#include <string>

namespace lifeboat::storage {
namespace {

const std::string kName = "3fa2" + std::string(60, '0');

TEST(ObjectPath, MapsEachKindToItsDirectory) {
  EXPECT_EQ(ObjectPath({ObjectKind::kConfig, ""}), "config");
  EXPECT_EQ(ObjectPath({ObjectKind::kKey, kName}), "keys/" + kName);
  EXPECT_EQ(ObjectPath({ObjectKind::kPack, kName}), "data/3f/" + kName);
  EXPECT_EQ(ObjectPath({ObjectKind::kIndex, kName}), "index/" + kName);
  EXPECT_EQ(ObjectPath({ObjectKind::kSnapshot, kName}), "snapshots/" + kName);
  EXPECT_EQ(ObjectPath({ObjectKind::kLock, kName}), "locks/" + kName);
  EXPECT_EQ(ObjectPath({ObjectKind::kGarbage, kName}), "garbage/" + kName);
}

TEST(ObjectPath, NamesKindsAndDirectories) {
  EXPECT_EQ(ObjectKindName(ObjectKind::kPack), "pack");
  EXPECT_EQ(ObjectKindName(ObjectKind::kSnapshot), "snapshot");
  EXPECT_EQ(ObjectKindDirectory(ObjectKind::kConfig), "");
  EXPECT_EQ(ObjectKindDirectory(ObjectKind::kPack), "data");
}

TEST(ObjectPathDeathTest, RejectsNamesThatAreNotIds) {
  EXPECT_DEATH(ObjectPath({ObjectKind::kPack, "../../etc/passwd"}), "64 lowercase hex");
  EXPECT_DEATH(ObjectPath({ObjectKind::kKey, std::string(64, 'A')}), "64 lowercase hex");
  EXPECT_DEATH(ObjectPath({ObjectKind::kConfig, kName}), "no name");
}

TEST(ParseObjectPath, InvertsObjectPathForEveryKind) {
  for (ObjectKind kind : {ObjectKind::kKey, ObjectKind::kPack, ObjectKind::kIndex,
                          ObjectKind::kSnapshot, ObjectKind::kLock, ObjectKind::kGarbage}) {
    const ObjectKey key{kind, kName};
    EXPECT_EQ(ParseObjectPath(ObjectPath(key)), key) << ObjectKindName(kind);
  }
  EXPECT_EQ(ParseObjectPath("config"), (ObjectKey{ObjectKind::kConfig, ""}));
}

TEST(ParseObjectPath, RejectsEverythingElse) {
  const std::string rejected[] = {
      "",
      "keys",
      "keys/",
      "keys/.tmp-0123456789abcdef",
      "data/3f/.tmp-0123456789abcdef",
      ".tmp-0123456789abcdef",
      "config.bak",
      "config/" + kName,
      "data/" + kName,     // no fan-out directory
      "data/ab/" + kName,  // wrong fan-out directory
      "data/3f/" + kName + "/x",
      "data/3/" + kName,
      "keys/" + kName.substr(1),             // 63 digits
      "keys/" + kName + "0",                 // 65 digits
      "keys/" + std::string(63, '0') + "g",  // not hex
      "keys/" + std::string(64, 'A'),        // uppercase
      "keys/" + kName + "/",
      "/keys/" + kName,
      "packs/" + kName,
      "locks/../keys/" + kName,
  };
  for (const std::string& path : rejected) {
    EXPECT_EQ(ParseObjectPath(path), std::nullopt) << path;
  }
}

}  // namespace
}  // namespace lifeboat::storage
