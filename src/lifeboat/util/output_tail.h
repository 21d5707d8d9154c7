// OutputTail: drains a child's stderr in a thread of its own, passing it on (to our stderr, so
// the user and a daemon's log see it as it comes) and keeping its last lines, so an error about
// the child can say what the child said last. Without a reader, a child writing much to a pipe
// would block, and with it whoever waits for the child's stdout.
//
// Use: construct right after starting the child with its stderr_fd(), read the child's stdout,
// then call Finish() before ChildProcess::Wait() (which closes the descriptor). Finish() and the
// destructor are called from the constructing thread.
#pragma once

#include <string>
#include <string_view>
#include <thread>

namespace lifeboat {

class OutputTail {
 public:
  // forward_fd: where to copy the output as it comes (-1: nowhere). Keeps at most max_bytes.
  OutputTail(int fd, int forward_fd, size_t max_bytes = 4096);
  ~OutputTail();
  OutputTail(const OutputTail&) = delete;
  OutputTail& operator=(const OutputTail&) = delete;

  // Waits for the end of the output; returns its last `max_lines` lines (TailLines).
  std::string Finish(size_t max_lines = 10);

 private:
  int fd_;
  int forward_fd_;
  size_t max_bytes_;
  std::string kept_;
  std::thread reader_;
};

// The last `max_lines` non-empty lines of `text`, joined by '\n', without a final newline; a
// line cut off at the front by the byte limit counts as a line.
std::string TailLines(std::string_view text, size_t max_lines);

}  // namespace lifeboat
