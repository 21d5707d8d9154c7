// SHA-256 (OpenSSL, uses SHA-NI when the CPU has it). Names stored objects by their content:
// a pack, index or snapshot file's id is the SHA-256 of its bytes as stored, so storage-level
// damage is detectable without the repository key. Sha256Hasher is not thread-safe; Sha256()
// is.
#pragma once

#include <memory>

#include "lifeboat/util/bytes.h"
#include "lifeboat/util/id.h"

namespace lifeboat::crypto {

Id Sha256(ByteView data);

class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(ByteView data);
  // Returns the digest; the hasher is reset and may be reused.
  Id Finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace lifeboat::crypto
