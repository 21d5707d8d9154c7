#include "lifeboat/storage/s3/s3_backend.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "lifeboat/storage/s3/http_client.h"
#include "lifeboat/storage/s3/s3_errors.h"
#include "lifeboat/storage/s3/xml.h"

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

bool EndsWithAmazonAws(std::string_view host) {
  const size_t colon = host.rfind(':');
  if (colon != std::string_view::npos) host = host.substr(0, colon);
  return host == "amazonaws.com" || host.ends_with(".amazonaws.com");
}

bool ParseUnsigned(std::string_view text, uint64_t* value) {
  if (text.empty() || text.size() > 19) return false;
  uint64_t result = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    result = result * 10 + static_cast<uint64_t>(c - '0');
  }
  *value = result;
  return true;
}

// "bytes FIRST-LAST/TOTAL" (Content-Range of a 206 reply).
bool ParseContentRange(std::string_view text, uint64_t* first, uint64_t* last, uint64_t* total) {
  if (!text.starts_with("bytes ")) return false;
  text.remove_prefix(6);
  const size_t dash = text.find('-');
  const size_t slash = text.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) {
    return false;
  }
  return ParseUnsigned(text.substr(0, dash), first) &&
         ParseUnsigned(text.substr(dash + 1, slash - dash - 1), last) &&
         ParseUnsigned(text.substr(slash + 1), total) && *first <= *last && *last < *total;
}

