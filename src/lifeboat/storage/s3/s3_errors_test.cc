#include "lifeboat/storage/s3/s3_errors.h"

#include <gtest/gtest.h>

#include <string>

namespace lifeboat::storage::s3 {
namespace {

const S3ErrorContext kContext{"http://127.0.0.1:7480", "backups"};

std::string ErrorBody(std::string_view code, std::string_view message = "") {
  return "<?xml version=\"1.0\"?><Error><Code>" + std::string(code) + "</Code><Message>" +
         std::string(message) + "</Message><RequestId>tx1</RequestId></Error>";
}

TEST(S3Errors, WrongCredentialsArePermissionDeniedWithAHint) {
  for (std::string_view code : {"InvalidAccessKeyId", "SignatureDoesNotMatch"}) {
    const Status status = S3ResponseError(403, ErrorBody(code), kContext);
    EXPECT_EQ(status.code(), StatusCode::kPermissionDenied);
    EXPECT_EQ(status.message(),
              "the S3 server at http://127.0.0.1:7480 rejected the "
              "credentials: " +
                  std::string(code) + " (HTTP 403)");
    EXPECT_EQ(status.hint(), "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    EXPECT_FALSE(status.retryable());
  }
}

TEST(S3Errors, MissingBucketIsNamed) {
  const Status status = S3ResponseError(404, ErrorBody("NoSuchBucket"), kContext);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "bucket \"backups\" does not exist at http://127.0.0.1:7480");
  EXPECT_FALSE(status.retryable());
}

TEST(S3Errors, MissingObjectAndFailedPrecondition) {
  EXPECT_EQ(S3ResponseError(404, ErrorBody("NoSuchKey"), kContext).message(), "no such object");
  EXPECT_EQ(S3ResponseError(404, "", kContext).code(), StatusCode::kNotFound);
  const Status exists = S3ResponseError(412, ErrorBody("PreconditionFailed"), kContext);
  EXPECT_EQ(exists.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(exists.message(), "object already exists");
}

TEST(S3Errors, ClockSkewIsNamedAndNotRetried) {
  const Status status = S3ResponseError(403, ErrorBody("RequestTimeTooSkewed"), kContext);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_FALSE(status.retryable());
  EXPECT_EQ(status.message(),
            "this machine's clock differs too much from the S3 server's at "
            "http://127.0.0.1:7480: RequestTimeTooSkewed (HTTP 403)");
  EXPECT_EQ(status.hint(), "set the clock right (for example with NTP)");
}

TEST(S3Errors, ServerTroubleIsRetryable) {
  struct Case {
    long http_status;
    std::string body;
    std::string detail;
  };
  const Case cases[] = {
      {500, ErrorBody("InternalError", "We encountered an internal error."),
       "InternalError (HTTP 500): We encountered an internal error."},
      {503, ErrorBody("SlowDown"), "SlowDown (HTTP 503)"},
      {502, "<html>bad gateway</html>", "HTTP 502"},
      {400, ErrorBody("RequestTimeout"), "RequestTimeout (HTTP 400)"},
      {429, "", "HTTP 429"},
  };
  for (const Case& test : cases) {
    const Status status = S3ResponseError(test.http_status, test.body, kContext);
    EXPECT_EQ(status.code(), StatusCode::kUnavailable) << test.detail;
    EXPECT_TRUE(status.retryable()) << test.detail;
    EXPECT_EQ(status.message(), "the S3 server at http://127.0.0.1:7480 failed: " + test.detail);
  }
}

TEST(S3Errors, OtherRefusalsAreNotRetried) {
  const Status denied = S3ResponseError(403, ErrorBody("AccessDenied"), kContext);
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(),
            "the S3 server at http://127.0.0.1:7480 denied access: AccessDenied (HTTP 403)");
  EXPECT_EQ(denied.hint(), "check that the credentials may read and write bucket \"backups\"");
  const Status bad = S3ResponseError(400, ErrorBody("InvalidArgument", "bad part"), kContext);
  EXPECT_EQ(bad.code(), StatusCode::kIoError);
  EXPECT_FALSE(bad.retryable());
  EXPECT_EQ(bad.message(),
            "the S3 server at http://127.0.0.1:7480 refused the request: "
            "InvalidArgument (HTTP 400): bad part");
}

}  // namespace
}  // namespace lifeboat::storage::s3
