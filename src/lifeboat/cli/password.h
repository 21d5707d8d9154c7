// Where the repository password comes from. In order of precedence:
//   --password-command CMD (LIFEBOAT_PASSWORD_COMMAND)  run with /bin/sh -c, its stdout
//   --password-file FILE (LIFEBOAT_PASSWORD_FILE)       the file's content
//   LIFEBOAT_PASSWORD                                   the variable's value
//   a prompt without echo, when stdin is a terminal     asked twice for a new password
// A command's output or a file's content loses one trailing newline ("\n" or "\r\n"), so
// `echo secret > file` works; other whitespace is part of the password. Giving both a command
// and a file is a usage error, as is having no source at all.
//
// New passwords (key add, key passwd) come from --new-password-file, LIFEBOAT_NEW_PASSWORD or a
// prompt, in that order.
//
// Passwords are never printed, not even in error messages.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lifeboat/crypto/kdf.h"
#include "lifeboat/util/result.h"

namespace lifeboat::cli {

// Built by designated initializer; every member has an initializer so omitted ones do not warn.
struct PasswordSources {
  std::string command = {};
  std::string file = {};
  std::optional<std::string> value = {};  // LIFEBOAT_PASSWORD
  bool interactive = false;               // stdin is a terminal
  // Which password this is, for prompts and messages, and where it can come from, for the hint
  // when there is no source: the source repository's password of `copy` has its own options.
  std::string what = "repository password";
  std::string value_variable = "LIFEBOAT_PASSWORD";
  std::string sources_hint = {};  // empty: the hint for --password-file / --password-command
};

struct NewPasswordSources {
  std::string file = {};
  std::optional<std::string> value = {};  // LIFEBOAT_NEW_PASSWORD
  bool interactive = false;
};

// Fills value and interactive from the environment and stdin; command and file come from the
// command line (which CLI11 already defaults from their variables).
PasswordSources PasswordSourcesFromEnvironment(std::string command, std::string file);
NewPasswordSources NewPasswordSourcesFromEnvironment(std::string file);
// The source repository's password for `copy`: --from-password-command,
// --from-password-file (LIFEBOAT_FROM_PASSWORD_COMMAND, LIFEBOAT_FROM_PASSWORD_FILE) and
// LIFEBOAT_FROM_PASSWORD, in the same order of precedence.
PasswordSources FromPasswordSourcesFromEnvironment(std::string command, std::string file);

// kInvalidArgument, meant as a usage error, when no source is available or both a command and
// a file are given. Reads nothing.
Status CheckPasswordSources(const PasswordSources& sources);
Status CheckNewPasswordSources(const NewPasswordSources& sources);

// Reads the password. `confirm` asks twice when prompting (a password being created). Fails
// with kInvalidArgument for an empty password or mismatched confirmation, and with the
// underlying error (naming the file or command) when a source cannot be read.
Result<std::string> ReadPassword(const PasswordSources& sources, bool confirm);
Result<std::string> ReadNewPassword(const NewPasswordSources& sources);

// The building blocks, exposed for tests.
Result<std::string> ReadPasswordFile(const std::string& path);
Result<std::string> RunPasswordCommand(const std::string& command);
std::string StripOneTrailingNewline(std::string text);

// Argon2id cost for keys created by this process: crypto::KdfParams{} (the production
// default), unless LIFEBOAT_KDF_PARAMS="time,memory_kib,parallelism" overrides it. The
// override exists so tests can create keys in milliseconds; never use weak costs for a real
// repository. kInvalidArgument when the variable is malformed.
Result<crypto::KdfParams> KdfParamsFromEnvironment();
Result<crypto::KdfParams> ParseKdfParams(std::string_view text);

}  // namespace lifeboat::cli
