// Cryptographically secure random bytes from the operating system (OpenSSL's RAND_bytes,
// seeded from getrandom). Used for keys, salts, nonces, random ids and padding. Thread-safe.
#pragma once

#include <span>

#include "lifeboat/util/bytes.h"
#include "lifeboat/util/id.h"

namespace lifeboat::crypto {

// Aborts if the system cannot provide randomness: continuing without it would be unsafe.
void FillRandom(std::span<uint8_t> out);
Bytes RandomBytes(size_t size);
Id RandomId();
// Uniform in [0, bound); bound must be > 0.
uint64_t RandomBelow(uint64_t bound);

}  // namespace lifeboat::crypto
