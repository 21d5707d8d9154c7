#include "lifeboat/util/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace lifeboat {

namespace {

// Closes a pipe end and the spawn state on every path out of Start().
struct SpawnResources {
  int pipe_fds[2] = {-1, -1};
  int err_fds[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  bool actions_ready = false;
  bool attributes_ready = false;
  ~SpawnResources() {
    for (int fd : pipe_fds) {
      if (fd >= 0) close(fd);
    }
    for (int fd : err_fds) {
      if (fd >= 0) close(fd);
    }
    if (actions_ready) posix_spawn_file_actions_destroy(&actions);
    if (attributes_ready) posix_spawnattr_destroy(&attributes);
  }
};

}  // namespace

Result<std::unique_ptr<ChildProcess>> ChildProcess::Start(const std::vector<std::string>& argv,
                                                          const ChildOptions& options) {
  if (argv.empty() || argv.front().empty()) return InvalidArgumentError("no command given");
  const std::string& name = argv.front();
  SpawnResources resources;
  // O_CLOEXEC keeps the pipe out of any other child; dup2 onto fd 1 clears it for this one.
  if (pipe2(resources.pipe_fds, O_CLOEXEC) != 0) return ErrnoError(errno, "creating a pipe");
  if (posix_spawn_file_actions_init(&resources.actions) != 0) {
    return InternalError("posix_spawn_file_actions_init failed");
  }
  resources.actions_ready = true;
  if (options.capture_stdout) {
    posix_spawn_file_actions_adddup2(&resources.actions, resources.pipe_fds[1], STDOUT_FILENO);
  }
  if (options.capture_stderr) {
    if (pipe2(resources.err_fds, O_CLOEXEC) != 0) return ErrnoError(errno, "creating a pipe");
    posix_spawn_file_actions_adddup2(&resources.actions, resources.err_fds[1], STDERR_FILENO);
  }
  if (options.stdin_fd >= 0) {
    posix_spawn_file_actions_adddup2(&resources.actions, options.stdin_fd, STDIN_FILENO);
  }
  if (posix_spawnattr_init(&resources.attributes) != 0) {
    return InternalError("posix_spawnattr_init failed");
  }
  resources.attributes_ready = true;
  // We block SIGINT and SIGTERM for the interrupt watcher thread; the child must not inherit
  // that, or Ctrl-C would not stop it. SIGPIPE goes back to its default so a producer whose
  // reader went away stops instead of spinning on EPIPE.
  sigset_t empty_mask, default_signals;
  sigemptyset(&empty_mask);
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGINT);
  sigaddset(&default_signals, SIGTERM);
  sigaddset(&default_signals, SIGPIPE);
  posix_spawnattr_setsigmask(&resources.attributes, &empty_mask);
  posix_spawnattr_setsigdefault(&resources.attributes, &default_signals);
  posix_spawnattr_setflags(&resources.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  // The environment: ours, minus the names options.environment sets, plus those.
  std::vector<char*> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const char* equals = std::strchr(*entry, '=');
    const size_t name_length = equals ? static_cast<size_t>(equals - *entry) : std::strlen(*entry);
    bool replaced = false;
    for (const std::string& set : options.environment) {
      if (set.size() > name_length && set[name_length] == '=' &&
          set.compare(0, name_length, *entry, name_length) == 0) {
        replaced = true;
      }
    }
    if (!replaced) environment.push_back(*entry);
  }
  for (const std::string& set : options.environment) {
    environment.push_back(const_cast<char*>(set.c_str()));
  }
  environment.push_back(nullptr);
  pid_t pid = 0;
  const int error = posix_spawnp(&pid, name.c_str(), &resources.actions, &resources.attributes,
                                 args.data(), environment.data());
  if (error != 0) return ErrnoError(error, "cannot run `" + name + "`");
  close(resources.pipe_fds[1]);
  resources.pipe_fds[1] = -1;
  int read_fd = -1;
  if (options.capture_stdout) {
    read_fd = resources.pipe_fds[0];
    resources.pipe_fds[0] = -1;
  }
  int err_fd = -1;
  if (options.capture_stderr) {
    close(resources.err_fds[1]);
    resources.err_fds[1] = -1;
    err_fd = resources.err_fds[0];
    resources.err_fds[0] = -1;
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(name, pid, read_fd, err_fd));
}

std::string ChildExit::Describe() const {
  if (exited) return "exited with status " + std::to_string(code);
  const char* abbrev = sigabbrev_np(signal);
  return "was killed by signal " + std::to_string(signal) +
         (abbrev ? std::string(" (SIG") + abbrev + ")" : std::string());
}

ChildProcess::ChildProcess(std::string name, pid_t pid, int stdout_fd, int stderr_fd)
    : name_(std::move(name)), pid_(pid), stdout_fd_(stdout_fd), stderr_fd_(stderr_fd) {
  stop_on_interrupt_ = std::make_unique<InterruptCleanup>([pid] { kill(pid, SIGTERM); });
}

ChildProcess::~ChildProcess() {
  stop_on_interrupt_.reset();
  ClosePipe();
  if (waited_) return;
  kill(pid_, SIGTERM);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void ChildProcess::Terminate() {
  if (!waited_) kill(pid_, SIGTERM);
}

void ChildProcess::ClosePipe() {
  if (stdout_fd_ >= 0) close(stdout_fd_);
  stdout_fd_ = -1;
  if (stderr_fd_ >= 0) close(stderr_fd_);
  stderr_fd_ = -1;
}

Status ChildProcess::Wait() {
  stop_on_interrupt_.reset();
  ClosePipe();
  if (waited_) return Status::Ok();
  int status = 0;
  pid_t reaped;
  do {
    reaped = waitpid(pid_, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  if (reaped < 0) return ErrnoError(errno, "waiting for `" + name_ + "`");
  waited_ = true;
  if (WIFEXITED(status)) {
    exit_ = {.exited = true, .code = WEXITSTATUS(status)};
  } else if (WIFSIGNALED(status)) {
    exit_ = {.exited = false, .signal = WTERMSIG(status)};
  }
  if (WIFEXITED(status)) {
    if (WEXITSTATUS(status) == 0) return Status::Ok();
    return IoError("command `" + name_ + "` exited with status " +
                   std::to_string(WEXITSTATUS(status)));
  }
  if (WIFSIGNALED(status)) {
    return IoError("command `" + name_ + "` was killed by signal " +
                   std::to_string(WTERMSIG(status)));
  }
  return IoError("command `" + name_ + "` ended abnormally");
}

Result<std::string> RunAndCapture(const std::vector<std::string>& argv) {
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<ChildProcess> child, ChildProcess::Start(argv));
  std::string output;
  char buffer[4096];
  while (true) {
    const ssize_t n = read(child->stdout_fd(), buffer, sizeof(buffer));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "reading the output of `" + argv.front() + "`");
    }
    output.append(buffer, static_cast<size_t>(n));
  }
  LIFEBOAT_RETURN_IF_ERROR(child->Wait());
  return output;
}

}  // namespace lifeboat
