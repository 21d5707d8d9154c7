// HttpClient: blocking HTTP requests over libcurl for the S3 backend, with a pool of reusable
// curl handles so that requests reuse open connections (and TLS sessions) instead of connecting
// anew each time. libcurl stays inside http_client.cc; callers see plain structs.
//
// Perform() fails only when no HTTP response arrived (cannot connect, TLS, timeout, reset); a
// 4xx or 5xx reply is a response for the caller to interpret. Thread-safe: any number of threads
// may call Perform() at once, each on its own handle.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lifeboat/util/bytes.h"
#include "lifeboat/util/result.h"

namespace lifeboat::storage::s3 {

struct HttpClientOptions {
  std::string ca_file = {};  // empty: the system's CA store
  int max_idle_handles = 8;  // handles (and their connections) kept between requests
  int64_t connect_timeout_ms = 10'000;
  // A transfer slower than 1 byte/s for this long is abandoned (a retryable timeout). There is
  // no overall timeout: a large object on a slow link may rightly take long.
  int64_t stall_timeout_s = 60;
};

struct HttpRequest {
  std::string method;  // GET, HEAD, PUT, POST, DELETE
  std::string url;     // scheme://host[:port]/path?query, already encoded
  std::vector<std::pair<std::string, std::string>> headers;
  ByteView body = {};             // sent with PUT and POST
  size_t expected_body_size = 0;  // a hint to size the response buffer once
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lowercased; the last value wins
  Bytes body;

  std::string Header(const std::string& name) const {
    auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
  }
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `endpoint` names the server in error messages ("cannot reach endpoint http://...").
  Result<HttpResponse> Perform(const HttpRequest& request, const std::string& endpoint);

 private:
  struct Pool;
  HttpClientOptions options_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace lifeboat::storage::s3
