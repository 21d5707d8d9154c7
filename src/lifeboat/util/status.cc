#include "lifeboat/util/status.h"

#include <cerrno>
#include <cstring>

namespace lifeboat {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kNotFound:
      return "not found";
    case StatusCode::kAlreadyExists:
      return "already exists";
    case StatusCode::kInvalidArgument:
      return "invalid argument";
    case StatusCode::kCorruption:
      return "corruption";
    case StatusCode::kPermissionDenied:
      return "permission denied";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kIoError:
      return "i/o error";
    case StatusCode::kWrongPassword:
      return "wrong password";
    case StatusCode::kLockHeld:
      return "lock held";
    case StatusCode::kCancelled:
      return "cancelled";
    case StatusCode::kUnsupported:
      return "unsupported";
    case StatusCode::kInternal:
      return "internal error";
  }
  return "unknown";
}

Status::Status(StatusCode code, std::string message, std::string hint)
    : code_(code), message_(std::move(message)), hint_(std::move(hint)) {}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  Status copy = *this;
  copy.message_ = std::string(context) + ": " + message_;
  return copy;
}

Status Status::WithHint(std::string hint) const {
  if (ok()) return *this;
  Status copy = *this;
  copy.hint_ = std::move(hint);
  return copy;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  if (hint_.empty()) return message_;
  return message_ + "\nhint: " + hint_;
}

Status NotFoundError(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
Status AlreadyExistsError(std::string m) {
  return Status(StatusCode::kAlreadyExists, std::move(m));
}
Status InvalidArgumentError(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
Status CorruptionError(std::string m) { return Status(StatusCode::kCorruption, std::move(m)); }
Status PermissionDeniedError(std::string m) {
  return Status(StatusCode::kPermissionDenied, std::move(m));
}
Status UnavailableError(std::string m) {
  return Status(StatusCode::kUnavailable, std::move(m)).SetRetryable();
}
Status IoError(std::string m) { return Status(StatusCode::kIoError, std::move(m)); }
Status WrongPasswordError(std::string m) {
  return Status(StatusCode::kWrongPassword, std::move(m));
}
Status LockHeldError(std::string m) { return Status(StatusCode::kLockHeld, std::move(m)); }
Status CancelledError(std::string m) { return Status(StatusCode::kCancelled, std::move(m)); }
Status UnsupportedError(std::string m) { return Status(StatusCode::kUnsupported, std::move(m)); }
Status InternalError(std::string m) { return Status(StatusCode::kInternal, std::move(m)); }

Status ErrnoError(int errno_value, std::string_view context) {
  StatusCode code = StatusCode::kIoError;
  switch (errno_value) {
    case ENOENT:
    case ENOTDIR:
      code = StatusCode::kNotFound;
      break;
    case EEXIST:
      code = StatusCode::kAlreadyExists;
      break;
    case EACCES:
    case EPERM:
    case EROFS:
      code = StatusCode::kPermissionDenied;
      break;
    case EINVAL:
      code = StatusCode::kInvalidArgument;
      break;
    default:
      break;
  }
  std::string message(context);
  message += ": ";
  message += std::strerror(errno_value);
  Status status(code, std::move(message));
  if (errno_value == EINTR || errno_value == EAGAIN || errno_value == ETIMEDOUT) {
    status.SetRetryable();
  }
  return status;
}

}  // namespace lifeboat
