#include "lifeboat/storage/s3/s3_client.h"

#include <algorithm>
#include <cstring>

#include "lifeboat/storage/s3/xml.h"
#include "lifeboat/util/log.h"

namespace lifeboat::storage {

namespace s3 {

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

}  // namespace s3

namespace {

using Query = std::vector<std::pair<std::string, std::string>>;
using Headers = std::vector<std::pair<std::string, std::string>>;
using s3::IsSuccess;

constexpr int kMaxParts = 10'000;
constexpr std::string_view kMetaPrefix = "x-amz-meta-";

bool EndsWithAmazonAws(std::string_view host) {
  const size_t colon = host.rfind(':');
  if (colon != std::string_view::npos) host = host.substr(0, colon);
  return host == "amazonaws.com" || host.ends_with(".amazonaws.com");
}

S3ObjectHead HeadFrom(const s3::HttpResponse& response) {
  S3ObjectHead head;
  head.etag = response.Header("etag");
  head.last_modified = response.Header("last-modified");
  head.content_type = response.Header("content-type");
  for (const auto& [name, value] : response.headers) {
    if (name.starts_with(kMetaPrefix) && name.size() > kMetaPrefix.size()) {
      head.metadata[name.substr(kMetaPrefix.size())] = value;
    }
  }
  return head;
}

}  // namespace

struct S3Client::State {
  S3Location location;
  S3Options options;
  bool virtual_hosted = false;
  s3::S3ErrorContext error_context;
  std::string missing_bucket_hint;
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

  std::string Host() const {
    return virtual_hosted ? location.bucket + "." + location.host : location.host;
  }

