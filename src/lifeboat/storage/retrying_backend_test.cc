#include "lifeboat/storage/retrying_backend.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>

#include "lifeboat/storage/testing/backend_conformance_tests.h"
#include "lifeboat/storage/testing/faulty_backend.h"
#include "lifeboat/storage/testing/memory_backend.h"

namespace lifeboat::storage {
namespace {

using testing::BackendMethod;
using testing::FaultyBackend;
using testing::MemoryBackend;

constexpr int64_t kMillis = 1'000'000;

// The conformance suite on a RetryingBackend: wrapping must not change the contract.
class RetryingMemoryBackend final : public Backend {
 public:
  RetryingMemoryBackend() : retrying_(&memory_, RetryPolicy{}, &clock_) {}
  BackendProperties Properties() const override { return retrying_.Properties(); }
  Status Put(const ObjectKey& key, ByteView data, const PutOptions& options) override {
    return retrying_.Put(key, data, options);
  }
  Result<Bytes> Get(const ObjectKey& key, ByteRange range) override {
    return retrying_.Get(key, range);
  }
  Result<ObjectInfo> Stat(const ObjectKey& key) override { return retrying_.Stat(key); }
  Status List(ObjectKind kind, std::string_view prefix, const ListVisitor& visit) override {
    return retrying_.List(kind, prefix, visit);
  }
  Status Remove(const ObjectKey& key) override { return retrying_.Remove(key); }

 private:
  MemoryBackend memory_;
  FakeClock clock_;
  RetryingBackend retrying_;
};

class RetryingFactory {
 public:
  static std::unique_ptr<Backend> Make() { return std::make_unique<RetryingMemoryBackend>(); }
};

}  // namespace
}  // namespace lifeboat::storage

namespace lifeboat::storage::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Retrying, BackendConformance, ::testing::Types<RetryingFactory>);
}  // namespace lifeboat::storage::testing

namespace lifeboat::storage {
namespace {

const ObjectKey kLock{ObjectKind::kLock, std::string(64, 'a')};
const ObjectKey kPack{ObjectKind::kPack, "3f" + std::string(62, 'b')};

class RetryingBackendTest : public ::testing::Test {
 protected:
  // Always sleeps the whole backoff bound, so the sleeps are exact.
  RetryingBackend MakeRetrying(RetryPolicy policy = {}) {
    return RetryingBackend(&faulty_, policy, &clock_, [] { return 1.0; });
  }
  int64_t SleptMillis() const { return clock_.NowNanos() / kMillis; }

  MemoryBackend memory_;
  FaultyBackend faulty_{&memory_};
  FakeClock clock_;
};

TEST_F(RetryingBackendTest, RetriesRetryableErrorsWithExponentialBackoff) {
  faulty_.AddFault({.method = BackendMethod::kGet, .count = 3, .error = UnavailableError("503")});
  ASSERT_TRUE(memory_.Put(kPack, ToBytes("pack")).ok());
  RetryingBackend retrying = MakeRetrying();
  Result<Bytes> got = retrying.Get(kPack);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(AsString(*got), "pack");
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kGet), 4u);
  EXPECT_EQ(SleptMillis(), 100 + 200 + 400);
}

TEST_F(RetryingBackendTest, JitterSleepsAFractionOfTheBound) {
  faulty_.AddFault({.method = BackendMethod::kStat, .count = 2, .error = UnavailableError("503")});
  ASSERT_TRUE(memory_.Put(kPack, ToBytes("pack")).ok());
  RetryingBackend retrying(&faulty_, RetryPolicy{}, &clock_, [] { return 0.25; });
  ASSERT_TRUE(retrying.Stat(kPack).ok());
  EXPECT_EQ(SleptMillis(), 25 + 50);
}

TEST_F(RetryingBackendTest, GivesUpAfterMaxAttemptsWithCappedDelays) {
  faulty_.AddFault({.method = BackendMethod::kStat,
                    .count = 0,
                    .error = UnavailableError("cannot reach endpoint http://s3")});
  RetryingBackend retrying =
      MakeRetrying(RetryPolicy{.max_attempts = 5, .base_delay_ms = 100, .max_delay_ms = 250});
  Result<ObjectInfo> info = retrying.Stat(kPack);
  EXPECT_EQ(info.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(info.status().message(), "cannot reach endpoint http://s3 (gave up after 5 attempts)");
  EXPECT_TRUE(info.status().retryable());
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kStat), 5u);
  EXPECT_EQ(SleptMillis(), 100 + 200 + 250 + 250);
}

