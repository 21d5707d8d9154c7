#include "lifeboat/sources/git/backup.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <filesystem>

#include "lifeboat/crypto/sha256.h"
#include "lifeboat/engine/snapshot_writer.h"
#include "lifeboat/sources/git/git_tool.h"
#include "lifeboat/sources/source_snapshot.h"
#include "lifeboat/util/child_process.h"
#include "lifeboat/util/output_tail.h"

namespace lifeboat::sources::git {

namespace {

namespace fs = std::filesystem;

// The repository at `path` must be one whose top level (or bare directory) `path` is, so that a
// typo'd subdirectory does not silently back up an enclosing repository.
Status CheckRepository(const std::string& path) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  if (!fs::exists(status)) {
    return NotFoundError(path + " does not exist").WithHint("give the path of a git repository");
  }
  if (!fs::is_directory(status)) {
    return InvalidArgumentError(path + " is not a directory, so not a git repository")
        .WithHint("give the path of a git repository");
  }
  Result<std::string> bare = RunGit(path, {"rev-parse", "--is-bare-repository"});
  if (!bare.ok()) {
    return InvalidArgumentError(path + " is not a git repository")
        .WithHint("give the top-level directory of a repository (or a bare repository)");
  }
  const std::string top_query =
      TrimNewlines(*bare) == "true" ? "--absolute-git-dir" : "--show-toplevel";
  LIFEBOAT_ASSIGN_OR_RETURN(std::string top, RunGit(path, {"rev-parse", top_query}));
  top = TrimNewlines(top);
  const fs::path canonical = fs::canonical(path, error);
  if (top.empty() || error || fs::canonical(top, error) != canonical) {
    return InvalidArgumentError(path + " is inside the git repository at " + top +
                                ", not its top level")
        .WithHint("give " + top);
  }
  return Status::Ok();
}

// Writes to `fd` until done or the reader has gone; false once it has gone. SIGPIPE is blocked
// by the caller, so a reader that finished early (git bundle verify reads only the header)
// shows as EPIPE rather than ending lifeboat.
bool FeedPipe(int fd, ByteView data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Blocks SIGPIPE in this thread while alive; on the way out, discards one raised meanwhile.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &old_);
  }
  ~SigpipeBlock() {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    const timespec zero{0, 0};
    while (sigtimedwait(&pipe_only, nullptr, &zero) == SIGPIPE) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t old_;
};

struct StreamedBundle {
  uint64_t bytes = 0;
  std::string sha256;
  std::string header;  // the bytes up to the end of the bundle's header (or all, if shorter)
};

// Copies the bundle from git's stdout into the snapshot file and into verify's stdin.
Status StreamBundle(int from, engine::StreamFile& file, int verify_fd, StreamedBundle& out) {
  SigpipeBlock block;
  crypto::Sha256Hasher hasher;
  std::vector<uint8_t> buffer(1 << 20);
  bool header_done = false;
  bool feeding = true;
  while (true) {
    const ssize_t n = read(from, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "reading git bundle's output");
    if (n == 0) break;
    const ByteView piece(buffer.data(), static_cast<size_t>(n));
    hasher.Update(piece);
    LIFEBOAT_RETURN_IF_ERROR(file.Write(piece));
    out.bytes += piece.size();
    if (!header_done) {
      out.header.append(AsString(piece));
      header_done = out.header.find("\n\n") != std::string::npos;
    }
    if (feeding) feeding = FeedPipe(verify_fd, piece);
  }
  out.sha256 = hasher.Finish().Hex();
  return Status::Ok();
}

}  // namespace