  Headers PutHeaders(const S3PutObjectOptions& put) const {
    Headers headers;
    if (put.if_absent) headers.emplace_back("if-none-match", "*");
    const std::string& storage_class =
        put.storage_class.empty() ? options.storage_class : put.storage_class;
    if (!storage_class.empty()) headers.emplace_back("x-amz-storage-class", storage_class);
    if (!put.content_type.empty()) headers.emplace_back("content-type", put.content_type);
    for (const auto& [name, value] : put.metadata) {
      headers.emplace_back(std::string(kMetaPrefix) + name, value);
    }
    return headers;
  }
};

S3Client::S3Client(std::unique_ptr<State> state) : state_(std::move(state)) {}
S3Client::~S3Client() = default;

Result<std::unique_ptr<S3Client>> S3Client::Open(S3Location location, S3Options options) {
  if (options.credentials.access_key_id.empty() || options.credentials.secret_access_key.empty()) {
    return InvalidArgumentError("no S3 credentials for s3:" + location.endpoint + "/" +
                                location.bucket)
        .WithHint("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  if (options.part_size == 0 || options.multipart_threshold == 0 || options.list_page_size <= 0 ||
      options.max_connections <= 0) {
    return InvalidArgumentError(
        "S3 part size, multipart threshold, page size and connection "
        "count must be positive");
  }
  if (options.region.empty()) options.region = "us-east-1";
  return std::unique_ptr<S3Client>(
      new S3Client(std::make_unique<State>(std::move(location), std::move(options))));
}

const S3Location& S3Client::location() const { return state_->location; }
const S3Options& S3Client::options() const { return state_->options; }
void S3Client::SetMissingBucketHint(std::string hint) {
  state_->missing_bucket_hint = std::move(hint);
}

Result<s3::HttpResponse> S3Client::Send(std::string method, const std::string& key,
                                        const Query& query, Headers headers, ByteView body,
                                        size_t expected_body_size) {
  State& s = *state_;
  const Clock& clock = s.options.clock != nullptr ? *s.options.clock : SystemClock::Get();
  s3::SigningRequest signing;
  signing.method = std::move(method);
  std::string path = s.virtual_hosted ? "" : "/" + s3::UriEncode(s.location.bucket, false);
  // The bucket itself is "/bucket" path style, but "/" virtual-hosted.
  if (!key.empty() || s.virtual_hosted) path += "/" + s3::UriEncode(key, /*keep_slash=*/true);
  signing.encoded_path = std::move(path);
  signing.query = query;
  signing.payload_hash = s3::Sha256Hex(body);
  const s3::SigningScope scope{s3::AmzDate(clock.NowSeconds()), s.options.region, "s3"};
  headers.emplace_back("host", s.Host());
  headers.emplace_back("x-amz-date", scope.amz_date);
  // Also makes the server check the body against its hash: end-to-end integrity over http.
  headers.emplace_back("x-amz-content-sha256", signing.payload_hash);
  if (!s.options.credentials.session_token.empty()) {
    headers.emplace_back("x-amz-security-token", s.options.credentials.session_token);
  }
  signing.headers = headers;

  s3::HttpRequest request;
  request.method = signing.method;
  request.url = s.location.scheme + "://" + s.Host() + signing.encoded_path;
  const std::string query_string = s3::CanonicalQueryString(query);
  if (!query_string.empty()) request.url += "?" + query_string;
  request.headers = std::move(headers);
  request.headers.emplace_back("Authorization",
                               s3::Authorization(s.options.credentials, scope, signing));
  request.body = body;
  request.expected_body_size = expected_body_size;
  return s.http.Perform(request, s.location.endpoint);
}

Result<s3::HttpResponse> S3Client::Exchange(const std::string& method, const std::string& key,
                                            const Query& query, const Headers& headers,
                                            ByteView body, size_t expected_body_size,
                                            int* attempts) {
  const RetryPolicy& policy = state_->options.request_retries;
  Clock& clock = state_->options.clock != nullptr ? *state_->options.clock : SystemClock::Get();
  for (int attempt = 1;; ++attempt) {
    if (attempts != nullptr) *attempts = attempt;
    Result<s3::HttpResponse> response = Send(method, key, query, headers, body, expected_body_size);
    const Status status = !response.ok()                ? response.status()
                          : IsSuccess(response->status) ? Status::Ok()
                                                        : ResponseError(*response);
    if (status.ok() || !status.retryable() || attempt >= std::max(policy.max_attempts, 1)) {
      return response;
    }
    LogVerbose("retrying " + method + " " + key + " after: " + status.message());
    SleepBeforeRetry(policy, attempt, clock, state_->options.retry_random);
  }
}

Status S3Client::ResponseError(const s3::HttpResponse& response) const {
  Status status =
      s3::S3ResponseError(response.status, AsString(response.body), state_->error_context);
  if (!state_->missing_bucket_hint.empty() && status.code() == StatusCode::kNotFound &&
      status.message().starts_with("bucket \"")) {
    return Status(status.code(), status.message(), state_->missing_bucket_hint);
  }
  return status;
}

Status S3Client::ExplainFailedHead(const std::string& key, const s3::HttpResponse& head) {
  Result<s3::HttpResponse> get = Exchange("GET", key, {}, {{"range", "bytes=0-0"}}, {});
  if (get.ok() && !IsSuccess(get->status) && get->status != 416 &&
      s3::XmlText(AsString(get->body), "Code")) {
    return ResponseError(*get);
  }
  return ResponseError(head);
}

Result<S3ObjectHead> S3Client::Head(const std::string& key) {
  LIFEBOAT_ASSIGN_OR_RETURN(s3::HttpResponse response, Exchange("HEAD", key, {}, {}, {}));
  if (!IsSuccess(response.status)) return ExplainFailedHead(key, response);
  S3ObjectHead head = HeadFrom(response);
  if (!s3::ParseUnsigned(response.Header("content-length"), &head.size)) {
    return IoError("the S3 server sent no valid Content-Length");
  }
  return head;
}

Status S3Client::List(std::string_view prefix,
                      const std::function<Status(S3ObjectListing)>& visit) {
  std::string token;
  do {
    Query query = {{"list-type", "2"},
                   {"prefix", std::string(prefix)},
                   {"max-keys", std::to_string(state_->options.list_page_size)}};
    if (!token.empty()) query.emplace_back("continuation-token", token);
    LIFEBOAT_ASSIGN_OR_RETURN(s3::HttpResponse response, Exchange("GET", "", query, {}, {}));
    if (!IsSuccess(response.status)) return ResponseError(response);
    const std::string_view xml = AsString(response.body);
    std::vector<S3ObjectListing> page;
    for (std::string_view contents : s3::XmlElements(xml, "Contents")) {
      S3ObjectListing entry;
      const std::optional<std::string> key = s3::XmlText(contents, "Key");
      const std::optional<std::string> size_text = s3::XmlText(contents, "Size");
      if (!key || !size_text || !s3::ParseUnsigned(*size_text, &entry.size)) {
        return IoError("the S3 server sent a listing entry without a key or size");
      }
      entry.key = *key;
      entry.etag = s3::XmlText(contents, "ETag").value_or("");
      entry.last_modified = s3::XmlText(contents, "LastModified").value_or("");
      page.push_back(std::move(entry));
    }
    token.clear();
    if (s3::XmlText(xml, "IsTruncated").value_or("false") == "true") {
      token = s3::XmlText(xml, "NextContinuationToken").value_or("");
      if (token.empty()) {
        return IoError("the S3 server sent a truncated listing without a continuation token");
      }
    }
    // The reply (and its connection) is released before the visitor runs.
    response = {};
    for (S3ObjectListing& entry : page) LIFEBOAT_RETURN_IF_ERROR(visit(std::move(entry)));
  } while (!token.empty());
  return Status::Ok();
}

Status S3Client::GetStreaming(const std::string& key, uint64_t piece_size, S3ObjectHead* head,
                              const std::function<Status(ByteView)>& sink) {
  if (piece_size == 0) return InvalidArgumentError("the piece size must be positive");
  uint64_t offset = 0;
  uint64_t total = 0;
  std::string etag;
  do {
    Headers headers = {{"range", "bytes=" + std::to_string(offset) + "-" +
                                     std::to_string(offset + piece_size - 1)}};
    if (offset > 0) headers.emplace_back("if-match", etag);
    LIFEBOAT_ASSIGN_OR_RETURN(s3::HttpResponse response, Exchange("GET", key, {}, headers, {},
                                                                  static_cast<size_t>(piece_size)));
    if (offset == 0 && response.status == 416) {
      // A range of an empty object cannot be satisfied; its HEAD tells the rest.
      LIFEBOAT_ASSIGN_OR_RETURN(*head, Head(key));
      if (head->size != 0) return UnavailableError("the object changed while being read");
      return Status::Ok();
    }
    if (offset > 0 && response.status == 412) {
      return UnavailableError("the object changed while being read");
    }
    if (!IsSuccess(response.status)) return ResponseError(response);
    if (offset == 0) {
      *head = HeadFrom(response);
      etag = head->etag;
    }
    uint64_t first = 0;
    uint64_t last = 0;
    if (response.status == 206) {
      if (!s3::ParseContentRange(response.Header("content-range"), &first, &last, &total) ||
          first != offset || response.body.size() != last - first + 1) {
        return UnavailableError("the S3 server sent a partial reply that does not match its range");
      }
    } else {
      // The whole object: the server ignored the range (or the object is empty).
      if (offset != 0) return IoError("the S3 server ignored a range request");
      total = response.body.size();
    }
    if (offset == 0) head->size = total;
    if (!response.body.empty()) LIFEBOAT_RETURN_IF_ERROR(sink(response.body));
    offset += response.body.size();
  } while (offset < total);
  return Status::Ok();
}

Status S3Client::Put(const std::string& key, ByteView data, const S3PutObjectOptions& options) {
  size_t offset = 0;
  return PutStreaming(
      key, data.size(),
      [&](size_t max) -> Result<ByteView> {
        const ByteView piece = data.subspan(offset, std::min(max, data.size() - offset));
        offset += piece.size();
        return piece;
      },
      options);
}

namespace {

// Reads exactly `size` bytes from `source` into `buffer` unless they already lie contiguously
// in one view (the common case for a whole buffer in memory), which is then returned uncopied.
Result<ByteView> ReadExactly(const BodySource& source, uint64_t size, Bytes* buffer) {
  buffer->clear();
  while (buffer->size() < size) {
    LIFEBOAT_ASSIGN_OR_RETURN(ByteView piece, source(static_cast<size_t>(size - buffer->size())));
    if (piece.empty()) return InvalidArgumentError("the body ended before its announced size");
    if (piece.size() == size) return piece;
    buffer->insert(buffer->end(), piece.begin(), piece.end());
  }
  return ByteView(*buffer);
}

}  // namespace

Status S3Client::PutStreaming(const std::string& key, uint64_t size, const BodySource& source,
                              const S3PutObjectOptions& options) {
  State& s = *state_;
  Bytes buffer;
  auto check_end = [&]() -> Status {
    LIFEBOAT_ASSIGN_OR_RETURN(ByteView rest, source(1));
    if (!rest.empty()) return InvalidArgumentError("the body is longer than its announced size");
    return Status::Ok();
  };
  if (size <= s.options.multipart_threshold) {
    LIFEBOAT_ASSIGN_OR_RETURN(ByteView data, ReadExactly(source, size, &buffer));
    LIFEBOAT_RETURN_IF_ERROR(check_end());
    LIFEBOAT_ASSIGN_OR_RETURN(s3::HttpResponse response,
                              Exchange("PUT", key, {}, s.PutHeaders(options), data));
    if (!IsSuccess(response.status)) return ResponseError(response);
    return Status::Ok();
  }

  if (options.if_absent) {
    Result<S3ObjectHead> existing = Head(key);
    if (existing.ok()) return AlreadyExistsError("object already exists");
    if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  }
  S3PutObjectOptions initiate_options = options;
  initiate_options.if_absent = false;
  LIFEBOAT_ASSIGN_OR_RETURN(
      s3::HttpResponse initiated,
      Exchange("POST", key, {{"uploads", ""}}, s.PutHeaders(initiate_options), {}));
  if (!IsSuccess(initiated.status)) {
    return ResponseError(initiated).WithContext("starting a multipart upload");
  }
  const std::optional<std::string> upload_id = s3::XmlText(AsString(initiated.body), "UploadId");
  if (!upload_id || upload_id->empty()) {
    return IoError("the S3 server started a multipart upload without an UploadId");
  }
  auto upload_parts = [&]() -> Status {
    // S3 allows at most 10,000 parts: a huge object gets bigger parts rather than failing.
    const uint64_t part_size =
        std::max<uint64_t>(s.options.part_size, (size + kMaxParts - 1) / kMaxParts);
    std::string complete = "<CompleteMultipartUpload>";
    int part_number = 0;
    for (uint64_t offset = 0; offset < size; offset += part_size) {
      ++part_number;
      LIFEBOAT_ASSIGN_OR_RETURN(
          ByteView part,
          ReadExactly(source, std::min<uint64_t>(part_size, size - offset), &buffer));
      LIFEBOAT_ASSIGN_OR_RETURN(
          s3::HttpResponse response,
          Exchange("PUT", key,
                   {{"partNumber", std::to_string(part_number)}, {"uploadId", *upload_id}}, {},
                   part));
      if (!IsSuccess(response.status)) {
        return ResponseError(response).WithContext("uploading part " + std::to_string(part_number));
      }
      const std::string etag = response.Header("etag");
      if (etag.empty()) return IoError("the S3 server sent no ETag for an uploaded part");
      complete += "<Part><PartNumber>" + std::to_string(part_number) + "</PartNumber><ETag>" +
                  s3::XmlEscape(etag) + "</ETag></Part>";
    }
    LIFEBOAT_RETURN_IF_ERROR(check_end());
    complete += "</CompleteMultipartUpload>";
    Headers headers;
    if (options.if_absent) headers.emplace_back("if-none-match", "*");
    int attempts = 0;
    LIFEBOAT_ASSIGN_OR_RETURN(s3::HttpResponse response,
                              Exchange("POST", key, {{"uploadId", *upload_id}}, headers,
                                       AsBytes(complete), 0, &attempts));
    // A resent completion whose first attempt succeeded (its reply lost) finds the upload gone:
    // the object is there if it has the size we uploaded.
    if (attempts > 1 && response.status == 404 &&
        s3::XmlText(AsString(response.body), "Code").value_or("") == "NoSuchUpload") {
      Result<S3ObjectHead> stored = Head(key);
      if (stored.ok() && stored->size == size) return Status::Ok();
    }
    // CompleteMultipartUpload may fail after "200 OK", with an <Error> in the body.
    if (!IsSuccess(response.status) || s3::XmlText(AsString(response.body), "Code")) {
      if (IsSuccess(response.status)) response.status = 500;
      return ResponseError(response).WithContext("completing a multipart upload");
    }
    return Status::Ok();
  };
  Status status = upload_parts();
  if (!status.ok()) {
    // Parts of an unfinished upload are invisible but billed; best effort, the error that
    // matters is the upload's.
    Exchange("DELETE", key, {{"uploadId", *upload_id}}, {}, {}).status().IgnoreError();
  }
  return status;
}

Status S3Client::CheckBucket() {
  LIFEBOAT_ASSIGN_OR_RETURN(s3::HttpResponse response, Exchange("HEAD", "", {}, {}, {}));
  if (IsSuccess(response.status)) return Status::Ok();
  // The bucket's own HEAD has no body either; a one-key listing explains the failure.
  LIFEBOAT_ASSIGN_OR_RETURN(s3::HttpResponse listed,
                            Exchange("GET", "", {{"list-type", "2"}, {"max-keys", "1"}}, {}, {}));
  return ResponseError(IsSuccess(listed.status) ? response : listed);
}

Status S3Client::CreateBucket() {
  std::string body;
  // Outside us-east-1, AWS wants the region named; other servers accept it too.
  if (state_->options.region != "us-east-1") {
    body = "<CreateBucketConfiguration><LocationConstraint>" +
           s3::XmlEscape(state_->options.region) +
           "</LocationConstraint></CreateBucketConfiguration>";
  }
  LIFEBOAT_ASSIGN_OR_RETURN(s3::HttpResponse response, Exchange("PUT", "", {}, {}, AsBytes(body)));
  if (IsSuccess(response.status)) return Status::Ok();
  if (s3::XmlText(AsString(response.body), "Code").value_or("") == "BucketAlreadyOwnedByYou") {
    return Status::Ok();
  }
  return ResponseError(response).WithContext("creating bucket \"" + state_->location.bucket + "\"");
}

}  // namespace lifeboat::storage
