#include "lifeboat/sources/bucket/object_path.h"

#include <vector>

namespace lifeboat::sources::bucket {

namespace {

std::string EncodePart(std::string_view part, bool marked) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  if (part.empty()) {
    out = "%";
  } else if (part == ".") {
    out = "%2E";
  } else if (part == "..") {
    out = "%2E%2E";
  } else {
    for (unsigned char c : part) {
      if (c == '%' || c == 0) {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  // An empty part's "%" already is a bare '%'; a second one keeps the marker visible.
  if (marked) out += '%';
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> DecodePart(std::string_view part) {
  if (part.ends_with('%')) {
    part.remove_suffix(1);                           // the empty part, or a directory marker
    if (part.ends_with('%')) part.remove_suffix(1);  // a marked empty part: "%%"
  }
  std::string out;
  for (size_t i = 0; i < part.size(); ++i) {
    if (part[i] != '%') {
      out += part[i];
      continue;
    }
    if (i + 2 >= part.size()) return std::nullopt;
    const int high = HexValue(part[i + 1]);
    const int low = HexValue(part[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

std::vector<std::string_view> SplitKey(std::string_view key) {
  std::vector<std::string_view> parts;
  size_t begin = 0;
  while (true) {
    const size_t slash = key.find('/', begin);
    if (slash == std::string_view::npos) {
      parts.push_back(key.substr(begin));
      return parts;
    }
    parts.push_back(key.substr(begin, slash - begin));
    begin = slash + 1;
  }
}

std::string Encode(std::string_view key, const std::set<std::string>* files) {
  std::string path(kObjectsDirectory);
  const std::vector<std::string_view> parts = SplitKey(key);
  size_t end = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    end += parts[i].size();
    const bool directory = i + 1 < parts.size();
    const bool marked =
        directory && files != nullptr && files->contains(std::string(key.substr(0, end)));
    path += '/';
    path += EncodePart(parts[i], marked);
    ++end;  // the '/'
  }
  return path;
}

}  // namespace

std::string EncodeObjectPath(std::string_view key) { return Encode(key, nullptr); }

std::optional<std::string> DecodeObjectPath(std::string_view path) {
  const std::string prefix = std::string(kObjectsDirectory) + "/";
  if (!path.starts_with(prefix)) return std::nullopt;
  path.remove_prefix(prefix.size());
  std::string key;
  bool first = true;
  for (std::string_view part : SplitKey(path)) {
    if (part.empty()) return std::nullopt;
    std::optional<std::string> decoded = DecodePart(part);
    if (!decoded) return std::nullopt;
    if (!first) key += '/';
    key += *decoded;
    first = false;
  }
  return key;
}

std::string ObjectPathAssigner::Assign(const std::string& key) {
  // A pending key K can only become a directory through keys "K/...", which sort below K + "0"
  // ('0' follows '/'); once the listing reaches that, K is settled.
  for (auto it = pending_files_.begin(); it != pending_files_.end();) {
    if (key >= *it + "0") {
      it = pending_files_.erase(it);
    } else {
      ++it;
    }
  }
  std::string path = Encode(key, &pending_files_);
  pending_files_.insert(key);
  return path;
}

}  // namespace lifeboat::sources::bucket
