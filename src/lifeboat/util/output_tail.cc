#include "lifeboat/util/output_tail.h"

#include <unistd.h>

#include <cerrno>
#include <vector>

namespace lifeboat {

OutputTail::OutputTail(int fd, int forward_fd, size_t max_bytes)
    : fd_(fd), forward_fd_(forward_fd), max_bytes_(max_bytes) {
  reader_ = std::thread([this] {
    char buffer[4096];
    while (true) {
      const ssize_t n = read(fd_, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      if (forward_fd_ >= 0) {
        // Best effort: a closed or full stderr must not stop the child or lose the tail.
        size_t done = 0;
        while (done < static_cast<size_t>(n)) {
          const ssize_t w = write(forward_fd_, buffer + done, static_cast<size_t>(n) - done);
          if (w < 0 && errno == EINTR) continue;
          if (w <= 0) break;
          done += static_cast<size_t>(w);
        }
      }
      kept_.append(buffer, static_cast<size_t>(n));
      if (kept_.size() > 2 * max_bytes_) kept_.erase(0, kept_.size() - max_bytes_);
    }
  });
}

OutputTail::~OutputTail() {
  if (reader_.joinable()) reader_.join();
}

std::string OutputTail::Finish(size_t max_lines) {
  if (reader_.joinable()) reader_.join();
  if (kept_.size() > max_bytes_) kept_.erase(0, kept_.size() - max_bytes_);
  return TailLines(kept_, max_lines);
}

std::string TailLines(std::string_view text, size_t max_lines) {
  std::vector<std::string_view> lines;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) lines.push_back(line);
    begin = end + 1;
  }
  std::string out;
  const size_t first = lines.size() > max_lines ? lines.size() - max_lines : 0;
  for (size_t i = first; i < lines.size(); ++i) {
    if (!out.empty()) out += '\n';
    out += lines[i];
  }
  return out;
}

}  // namespace lifeboat
