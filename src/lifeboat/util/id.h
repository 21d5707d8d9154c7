// Id: a 32-byte identifier (blob ids are keyed hashes of content; pack, index, snapshot and
// key ids are SHA-256 of the stored object or random). Ids print as 64 lowercase hex digits;
// users may abbreviate them to a unique prefix.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "lifeboat/util/bytes.h"

namespace lifeboat {

struct Id {
  static constexpr size_t kSize = 32;
  std::array<uint8_t, kSize> bytes{};

  std::string Hex() const { return HexEncode(bytes); }
  std::string ShortHex() const { return Hex().substr(0, 8); }
  // Parses exactly 64 hex digits.
  static std::optional<Id> FromHex(std::string_view hex);
  static Id FromBytes(const uint8_t* data) {
    Id id;
    std::memcpy(id.bytes.data(), data, kSize);
    return id;
  }
  bool IsZero() const {
    for (uint8_t b : bytes)
      if (b != 0) return false;
    return true;
  }

  friend bool operator==(const Id& a, const Id& b) { return a.bytes == b.bytes; }
  friend bool operator!=(const Id& a, const Id& b) { return a.bytes != b.bytes; }
  friend bool operator<(const Id& a, const Id& b) { return a.bytes < b.bytes; }
};

struct IdHash {
  size_t operator()(const Id& id) const {
    // Ids are uniformly distributed already; any 8 bytes make a good hash.
    uint64_t h;
    std::memcpy(&h, id.bytes.data(), sizeof(h));
    return static_cast<size_t>(h);
  }
};

inline std::optional<Id> Id::FromHex(std::string_view hex) {
  if (hex.size() != 2 * kSize) return std::nullopt;
  Bytes raw;
  if (!HexDecode(hex, &raw)) return std::nullopt;
  return FromBytes(raw.data());
}

}  // namespace lifeboat
