#include "lifeboat/crypto/random.h"

#include <openssl/rand.h>

#include <limits>

#include "lifeboat/util/check.h"

namespace lifeboat::crypto {

void FillRandom(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size()) {
    size_t step = std::min<size_t>(out.size() - done, std::numeric_limits<int>::max());
    LIFEBOAT_CHECK(RAND_bytes(out.data() + done, static_cast<int>(step)) == 1,
                   "the system random number generator failed");
    done += step;
  }
}

Bytes RandomBytes(size_t size) {
  Bytes out(size);
  FillRandom(out);
  return out;
}

Id RandomId() {
  Id id;
  FillRandom(id.bytes);
  return id;
}

uint64_t RandomBelow(uint64_t bound) {
  LIFEBOAT_CHECK(bound > 0, "RandomBelow needs a positive bound");
  // Rejection sampling keeps the result uniform.
  const uint64_t limit =
      std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % bound;
  uint64_t value;
  do {
    FillRandom(std::span<uint8_t>(reinterpret_cast<uint8_t*>(&value), sizeof(value)));
  } while (value >= limit);
  return value % bound;
}

}  // namespace lifeboat::crypto
