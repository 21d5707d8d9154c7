#include "lifeboat/cli/repository_opener.h"

#include <array>
#include <filesystem>

#include "lifeboat/cli/identity.h"
#include "lifeboat/storage/local_backend.h"
#include "lifeboat/util/clock.h"

namespace lifeboat::cli {

namespace {

constexpr std::string_view kLocalScheme = "local:";

// Schemes restic users may try; naming them gives a clear "not yet" instead of creating a
// local directory called "s3:bucket".
constexpr std::array<std::string_view, 10> kRemoteSchemes = {
    "s3:", "sftp:", "rest:", "b2:", "azure:", "gs:", "swift:", "rclone:", "http:", "https:"};

std::string LocalPath(std::string_view location) {
  if (location.starts_with(kLocalScheme)) location.remove_prefix(kLocalScheme.size());
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(std::string(location), error);
  if (error) return std::string(location);
  return absolute.lexically_normal().string();
}

// A failure and the stage it belongs to.
Status Fail(Stage stage, Status status, Stage* failed_stage) {
  *failed_stage = stage;
  return status;
}

}  // namespace

Status ValidateRepositoryLocation(std::string_view location) {
  if (location.empty()) {
    return InvalidArgumentError("no repository given")
        .WithHint("pass --repo PATH or set LIFEBOAT_REPOSITORY");
  }
  for (std::string_view scheme : kRemoteSchemes) {
    if (location.starts_with(scheme)) {
      return UnsupportedError(std::string(scheme.substr(0, scheme.size() - 1)) +
                              " repositories are not supported yet: " + std::string(location))
          .WithHint("use a local directory (or a mounted file system) as the repository");
    }
  }
  if (location == kLocalScheme) return InvalidArgumentError("\"local:\" needs a path after it");
  return Status::Ok();
}

Result<std::unique_ptr<Session>> OpenSession(const SessionRequest& request, Stage* failed_stage) {
  auto session = std::make_unique<Session>();
  if (request.access == RepositoryAccess::kNone) return session;
  Status valid = ValidateRepositoryLocation(request.location);
  if (!valid.ok()) return Fail(Stage::kUsage, valid, failed_stage);
  if (request.access != RepositoryAccess::kBackend) {
    Status sources = CheckPasswordSources(request.passwords);
    if (!sources.ok()) return Fail(Stage::kUsage, sources, failed_stage);
  }
  session->location = LocalPath(request.location);
  auto local = std::make_unique<storage::LocalBackend>(session->location);
  session->create_location = [backend = local.get()] { return backend->CreateRoot(); };
  session->backend = std::move(local);
  if (request.access == RepositoryAccess::kBackend) return session;

  // Asking for a password only to then say there is no repository would waste the user's time.
  Result<storage::ObjectInfo> config =
      session->backend->Stat(storage::ObjectKey{storage::ObjectKind::kConfig, ""});
  if (!config.ok()) {
    if (config.status().code() == StatusCode::kNotFound) {
      return Fail(Stage::kOpening,
                  NotFoundError("there is no repository at " + session->location)
                      .WithHint("create one with `lifeboat init`, or check --repo / "
                                "LIFEBOAT_REPOSITORY"),
                  failed_stage);
    }
    return Fail(Stage::kRunning, config.status().WithContext("reading the repository config"),
                failed_stage);
  }

  Result<std::string> password = ReadPassword(request.passwords, /*confirm=*/false);
  if (!password.ok()) return Fail(Stage::kRunning, password.status(), failed_stage);
  Result<std::unique_ptr<repo::Repository>> repository =
      repo::Repository::Open(session->backend.get(), *password, SystemClock::Get());
  if (!repository.ok()) return Fail(Stage::kOpening, repository.status(), failed_stage);
  session->repository = std::move(repository).value();
  if (request.access == RepositoryAccess::kOpen) return session;

  // Lock before reading the index, so maintenance cannot rewrite it while we read.
  Result<std::unique_ptr<repo::RepositoryLock>> lock = repo::RepositoryLock::Acquire(
      session->repository.get(), /*exclusive=*/false, Hostname(), Username());
  if (!lock.ok()) return Fail(Stage::kRunning, lock.status(), failed_stage);
  session->lock = std::move(lock).value();
  repo::RepositoryLock* held = session->lock.get();
  session->release_lock_on_interrupt =
      std::make_unique<InterruptCleanup>([held] { held->Release().IgnoreError(); });
  if (request.access == RepositoryAccess::kLocked) return session;

  Status index = session->repository->LoadIndex();
  if (!index.ok()) {
    return Fail(Stage::kRunning, index.WithContext("loading the index"), failed_stage);
  }
  return session;
}

}  // namespace lifeboat::cli
