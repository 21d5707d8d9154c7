// Restores a bucket snapshot (backup.h) into a bucket: every object, or those whose key starts
// with `prefix` and matches an `include` pattern, is PUT under its original key with its
// Content-Type and user metadata, `jobs` at once; an object above the target's
// multipart_threshold goes in parts. Objects are read from the repository and sent part by part,
// so memory is bounded by jobs × part size whatever the objects' sizes.
//
// A failed object does not stop the others: each failure is reported to `on_error` with the
// key, counted, and the restore goes on. Only trouble with the target bucket itself (missing,
// credentials) or with the repository's records ends it early.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lifeboat/repo/repository.h"
#include "lifeboat/sources/bucket/manifest.h"
#include "lifeboat/storage/s3/s3_backend.h"

namespace lifeboat::sources::bucket {

struct BucketRestoreOptions {
  std::string location;  // s3:http(s)://host[:port]/bucket — a prefix here is refused
  storage::S3Options s3;
  std::string prefix;                // only keys starting with this
  std::vector<std::string> include;  // fnmatch patterns on the whole key ('*' spans '/'); any
  bool create_bucket = false;        // create the target bucket when missing
  int jobs = 8;
  // Called from worker threads, one call at a time, for each object that failed.
  std::function<void(const std::string& key, const Status& error)> on_error = {};
};

struct BucketRestoreResult {
  uint64_t restored = 0;
  uint64_t bytes = 0;
  uint64_t failed = 0;
  uint64_t skipped = 0;  // left out by prefix or include
};

// Whether `key` is selected by `prefix` and `include` (empty include: all).
bool KeySelected(const std::string& key, const std::string& prefix,
                 const std::vector<std::string>& include);

// The repository must be open with its index loaded. kInvalidArgument for a snapshot of another
// source; the target's errors (kNotFound naming a missing bucket, kPermissionDenied) as is.
// Object failures are counted in the result, not returned.
Result<BucketRestoreResult> RestoreBucket(repo::Repository& repository,
                                          const repo::Snapshot& snapshot,
                                          const BucketRestoreOptions& options);

}  // namespace lifeboat::sources::bucket
