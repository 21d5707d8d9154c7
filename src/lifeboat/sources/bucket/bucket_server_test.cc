// BackupBucket and RestoreBucket against a real S3 server (Ceph RGW on loopback, run through
// tests/s3/with_test_s3.sh like the storage server tests), with the repository in memory:
// objects read in small pieces by several workers, records in key order, a second backup of an
// unchanged bucket adding nothing, and a filtered restore. The CLI's round trip with a larger
// bucket is tests/e2e/bucket_test.sh.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>

#include "lifeboat/crypto/random.h"
#include "lifeboat/sources/bucket/backup.h"
#include "lifeboat/sources/bucket/restore.h"
#include "lifeboat/storage/s3/s3_client.h"
#include "lifeboat/storage/testing/memory_backend.h"
#include "lifeboat/util/check.h"

namespace lifeboat::sources::bucket {
namespace {

std::string Endpoint() {
  const char* endpoint = std::getenv("S3_ENDPOINT_URL");
  LIFEBOAT_CHECK(
      endpoint != nullptr && *endpoint != '\0',
      "S3_ENDPOINT_URL is not set: run this test through ctest (tests/s3/with_test_s3.sh)");
  return endpoint;
}

std::unique_ptr<storage::S3Client> Client(const std::string& bucket) {
  Result<storage::S3Location> location =
      storage::ParseS3Location("s3:" + Endpoint() + "/" + bucket);
  LIFEBOAT_CHECK(location.ok(), "test location");
  auto client = storage::S3Client::Open(*location, storage::S3OptionsFromEnvironment());
  LIFEBOAT_CHECK(client.ok(), "test client");
  return std::move(client).value();
}

Bytes Pattern(size_t size, uint8_t seed) {
  Bytes data(size);
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<uint8_t>(i * 7 + seed + (i >> 11));
  return data;
}

class BucketServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string id = HexEncode(crypto::RandomBytes(5));
    source_ = "bucket-src-" + id;
    target_ = "bucket-dst-" + id;
    source_client_ = Client(source_);
    ASSERT_TRUE(source_client_->CreateBucket().ok());
    repo::InitOptions init;
    init.kdf = crypto::KdfParams{1, 8 * 1024, 1};
    ASSERT_TRUE(repo::Repository::Init(&backend_, "pw", init, SystemClock::Get()).ok());
    Reopen();
  }

  // The test's buckets go again, objects first (S3 removes only empty buckets).
  void TearDown() override {
    for (const std::string& bucket : {source_, target_}) {
      auto client = Client(bucket);
      std::vector<std::string> keys;
      client
          ->List("",
                 [&](storage::S3ObjectListing entry) {
                   keys.push_back(entry.key);
                   return Status::Ok();
                 })
          .IgnoreError();
      for (const std::string& key : keys)
        client->Send("DELETE", key, {}, {}, {}).status().IgnoreError();
      client->Send("DELETE", "", {}, {}, {}).status().IgnoreError();
    }
  }

  void Reopen() {
    repository_.reset();
    auto opened = repo::Repository::Open(&backend_, "pw", SystemClock::Get());
    LIFEBOAT_CHECK(opened.ok(), "opening the test repository");
    repository_ = std::move(opened).value();
    LIFEBOAT_CHECK(repository_->LoadIndex().ok(), "loading the index");
  }

  BucketBackupOptions BackupOptions() {
    BucketBackupOptions options;
    options.location = "s3:" + Endpoint() + "/" + source_;
    options.s3 = storage::S3OptionsFromEnvironment();
    options.jobs = 3;
    options.piece_size = 64 * 1024;  // the 1 MiB object comes in 16 pieces
    options.hostname = "test";
    return options;
  }

  storage::testing::MemoryBackend backend_;
  std::unique_ptr<repo::Repository> repository_;
  std::string source_;
  std::string target_;
  std::unique_ptr<storage::S3Client> source_client_;
};

