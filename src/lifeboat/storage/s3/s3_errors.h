// Turns an S3 error reply (an HTTP status and, usually, an XML <Error> body) into a Status with
// a message a user can act on: wrong credentials, a missing bucket, a skewed clock. Server-side
// trouble (5xx, SlowDown, RequestTimeout) is marked retryable(). RGW and some other servers send
// an empty <Message>, so messages are built from <Code> and the HTTP status. Pure, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "lifeboat/util/status.h"

namespace lifeboat::storage::s3 {

struct S3ErrorContext {
  std::string endpoint;  // http(s)://host[:port], for messages
  std::string bucket;
};

// For a reply whose status is not a success. Codes: kNotFound (404: NoSuchKey, NoSuchBucket —
// the latter naming the bucket), kAlreadyExists (412), kPermissionDenied (403: credentials,
// access, expired token), kUnavailable (retryable: 5xx, 429, SlowDown, RequestTimeout;
// not retryable: RequestTimeTooSkewed), kIoError for anything else.
Status S3ResponseError(long http_status, std::string_view body, const S3ErrorContext& context);

}  // namespace lifeboat::storage::s3