bool IsSuccess(long status) { return status >= 200 && status < 300; }

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
  S3Options options;
  bool virtual_hosted = false;
  s3::S3ErrorContext error_context;
  s3::HttpClient http;

  State(S3Location location_in, S3Options options_in)
      : location(std::move(location_in)),
        options(std::move(options_in)),
        http(s3::HttpClientOptions{.ca_file = options.ca_file,
                                   .max_idle_handles = options.max_connections,
                                   .connect_timeout_ms = options.connect_timeout_ms}) {
    virtual_hosted =
        options.addressing == S3Addressing::kVirtualHosted ||
        (options.addressing == S3Addressing::kAuto && EndsWithAmazonAws(location.host));
    error_context = {location.endpoint, location.bucket};
  }

  // The object's key in the bucket.
  std::string BucketKey(const ObjectKey& key) const {
    return location.prefix.empty() ? ObjectPath(key) : location.prefix + "/" + ObjectPath(key);
  }

  std::string Host() const {
    return virtual_hosted ? location.bucket + "." + location.host : location.host;
  }

  // The encoded request path for a key in the bucket ("" for the bucket itself).
  std::string EncodedPath(const std::string& bucket_key) const {
    std::string path = virtual_hosted ? "" : "/" + s3::UriEncode(location.bucket, false);
    path += "/" + s3::UriEncode(bucket_key, /*keep_slash=*/true);
    return path;
  }

  // Signs and sends one request. `bucket_key` empty means the bucket itself.
  Result<s3::HttpResponse> Send(std::string method, const std::string& bucket_key,
                                const Query& query, Headers headers, ByteView body,
                                size_t expected_body_size = 0) {
    const Clock& clock = options.clock != nullptr ? *options.clock : SystemClock::Get();
    s3::SigningRequest signing;
    signing.method = std::move(method);
    signing.encoded_path = bucket_key.empty() && !virtual_hosted
                               ? "/" + s3::UriEncode(location.bucket, false)
                               : EncodedPath(bucket_key);
    signing.query = query;
    signing.payload_hash = s3::Sha256Hex(body);
    const s3::SigningScope scope{s3::AmzDate(clock.NowSeconds()), options.region, "s3"};
    headers.emplace_back("host", Host());
    headers.emplace_back("x-amz-date", scope.amz_date);
    // Also makes the server check the body against its hash: end-to-end integrity over http.
    headers.emplace_back("x-amz-content-sha256", signing.payload_hash);
    if (!options.credentials.session_token.empty()) {
      headers.emplace_back("x-amz-security-token", options.credentials.session_token);
    }
    signing.headers = headers;

    s3::HttpRequest request;
    request.method = signing.method;
    request.url = location.scheme + "://" + Host() + signing.encoded_path;
    const std::string query_string = s3::CanonicalQueryString(query);
    if (!query_string.empty()) request.url += "?" + query_string;
    request.headers = std::move(headers);
    request.headers.emplace_back("Authorization",
                                 s3::Authorization(options.credentials, scope, signing));
    request.body = body;
    request.expected_body_size = expected_body_size;
    return http.Perform(request, location.endpoint);
  }

  Status ResponseError(const s3::HttpResponse& response) const {
    return s3::S3ResponseError(response.status, AsString(response.body), error_context);
  }

  // HEAD replies carry no body, so the reason for a failed HEAD (NoSuchBucket or NoSuchKey?
  // wrong key or wrong secret?) is learned by asking again with a one-byte GET.
  Status ExplainFailedHead(const std::string& bucket_key, const s3::HttpResponse& head) {
    Result<s3::HttpResponse> get = Send("GET", bucket_key, {}, {{"range", "bytes=0-0"}}, {});
    if (get.ok() && !IsSuccess(get->status) && get->status != 416 &&
        s3::XmlText(AsString(get->body), "Code")) {
      return ResponseError(*get);
    }
    return ResponseError(head);
  }

  Result<uint64_t> StatSize(const std::string& bucket_key) {
    LIFEBOAT_ASSIGN_OR_RETURN(s3::HttpResponse response, Send("HEAD", bucket_key, {}, {}, {}));
    if (!IsSuccess(response.status)) return ExplainFailedHead(bucket_key, response);
    uint64_t size = 0;
    if (!ParseUnsigned(response.Header("content-length"), &size)) {
      return IoError("the S3 server sent no valid Content-Length");
    }
    return size;
  }

  Headers PutHeaders(const PutOptions& put_options) const {
    Headers headers;
    if (put_options.if_absent) headers.emplace_back("if-none-match", "*");
    const std::string& storage_class =
        put_options.storage_class.empty() ? options.storage_class : put_options.storage_class;
    if (!storage_class.empty()) headers.emplace_back("x-amz-storage-class", storage_class);
    return headers;
  }

  Status PutSingle(const std::string& bucket_key, ByteView data, const PutOptions& put_options) {
    LIFEBOAT_ASSIGN_OR_RETURN(s3::HttpResponse response,
                              Send("PUT", bucket_key, {}, PutHeaders(put_options), data));
    if (!IsSuccess(response.status)) return ResponseError(response);
    return Status::Ok();
  }

  Status PutMultipart(const std::string& bucket_key, ByteView data, const PutOptions& put_options) {
    if (put_options.if_absent) {
      Result<uint64_t> existing = StatSize(bucket_key);
      if (existing.ok()) return AlreadyExistsError("object already exists");
      if (existing.status().code() != StatusCode::kNotFound) return existing.status();
    }
    Headers initiate_headers = PutHeaders(PutOptions{.storage_class = put_options.storage_class});
    LIFEBOAT_ASSIGN_OR_RETURN(
        s3::HttpResponse initiated,
        Send("POST", bucket_key, {{"uploads", ""}}, std::move(initiate_headers), {}));
    if (!IsSuccess(initiated.status)) {
      return ResponseError(initiated).WithContext("starting a multipart upload");
    }
    const std::optional<std::string> upload_id = s3::XmlText(AsString(initiated.body), "UploadId");
    if (!upload_id || upload_id->empty()) {
      return IoError("the S3 server started a multipart upload without an UploadId");
    }
    Status status = UploadParts(bucket_key, *upload_id, data, put_options);
    if (!status.ok()) {
      // Parts of an unfinished upload are invisible but billed; best effort, the error that
      // matters is the upload's.
      Send("DELETE", bucket_key, {{"uploadId", *upload_id}}, {}, {}).status().IgnoreError();
    }
    return status;
  }

  Status UploadParts(const std::string& bucket_key, const std::string& upload_id, ByteView data,
                     const PutOptions& put_options) {
    // S3 allows at most 10,000 parts: a huge object gets bigger parts rather than failing.
    const uint64_t part_size =
        std::max<uint64_t>(options.part_size, (data.size() + kMaxParts - 1) / kMaxParts);
    std::string complete = "<CompleteMultipartUpload>";
    int part_number = 0;
    for (uint64_t offset = 0; offset < data.size(); offset += part_size) {
      ++part_number;
      const ByteView part =
          data.subspan(offset, std::min<uint64_t>(part_size, data.size() - offset));
      LIFEBOAT_ASSIGN_OR_RETURN(
          s3::HttpResponse response,
          Send("PUT", bucket_key,
               {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}}, {}, part));
      if (!IsSuccess(response.status)) {
        return ResponseError(response).WithContext("uploading part " + std::to_string(part_number));
      }
      const std::string etag = response.Header("etag");
      if (etag.empty()) return IoError("the S3 server sent no ETag for an uploaded part");
      complete += "<Part><PartNumber>" + std::to_string(part_number) + "</PartNumber><ETag>" +
                  s3::XmlEscape(etag) + "</ETag></Part>";
    }
    complete += "</CompleteMultipartUpload>";
    Headers headers;
    if (put_options.if_absent) headers.emplace_back("if-none-match", "*");
    LIFEBOAT_ASSIGN_OR_RETURN(
        s3::HttpResponse response,
        Send("POST", bucket_key, {{"uploadId", upload_id}}, std::move(headers), AsBytes(complete)));
    // CompleteMultipartUpload may fail after "200 OK", with an <Error> in the body.
    if (!IsSuccess(response.status) || s3::XmlText(AsString(response.body), "Code")) {
      if (IsSuccess(response.status)) response.status = 500;
      return ResponseError(response).WithContext("completing a multipart upload");
    }
    return Status::Ok();
  }

  // One ListObjectsV2 page: the objects on it and the token for the next (empty when last).
  Status ListPage(const std::string& list_prefix, const std::string& token,
                  std::vector<std::pair<std::string, uint64_t>>* objects, std::string* next) {
    Query query = {{"list-type", "2"},
                   {"prefix", list_prefix},
                   {"max-keys", std::to_string(options.list_page_size)}};
    if (!token.empty()) query.emplace_back("continuation-token", token);
    LIFEBOAT_ASSIGN_OR_RETURN(s3::HttpResponse response, Send("GET", "", query, {}, {}));
    if (!IsSuccess(response.status)) return ResponseError(response);
    const std::string_view xml = AsString(response.body);
    for (std::string_view contents : s3::XmlElements(xml, "Contents")) {
      const std::optional<std::string> key = s3::XmlText(contents, "Key");
      const std::optional<std::string> size_text = s3::XmlText(contents, "Size");
      uint64_t size = 0;
      if (!key || !size_text || !ParseUnsigned(*size_text, &size)) {
        return IoError("the S3 server sent a listing entry without a key or size");
      }
      objects->emplace_back(*key, size);
    }
    next->clear();
    if (s3::XmlText(xml, "IsTruncated").value_or("false") == "true") {
      *next = s3::XmlText(xml, "NextContinuationToken").value_or("");
      if (next->empty()) {
        return IoError("the S3 server sent a truncated listing without a continuation token");
      }
    }
    return Status::Ok();
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
  if (options.part_size == 0 || options.multipart_threshold == 0 || options.list_page_size <= 0 ||
      options.max_connections <= 0) {
    return InvalidArgumentError(
        "S3 part size, multipart threshold, page size and connection "
        "count must be positive");
  }
  if (options.region.empty()) options.region = "us-east-1";
  return std::unique_ptr<S3Backend>(
      new S3Backend(std::make_unique<State>(std::move(parsed), std::move(options))));
}

