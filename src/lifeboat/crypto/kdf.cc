#include "lifeboat/crypto/kdf.h"

#include <argon2.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "lifeboat/util/check.h"
#include "lifeboat/util/status.h"

namespace lifeboat::crypto {
namespace {

// The bounds reject values a damaged or hostile key file could use to make opening a repository
// take hours or exhaust memory, while leaving room to raise costs for years.
constexpr uint32_t kMaxTimeCost = 100;
constexpr uint32_t kMaxParallelism = 64;
constexpr uint32_t kMaxMemoryKib = 4 * 1024 * 1024;  // 4 GiB.
constexpr size_t kMinSaltSize = 16;

Status OutOfRange(std::string_view name, uint64_t value, uint64_t low, uint64_t high,
                  std::string_view why = {}) {
  std::string message = "kdf " + std::string(name) + " " + std::to_string(value) +
                        " is out of range: it must be between " + std::to_string(low) + " and " +
                        std::to_string(high);
  if (!why.empty()) message += " " + std::string(why);
  return InvalidArgumentError(std::move(message));
}

Status ValidateParams(ByteView salt, const KdfParams& params) {
  if (params.time_cost < 1 || params.time_cost > kMaxTimeCost) {
    return OutOfRange("time_cost", params.time_cost, 1, kMaxTimeCost);
  }
  if (params.parallelism < 1 || params.parallelism > kMaxParallelism) {
    return OutOfRange("parallelism", params.parallelism, 1, kMaxParallelism);
  }
  // Argon2 splits each lane into four segments of at least two 1 KiB blocks.
  const uint64_t min_memory_kib = uint64_t{8} * params.parallelism;
  if (params.memory_kib < min_memory_kib || params.memory_kib > kMaxMemoryKib) {
    return OutOfRange("memory_kib", params.memory_kib, min_memory_kib, kMaxMemoryKib,
                      "(the minimum is 8 KiB per unit of parallelism)");
  }
  if (salt.size() < kMinSaltSize) {
    return InvalidArgumentError("kdf salt is " + std::to_string(salt.size()) +
                                " bytes; it must be at least " + std::to_string(kMinSaltSize));
  }
  return Status::Ok();
}

}  // namespace

Result<Bytes> DeriveKey(std::string_view password, ByteView salt, const KdfParams& params,
                        size_t length) {
  LIFEBOAT_CHECK(length >= ARGON2_MIN_OUTLEN && length <= 1024,
                 "DeriveKey length must be 4..1024 bytes");
  LIFEBOAT_RETURN_IF_ERROR(ValidateParams(salt, params));
  if (password.size() > std::numeric_limits<uint32_t>::max() ||
      salt.size() > std::numeric_limits<uint32_t>::max()) {
    return InvalidArgumentError("kdf password or salt is longer than 4 GiB");
  }
  Bytes key(length);
  const int rc =
      argon2id_hash_raw(params.time_cost, params.memory_kib, params.parallelism, password.data(),
                        password.size(), salt.data(), salt.size(), key.data(), key.size());
  if (rc == ARGON2_MEMORY_ALLOCATION_ERROR) {
    return InternalError("kdf could not allocate " + std::to_string(params.memory_kib) +
                         " KiB for argon2id");
  }
  if (rc != ARGON2_OK) {
    return InternalError(std::string("kdf argon2id failed: ") + argon2_error_message(rc));
  }
  return key;
}

}  // namespace lifeboat::crypto
