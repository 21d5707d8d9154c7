#include "lifeboat/cli/repository_opener.h"

#include <array>
#include <filesystem>

#include "lifeboat/cli/identity.h"
#include "lifeboat/storage/local_backend.h"
#include "lifeboat/storage/retrying_backend.h"
#include "lifeboat/storage/s3/s3_backend.h"
#include "lifeboat/util/clock.h"

namespace lifeboat::cli {

namespace {

constexpr std::string_view kLocalScheme = "local:";
constexpr std::string_view kS3Scheme = "s3:";

// Schemes restic users may try; naming them gives a clear "not yet" instead of creating a
// local directory called "sftp:host".
constexpr std::array<std::string_view, 9> kRemoteSchemes = {
    "sftp:", "rest:", "b2:", "azure:", "gs:", "swift:", "rclone:", "http:", "https:"};

std::string LocalPath(std::string_view location) {
  if (location.starts_with(kLocalScheme)) location.remove_prefix(kLocalScheme.size());
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(std::string(location), error);
  if (error) return std::string(location);
  return absolute.lexically_normal().string();
}

}  // namespace

Result<storage::S3Options> S3OptionsFor(const std::vector<std::string>& backend_options) {
  storage::S3Options options = storage::S3OptionsFromEnvironment();
  for (const std::string& option : backend_options) {
    const size_t equals = option.find('=');
    const std::string key = option.substr(0, equals);
    const std::string value = equals == std::string::npos ? "" : option.substr(equals + 1);
    if (key == "s3.storage-class" && !value.empty()) {
      options.storage_class = value;
    } else if (key == "s3.bucket-lookup" &&
               (value == "auto" || value == "path" || value == "dns")) {
      options.addressing = value == "path"  ? storage::S3Addressing::kPathStyle
                           : value == "dns" ? storage::S3Addressing::kVirtualHosted
                                            : storage::S3Addressing::kAuto;
    } else if (key == "s3.ca-file" && !value.empty()) {
      options.ca_file = value;
    } else {
      return InvalidArgumentError("unknown or malformed option -o " + option)
          .WithHint(
              "known options: s3.storage-class=CLASS, s3.bucket-lookup=auto|path|dns, "
              "s3.ca-file=PEM");
    }
  }
  return options;
}

namespace {

Status CheckBackendOptions(std::string_view location,
                           const std::vector<std::string>& backend_options) {
  if (backend_options.empty()) return Status::Ok();
  if (!location.starts_with(kS3Scheme)) {
    return InvalidArgumentError("-o " + backend_options.front() +
                                " applies to s3: repositories only");
  }
  return S3OptionsFor(backend_options).status();
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
  if (location.starts_with(kS3Scheme)) return storage::ParseS3Location(location).status();
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
  Status options = CheckBackendOptions(request.location, request.backend_options);
  if (!options.ok()) return Fail(Stage::kUsage, options, failed_stage);
  if (request.location.starts_with(kS3Scheme)) {
    Result<storage::S3Options> s3_options = S3OptionsFor(request.backend_options);
    if (!s3_options.ok()) return Fail(Stage::kUsage, s3_options.status(), failed_stage);
    Result<std::unique_ptr<storage::S3Backend>> s3 =
        storage::S3Backend::Open(request.location, std::move(s3_options).value());
    if (!s3.ok()) return Fail(Stage::kUsage, s3.status(), failed_stage);
    session->location = (*s3)->Properties().location;
    // Object stores fail transiently (5xx, SlowDown, resets) far more often than disks.
    session->backend = std::make_unique<storage::RetryingBackend>(std::move(s3).value());
    session->create_location = [] { return Status::Ok(); };
  } else {
    session->location = LocalPath(request.location);
    auto local = std::make_unique<storage::LocalBackend>(session->location);
    session->create_location = [backend = local.get()] { return backend->CreateRoot(); };
    session->backend = std::move(local);
  }
  if (request.access == RepositoryAccess::kBackend) return session;

  // Asking for a password only to then say there is no repository would waste the user's time.
  Result<storage::ObjectInfo> config =
      session->backend->Stat(storage::ObjectKey{storage::ObjectKind::kConfig, ""});
  if (!config.ok()) {
    // A backend that knows more (a missing bucket) says so in a hint; keep its words.
    if (config.status().code() == StatusCode::kNotFound && !config.status().hint().empty()) {
      return Fail(Stage::kOpening, config.status(), failed_stage);
    }
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
