// Where a bucket object's bytes live in a bucket snapshot's tree: "objects/" followed by its key,
// split at '/' into directories, each part escaped only as far as a tree name needs. S3 keys are
// any UTF-8 up to 1 KiB — "a//b", "/x", "../y" and "dir/" are all valid keys — while a tree
// name may not be empty, "." or "..", and a name cannot be a file and a directory at once.
//
// The escaping, per '/'-separated part (reversible; DecodeObjectPath undoes it):
//   '%' → "%25" and NUL → "%00" (so a '%' in a name always starts an escape or a marker);
//   an empty part → "%"; "." → "%2E"; ".." → "%2E%2E";
//   a directory part that is also a whole key ("a" beside "a/b") gets a trailing "%" marker,
//   so the file is "objects/a" and the directory "objects/a%" — decoding drops the marker.
// The manifest's objects.jsonl records each key with its path, so restore never decodes.
// Pure functions and a single-threaded assigner.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace lifeboat::sources::bucket {

inline constexpr std::string_view kObjectsDirectory = "objects";

// The path of `key` without directory markers (what a key alone, without neighbours, maps to).
std::string EncodeObjectPath(std::string_view key);

// The key of a path made by EncodeObjectPath or ObjectPathAssigner; nullopt when `path` is not
// under objects/ or is not a valid encoding.
std::optional<std::string> DecodeObjectPath(std::string_view path);

// Assigns paths to keys given in the listing's order (S3 lists keys sorted by their bytes), so
// a key "a" is seen before any "a/..." and the directory can be marked. Memory: the keys that
// may still become directories — those the listing has not yet moved past.
class ObjectPathAssigner {
 public:
  std::string Assign(const std::string& key);

 private:
  std::set<std::string> pending_files_;
};

}  // namespace lifeboat::sources::bucket
