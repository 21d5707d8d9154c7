// LocalBackend: a repository in a local directory (or any mounted file system). Puts are atomic
// and durable: write a temporary file in the target directory, fsync it, rename it into place,
// fsync the directory. Temporary files are named ".tmp-*" and ignored by List; a crash can leave
// them behind, never a partial object.
#pragma once

#include <memory>
#include <string>

#include "lifeboat/storage/backend.h"

namespace lifeboat::storage {

class LocalBackend final : public Backend {
 public:
  // Does not touch the file system; operations fail with kNotFound if root does not exist.
  explicit LocalBackend(std::string root);

  // Creates root (and parents) if missing; fails if root exists and is not a directory.
  Status CreateRoot();

  BackendProperties Properties() const override;
  Status Put(const ObjectKey& key, ByteView data, const PutOptions& options) override;
  Result<Bytes> Get(const ObjectKey& key, ByteRange range) override;
  Result<ObjectInfo> Stat(const ObjectKey& key) override;
  Status List(ObjectKind kind, std::string_view prefix, const ListVisitor& visit) override;
  Status Remove(const ObjectKey& key) override;
  using Backend::Get;
  using Backend::Put;

 private:
  std::string root_;
};

}  // namespace lifeboat::storage
