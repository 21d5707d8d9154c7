#include "lifeboat/sources/git/git_tool.h"

#include <unistd.h>

#include <cerrno>

#include "lifeboat/util/child_process.h"
#include "lifeboat/util/output_tail.h"

namespace lifeboat::sources::git {

Result<std::string> GitVersion() {
  Result<std::string> output = RunAndCapture({"git", "--version"});
  if (!output.ok()) {
    if (output.status().code() == StatusCode::kNotFound) {
      return NotFoundError("git is not installed: `git` was not found in PATH")
          .WithHint("install git (Debian: apt-get install git)");
    }
    return output.status();
  }
  // "git version 2.39.5" (some builds add " (Apple Git-...)").
  std::string version = TrimNewlines(*output);
  if (version.starts_with("git version ")) version = version.substr(12);
  return version.substr(0, version.find(' '));
}

Result<std::string> RunGit(const std::string& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git", "-C", dir};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string what = "git";
  for (const std::string& arg : args) what += " " + arg;
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<ChildProcess> child,
                            ChildProcess::Start(argv, {.capture_stderr = true}));
  OutputTail tail(child->stderr_fd(), -1);
  std::string output;
  char buffer[8192];
  while (true) {
    const ssize_t n = read(child->stdout_fd(), buffer, sizeof(buffer));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "reading the output of `" + what + "`");
    }
    output.append(buffer, static_cast<size_t>(n));
  }
  const std::string said = tail.Finish(3);
  if (!child->Wait().ok()) {
    return IoError("`" + what + "` in " + dir + " " + child->exit().Describe() +
                   (said.empty() ? "" : ": " + said));
  }
  return output;
}

std::string TrimNewlines(std::string output) {
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  return output;
}

}  // namespace lifeboat::sources::git
