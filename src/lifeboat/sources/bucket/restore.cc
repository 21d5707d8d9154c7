#include "lifeboat/sources/bucket/restore.h"

#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "lifeboat/engine/content_reader.h"
#include "lifeboat/storage/s3/s3_client.h"
#include "lifeboat/util/bounded_queue.h"

namespace lifeboat::sources::bucket {

namespace {

// Finds files by path in a snapshot's tree. Objects come in listing order, so neighbours share
// directories: their trees are kept (a bounded number) instead of loaded per object.
class TreeIndex {
 public:
  TreeIndex(repo::Repository& repository, Id root) : repository_(repository), root_(root) {}

  Result<repo::Node> Find(const std::string& path) {
    const size_t slash = path.rfind('/');
    const std::string directory = slash == std::string::npos ? "" : path.substr(0, slash);
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    LIFEBOAT_ASSIGN_OR_RETURN(const repo::Tree* tree, Directory(directory));
    auto it = std::lower_bound(
        tree->nodes.begin(), tree->nodes.end(), name,
        [](const repo::Node& node, const std::string& wanted) { return node.name < wanted; });
    if (it == tree->nodes.end() || it->name != name || it->type != repo::NodeType::kFile) {
      return CorruptionError(path + " is missing from the snapshot");
    }
    return *it;
  }

 private:
  static constexpr size_t kMaxCached = 256;

  Result<const repo::Tree*> Directory(const std::string& path) {
    auto cached = trees_.find(path);
    if (cached != trees_.end()) return cached->second.get();
    Id id = root_;
    if (!path.empty()) {
      const size_t slash = path.rfind('/');
      const std::string parent = slash == std::string::npos ? "" : path.substr(0, slash);
      const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
      LIFEBOAT_ASSIGN_OR_RETURN(const repo::Tree* up, Directory(parent));
      auto it = std::find_if(up->nodes.begin(), up->nodes.end(),
                             [&](const repo::Node& node) { return node.name == name; });
      if (it == up->nodes.end() || !it->subtree) {
        return CorruptionError(path + "/ is missing from the snapshot");
      }
      id = *it->subtree;
    }
    LIFEBOAT_ASSIGN_OR_RETURN(repo::Tree tree, repository_.LoadTree(id));
    if (trees_.size() >= kMaxCached) trees_.clear();
    auto inserted = trees_.emplace(path, std::make_unique<repo::Tree>(std::move(tree)));
    return inserted.first->second.get();
  }

  repo::Repository& repository_;
  Id root_;
  std::map<std::string, std::unique_ptr<repo::Tree>> trees_;
};

struct Work {
  ObjectRecord record;
  repo::Node node;
};

Status RestoreObject(repo::Repository& repository, storage::S3Client& client, const Work& work) {
  if (work.node.size != work.record.size) {
    return CorruptionError("the snapshot holds " + std::to_string(work.node.size) +
                           " bytes but its record says " + std::to_string(work.record.size));
  }
  engine::ContentReader reader(repository, work.node.content, work.record.path, /*threads=*/1,
                               /*read_ahead=*/4);
  ByteView pending;
  storage::BodySource source = [&](size_t max) -> Result<ByteView> {
    if (pending.empty()) {
      LIFEBOAT_ASSIGN_OR_RETURN(pending, reader.Next());
    }
    const ByteView piece = pending.first(std::min(max, pending.size()));
    pending = pending.subspan(piece.size());
    return piece;
  };
  return client.PutStreaming(
      work.record.key, work.record.size, source,
      {.content_type = work.record.content_type, .metadata = work.record.metadata});
}

}  // namespace

bool KeySelected(const std::string& key, const std::string& prefix,
                 const std::vector<std::string>& include) {
  if (!key.starts_with(prefix)) return false;
  if (include.empty()) return true;
  return std::any_of(include.begin(), include.end(), [&](const std::string& pattern) {
    return fnmatch(pattern.c_str(), key.c_str(), 0) == 0;
  });
}

Result<BucketRestoreResult> RestoreBucket(repo::Repository& repository,
                                          const repo::Snapshot& snapshot,
                                          const BucketRestoreOptions& options) {
  LIFEBOAT_ASSIGN_OR_RETURN(BucketManifest manifest, SnapshotBucketManifest(snapshot));
  LIFEBOAT_ASSIGN_OR_RETURN(storage::S3Location location,
                            storage::ParseS3Location(options.location));
  if (!location.prefix.empty()) {
    return InvalidArgumentError("the restore target " + options.location +
                                " has a prefix; objects are restored under their own keys")
        .WithHint("name only the bucket: s3:" + location.endpoint + "/" + location.bucket);
  }
  const int jobs = std::clamp(options.jobs, 1, 64);
  storage::S3Options s3 = options.s3;
  s3.max_connections = std::max(s3.max_connections, jobs);
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<storage::S3Client> client,
                            storage::S3Client::Open(location, s3));
  client->SetMissingBucketHint("create it, or pass --create-bucket");
  if (options.create_bucket) {
    LIFEBOAT_RETURN_IF_ERROR(client->CreateBucket());
  } else {
    LIFEBOAT_RETURN_IF_ERROR(client->CheckBucket());
  }

