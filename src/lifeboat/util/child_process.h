// Running another program whose standard output we read: `backup --stdin-from-command` streams
// it into a snapshot, `--password-command` reads a password from it, `pg backup` reads pg_dump.
// The child inherits stdin and stderr, so its own messages reach the user; the signals this
// process blocks (SIGINT and SIGTERM, see cli/interrupt.h) are unblocked in the child, and if
// lifeboat is interrupted while the child runs, the child gets SIGTERM. A ChildProcess is used
// from one thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "lifeboat/util/interrupt_cleanup.h"
#include "lifeboat/util/result.h"

namespace lifeboat {

struct ChildOptions {
  // Added to (or replacing in) the inherited environment, as NAME=VALUE: how secrets such as
  // PGPASSWORD reach a child without showing in its command line.
  std::vector<std::string> environment = {};
  // false: the child writes to our stdout instead of a pipe; stdout_fd() is then -1.
  bool capture_stdout = true;
  // true: the child's stderr goes to a pipe read through stderr_fd() instead of ours, for a
  // caller that passes it on and keeps its last lines for an error message.
  bool capture_stderr = false;
  // >= 0: the child reads its stdin from this descriptor (the caller keeps and closes it)
  // instead of inheriting ours — the read end of a pipe the caller feeds.
  int stdin_fd = -1;
};

// How a child ended, from its wait status.
struct ChildExit {
  bool exited = false;  // true: `code` holds its exit status; false: killed by `signal`
  int code = 0;
  int signal = 0;
  // "exited with status 3", "was killed by signal 9 (SIGKILL)".
  std::string Describe() const;
};

class ChildProcess {
 public:
  // Starts argv[0], searched in PATH like a shell does, with stdout connected to a pipe.
  // kNotFound / kPermissionDenied when the program cannot be run.
  static Result<std::unique_ptr<ChildProcess>> Start(const std::vector<std::string>& argv,
                                                     const ChildOptions& options = {});

  // If the child was not waited for, closes the pipe, sends SIGTERM and reaps it, so that an
  // aborted backup leaves no process behind.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The read end of the child's stdout; owned by this object.
  int stdout_fd() const { return stdout_fd_; }
  // The read end of the child's stderr with capture_stderr, else -1; owned by this object and
  // closed by Wait() and the destructor (read it to its end before Wait()).
  int stderr_fd() const { return stderr_fd_; }

  // Sends SIGTERM and leaves the pipe open, so a thread reading it sees the end of the output
  // rather than a closed descriptor. Wait() or the destructor still reaps the child.
  void Terminate();

  // Closes the pipe and waits for the child to exit. Ok for exit status 0; otherwise an error
  // naming the program and its exit status or signal.
  Status Wait();

  // After Wait(): how the child ended.
  const ChildExit& exit() const { return exit_; }

 private:
  ChildProcess(std::string name, pid_t pid, int stdout_fd, int stderr_fd);
  void ClosePipe();

  std::string name_;
  pid_t pid_;
  int stdout_fd_;
  int stderr_fd_;
  ChildExit exit_;
  bool waited_ = false;
  // Until the child is reaped its pid cannot be reused, so the cleanup may signal it safely.
  std::unique_ptr<InterruptCleanup> stop_on_interrupt_;
};

// Runs argv to completion and returns everything it wrote to stdout; fails like Wait() when
// it exits non-zero.
Result<std::string> RunAndCapture(const std::vector<std::string>& argv);

}  // namespace lifeboat
