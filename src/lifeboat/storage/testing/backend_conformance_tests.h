// The BackendConformance test bodies (see backend_conformance.h). Each test gets a fresh, empty
// backend from the factory and checks one clause of the contract in backend.h.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lifeboat/storage/testing/backend_conformance.h"

namespace lifeboat::storage::testing {
namespace conformance_internal {

// A valid object name: `prefix` followed by the hex digits of `number`, zero-padded to 64.
inline std::string Name(std::string_view prefix, uint64_t number) {
  char digits[17];
  std::snprintf(digits, sizeof(digits), "%016llx", static_cast<unsigned long long>(number));
  std::string name(prefix);
  name.append(64 - name.size() - 16, '0');
  name += digits;
  return name;
}

inline ObjectKey Key(ObjectKind kind, std::string_view prefix, uint64_t number) {
  return ObjectKey{kind, Name(prefix, number)};
}

// Content that differs per seed and covers every byte value.
inline Bytes Content(size_t size, uint8_t seed) {
  Bytes data(size, 0);
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<uint8_t>(i * 7 + seed);
  return data;
}

inline std::multiset<std::string> ListNames(Backend& backend, ObjectKind kind,
                                            std::string_view prefix) {
  std::multiset<std::string> names;
  Status status = backend.List(kind, prefix, [&](const ObjectInfo& info) {
    EXPECT_EQ(info.key.kind, kind);
    names.insert(info.key.name);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return names;
}

}  // namespace conformance_internal

TYPED_TEST_P(BackendConformance, PutThenGetReturnsEveryByte) {
  const ObjectKey key = conformance_internal::Key(ObjectKind::kPack, "3f", 1);
  const Bytes data = conformance_internal::Content(4096, 1);
  ASSERT_TRUE(this->backend_->Put(key, data).ok());
  Result<Bytes> got = this->backend_->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, data);
}

TYPED_TEST_P(BackendConformance, EmptyObjectRoundTrips) {
  const ObjectKey key = conformance_internal::Key(ObjectKind::kLock, "", 2);
  ASSERT_TRUE(this->backend_->Put(key, Bytes()).ok());
  Result<Bytes> got = this->backend_->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->empty());
  Result<ObjectInfo> info = this->backend_->Stat(key);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 0u);
}

TYPED_TEST_P(BackendConformance, LargeObjectRoundTrips) {
  const ObjectKey key = conformance_internal::Key(ObjectKind::kPack, "ab", 3);
  const Bytes data = conformance_internal::Content(20 << 20, 3);
  ASSERT_TRUE(this->backend_->Put(key, data).ok());
  Result<Bytes> got = this->backend_->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);  // not EXPECT_EQ: a failure would print 20 MiB
}

TYPED_TEST_P(BackendConformance, GetMissingIsNotFound) {
  Result<Bytes> got = this->backend_->Get(conformance_internal::Key(ObjectKind::kIndex, "", 4));
  EXPECT_EQ(got.status().code(), StatusCode::kNotFound) << got.status().ToString();
  Result<Bytes> ranged = this->backend_->Get(conformance_internal::Key(ObjectKind::kIndex, "", 4),
                                             ByteRange{.offset = 0, .length = 1});
  EXPECT_EQ(ranged.status().code(), StatusCode::kNotFound) << ranged.status().ToString();
}

TYPED_TEST_P(BackendConformance, PutIfAbsentStoresNewObject) {
  const ObjectKey key = conformance_internal::Key(ObjectKind::kSnapshot, "", 5);
  ASSERT_TRUE(this->backend_->Put(key, ToBytes("first"), {.if_absent = true}).ok());
  Result<Bytes> got = this->backend_->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(AsString(*got), "first");
}

TYPED_TEST_P(BackendConformance, PutIfAbsentOnExistingIsAlreadyExistsAndKeepsContent) {
  const ObjectKey key = conformance_internal::Key(ObjectKind::kLock, "", 6);
  ASSERT_TRUE(this->backend_->Put(key, ToBytes("original")).ok());
  Status status = this->backend_->Put(key, ToBytes("intruder"), {.if_absent = true});
  EXPECT_EQ(status.code(), StatusCode::kAlreadyExists) << status.ToString();
  Result<Bytes> got = this->backend_->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(AsString(*got), "original");
}

