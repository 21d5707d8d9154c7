#include "lifeboat/storage/s3/s3_backend.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "lifeboat/storage/s3/s3_client.h"

namespace lifeboat::storage {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kScheme = "s3:";
constexpr int kMaxParts = 10'000;

std::string Getenv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::string TrimSlashes(std::string_view text) {
  while (text.starts_with('/')) text.remove_prefix(1);
  while (text.ends_with('/')) text.remove_suffix(1);
  return std::string(text);
}

using s3::IsSuccess;
using s3::ParseContentRange;
using s3::ParseUnsigned;

}  // namespace

S3Options S3OptionsFromEnvironment() {
  S3Options options;
  options.credentials.access_key_id = Getenv("AWS_ACCESS_KEY_ID");
  options.credentials.secret_access_key = Getenv("AWS_SECRET_ACCESS_KEY");
  options.credentials.session_token = Getenv("AWS_SESSION_TOKEN");
  std::string region = Getenv("AWS_DEFAULT_REGION");
  if (region.empty()) region = Getenv("AWS_REGION");
  if (!region.empty()) options.region = region;
  options.ca_file = Getenv("LIFEBOAT_S3_CA_FILE");
  return options;
}

Result<S3Location> ParseS3Location(std::string_view location) {
  const std::string context = "S3 location \"" + std::string(location) + "\"";
  if (!location.starts_with(kScheme)) {
    return InvalidArgumentError(context + " does not start with s3:");
  }
  std::string_view rest = location.substr(kScheme.size());
  S3Location parsed;
  parsed.scheme = "https";
  for (std::string_view scheme : {"http", "https"}) {
    const std::string prefix = std::string(scheme) + "://";
    if (rest.starts_with(prefix)) {
      parsed.scheme = std::string(scheme);
      rest.remove_prefix(prefix.size());
    }
  }
  if (rest.find("://") != std::string_view::npos) {
    return InvalidArgumentError(context + ": only http:// and https:// endpoints are supported");
  }
  const size_t slash = rest.find('/');
  parsed.host = std::string(rest.substr(0, slash));
  if (parsed.host.empty()) return InvalidArgumentError(context + " has no host");
  // Credentials belong in AWS_* variables, where they do not end up in logs and shell history.
  if (parsed.host.find('@') != std::string::npos) {
    return InvalidArgumentError(context + ": credentials in the location are not supported")
        .WithHint("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead");
  }
  const std::string path = slash == std::string_view::npos ? "" : TrimSlashes(rest.substr(slash));
  const size_t bucket_end = path.find('/');
  parsed.bucket = path.substr(0, bucket_end);
  if (parsed.bucket.empty()) {
    return InvalidArgumentError(context + " names no bucket")
        .WithHint("use s3:https://HOST[:PORT]/BUCKET[/PREFIX]");
  }
  if (bucket_end != std::string::npos) parsed.prefix = TrimSlashes(path.substr(bucket_end + 1));
  if (parsed.prefix.find("//") != std::string::npos) {
    return InvalidArgumentError(context + ": the prefix has an empty path segment");
  }
  parsed.endpoint = parsed.scheme + "://" + parsed.host;
  return parsed;
}

struct S3Backend::State {
  S3Location location;
  std::unique_ptr<S3Client> client;

  // The object's key in the bucket.
  std::string BucketKey(const ObjectKey& key) const {
    return location.prefix.empty() ? ObjectPath(key) : location.prefix + "/" + ObjectPath(key);
  }

  Result<uint64_t> StatSize(const std::string& bucket_key) {
    LIFEBOAT_ASSIGN_OR_RETURN(S3ObjectHead head, client->Head(bucket_key));
    return head.size;
  }
};

S3Backend::S3Backend(std::unique_ptr<State> state) : state_(std::move(state)) {}
S3Backend::~S3Backend() = default;

