#include "lifeboat/repo/repository.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <thread>

#include "lifeboat/crypto/random.h"
#include "lifeboat/crypto/sha256.h"
#include "lifeboat/storage/testing/faulty_backend.h"
#include "lifeboat/storage/testing/memory_backend.h"

namespace lifeboat::repo {
namespace {

using storage::ObjectKey;
using storage::ObjectKind;
using storage::testing::BackendMethod;
using storage::testing::FaultyBackend;
using storage::testing::MemoryBackend;
using ::testing::HasSubstr;

constexpr int64_t kStartNs = 1'700'000'000'000'000'000;
const crypto::KdfParams kCheapKdf{1, 8 * 1024, 1};
const std::string kAuthFailed =
    "authentication failed: the sealed message was altered, or sealed under another key or "
    "associated data";

Bytes RandomData(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes data(size, 0);
  for (uint8_t& byte : data) byte = static_cast<uint8_t>(rng());
  return data;
}

// Every object in the backend, by path, with its content.
std::map<std::string, Bytes> Contents(storage::Backend& backend) {
  std::map<std::string, Bytes> out;
  for (ObjectKind kind : {ObjectKind::kConfig, ObjectKind::kKey, ObjectKind::kPack,
                          ObjectKind::kIndex, ObjectKind::kSnapshot, ObjectKind::kLock}) {
    Status listed = backend.List(kind, "", [&](const storage::ObjectInfo& info) {
      Result<Bytes> data = backend.Get(info.key);
      if (!data.ok()) return data.status();
      out[storage::ObjectPath(info.key)] = *data;
      return Status::Ok();
    });
    EXPECT_TRUE(listed.ok()) << listed.ToString();
  }
  return out;
}

std::vector<std::string> Names(storage::Backend& backend, ObjectKind kind) {
  std::vector<std::string> names;
  Status listed = backend.List(kind, "", [&](const storage::ObjectInfo& info) {
    names.push_back(info.key.name);
    return Status::Ok();
  });
  EXPECT_TRUE(listed.ok()) << listed.ToString();
  std::sort(names.begin(), names.end());
  return names;
}

class RepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitOptions options;
    options.kdf = kCheapKdf;
    options.hostname = "host-a";
    options.username = "alice";
    ASSERT_TRUE(Repository::Init(&memory_, "pw", options, clock_).ok());
    repo_ = Open("pw");
    ASSERT_NE(repo_, nullptr);
  }

  std::unique_ptr<Repository> Open(std::string_view password) {
    Result<std::unique_ptr<Repository>> opened = Repository::Open(&faulty_, password, clock_);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return nullptr;
    std::unique_ptr<Repository> repo = std::move(opened).value();
    Status loaded = repo->LoadIndex();
    EXPECT_TRUE(loaded.ok()) << loaded.ToString();
    return repo;
  }

  // Saves `data` as a data blob and returns its id.
  Id Save(const Bytes& data) {
    const Id id = repo_->HashBlob(data);
    Result<bool> saved = repo_->SaveBlob(BlobType::kData, id, data);
    EXPECT_TRUE(saved.ok()) << saved.status().ToString();
    return id;
  }

  void ExpectBlob(Repository& repo, const Id& id, const Bytes& data) {
    Result<Bytes> loaded = repo.LoadBlob(id);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ(*loaded, data);
  }