TYPED_TEST_P(BackendConformance, PutWithoutIfAbsentReplaces) {
  const ObjectKey key = conformance_internal::Key(ObjectKind::kIndex, "", 7);
  ASSERT_TRUE(this->backend_->Put(key, ToBytes("old content")).ok());
  ASSERT_TRUE(this->backend_->Put(key, ToBytes("new")).ok());
  Result<Bytes> got = this->backend_->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(AsString(*got), "new");
  EXPECT_EQ(conformance_internal::ListNames(*this->backend_, ObjectKind::kIndex, "").size(), 1u);
}

TYPED_TEST_P(BackendConformance, RangedGetReturnsExactlyTheRange) {
  const ObjectKey key = conformance_internal::Key(ObjectKind::kPack, "01", 8);
  ASSERT_TRUE(this->backend_->Put(key, ToBytes("0123456789")).ok());
  struct Case {
    ByteRange range;
    std::string_view expected;
  };
  const Case cases[] = {
      {{.offset = 0, .length = 3}, "012"},         {{.offset = 4, .length = 2}, "45"},
      {{.offset = 7, .length = 3}, "789"},         {{.offset = 6}, "6789"},
      {{.offset = 0, .length = 10}, "0123456789"}, {{.offset = 5, .length = 0}, ""},
      {{.offset = 10, .length = 0}, ""},           {{.offset = 10}, ""},
  };
  for (const Case& test : cases) {
    Result<Bytes> got = this->backend_->Get(key, test.range);
    ASSERT_TRUE(got.ok()) << "offset " << test.range.offset << " length " << test.range.length
                          << ": " << got.status().ToString();
    EXPECT_EQ(AsString(*got), test.expected)
        << "offset " << test.range.offset << " length " << test.range.length;
  }
}

TYPED_TEST_P(BackendConformance, RangedGetPastEndIsInvalidArgument) {
  const ObjectKey key = conformance_internal::Key(ObjectKind::kPack, "01", 9);
  ASSERT_TRUE(this->backend_->Put(key, ToBytes("0123456789")).ok());
  const ByteRange ranges[] = {
      {.offset = 8, .length = 3},
      {.offset = 0, .length = 11},
      {.offset = 11, .length = 0},
      {.offset = 11},
      {.offset = 1, .length = ByteRange::kToEnd - 1},  // offset + length overflows
  };
  for (const ByteRange& range : ranges) {
    Result<Bytes> got = this->backend_->Get(key, range);
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument)
        << "offset " << range.offset << " length " << range.length << ": "
        << (got.ok() ? std::string("got ") + std::to_string(got->size()) + " bytes"
                     : got.status().ToString());
  }
}

TYPED_TEST_P(BackendConformance, StatReportsSizeOrNotFound) {
  const ObjectKey key = conformance_internal::Key(ObjectKind::kKey, "", 10);
  ASSERT_TRUE(this->backend_->Put(key, conformance_internal::Content(1234, 10)).ok());
  Result<ObjectInfo> info = this->backend_->Stat(key);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->key, key);
  EXPECT_EQ(info->size, 1234u);

  Result<ObjectInfo> missing =
      this->backend_->Stat(conformance_internal::Key(ObjectKind::kKey, "", 11));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
}

