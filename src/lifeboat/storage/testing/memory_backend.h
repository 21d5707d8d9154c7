// MemoryBackend: an in-memory Backend for unit tests of the layers above storage. Thread-safe.
// Linked by tests only.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "lifeboat/storage/backend.h"

namespace lifeboat::storage::testing {

class MemoryBackend final : public Backend {
 public:
  BackendProperties Properties() const override;
  Status Put(const ObjectKey& key, ByteView data, const PutOptions& options) override;
  Result<Bytes> Get(const ObjectKey& key, ByteRange range) override;
  Result<ObjectInfo> Stat(const ObjectKey& key) override;
  Status List(ObjectKind kind, std::string_view prefix, const ListVisitor& visit) override;
  Status Remove(const ObjectKey& key) override;
  using Backend::Get;
  using Backend::Put;

  size_t ObjectCount() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Bytes> objects_;  // keyed by ObjectPath
};

}  // namespace lifeboat::storage::testing
