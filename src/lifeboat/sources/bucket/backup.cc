#include "lifeboat/sources/bucket/backup.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "lifeboat/engine/snapshot_writer.h"
#include "lifeboat/sources/bucket/object_path.h"
#include "lifeboat/sources/source_snapshot.h"
#include "lifeboat/storage/s3/s3_client.h"
#include "lifeboat/util/bounded_queue.h"

namespace lifeboat::sources::bucket {

namespace {

// Object records finished but waiting for an earlier one: bounds what a slow large object
// holds back while the others go on.
constexpr uint64_t kRecordWindow = 4096;

struct Work {
  uint64_t sequence = 0;
  storage::S3ObjectListing listing;
  std::string path;
};

// Records come back from the workers in any order and are written to objects.jsonl in the
// listing's. An empty line stands for an object that vanished.
class RecordSequencer {
 public:
  void Finish(uint64_t sequence, std::string line) {
    std::lock_guard lock(mutex_);
    done_.emplace(sequence, std::move(line));
    changed_.notify_all();
  }
  void Fail(const Status& status) {
    std::lock_guard lock(mutex_);
    if (error_.ok()) error_ = status;
    failed_ = true;
    changed_.notify_all();
  }
  bool failed() const { return failed_; }
  Status error() {
    std::lock_guard lock(mutex_);
    return error_;
  }

  // Writes every record that is next in order; with `wait_until` set, waits until records
  // before that sequence number are all written (or a worker failed).
  Status Drain(engine::StreamFile& file, std::optional<uint64_t> wait_until) {
    std::unique_lock lock(mutex_);
    while (true) {
      auto next = done_.find(next_);
      if (next != done_.end()) {
        std::string line = std::move(next->second);
        done_.erase(next);
        ++next_;
        if (!line.empty()) {
          line += '\n';
          lock.unlock();
          LIFEBOAT_RETURN_IF_ERROR(file.Write(AsBytes(line)));
          lock.lock();
        }
        continue;
      }
      if (failed_ || !wait_until || next_ >= *wait_until) return Status::Ok();
      changed_.wait(lock);
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<uint64_t, std::string> done_;
  uint64_t next_ = 0;
  std::atomic<bool> failed_{false};
  Status error_;
};

struct Totals {
  std::atomic<uint64_t> objects{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> vanished{0};
};

// Reads one object into its file. Returns the record line, or "" when the object vanished.
Result<std::string> BackupObject(storage::S3Client& client, engine::SnapshotWriter& writer,
                                 const Work& work, uint64_t piece_size, Totals& totals,
                                 engine::BackupProgress* progress) {
  std::unique_ptr<engine::StreamFile> file;
  auto open = [&]() -> Status {
    if (file) return Status::Ok();
    LIFEBOAT_ASSIGN_OR_RETURN(file, writer.Open(work.path, 0644));
    return Status::Ok();
  };
  storage::S3ObjectHead head;
  Status read = client.GetStreaming(work.listing.key, piece_size, &head, [&](ByteView piece) {
    LIFEBOAT_RETURN_IF_ERROR(open());
    return file->Write(piece);
  });
  // Gone before its first byte was read: a live bucket changes while it is listed.
  if (read.code() == StatusCode::kNotFound && !file && !read.message().starts_with("bucket \"")) {
    totals.vanished++;
    return std::string();
  }
  LIFEBOAT_RETURN_IF_ERROR(read);
  LIFEBOAT_RETURN_IF_ERROR(open());
  LIFEBOAT_ASSIGN_OR_RETURN(uint64_t size, file->Close());
  totals.objects++;
  totals.bytes += size;
  if (progress) progress->files_done++;
  ObjectRecord record{.key = work.listing.key,
                      .path = work.path,
                      .size = size,
                      .etag = head.etag.empty() ? work.listing.etag : head.etag,
                      .last_modified = work.listing.last_modified,
                      .content_type = head.content_type,
                      .metadata = head.metadata};
  return ObjectRecordToJson(record);
}

std::string JoinPrefix(const std::string& location_prefix, const std::string& prefix) {
  if (location_prefix.empty()) return prefix;
  return location_prefix + "/" + prefix;
}

}  // namespace

Result<BucketBackupResult> BackupBucket(repo::Repository& repository,
                                        const BucketBackupOptions& options,
                                        engine::BackupProgress* progress) {
  LIFEBOAT_ASSIGN_OR_RETURN(storage::S3Location location,
                            storage::ParseS3Location(options.location));
  const int jobs = std::clamp(options.jobs, 1, 64);
  storage::S3Options s3 = options.s3;
  s3.max_connections = std::max(s3.max_connections, jobs);
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<storage::S3Client> client,
                            storage::S3Client::Open(location, s3));
  client->SetMissingBucketHint("check the bucket name in the source location");

  BucketManifest manifest;
  manifest.endpoint = location.endpoint;
  manifest.bucket = location.bucket;
  manifest.prefix = JoinPrefix(location.prefix, options.prefix);

  engine::SnapshotWriter writer(repository, {.progress = progress});
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<engine::StreamFile> records, writer.Open(kObjectsFile));

