// Key ↔ path escaping of bucket snapshots (object_path.h) and the manifest's JSON forms. The
// round trips against a real server are tests/e2e/bucket_test.sh.
#include "lifeboat/sources/bucket/object_path.h"

#include <gtest/gtest.h>

#include "lifeboat/sources/bucket/manifest.h"
#include "lifeboat/sources/bucket/restore.h"

namespace lifeboat::sources::bucket {
namespace {

TEST(ObjectPath, KeepsOrdinaryKeysReadable) {
  EXPECT_EQ(EncodeObjectPath("uploads/2026/cat.jpg"), "objects/uploads/2026/cat.jpg");
  EXPECT_EQ(EncodeObjectPath("with space/café.txt"), "objects/with space/café.txt");
}

TEST(ObjectPath, EscapesPartsThatCannotBeTreeNames) {
  EXPECT_EQ(EncodeObjectPath("a//b"), "objects/a/%/b");
  EXPECT_EQ(EncodeObjectPath("/leading"), "objects/%/leading");
  EXPECT_EQ(EncodeObjectPath("dir/"), "objects/dir/%");
  EXPECT_EQ(EncodeObjectPath("x/../y"), "objects/x/%2E%2E/y");
  EXPECT_EQ(EncodeObjectPath("./here"), "objects/%2E/here");
  EXPECT_EQ(EncodeObjectPath("100%/%25"), "objects/100%25/%2525");
  EXPECT_EQ(EncodeObjectPath(std::string("nul\0byte", 8)), "objects/nul%00byte");
}

TEST(ObjectPath, DecodesEveryEncodingBackToItsKey) {
  for (const std::string key : {"a", "a//b", "/leading", "dir/", "x/../y", "./here", "..",
                                "100%/%25", "//", "/", "%", "%%/%2E", "café/über"}) {
    EXPECT_EQ(DecodeObjectPath(EncodeObjectPath(key)), key) << key;
  }
}

TEST(ObjectPath, RejectsPathsThatNoKeyEncodesTo) {
  EXPECT_EQ(DecodeObjectPath("tables/a"), std::nullopt);
  EXPECT_EQ(DecodeObjectPath("objects/a%2"), std::nullopt);
  EXPECT_EQ(DecodeObjectPath("objects/a%zz"), std::nullopt);
  EXPECT_EQ(DecodeObjectPath("objects/a//b"), std::nullopt);
}

TEST(ObjectPathAssigner, MarksADirectoryThatIsAlsoAKey) {
  ObjectPathAssigner assigner;
  // In listing order: "dir" sorts before "dir.txt", which sorts before "dir/...".
  EXPECT_EQ(assigner.Assign("dir"), "objects/dir");
  EXPECT_EQ(assigner.Assign("dir.txt"), "objects/dir.txt");
  EXPECT_EQ(assigner.Assign("dir/"), "objects/dir%/%");
  EXPECT_EQ(assigner.Assign("dir//x"), "objects/dir%/%%/x");
  EXPECT_EQ(assigner.Assign("dir/a"), "objects/dir%/a");
  EXPECT_EQ(assigner.Assign("dir/a/b"), "objects/dir%/a%/b");
  EXPECT_EQ(assigner.Assign("other/a"), "objects/other/a");
  // Decoding drops the markers: the key comes back.
  EXPECT_EQ(DecodeObjectPath("objects/dir%/%"), "dir/");
  EXPECT_EQ(DecodeObjectPath("objects/dir%/%%/x"), "dir//x");
  EXPECT_EQ(DecodeObjectPath("objects/dir%/a%/b"), "dir/a/b");
}

TEST(KeySelected, AppliesPrefixThenAnyIncludePattern) {
  EXPECT_TRUE(KeySelected("uploads/a/1.jpg", "", {}));
  EXPECT_TRUE(KeySelected("uploads/a/1.jpg", "uploads/", {}));
  EXPECT_FALSE(KeySelected("other/1.jpg", "uploads/", {}));
  EXPECT_TRUE(KeySelected("uploads/a/1.jpg", "", {"*.png", "*.jpg"}));
  EXPECT_FALSE(KeySelected("uploads/a/1.gif", "", {"*.png", "*.jpg"}));
}

TEST(BucketManifest, RoundTripsThroughJson) {
  BucketManifest m{.endpoint = "http://127.0.0.1:7480",
                   .bucket = "media",
                   .prefix = "uploads/",
                   .objects = 52,
                   .bytes = 21'300'000,
                   .vanished = 1};
  Result<BucketManifest> back = BucketManifestFromJson(BucketManifestToJson(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(BucketManifestToJson(*back), BucketManifestToJson(m));
  Result<BucketManifest> newer = BucketManifestFromJson(R"({"format": 2})");
  EXPECT_EQ(newer.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(newer.status().message(),
            "bucket manifest format 2 is newer than this lifeboat understands");
}

TEST(ObjectRecord, RoundTripsThroughOneJsonLine) {
  ObjectRecord r{.key = "a//b \u65e5",
                 .path = "objects/a/%/b \u65e5",
                 .size = 7,
                 .etag = "\"abc\"",
                 .last_modified = "2026-11-23T10:00:00.000Z",
                 .content_type = "text/plain",
                 .metadata = {{"owner", "media-team"}}};
  const std::string line = ObjectRecordToJson(r);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  Result<ObjectRecord> back = ObjectRecordFromJson(line);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ObjectRecordToJson(*back), line);
  EXPECT_EQ(ObjectRecordFromJson("{}").status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace lifeboat::sources::bucket