  // No index file lists a pack that is not in the backend.
  void ExpectIndexedPacksExist() {
    Result<std::unique_ptr<Repository>> opened = Repository::Open(&memory_, "pw", clock_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    auto files = (*opened)->ReadAllIndexFiles();
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    for (const auto& [name, packs] : *files) {
      for (const IndexedPack& pack : packs) {
        EXPECT_TRUE(memory_.Stat(ObjectKey{ObjectKind::kPack, pack.pack.Hex()}).ok())
            << "index " << name << " lists missing pack " << pack.pack.Hex();
      }
    }
  }

  Snapshot MakeSnapshot(int64_t time_ns) {
    Snapshot snapshot;
    snapshot.time_ns = time_ns;
    snapshot.hostname = "host-a";
    snapshot.username = "alice";
    snapshot.paths = {"/home/alice"};
    snapshot.tree = crypto::RandomId();
    return snapshot;
  }

  FakeClock clock_{kStartNs};
  MemoryBackend memory_;
  FaultyBackend faulty_{&memory_};
  std::unique_ptr<Repository> repo_;
};

TEST_F(RepositoryTest, InitThenOpen) {
  EXPECT_EQ(repo_->config().version, kRepositoryVersion);
  EXPECT_FALSE(repo_->config().id.IsZero());
  EXPECT_EQ(repo_->config().compression_level, 1);
  EXPECT_EQ(repo_->config().chunker.average_size, ChunkerParams{}.average_size);
  EXPECT_EQ(Names(memory_, ObjectKind::kConfig), std::vector<std::string>{""});
  EXPECT_EQ(Names(memory_, ObjectKind::kKey).size(), 1u);
  EXPECT_EQ(memory_.ObjectCount(), 2u);

  // A second open sees the same repository and the same keys.
  std::unique_ptr<Repository> again = Open("pw");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->config().id, repo_->config().id);
  const Bytes data = ToBytes("same key, same id");
  EXPECT_EQ(again->HashBlob(data), repo_->HashBlob(data));
}

TEST_F(RepositoryTest, InitKeepsOptions) {
  MemoryBackend other;
  InitOptions options;
  options.kdf = kCheapKdf;
  options.compression_level = 9;
  options.chunker = ChunkerParams{64 * 1024, 256 * 1024, 1024 * 1024};
  ASSERT_TRUE(Repository::Init(&other, "pw", options, clock_).ok());
  auto opened = Repository::Open(&other, "pw", clock_);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ((*opened)->config().compression_level, 9);
  EXPECT_EQ((*opened)->config().chunker.min_size, 64u * 1024);
  EXPECT_EQ((*opened)->config().chunker.average_size, 256u * 1024);
  EXPECT_EQ((*opened)->config().chunker.max_size, 1024u * 1024);
}

TEST_F(RepositoryTest, InitTwiceIsAlreadyExists) {
  const auto before = Contents(memory_);
  InitOptions options;
  options.kdf = kCheapKdf;
  Status status = Repository::Init(&memory_, "other", options, clock_);
  EXPECT_EQ(status.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(status.message(), "a repository already exists at memory");
  EXPECT_EQ(Contents(memory_), before);
}

TEST_F(RepositoryTest, InitRefusesAnEmptyPassword) {
  MemoryBackend other;
  InitOptions options;
  options.kdf = kCheapKdf;
  Status status = Repository::Init(&other, "", options, clock_);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "the password must not be empty");
  EXPECT_EQ(other.ObjectCount(), 0u);
}

TEST_F(RepositoryTest, OpenOfAnEmptyBackendIsNotFound) {
  MemoryBackend empty;
  auto opened = Repository::Open(&empty, "pw", clock_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(opened.status().message(), "there is no repository at memory");
  EXPECT_THAT(opened.status().hint(), HasSubstr("`lifeboat init`"));
}

TEST_F(RepositoryTest, WrongPasswordChangesNothing) {
  Save(RandomData(1000, 1));
  ASSERT_TRUE(repo_->Flush().ok());
  ASSERT_TRUE(repo_->SaveSnapshot(MakeSnapshot(kStartNs)).ok());
  const auto before = Contents(memory_);
  const uint64_t puts = faulty_.CallCount(BackendMethod::kPut);
  const uint64_t removes = faulty_.CallCount(BackendMethod::kRemove);

  auto opened = Repository::Open(&faulty_, "not the password", clock_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kWrongPassword);
  EXPECT_EQ(opened.status().message(),
            "wrong password: no key of the repository at memory opens with it");
  EXPECT_THAT(opened.status().hint(), HasSubstr("LIFEBOAT_PASSWORD"));
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kPut), puts);
  EXPECT_EQ(faulty_.CallCount(BackendMethod::kRemove), removes);
  EXPECT_EQ(Contents(memory_), before);
}

