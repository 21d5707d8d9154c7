#include "lifeboat/storage/s3/s3_errors.h"

#include "lifeboat/storage/s3/xml.h"

namespace lifeboat::storage::s3 {

Status S3ResponseError(long http_status, std::string_view body, const S3ErrorContext& context) {
  const std::string code = XmlText(body, "Code").value_or("");
  const std::string message = XmlText(body, "Message").value_or("");
  std::string detail = code.empty() ? "HTTP " + std::to_string(http_status)
                                    : code + " (HTTP " + std::to_string(http_status) + ")";
  if (!message.empty()) detail += ": " + message;

  if (code == "NoSuchBucket") {
    return NotFoundError("bucket \"" + context.bucket + "\" does not exist at " + context.endpoint)
        .WithHint(
            "create the bucket first (lifeboat does not create buckets), or check the "
            "repository location");
  }
  if (http_status == 404) return NotFoundError("no such object");
  if (http_status == 412) return AlreadyExistsError("object already exists");
  if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch") {
    return PermissionDeniedError("the S3 server at " + context.endpoint +
                                 " rejected the credentials: " + detail)
        .WithHint("check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  if (code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired") {
    return PermissionDeniedError("the S3 server at " + context.endpoint +
                                 " rejected the session token: " + detail)
        .WithHint("renew the temporary credentials (AWS_SESSION_TOKEN)");
  }
  if (code == "RequestTimeTooSkewed") {
    // Not retryable: the clock will not fix itself between attempts.
    return Status(StatusCode::kUnavailable,
                  "this machine's clock differs too much from the S3 server's at " +
                      context.endpoint + ": " + detail,
                  "set the clock right (for example with NTP)");
  }
  if (http_status == 403) {
    return PermissionDeniedError("the S3 server at " + context.endpoint +
                                 " denied access: " + detail)
        .WithHint("check that the credentials may read and write bucket \"" + context.bucket +
                  "\"");
  }
  if (http_status >= 500 || http_status == 429 || code == "SlowDown" || code == "RequestTimeout" ||
      code == "ConditionalRequestConflict") {
    return UnavailableError("the S3 server at " + context.endpoint + " failed: " + detail);
  }
  return IoError("the S3 server at " + context.endpoint + " refused the request: " + detail);
}

}  // namespace lifeboat::storage::s3
