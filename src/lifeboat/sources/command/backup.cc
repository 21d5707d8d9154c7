#include "lifeboat/sources/command/backup.h"

#include <unistd.h>

#include <cerrno>

#include "lifeboat/crypto/sha256.h"
#include "lifeboat/engine/snapshot_writer.h"
#include "lifeboat/sources/source_snapshot.h"
#include "lifeboat/util/child_process.h"
#include "lifeboat/util/clock.h"
#include "lifeboat/util/output_tail.h"

namespace lifeboat::sources::command {

Status ValidateOutputName(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == ".." ||
      name.find('\0') != std::string::npos) {
    return InvalidArgumentError("--name must be a plain file name without '/', got \"" + name +
                                "\"")
        .WithHint("for example --name users.sql");
  }
  return Status::Ok();
}

Result<CommandBackupResult> BackupCommandOutput(repo::Repository& repository,
                                                const CommandBackupOptions& options,
                                                engine::BackupProgress* progress) {
  LIFEBOAT_RETURN_IF_ERROR(ValidateOutputName(options.name));
  if (options.argv.empty() || options.argv.front().empty()) {
    return InvalidArgumentError("no command given")
        .WithHint("give the command after \"--\": lifeboat command backup --name NAME -- CMD");
  }
  CommandManifest manifest;
  manifest.argv = RedactArguments(options.argv);
  const std::string shown = QuoteCommandLine(manifest.argv);
  manifest.file = options.name;

  engine::SnapshotWriter writer(repository, {.progress = progress});
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<engine::StreamFile> file, writer.Open(options.name));
  const int64_t started_ns = repository.clock().NowNanos();
  Result<std::unique_ptr<ChildProcess>> started =
      ChildProcess::Start(options.argv, {.capture_stderr = true});
  if (!started.ok()) return started.status().WithContext("command `" + shown + "`");
  std::unique_ptr<ChildProcess> child = std::move(started).value();
  OutputTail stderr_tail(child->stderr_fd(), options.stderr_forward_fd);

  crypto::Sha256Hasher hasher;
  std::vector<uint8_t> buffer(1 << 20);
  Status read_status;
  while (true) {
    const ssize_t n = read(child->stdout_fd(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      read_status = ErrnoError(errno, "reading the output of `" + shown + "`");
      break;
    }
    if (n == 0) break;
    const ByteView piece(buffer.data(), static_cast<size_t>(n));
    hasher.Update(piece);
    manifest.bytes += piece.size();
    read_status = file->Write(piece);
    if (!read_status.ok()) break;
  }
  if (!read_status.ok()) child->Terminate();
  const std::string said = stderr_tail.Finish(5);
  Status exited = child->Wait();
  manifest.finished = FormatTimeRfc3339(repository.clock().NowNanos());
  manifest.started = FormatTimeRfc3339(started_ns);
  LIFEBOAT_RETURN_IF_ERROR(read_status);
  if (!exited.ok()) {
    std::string message = "command `" + shown + "` " + child->exit().Describe();
    if (!said.empty()) {
      message += "; the end of its stderr:";
      size_t begin = 0;
      while (begin <= said.size()) {
        size_t end = said.find('\n', begin);
        if (end == std::string::npos) end = said.size();
        message += "\n    " + said.substr(begin, end - begin);
        begin = end + 1;
      }
    }
    return IoError(message);
  }
  manifest.exit_status = 0;
  manifest.sha256 = hasher.Finish().Hex();
  LIFEBOAT_RETURN_IF_ERROR(file->Close().status());
  file.reset();

  LIFEBOAT_ASSIGN_OR_RETURN(engine::BackupResult backup,
                            writer.Commit(SourceSnapshot(options, "command", {options.name},
                                                         CommandManifestToJson(manifest))));
  return CommandBackupResult{std::move(backup), std::move(manifest)};
}

}  // namespace lifeboat::sources::command