  TreeIndex index(repository, snapshot.tree);
  LIFEBOAT_ASSIGN_OR_RETURN(repo::Node records_node, index.Find(manifest.objects_file));

  BucketRestoreResult result;
  std::atomic<uint64_t> restored{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> failed{0};
  std::mutex report_mutex;
  BoundedQueue<Work> queue(static_cast<size_t>(jobs) * 2);
  std::vector<std::thread> workers;
  for (int i = 0; i < jobs; ++i) {
    workers.emplace_back([&] {
      while (std::optional<Work> work = queue.Pop()) {
        Status status = RestoreObject(repository, *client, *work);
        if (status.ok()) {
          restored++;
          bytes += work->record.size;
          continue;
        }
        failed++;
        if (options.on_error) {
          std::lock_guard lock(report_mutex);
          options.on_error(work->record.key, status);
        }
      }
    });
  }

  // objects.jsonl is read a line at a time: the records of a huge bucket never sit in memory.
  auto read_records = [&]() -> Status {
    engine::ContentReader reader(repository, records_node.content, manifest.objects_file);
    std::string buffer;
    auto take_lines = [&](bool at_end) -> Status {
      size_t begin = 0;
      while (true) {
        size_t end = buffer.find('\n', begin);
        if (end == std::string::npos) {
          if (!at_end || begin == buffer.size()) break;
          end = buffer.size();
        }
        LIFEBOAT_ASSIGN_OR_RETURN(
            ObjectRecord record,
            ObjectRecordFromJson(std::string_view(buffer).substr(begin, end - begin)));
        begin = std::min(end + 1, buffer.size());
        if (!KeySelected(record.key, options.prefix, options.include)) {
          result.skipped++;
          continue;
        }
        LIFEBOAT_ASSIGN_OR_RETURN(repo::Node node, index.Find(record.path));
        queue.Push(Work{std::move(record), std::move(node)});
      }
      buffer.erase(0, begin);
      return Status::Ok();
    };
    while (true) {
      LIFEBOAT_ASSIGN_OR_RETURN(ByteView chunk, reader.Next());
      if (chunk.empty()) return take_lines(/*at_end=*/true);
      buffer.append(AsString(chunk));
      LIFEBOAT_RETURN_IF_ERROR(take_lines(/*at_end=*/false));
    }
  };
  Status read = read_records();
  queue.Close();
  for (std::thread& worker : workers) worker.join();
  if (!read.ok()) return read.WithContext("reading the snapshot's object records");
  result.restored = restored;
  result.bytes = bytes;
  result.failed = failed;
  return result;
}

}  // namespace lifeboat::sources::bucket
