// From --repo to a repository a command can use. The steps, in order, and the stage each one's
// failure belongs to (exit_codes.h):
//   1. the location is checked: empty, malformed, or a remote scheme lifeboat cannot reach
//      (sftp:, rest:, ...) is a usage error, and so are s3: without credentials and unknown
//      -o options; local paths and s3: locations are supported;
//   2. a password source must exist (usage), unless the command needs only the backend;
//   3. the repository must exist (opening: exit 10), checked before a password is asked;
//   4. the password is read (running) and opens a key (opening: exit 12 when wrong);
//   5. a shared lock is taken (exit 11 when held) and the index loaded (running), as asked.
// Used from the main thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lifeboat/cli/exit_codes.h"
#include "lifeboat/cli/interrupt.h"
#include "lifeboat/cli/password.h"
#include "lifeboat/repo/lock.h"
#include "lifeboat/repo/repository.h"
#include "lifeboat/storage/backend.h"
#include "lifeboat/storage/s3/s3_backend.h"

namespace lifeboat::cli {

enum class RepositoryAccess {
  kNone,             // no repository (version)
  kBackend,          // the storage only; the command creates the repository (init)
  kOpen,             // unlocked with a password; no lock, no index (snapshots, key, unlock)
  kLocked,           // unlocked and a shared lock held; the command reads the index (check)
  kLockedWithIndex,  // unlocked, shared lock held, index loaded (backup, restore, ls, ...)
};

struct SessionRequest {
  std::string location;  // --repo
  RepositoryAccess access = RepositoryAccess::kNone;
  PasswordSources passwords;
  // -o KEY=VALUE backend options: s3.storage-class=CLASS (x-amz-storage-class of new objects),
  // s3.bucket-lookup=auto|path|dns (path-style or virtual-hosted requests), s3.ca-file=PEM.
  std::vector<std::string> backend_options = {};
};

// What a command works on. Members are destroyed in reverse order: the interrupt cleanup is
// unregistered first, then the lock released, then the repository and its backend closed.
struct Session {
  std::string location;  // for messages: the absolute path, or the s3: location
  std::unique_ptr<storage::Backend> backend;
  // Creates the location itself for `init`: the directory; nothing for s3: (lifeboat does not
  // create buckets).
  std::function<Status()> create_location;
  std::unique_ptr<repo::Repository> repository;
  std::unique_ptr<repo::RepositoryLock> lock;
  std::unique_ptr<InterruptCleanup> release_lock_on_interrupt;
};

// S3Options from the AWS_* variables and -o options (s3.storage-class=CLASS,
// s3.bucket-lookup=auto|path|dns, s3.ca-file=PEM); kInvalidArgument naming an unknown option.
// For s3: repositories and for the buckets of `bucket backup|restore`.
Result<storage::S3Options> S3OptionsFor(const std::vector<std::string>& backend_options);

// Step 1 alone: kInvalidArgument for an empty or malformed location, kUnsupported for a scheme
// lifeboat cannot reach yet. Both are usage errors.
Status ValidateRepositoryLocation(std::string_view location);

// Runs the steps `request.access` needs. On failure, *failed_stage says which stage the error
// belongs to.
Result<std::unique_ptr<Session>> OpenSession(const SessionRequest& request, Stage* failed_stage);

}  // namespace lifeboat::cli