TEST_F(BucketServerTest, BacksUpRestoresAndDedupsAnUnchangedBucket) {
  const std::vector<std::pair<std::string, Bytes>> objects = {
      {"a", Pattern(10, 1)},      {"a/b", Pattern(20, 2)},        {"big", Pattern(1 << 20, 3)},
      {"empty", Bytes()},         {"keep/x.jpg", Pattern(30, 4)}, {"keep/y.txt", Pattern(40, 5)},
      {"x//../y", Pattern(50, 6)}};
  for (const auto& [key, data] : objects) {
    ASSERT_TRUE(source_client_
                    ->Put(key, data,
                          {.content_type = "test/" + std::to_string(data.size()),
                           .metadata = {{"origin", key}}})
                    .ok())
        << key;
  }

  Result<BucketBackupResult> first = BackupBucket(*repository_, BackupOptions(), nullptr);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->manifest.objects, objects.size());
  EXPECT_EQ(first->manifest.bytes, 10u + 20 + (1 << 20) + 30 + 40 + 50);
  EXPECT_EQ(first->backup.snapshot.source, "bucket");
  EXPECT_EQ(first->backup.snapshot.paths, std::vector<std::string>{"s3://" + source_});

  // As a second `lifeboat bucket backup` would: the index as the first one left it.
  Reopen();
  Result<BucketBackupResult> second = BackupBucket(*repository_, BackupOptions(), nullptr);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  // Only the trees of the seven directories (/, objects, a%, keep, x, x/%, x/%/%2E%2E) are
  // new, as their nodes carry the backup's time; no object, record or manifest byte is.
  EXPECT_EQ(second->backup.snapshot.summary.blobs_added, 7u);
  EXPECT_LT(second->backup.snapshot.summary.bytes_added, 4096u);

  std::vector<std::string> failed;
  BucketRestoreOptions restore{.location = "s3:" + Endpoint() + "/" + target_,
                               .s3 = storage::S3OptionsFromEnvironment(),
                               .prefix = "",
                               .include = {"keep/*.jpg", "a*", "big", "empty", "x*"},
                               .create_bucket = true,
                               .jobs = 2,
                               .on_error = [&](const std::string& key, const Status& error) {
                                 failed.push_back(key + ": " + error.ToString());
                               }};
  Result<BucketRestoreResult> restored =
      RestoreBucket(*repository_, second->backup.snapshot, restore);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_TRUE(failed.empty()) << failed.front();
  EXPECT_EQ(restored->restored, 6u);
  EXPECT_EQ(restored->skipped, 1u);
  EXPECT_EQ(restored->failed, 0u);

  auto target = Client(target_);
  for (const auto& [key, data] : objects) {
    storage::S3ObjectHead head;
    Bytes read;
    Status got = target->GetStreaming(key, 1 << 20, &head, [&](ByteView piece) {
      read.insert(read.end(), piece.begin(), piece.end());
      return Status::Ok();
    });
    if (key == "keep/y.txt") {
      EXPECT_EQ(got.code(), StatusCode::kNotFound) << "left out by --include";
      continue;
    }
    ASSERT_TRUE(got.ok()) << key << ": " << got.ToString();
    EXPECT_EQ(read, data) << key;
    EXPECT_EQ(head.content_type, "test/" + std::to_string(data.size())) << key;
    EXPECT_EQ(head.metadata, (std::map<std::string, std::string>{{"origin", key}})) << key;
  }
}

TEST_F(BucketServerTest, MissingSourceBucketIsNamedAndStoresNoSnapshot) {
  BucketBackupOptions options = BackupOptions();
  options.location = "s3:" + Endpoint() + "/no-such-" + source_;
  Result<BucketBackupResult> result = BackupBucket(*repository_, options, nullptr);
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(result.status().message(), "listing bucket no-such-" + source_ + " at " + Endpoint() +
                                           ": bucket \"no-such-" + source_ +
                                           "\" does not exist at " + Endpoint());
  EXPECT_EQ(result.status().hint(), "check the bucket name in the source location");
  Result<std::vector<std::pair<Id, repo::Snapshot>>> snapshots = repository_->ListSnapshots();
  ASSERT_TRUE(snapshots.ok());
  EXPECT_TRUE(snapshots->empty());
}

}  // namespace
}  // namespace lifeboat::sources::bucket
