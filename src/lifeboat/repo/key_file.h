// Key files: the repository's master key, wrapped under a password. A repository has one master
// key (encryption key, blob-id key, chunker key) and any number of key files, each sealing that
// master key under its own Argon2id-derived key, so passwords can be added, changed and removed
// without re-encrypting data. Key files are JSON (format in docs/FORMAT.md), stored as
// keys/<sha256 of the file>.
#pragma once

#include <string>

#include "lifeboat/crypto/kdf.h"
#include "lifeboat/util/bytes.h"
#include "lifeboat/util/result.h"

namespace lifeboat::repo {

struct MasterKey {
  Bytes encryption_key;  // 32 bytes, AES-256-GCM for every stored object
  Bytes id_key;          // 32 bytes, HMAC-SHA-256 key for blob ids
  Bytes chunker_key;     // 32 bytes, derives the chunker's gear table

  static MasterKey Generate();
};

struct KeyFileInfo {
  int64_t created_ns = 0;
  std::string hostname;
  std::string username;
  crypto::KdfParams kdf;
};

// Builds a key file sealing `master` under `password`.
Result<Bytes> CreateKeyFile(const MasterKey& master, std::string_view password,
                            const crypto::KdfParams& kdf, const KeyFileInfo& info);

// kWrongPassword when the password does not open this key file; kCorruption when the file is
// not a valid key file.
Result<MasterKey> OpenKeyFile(ByteView key_file, std::string_view password);

// Reads the unencrypted description of a key file (kCorruption when malformed).
Result<KeyFileInfo> ReadKeyFileInfo(ByteView key_file);

}  // namespace lifeboat::repo
