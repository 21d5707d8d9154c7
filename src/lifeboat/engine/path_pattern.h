// Glob patterns for --include and --exclude, with the semantics restic users know:
//   *   any run of characters except '/'        ?   one character except '/'
//   **  any run of characters including '/'     [abc] [a-z] [!a]  character classes
// A pattern starting with '/' is anchored at the root of the snapshot (the absolute path);
// any other pattern matches any trailing run of path components ("*.tmp" matches
// "/srv/a/b.tmp", "uploads/**" matches "/srv/app/uploads/x/y"). Paths are '/'-separated byte
// strings and need not be valid UTF-8. Immutable and thread-safe after construction.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lifeboat/util/result.h"

namespace lifeboat::engine {

class PathPattern {
 public:
  // kInvalidArgument for an empty pattern or an unterminated character class.
  static Result<PathPattern> Parse(std::string_view pattern);

  const std::string& text() const { return text_; }

  // True if the pattern matches `path` (an absolute path like "/srv/app/uploads/a.jpg").
  bool Matches(std::string_view path) const;

  // True if some descendant of directory `path` could match (so a restore with --include must
  // descend into it). Conservative: may return true when nothing below matches.
  bool CouldMatchBelow(std::string_view directory_path) const;

 private:
  std::string text_;
  bool anchored_ = false;
};

// A set of patterns; matches when any pattern does.
class PathPatternSet {
 public:
  static Result<PathPatternSet> Parse(const std::vector<std::string>& patterns);
  bool empty() const { return patterns_.empty(); }
  bool Matches(std::string_view path) const;
  bool CouldMatchBelow(std::string_view directory_path) const;

 private:
  std::vector<PathPattern> patterns_;
};

}  // namespace lifeboat::engine
