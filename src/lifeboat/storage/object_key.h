// ObjectKey names an object in a repository: its kind and its name (64 hex digits, or "config").
// ObjectPath() is the one place that maps keys to paths inside the repository location, shared
// by every backend (local directory, S3 prefix):
//   config            config
//   keys/<name>       key files
//   data/<nn>/<name>  pack files, fanned out by the first two hex digits
//   index/<name>      index files
//   snapshots/<name>  snapshots
//   locks/<name>      locks
//   garbage/<name>    garbage markers: packs prune has marked for deletion (docs/FORMAT.md)
//   audit/<name>      audit records, copies of the audit log's (ops/audit.h)
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lifeboat::storage {

enum class ObjectKind { kConfig, kKey, kPack, kIndex, kSnapshot, kLock, kGarbage, kAudit };

std::string_view ObjectKindName(ObjectKind kind);  // "config", "key", "pack", ...
// The top-level directory of a kind ("" for config).
std::string_view ObjectKindDirectory(ObjectKind kind);

struct ObjectKey {
  ObjectKind kind = ObjectKind::kConfig;
  std::string name;  // empty for config

  friend bool operator==(const ObjectKey&, const ObjectKey&) = default;
};

// Relative path of the object inside the repository, '/'-separated.
std::string ObjectPath(const ObjectKey& key);

// Inverse of ObjectPath for listing; nullopt for anything that is not an object path
// (temporary files, foreign files).
std::optional<ObjectKey> ParseObjectPath(std::string_view path);

}  // namespace lifeboat::storage
