#include "lifeboat/cli/password.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <vector>

#include "lifeboat/cli/interrupt.h"
#include "lifeboat/util/child_process.h"

namespace lifeboat::cli {

namespace {

constexpr std::string_view kSourcesHint =
    "give the password with --password-file FILE, --password-command CMD or the "
    "LIFEBOAT_PASSWORD environment variable, or run in a terminal to be asked";

std::optional<std::string> Environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Status WriteToStderr(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = write(STDERR_FILENO, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "writing the password prompt");
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Reads one line from the terminal on stdin with echo off, restoring the terminal on every
// way out, Ctrl-C included.
Result<std::string> PromptOnce(std::string_view prompt) {
  LIFEBOAT_RETURN_IF_ERROR(WriteToStderr(prompt));
  termios saved{};
  const bool have_terminal = tcgetattr(STDIN_FILENO, &saved) == 0;
  auto restore = [&] {
    if (have_terminal) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  };
  InterruptCleanup restore_on_interrupt([&] {
    restore();
    WriteToStderr("\n").IgnoreError();
  });
  if (have_terminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  Status status;
  while (true) {
    char c;
    const ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = ErrnoError(errno, "reading the password from the terminal");
      break;
    }
    if (n == 0) {
      if (line.empty()) status = InvalidArgumentError("no password was entered");
      break;
    }
    if (c == '\n') break;
    line.push_back(c);
  }
  restore();
  if (!status.ok()) return status;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

Result<std::string> Prompt(std::string_view what, bool confirm) {
  LIFEBOAT_ASSIGN_OR_RETURN(std::string first, PromptOnce("enter " + std::string(what) + ": "));
  if (first.empty()) return InvalidArgumentError("the password must not be empty");
  if (!confirm) return first;
  LIFEBOAT_ASSIGN_OR_RETURN(std::string second,
                            PromptOnce("enter " + std::string(what) + " again: "));
  if (first != second) {
    return InvalidArgumentError("the passwords do not match").WithHint("try again");
  }
  return first;
}

Result<std::string> NonEmpty(std::string password, std::string_view source) {
  if (password.empty()) {
    return InvalidArgumentError("the password from " + std::string(source) + " is empty");
  }
  return password;
}

bool ParseUint32(std::string_view text, uint32_t* value) {
  const char* end = text.data() + text.size();
  auto [ptr, error] = std::from_chars(text.data(), end, *value);
  return error == std::errc() && ptr == end && !text.empty();
}

}  // namespace

PasswordSources PasswordSourcesFromEnvironment(std::string command, std::string file) {
  return PasswordSources{.command = std::move(command),
                         .file = std::move(file),
                         .value = Environment("LIFEBOAT_PASSWORD"),
                         .interactive = isatty(STDIN_FILENO) == 1};
}

PasswordSources FromPasswordSourcesFromEnvironment(std::string command, std::string file) {
  return PasswordSources{
      .command = std::move(command),
      .file = std::move(file),
      .value = Environment("LIFEBOAT_FROM_PASSWORD"),
      .interactive = isatty(STDIN_FILENO) == 1,
      .what = "source repository password",
      .value_variable = "LIFEBOAT_FROM_PASSWORD",
      .sources_hint =
          "give the source repository's password with --from-password-file FILE, "
          "--from-password-command CMD or the LIFEBOAT_FROM_PASSWORD environment variable, or "
          "run in a terminal to be asked"};
}

NewPasswordSources NewPasswordSourcesFromEnvironment(std::string file) {
  return NewPasswordSources{.file = std::move(file),
                            .value = Environment("LIFEBOAT_NEW_PASSWORD"),
                            .interactive = isatty(STDIN_FILENO) == 1};
}

Status CheckPasswordSources(const PasswordSources& sources) {
  if (!sources.command.empty() && !sources.file.empty()) {
    return InvalidArgumentError(
               "both a password command and a password file are given; use only one")
        .WithHint(
            "--password-command and --password-file may also come from "
            "LIFEBOAT_PASSWORD_COMMAND and LIFEBOAT_PASSWORD_FILE");
  }
  if (sources.command.empty() && sources.file.empty() && !sources.value && !sources.interactive) {
    // The repository's own password keeps its short, familiar message.
    const std::string what = sources.sources_hint.empty() ? "password" : sources.what;
    return InvalidArgumentError("no " + what + " given, and stdin is not a terminal to ask for one")
        .WithHint(sources.sources_hint.empty() ? std::string(kSourcesHint) : sources.sources_hint);
  }
  return Status::Ok();
}

Status CheckNewPasswordSources(const NewPasswordSources& sources) {
  if (sources.file.empty() && !sources.value && !sources.interactive) {
    return InvalidArgumentError("no new password given, and stdin is not a terminal to ask for one")
        .WithHint(
            "give the new password with --new-password-file FILE or the LIFEBOAT_NEW_PASSWORD "
            "environment variable");
  }
  return Status::Ok();
}

Result<std::string> ReadPassword(const PasswordSources& sources, bool confirm) {
  LIFEBOAT_RETURN_IF_ERROR(CheckPasswordSources(sources));
  if (!sources.command.empty()) {
    LIFEBOAT_ASSIGN_OR_RETURN(std::string password, RunPasswordCommand(sources.command));
    return NonEmpty(std::move(password), "the password command");
  }
  if (!sources.file.empty()) {
    LIFEBOAT_ASSIGN_OR_RETURN(std::string password, ReadPasswordFile(sources.file));
    return NonEmpty(std::move(password), "password file " + sources.file);
  }
  if (sources.value) return NonEmpty(*sources.value, sources.value_variable);
  return Prompt(sources.what, confirm);
}

Result<std::string> ReadNewPassword(const NewPasswordSources& sources) {
  LIFEBOAT_RETURN_IF_ERROR(CheckNewPasswordSources(sources));
  if (!sources.file.empty()) {
    LIFEBOAT_ASSIGN_OR_RETURN(std::string password, ReadPasswordFile(sources.file));
    return NonEmpty(std::move(password), "new password file " + sources.file);
  }
  if (sources.value) return NonEmpty(*sources.value, "LIFEBOAT_NEW_PASSWORD");
  return Prompt("new password", /*confirm=*/true);
}

Result<std::string> ReadPasswordFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "reading password file " + path);
  std::string content;
  char buffer[4096];
  Status status;
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      status = ErrnoError(errno, "reading password file " + path);
      break;
    }
    content.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  if (!status.ok()) return status;
  return StripOneTrailingNewline(std::move(content));
}

