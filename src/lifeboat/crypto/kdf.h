// Password-based key derivation with Argon2id (libargon2). Each repository key file stores its
// own salt and cost parameters, so costs can be raised for new keys without touching old ones.
// Thread-safe; each call allocates memory_kib of RAM for its duration.
#pragma once

#include <cstdint>
#include <string_view>

#include "lifeboat/util/bytes.h"
#include "lifeboat/util/result.h"

namespace lifeboat::crypto {

struct KdfParams {
  uint32_t time_cost = 3;
  uint32_t memory_kib = 64 * 1024;
  uint32_t parallelism = 2;
};

// Returns length bytes (4..1024, checked) of Argon2id output. Fails with kInvalidArgument on
// out-of-range parameters (e.g. from a damaged key file): time_cost must be 1..100, parallelism
// 1..64, memory_kib 8 * parallelism..4194304 (4 GiB), and salt at least 16 bytes. Fails with
// kInternal when the memory cannot be allocated.
Result<Bytes> DeriveKey(std::string_view password, ByteView salt, const KdfParams& params,
                        size_t length = 32);

}  // namespace lifeboat::crypto
