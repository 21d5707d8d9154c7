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
  static constexpr size_t kKeySize = 32;
  // key must be kKeySize bytes (checked).
  explicit KeyedHash(ByteView key);
  ~KeyedHash();
  KeyedHash(const KeyedHash&) = delete;
  KeyedHash& operator=(const KeyedHash&) = delete;

  Id Hash(ByteView data) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace lifeboat::crypto
