// Backs up an S3 bucket's objects (under an optional prefix) into a lifeboat snapshot: each
// object's bytes as a file under objects/ (object_path.h), its key, Content-Type, user metadata,
// ETag and Last-Modified as a line of objects.jsonl, and a manifest in the snapshot record
// (manifest.h). The snapshot's source is "bucket" and its path "s3://BUCKET[/PREFIX]".
//
// `jobs` objects are read at once, each in ranged pieces of `piece_size`, so memory stays
// bounded by jobs × piece_size plus a window of object records waiting for the ones listed
// before them (objects.jsonl is written in listing order so an unchanged bucket produces the
// same bytes and dedups completely). The SnapshotWriter keeps one tree node per object until
// Commit, the only part that grows with the bucket. An object deleted between listing and
// reading is left out and counted as vanished; any other failure stores no snapshot.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lifeboat/engine/backup.h"
#include "lifeboat/repo/repository.h"
#include "lifeboat/sources/bucket/manifest.h"
#include "lifeboat/storage/s3/s3_backend.h"

namespace lifeboat::sources::bucket {

struct BucketBackupOptions {
  std::string location;  // s3:http(s)://host[:port]/bucket[/prefix]
  storage::S3Options s3;
  // Only keys starting with this (after the location's prefix, which is a directory: "a/b"
  // means keys under "a/b/").
  std::string prefix;
  int jobs = 8;
  uint64_t piece_size = uint64_t{8} << 20;
  std::vector<std::string> tags;
  std::string hostname;
  std::string username;
  std::string program_version;
};

struct BucketBackupResult {
  engine::BackupResult backup;
  BucketManifest manifest;
};

// The repository must be open with its index loaded and a lock held. Errors name the object or
// the bucket; the bucket missing is kNotFound naming it.
Result<BucketBackupResult> BackupBucket(repo::Repository& repository,
                                        const BucketBackupOptions& options,
                                        engine::BackupProgress* progress);

}  // namespace lifeboat::sources::bucket
