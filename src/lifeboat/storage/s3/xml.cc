#include "lifeboat/storage/s3/xml.h"

#include <cstdint>
#include <cstdlib>

namespace lifeboat::storage::s3 {
namespace {

bool IsNameEnd(char c) {
  return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void AppendUtf8(std::string& out, uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xc0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xe0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code_point & 0x3f));
  }
}

// Decodes one reference (without '&' and ';'); false when it is not one we know.
bool DecodeReference(std::string_view reference, std::string& out) {
  if (reference == "amp") return out += '&', true;
  if (reference == "lt") return out += '<', true;
  if (reference == "gt") return out += '>', true;
  if (reference == "quot") return out += '"', true;
  if (reference == "apos") return out += '\'', true;
  if (reference.size() < 2 || reference[0] != '#') return false;
  const bool hex = reference[1] == 'x' || reference[1] == 'X';
  const std::string digits(reference.substr(hex ? 2 : 1));
  if (digits.empty() || digits.size() > 8) return false;
  char* end = nullptr;
  const unsigned long value = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
  if (end != digits.c_str() + digits.size() || value > 0x10ffff) return false;
  AppendUtf8(out, static_cast<uint32_t>(value));
  return true;
}

}  // namespace

std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view name) {
  std::vector<std::string_view> found;
  const std::string open = "<" + std::string(name);
  const std::string close = "</" + std::string(name) + ">";
  size_t position = 0;
  while ((position = xml.find(open, position)) != std::string_view::npos) {
    const size_t after_name = position + open.size();
    if (after_name >= xml.size() || !IsNameEnd(xml[after_name])) {
      position = after_name;  // a longer name with this one as prefix (<Key> vs <KeyCount>)
      continue;
    }
    const size_t tag_end = xml.find('>', after_name);
    if (tag_end == std::string_view::npos) break;
    if (xml[tag_end - 1] == '/') {
      found.emplace_back();
      position = tag_end + 1;
      continue;
    }
    const size_t content_end = xml.find(close, tag_end + 1);
    if (content_end == std::string_view::npos) break;
    found.push_back(xml.substr(tag_end + 1, content_end - tag_end - 1));
    position = content_end + close.size();
  }
  return found;
}

std::optional<std::string> XmlText(std::string_view xml, std::string_view name) {
  const std::vector<std::string_view> elements = XmlElements(xml, name);
  if (elements.empty()) return std::nullopt;
  return XmlUnescape(elements.front());
}

std::string XmlUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t position = 0;
  while (position < text.size()) {
    const size_t amp = text.find('&', position);
    if (amp == std::string_view::npos) {
      out.append(text.substr(position));
      break;
    }
    out.append(text.substr(position, amp - position));
    const size_t semicolon = text.find(';', amp);
    if (semicolon != std::string_view::npos &&
        DecodeReference(text.substr(amp + 1, semicolon - amp - 1), out)) {
      position = semicolon + 1;
    } else {
      out += '&';
      position = amp + 1;
    }
  }
  return out;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace lifeboat::storage::s3
