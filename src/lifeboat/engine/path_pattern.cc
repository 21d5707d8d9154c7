#include "lifeboat/engine/path_pattern.h"

#include <algorithm>
#include <bitset>
#include <cstdint>
#include <utility>

#include "lifeboat/util/check.h"

// Patterns compile to a small NFA that is simulated one path byte at a time with a set of live
// states (as in Thompson's construction), so matching costs O(path length × pattern length)
// whatever the pattern: "*a*a*a*a*b" cannot backtrack exponentially.
//
// Decisions beyond the header:
//  - A whole component "**" also matches zero components: "a/**/b" matches "a/b", and a trailing
//    "/**" matches the directory itself, so "uploads/**" matches "/srv/uploads" as well as
//    everything below it. "**" inside a component ("a**b") is just "any bytes, '/' included".
//  - Character classes never match '/', negated or not, like '*' and '?'. "[!a]" and "[^a]" both
//    negate; a ']' right after "[" or "[!" is literal; "[z-a]" matches nothing. There is no
//    backslash escape (a backslash is an ordinary byte); "[*]" and "[[]" match a literal '*' and
//    '['. A leading '.' is not special: "*" matches ".cache".
//  - Repeated '/' in a pattern count as one, and trailing '/' are ignored, so "cache/" matches an
//    entry named cache whatever its type. A trailing '/' on the matched path is ignored too.
namespace lifeboat::engine {
namespace {

using ByteClass = std::bitset<256>;

enum class TokenKind : uint8_t {
  kByte,
  kAnyButSlash,    // ?
  kClass,          // [...]
  kStar,           // *
  kDoubleStar,     // ** inside a component: any bytes
  kAnyComponents,  // "**/" as whole components: empty, or any bytes ending in '/'
  kSlashAnything,  // "/**" at the end: empty, or '/' followed by any bytes
};

struct Token {
  TokenKind kind = TokenKind::kByte;
  uint8_t byte = 0;
  int class_index = 0;
};

enum class Op : uint8_t { kByte, kAnyButSlash, kAny, kClass, kSplit, kMatch };

struct Instruction {
  Op op = Op::kMatch;
  uint8_t byte = 0;
  int class_index = 0;
  int next = 0;         // where a consuming op goes after its byte; a split's first branch
  int alternative = 0;  // a split's second branch
};

struct Program {
  std::vector<Instruction> code;
  std::vector<ByteClass> classes;
  // Set for unanchored patterns that cannot span a '/' ("*.tmp", "node_modules", the common
  // case): they can only match the last component, so only that needs to be fed to the machine.
  bool last_component_only = false;
};

bool IsSlash(const Token& token) { return token.kind == TokenKind::kByte && token.byte == '/'; }

Status BadPattern(std::string_view text, std::string_view why) {
  return InvalidArgumentError("invalid pattern \"" + std::string(text) + "\": " + std::string(why));
}

// Parses the class whose '[' is at text[*pos]; leaves *pos after the closing ']'.
Result<ByteClass> ParseClass(std::string_view text, size_t* pos) {
  size_t i = *pos + 1;
  bool negate = false;
  if (i < text.size() && (text[i] == '!' || text[i] == '^')) {
    negate = true;
    ++i;
  }
  ByteClass members;
  bool first = true;
  while (true) {
    if (i >= text.size()) {
      return BadPattern(text, "unterminated character class")
          .WithHint("write [[] to match a literal '['");
    }
    auto c = static_cast<uint8_t>(text[i]);
    if (c == ']' && !first) {
      ++i;
      break;
    }
    first = false;
    if (i + 2 < text.size() && text[i + 1] == '-' && text[i + 2] != ']') {
      auto high = static_cast<uint8_t>(text[i + 2]);
      for (unsigned b = c; b <= high; ++b) members.set(b);
      i += 3;
    } else {
      members.set(c);
      ++i;
    }
  }
  if (negate) members.flip();
  members.reset('/');
  *pos = i;
  return members;
}

Result<std::vector<Token>> Tokenize(std::string_view text, std::vector<ByteClass>* classes) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '*') {
      size_t run_end = text.find_first_not_of('*', i);
      if (run_end == std::string_view::npos) run_end = text.size();
      tokens.push_back({run_end - i == 1 ? TokenKind::kStar : TokenKind::kDoubleStar});
      i = run_end;
    } else if (c == '?') {
      tokens.push_back({TokenKind::kAnyButSlash});
      ++i;
    } else if (c == '[') {
      LIFEBOAT_ASSIGN_OR_RETURN(ByteClass members, ParseClass(text, &i));
      classes->push_back(members);
      tokens.push_back({TokenKind::kClass, 0, static_cast<int>(classes->size() - 1)});
    } else {
      Token token{TokenKind::kByte, static_cast<uint8_t>(c)};
      if (!(IsSlash(token) && !tokens.empty() && IsSlash(tokens.back()))) tokens.push_back(token);
      ++i;
    }
  }
  while (tokens.size() > 1 && IsSlash(tokens.back())) tokens.pop_back();
  return tokens;
}

