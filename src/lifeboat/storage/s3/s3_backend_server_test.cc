// S3Backend against a real S3 server (Ceph RGW on loopback). ctest runs this binary through
// tests/s3/with_test_s3.sh, which starts the server and exports AWS_* and
// LIFEBOAT_TEST_S3_REPO; every test works in a fresh random prefix of the test bucket.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <set>
#include <string>

#include "lifeboat/crypto/random.h"
#include "lifeboat/storage/s3/s3_backend.h"
#include "lifeboat/storage/testing/backend_conformance_tests.h"

namespace lifeboat::storage {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr ObjectKind kAllKinds[] = {ObjectKind::kConfig, ObjectKind::kKey,      ObjectKind::kPack,
                                    ObjectKind::kIndex,  ObjectKind::kSnapshot, ObjectKind::kLock};

std::string TestRepository() {
  const char* repo = std::getenv("LIFEBOAT_TEST_S3_REPO");
  LIFEBOAT_CHECK(repo != nullptr && *repo != '\0',
                 "LIFEBOAT_TEST_S3_REPO is not set: run this test through ctest, which starts the "
                 "S3 server (tests/s3/with_test_s3.sh)");
  return repo;
}

std::string Endpoint() { return std::getenv("S3_ENDPOINT_URL"); }

std::string FreshLocation() {
  return TestRepository() + "/test-" + HexEncode(crypto::RandomBytes(8));
}

std::unique_ptr<S3Backend> OpenOrDie(const std::string& location, S3Options options) {
  Result<std::unique_ptr<S3Backend>> backend = S3Backend::Open(location, std::move(options));
  LIFEBOAT_CHECK(backend.ok(), "opening the test S3 backend");
  return std::move(backend).value();
}

// Owns an S3Backend in a fresh prefix and removes what the test left there.
class ScopedS3Backend final : public Backend {
 public:
  explicit ScopedS3Backend(S3Options options = S3OptionsFromEnvironment())
      : backend_(OpenOrDie(FreshLocation(), std::move(options))) {}
  ~ScopedS3Backend() override {
    for (ObjectKind kind : kAllKinds) {
      std::vector<ObjectKey> keys;
      backend_
          ->List(kind, "",
                 [&](const ObjectInfo& info) {
                   keys.push_back(info.key);
                   return Status::Ok();
                 })
          .IgnoreError();
      for (const ObjectKey& key : keys) backend_->Remove(key).IgnoreError();
    }
  }

  BackendProperties Properties() const override { return backend_->Properties(); }
  Status Put(const ObjectKey& key, ByteView data, const PutOptions& options) override {
    return backend_->Put(key, data, options);
  }
  Result<Bytes> Get(const ObjectKey& key, ByteRange range) override {
    return backend_->Get(key, range);
  }
  Result<ObjectInfo> Stat(const ObjectKey& key) override { return backend_->Stat(key); }
  Status List(ObjectKind kind, std::string_view prefix, const ListVisitor& visit) override {
    return backend_->List(kind, prefix, visit);
  }
  Status Remove(const ObjectKey& key) override { return backend_->Remove(key); }
  using Backend::Get;
  using Backend::Put;

 private:
  std::unique_ptr<S3Backend> backend_;
};

class S3Factory {
 public:
  static std::unique_ptr<Backend> Make() { return std::make_unique<ScopedS3Backend>(); }
};

}  // namespace
}  // namespace lifeboat::storage

namespace lifeboat::storage::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(S3, BackendConformance, ::testing::Types<S3Factory>);
}  // namespace lifeboat::storage::testing