Result<GitBackupResult> BackupGitRepository(repo::Repository& repository,
                                            const GitBackupOptions& options,
                                            engine::BackupProgress* progress) {
  GitManifest manifest;
  LIFEBOAT_ASSIGN_OR_RETURN(manifest.git_version, GitVersion());
  const std::string path = engine::AbsolutePath(options.path);
  manifest.repository = path;
  LIFEBOAT_RETURN_IF_ERROR(CheckRepository(path));

  LIFEBOAT_ASSIGN_OR_RETURN(std::string listing, RunGit(path, {"for-each-ref", kRefListingFormat}));
  LIFEBOAT_ASSIGN_OR_RETURN(std::vector<GitRef> listed, ParseRefListing(listing));
  if (listed.empty()) {
    return InvalidArgumentError("the git repository " + path +
                                " has no commits: there is nothing to back up")
        .WithHint("commit something first, or leave this repository out");
  }
  // A shallow clone's bundle needs the commits it lacks; restored alone it would be unusable.
  LIFEBOAT_ASSIGN_OR_RETURN(std::string shallow,
                            RunGit(path, {"rev-parse", "--is-shallow-repository"}));
  if (TrimNewlines(shallow) == "true") {
    return InvalidArgumentError("the git repository " + path +
                                " is a shallow clone: its bundle could not be restored on its own")
        .WithHint("fetch its full history first: git -C " + path + " fetch --unshallow");
  }
  LIFEBOAT_ASSIGN_OR_RETURN(std::string format,
                            RunGit(path, {"rev-parse", "--show-object-format"}));
  manifest.object_format = TrimNewlines(format);
  // A detached HEAD is not a symbolic ref; git says so with exit status 1.
  Result<std::string> head = RunGit(path, {"symbolic-ref", "-q", "HEAD"});
  if (head.ok()) manifest.head = TrimNewlines(*head);
  Result<std::string> head_commit = RunGit(path, {"rev-parse", "-q", "--verify", "HEAD^{commit}"});
  if (head_commit.ok()) manifest.head_commit = TrimNewlines(*head_commit);

  engine::SnapshotWriter writer(repository, {.chunker = kBundleChunker, .progress = progress});
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<engine::StreamFile> file, writer.Open(kBundleFile));

  // verify reads the bundle from a pipe we feed as the bytes go by: it needs a file or stdin,
  // and a pipe is the one that costs no second copy of the bundle on disk.
  int verify_pipe[2];
  if (pipe2(verify_pipe, O_CLOEXEC) != 0) return ErrnoError(errno, "creating a pipe");
  Result<std::unique_ptr<ChildProcess>> verify_started =
      ChildProcess::Start({"git", "-C", path, "bundle", "verify", "--quiet", "/dev/stdin"},
                          {.capture_stderr = true, .stdin_fd = verify_pipe[0]});
  close(verify_pipe[0]);
  if (!verify_started.ok()) {
    close(verify_pipe[1]);
    return verify_started.status();
  }
  std::unique_ptr<ChildProcess> verify = std::move(verify_started).value();
  OutputTail verify_said(verify->stderr_fd(), -1);
  OutputTail verify_stdout(verify->stdout_fd(), -1);

  // git's own progress and errors go to our stderr as they come.
  Result<std::unique_ptr<ChildProcess>> create_started = ChildProcess::Start(
      {"git", "-C", path, "bundle", "create", "--quiet", "-", "--all"}, {.capture_stderr = true});
  if (!create_started.ok()) {
    close(verify_pipe[1]);
    return create_started.status();
  }
  std::unique_ptr<ChildProcess> create = std::move(create_started).value();
  OutputTail create_said(create->stderr_fd(), STDERR_FILENO);

  StreamedBundle bundle;
  Status streamed = StreamBundle(create->stdout_fd(), *file, verify_pipe[1], bundle);
  close(verify_pipe[1]);
  if (!streamed.ok()) create->Terminate();
  const std::string create_tail = create_said.Finish(3);
  Status created = create->Wait();
  verify_stdout.Finish();
  const std::string verify_tail = verify_said.Finish(3);
  Status verified = verify->Wait();
  LIFEBOAT_RETURN_IF_ERROR(streamed);
  if (!created.ok()) {
    return IoError("`git bundle create --all` of " + path + " " + create->exit().Describe() +
                   (create_tail.empty() ? "" : ": " + create_tail));
  }
  if (!verified.ok()) {
    return CorruptionError("`git bundle verify` rejected the bundle of " + path + " (it " +
                           verify->exit().Describe() + ")" +
                           (verify_tail.empty() ? "" : ": " + verify_tail))
        .WithHint("run `git fsck` in the repository");
  }
  LIFEBOAT_ASSIGN_OR_RETURN(BundleHeader header, ParseBundleHeader(bundle.header));
  LIFEBOAT_ASSIGN_OR_RETURN(manifest.refs, MatchBundleRefs(listed, header));
  manifest.bundle_bytes = bundle.bytes;
  manifest.bundle_sha256 = bundle.sha256;
  LIFEBOAT_RETURN_IF_ERROR(file->Close().status());
  file.reset();

  const std::string manifest_json = GitManifestToJson(manifest);
  LIFEBOAT_RETURN_IF_ERROR(WriteManifestFile(writer, manifest_json));
  LIFEBOAT_ASSIGN_OR_RETURN(engine::BackupResult backup,
                            writer.Commit(SourceSnapshot(options, "git", {path}, manifest_json)));
  return GitBackupResult{std::move(backup), std::move(manifest)};
}

}  // namespace lifeboat::sources::git
