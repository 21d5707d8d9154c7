#include "lifeboat/storage/local_backend.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "lifeboat/storage/testing/backend_conformance_tests.h"

namespace lifeboat::storage {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the system temp directory, removed with everything in it.
class TempDirectory {
 public:
  TempDirectory() {
    std::string pattern = (fs::temp_directory_path() / "lifeboat-storage-test-XXXXXX").string();
    LIFEBOAT_CHECK(::mkdtemp(pattern.data()) != nullptr, "cannot create a test directory");
    path_ = pattern;
  }
  ~TempDirectory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// LocalBackend is final, so the conformance suite gets this forwarding owner of both the
// backend and its directory, which lets the directory go when the test's backend does.
class ScopedLocalBackend final : public Backend {
 public:
  ScopedLocalBackend() : local_(directory_.path()) {}

  BackendProperties Properties() const override { return local_.Properties(); }
  Status Put(const ObjectKey& key, ByteView data, const PutOptions& options) override {
    return local_.Put(key, data, options);
  }
  Result<Bytes> Get(const ObjectKey& key, ByteRange range) override {
    return local_.Get(key, range);
  }
  Result<ObjectInfo> Stat(const ObjectKey& key) override { return local_.Stat(key); }
  Status List(ObjectKind kind, std::string_view prefix, const ListVisitor& visit) override {
    return local_.List(kind, prefix, visit);
  }
  Status Remove(const ObjectKey& key) override { return local_.Remove(key); }

 private:
  TempDirectory directory_;
  LocalBackend local_;
};

class LocalFactory {
 public:
  static std::unique_ptr<Backend> Make() { return std::make_unique<ScopedLocalBackend>(); }
};

}  // namespace
}  // namespace lifeboat::storage

// The suite's registration names live in its namespace, so the instantiation must too.
namespace lifeboat::storage::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Local, BackendConformance, ::testing::Types<LocalFactory>);
}  // namespace lifeboat::storage::testing

namespace lifeboat::storage {
namespace {

const std::string kName = "3fa2" + std::string(60, '1');
const ObjectKey kPackKey{ObjectKind::kPack, kName};

std::vector<std::string> TempFilesUnder(const std::string& root) {
  std::vector<std::string> found;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().filename().string().starts_with(".tmp-")) {
      found.push_back(entry.path().string());
    }
  }
  return found;
}

void WriteFile(const fs::path& path, std::string_view content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << content;
}

class LocalBackendTest : public ::testing::Test {
 protected:
  TempDirectory directory_;
  LocalBackend backend_{directory_.path()};
};

TEST_F(LocalBackendTest, StoresObjectsAtTheirObjectPath) {
  ASSERT_TRUE(backend_.Put(kPackKey, ToBytes("pack")).ok());
  ASSERT_TRUE(backend_.Put(ObjectKey{ObjectKind::kConfig, ""}, ToBytes("config")).ok());
  EXPECT_TRUE(fs::is_regular_file(directory_.path() + "/data/3f/" + kName));
  EXPECT_TRUE(fs::is_regular_file(directory_.path() + "/config"));
}

TEST_F(LocalBackendTest, LeavesNoTemporaryFilesBehind) {
  ASSERT_TRUE(backend_.Put(kPackKey, ToBytes("pack")).ok());
  ASSERT_TRUE(backend_.Put(kPackKey, ToBytes("pack")).ok());
  EXPECT_EQ(backend_.Put(kPackKey, ToBytes("pack"), {.if_absent = true}).code(),
            StatusCode::kAlreadyExists);
  ASSERT_TRUE(backend_.Put(ObjectKey{ObjectKind::kLock, kName}, Bytes()).ok());
  ASSERT_TRUE(backend_.Put(ObjectKey{ObjectKind::kConfig, ""}, ToBytes("config")).ok());
  EXPECT_EQ(TempFilesUnder(directory_.path()), std::vector<std::string>());
}

