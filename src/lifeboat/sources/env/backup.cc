#include "lifeboat/sources/env/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <set>

#include "lifeboat/crypto/sha256.h"
#include "lifeboat/engine/fs_metadata.h"
#include "lifeboat/engine/snapshot_writer.h"
#include "lifeboat/sources/source_snapshot.h"
#include "lifeboat/util/clock.h"

namespace lifeboat::sources::env {

std::string StoredFilePath(const std::string& absolute_path) {
  return std::string(kFilesDir) + absolute_path;
}

namespace {

// Stores one config file, following a symlink to the file it names; its metadata is the
// file's, so a restore gives back mode, owner and times.
Result<EnvFile> StoreFile(engine::SnapshotWriter& writer, const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "config file " + path);
  struct stat info {};
  if (fstat(fd, &info) != 0) {
    const int saved = errno;
    close(fd);
    return ErrnoError(saved, "config file " + path);
  }
  if (!S_ISREG(info.st_mode)) {
    close(fd);
    return InvalidArgumentError("config file " + path + " is not a regular file")
        .WithHint("--file takes files; back up directories with `lifeboat backup`");
  }
  char resolved[PATH_MAX];
  const std::string real = realpath(path.c_str(), resolved) ? resolved : path;
  Result<repo::Node> node = engine::ReadNodeMetadata(real, path.substr(path.rfind('/') + 1));
  if (!node.ok()) {
    close(fd);
    return node.status().WithContext("config file " + path);
  }
  EnvFile file;
  file.path = path;
  file.stored_as = StoredFilePath(path);
  file.mode = node->mode & 07777;
  file.mtime = FormatTimeRfc3339(node->mtime_ns);
  file.uid = node->uid;
  file.gid = node->gid;
  file.user = node->user;
  file.group = node->group;
  Result<std::unique_ptr<engine::StreamFile>> out = writer.Open(file.stored_as, *node);
  if (!out.ok()) {
    close(fd);
    return out.status();
  }
  crypto::Sha256Hasher hasher;
  std::vector<uint8_t> buffer(1 << 16);
  Status status;
  while (true) {
    const ssize_t n = read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = ErrnoError(errno, "reading config file " + path);
      break;
    }
    if (n == 0) break;
    const ByteView piece(buffer.data(), static_cast<size_t>(n));
    hasher.Update(piece);
    status = (*out)->Write(piece);
    if (!status.ok()) break;
  }
  close(fd);
  LIFEBOAT_RETURN_IF_ERROR(status);
  LIFEBOAT_ASSIGN_OR_RETURN(file.size, (*out)->Close());
  file.sha256 = hasher.Finish().Hex();
  return file;
}

}  // namespace

Result<EnvBackupResult> BackupEnvironment(repo::Repository& repository,
                                          const EnvBackupOptions& options,
                                          engine::BackupProgress* progress) {
  for (const std::string& name : options.vars) LIFEBOAT_RETURN_IF_ERROR(ValidateVariableName(name));
  EnvManifest manifest = SelectVariables(options.set_names, options.vars, options.prefixes);

  engine::SnapshotWriter writer(repository, {.progress = progress});
  std::set<std::string> seen;
  std::vector<std::string> paths = {"env"};
  for (const std::string& given : options.files) {
    const std::string path = engine::AbsolutePath(given);
    if (!seen.insert(path).second) continue;
    LIFEBOAT_ASSIGN_OR_RETURN(EnvFile file, StoreFile(writer, path));
    manifest.files.push_back(std::move(file));
    paths.push_back(path);
    if (progress) progress->files_done++;
  }
  const std::string manifest_json = EnvManifestToJson(manifest);
  LIFEBOAT_RETURN_IF_ERROR(WriteManifestFile(writer, manifest_json));
  LIFEBOAT_ASSIGN_OR_RETURN(engine::BackupResult backup,
                            writer.Commit(SourceSnapshot(options, "env", paths, manifest_json)));
  return EnvBackupResult{std::move(backup), std::move(manifest)};
}

}  // namespace lifeboat::sources::env
