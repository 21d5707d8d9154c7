// S3Backend: a repository in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, ...), under an
// optional key prefix, laid out exactly as a local repository (ObjectPath): `<prefix>/config`,
// `<prefix>/data/3f/3fa2...`. Requests are signed with AWS Signature Version 4 (sigv4.h) and
// sent over libcurl, on a pool of reused connections.
//
//   S3Options options = S3OptionsFromEnvironment();          // AWS_* variables
//   LIFEBOAT_ASSIGN_OR_RETURN(auto backend,
//                             S3Backend::Open("s3:https://s3.example.com/bucket/prefix", options));
//
// Locations: `s3:http(s)://host[:port]/bucket[/prefix]`; without a scheme (`s3:host/bucket`)
// https is used. Hosts ending in amazonaws.com are addressed virtual-hosted style
// (bucket.host/key), others path style (host/bucket/key); S3Options can force either.
//
// Beyond the Backend contract: a Put above multipart_threshold is uploaded in parts and the
// upload is aborted on any failure, so no partial object ever appears. Remove checks that the
// object exists first (S3 deletes missing objects silently) — not atomic against another
// process removing the same object, which only makes both removals succeed. Put with if_absent
// uses If-None-Match: *, which the server checks atomically for single-request uploads; for
// multipart uploads the check is a HEAD before the upload plus the same header on completion,
// which older servers ignore (harmless for content-addressed objects, the only large ones).
// Thread-safe; Properties().max_connections requests may usefully run at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "lifeboat/storage/backend.h"
#include "lifeboat/storage/retry.h"
#include "lifeboat/storage/s3/sigv4.h"
#include "lifeboat/util/clock.h"

namespace lifeboat::storage {

enum class S3Addressing { kAuto, kPathStyle, kVirtualHosted };

struct S3Options {
  s3::Credentials credentials = {};
  std::string region = "us-east-1";
  S3Addressing addressing = S3Addressing::kAuto;
  std::string ca_file = {};        // PEM CA bundle for TLS; empty: the system's
  std::string storage_class = {};  // x-amz-storage-class when a Put names none; empty: default
  int max_connections = 8;         // Properties().max_connections, and curl handles kept for reuse
  uint64_t multipart_threshold = uint64_t{100} << 20;  // larger objects go in parts
  // S3 refuses parts under 5 MiB (except the last); grown when 10,000 parts would not do.
  uint64_t part_size = uint64_t{16} << 20;
  int list_page_size = 1000;  // max-keys per ListObjectsV2 page; S3's own maximum is 1000
  int64_t connect_timeout_ms = 10'000;
  Clock* clock = nullptr;  // signs requests with its time, and sleeps; null: the system clock
  // S3Client resends a request that got no reply or a retryable error reply (5xx, 429,
  // SlowDown, RequestTimeout; never 403 or 404) under this policy. S3Backend turns it off: the
  // RetryingBackend around it retries whole operations and knows which writes are ambiguous.
  RetryPolicy request_retries = {};
  RandomFraction retry_random = {};  // empty: DefaultRandomFraction (tests pass their own)
};

// Options with credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN,
// the region from AWS_DEFAULT_REGION or AWS_REGION (default us-east-1), and the CA bundle from
// LIFEBOAT_S3_CA_FILE.
S3Options S3OptionsFromEnvironment();

// A parsed location. endpoint is "scheme://host[:port]" as written (without the bucket).
struct S3Location {
  std::string endpoint;
  std::string scheme;  // http or https
  std::string host;    // host[:port]
  std::string bucket;
  std::string prefix;  // without leading or trailing '/'; may be empty
};

// kInvalidArgument with the reason when `location` is not `s3:[scheme://]host[:port]/bucket[/p]`.
Result<S3Location> ParseS3Location(std::string_view location);

class S3Backend final : public Backend {
 public:
  // Checks the location and options only; the first request is the first network access.
  // kInvalidArgument for a bad location, missing credentials or nonsensical sizes.
  static Result<std::unique_ptr<S3Backend>> Open(std::string_view location, S3Options options);
  ~S3Backend() override;

  BackendProperties Properties() const override;
  Status Put(const ObjectKey& key, ByteView data, const PutOptions& options) override;
  Result<Bytes> Get(const ObjectKey& key, ByteRange range) override;
  Result<ObjectInfo> Stat(const ObjectKey& key) override;
  Status List(ObjectKind kind, std::string_view prefix, const ListVisitor& visit) override;
  Status Remove(const ObjectKey& key) override;
  using Backend::Get;
  using Backend::Put;

 private:
  struct State;
  explicit S3Backend(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace lifeboat::storage
