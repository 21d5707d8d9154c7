// Aead: authenticated encryption with AES-256-GCM (AES-NI through OpenSSL). Every sealed
// message is nonce(12) || ciphertext || tag(16), with a fresh random 96-bit nonce per message.
// The associated data binds a ciphertext to its role (e.g. the blob id it must decrypt to), so
// an attacker cannot swap two valid ciphertexts. Seal/Open are thread-safe.
#pragma once

#include <memory>

#include "lifeboat/util/bytes.h"
#include "lifeboat/util/result.h"

namespace lifeboat::crypto {

class Aead {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kNonceSize = 12;
  static constexpr size_t kTagSize = 16;
  static constexpr size_t kOverhead = kNonceSize + kTagSize;

  // key must be kKeySize bytes (checked).
  explicit Aead(ByteView key);
  ~Aead();
  Aead(const Aead&) = delete;
  Aead& operator=(const Aead&) = delete;

  // Appends nonce || ciphertext || tag to *out. plaintext and associated_data must not point
  // into *out, which may reallocate.
  void SealAppend(ByteView plaintext, ByteView associated_data, Bytes* out) const;
  Bytes Seal(ByteView plaintext, ByteView associated_data) const;
  // Deterministic variant for known-answer tests only.
  void SealWithNonceForTesting(ByteView nonce, ByteView plaintext, ByteView associated_data,
                               Bytes* out) const;

  // Returns the plaintext. Fails with kCorruption when the message was altered, truncated, or
  // sealed under another key or associated data; the message always begins "authentication
  // failed: ", followed by "the sealed message is N bytes, shorter than its 28-byte nonce and
  // tag" or "the sealed message was altered, or sealed under another key or associated data".
  Result<Bytes> Open(ByteView sealed, ByteView associated_data) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace lifeboat::crypto
