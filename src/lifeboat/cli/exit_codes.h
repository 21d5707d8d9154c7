// The exit codes of the lifeboat command. This is the only place they are chosen; README.md
// mirrors the table, and scripts may rely on it:
//
//   code  meaning
//   ----  ------------------------------------------------------------------------------------
//     0   success
//     1   fatal error: the command failed (including `check` finding damage, `restore`
//         leaving entries unrestored and `bucket restore` leaving objects unrestored)
//     2   usage error: bad command line, no password source, unsupported repository location
//     3   partial backup: the snapshot was saved, but some entries could not be read
//     4   verification failed: a database differs from its backup's manifest (pg verify,
//         pg restore); the audit log's hash chain is broken (audit verify)
//    10   there is no repository at the given location
//    11   the repository is locked by another process
//    12   wrong password: no key of the repository opens with it
//   130   interrupted by SIGINT (Ctrl-C)
//   143   terminated by SIGTERM
//
// Errors are mapped by StatusCode, qualified by the stage they happened in: kNotFound means "no
// repository" only while the repository is being opened; elsewhere it is an ordinary failure
// (a snapshot or path that does not exist).
#pragma once

#include "lifeboat/util/status.h"

namespace lifeboat::cli {

enum class ExitCode : int {
  kOk = 0,
  kFatal = 1,
  kUsage = 2,
  kPartialBackup = 3,
  kVerifyFailed = 4,
  kObjectiveMissed = 5,  // `status`: a job's last success is older than its objective allows
  kRepositoryNotFound = 10,
  kLockHeld = 11,
  kWrongPassword = 12,
  kHangup = 129,
  kInterrupted = 130,
  kTerminated = 143,
};

// Where in a command's life an error happened.
enum class Stage {
  kUsage,    // parsing and checking the command line, before any I/O
  kOpening,  // checking that the repository exists and unlocking it
  kRunning,  // everything after that, including reading passwords
};

ExitCode ExitCodeFor(const Status& status, Stage stage);

inline int ToInt(ExitCode code) { return static_cast<int>(code); }

}  // namespace lifeboat::cli
