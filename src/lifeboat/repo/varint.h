// LEB128 varints and length-prefixed strings for the repository's binary encodings (trees,
// index files). VarintReader never reads past its input: every Read* returns false instead.
#pragma once

#include <cstdint>
#include <string>

#include "lifeboat/util/bytes.h"
#include "lifeboat/util/id.h"

namespace lifeboat::repo {

inline void PutVarint(Bytes& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<uint8_t>(value) | 0x80);
    value >>= 7;
  }
  out.push_back(static_cast<uint8_t>(value));
}

inline void PutSignedVarint(Bytes& out, int64_t value) {
  PutVarint(out, (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63));
}

inline void PutString(Bytes& out, std::string_view text) {
  PutVarint(out, text.size());
  out.insert(out.end(), text.begin(), text.end());
}

class VarintReader {
 public:
  explicit VarintReader(ByteView data) : data_(data) {}

  bool AtEnd() const { return pos_ == data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }

  bool ReadByte(uint8_t* out) {
    if (pos_ >= data_.size()) return false;
    *out = data_[pos_++];
    return true;
  }
  bool ReadVarint(uint64_t* out) {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t byte;
      if (!ReadByte(&byte)) return false;
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) {
        *out = value;
        return true;
      }
    }
    return false;
  }
  bool ReadSignedVarint(int64_t* out) {
    uint64_t raw;
    if (!ReadVarint(&raw)) return false;
    *out = static_cast<int64_t>(raw >> 1) ^ -static_cast<int64_t>(raw & 1);
    return true;
  }
  bool ReadString(std::string* out) {
    uint64_t size;
    if (!ReadVarint(&size) || size > remaining()) return false;
    out->assign(reinterpret_cast<const char*>(data_.data() + pos_), size);
    pos_ += size;
    return true;
  }
  bool ReadId(Id* out) {
    if (remaining() < Id::kSize) return false;
    *out = Id::FromBytes(data_.data() + pos_);
    pos_ += Id::kSize;
    return true;
  }
  bool ReadFixed32(uint32_t* out) {
    if (remaining() < 4) return false;
    *out = LoadU32(data_.data() + pos_);
    pos_ += 4;
    return true;
  }

 private:
  ByteView data_;
  size_t pos_ = 0;
};

}  // namespace lifeboat::repo
