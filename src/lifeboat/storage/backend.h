// Backend: where a repository's objects live (a local directory, an S3 bucket prefix). The
// interface is deliberately small — no rename, append or directories — so object stores need no
// emulation; caching, verification and encryption live above it in repo/.
//
// Contract (checked for every implementation by storage/testing/backend_conformance):
// - A Put is whole or absent: a reader never sees a partial object, even after a crash.
// - Put with if_absent fails with kAlreadyExists when the object exists. Without it, Put
//   replaces; repository objects are immutable so replacing only happens for identical content.
// - Get of a missing object fails with kNotFound. A range that reaches past the end of the
//   object fails with kInvalidArgument; it is never a short read.
// - List visits each object of a kind whose name starts with prefix exactly once, in no
//   particular order. A visitor returning an error stops the listing with that error.
// - Remove of a missing object fails with kNotFound.
// - Errors that may go away when retried (timeouts, 5xx, resets) are marked retryable().
// Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>

#include "lifeboat/storage/object_key.h"
#include "lifeboat/util/bytes.h"
#include "lifeboat/util/result.h"

namespace lifeboat::storage {

struct ByteRange {
  static constexpr uint64_t kToEnd = std::numeric_limits<uint64_t>::max();
  uint64_t offset = 0;
  uint64_t length = kToEnd;  // kToEnd: from offset to the end of the object
};

// Passed by designated initializer, Put(key, data, {.if_absent = true}); every member has an
// initializer so that form compiles without -Wmissing-field-initializers warnings.
struct PutOptions {
  bool if_absent = false;
  std::string storage_class = {};  // object stores only; ignored elsewhere
};

struct ObjectInfo {
  ObjectKey key;
  uint64_t size = 0;
};

struct BackendProperties {
  std::string location;     // for messages, without credentials
  int max_connections = 2;  // useful parallelism for reads and writes
  // Each request waits on a network round trip (object stores): readers should keep
  // max_connections requests in flight rather than one per core.
  bool high_latency = false;
};

// For implementations: the number of bytes `range` covers in an object of object_size bytes, or
// kInvalidArgument when it reaches past the end (the caller adds which object).
Result<uint64_t> RangeLength(ByteRange range, uint64_t object_size);

using ListVisitor = std::function<Status(const ObjectInfo&)>;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendProperties Properties() const = 0;
  virtual Status Put(const ObjectKey& key, ByteView data, const PutOptions& options) = 0;
  virtual Result<Bytes> Get(const ObjectKey& key, ByteRange range) = 0;
  virtual Result<ObjectInfo> Stat(const ObjectKey& key) = 0;
  virtual Status List(ObjectKind kind, std::string_view prefix, const ListVisitor& visit) = 0;
  virtual Status Remove(const ObjectKey& key) = 0;

  Result<Bytes> Get(const ObjectKey& key) { return Get(key, ByteRange{}); }
  Status Put(const ObjectKey& key, ByteView data) { return Put(key, data, PutOptions{}); }
};

}  // namespace lifeboat::storage
