#include "lifeboat/storage/testing/faulty_backend.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "lifeboat/storage/testing/memory_backend.h"

namespace lifeboat::storage::testing {
namespace {

const ObjectKey kPack{ObjectKind::kPack, "ab" + std::string(62, '0')};
const ObjectKey kIndex{ObjectKind::kIndex, "cd" + std::string(62, '0')};

class FaultyBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(inner_.Put(kPack, ToBytes("0123456789")).ok());
    ASSERT_TRUE(inner_.Put(kIndex, ToBytes("index")).ok());
  }

  MemoryBackend inner_;
  FaultyBackend faulty_{&inner_};
};

TEST_F(FaultyBackendTest, PassesCallsThroughWithoutFaults) {
  Result<Bytes> got = faulty_.Get(kPack);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(AsString(*got), "0123456789");
  EXPECT_EQ(faulty_.Properties().location, "memory");
}

TEST_F(FaultyBackendTest, FailsTheNthCallOnly) {
  faulty_.AddFault({.method = BackendMethod::kGet,
                    .first_call = 3,
                    .error = IoError("connection reset").SetRetryable()});
  EXPECT_TRUE(faulty_.Get(kPack).ok());
  EXPECT_TRUE(faulty_.Get(kPack).ok());
  Result<Bytes> third = faulty_.Get(kPack);
  EXPECT_EQ(third.status().code(), StatusCode::kIoError);
  EXPECT_EQ(third.status().message(), "connection reset");
  EXPECT_TRUE(third.status().retryable());
  EXPECT_TRUE(faulty_.Get(kPack).ok());
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kGet), 4u);
}

TEST_F(FaultyBackendTest, FailsOnceThenSucceedsWithoutStoringTheFailedPut) {
  const ObjectKey key{ObjectKind::kSnapshot, std::string(64, '5')};
  faulty_.AddFault({.method = BackendMethod::kPut, .error = UnavailableError("503")});
  EXPECT_EQ(faulty_.Put(key, ToBytes("snapshot")).code(), StatusCode::kUnavailable);
  EXPECT_EQ(inner_.Stat(key).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(faulty_.Put(key, ToBytes("snapshot")).ok());
  EXPECT_TRUE(inner_.Stat(key).ok());
}

TEST_F(FaultyBackendTest, CountZeroFailsEveryCallFromFirstCall) {
  faulty_.AddFault({.method = BackendMethod::kStat,
                    .first_call = 2,
                    .count = 0,
                    .error = PermissionDeniedError("denied")});
  EXPECT_TRUE(faulty_.Stat(kPack).ok());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(faulty_.Stat(kPack).status().code(), StatusCode::kPermissionDenied);
  }
}

TEST_F(FaultyBackendTest, CountsCallsPerMethod) {
  faulty_.AddFault({.method = BackendMethod::kRemove, .error = IoError("remove failed")});
  EXPECT_TRUE(faulty_.Get(kPack).ok());
  EXPECT_TRUE(faulty_.Stat(kPack).ok());
  EXPECT_EQ(faulty_.Remove(kIndex).code(), StatusCode::kIoError);
  EXPECT_TRUE(faulty_.Remove(kIndex).ok());
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kGet), 1u);
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kStat), 1u);
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kRemove), 2u);
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kPut), 0u);
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kList), 0u);
}

TEST_F(FaultyBackendTest, FlipsAByteOfWhatGetReturns) {
  faulty_.AddFault({.method = BackendMethod::kGet, .flip_byte_at = 2});
  Result<Bytes> got = faulty_.Get(kPack);
  ASSERT_TRUE(got.ok());
  Bytes expected = ToBytes("0123456789");
  expected[2] ^= 0xff;
  EXPECT_EQ(*got, expected);
  // The stored object is untouched, and the fault applied to the first call only.
  EXPECT_EQ(AsString(*inner_.Get(kPack)), "0123456789");
  EXPECT_EQ(AsString(*faulty_.Get(kPack)), "0123456789");
}

TEST_F(FaultyBackendTest, TruncatesWhatGetReturns) {
  faulty_.AddFault({.method = BackendMethod::kGet, .truncate_to = 4});
  Result<Bytes> got = faulty_.Get(kPack);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(AsString(*got), "0123");
}

