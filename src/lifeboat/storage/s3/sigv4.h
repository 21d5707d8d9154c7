// AWS Signature Version 4: signs an HTTP request for S3 (or any AWS-style service) with an
// access key, so the server can check who sent it and that it was not altered on the way.
//
// Written by hand rather than with libcurl's CURLOPT_AWS_SIGV4: the libcurl of Debian 12 (7.88)
// signs correctly only when the caller already sets x-amz-content-sha256, sorts the query
// parameters itself and spells valueless parameters as `?uploads=`; working around that would
// hide the signing rules in three places instead of stating them in one.
//
// Use: build a SigningRequest holding every header that is to be signed (at least host and
// x-amz-date; for S3 also x-amz-content-sha256, and x-amz-security-token with session
// credentials), then send exactly those headers plus Authorization: Authorization(...).
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lifeboat/util/bytes.h"

namespace lifeboat::storage::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless the credentials are temporary (STS)
};

struct SigningScope {
  std::string amz_date;  // YYYYMMDDTHHMMSSZ, the x-amz-date header's value
  std::string region;    // us-east-1
  std::string service;   // s3
};

struct SigningRequest {
  std::string method;  // GET, PUT, ...
  // The path exactly as sent on the wire, already URI-encoded. S3 takes it as is: unlike other
  // AWS services it neither normalizes the path ("/a/../b" and "//" stay) nor encodes it a
  // second time for signing, so neither does this signer.
  std::string encoded_path;
  // Query parameters, not encoded; order does not matter. A parameter without a value
  // (?uploads) has an empty value.
  std::vector<std::pair<std::string, std::string>> query;
  // Every header to sign, names in any case; repeated names are joined with commas.
  std::vector<std::pair<std::string, std::string>> headers;
  // Hex SHA-256 of the body, or "UNSIGNED-PAYLOAD".
  std::string payload_hash;
};

// RFC 3986 percent-encoding as SigV4 wants it: everything but A-Z a-z 0-9 - . _ ~ becomes %XX
// (uppercase hex); '/' is kept when keep_slash is true (for paths).
std::string UriEncode(std::string_view text, bool keep_slash);

// The pieces of the signature, exposed so tests can compare each with the published vectors.
std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query);
std::string CanonicalRequest(const SigningRequest& request);
std::string StringToSign(const SigningScope& scope, std::string_view canonical_request);
std::string Signature(const Credentials& credentials, const SigningScope& scope,
                      std::string_view string_to_sign);
// The value of the Authorization header. The secret key is used only to derive the signing key
// and never appears in the result.
std::string Authorization(const Credentials& credentials, const SigningScope& scope,
                          const SigningRequest& request);

// x-amz-date for a time in seconds since the Unix epoch, e.g. "20150830T123600Z".
std::string AmzDate(int64_t unix_seconds);
std::string Sha256Hex(ByteView data);

}  // namespace lifeboat::storage::s3