  Totals totals;
  RecordSequencer sequencer;
  BoundedQueue<Work> queue(static_cast<size_t>(jobs) * 2);
  std::vector<std::thread> workers;
  for (int i = 0; i < jobs; ++i) {
    workers.emplace_back([&] {
      while (std::optional<Work> work = queue.Pop()) {
        if (sequencer.failed()) continue;  // drain, so the lister never blocks
        Result<std::string> line =
            BackupObject(*client, writer, *work, options.piece_size, totals, progress);
        if (!line.ok()) {
          sequencer.Fail(line.status().WithContext("reading object \"" + work->listing.key +
                                                   "\" of bucket " + location.bucket));
          continue;
        }
        sequencer.Finish(work->sequence, std::move(*line));
      }
    });
  }

  ObjectPathAssigner paths;
  uint64_t sequence = 0;
  Status listed = client->List(manifest.prefix, [&](storage::S3ObjectListing listing) -> Status {
    if (sequencer.failed()) return sequencer.error();
    if (progress) {
      progress->files_total++;
      progress->bytes_total += listing.size;
    }
    if (sequence >= kRecordWindow) {
      LIFEBOAT_RETURN_IF_ERROR(sequencer.Drain(*records, sequence - kRecordWindow + 1));
    } else {
      LIFEBOAT_RETURN_IF_ERROR(sequencer.Drain(*records, std::nullopt));
    }
    Work work{.sequence = sequence++, .listing = std::move(listing), .path = {}};
    work.path = paths.Assign(work.listing.key);
    queue.Push(std::move(work));
    return Status::Ok();
  });
  if (progress) progress->scan_done = true;
  queue.Close();
  Status drained = listed.ok() ? sequencer.Drain(*records, sequence) : Status::Ok();
  for (std::thread& worker : workers) worker.join();
  if (!sequencer.error().ok()) return sequencer.error();
  if (!listed.ok()) {
    return listed.WithContext("listing bucket " + location.bucket + " at " + location.endpoint);
  }
  LIFEBOAT_RETURN_IF_ERROR(drained);
  LIFEBOAT_RETURN_IF_ERROR(records->Close().status());
  records.reset();

  manifest.objects = totals.objects;
  manifest.bytes = totals.bytes;
  manifest.vanished = totals.vanished;
  const std::string manifest_json = BucketManifestToJson(manifest);
  LIFEBOAT_RETURN_IF_ERROR(WriteManifestFile(writer, manifest_json));
  repo::Snapshot snapshot = SourceSnapshot(
      options, "bucket",
      {"s3://" + location.bucket + (manifest.prefix.empty() ? "" : "/" + manifest.prefix)},
      manifest_json);
  LIFEBOAT_ASSIGN_OR_RETURN(engine::BackupResult backup, writer.Commit(std::move(snapshot)));
  return BucketBackupResult{std::move(backup), std::move(manifest)};
}

}  // namespace lifeboat::sources::bucket