namespace lifeboat::storage {
namespace {

const ObjectKey kConfig{ObjectKind::kConfig, ""};
const std::string kName = "3fa2" + std::string(60, '1');
const ObjectKey kPackKey{ObjectKind::kPack, kName};

std::multiset<std::string> ListNames(Backend& backend, ObjectKind kind) {
  std::multiset<std::string> names;
  Status status = backend.List(kind, "", [&](const ObjectInfo& info) {
    names.insert(info.key.name);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return names;
}

TEST(S3Backend, ListFollowsContinuationTokensAcrossPages) {
  S3Options options = S3OptionsFromEnvironment();
  options.list_page_size = 3;
  ScopedS3Backend backend(options);
  std::multiset<std::string> expected;
  for (uint64_t i = 0; i < 11; ++i) {
    const ObjectKey key = testing::conformance_internal::Key(ObjectKind::kIndex, "", i);
    ASSERT_TRUE(backend.Put(key, ToBytes("index")).ok());
    expected.insert(key.name);
  }
  EXPECT_EQ(ListNames(backend, ObjectKind::kIndex), expected);
}

TEST(S3Backend, MultipartUploadRoundTripsAndRangesWork) {
  S3Options options = S3OptionsFromEnvironment();
  options.multipart_threshold = 6 << 20;
  options.part_size = 5 << 20;  // S3's minimum for all parts but the last
  ScopedS3Backend backend(options);
  const Bytes data = testing::conformance_internal::Content((12 << 20) + 12345, 7);
  Status put = backend.Put(kPackKey, data, {.if_absent = true});
  ASSERT_TRUE(put.ok()) << put.ToString();

  Result<Bytes> got = backend.Get(kPackKey);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
  Result<ObjectInfo> info = backend.Stat(kPackKey);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, data.size());

  // A range across the boundary between the first and second part.
  const uint64_t offset = (5 << 20) - 100;
  Result<Bytes> ranged = backend.Get(kPackKey, ByteRange{.offset = offset, .length = 300});
  ASSERT_TRUE(ranged.ok()) << ranged.status().ToString();
  EXPECT_TRUE(*ranged == Bytes(data.begin() + offset, data.begin() + offset + 300));

  Status again = backend.Put(kPackKey, data, {.if_absent = true});
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();
  EXPECT_EQ(again.message(), "writing data/3f/" + kName + ": object already exists");
}

TEST(S3Backend, FailedMultipartUploadLeavesNoObject) {
  S3Options options = S3OptionsFromEnvironment();
  options.multipart_threshold = 2 << 20;
  options.part_size = 1 << 20;  // below S3's 5 MiB minimum: completing the upload fails
  ScopedS3Backend backend(options);
  Status put = backend.Put(kPackKey, testing::conformance_internal::Content(3 << 20, 1));
  EXPECT_EQ(put.code(), StatusCode::kIoError) << put.ToString();
  EXPECT_EQ(put.message(), "writing data/3f/" + kName +
                               ": completing a multipart upload: the S3 server at " + Endpoint() +
                               " refused the request: EntityTooSmall (HTTP 400)");
  EXPECT_EQ(backend.Stat(kPackKey).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(ListNames(backend, ObjectKind::kPack).empty());
}

TEST(S3Backend, StorageClassIsAccepted) {
  ScopedS3Backend backend;
  Status put = backend.Put(kPackKey, ToBytes("cold"), {.storage_class = "STANDARD"});
  ASSERT_TRUE(put.ok()) << put.ToString();
  Result<Bytes> got = backend.Get(kPackKey);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(AsString(*got), "cold");
}

TEST(S3Backend, RepositoriesInDifferentPrefixesDoNotMix) {
  const std::string location = FreshLocation();
  std::unique_ptr<S3Backend> first = OpenOrDie(location, S3OptionsFromEnvironment());
  std::unique_ptr<S3Backend> second = OpenOrDie(location + "-other", S3OptionsFromEnvironment());
  EXPECT_EQ(first->Properties().location, location);
  EXPECT_EQ(first->Properties().max_connections, 8);
  ASSERT_TRUE(first->Put(kPackKey, ToBytes("pack")).ok());
  ASSERT_TRUE(first->Put(kConfig, ToBytes("config")).ok());
  EXPECT_TRUE(ListNames(*second, ObjectKind::kPack).empty());
  EXPECT_TRUE(ListNames(*second, ObjectKind::kConfig).empty());
  EXPECT_EQ(second->Stat(kPackKey).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ListNames(*first, ObjectKind::kPack), std::multiset<std::string>{kName});
  ASSERT_TRUE(first->Remove(kPackKey).ok());
  ASSERT_TRUE(first->Remove(kConfig).ok());
}

TEST(S3Backend, WrongSecretIsACredentialsError) {
  S3Options options = S3OptionsFromEnvironment();
  options.credentials.secret_access_key = "not-the-secret-key-000000000000000000000";
  std::unique_ptr<S3Backend> backend = OpenOrDie(FreshLocation(), options);
  const std::string expected = "the S3 server at " + Endpoint() +
                               " rejected the credentials: SignatureDoesNotMatch (HTTP 403)";
  Result<ObjectInfo> stat = backend->Stat(kConfig);
  EXPECT_EQ(stat.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(stat.status().message(), StartsWith("checking config: " + expected));
  EXPECT_EQ(stat.status().hint(), "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  EXPECT_FALSE(stat.status().retryable());
  Status put = backend->Put(kConfig, ToBytes("config"));
  EXPECT_EQ(put.code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(put.message(), StartsWith("writing config: " + expected));
  EXPECT_THAT(put.ToString(), ::testing::Not(HasSubstr(options.credentials.secret_access_key)));
}

TEST(S3Backend, UnknownAccessKeyIsACredentialsError) {
  S3Options options = S3OptionsFromEnvironment();
  options.credentials.access_key_id = "NOSUCHACCESSKEY00000";
  std::unique_ptr<S3Backend> backend = OpenOrDie(FreshLocation(), options);
  Result<Bytes> got = backend->Get(kConfig);
  EXPECT_EQ(got.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(got.status().message(),
              StartsWith("reading config: the S3 server at " + Endpoint() +
                         " rejected the credentials: InvalidAccessKeyId (HTTP 403)"));
}

TEST(S3Backend, MissingBucketIsNamed) {
  const std::string location = "s3:" + Endpoint() + "/lifeboat-no-such-bucket/repo";
  std::unique_ptr<S3Backend> backend = OpenOrDie(location, S3OptionsFromEnvironment());
  const std::string expected = "bucket \"lifeboat-no-such-bucket\" does not exist at " + Endpoint();
  Result<ObjectInfo> stat = backend->Stat(kConfig);
  EXPECT_EQ(stat.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(stat.status().message(), "checking config: " + expected);
  EXPECT_EQ(stat.status().hint(),
            "create the bucket first (lifeboat does not create buckets), or check the "
            "repository location");
  Status put = backend->Put(kConfig, ToBytes("config"), {.if_absent = true});
  EXPECT_EQ(put.code(), StatusCode::kNotFound);
  EXPECT_EQ(put.message(), "writing config: " + expected);
  Status list =
      backend->List(ObjectKind::kSnapshot, "", [](const ObjectInfo&) { return Status::Ok(); });
  EXPECT_EQ(list.code(), StatusCode::kNotFound);
  EXPECT_EQ(list.message(), "listing snapshots: " + expected);
}

TEST(S3Backend, SkewedClockIsNamed) {
  FakeClock clock(int64_t{1'440'938'160} * 1'000'000'000);  // 2015-08-30
  S3Options options = S3OptionsFromEnvironment();
  options.clock = &clock;
  std::unique_ptr<S3Backend> backend = OpenOrDie(FreshLocation(), options);
  Result<Bytes> got = backend->Get(kConfig);
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(got.status().retryable());
  EXPECT_THAT(got.status().message(),
              StartsWith("reading config: this machine's clock differs too much from the S3 "
                         "server's at " +
                         Endpoint() + ": RequestTimeTooSkewed (HTTP 403)"));
  EXPECT_EQ(got.status().hint(), "set the clock right (for example with NTP)");
}

TEST(S3Backend, VirtualHostedAddressingWorks) {
  // RGW serves BUCKET.localhost as the bucket, and curl resolves *.localhost to loopback.
  std::string location = FreshLocation();
  const std::string host = "127.0.0.1:";
  location.replace(location.find(host), host.size() - 1, "localhost");
  S3Options options = S3OptionsFromEnvironment();
  options.addressing = S3Addressing::kVirtualHosted;
  std::unique_ptr<S3Backend> backend = OpenOrDie(location, options);
  ASSERT_TRUE(backend->Put(kPackKey, ToBytes("virtual")).ok());
  Result<Bytes> got = backend->Get(kPackKey, ByteRange{.offset = 1, .length = 3});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(AsString(*got), "irt");
  EXPECT_EQ(ListNames(*backend, ObjectKind::kPack), std::multiset<std::string>{kName});
  Status removed = backend->Remove(kPackKey);
  EXPECT_TRUE(removed.ok()) << removed.ToString();
}

TEST(S3Backend, UnreachableEndpointIsRetryable) {
  S3Options options = S3OptionsFromEnvironment();
  options.connect_timeout_ms = 2000;
  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  std::unique_ptr<S3Backend> backend = OpenOrDie("s3:http://127.0.0.1:1/bucket", options);
  Result<ObjectInfo> stat = backend->Stat(kConfig);
  EXPECT_EQ(stat.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(stat.status().retryable());
  EXPECT_THAT(stat.status().message(),
              StartsWith("checking config: cannot reach endpoint http://127.0.0.1:1: "));
  EXPECT_EQ(stat.status().hint(),
            "check the host and port in the repository location and that the server runs");
}

}  // namespace
}  // namespace lifeboat::storage