Result<std::unique_ptr<S3Backend>> S3Backend::Open(std::string_view location, S3Options options) {
  LIFEBOAT_ASSIGN_OR_RETURN(S3Location parsed, ParseS3Location(location));
  if (options.credentials.access_key_id.empty() || options.credentials.secret_access_key.empty()) {
    return InvalidArgumentError("no S3 credentials for " + std::string(location))
        .WithHint("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  // Whole operations are retried by a RetryingBackend around this one (repository_opener);
  // retrying each request as well would multiply the attempts.
  options.request_retries.max_attempts = 1;
  auto state = std::make_unique<State>();
  state->location = parsed;
  LIFEBOAT_ASSIGN_OR_RETURN(state->client, S3Client::Open(std::move(parsed), std::move(options)));
  return std::unique_ptr<S3Backend>(new S3Backend(std::move(state)));
}

BackendProperties S3Backend::Properties() const {
  std::string location =
      std::string(kScheme) + state_->location.endpoint + "/" + state_->location.bucket;
  if (!state_->location.prefix.empty()) location += "/" + state_->location.prefix;
  return BackendProperties{.location = location,
                           .max_connections = state_->client->options().max_connections,
                           .high_latency = true};
}

Status S3Backend::Put(const ObjectKey& key, ByteView data, const PutOptions& options) {
  const std::string bucket_key = state_->BucketKey(key);
  const std::string context = "writing " + ObjectPath(key);
  Status status = state_->client->Put(
      bucket_key, data,
      S3PutObjectOptions{.if_absent = options.if_absent, .storage_class = options.storage_class});
  return status.WithContext(context);
}

Result<Bytes> S3Backend::Get(const ObjectKey& key, ByteRange range) {
  const std::string bucket_key = state_->BucketKey(key);
  const std::string context = "reading " + ObjectPath(key);
  // HTTP cannot ask for zero bytes, and a range starting at the end is a 416, which S3 also
  // gives for ranges past the end: both are settled against the object's size.
  auto settle_with_size = [&]() -> Result<Bytes> {
    Result<uint64_t> size = state_->StatSize(bucket_key);
    if (!size.ok()) return size.status().WithContext(context);
    Result<uint64_t> length = RangeLength(range, *size);
    if (!length.ok()) return length.status().WithContext(context);
    if (*length != 0) return UnavailableError(context + ": the object changed while being read");
    return Bytes();
  };
  if (range.length == 0) return settle_with_size();

  Headers headers;
  const bool whole = range.offset == 0 && range.length == ByteRange::kToEnd;
  if (!whole) {
    std::string value = "bytes=" + std::to_string(range.offset) + "-";
    // A length that overflows offset + length is past the end of any object; asking "from
    // offset on" lets the reply's total size prove it.
    if (range.length != ByteRange::kToEnd && range.length - 1 <= UINT64_MAX - range.offset) {
      value += std::to_string(range.offset + range.length - 1);
    }
    headers.emplace_back("range", value);
  }
  const size_t expected =
      range.length == ByteRange::kToEnd
          ? 0
          : static_cast<size_t>(std::min<uint64_t>(range.length, uint64_t{1} << 30));
  Result<s3::HttpResponse> sent =
      state_->client->Send("GET", bucket_key, {}, std::move(headers), {}, expected);
  if (!sent.ok()) return sent.status().WithContext(context);
  s3::HttpResponse& response = *sent;
  if (response.status == 416) return settle_with_size();
  if (!IsSuccess(response.status))
    return state_->client->ResponseError(response).WithContext(context);

  uint64_t first = 0;
  uint64_t total = response.body.size();
  if (response.status == 206) {
    uint64_t last = 0;
    if (!ParseContentRange(response.Header("content-range"), &first, &last, &total)) {
      return IoError(context +
                     ": the S3 server sent a partial reply without a valid "
                     "Content-Range");
    }
  }
  Result<uint64_t> length = RangeLength(range, total);
  if (!length.ok()) return length.status().WithContext(context);
  if (response.status != 206) {
    // The whole object (no range asked, or a server ignoring Range): cut the range out.
    if (whole) return std::move(response.body);
    return Bytes(response.body.begin() + static_cast<ptrdiff_t>(range.offset),
                 response.body.begin() + static_cast<ptrdiff_t>(range.offset + *length));
  }
  if (first != range.offset || response.body.size() != *length) {
    // Never a short read: a truncated reply is a transfer problem worth another attempt.
    return UnavailableError(context + ": the S3 server sent " +
                            std::to_string(response.body.size()) + " bytes at offset " +
                            std::to_string(first) + " instead of " + std::to_string(*length) +
                            " at offset " + std::to_string(range.offset));
  }
  return std::move(response.body);
}

Result<ObjectInfo> S3Backend::Stat(const ObjectKey& key) {
  Result<uint64_t> size = state_->StatSize(state_->BucketKey(key));
  if (!size.ok()) return size.status().WithContext("checking " + ObjectPath(key));
  return ObjectInfo{key, *size};
}

Status S3Backend::List(ObjectKind kind, std::string_view prefix, const ListVisitor& visit) {
  const std::string root = state_->location.prefix.empty() ? "" : state_->location.prefix + "/";
  std::string list_prefix = root;
  if (kind == ObjectKind::kConfig) {
    if (!prefix.empty()) return Status::Ok();  // the config object's name is empty
    list_prefix += ObjectPath(ObjectKey{ObjectKind::kConfig, ""});
  } else {
    list_prefix += std::string(ObjectKindDirectory(kind)) + "/";
    // Packs live under data/<first two digits>/, so a longer prefix narrows to one fan-out.
    if (kind == ObjectKind::kPack && prefix.size() >= 2) {
      list_prefix += std::string(prefix.substr(0, 2)) + "/";
    }
    list_prefix += std::string(prefix);
  }
  const std::string context =
      "listing " +
      std::string(ObjectKindDirectory(kind).empty() ? "config" : ObjectKindDirectory(kind));
  // S3Client::List runs the visitor between pages, so a visitor may call into this backend.
  bool visitor_failed = false;
  Status listed = state_->client->List(list_prefix, [&](S3ObjectListing entry) -> Status {
    if (!entry.key.starts_with(root)) return Status::Ok();
    std::optional<ObjectKey> key = ParseObjectPath(std::string_view(entry.key).substr(root.size()));
    if (!key || key->kind != kind || !key->name.starts_with(prefix)) return Status::Ok();
    Status visited = visit(ObjectInfo{std::move(*key), entry.size});
    visitor_failed = !visited.ok();
    return visited;
  });
  // A visitor's own error goes back unchanged; the listing's gets context.
  return listed.ok() || visitor_failed ? listed : listed.WithContext(context);
}

Status S3Backend::Remove(const ObjectKey& key) {
  const std::string bucket_key = state_->BucketKey(key);
  const std::string context = "removing " + ObjectPath(key);
  // S3 answers 204 whether or not the object existed; the contract wants kNotFound.
  Result<uint64_t> size = state_->StatSize(bucket_key);
  if (!size.ok()) return size.status().WithContext(context);
  Result<s3::HttpResponse> response = state_->client->Send("DELETE", bucket_key, {}, {}, {});
  if (!response.ok()) return response.status().WithContext(context);
  if (!IsSuccess(response->status))
    return state_->client->ResponseError(*response).WithContext(context);
  return Status::Ok();
}

}  // namespace lifeboat::storage
