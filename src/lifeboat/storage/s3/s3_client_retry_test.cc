// S3Client's request retries against a scripted HTTP server on loopback: it answers each
// request with the next reply of its script (a status and body, or a dropped connection), so
// the retry policy is checked request by request without a real S3 server.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lifeboat/storage/s3/s3_client.h"

namespace lifeboat::storage {
namespace {

struct Reply {
  int status = 200;  // 0: close the connection without answering
  std::string body = {};
  std::vector<std::string> headers = {};
};

Reply S3Error(int status, const std::string& code) {
  return Reply{status,
               "<Error><Code>" + code + "</Code><Message></Message></Error>",
               {"Content-Type: application/xml"}};
}

class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<Reply> script) : script_(std::move(script)) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), length), 0);
    EXPECT_EQ(listen(listener_, 16), 0);
    EXPECT_EQ(getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    thread_.join();
  }
  std::string Location() const { return "s3:http://127.0.0.1:" + std::to_string(port_) + "/b"; }
  int requests() const { return requests_.load(); }

 private:
  void Serve() {
    while (!stop_) {
      const int connection = accept(listener_, nullptr, nullptr);
      if (connection < 0) return;
      // One request per connection: read up to the end of the headers (requests here carry no
      // body), answer, close.
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = read(connection, buffer, sizeof(buffer));
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
      }
      const int index = requests_++;
      const Reply reply = index < static_cast<int>(script_.size()) ? script_[index] : Reply{};
      if (reply.status != 0) {
        std::string response = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\n";
        for (const std::string& header : reply.headers) response += header + "\r\n";
        response += "Content-Length: " + std::to_string(reply.body.size()) +
                    "\r\nConnection: close\r\n\r\n";
        if (request.rfind("HEAD ", 0) != 0) response += reply.body;
        EXPECT_EQ(write(connection, response.data(), response.size()),
                  static_cast<ssize_t>(response.size()));
      }
      close(connection);
    }
  }

  std::vector<Reply> script_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

class S3ClientRetryTest : public ::testing::Test {
 protected:
  std::unique_ptr<S3Client> Open(const ScriptedServer& server, int max_attempts = 8) {
    S3Options options;
    options.credentials = {"AKIDEXAMPLE", "secret", ""};
    options.clock = &clock_;
    options.request_retries.max_attempts = max_attempts;
    // Always the whole backoff bound, so the time slept is known: 100, 200, 400 ms, ...
    options.retry_random = [] { return 1.0; };
    Result<S3Location> location = ParseS3Location(server.Location());
    EXPECT_TRUE(location.ok());
    Result<std::unique_ptr<S3Client>> client = S3Client::Open(*location, options);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return std::move(client).value();
  }
  int64_t SleptMs() const { return (clock_.NowNanos() - kStart) / 1'000'000; }

  static constexpr int64_t kStart = int64_t{1'700'000'000} * 1'000'000'000;
  FakeClock clock_{kStart};
};

TEST_F(S3ClientRetryTest, SlowDownServerErrorsAndDroppedConnectionsAreRetriedWithBackoff) {
  ScriptedServer server({S3Error(503, "SlowDown"), S3Error(500, "InternalError"), Reply{0},
                         Reply{200, "abc", {"ETag: \"e\""}}});
  auto client = Open(server);
  S3ObjectHead head;
  std::string got;
  Status status = client->GetStreaming("k", 1 << 20, &head, [&](ByteView piece) {
    got += AsString(piece);
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(got, "abc");
  EXPECT_EQ(server.requests(), 4);
  EXPECT_EQ(SleptMs(), 100 + 200 + 400);
}

TEST_F(S3ClientRetryTest, GivesUpAfterTheLastAttemptWithTheLastError) {
  ScriptedServer server({S3Error(503, "SlowDown"), S3Error(503, "SlowDown"),
                         S3Error(503, "SlowDown"), Reply{200, "late"}});
  auto client = Open(server, /*max_attempts=*/3);
  S3ObjectHead head;
  Status status = client->GetStreaming("k", 1 << 20, &head, [](ByteView) { return Status::Ok(); });
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(status.retryable());
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(SleptMs(), 100 + 200);
}

TEST_F(S3ClientRetryTest, AccessDeniedIsNeverRetried) {
  ScriptedServer server({S3Error(403, "AccessDenied"), Reply{200, "x"}});
  auto client = Open(server);
  Status listed = client->List("", [](S3ObjectListing) { return Status::Ok(); });
  EXPECT_EQ(listed.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(server.requests(), 1);
  EXPECT_EQ(SleptMs(), 0);
}

TEST_F(S3ClientRetryTest, MissingObjectIsNeverRetried) {
  ScriptedServer server({S3Error(404, "NoSuchKey"), Reply{200, "x"}});
  auto client = Open(server);
  S3ObjectHead head;
  Status status = client->GetStreaming("k", 1 << 20, &head, [](ByteView) { return Status::Ok(); });
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(S3ClientRetryTest, PutIsRetriedAfterAServerError) {
  ScriptedServer server({S3Error(500, "InternalError"), Reply{200, ""}});
  auto client = Open(server);
  Status put = client->Put("k", AsBytes(std::string_view("hello")), {});
  EXPECT_TRUE(put.ok()) << put.ToString();
  EXPECT_EQ(server.requests(), 2);
}

TEST_F(S3ClientRetryTest, S3BackendLeavesRetriesToTheRetryingBackend) {
  ScriptedServer server({S3Error(503, "SlowDown"), Reply{200, "x"}});
  S3Options options;
  options.credentials = {"AKIDEXAMPLE", "secret", ""};
  options.clock = &clock_;
  Result<std::unique_ptr<S3Backend>> backend = S3Backend::Open(server.Location(), options);
  ASSERT_TRUE(backend.ok());
  Result<Bytes> got = (*backend)->Get(ObjectKey{ObjectKind::kConfig, ""}, ByteRange{});
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(server.requests(), 1);
}

}  // namespace
}  // namespace lifeboat::storage
