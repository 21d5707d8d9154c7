// KeyedHash: HMAC-SHA-256 under a per-repository secret. Blob ids are keyed hashes of the
// blob's plaintext, so someone who can read the storage cannot test whether the repository
// holds a file they know. Construct once per repository; Hash() is thread-safe.
#pragma once

#include <memory>

#include "lifeboat/util/bytes.h"
#include "lifeboat/util/id.h"

namespace lifeboat::crypto {

class KeyedHash {
 public:
  // Repositories use keys of this size.
  static constexpr size_t kKeySize = 32;
  // key must be non-empty (checked). HMAC accepts any key length, so other lengths are allowed
  // (tests use the RFC 4231 vectors); keys longer than 64 bytes are first hashed, per HMAC.
  // The key is not retained, only the keyed hash state derived from it.
  explicit KeyedHash(ByteView key);
  ~KeyedHash();
  KeyedHash(const KeyedHash&) = delete;
  KeyedHash& operator=(const KeyedHash&) = delete;

  // HMAC-SHA-256(key, data).
  Id Hash(ByteView data) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace lifeboat::crypto
