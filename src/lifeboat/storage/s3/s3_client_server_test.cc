// S3Client against a real S3 server (Ceph RGW on loopback), run like s3_backend_server_test.cc
// through tests/s3/with_test_s3.sh. Objects go under a fresh random prefix of the test bucket;
// created buckets get random names and are removed again.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lifeboat/crypto/random.h"
#include "lifeboat/storage/s3/s3_client.h"
#include "lifeboat/util/check.h"

namespace lifeboat::storage {
namespace {

S3Location BucketLocation(const std::string& bucket) {
  const char* endpoint = std::getenv("S3_ENDPOINT_URL");
  LIFEBOAT_CHECK(endpoint != nullptr && *endpoint != '\0',
                 "S3_ENDPOINT_URL is not set: run this test through ctest, which starts the S3 "
                 "server (tests/s3/with_test_s3.sh)");
  Result<S3Location> location = ParseS3Location("s3:" + std::string(endpoint) + "/" + bucket);
  LIFEBOAT_CHECK(location.ok(), "parsing the test location");
  return *location;
}

std::string TestBucket() {
  const char* bucket = std::getenv("S3_BUCKET");
  return bucket != nullptr && *bucket != '\0' ? bucket : "lifeboat-test";
}

std::unique_ptr<S3Client> OpenClient(const std::string& bucket,
                                     S3Options options = S3OptionsFromEnvironment()) {
  Result<std::unique_ptr<S3Client>> client =
      S3Client::Open(BucketLocation(bucket), std::move(options));
  LIFEBOAT_CHECK(client.ok(), "opening the test S3 client");
  return std::move(client).value();
}

std::string FreshPrefix() { return "client-" + HexEncode(crypto::RandomBytes(8)) + "/"; }

Bytes Pattern(size_t size) {
  Bytes data(size);
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<uint8_t>((i * 131) ^ (i >> 9));
  return data;
}

TEST(S3Client, GetStreamingReturnsPiecesContentTypeAndMetadata) {
  auto client = OpenClient(TestBucket());
  const std::string key = FreshPrefix() + "photo.jpg";
  const Bytes data = Pattern(1'000'000);
  ASSERT_TRUE(client
                  ->Put(key, data,
                        {.content_type = "image/jpeg",
                         .metadata = {{"camera", "north-2"}, {"shot-by", "ana"}}})
                  .ok());
  S3ObjectHead head;
  Bytes read;
  int pieces = 0;
  Status status = client->GetStreaming(key, 300'000, &head, [&](ByteView piece) {
    ++pieces;
    read.insert(read.end(), piece.begin(), piece.end());
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(pieces, 4);
  EXPECT_EQ(read, data);
  EXPECT_EQ(head.size, data.size());
  EXPECT_EQ(head.content_type, "image/jpeg");
  EXPECT_EQ(head.metadata,
            (std::map<std::string, std::string>{{"camera", "north-2"}, {"shot-by", "ana"}}));
  EXPECT_FALSE(head.etag.empty());
}

TEST(S3Client, GetStreamingFailsWhenTheObjectIsReplacedBetweenPieces) {
  auto client = OpenClient(TestBucket());
  const std::string key = FreshPrefix() + "changing";
  ASSERT_TRUE(client->Put(key, Pattern(100'000), {}).ok());
  S3ObjectHead head;
  int pieces = 0;
  Status status = client->GetStreaming(key, 40'000, &head, [&](ByteView) {
    if (++pieces == 1) return client->Put(key, Pattern(100'001), {});
    return Status::Ok();
  });
  EXPECT_EQ(pieces, 1);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "the object changed while being read");
}

TEST(S3Client, GetStreamingOfAMissingObjectIsNotFound) {
  auto client = OpenClient(TestBucket());
  S3ObjectHead head;
  Status status = client->GetStreaming(FreshPrefix() + "missing", 1024, &head,
                                       [](ByteView) { return Status::Ok(); });
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no such object");
}

TEST(S3Client, EmptyObjectStreamsNoPieces) {
  auto client = OpenClient(TestBucket());
  const std::string key = FreshPrefix() + "empty";
  ASSERT_TRUE(client->Put(key, {}, {.content_type = "application/x-empty"}).ok());
  S3ObjectHead head;
  int pieces = 0;
  Status status = client->GetStreaming(key, 1024, &head, [&](ByteView) {
    ++pieces;
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(pieces, 0);
  EXPECT_EQ(head.size, 0u);
  EXPECT_EQ(head.content_type, "application/x-empty");
}

TEST(S3Client, PutStreamingAboveThresholdUploadsPartsWithMetadata) {
  S3Options options = S3OptionsFromEnvironment();
  options.multipart_threshold = 5 << 20;
  options.part_size = 5 << 20;
  auto client = OpenClient(TestBucket(), options);
  const std::string key = FreshPrefix() + "video.bin";
  const Bytes data = Pattern(12 << 20);
  size_t offset = 0;
  // Small, uneven pieces: parts are gathered from many source calls.
  BodySource source = [&](size_t max) -> Result<ByteView> {
    const size_t n = std::min({max, data.size() - offset, size_t{777'777}});
    const ByteView piece = ByteView(data).subspan(offset, n);
    offset += n;
    return piece;
  };
  Status put = client->PutStreaming(key, data.size(), source,
                                    {.content_type = "video/mp4", .metadata = {{"take", "3"}}});
  ASSERT_TRUE(put.ok()) << put.ToString();
  Result<S3ObjectHead> head = client->Head(key);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, data.size());
  EXPECT_TRUE(head->etag.ends_with("-3\"")) << head->etag;
  EXPECT_EQ(head->content_type, "video/mp4");
  EXPECT_EQ(head->metadata.at("take"), "3");
}

TEST(S3Client, PutStreamingRejectsASourceShorterThanItsSize) {
  auto client = OpenClient(TestBucket());
  const Bytes data = Pattern(10);
  bool given = false;
  Status put = client->PutStreaming(FreshPrefix() + "short", 20,
                                    [&](size_t) -> Result<ByteView> {
                                      if (given) return ByteView();
                                      given = true;
                                      return ByteView(data);
                                    },
                                    {});
  EXPECT_EQ(put.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(put.message(), "the body ended before its announced size");
}

TEST(S3Client, ListPaginatesInKeyOrderWithEtagAndLastModified) {
  S3Options options = S3OptionsFromEnvironment();
  options.list_page_size = 2;
  auto client = OpenClient(TestBucket(), options);
  const std::string prefix = FreshPrefix();
  const std::vector<std::string> keys = {prefix + "/lead", prefix + "a", prefix + "a//b",
                                         prefix + "x/../y", prefix + "z z"};
  for (const std::string& key : keys) ASSERT_TRUE(client->Put(key, AsBytes(key), {}).ok()) << key;
  std::vector<S3ObjectListing> listed;
  Status status = client->List(prefix, [&](S3ObjectListing entry) {
    listed.push_back(std::move(entry));
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(listed.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(listed[i].key, keys[i]);
    EXPECT_EQ(listed[i].size, keys[i].size());
    EXPECT_FALSE(listed[i].etag.empty());
    EXPECT_FALSE(listed[i].last_modified.empty());
  }
}

TEST(S3Client, MissingBucketIsNamedAndCanBeCreated) {
  const std::string bucket = "lifeboat-client-" + HexEncode(crypto::RandomBytes(6));
  auto client = OpenClient(bucket);
  client->SetMissingBucketHint("create it, or pass --create-bucket");
  Status missing = client->CheckBucket();
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "bucket \"" + bucket + "\" does not exist at " +
                                   std::string(std::getenv("S3_ENDPOINT_URL")));
  EXPECT_EQ(missing.hint(), "create it, or pass --create-bucket");
  ASSERT_TRUE(client->CreateBucket().ok());
  EXPECT_TRUE(client->CreateBucket().ok()) << "creating an existing bucket of ours is fine";
  EXPECT_TRUE(client->CheckBucket().ok());
  Result<s3::HttpResponse> removed = client->Send("DELETE", "", {}, {}, {});
  EXPECT_TRUE(removed.ok() && s3::IsSuccess(removed->status));
}

TEST(S3Client, WrongSecretIsACredentialsError) {
  S3Options options = S3OptionsFromEnvironment();
  options.credentials.secret_access_key = "not-the-secret";
  auto client = OpenClient(TestBucket(), options);
  Status listed = client->List("", [](S3ObjectListing) { return Status::Ok(); });
  EXPECT_EQ(listed.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(listed.message(), "the S3 server at " + std::string(std::getenv("S3_ENDPOINT_URL")) +
                                  " rejected the credentials: SignatureDoesNotMatch (HTTP 403)");
}

}  // namespace
}  // namespace lifeboat::storage
