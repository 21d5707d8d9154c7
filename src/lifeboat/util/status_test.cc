#include "lifeboat/util/status.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace lifeboat {
namespace {

TEST(Status, DefaultIsOk) {
  Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kOk);
  EXPECT_FALSE(status.retryable());
  EXPECT_EQ(status.ToString(), "ok");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(Status, ConstructorsSetTheirCode) {
  EXPECT_EQ(NotFoundError("m").code(), StatusCode::kNotFound);
  EXPECT_EQ(AlreadyExistsError("m").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(InvalidArgumentError("m").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CorruptionError("m").code(), StatusCode::kCorruption);
  EXPECT_EQ(PermissionDeniedError("m").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(UnavailableError("m").code(), StatusCode::kUnavailable);
  EXPECT_EQ(IoError("m").code(), StatusCode::kIoError);
  EXPECT_EQ(WrongPasswordError("m").code(), StatusCode::kWrongPassword);
  EXPECT_EQ(LockHeldError("m").code(), StatusCode::kLockHeld);
  EXPECT_EQ(CancelledError("m").code(), StatusCode::kCancelled);
  EXPECT_EQ(UnsupportedError("m").code(), StatusCode::kUnsupported);
  EXPECT_EQ(InternalError("m").code(), StatusCode::kInternal);
  EXPECT_FALSE(NotFoundError("m").ok());
  EXPECT_EQ(NotFoundError("no such snapshot").message(), "no such snapshot");
}

TEST(Status, OnlyUnavailableIsRetryableByDefault) {
  EXPECT_TRUE(UnavailableError("m").retryable());
  EXPECT_FALSE(IoError("m").retryable());
  EXPECT_FALSE(CorruptionError("m").retryable());
  Status status = IoError("connection reset");
  status.SetRetryable();
  EXPECT_TRUE(status.retryable());
  status.SetRetryable(false);
  EXPECT_FALSE(status.retryable());
}

TEST(Status, CodeNamesAreDistinctAndReadable) {
  EXPECT_EQ(StatusCodeName(StatusCode::kOk), "ok");
  EXPECT_EQ(StatusCodeName(StatusCode::kNotFound), "not found");
  EXPECT_EQ(StatusCodeName(StatusCode::kWrongPassword), "wrong password");
  EXPECT_EQ(StatusCodeName(StatusCode::kInternal), "internal error");
  for (int a = 0; a <= static_cast<int>(StatusCode::kInternal); ++a) {
    for (int b = a + 1; b <= static_cast<int>(StatusCode::kInternal); ++b) {
      EXPECT_NE(StatusCodeName(static_cast<StatusCode>(a)),
                StatusCodeName(static_cast<StatusCode>(b)));
    }
  }
}

TEST(Status, WithContextPrependsAndKeepsCodeHintAndRetryable) {
  Status inner = UnavailableError("connection reset").WithHint("check the network");
  Status outer = inner.WithContext("reading pack 3fa2").WithContext("check");
  EXPECT_EQ(outer.code(), StatusCode::kUnavailable);
  EXPECT_EQ(outer.message(), "check: reading pack 3fa2: connection reset");
  EXPECT_EQ(outer.hint(), "check the network");
  EXPECT_TRUE(outer.retryable());
  // The original is untouched.
  EXPECT_EQ(inner.message(), "connection reset");
}

TEST(Status, WithContextOnOkStaysOk) {
  Status status = Status::Ok().WithContext("anything");
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.message(), "");
  EXPECT_TRUE(Status::Ok().WithHint("ignored").hint().empty());
}

TEST(Status, ToStringAddsHintLine) {
  EXPECT_EQ(CorruptionError("reading pack 3fa2: checksum mismatch").ToString(),
            "reading pack 3fa2: checksum mismatch");
  Status status = WrongPasswordError("no key opens the repository")
                      .WithHint("check LIFEBOAT_PASSWORD or LIFEBOAT_PASSWORD_FILE");
  EXPECT_EQ(status.ToString(),
            "no key opens the repository\nhint: check LIFEBOAT_PASSWORD or LIFEBOAT_PASSWORD_FILE");
  Status with_ctor_hint(StatusCode::kLockHeld, "repository is locked", "run lifeboat unlock");
  EXPECT_EQ(with_ctor_hint.hint(), "run lifeboat unlock");
  EXPECT_EQ(with_ctor_hint.ToString(), "repository is locked\nhint: run lifeboat unlock");
}

TEST(Status, ErrnoErrorMapsCommonErrnos) {
  EXPECT_EQ(ErrnoError(ENOENT, "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(ErrnoError(ENOTDIR, "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(ErrnoError(EACCES, "x").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoError(EPERM, "x").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoError(EROFS, "x").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoError(EEXIST, "x").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrnoError(EINVAL, "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrnoError(EIO, "x").code(), StatusCode::kIoError);
  EXPECT_EQ(ErrnoError(ENOSPC, "x").code(), StatusCode::kIoError);
}

TEST(Status, ErrnoErrorMessageNamesContextAndReason) {
  Status status = ErrnoError(ENOENT, "opening /srv/data/a.txt");
  EXPECT_EQ(status.message(), "opening /srv/data/a.txt: No such file or directory");
  EXPECT_FALSE(status.retryable());
}

TEST(Status, ErrnoErrorTransientErrnosAreRetryable) {
  EXPECT_TRUE(ErrnoError(EINTR, "x").retryable());
  EXPECT_TRUE(ErrnoError(EAGAIN, "x").retryable());
  EXPECT_TRUE(ErrnoError(ETIMEDOUT, "x").retryable());
  EXPECT_FALSE(ErrnoError(EACCES, "x").retryable());
}

Status FailsThenNeverReached(int* reached) {
  LIFEBOAT_RETURN_IF_ERROR(NotFoundError("first"));
  ++*reached;
  return Status::Ok();
}

Status PassesThrough(int* reached) {
  LIFEBOAT_RETURN_IF_ERROR(Status::Ok());
  ++*reached;
  return IoError("after");
}

TEST(Status, ReturnIfErrorReturnsFirstError) {
  int reached = 0;
  Status status = FailsThenNeverReached(&reached);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "first");
  EXPECT_EQ(reached, 0);
  status = PassesThrough(&reached);
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_EQ(reached, 1);
}

}  // namespace
}  // namespace lifeboat