TEST_F(LocalBackendTest, ListIgnoresTemporaryAndForeignFiles) {
  ASSERT_TRUE(backend_.Put(kPackKey, ToBytes("pack")).ok());
  ASSERT_TRUE(backend_.Put(ObjectKey{ObjectKind::kKey, kName}, ToBytes("key")).ok());
  const std::string& root = directory_.path();
  WriteFile(root + "/data/3f/.tmp-0123456789abcdef", "half a pack");
  WriteFile(root + "/data/ab/" + kName, "pack in the wrong fan-out directory");
  WriteFile(root + "/data/zz/zz" + std::string(62, '0'), "not hex");
  WriteFile(root + "/data/" + kName, "pack without fan-out");
  WriteFile(root + "/keys/.tmp-0123456789abcdef", "half a key");
  WriteFile(root + "/keys/README", "foreign");
  fs::create_directories(root + "/keys/" + std::string(64, 'e'));  // a directory, not an object

  std::vector<ObjectKey> packs;
  ASSERT_TRUE(backend_
                  .List(ObjectKind::kPack, "",
                        [&](const ObjectInfo& info) {
                          packs.push_back(info.key);
                          return Status::Ok();
                        })
                  .ok());
  EXPECT_EQ(packs, std::vector<ObjectKey>{kPackKey});
  std::vector<ObjectKey> keys;
  ASSERT_TRUE(backend_
                  .List(ObjectKind::kKey, "",
                        [&](const ObjectInfo& info) {
                          keys.push_back(info.key);
                          return Status::Ok();
                        })
                  .ok());
  EXPECT_EQ(keys, (std::vector<ObjectKey>{{ObjectKind::kKey, kName}}));
}

TEST(LocalBackend, PutIntoMissingRootIsNotFoundAndCreatesNothing) {
  TempDirectory directory;
  const std::string root = directory.path() + "/missing";
  LocalBackend backend(root);
  Status status = backend.Put(kPackKey, ToBytes("pack"));
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.message(),
            "writing data/3f/" + kName + ": repository directory " + root + " does not exist");
  EXPECT_FALSE(fs::exists(root));
}

TEST(LocalBackend, ListOfMissingRootIsNotFound) {
  TempDirectory directory;
  const std::string root = directory.path() + "/missing";
  LocalBackend backend(root);
  for (ObjectKind kind : {ObjectKind::kConfig, ObjectKind::kPack, ObjectKind::kSnapshot}) {
    Status status = backend.List(kind, "", [](const ObjectInfo&) { return Status::Ok(); });
    EXPECT_EQ(status.code(), StatusCode::kNotFound) << ObjectKindName(kind);
    EXPECT_EQ(status.message(), "repository directory " + root + " does not exist");
  }
}

TEST_F(LocalBackendTest, ErrorsNameTheObjectPath) {
  Result<Bytes> got = backend_.Get(kPackKey);
  EXPECT_EQ(got.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(got.status().message(), "reading data/3f/" + kName + ": No such file or directory");

  ASSERT_TRUE(backend_.Put(kPackKey, ToBytes("0123456789")).ok());
  got = backend_.Get(kPackKey, ByteRange{.offset = 8, .length = 3});
  EXPECT_EQ(got.status().message(), "reading data/3f/" + kName +
                                        ": range of 3 bytes at offset 8 reaches past the end of "
                                        "the 10-byte object");
  EXPECT_EQ(backend_.Put(kPackKey, ToBytes("x"), {.if_absent = true}).message(),
            "writing data/3f/" + kName + ": object already exists");
  EXPECT_EQ(backend_.Remove(ObjectKey{ObjectKind::kLock, kName}).message(),
            "removing locks/" + kName + ": No such file or directory");
}

TEST(LocalBackend, CreateRootMakesParentsAndIsIdempotent) {
  TempDirectory directory;
  const std::string root = directory.path() + "/a/b/repo";
  LocalBackend backend(root);
  ASSERT_TRUE(backend.CreateRoot().ok());
  EXPECT_TRUE(fs::is_directory(root));
  EXPECT_EQ(fs::status(root).permissions(), fs::perms::owner_all);
  ASSERT_TRUE(backend.CreateRoot().ok());
  EXPECT_TRUE(backend.Put(kPackKey, ToBytes("pack")).ok());
}

TEST(LocalBackend, CreateRootOnRegularFileFails) {
  TempDirectory directory;
  const std::string root = directory.path() + "/file";
  WriteFile(root, "not a directory");
  LocalBackend backend(root);
  Status status = backend.CreateRoot();
  EXPECT_EQ(status.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(status.message(), "creating repository directory " + root +
                                  ": a file with that name exists and is not a directory");
}

TEST(LocalBackend, ReportsRootAsLocation) {
  LocalBackend backend("/srv/backups/repo");
  EXPECT_EQ(backend.Properties().location, "/srv/backups/repo");
  EXPECT_EQ(backend.Properties().max_connections, 4);
}

}  // namespace
}  // namespace lifeboat::storage
