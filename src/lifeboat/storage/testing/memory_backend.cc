#include "lifeboat/storage/testing/memory_backend.h"

#include <vector>

namespace lifeboat::storage::testing {

BackendProperties MemoryBackend::Properties() const {
  return BackendProperties{.location = "memory", .max_connections = 4};
}

Status MemoryBackend::Put(const ObjectKey& key, ByteView data, const PutOptions& options) {
  const std::string path = ObjectPath(key);
  std::lock_guard lock(mutex_);
  if (options.if_absent && objects_.contains(path)) {
    return AlreadyExistsError("writing " + path + ": object already exists");
  }
  objects_[path] = Bytes(data.begin(), data.end());
  return Status::Ok();
}

Result<Bytes> MemoryBackend::Get(const ObjectKey& key, ByteRange range) {
  const std::string path = ObjectPath(key);
  const std::string context = "reading " + path;
  std::lock_guard lock(mutex_);
  auto it = objects_.find(path);
  if (it == objects_.end()) return NotFoundError(context + ": no such object");
  const Bytes& object = it->second;
  Result<uint64_t> length = RangeLength(range, object.size());
  if (!length.ok()) return length.status().WithContext(context);
  const auto begin = object.begin() + static_cast<ptrdiff_t>(range.offset);
  return Bytes(begin, begin + static_cast<ptrdiff_t>(*length));
}

Result<ObjectInfo> MemoryBackend::Stat(const ObjectKey& key) {
  const std::string path = ObjectPath(key);
  std::lock_guard lock(mutex_);
  auto it = objects_.find(path);
  if (it == objects_.end()) return NotFoundError("checking " + path + ": no such object");
  return ObjectInfo{key, it->second.size()};
}

Status MemoryBackend::List(ObjectKind kind, std::string_view prefix, const ListVisitor& visit) {
  std::vector<ObjectInfo> matches;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [path, data] : objects_) {
      std::optional<ObjectKey> key = ParseObjectPath(path);
      if (key && key->kind == kind && key->name.starts_with(prefix)) {
        matches.push_back(ObjectInfo{*key, data.size()});
      }
    }
  }
  // Visited without the lock so a visitor may call back into the backend, as it can with a real
  // one.
  for (const ObjectInfo& info : matches) LIFEBOAT_RETURN_IF_ERROR(visit(info));
  return Status::Ok();
}

Status MemoryBackend::Remove(const ObjectKey& key) {
  const std::string path = ObjectPath(key);
  std::lock_guard lock(mutex_);
  if (objects_.erase(path) == 0) return NotFoundError("removing " + path + ": no such object");
  return Status::Ok();
}

size_t MemoryBackend::ObjectCount() const {
  std::lock_guard lock(mutex_);
  return objects_.size();
}

}  // namespace lifeboat::storage::testing
