#include "lifeboat/storage/backend.h"

namespace lifeboat::storage {

Result<uint64_t> RangeLength(ByteRange range, uint64_t object_size) {
  if (range.offset > object_size) {
    return InvalidArgumentError("offset " + std::to_string(range.offset) +
                                " is past the end of the " + std::to_string(object_size) +
                                "-byte object");
  }
  const uint64_t available = object_size - range.offset;
  if (range.length == ByteRange::kToEnd) return available;
  // Compared against what remains rather than offset + length, which could overflow.
  if (range.length > available) {
    return InvalidArgumentError("range of " + std::to_string(range.length) + " bytes at offset " +
                                std::to_string(range.offset) + " reaches past the end of the " +
                                std::to_string(object_size) + "-byte object");
  }
  return range.length;
}

}  // namespace lifeboat::storage
