#include "lifeboat/storage/testing/memory_backend.h"

#include <gtest/gtest.h>

#include "lifeboat/storage/testing/backend_conformance_tests.h"

namespace lifeboat::storage::testing {
namespace {

class MemoryFactory {
 public:
  static std::unique_ptr<Backend> Make() { return std::make_unique<MemoryBackend>(); }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Memory, BackendConformance, ::testing::Types<MemoryFactory>);

TEST(MemoryBackend, ObjectCountFollowsPutsAndRemoves) {
  MemoryBackend backend;
  const ObjectKey config{ObjectKind::kConfig, ""};
  const ObjectKey key{ObjectKind::kKey, std::string(64, 'a')};
  EXPECT_EQ(backend.ObjectCount(), 0u);
  ASSERT_TRUE(backend.Put(config, ToBytes("c")).ok());
  ASSERT_TRUE(backend.Put(key, ToBytes("k")).ok());
  ASSERT_TRUE(backend.Put(key, ToBytes("k")).ok());
  EXPECT_EQ(backend.ObjectCount(), 2u);
  ASSERT_TRUE(backend.Remove(config).ok());
  EXPECT_EQ(backend.ObjectCount(), 1u);
}

TEST(MemoryBackend, VisitorMayCallBackIntoTheBackend) {
  MemoryBackend backend;
  const ObjectKey key{ObjectKind::kLock, std::string(64, 'b')};
  ASSERT_TRUE(backend.Put(key, ToBytes("lock")).ok());
  Status status = backend.List(ObjectKind::kLock, "",
                               [&](const ObjectInfo& info) { return backend.Remove(info.key); });
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(backend.ObjectCount(), 0u);
}

TEST(MemoryBackend, ErrorsNameTheObjectPath) {
  MemoryBackend backend;
  const std::string name(64, 'c');
  EXPECT_EQ(backend.Get(ObjectKey{ObjectKind::kPack, name}).status().message(),
            "reading data/cc/" + name + ": no such object");
}

}  // namespace
}  // namespace lifeboat::storage::testing
