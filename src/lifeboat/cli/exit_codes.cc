#include "lifeboat/cli/exit_codes.h"

namespace lifeboat::cli {

ExitCode ExitCodeFor(const Status& status, Stage stage) {
  if (status.ok()) return ExitCode::kOk;
  if (stage == Stage::kUsage) return ExitCode::kUsage;
  switch (status.code()) {
    case StatusCode::kWrongPassword:
      return ExitCode::kWrongPassword;
    case StatusCode::kLockHeld:
      return ExitCode::kLockHeld;
    case StatusCode::kCancelled:
      return ExitCode::kInterrupted;
    case StatusCode::kNotFound:
      return stage == Stage::kOpening ? ExitCode::kRepositoryNotFound : ExitCode::kFatal;
    default:
      return ExitCode::kFatal;
  }
}

}  // namespace lifeboat::cli
