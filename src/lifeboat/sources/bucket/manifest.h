// The manifest of a bucket backup. The snapshot record's manifest (Snapshot::manifest, shown by
// `snapshots --json`) says which bucket at which endpoint and prefix was backed up, how many
// objects and bytes; per-object records — key, path in the tree, size, ETag, Last-Modified,
// Content-Type and x-amz-meta-* metadata — go to objects.jsonl in the snapshot's tree, one JSON
// object per line in the listing's order, so a bucket of millions of objects keeps a small
// snapshot record and is read back one line at a time. docs/FORMAT.md specifies both.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "lifeboat/repo/snapshot.h"
#include "lifeboat/util/result.h"

namespace lifeboat::sources::bucket {

inline constexpr char kObjectsFile[] = "objects.jsonl";
inline constexpr char kManifestFile[] = "manifest.json";

struct BucketManifest {
  int format = 1;
  std::string endpoint;  // scheme://host[:port]
  std::string bucket;
  std::string prefix;  // keys backed up start with it; may be empty
  uint64_t objects = 0;
  uint64_t bytes = 0;
  uint64_t vanished = 0;  // listed, then gone before they could be read
  std::string objects_file = kObjectsFile;
};

struct ObjectRecord {
  std::string key;
  std::string path;  // of the bytes in the snapshot's tree (object_path.h)
  uint64_t size = 0;
  std::string etag;
  std::string last_modified;
  std::string content_type;
  std::map<std::string, std::string> metadata;  // x-amz-meta-* names without the prefix
};

std::string BucketManifestToJson(const BucketManifest& manifest);
// kCorruption naming the problem.
Result<BucketManifest> BucketManifestFromJson(const std::string& json);
// The manifest of a bucket snapshot; kInvalidArgument for snapshots of other sources.
Result<BucketManifest> SnapshotBucketManifest(const repo::Snapshot& snapshot);

// One line of objects.jsonl, without the newline. Bytes that are not UTF-8 (possible in
// metadata values, never in keys) become U+FFFD.
std::string ObjectRecordToJson(const ObjectRecord& record);
Result<ObjectRecord> ObjectRecordFromJson(std::string_view line);

}  // namespace lifeboat::sources::bucket