// Turns "**" standing as a whole component into the tokens that also match zero components.
std::vector<Token> RewriteWholeComponentStars(const std::vector<Token>& tokens) {
  std::vector<Token> out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& token = tokens[i];
    if (token.kind == TokenKind::kDoubleStar) {
      bool starts_component =
          out.empty() || IsSlash(out.back()) || out.back().kind == TokenKind::kAnyComponents;
      bool ends_pattern = i + 1 == tokens.size();
      if (starts_component && !ends_pattern && IsSlash(tokens[i + 1])) {
        out.push_back({TokenKind::kAnyComponents});
        ++i;
        continue;
      }
      if (starts_component && ends_pattern) {
        // "(.*/)?" followed by ".*" is just ".*", so "a/**/**" is "a/**".
        while (!out.empty() && out.back().kind == TokenKind::kAnyComponents) out.pop_back();
        if (!out.empty() && IsSlash(out.back())) {
          out.back() = {TokenKind::kSlashAnything};
          continue;
        }
      }
    }
    out.push_back(token);
  }
  return out;
}

Program Assemble(const std::vector<Token>& tokens, std::vector<ByteClass> classes) {
  Program program;
  program.classes = std::move(classes);
  std::vector<Instruction>& code = program.code;
  auto pc = [&code] { return static_cast<int>(code.size()); };
  auto consume = [&code](Op op, int next, uint8_t byte = 0, int class_index = 0) {
    code.push_back({op, byte, class_index, next, 0});
  };
  auto split = [&code](int first, int second) {
    code.push_back({Op::kSplit, 0, 0, first, second});
  };
  for (const Token& token : tokens) {
    int start = pc();
    switch (token.kind) {
      case TokenKind::kByte:
        consume(Op::kByte, start + 1, token.byte);
        break;
      case TokenKind::kAnyButSlash:
        consume(Op::kAnyButSlash, start + 1);
        break;
      case TokenKind::kClass:
        consume(Op::kClass, start + 1, 0, token.class_index);
        break;
      case TokenKind::kStar:
        split(start + 1, start + 2);
        consume(Op::kAnyButSlash, start);
        break;
      case TokenKind::kDoubleStar:
        split(start + 1, start + 2);
        consume(Op::kAny, start);
        break;
      case TokenKind::kAnyComponents:
        split(start + 1, start + 4);
        split(start + 2, start + 3);
        consume(Op::kAny, start + 1);
        consume(Op::kByte, start + 4, '/');
        break;
      case TokenKind::kSlashAnything:
        split(start + 1, start + 4);
        consume(Op::kByte, start + 2, '/');
        split(start + 3, start + 4);
        consume(Op::kAny, start + 2);
        break;
    }
  }
  code.push_back({Op::kMatch});
  return program;
}

Result<Program> Compile(std::string_view text) {
  if (text.empty()) return BadPattern(text, "empty pattern");
  std::vector<ByteClass> classes;
  LIFEBOAT_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text, &classes));
  bool anchored = text.front() == '/';
  bool single_component =
      !anchored && std::none_of(tokens.begin(), tokens.end(), [](const Token& token) {
        return IsSlash(token) || token.kind == TokenKind::kDoubleStar;
      });
  if (!anchored && !single_component) {
    // Unanchored: "/" then any number of whole components, then the pattern.
    tokens.insert(tokens.begin(), {Token{TokenKind::kByte, '/'}, Token{TokenKind::kAnyComponents}});
  }
  Program program = Assemble(RewriteWholeComponentStars(tokens), std::move(classes));
  program.last_component_only = single_component;
  return program;
}

// The set of NFA states alive after the bytes fed so far.
class Simulation {
 public:
  explicit Simulation(const Program& program) : program_(program), seen_(program.code.size(), 0) {
    ++generation_;
    AddState(current_, 0);
  }

