#include "lifeboat/cli/exit_codes.h"

#include <gtest/gtest.h>

namespace lifeboat::cli {
namespace {

TEST(ExitCodeFor, OkIsZeroInEveryStage) {
  EXPECT_EQ(ExitCodeFor(Status::Ok(), Stage::kUsage), ExitCode::kOk);
  EXPECT_EQ(ExitCodeFor(Status::Ok(), Stage::kRunning), ExitCode::kOk);
}

TEST(ExitCodeFor, EveryUsageStageErrorIsAUsageError) {
  EXPECT_EQ(ExitCodeFor(InvalidArgumentError("x"), Stage::kUsage), ExitCode::kUsage);
  EXPECT_EQ(ExitCodeFor(UnsupportedError("s3"), Stage::kUsage), ExitCode::kUsage);
  EXPECT_EQ(ExitCodeFor(NotFoundError("x"), Stage::kUsage), ExitCode::kUsage);
}

TEST(ExitCodeFor, NotFoundMeansNoRepositoryOnlyWhileOpening) {
  EXPECT_EQ(ExitCodeFor(NotFoundError("no repository"), Stage::kOpening),
            ExitCode::kRepositoryNotFound);
  EXPECT_EQ(ExitCodeFor(NotFoundError("no snapshot 1234"), Stage::kRunning), ExitCode::kFatal);
}

TEST(ExitCodeFor, PasswordLockAndCancelHaveTheirOwnCodes) {
  EXPECT_EQ(ExitCodeFor(WrongPasswordError("x"), Stage::kOpening), ExitCode::kWrongPassword);
  EXPECT_EQ(ExitCodeFor(LockHeldError("x"), Stage::kRunning), ExitCode::kLockHeld);
  EXPECT_EQ(ExitCodeFor(CancelledError("x"), Stage::kRunning), ExitCode::kInterrupted);
}

TEST(ExitCodeFor, OtherErrorsAreFatal) {
  EXPECT_EQ(ExitCodeFor(CorruptionError("x"), Stage::kOpening), ExitCode::kFatal);
  EXPECT_EQ(ExitCodeFor(IoError("x"), Stage::kRunning), ExitCode::kFatal);
  EXPECT_EQ(ExitCodeFor(InvalidArgumentError("x"), Stage::kRunning), ExitCode::kFatal);
}

TEST(ExitCode, ValuesAreTheDocumentedOnes) {
  EXPECT_EQ(ToInt(ExitCode::kFatal), 1);
  EXPECT_EQ(ToInt(ExitCode::kUsage), 2);
  EXPECT_EQ(ToInt(ExitCode::kPartialBackup), 3);
  EXPECT_EQ(ToInt(ExitCode::kRepositoryNotFound), 10);
  EXPECT_EQ(ToInt(ExitCode::kLockHeld), 11);
  EXPECT_EQ(ToInt(ExitCode::kWrongPassword), 12);
  EXPECT_EQ(ToInt(ExitCode::kInterrupted), 130);
}

}  // namespace
}  // namespace lifeboat::cli