TEST_F(FaultyBackendTest, AppliesFaultsOnlyToTheGivenKind) {
  faulty_.AddFault({.method = BackendMethod::kGet,
                    .count = 0,
                    .kind = ObjectKind::kIndex,
                    .error = CorruptionError("bad index")});
  faulty_.AddFault({.method = BackendMethod::kList,
                    .count = 0,
                    .kind = ObjectKind::kIndex,
                    .error = IoError("cannot list")});
  EXPECT_TRUE(faulty_.Get(kPack).ok());
  EXPECT_EQ(faulty_.Get(kIndex).status().code(), StatusCode::kCorruption);
  auto ignore = [](const ObjectInfo&) { return Status::Ok(); };
  EXPECT_TRUE(faulty_.List(ObjectKind::kPack, "", ignore).ok());
  EXPECT_EQ(faulty_.List(ObjectKind::kIndex, "", ignore).code(), StatusCode::kIoError);
}

TEST_F(FaultyBackendTest, CrashNowFailsEveryLaterPutAndStoresNothing) {
  faulty_.CrashNow();
  for (int i = 0; i < 3; ++i) {
    const ObjectKey key{ObjectKind::kLock, std::string(63, '0') + std::to_string(i)};
    Status status = faulty_.Put(key, ToBytes("lock"));
    EXPECT_EQ(status.code(), StatusCode::kIoError);
    EXPECT_EQ(status.message(), "simulated crash");
  }
  EXPECT_EQ(inner_.ObjectCount(), 2u);
  // What was stored before the crash stays readable, as it would be on disk.
  EXPECT_TRUE(faulty_.Get(kPack).ok());
}

TEST_F(FaultyBackendTest, CrashAtMutationCountsPutsAndRemovesTogether) {
  faulty_.CrashAtMutation(3);
  const ObjectKey lock{ObjectKind::kLock, std::string(64, '1')};
  EXPECT_TRUE(faulty_.Put(lock, ToBytes("lock")).ok());                        // 1
  EXPECT_TRUE(faulty_.Remove(lock).ok());                                      // 2
  EXPECT_EQ(faulty_.Put(lock, ToBytes("lock")).message(), "simulated crash");  // 3
  EXPECT_EQ(faulty_.Remove(kPack).message(), "simulated crash");
  EXPECT_EQ(faulty_.MutationCount(), 4u);
  EXPECT_TRUE(faulty_.Get(kPack).ok()) << "reads go on, as on disk after a crash";
  EXPECT_EQ(inner_.ObjectCount(), 2u);
}

TEST_F(FaultyBackendTest, DelaysCalls) {
  faulty_.AddFault({.method = BackendMethod::kStat, .delay = std::chrono::milliseconds(50)});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(faulty_.Stat(kPack).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
}

TEST_F(FaultyBackendTest, ClearFaultsRemovesTheScript) {
  faulty_.AddFault({.method = BackendMethod::kGet, .count = 0, .error = IoError("down")});
  EXPECT_FALSE(faulty_.Get(kPack).ok());
  faulty_.ClearFaults();
  EXPECT_TRUE(faulty_.Get(kPack).ok());
}

TEST_F(FaultyBackendTest, AfterInnerFaultsTakeEffectThenFail) {
  const ObjectKey key{ObjectKind::kLock, std::string(64, '6')};
  faulty_.AddFault({.method = BackendMethod::kPut,
                    .error = UnavailableError("reply lost"),
                    .after_inner = true});
  EXPECT_EQ(faulty_.Put(key, ToBytes("lock")).message(), "reply lost");
  EXPECT_TRUE(inner_.Stat(key).ok());
  faulty_.AddFault({.method = BackendMethod::kRemove,
                    .error = UnavailableError("reply lost"),
                    .after_inner = true});
  EXPECT_EQ(faulty_.Remove(key).message(), "reply lost");
  EXPECT_EQ(inner_.Stat(key).status().code(), StatusCode::kNotFound);
}

TEST_F(FaultyBackendTest, ListingBreaksAfterTheGivenNumberOfVisits) {
  faulty_.AddFault({.method = BackendMethod::kList,
                    .error = UnavailableError("connection reset"),
                    .fail_list_after = 1});
  ASSERT_TRUE(inner_.Put(ObjectKey{ObjectKind::kPack, "ff" + std::string(62, '0')}, {}).ok());
  int visits = 0;
  Status status = faulty_.List(ObjectKind::kPack, "", [&](const ObjectInfo&) {
    ++visits;
    return Status::Ok();
  });
  EXPECT_EQ(status.message(), "connection reset");
  EXPECT_EQ(visits, 1);
}

}  // namespace
}  // namespace lifeboat::storage::testing
