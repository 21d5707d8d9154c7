// Running the git program for the git source: finding it (a clear error when it is missing),
// its version, and one-shot commands against a repository whose output is wanted.
#pragma once

#include <string>
#include <vector>

#include "lifeboat/util/result.h"

namespace lifeboat::sources::git {

// "2.39.5" from `git --version`. kNotFound, with an install hint, when git cannot be run.
Result<std::string> GitVersion();

// Runs `git -C dir ARGS...` and returns its stdout; an error naming the git command, with the
// last lines git wrote to stderr, when it exits non-zero.
Result<std::string> RunGit(const std::string& dir, const std::vector<std::string>& args);

// `output` without its trailing newlines.
std::string TrimNewlines(std::string output);

}  // namespace lifeboat::sources::git
