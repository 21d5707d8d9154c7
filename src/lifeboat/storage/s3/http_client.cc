#include "lifeboat/storage/s3/http_client.h"

#include <curl/curl.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>

namespace lifeboat::storage::s3 {
namespace {

// Larger bodies grow as they arrive, so a wrong Content-Length cannot reserve gigabytes.
constexpr uint64_t kMaxPreallocatedBody = uint64_t{256} << 20;
// curl's receive buffer for large downloads: fewer, larger reads from the socket.
constexpr long kLargeReceiveBuffer = 512 * 1024;

void GlobalInit() {
  // curl_global_init is not thread-safe in every libcurl build; once per process is enough.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Upload {
  ByteView data;
  size_t offset = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->data.size() - upload->offset);
  std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

// Lets curl rewind the body when it must send it again (a redirect, or an auth retry).
int SeekBody(void* user, curl_off_t offset, int origin) {
  auto* upload = static_cast<Upload*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > upload->data.size()) {
    return CURL_SEEKFUNC_FAIL;
  }
  upload->offset = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<Bytes*>(user);
  body->insert(body->end(), data, data + size * count);
  return size * count;
}

size_t ReadHeader(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  const std::string_view line(data, size * count);
  // A new status line (after a 100 Continue or a redirect) starts a new set of headers.
  if (line.starts_with("HTTP/")) {
    response->headers.clear();
    return line.size();
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return line.size();
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  // The body goes into one buffer of the announced size (a ranged GET of a pack is megabytes):
  // growing it piece by piece would copy it again at every doubling.
  if (name == "content-length") {
    uint64_t length = 0;
    for (char c : value) {
      if (c < '0' || c > '9' || length > (uint64_t{1} << 40)) {
        length = 0;
        break;
      }
      length = length * 10 + static_cast<uint64_t>(c - '0');
    }
    if (length > response->body.capacity() && length <= kMaxPreallocatedBody) {
      response->body.reserve(static_cast<size_t>(length));
    }
  }
  response->headers[name] = std::string(value);
  return line.size();
}

struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() { curl_slist_free_all(list); }
  bool Append(const std::string& line) {
    curl_slist* appended = curl_slist_append(list, line.c_str());
    if (appended == nullptr) return false;
    list = appended;
    return true;
  }
};

Status TransportError(CURLcode code, const char* detail, const std::string& endpoint) {
  const std::string what = detail[0] != '\0' ? detail : curl_easy_strerror(code);
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      // A name that does not resolve rarely starts resolving within a retry's backoff.
      return Status(StatusCode::kUnavailable, "cannot reach endpoint " + endpoint + ": " + what,
                    "check the host name in the repository location");
    case CURLE_COULDNT_CONNECT:
      // Retryable: the server may be restarting; a wrong port fails the same way, after the
      // retries.
      return UnavailableError("cannot reach endpoint " + endpoint + ": " + what)
          .WithHint("check the host and port in the repository location and that the server runs");
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return UnavailableError("connection to " + endpoint + " failed: " + what);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
      return Status(StatusCode::kUnavailable,
                    "the TLS certificate of " + endpoint + " could not be verified: " + what,
                    "set LIFEBOAT_S3_CA_FILE to the CA certificate that signed the server's");
    default:
      return IoError("request to " + endpoint + " failed: " + what);
  }
}

}  // namespace

struct HttpClient::Pool {
  std::mutex mutex;
  std::vector<CURL*> idle;

  ~Pool() {
    for (CURL* handle : idle) curl_easy_cleanup(handle);
  }
  CURL* Acquire() {
    {
      std::lock_guard lock(mutex);
      if (!idle.empty()) {
        CURL* handle = idle.back();
        idle.pop_back();
        return handle;
      }
    }
    return curl_easy_init();
  }
  // A reset handle keeps its connection cache, which is the point of pooling it.
  void Release(CURL* handle, size_t max_idle) {
    curl_easy_reset(handle);
    std::lock_guard lock(mutex);
    if (idle.size() < max_idle) {
      idle.push_back(handle);
      return;
    }
    curl_easy_cleanup(handle);
  }
};

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), pool_(std::make_unique<Pool>()) {
  GlobalInit();
}

HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::Perform(const HttpRequest& request, const std::string& endpoint) {
  CURL* handle = pool_->Acquire();
  if (handle == nullptr) return InternalError("cannot create a curl handle (out of memory?)");
  struct Returner {
    Pool* pool;
    CURL* handle;
    size_t max_idle;
    ~Returner() { pool->Release(handle, max_idle); }
  } returner{pool_.get(), handle, static_cast<size_t>(std::max(options_.max_idle_handles, 1))};

  HeaderList headers;
  for (const auto& [name, value] : request.headers) {
    if (!headers.Append(name + ": " + value)) return InternalError("out of memory");
  }
  // Without these curl would add "Expect: 100-continue" to large bodies, costing a round trip
  // (or a one-second wait on servers that ignore it), and a Content-Type S3 would store.
  const bool has_content_type = std::any_of(
      request.headers.begin(), request.headers.end(),
      [](const auto& header) { return strcasecmp(header.first.c_str(), "content-type") == 0; });
  if (!headers.Append("Expect:") || (!has_content_type && !headers.Append("Content-Type:"))) {
    return InternalError("out of memory");
  }

  HttpResponse response;
  response.body.reserve(request.expected_body_size);
  Upload upload{request.body, 0};
  char error_buffer[CURL_ERROR_SIZE] = {};

  curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
  // S3 keys may hold "./", "../" and "//", which curl would otherwise squash (RFC 3986 dot
  // segments) into another key than the one signed.
  curl_easy_setopt(handle, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.stall_timeout_s));
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(handle, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, ReadHeader);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &response);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &response.body);
  if (request.expected_body_size >= static_cast<size_t>(kLargeReceiveBuffer)) {
    curl_easy_setopt(handle, CURLOPT_BUFFERSIZE, kLargeReceiveBuffer);
  }

  if (request.method == "GET") {
    curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(handle, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(handle, CURLOPT_READDATA, &upload);
    curl_easy_setopt(handle, CURLOPT_SEEKFUNCTION, SeekBody);
    curl_easy_setopt(handle, CURLOPT_SEEKDATA, &upload);
    curl_easy_setopt(handle, CURLOPT_INFILESIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "POST") {
    curl_easy_setopt(handle, CURLOPT_POST, 1L);
    // Never a null pointer: curl would then read the body from the read callback.
    static const char kEmpty[] = "";
    curl_easy_setopt(
        handle, CURLOPT_POSTFIELDS,
        request.body.empty() ? kEmpty : reinterpret_cast<const char*>(request.body.data()));
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  } else {
    curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  const CURLcode code = curl_easy_perform(handle);
  if (code != CURLE_OK) return TransportError(code, error_buffer, endpoint);
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace lifeboat::storage::s3