TEST_F(RepositoryTest, GarbageConfigIsCorruption) {
  ASSERT_TRUE(memory_.Put(ObjectKey{ObjectKind::kConfig, ""}, ToBytes("{\"version\": 1}")).ok());
  auto opened = Repository::Open(&memory_, "pw", clock_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(opened.status().message(), "config is damaged: it cannot be decrypted");
}

TEST_F(RepositoryTest, ConfigOfAnotherRepositoryIsCorruption) {
  MemoryBackend other;
  InitOptions options;
  options.kdf = kCheapKdf;
  ASSERT_TRUE(Repository::Init(&other, "pw", options, clock_).ok());
  Result<Bytes> foreign = other.Get(ObjectKey{ObjectKind::kConfig, ""});
  ASSERT_TRUE(foreign.ok());
  ASSERT_TRUE(memory_.Put(ObjectKey{ObjectKind::kConfig, ""}, *foreign).ok());
  auto opened = Repository::Open(&memory_, "pw", clock_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(opened.status().message(), "config is damaged: it cannot be decrypted");
}

TEST_F(RepositoryTest, MissingKeysAreCorruption) {
  for (const std::string& name : Names(memory_, ObjectKind::kKey)) {
    ASSERT_TRUE(memory_.Remove(ObjectKey{ObjectKind::kKey, name}).ok());
  }
  auto opened = Repository::Open(&memory_, "pw", clock_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(opened.status().message(), "the repository at memory has no key files");
}

TEST_F(RepositoryTest, DamagedKeyFileIsCorruptionNotAWrongPassword) {
  const std::vector<std::string> names = Names(memory_, ObjectKind::kKey);
  ASSERT_EQ(names.size(), 1u);
  const ObjectKey key{ObjectKind::kKey, names[0]};
  Result<Bytes> stored = memory_.Get(key);
  ASSERT_TRUE(stored.ok());
  // A flipped byte in the sealed master key: the key no longer opens with the right password.
  Bytes damaged = *stored;
  const std::string text(damaged.begin(), damaged.end());
  const size_t field = text.find("\"data\": \"");
  ASSERT_NE(field, std::string::npos) << text;
  const size_t data_at = field + 10;
  damaged[data_at] = damaged[data_at] == 'a' ? 'b' : 'a';
  ASSERT_TRUE(memory_.Put(key, damaged).ok());
  auto opened = Repository::Open(&memory_, "pw", clock_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(opened.status().message(),
            "no key of the repository at memory opens with this password, and key file " +
                names[0].substr(0, 8) + " is damaged (content does not match the name)");
  // With the key file intact again, a wrong password is still reported as one.
  ASSERT_TRUE(memory_.Put(key, *stored).ok());
  EXPECT_EQ(Repository::Open(&memory_, "wrong", clock_).status().code(),
            StatusCode::kWrongPassword);
}

TEST_F(RepositoryTest, SaveBlobDeduplicates) {
  const Bytes data = RandomData(5000, 2);
  const Id id = repo_->HashBlob(data);
  Result<bool> first = repo_->SaveBlob(BlobType::kData, id, data);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(*first);
  Result<bool> second = repo_->SaveBlob(BlobType::kData, id, data);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_FALSE(*second);
  ASSERT_TRUE(repo_->Flush().ok());
  Result<bool> after_flush = repo_->SaveBlob(BlobType::kData, id, data);
  ASSERT_TRUE(after_flush.ok());
  EXPECT_FALSE(*after_flush);
  EXPECT_EQ(repo_->session_stats().blobs_added, 1u);
  EXPECT_EQ(repo_->session_stats().bytes_added, 5000u);
  EXPECT_EQ(repo_->session_stats().packs_written, 1u);

  // A later session deduplicates against the stored index.
  std::unique_ptr<Repository> again = Open("pw");
  Result<bool> later = again->SaveBlob(BlobType::kData, id, data);
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(*later);
}

TEST_F(RepositoryTest, ConcurrentSavesOfTheSameBlobsAddEachOnce) {
  std::vector<Bytes> blobs;
  for (int i = 0; i < 50; ++i) blobs.push_back(RandomData(100 + i, 100 + i));
  std::atomic<int> added{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (const Bytes& blob : blobs) {
        Result<bool> saved = repo_->SaveBlob(BlobType::kData, repo_->HashBlob(blob), blob);
        if (saved.ok() && *saved) added++;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(added.load(), 50);
  ASSERT_TRUE(repo_->Flush().ok());
  std::unique_ptr<Repository> again = Open("pw");
  EXPECT_EQ(again->index().blob_count(), 50u);
  for (const Bytes& blob : blobs) ExpectBlob(*again, again->HashBlob(blob), blob);
}

TEST_F(RepositoryTest, FlushWritesPacksAndIndex) {
  std::vector<Bytes> blobs;
  for (int i = 0; i < 20; ++i) blobs.push_back(RandomData(1000 * i, i));
  for (const Bytes& blob : blobs) Save(blob);
  Tree tree;
  tree.nodes.resize(1);
  tree.nodes[0].name = "file";
  Result<Id> tree_id = repo_->SaveTree(tree);
  ASSERT_TRUE(tree_id.ok()) << tree_id.status().ToString();
  // Nothing is written before Flush.
  EXPECT_TRUE(Names(memory_, ObjectKind::kPack).empty());
  ASSERT_TRUE(repo_->Flush().ok());

  // One pack of data blobs, one of trees, and one index file listing both.
  const std::vector<std::string> packs = Names(memory_, ObjectKind::kPack);
  EXPECT_EQ(packs.size(), 2u);
  EXPECT_EQ(Names(memory_, ObjectKind::kIndex).size(), 1u);
  for (const std::string& name : packs) {
    Result<Bytes> pack = memory_.Get(ObjectKey{ObjectKind::kPack, name});
    ASSERT_TRUE(pack.ok());
    EXPECT_EQ(crypto::Sha256(*pack).Hex(), name);
    Result<std::vector<PackedBlob>> header =
        repo_->LoadPackHeader(*Id::FromHex(name), pack->size());
    ASSERT_TRUE(header.ok()) << header.status().ToString();
    EXPECT_TRUE(header->size() == 20u || header->size() == 1u) << header->size();
  }
  auto files = repo_->ReadAllIndexFiles();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].second.size(), 2u);

  // A second Flush with nothing new writes nothing.
  const auto before = Contents(memory_);
  ASSERT_TRUE(repo_->Flush().ok());
  EXPECT_EQ(Contents(memory_), before);

  std::unique_ptr<Repository> again = Open("pw");
  EXPECT_EQ(again->index().blob_count(), 21u);
  for (const Bytes& blob : blobs) ExpectBlob(*again, again->HashBlob(blob), blob);
  Result<Tree> loaded = again->LoadTree(*tree_id);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->nodes.size(), 1u);
  EXPECT_EQ(loaded->nodes[0], tree.nodes[0]);
}

TEST_F(RepositoryTest, BlobsAreReadableInTheSessionThatWroteThem) {
  const Bytes data = RandomData(3000, 3);
  const Id id = Save(data);
  ASSERT_TRUE(repo_->Flush().ok());
  ExpectBlob(*repo_, id, data);
}

TEST_F(RepositoryTest, LargeBlobsFillSeveralPacks) {
  // Random 2 MiB blobs: a pack is closed at 15 MiB, so 10 of them need two packs, the first
  // handed to the upload threads by SaveBlob itself.
  std::vector<Bytes> blobs;
  for (int i = 0; i < 10; ++i) blobs.push_back(RandomData(2 * 1024 * 1024, 50 + i));
  for (size_t i = 0; i < blobs.size(); ++i) Save(blobs[i]);
  ASSERT_TRUE(repo_->Flush().ok());
  EXPECT_EQ(Names(memory_, ObjectKind::kPack).size(), 2u);
  EXPECT_EQ(Names(memory_, ObjectKind::kPack).size(), 2u);
  for (const std::string& name : Names(memory_, ObjectKind::kPack)) {
    Result<storage::ObjectInfo> info = memory_.Stat(ObjectKey{ObjectKind::kPack, name});
    ASSERT_TRUE(info.ok());
    EXPECT_LE(info->size, kPackMaxDataSize + 1024);
  }
  std::unique_ptr<Repository> again = Open("pw");
  for (const Bytes& blob : blobs) ExpectBlob(*again, again->HashBlob(blob), blob);
}

TEST_F(RepositoryTest, SaveBlobRefusesOversizedBlobs) {
  const Bytes huge(kMaxBlobSize + 1, 0);
  Result<bool> saved = repo_->SaveBlob(BlobType::kData, repo_->HashBlob(huge), huge);
  ASSERT_FALSE(saved.ok());
  EXPECT_EQ(saved.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(saved.status().message(), "blob of 12582913 bytes exceeds the largest storable blob");
}

TEST_F(RepositoryTest, LoadBlobOfAnUnknownIdIsNotFound) {
  Save(RandomData(100, 4));
  ASSERT_TRUE(repo_->Flush().ok());
  const Id unknown = repo_->HashBlob(ToBytes("never stored"));
  Result<Bytes> loaded = repo_->LoadBlob(unknown);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(loaded.status().message(), "blob " + unknown.ShortHex() + " is not in the index");
}

TEST_F(RepositoryTest, FlippedByteInAPackIsCorruptionNamingTheBlob) {
  const Bytes first = RandomData(4000, 5);
  const Bytes second = RandomData(4000, 6);
  const Id damaged_id = Save(first);
  const Id intact_id = Save(second);
  ASSERT_TRUE(repo_->Flush().ok());
  std::optional<BlobLocation> location = repo_->index().Lookup(damaged_id);
  ASSERT_TRUE(location.has_value());
  const ObjectKey key{ObjectKind::kPack, location->pack.Hex()};
  Result<Bytes> pack = memory_.Get(key);
  ASSERT_TRUE(pack.ok());
  (*pack)[location->offset + location->length / 2] ^= 0x20;
  ASSERT_TRUE(memory_.Put(key, *pack).ok());

  std::unique_ptr<Repository> again = Open("pw");
  Result<Bytes> loaded = again->LoadBlob(damaged_id);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(loaded.status().message(), "pack " + location->pack.ShortHex() + ": blob " +
                                           damaged_id.ShortHex() + ": " + kAuthFailed);
  // The other blob of the pack is unaffected.
  ExpectBlob(*again, intact_id, second);
}

TEST_F(RepositoryTest, DamagedReadIsCorruption) {
  const Bytes data = RandomData(4000, 7);
  const Id id = Save(data);
  ASSERT_TRUE(repo_->Flush().ok());
  faulty_.AddFault({.method = BackendMethod::kGet,
                    .first_call = faulty_.CallCount(BackendMethod::kGet) + 1,
                    .kind = ObjectKind::kPack,
                    .flip_byte_at = 40});
  Result<Bytes> loaded = repo_->LoadBlob(id);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(loaded.status().message(), HasSubstr("blob " + id.ShortHex()));
  // The damage was in transit: the next read succeeds.
  ExpectBlob(*repo_, id, data);
}

TEST_F(RepositoryTest, DamagedIndexFileFailsLoadIndex) {
  Save(RandomData(100, 8));
  ASSERT_TRUE(repo_->Flush().ok());
  const std::string name = Names(memory_, ObjectKind::kIndex).at(0);
  const ObjectKey key{ObjectKind::kIndex, name};
  Result<Bytes> index = memory_.Get(key);
  ASSERT_TRUE(index.ok());
  (*index)[20] ^= 1;
  ASSERT_TRUE(memory_.Put(key, *index).ok());
  auto opened = Repository::Open(&memory_, "pw", clock_);
  ASSERT_TRUE(opened.ok());
  Status loaded = (*opened)->LoadIndex();
  EXPECT_EQ(loaded.code(), StatusCode::kCorruption);
  EXPECT_EQ(loaded.message(), "index/" + name + " is damaged: its content does not match its name");
  EXPECT_THAT(loaded.hint(), HasSubstr("lifeboat check"));
}

TEST_F(RepositoryTest, SnapshotsRoundTrip) {
  Snapshot snapshot = MakeSnapshot(kStartNs + 5);
  snapshot.tags = {"daily", "t\xc3\xa4g"};
  snapshot.excludes = {"*.tmp"};
  snapshot.parent = crypto::RandomId();
  snapshot.original = crypto::RandomId();
  snapshot.program_version = "lifeboat 0.1.0";
  snapshot.summary.files_new = 3;
  snapshot.summary.total_bytes = uint64_t{1} << 40;
  snapshot.summary.start_ns = kStartNs;
  snapshot.summary.end_ns = kStartNs + 5;
  Result<Id> id = repo_->SaveSnapshot(snapshot);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(Names(memory_, ObjectKind::kSnapshot), std::vector<std::string>{id->Hex()});

  auto found = repo_->FindSnapshot(id->Hex());
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->first, *id);
  const Snapshot& got = found->second;
  EXPECT_EQ(got.time_ns, snapshot.time_ns);
  EXPECT_EQ(got.hostname, "host-a");
  EXPECT_EQ(got.paths, snapshot.paths);
  EXPECT_EQ(got.tags, snapshot.tags);
  EXPECT_EQ(got.excludes, snapshot.excludes);
  EXPECT_EQ(got.tree, snapshot.tree);
  EXPECT_EQ(got.parent, snapshot.parent);
  EXPECT_EQ(got.original, snapshot.original);
  EXPECT_EQ(got.program_version, snapshot.program_version);
  EXPECT_EQ(got.summary.files_new, 3u);
  EXPECT_EQ(got.summary.total_bytes, uint64_t{1} << 40);
  EXPECT_EQ(got.summary.end_ns, kStartNs + 5);
}

TEST_F(RepositoryTest, FindSnapshot) {
  // 17 snapshots: at least two share a first hex digit.
  std::vector<Id> ids;
  for (int i = 0; i < 17; ++i) {
    Result<Id> id = repo_->SaveSnapshot(MakeSnapshot(kStartNs + int64_t{i} * 1'000'000'000));
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    ids.push_back(*id);
  }
  auto listed = repo_->ListSnapshots();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 17u);
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ((*listed)[i].first, ids[i]) << i;

  auto latest = repo_->FindSnapshot("latest");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(latest->first, ids.back());
  EXPECT_EQ(latest->second.time_ns, kStartNs + 16'000'000'000);

  // A unique prefix: the shortest prefix of ids[3] no other id shares.
  const std::string hex = ids[3].Hex();
  size_t length = 1;
  auto shared = [&](size_t n) {
    for (const Id& other : ids) {
      if (other != ids[3] && other.Hex().compare(0, n, hex, 0, n) == 0) return true;
    }
    return false;
  };
  while (shared(length)) ++length;
  auto unique = repo_->FindSnapshot(hex.substr(0, length));
  ASSERT_TRUE(unique.ok()) << unique.status().ToString();
  EXPECT_EQ(unique->first, ids[3]);
  EXPECT_EQ(unique->second.time_ns, kStartNs + 3'000'000'000);

  // An ambiguous prefix.
  std::map<char, int> by_digit;
  for (const Id& id : ids) by_digit[id.Hex()[0]]++;
  auto digit = std::find_if(by_digit.begin(), by_digit.end(),
                            [](const auto& entry) { return entry.second > 1; });
  ASSERT_NE(digit, by_digit.end());
  const std::string prefix(1, digit->first);
  auto ambiguous = repo_->FindSnapshot(prefix);
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ambiguous.status().message(),
            "the id prefix " + prefix + " matches " + std::to_string(digit->second) + " snapshots");

  // A prefix nothing has.
  std::string missing;
  for (int value = 0; value < 256 && missing.empty(); ++value) {
    const std::string candidate = HexEncode(Bytes{static_cast<uint8_t>(value)});
    if (std::none_of(ids.begin(), ids.end(),
                     [&](const Id& id) { return id.Hex().starts_with(candidate); })) {
      missing = candidate;
    }
  }
  auto not_found = repo_->FindSnapshot(missing);
  ASSERT_FALSE(not_found.ok());
  EXPECT_EQ(not_found.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(not_found.status().message(), "no snapshot has an id starting with " + missing);

  auto empty = repo_->FindSnapshot("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RepositoryTest, LatestOfNoSnapshotsIsNotFound) {
  auto latest = repo_->FindSnapshot("latest");
  ASSERT_FALSE(latest.ok());
  EXPECT_EQ(latest.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(latest.status().message(), "the repository has no snapshots");
}

TEST_F(RepositoryTest, TamperedSnapshotIsCorruption) {
  Result<Id> id = repo_->SaveSnapshot(MakeSnapshot(kStartNs));
  ASSERT_TRUE(id.ok());
  const ObjectKey key{ObjectKind::kSnapshot, id->Hex()};
  Result<Bytes> sealed = memory_.Get(key);
  ASSERT_TRUE(sealed.ok());
  (*sealed)[30] ^= 1;
  ASSERT_TRUE(memory_.Put(key, *sealed).ok());
  auto found = repo_->FindSnapshot(id->Hex());
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(found.status().message(),
            "snapshots/" + id->Hex() + " is damaged: its content does not match its name");
}

TEST_F(RepositoryTest, AddedKeyOpensTheRepository) {
  const Id blob = Save(ToBytes("shared by every key"));
  ASSERT_TRUE(repo_->Flush().ok());
  clock_.AdvanceSeconds(60);
  Result<std::string> added = repo_->AddKey("second", kCheapKdf, "host-b", "bob");
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(added->size(), 64u);

  std::unique_ptr<Repository> with_second = Open("second");
  ASSERT_NE(with_second, nullptr);
  EXPECT_EQ(with_second->config().id, repo_->config().id);
  ExpectBlob(*with_second, blob, ToBytes("shared by every key"));
  EXPECT_NE(Open("pw"), nullptr);

  auto keys = with_second->ListKeys();
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  ASSERT_EQ(keys->size(), 2u);
  // Oldest first.
  EXPECT_FALSE((*keys)[0].current);
  EXPECT_EQ((*keys)[0].info.hostname, "host-a");
  EXPECT_EQ((*keys)[0].info.created_ns, kStartNs);
  EXPECT_TRUE((*keys)[1].current);
  EXPECT_EQ((*keys)[1].id, *added);
  EXPECT_EQ((*keys)[1].info.username, "bob");
  EXPECT_EQ((*keys)[1].info.created_ns, kStartNs + 60'000'000'000);
}

TEST_F(RepositoryTest, AddKeyRefusesAnEmptyPassword) {
  Result<std::string> added = repo_->AddKey("", kCheapKdf, "h", "u");
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(added.status().message(), "the password must not be empty");
}

TEST_F(RepositoryTest, RemoveKey) {
  const std::string current = Names(memory_, ObjectKind::kKey).at(0);
  Status refused = repo_->RemoveKey(current.substr(0, 10));
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.message(), "key " + current.substr(0, 8) + " is the one in use");
  EXPECT_EQ(Names(memory_, ObjectKind::kKey).size(), 1u);

  Result<std::string> added = repo_->AddKey("second", kCheapKdf, "host-b", "bob");
  ASSERT_TRUE(added.ok());
  ASSERT_TRUE(repo_->RemoveKey(*added).ok());
  EXPECT_EQ(Names(memory_, ObjectKind::kKey), std::vector<std::string>{current});
  auto opened = Repository::Open(&memory_, "second", clock_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kWrongPassword);

  Status missing = repo_->RemoveKey(std::string(64, current[0] == 'f' ? '0' : 'f'));
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
}

TEST_F(RepositoryTest, ChangePassword) {
  const Id blob = Save(ToBytes("still readable"));
  ASSERT_TRUE(repo_->Flush().ok());
  const std::vector<std::string> old_keys = Names(memory_, ObjectKind::kKey);
  ASSERT_TRUE(repo_->ChangePassword("new password", kCheapKdf, "host-a", "alice").ok());
  const std::vector<std::string> new_keys = Names(memory_, ObjectKind::kKey);
  ASSERT_EQ(new_keys.size(), 1u);
  EXPECT_NE(new_keys, old_keys);

  auto old_password = Repository::Open(&memory_, "pw", clock_);
  ASSERT_FALSE(old_password.ok());
  EXPECT_EQ(old_password.status().code(), StatusCode::kWrongPassword);
  EXPECT_EQ(old_password.status().message(),
            "wrong password: no key of the repository at memory opens with it");

  std::unique_ptr<Repository> reopened = Open("new password");
  ASSERT_NE(reopened, nullptr);
  ExpectBlob(*reopened, blob, ToBytes("still readable"));
  // The session that changed it now uses the new key.
  auto keys = repo_->ListKeys();
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_TRUE((*keys)[0].current);
  EXPECT_EQ(repo_->RemoveKey(new_keys[0]).code(), StatusCode::kInvalidArgument);
}

TEST_F(RepositoryTest, FailedPackUploadIsReportedAndNeverIndexed) {
  std::vector<Bytes> blobs;
  for (int i = 0; i < 5; ++i) blobs.push_back(RandomData(2000, 200 + i));
  for (const Bytes& blob : blobs) Save(blob);
  faulty_.AddFault({.method = BackendMethod::kPut,
                    .first_call = faulty_.CallCount(BackendMethod::kPut) + 1,
                    .count = 0,
                    .kind = ObjectKind::kPack,
                    .error = IoError("disk full")});
  Status flushed = repo_->Flush();
  EXPECT_EQ(flushed.code(), StatusCode::kIoError);
  EXPECT_THAT(flushed.message(), ::testing::MatchesRegex("writing pack [0-9a-f]{8}: disk full"));
  EXPECT_TRUE(Names(memory_, ObjectKind::kPack).empty());
  EXPECT_TRUE(Names(memory_, ObjectKind::kIndex).empty());
  for (const Bytes& blob : blobs) EXPECT_FALSE(repo_->index().Contains(repo_->HashBlob(blob)));
  ExpectIndexedPacksExist();

  // The session stays failed: a backup stops at its first storage error.
  EXPECT_EQ(repo_->Flush().code(), StatusCode::kIoError);

  // A new session saves the same blobs: the failed pack does not count as stored.
  faulty_.ClearFaults();
  repo_ = Open("pw");
  for (const Bytes& blob : blobs) {
    Result<bool> saved = repo_->SaveBlob(BlobType::kData, repo_->HashBlob(blob), blob);
    ASSERT_TRUE(saved.ok()) << saved.status().ToString();
    EXPECT_TRUE(*saved);
  }
  ASSERT_TRUE(repo_->Flush().ok());
  ExpectIndexedPacksExist();
  std::unique_ptr<Repository> again = Open("pw");
  for (const Bytes& blob : blobs) ExpectBlob(*again, again->HashBlob(blob), blob);
}

TEST_F(RepositoryTest, FailedPackUploadDuringSaveBlobIsReported) {
  // Only the next Put fails: the first pack's.
  faulty_.AddFault({.method = BackendMethod::kPut,
                    .first_call = faulty_.CallCount(BackendMethod::kPut) + 1,
                    .kind = ObjectKind::kPack,
                    .error = IoError("connection reset")});
  // Uploads run on their own threads: the failure surfaces at a later SaveBlob or at Flush.
  Status failure;
  for (int i = 0; i < 10 && failure.ok(); ++i) {
    const Bytes blob = RandomData(2 * 1024 * 1024, 300 + i);
    Result<bool> result = repo_->SaveBlob(BlobType::kData, repo_->HashBlob(blob), blob);
    if (!result.ok()) failure = result.status();
  }
  const Status flushed = repo_->Flush();
  if (failure.ok()) failure = flushed;
  EXPECT_EQ(failure.code(), StatusCode::kIoError);
  EXPECT_THAT(failure.message(),
              ::testing::MatchesRegex("writing pack [0-9a-f]{8}: connection reset"));
  EXPECT_EQ(flushed.code(), StatusCode::kIoError);
  EXPECT_TRUE(Names(memory_, ObjectKind::kIndex).empty());
  ExpectIndexedPacksExist();
}

TEST_F(RepositoryTest, FailedIndexWriteIsRetriedByTheNextFlush) {
  const Bytes data = RandomData(3000, 9);
  const Id id = Save(data);
  faulty_.AddFault({.method = BackendMethod::kPut,
                    .first_call = faulty_.CallCount(BackendMethod::kPut) + 1,
                    .count = 0,
                    .kind = ObjectKind::kIndex,
                    .error = IoError("disk full")});
  Status flushed = repo_->Flush();
  EXPECT_EQ(flushed.code(), StatusCode::kIoError);
  EXPECT_EQ(flushed.message(), "writing index file: disk full");
  EXPECT_EQ(Names(memory_, ObjectKind::kPack).size(), 1u);
  EXPECT_TRUE(Names(memory_, ObjectKind::kIndex).empty());

  // The pack is stored; the next Flush must still describe it in an index file.
  faulty_.ClearFaults();
  ASSERT_TRUE(repo_->Flush().ok());
  EXPECT_EQ(Names(memory_, ObjectKind::kIndex).size(), 1u);
  ExpectIndexedPacksExist();
  std::unique_ptr<Repository> again = Open("pw");
  ExpectBlob(*again, id, data);
}

}  // namespace
}  // namespace lifeboat::repo
