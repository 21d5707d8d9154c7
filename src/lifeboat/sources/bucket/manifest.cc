#include "lifeboat/sources/bucket/manifest.h"

#include <nlohmann/json.hpp>

namespace lifeboat::sources::bucket {

using nlohmann::json;

namespace {

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string BucketManifestToJson(const BucketManifest& m) {
  return Dump({{"format", m.format},
               {"endpoint", m.endpoint},
               {"bucket", m.bucket},
               {"prefix", m.prefix},
               {"objects", m.objects},
               {"bytes", m.bytes},
               {"vanished", m.vanished},
               {"objects_file", m.objects_file}});
}

Result<BucketManifest> BucketManifestFromJson(const std::string& text) {
  try {
    const json in = json::parse(text);
    BucketManifest m;
    m.format = in.at("format").get<int>();
    if (m.format != 1) {
      return CorruptionError("bucket manifest format " + std::to_string(m.format) +
                             " is newer than this lifeboat understands")
          .WithHint("upgrade lifeboat");
    }
    m.endpoint = in.at("endpoint").get<std::string>();
    m.bucket = in.at("bucket").get<std::string>();
    m.prefix = in.at("prefix").get<std::string>();
    m.objects = in.at("objects").get<uint64_t>();
    m.bytes = in.at("bytes").get<uint64_t>();
    m.vanished = in.value("vanished", uint64_t{0});
    m.objects_file = in.at("objects_file").get<std::string>();
    return m;
  } catch (const json::exception& error) {
    return CorruptionError(std::string("the bucket manifest cannot be read: ") + error.what());
  }
}

Result<BucketManifest> SnapshotBucketManifest(const repo::Snapshot& snapshot) {
  if (snapshot.source != "bucket" || !snapshot.manifest) {
    return InvalidArgumentError("the snapshot is not a bucket backup (its source is \"" +
                                snapshot.source + "\")")
        .WithHint("pick a snapshot made by `lifeboat bucket backup`");
  }
  return BucketManifestFromJson(*snapshot.manifest);
}

std::string ObjectRecordToJson(const ObjectRecord& r) {
  return Dump({{"key", r.key},
               {"path", r.path},
               {"size", r.size},
               {"etag", r.etag},
               {"last_modified", r.last_modified},
               {"content_type", r.content_type},
               {"metadata", r.metadata}});
}

Result<ObjectRecord> ObjectRecordFromJson(std::string_view line) {
  try {
    const json in = json::parse(line);
    ObjectRecord r;
    r.key = in.at("key").get<std::string>();
    r.path = in.at("path").get<std::string>();
    r.size = in.at("size").get<uint64_t>();
    r.etag = in.at("etag").get<std::string>();
    r.last_modified = in.at("last_modified").get<std::string>();
    r.content_type = in.at("content_type").get<std::string>();
    r.metadata = in.at("metadata").get<std::map<std::string, std::string>>();
    return r;
  } catch (const json::exception& error) {
    return CorruptionError(std::string("an object record cannot be read: ") + error.what());
  }
}

}  // namespace lifeboat::sources::bucket
