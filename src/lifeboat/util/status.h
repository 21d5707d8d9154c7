// Status: the outcome of an operation that can fail for reasons outside the program (I/O,
// network, user input, damaged data). Functions return Status or Result<T> (result.h) instead
// of throwing, so failures cross threads and layers as plain values, retries can ask whether
// an error is transient, and tests can assert the exact code and message.
//
// Messages are lowercase sentences naming the thing that failed; context is prepended as the
// error rises ("reading pack 3fa2…: checksum mismatch"). An optional hint tells the user what
// to do next. Status is a small value type; copying it is cheap and thread-compatible.
#pragma once

#include <string>
#include <string_view>

namespace lifeboat {

enum class StatusCode {
  kOk = 0,
  kNotFound,
  kAlreadyExists,
  kInvalidArgument,
  kCorruption,
  kPermissionDenied,
  kUnavailable,
  kIoError,
  kWrongPassword,
  kLockHeld,
  kCancelled,
  kUnsupported,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string hint = {});

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& hint() const { return hint_; }

  // True when repeating the same operation may succeed (timeouts, 5xx, resets).
  bool retryable() const { return retryable_; }
  Status& SetRetryable(bool retryable = true) {
    retryable_ = retryable;
    return *this;
  }

  // Returns a copy whose message is "context: message"; code, hint and retryable are kept.
  Status WithContext(std::string_view context) const;
  Status WithHint(std::string hint) const;

  // "message" plus "\nhint: …" when a hint is set.
  std::string ToString() const;

  // Marks a deliberate decision to drop an error.
  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  bool retryable_ = false;
  std::string message_;
  std::string hint_;
};

Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status InvalidArgumentError(std::string message);
Status CorruptionError(std::string message);
Status PermissionDeniedError(std::string message);
Status UnavailableError(std::string message);
Status IoError(std::string message);
Status WrongPasswordError(std::string message);
Status LockHeldError(std::string message);
Status CancelledError(std::string message);
Status UnsupportedError(std::string message);
Status InternalError(std::string message);

// Maps an errno value to a code (ENOENT → kNotFound, EACCES → kPermissionDenied, …) and builds
// "context: strerror".
Status ErrnoError(int errno_value, std::string_view context);

}  // namespace lifeboat

#define LIFEBOAT_RETURN_IF_ERROR(expr)                   \
  do {                                                   \
    ::lifeboat::Status lifeboat_status_ = (expr);        \
    if (!lifeboat_status_.ok()) return lifeboat_status_; \
  } while (0)
