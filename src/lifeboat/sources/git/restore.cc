#include "lifeboat/sources/git/restore.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "lifeboat/crypto/sha256.h"
#include "lifeboat/engine/content_reader.h"
#include "lifeboat/sources/git/git_tool.h"

namespace lifeboat::sources::git {

namespace {

namespace fs = std::filesystem;

Status PrepareTarget(const std::string& target) {
  std::error_code error;
  const fs::file_status status = fs::status(target, error);
  if (fs::exists(status)) {
    if (!fs::is_directory(status)) {
      return InvalidArgumentError(target + " exists and is not a directory")
          .WithHint("restore into a new or empty directory");
    }
    if (!fs::is_empty(target, error) || error) {
      return InvalidArgumentError(target + " is not empty")
          .WithHint("restore into a new or empty directory");
    }
    return Status::Ok();
  }
  fs::create_directories(target, error);
  if (error) return ErrnoError(error.value(), "creating " + target);
  return Status::Ok();
}

Result<repo::Node> FindBundle(repo::Repository& repository, const repo::Snapshot& snapshot,
                              const std::string& name) {
  LIFEBOAT_ASSIGN_OR_RETURN(repo::Tree tree, repository.LoadTree(snapshot.tree));
  for (repo::Node& node : tree.nodes) {
    if (node.name == name && node.type == repo::NodeType::kFile) return std::move(node);
  }
  return CorruptionError("the git snapshot holds no " + name);
}

Status WriteBundle(repo::Repository& repository, const repo::Node& node,
                   const GitManifest& manifest, const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError(errno, "creating " + path);
  engine::ContentReader reader(repository, node.content, manifest.bundle_file);
  crypto::Sha256Hasher hasher;
  uint64_t bytes = 0;
  Status status;
  while (status.ok()) {
    Result<ByteView> chunk = reader.Next();
    if (!chunk.ok()) {
      status = chunk.status();
      break;
    }
    if (chunk->empty()) break;
    hasher.Update(*chunk);
    bytes += chunk->size();
    size_t done = 0;
    while (done < chunk->size()) {
      const ssize_t n = write(fd, chunk->data() + done, chunk->size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        status = ErrnoError(errno, "writing " + path);
        break;
      }
      done += static_cast<size_t>(n);
    }
  }
  if (close(fd) != 0 && status.ok()) status = ErrnoError(errno, "writing " + path);
  LIFEBOAT_RETURN_IF_ERROR(status);
  const std::string sha256 = hasher.Finish().Hex();
  if (bytes != manifest.bundle_bytes || sha256 != manifest.bundle_sha256) {
    return CorruptionError("the restored bundle (" + std::to_string(bytes) + " bytes, SHA-256 " +
                           sha256 + ") differs from the manifest's (" +
                           std::to_string(manifest.bundle_bytes) + " bytes, SHA-256 " +
                           manifest.bundle_sha256 + ")")
        .WithHint("run `lifeboat check --read-data`");
  }
  return Status::Ok();
}

Status CheckRefs(const std::string& target, const GitManifest& manifest) {
  LIFEBOAT_ASSIGN_OR_RETURN(std::string listing,
                            RunGit(target, {"for-each-ref", kRefListingFormat}));
  LIFEBOAT_ASSIGN_OR_RETURN(std::vector<GitRef> restored, ParseRefListing(listing));
  std::vector<GitRef> expected = manifest.refs;
  std::sort(expected.begin(), expected.end(),
            [](const GitRef& a, const GitRef& b) { return a.name < b.name; });
  for (size_t i = 0; i < std::max(restored.size(), expected.size()); ++i) {
    if (i >= restored.size()) return CorruptionError("ref " + expected[i].name + " is missing");
    if (i >= expected.size() || restored[i].name != expected[i].name) {
      return CorruptionError("ref " + restored[i].name + " is not in the manifest");
    }
    if (restored[i].object != expected[i].object) {
      return CorruptionError("ref " + restored[i].name + " is " + restored[i].object +
                             ", the manifest says " + expected[i].object);
    }
  }
  return Status::Ok();
}

Status Populate(repo::Repository& repository, const repo::Snapshot& snapshot,
                const GitManifest& manifest, const GitRestoreOptions& options,
                const std::string& target) {
  std::vector<std::string> init = {"init", "--quiet"};
  if (options.bare) init.push_back("--bare");
  if (!manifest.object_format.empty()) init.push_back("--object-format=" + manifest.object_format);
  LIFEBOAT_RETURN_IF_ERROR(RunGit(target, init).status());
  const std::string git_dir = options.bare ? target : target + "/.git";
  const std::string bundle_path = git_dir + "/lifeboat-restore.bundle";
  LIFEBOAT_ASSIGN_OR_RETURN(repo::Node node,
                            FindBundle(repository, snapshot, manifest.bundle_file));
  Status fetched = WriteBundle(repository, node, manifest, bundle_path);
  if (fetched.ok()) {
    // --update-head-ok: the new repository's HEAD names a branch the fetch may create.
    fetched = RunGit(target, {"fetch", "--quiet", "--no-write-fetch-head", "--update-head-ok",
                              bundle_path, "refs/*:refs/*"})
                  .status();
  }
  std::error_code ignored;
  fs::remove(bundle_path, ignored);
  LIFEBOAT_RETURN_IF_ERROR(fetched);
  if (!manifest.head.empty()) {
    LIFEBOAT_RETURN_IF_ERROR(RunGit(target, {"symbolic-ref", "HEAD", manifest.head}).status());
  } else if (!manifest.head_commit.empty()) {
    LIFEBOAT_RETURN_IF_ERROR(
        RunGit(target, {"update-ref", "--no-deref", "HEAD", manifest.head_commit}).status());
  }
  if (!options.bare && !manifest.head_commit.empty()) {
    LIFEBOAT_RETURN_IF_ERROR(RunGit(target, {"reset", "--quiet", "--hard"}).status());
  }
  return CheckRefs(target, manifest);
}

}  // namespace

Result<GitRestoreResult> RestoreGitRepository(repo::Repository& repository,
                                              const repo::Snapshot& snapshot,
                                              const GitRestoreOptions& options) {
  LIFEBOAT_ASSIGN_OR_RETURN(GitManifest manifest, SnapshotGitManifest(snapshot));
  LIFEBOAT_RETURN_IF_ERROR(GitVersion().status());
  if (options.target.empty()) return InvalidArgumentError("--to must name a directory");
  const std::string target = fs::absolute(options.target).lexically_normal().string();
  LIFEBOAT_RETURN_IF_ERROR(PrepareTarget(target));
  Status populated = Populate(repository, snapshot, manifest, options, target);
  if (!populated.ok()) {
    return populated.WithContext("restoring into " + target)
        .WithHint(target + " holds a partial repository; remove it before trying again");
  }
  const uint64_t bytes = manifest.bundle_bytes;
  return GitRestoreResult{std::move(manifest), bytes};
}

}  // namespace lifeboat::sources::git
