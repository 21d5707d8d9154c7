// S3Client: one bucket's objects by their own keys — list, get (in ranged pieces), head, put
// (multipart above a threshold), create the bucket. It is the layer under S3Backend (which maps
// repository ObjectKeys onto keys below a prefix) and what a source uses to back up or restore a
// bucket's objects as they are, with their Content-Type and x-amz-meta-* metadata.
//
//   LIFEBOAT_ASSIGN_OR_RETURN(S3Location where, ParseS3Location("s3:http://host:7480/media"));
//   LIFEBOAT_ASSIGN_OR_RETURN(auto client, S3Client::Open(where, S3OptionsFromEnvironment()));
//   client->List("uploads/", [&](const S3ObjectListing& o) { ...; return Status::Ok(); });
//
// Memory: List holds one page (list_page_size entries) at a time; GetStreaming holds one piece;
// PutStreaming holds one part. No call buffers a whole object unless asked to (Get).
// Thread-safe; S3Options::max_connections requests may usefully run at once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lifeboat/storage/s3/http_client.h"
#include "lifeboat/storage/s3/s3_backend.h"
#include "lifeboat/storage/s3/s3_errors.h"

namespace lifeboat::storage {

namespace s3 {
// A decimal number without sign or spaces, as in Content-Length; false for anything else.
bool ParseUnsigned(std::string_view text, uint64_t* value);
// "bytes FIRST-LAST/TOTAL", the Content-Range of a 206 reply.
bool ParseContentRange(std::string_view text, uint64_t* first, uint64_t* last, uint64_t* total);
inline bool IsSuccess(long status) { return status >= 200 && status < 300; }
}  // namespace s3

// One entry of a listing.
struct S3ObjectListing {
  std::string key;
  uint64_t size = 0;
  std::string etag;           // as the server sent it, quotes included
  std::string last_modified;  // ISO 8601, as the server sent it
};

// What a GET or HEAD tells about an object besides its bytes.
struct S3ObjectHead {
  uint64_t size = 0;
  std::string etag;
  std::string last_modified;  // the Last-Modified header (RFC 7231 date)
  std::string content_type;
  // x-amz-meta-NAME headers, NAME lowercased (S3 itself does not keep the case).
  std::map<std::string, std::string> metadata;
};

struct S3PutObjectOptions {
  std::string content_type = {};  // empty: the server's default (binary/octet-stream)
  std::map<std::string, std::string> metadata = {};  // sent as x-amz-meta-NAME
  bool if_absent = false;                            // If-None-Match: *
  std::string storage_class = {};                    // empty: S3Options::storage_class
};

// Hands out the next bytes of a body being uploaded: at most `max` bytes, a view valid until the
// next call; an empty view only at the end.
using BodySource = std::function<Result<ByteView>(size_t max)>;

class S3Client {
 public:
  // Checks the options only (kInvalidArgument: missing credentials, nonsensical sizes); the
  // first request is the first network access. `location.prefix` is ignored: keys are whole.
  static Result<std::unique_ptr<S3Client>> Open(S3Location location, S3Options options);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  const S3Location& location() const;
  const S3Options& options() const;
  // Replaces the hint of "bucket does not exist" errors (the default speaks of repositories).
  void SetMissingBucketHint(std::string hint);

  // Every object whose key starts with `prefix`, in the server's (UTF-8 byte) order, page by
  // page. The visitor runs with no request in flight, so it may call into this client; an error
  // it returns ends the listing and is returned.
  Status List(std::string_view prefix, const std::function<Status(S3ObjectListing)>& visit);

  // kNotFound ("no such object", or the missing bucket named) when absent.
  Result<S3ObjectHead> Head(const std::string& key);

  // The object's bytes in pieces of at most `piece_size`, each handed to `sink` in order, with
  // its head filled before the first piece. Pieces after the first are asked with If-Match on
  // the first one's ETag, so an object replaced meanwhile fails (kUnavailable, retryable)
  // instead of mixing two versions. An empty object calls `sink` never.
  Status GetStreaming(const std::string& key, uint64_t piece_size, S3ObjectHead* head,
                      const std::function<Status(ByteView)>& sink);

  // A single PUT up to multipart_threshold, else a multipart upload of `size` bytes read from
  // `source` one part at a time (aborted on any failure, so no partial object appears).
  // kInvalidArgument when the source ends before `size` bytes or goes on after them.
  Status PutStreaming(const std::string& key, uint64_t size, const BodySource& source,
                      const S3PutObjectOptions& options);
  Status Put(const std::string& key, ByteView data, const S3PutObjectOptions& options);

  // kOk when the bucket exists (and is reachable with these credentials), kNotFound naming it
  // when it does not.
  Status CheckBucket();
  // Creates the bucket; kOk too when it already exists and is ours.
  Status CreateBucket();

  // The raw round trip the calls above are built of, for S3Backend: signs and sends one
  // request for `key` ("" for the bucket itself). Fails only when no response arrived.
  Result<s3::HttpResponse> Send(std::string method, const std::string& key,
                                const std::vector<std::pair<std::string, std::string>>& query,
                                std::vector<std::pair<std::string, std::string>> headers,
                                ByteView body, size_t expected_body_size = 0);
  // Send, again after a backoff while no reply arrives or the reply's error is retryable, as
  // S3Options::request_retries says. Returns the last reply (or transport error) for the caller
  // to interpret; *attempts (optional) counts the requests sent, so a caller can tell a reply
  // to a resent write (whose first attempt may have taken effect) from a first one.
  Result<s3::HttpResponse> Exchange(const std::string& method, const std::string& key,
                                    const std::vector<std::pair<std::string, std::string>>& query,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    ByteView body, size_t expected_body_size = 0,
                                    int* attempts = nullptr);
  // The Status for a reply that is not a success.
  Status ResponseError(const s3::HttpResponse& response) const;
  // HEAD replies carry no body; this asks again with a one-byte GET to learn why one failed.
  Status ExplainFailedHead(const std::string& key, const s3::HttpResponse& head);

 private:
  struct State;
  explicit S3Client(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace lifeboat::storage
