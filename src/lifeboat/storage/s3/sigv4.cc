#include "lifeboat/storage/s3/sigv4.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "lifeboat/crypto/keyed_hash.h"
#include "lifeboat/crypto/sha256.h"

namespace lifeboat::storage::s3 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string Lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Header values are signed trimmed, with runs of spaces inside collapsed to one; a proxy may
// re-space a header and the signature must survive that.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// Lowercased names, sorted, each with its values in the order given.
std::map<std::string, std::string> CanonicalHeaders(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::map<std::string, std::string> canonical;
  for (const auto& [name, value] : headers) {
    std::string& joined = canonical[Lowercase(name)];
    if (!joined.empty()) joined += ',';
    joined += CanonicalHeaderValue(value);
  }
  return canonical;
}

std::string SignedHeaderList(const std::map<std::string, std::string>& canonical) {
  std::string list;
  for (const auto& entry : canonical) {
    if (!list.empty()) list += ';';
    list += entry.first;
  }
  return list;
}

Id Hmac(ByteView key, std::string_view data) { return crypto::KeyedHash(key).Hash(AsBytes(data)); }

}  // namespace

std::string UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (IsUnreserved(byte) || (keep_slash && c == '/')) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query) {
  // Sorted by encoded name, then encoded value: the order is defined on what is signed.
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(UriEncode(name, false), UriEncode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string CanonicalRequest(const SigningRequest& request) {
  const std::map<std::string, std::string> headers = CanonicalHeaders(request.headers);
  std::string out = request.method + "\n" + request.encoded_path + "\n" +
                    CanonicalQueryString(request.query) + "\n";
  for (const auto& [name, value] : headers) out += name + ":" + value + "\n";
  out += "\n" + SignedHeaderList(headers) + "\n" + request.payload_hash;
  return out;
}

std::string StringToSign(const SigningScope& scope, std::string_view canonical_request) {
  return std::string(kAlgorithm) + "\n" + scope.amz_date + "\n" + scope.amz_date.substr(0, 8) +
         "/" + scope.region + "/" + scope.service + "/aws4_request\n" +
         Sha256Hex(AsBytes(canonical_request));
}

std::string Signature(const Credentials& credentials, const SigningScope& scope,
                      std::string_view string_to_sign) {
  const std::string secret = "AWS4" + credentials.secret_access_key;
  Id key = Hmac(AsBytes(secret), scope.amz_date.substr(0, 8));
  key = Hmac(key.bytes, scope.region);
  key = Hmac(key.bytes, scope.service);
  key = Hmac(key.bytes, "aws4_request");
  return Hmac(key.bytes, string_to_sign).Hex();
}

std::string Authorization(const Credentials& credentials, const SigningScope& scope,
                          const SigningRequest& request) {
  const std::string canonical = CanonicalRequest(request);
  const std::string signature = Signature(credentials, scope, StringToSign(scope, canonical));
  return std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
         scope.amz_date.substr(0, 8) + "/" + scope.region + "/" + scope.service +
         "/aws4_request, SignedHeaders=" + SignedHeaderList(CanonicalHeaders(request.headers)) +
         ", Signature=" + signature;
}

std::string AmzDate(int64_t unix_seconds) {
  const std::time_t time = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  ::gmtime_r(&time, &utc);
  char buffer[17];
  std::strftime(buffer, sizeof(buffer), "%Y%m%dT%H%M%SZ", &utc);
  return buffer;
}

std::string Sha256Hex(ByteView data) { return crypto::Sha256(data).Hex(); }

}  // namespace lifeboat::storage::s3