TEST_F(RetryingBackendTest, NeverRetriesErrorsThatAreNotRetryable) {
  RetryingBackend retrying = MakeRetrying();
  faulty_.AddFault({.method = BackendMethod::kPut,
                    .count = 0,
                    .error = PermissionDeniedError("rejected the credentials")});
  EXPECT_EQ(retrying.Put(kLock, ToBytes("lock")).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kPut), 1u);

  Result<Bytes> missing = retrying.Get(kPack);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kGet), 1u);
  EXPECT_EQ(SleptMillis(), 0);
}

TEST_F(RetryingBackendTest, PutIfAbsentWhoseReplyWasLostSucceedsOnIdenticalContent) {
  faulty_.AddFault(
      {.method = BackendMethod::kPut, .error = UnavailableError("reset"), .after_inner = true});
  RetryingBackend retrying = MakeRetrying();
  Status status = retrying.Put(kLock, ToBytes("lock"), {.if_absent = true});
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kPut), 2u);
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kGet), 1u);
}

TEST_F(RetryingBackendTest, PutIfAbsentAfterAmbiguousFailureKeepsOthersContent) {
  faulty_.AddFault({.method = BackendMethod::kPut, .error = UnavailableError("timeout")});
  // A rival writer stores different content while we back off.
  RetryingBackend retrying(&faulty_, RetryPolicy{}, &clock_, [this] {
    memory_.Put(kLock, ToBytes("rival")).IgnoreError();
    return 0.0;
  });
  Status status = retrying.Put(kLock, ToBytes("ours"), {.if_absent = true});
  EXPECT_EQ(status.code(), StatusCode::kAlreadyExists);
  Result<Bytes> stored = memory_.Get(kLock);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(AsString(*stored), "rival");
}

TEST_F(RetryingBackendTest, PutIfAbsentOnExistingObjectFailsWithoutReadingIt) {
  ASSERT_TRUE(memory_.Put(kLock, ToBytes("lock")).ok());
  RetryingBackend retrying = MakeRetrying();
  EXPECT_EQ(retrying.Put(kLock, ToBytes("lock"), {.if_absent = true}).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kGet), 0u);
}

TEST_F(RetryingBackendTest, RemoveWhoseReplyWasLostIsDone) {
  ASSERT_TRUE(memory_.Put(kLock, ToBytes("lock")).ok());
  faulty_.AddFault(
      {.method = BackendMethod::kRemove, .error = UnavailableError("reset"), .after_inner = true});
  RetryingBackend retrying = MakeRetrying();
  Status status = retrying.Remove(kLock);
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kRemove), 2u);
  // Without an ambiguous failure, a missing object is still kNotFound.
  EXPECT_EQ(retrying.Remove(kLock).code(), StatusCode::kNotFound);
}

TEST_F(RetryingBackendTest, ListBrokenMidwayVisitsEachObjectOnce) {
  std::multiset<std::string> expected;
  for (char c : std::string("0123456")) {
    const ObjectKey key{ObjectKind::kPack, std::string(64, c)};
    ASSERT_TRUE(memory_.Put(key, ToBytes("pack")).ok());
    expected.insert(key.name);
  }
  faulty_.AddFault({.method = BackendMethod::kList,
                    .error = UnavailableError("connection reset"),
                    .fail_list_after = 3});
  RetryingBackend retrying = MakeRetrying();
  std::multiset<std::string> names;
  Status status = retrying.List(ObjectKind::kPack, "", [&](const ObjectInfo& info) {
    names.insert(info.key.name);
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(names, expected);
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kList), 2u);
}

TEST_F(RetryingBackendTest, VisitorErrorsAreNeverRetried) {
  ASSERT_TRUE(memory_.Put(kPack, ToBytes("pack")).ok());
  RetryingBackend retrying = MakeRetrying();
  Status status = retrying.List(ObjectKind::kPack, "", [](const ObjectInfo&) {
    return UnavailableError("the visitor's own trouble");
  });
  EXPECT_EQ(status.message(), "the visitor's own trouble");
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kList), 1u);
}

TEST_F(RetryingBackendTest, OwnsAnInnerBackendWhenGivenOne) {
  auto memory = std::make_unique<MemoryBackend>();
  MemoryBackend* raw = memory.get();
  RetryingBackend retrying(std::move(memory), RetryPolicy{}, &clock_);
  ASSERT_TRUE(retrying.Put(kLock, ToBytes("lock")).ok());
  EXPECT_EQ(raw->ObjectCount(), 1u);
  EXPECT_EQ(retrying.Properties().location, "memory");
}

}  // namespace
}  // namespace lifeboat::storage