  void Feed(std::string_view bytes) {
    for (char c : bytes) {
      if (current_.empty()) return;
      auto byte = static_cast<uint8_t>(c);
      ++generation_;
      next_.clear();
      for (int state : current_) {
        const Instruction& ins = program_.code[state];
        if (Accepts(ins, byte)) AddState(next_, ins.next);
      }
      std::swap(current_, next_);
    }
  }

  bool Alive() const { return !current_.empty(); }

  bool Matched() const {
    return std::any_of(current_.begin(), current_.end(),
                       [this](int state) { return program_.code[state].op == Op::kMatch; });
  }

 private:
  bool Accepts(const Instruction& ins, uint8_t byte) const {
    switch (ins.op) {
      case Op::kByte:
        return byte == ins.byte;
      case Op::kAnyButSlash:
        return byte != '/';
      case Op::kAny:
        return true;
      case Op::kClass:
        return program_.classes[ins.class_index].test(byte);
      case Op::kSplit:
      case Op::kMatch:
        return false;
    }
    return false;
  }

  // Follows splits with an explicit stack, so a long chain of them cannot exhaust the C stack.
  void AddState(std::vector<int>& states, int first) {
    stack_.push_back(first);
    while (!stack_.empty()) {
      int state = stack_.back();
      stack_.pop_back();
      if (seen_[state] == generation_) continue;
      seen_[state] = generation_;
      const Instruction& ins = program_.code[state];
      if (ins.op == Op::kSplit) {
        stack_.push_back(ins.alternative);
        stack_.push_back(ins.next);
      } else {
        states.push_back(state);
      }
    }
  }

  const Program& program_;
  std::vector<uint32_t> seen_;  // generation in which each state was last added
  uint32_t generation_ = 0;
  std::vector<int> current_;
  std::vector<int> next_;
  std::vector<int> stack_;
};

std::string_view WithoutTrailingSlashes(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

// PathPattern keeps only the text, so each call rebuilds the program; compiling is linear in the
// pattern's length. Parse has validated the text, so compiling it again cannot fail.
Program MustCompile(const std::string& text) {
  Result<Program> program = Compile(text);
  LIFEBOAT_CHECK(program.ok(), "a parsed pattern no longer compiles");
  return std::move(program).value();
}

}  // namespace

Result<PathPattern> PathPattern::Parse(std::string_view pattern) {
  LIFEBOAT_RETURN_IF_ERROR(Compile(pattern).status());
  PathPattern parsed;
  parsed.text_ = std::string(pattern);
  parsed.anchored_ = pattern.front() == '/';
  return parsed;
}

bool PathPattern::Matches(std::string_view path) const {
  Program program = MustCompile(text_);
  std::string_view subject = WithoutTrailingSlashes(path);
  if (program.last_component_only) {
    size_t slash = subject.rfind('/');
    if (slash == std::string_view::npos) return false;  // not an absolute path
    subject.remove_prefix(slash + 1);
  }
  Simulation simulation(program);
  simulation.Feed(subject);
  return simulation.Matched();
}

bool PathPattern::CouldMatchBelow(std::string_view directory_path) const {
  // An unanchored pattern can match at any depth.
  if (!anchored_) return true;
  // Every descendant's path starts with directory_path + "/"; if no state survives that prefix,
  // no continuation can match.
  Program program = MustCompile(text_);
  Simulation simulation(program);
  std::string_view directory = WithoutTrailingSlashes(directory_path);
  simulation.Feed(directory);
  if (directory != "/") simulation.Feed("/");
  return simulation.Alive();
}

Result<PathPatternSet> PathPatternSet::Parse(const std::vector<std::string>& patterns) {
  PathPatternSet set;
  for (const std::string& text : patterns) {
    LIFEBOAT_ASSIGN_OR_RETURN(PathPattern pattern, PathPattern::Parse(text));
    set.patterns_.push_back(std::move(pattern));
  }
  return set;
}

bool PathPatternSet::Matches(std::string_view path) const {
  return std::any_of(patterns_.begin(), patterns_.end(),
                     [path](const PathPattern& pattern) { return pattern.Matches(path); });
}

bool PathPatternSet::CouldMatchBelow(std::string_view directory_path) const {
  return std::any_of(patterns_.begin(), patterns_.end(), [directory_path](const PathPattern& p) {
    return p.CouldMatchBelow(directory_path);
  });
}

}  // namespace lifeboat::engine