TYPED_TEST_P(BackendConformance, ListShowsEachObjectOfTheKindOnce) {
  std::multiset<std::string> expected;
  for (uint64_t i = 0; i < 5; ++i) {
    const ObjectKey key = conformance_internal::Key(ObjectKind::kSnapshot, "", i);
    ASSERT_TRUE(this->backend_->Put(key, conformance_internal::Content(i, 0)).ok());
    expected.insert(key.name);
  }
  // Same names under other kinds must not leak into the listing.
  ASSERT_TRUE(
      this->backend_->Put(conformance_internal::Key(ObjectKind::kIndex, "", 0), Bytes()).ok());
  ASSERT_TRUE(
      this->backend_->Put(conformance_internal::Key(ObjectKind::kLock, "", 1), Bytes()).ok());

  std::multiset<std::string> names;
  Status status = this->backend_->List(ObjectKind::kSnapshot, "", [&](const ObjectInfo& info) {
    EXPECT_EQ(info.key.kind, ObjectKind::kSnapshot);
    // The content of object i is i bytes long.
    EXPECT_EQ(info.size, std::stoull(info.key.name.substr(48), nullptr, 16));
    names.insert(info.key.name);
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(names, expected);
}

TYPED_TEST_P(BackendConformance, ListOfEmptyKindVisitsNothing) {
  for (ObjectKind kind : {ObjectKind::kConfig, ObjectKind::kKey, ObjectKind::kPack,
                          ObjectKind::kIndex, ObjectKind::kSnapshot, ObjectKind::kLock}) {
    EXPECT_TRUE(conformance_internal::ListNames(*this->backend_, kind, "").empty())
        << ObjectKindName(kind);
  }
}

TYPED_TEST_P(BackendConformance, ListFiltersByPrefix) {
  ASSERT_TRUE(this->backend_->Put(conformance_internal::Key(ObjectKind::kKey, "aa", 1), {}).ok());
  ASSERT_TRUE(this->backend_->Put(conformance_internal::Key(ObjectKind::kKey, "ab", 2), {}).ok());
  ASSERT_TRUE(this->backend_->Put(conformance_internal::Key(ObjectKind::kKey, "b0", 3), {}).ok());

  EXPECT_EQ(conformance_internal::ListNames(*this->backend_, ObjectKind::kKey, "a"),
            (std::multiset<std::string>{conformance_internal::Name("aa", 1),
                                        conformance_internal::Name("ab", 2)}));
  EXPECT_EQ(conformance_internal::ListNames(*this->backend_, ObjectKind::kKey, "ab"),
            (std::multiset<std::string>{conformance_internal::Name("ab", 2)}));
  EXPECT_EQ(conformance_internal::ListNames(*this->backend_, ObjectKind::kKey,
                                            conformance_internal::Name("b0", 3)),
            (std::multiset<std::string>{conformance_internal::Name("b0", 3)}));
  EXPECT_TRUE(conformance_internal::ListNames(*this->backend_, ObjectKind::kKey, "c").empty());
}

TYPED_TEST_P(BackendConformance, ListFiltersPacksAcrossFanOut) {
  // Packs spread over several fan-out directories, some sharing a first digit.
  const std::vector<std::string> prefixes = {"00", "0f", "3a", "3af", "3b", "ff"};
  for (size_t i = 0; i < prefixes.size(); ++i) {
    ASSERT_TRUE(
        this->backend_->Put(conformance_internal::Key(ObjectKind::kPack, prefixes[i], i), {}).ok());
  }
  auto names_with = [&](std::vector<size_t> indexes) {
    std::multiset<std::string> names;
    for (size_t i : indexes) names.insert(conformance_internal::Name(prefixes[i], i));
    return names;
  };
  EXPECT_EQ(conformance_internal::ListNames(*this->backend_, ObjectKind::kPack, ""),
            names_with({0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(conformance_internal::ListNames(*this->backend_, ObjectKind::kPack, "0"),
            names_with({0, 1}));
  EXPECT_EQ(conformance_internal::ListNames(*this->backend_, ObjectKind::kPack, "3a"),
            names_with({2, 3}));
  EXPECT_EQ(conformance_internal::ListNames(*this->backend_, ObjectKind::kPack, "3af"),
            names_with({3}));
  EXPECT_EQ(conformance_internal::ListNames(*this->backend_, ObjectKind::kPack, "3"),
            names_with({2, 3, 4}));
  EXPECT_TRUE(conformance_internal::ListNames(*this->backend_, ObjectKind::kPack, "4").empty());
}

TYPED_TEST_P(BackendConformance, ListStopsAtVisitorError) {
  for (uint64_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(this->backend_
                    ->Put(conformance_internal::Key(ObjectKind::kPack, i % 2 ? "aa" : "bb", i), {})
                    .ok());
  }
  int visits = 0;
  Status status = this->backend_->List(ObjectKind::kPack, "", [&](const ObjectInfo&) {
    ++visits;
    return CancelledError("visitor stopped");
  });
  EXPECT_EQ(visits, 1);
  EXPECT_EQ(status.code(), StatusCode::kCancelled);
  EXPECT_EQ(status.message(), "visitor stopped");
}

TYPED_TEST_P(BackendConformance, RemoveThenGetIsNotFound) {
  const ObjectKey key = conformance_internal::Key(ObjectKind::kLock, "", 12);
  ASSERT_TRUE(this->backend_->Put(key, ToBytes("lock")).ok());
  Status removed = this->backend_->Remove(key);
  ASSERT_TRUE(removed.ok()) << removed.ToString();
  EXPECT_EQ(this->backend_->Get(key).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(this->backend_->Stat(key).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(conformance_internal::ListNames(*this->backend_, ObjectKind::kLock, "").empty());
}

TYPED_TEST_P(BackendConformance, RemoveMissingIsNotFound) {
  Status status = this->backend_->Remove(conformance_internal::Key(ObjectKind::kPack, "77", 13));
  EXPECT_EQ(status.code(), StatusCode::kNotFound) << status.ToString();
}

TYPED_TEST_P(BackendConformance, ConcurrentPutsAndGetsOfDistinctObjects) {
  constexpr int kThreads = 8;
  constexpr int kObjectsPerThread = 16;
  std::vector<std::thread> threads;
  for (int thread_index = 0; thread_index < kThreads; ++thread_index) {
    threads.emplace_back([this, thread_index] {
      for (int object_index = 0; object_index < kObjectsPerThread; ++object_index) {
        const uint64_t number = thread_index * kObjectsPerThread + object_index;
        // Spreads packs over fan-out directories that several threads create at once.
        const std::string prefix = conformance_internal::Name("", number % 4).substr(62);
        const ObjectKey key = conformance_internal::Key(ObjectKind::kPack, prefix, number);
        const Bytes data = conformance_internal::Content(1000 + number, number);
        EXPECT_TRUE(this->backend_->Put(key, data, {.if_absent = true}).ok());
        Result<Bytes> got = this->backend_->Get(key);
        EXPECT_TRUE(got.ok() && *got == data) << key.name;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(conformance_internal::ListNames(*this->backend_, ObjectKind::kPack, "").size(),
            static_cast<size_t>(kThreads * kObjectsPerThread));
}

TYPED_TEST_P(BackendConformance, RacingPutsIfAbsentHaveOneWinner) {
  // Locks and the config rely on this: of writers racing to create an object, exactly one wins
  // and the object holds its content, whole.
  constexpr int kThreads = 8;
  const ObjectKey key = conformance_internal::Key(ObjectKind::kLock, "", 14);
  std::vector<Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int thread_index = 0; thread_index < kThreads; ++thread_index) {
    threads.emplace_back([this, thread_index, &key, &results] {
      results[thread_index] = this->backend_->Put(
          key, conformance_internal::Content(100000, thread_index), {.if_absent = true});
    });
  }
  for (std::thread& thread : threads) thread.join();
  int winner = -1;
  for (int thread_index = 0; thread_index < kThreads; ++thread_index) {
    if (results[thread_index].ok()) {
      EXPECT_EQ(winner, -1) << "threads " << winner << " and " << thread_index << " both won";
      winner = thread_index;
    } else {
      EXPECT_EQ(results[thread_index].code(), StatusCode::kAlreadyExists)
          << results[thread_index].ToString();
    }
  }
  ASSERT_NE(winner, -1);
  Result<Bytes> got = this->backend_->Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == conformance_internal::Content(100000, winner));
}

TYPED_TEST_P(BackendConformance, ConfigObjectWorks) {
  const ObjectKey config{ObjectKind::kConfig, ""};
  EXPECT_EQ(this->backend_->Get(config).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(this->backend_->Put(config, ToBytes("config v1"), {.if_absent = true}).ok());
  EXPECT_EQ(this->backend_->Put(config, ToBytes("config v2"), {.if_absent = true}).code(),
            StatusCode::kAlreadyExists);

  Result<Bytes> got = this->backend_->Get(config, ByteRange{.offset = 7});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(AsString(*got), "v1");
  Result<ObjectInfo> info = this->backend_->Stat(config);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 9u);
  EXPECT_EQ(conformance_internal::ListNames(*this->backend_, ObjectKind::kConfig, ""),
            (std::multiset<std::string>{""}));
  // Objects of other kinds are not the config.
  EXPECT_TRUE(conformance_internal::ListNames(*this->backend_, ObjectKind::kKey, "").empty());

  ASSERT_TRUE(this->backend_->Remove(config).ok());
  EXPECT_EQ(this->backend_->Stat(config).status().code(), StatusCode::kNotFound);
}

REGISTER_TYPED_TEST_SUITE_P(BackendConformance, PutThenGetReturnsEveryByte, EmptyObjectRoundTrips,
                            LargeObjectRoundTrips, GetMissingIsNotFound, PutIfAbsentStoresNewObject,
                            PutIfAbsentOnExistingIsAlreadyExistsAndKeepsContent,
                            PutWithoutIfAbsentReplaces, RangedGetReturnsExactlyTheRange,
                            RangedGetPastEndIsInvalidArgument, StatReportsSizeOrNotFound,
                            ListShowsEachObjectOfTheKindOnce, ListOfEmptyKindVisitsNothing,
                            ListFiltersByPrefix, ListFiltersPacksAcrossFanOut,
                            ListStopsAtVisitorError, RemoveThenGetIsNotFound,
                            RemoveMissingIsNotFound, ConcurrentPutsAndGetsOfDistinctObjects,
                            RacingPutsIfAbsentHaveOneWinner, ConfigObjectWorks);

}  // namespace lifeboat::storage::testing
