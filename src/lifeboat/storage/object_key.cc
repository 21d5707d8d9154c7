#include "lifeboat/storage/object_key.h"

#include "lifeboat/util/check.h"

namespace lifeboat::storage {
namespace {

constexpr size_t kNameLength = 64;
constexpr size_t kFanOutLength = 2;

constexpr ObjectKind kDirectoryKinds[] = {
    ObjectKind::kKey,  ObjectKind::kPack,    ObjectKind::kIndex, ObjectKind::kSnapshot,
    ObjectKind::kLock, ObjectKind::kGarbage, ObjectKind::kAudit};

bool IsLowercaseHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsObjectName(std::string_view name) {
  return name.size() == kNameLength && IsLowercaseHex(name);
}

}  // namespace

std::string_view ObjectKindName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kConfig:
      return "config";
    case ObjectKind::kKey:
      return "key";
    case ObjectKind::kPack:
      return "pack";
    case ObjectKind::kIndex:
      return "index";
    case ObjectKind::kSnapshot:
      return "snapshot";
    case ObjectKind::kLock:
      return "lock";
    case ObjectKind::kGarbage:
      return "garbage";
    case ObjectKind::kAudit:
      return "audit";
  }
  LIFEBOAT_CHECK(false, "unknown ObjectKind");
  return "";
}

std::string_view ObjectKindDirectory(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kConfig:
      return "";
    case ObjectKind::kKey:
      return "keys";
    case ObjectKind::kPack:
      return "data";
    case ObjectKind::kIndex:
      return "index";
    case ObjectKind::kSnapshot:
      return "snapshots";
    case ObjectKind::kLock:
      return "locks";
    case ObjectKind::kGarbage:
      return "garbage";
    case ObjectKind::kAudit:
      return "audit";
  }
  LIFEBOAT_CHECK(false, "unknown ObjectKind");
  return "";
}

std::string ObjectPath(const ObjectKey& key) {
  if (key.kind == ObjectKind::kConfig) {
    LIFEBOAT_CHECK(key.name.empty(), "the config object has no name");
    return "config";
  }
  // Keys are built from ids, never from raw user text, so a bad name is a bug; checking here
  // also guarantees no backend ever sees a name that could escape its directory.
  LIFEBOAT_CHECK(IsObjectName(key.name), "object names are 64 lowercase hex digits");
  std::string path(ObjectKindDirectory(key.kind));
  path += '/';
  if (key.kind == ObjectKind::kPack) {
    path.append(key.name, 0, kFanOutLength);
    path += '/';
  }
  path += key.name;
  return path;
}

std::optional<ObjectKey> ParseObjectPath(std::string_view path) {
  if (path == "config") return ObjectKey{ObjectKind::kConfig, ""};
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view directory = path.substr(0, slash);
  std::string_view rest = path.substr(slash + 1);
  for (ObjectKind kind : kDirectoryKinds) {
    if (directory != ObjectKindDirectory(kind)) continue;
    if (kind == ObjectKind::kPack) {
      if (rest.size() <= kFanOutLength || rest[kFanOutLength] != '/') return std::nullopt;
      const std::string_view fan_out = rest.substr(0, kFanOutLength);
      rest.remove_prefix(kFanOutLength + 1);
      if (!rest.starts_with(fan_out)) return std::nullopt;
    }
    if (!IsObjectName(rest)) return std::nullopt;
    return ObjectKey{kind, std::string(rest)};
  }
  return std::nullopt;
}

}  // namespace lifeboat::storage