Result<std::string> RunPasswordCommand(const std::string& command) {
  Result<std::string> output = RunAndCapture({"/bin/sh", "-c", command});
  // The message names /bin/sh, not the command line, which may contain the password itself.
  if (!output.ok()) return output.status().WithContext("running the password command");
  return StripOneTrailingNewline(std::move(output).value());
}

std::string StripOneTrailingNewline(std::string text) {
  if (!text.empty() && text.back() == '\n') {
    text.pop_back();
    if (!text.empty() && text.back() == '\r') text.pop_back();
  }
  return text;
}

Result<crypto::KdfParams> KdfParamsFromEnvironment() {
  std::optional<std::string> text = Environment("LIFEBOAT_KDF_PARAMS");
  if (!text || text->empty()) return crypto::KdfParams{};
  Result<crypto::KdfParams> params = ParseKdfParams(*text);
  if (!params.ok()) return params.status().WithContext("LIFEBOAT_KDF_PARAMS");
  return params;
}

Result<crypto::KdfParams> ParseKdfParams(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    fields.push_back(text.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  crypto::KdfParams params;
  if (fields.size() != 3 || !ParseUint32(fields[0], &params.time_cost) ||
      !ParseUint32(fields[1], &params.memory_kib) || !ParseUint32(fields[2], &params.parallelism)) {
    return InvalidArgumentError(
        "expected \"time,memory_kib,parallelism\", e.g. \"3,65536,2\"; got \"" + std::string(text) +
        "\"");
  }
  // The same bounds crypto::DeriveKey enforces, checked here so a typo is a usage error and
  // not a failure halfway through creating a key.
  if (params.time_cost < 1 || params.time_cost > 100 || params.parallelism < 1 ||
      params.parallelism > 64 || params.memory_kib < 8 * params.parallelism ||
      params.memory_kib > 4194304) {
    return InvalidArgumentError(
        "out of range: time 1..100, parallelism 1..64, memory_kib 8*parallelism..4194304");
  }
  return params;
}

}  // namespace lifeboat::cli