BackendProperties S3Backend::Properties() const {
  std::string location =
      std::string(kScheme) + state_->location.endpoint + "/" + state_->location.bucket;
  if (!state_->location.prefix.empty()) location += "/" + state_->location.prefix;
  return BackendProperties{.location = location,
                           .max_connections = state_->options.max_connections};
}

Status S3Backend::Put(const ObjectKey& key, ByteView data, const PutOptions& options) {
  const std::string bucket_key = state_->BucketKey(key);
  const std::string context = "writing " + ObjectPath(key);
  Status status;
  if (data.size() > state_->options.multipart_threshold) {
    status = state_->PutMultipart(bucket_key, data, options);
  } else {
    status = state_->PutSingle(bucket_key, data, options);
  }
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
      state_->Send("GET", bucket_key, {}, std::move(headers), {}, expected);
  if (!sent.ok()) return sent.status().WithContext(context);
  s3::HttpResponse& response = *sent;
  if (response.status == 416) return settle_with_size();
  if (!IsSuccess(response.status)) return state_->ResponseError(response).WithContext(context);

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
  std::string token;
  do {
    std::vector<std::pair<std::string, uint64_t>> objects;
    std::string next;
    Status page = state_->ListPage(list_prefix, token, &objects, &next);
    if (!page.ok()) return page.WithContext(context);
    // The page is complete and its connection back in the pool before the visitor runs, so a
    // visitor may call into this backend.
    for (const auto& [bucket_key, size] : objects) {
      if (!bucket_key.starts_with(root)) continue;
      std::optional<ObjectKey> key =
          ParseObjectPath(std::string_view(bucket_key).substr(root.size()));
      if (!key || key->kind != kind || !key->name.starts_with(prefix)) continue;
      LIFEBOAT_RETURN_IF_ERROR(visit(ObjectInfo{std::move(*key), size}));
    }
    token = std::move(next);
  } while (!token.empty());
  return Status::Ok();
}

Status S3Backend::Remove(const ObjectKey& key) {
  const std::string bucket_key = state_->BucketKey(key);
  const std::string context = "removing " + ObjectPath(key);
  // S3 answers 204 whether or not the object existed; the contract wants kNotFound.
  Result<uint64_t> size = state_->StatSize(bucket_key);
  if (!size.ok()) return size.status().WithContext(context);
  Result<s3::HttpResponse> response = state_->Send("DELETE", bucket_key, {}, {}, {});
  if (!response.ok()) return response.status().WithContext(context);
  if (!IsSuccess(response->status)) return state_->ResponseError(*response).WithContext(context);
  return Status::Ok();
}

}  // namespace lifeboat::storage
