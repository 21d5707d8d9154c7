#include "lifeboat/engine/path_pattern.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lifeboat::engine {
namespace {

struct MatchCase {
  std::string pattern;
  std::string path;
  bool matches;
};

void ExpectMatchResults(const std::vector<MatchCase>& cases) {
  for (const MatchCase& c : cases) {
    SCOPED_TRACE("pattern \"" + c.pattern + "\", path \"" + c.path + "\"");
    Result<PathPattern> pattern = PathPattern::Parse(c.pattern);
    ASSERT_TRUE(pattern.ok()) << pattern.status().ToString();
    EXPECT_EQ(pattern->Matches(c.path), c.matches);
  }
}

TEST(PathPattern, StarMatchesWithinOneComponent) {
  ExpectMatchResults({
      {"*.tmp", "/a/b.tmp", true},
      {"*.tmp", "/b.tmp", true},
      {"*.tmp", "/a/.tmp", true},
      {"*", "/a/.cache", true},
      {"*", "/a/.cache", true},
      {"*.tmp", "/a/b.tmpx", false},
      {"*.tmp", "/a/b.tmp/c", false},
      {"a*c", "/abbbc", true},
      {"a*c", "/ac", true},
      {"a*c", "/ab/c", false},
      {"/a/*", "/a/b", true},
      {"/a/*", "/a/b/c", false},
  });
}

TEST(PathPattern, QuestionMarkMatchesOneByteExceptSlash) {
  ExpectMatchResults({
      {"?", "/a", true},
      {"?", "/ab", false},
      {"a?c", "/abc", true},
      {"a?c", "/ac", false},
      {"a?c", "/a/c", false},
      // Bytes, not characters: "é" is two bytes in UTF-8.
      {"?", "/\xc3\xa9", false},
      {"??", "/\xc3\xa9", true},
  });
}

TEST(PathPattern, UnanchoredPatternMatchesAnyTrailingRunOfComponents) {
  ExpectMatchResults({
      {"b", "/b", true},
      {"b", "/a/b", true},
      {"b", "/a/b/c", false},
      {"b", "/ab", false},
      {"a/b", "/a/b", true},
      {"a/b", "/x/y/a/b", true},
      {"a/b", "/xa/b", false},
      {"a/*.tmp", "/x/a/b.tmp", true},
      {"a/*.tmp", "/x/a/c/b.tmp", false},
  });
}

TEST(PathPattern, AnchoredPatternMatchesFromTheRoot) {
  ExpectMatchResults({
      {"/a/*.tmp", "/a/b.tmp", true},
      {"/a/*.tmp", "/x/a/b.tmp", false},
      {"/a/*.tmp", "/a/c/b.tmp", false},
      {"/srv/app", "/srv/app", true},
      // A pattern naming a directory does not match what is inside it; "/srv/app/**" does.
      {"/srv/app", "/srv/app/x", false},
      {"/", "/", true},
      {"/", "/a", false},
  });
}

TEST(PathPattern, CharacterClasses) {
  ExpectMatchResults({
      {"[abc].txt", "/b.txt", true},
      {"[abc].txt", "/d.txt", false},
      {"[a-c]x", "/bx", true},
      {"[a-c]x", "/dx", false},
      {"[!a]x", "/bx", true},
      {"[!a]x", "/ax", false},
      {"[^a]x", "/bx", true},
      {"[^a]x", "/ax", false},
      {"[a-cx-z]", "/y", true},
      {"[a-cx-z]", "/m", false},
      {"[]]", "/]", true},
      {"[!]]", "/]", false},
      {"[!]]", "/a", true},
      {"[a-]", "/-", true},
      {"[*]", "/*", true},
      {"[*]", "/a", false},
      {"[[]", "/[", true},
      {"[z-a]", "/m", false},
      // Classes never match the separator, even negated ones.
      {"a[/]b", "/a/b", false},
      {"a[!x]b", "/a/b", false},
  });
}

TEST(PathPattern, DoubleStarCrossesSlashes) {
  ExpectMatchResults({
      {"**", "/", true},
      {"**", "/anything/at/all", true},
      {"/srv/**/*.log", "/srv/a.log", true},
      {"/srv/**/*.log", "/srv/x/y/a.log", true},
      {"/srv/**/*.log", "/var/srv/a.log", false},
      {"a**b", "/ab", true},
      {"a**b", "/axb", true},
      {"a**b", "/a/x/b", true},
      {"a**b", "/a/x/c", false},
      {"/**", "/", true},
      {"/**", "/a/b", true},
  });
}

TEST(PathPattern, WholeComponentDoubleStarMatchesZeroComponents) {
  ExpectMatchResults({
      {"a/**/b", "/a/b", true},
      {"a/**/b", "/a/x/b", true},
      {"a/**/b", "/a/x/y/b", true},
      {"a/**/b", "/q/a/b", true},
      {"a/**/b", "/a/xb", false},
      {"**/b", "/b", true},
      {"**/b", "/x/y/b", true},
      {"**/b", "/xb", false},
      {"a/**/**/b", "/a/b", true},
      {"a/**/**", "/a", true},
  });
}

TEST(PathPattern, TrailingDoubleStarMatchesTheDirectoryItselfAndBelow) {
  ExpectMatchResults({
      {"uploads/**", "/srv/uploads", true},
      {"uploads/**", "/srv/uploads/x", true},
      {"uploads/**", "/srv/app/uploads/x/y", true},
      {"uploads/**", "/srv/uploadsx", false},
      {"uploads/**", "/srv/myuploads/x", false},
      {"/srv/app/**", "/srv/app", true},
      {"/srv/app/**", "/srv/application", false},
  });
}

TEST(PathPattern, IgnoresRepeatedAndTrailingSlashes) {
  ExpectMatchResults({
      {"cache/", "/home/u/cache", true},
      {"a//b", "/a/b", true},
      {"///", "/", true},
      {"b", "/a/b/", true},
  });
}

TEST(PathPattern, MatchesBytesThatAreNotUtf8) {
  ExpectMatchResults({
      {"\xff*", "/a/\xff\xfe", true},
      {"\xff*", "/a/\xfe\xff", false},
      {"[\x80-\xff]", "/\xc3", true},
      {"[\x80-\xff]", "/a", false},
      {"/\xfe/**", "/\xfe/x", true},
      // No escapes: a backslash is an ordinary byte.
      {"a\\b", "/a\\b", true},
  });
}

TEST(PathPattern, KeepsTheOriginalText) {
  Result<PathPattern> pattern = PathPattern::Parse("cache//");
  ASSERT_TRUE(pattern.ok());
  EXPECT_EQ(pattern->text(), "cache//");
}

TEST(PathPattern, RejectsEmptyPattern) {
  Result<PathPattern> pattern = PathPattern::Parse("");
  ASSERT_FALSE(pattern.ok());
  EXPECT_EQ(pattern.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(pattern.status().message(), "invalid pattern \"\": empty pattern");
}

TEST(PathPattern, RejectsUnterminatedCharacterClass) {
  for (const char* text : {"[abc", "[", "[!", "[]", "[!]", "a[b-", "x/[a-z"}) {
    SCOPED_TRACE(text);
    Result<PathPattern> pattern = PathPattern::Parse(text);
    ASSERT_FALSE(pattern.ok());
    EXPECT_EQ(pattern.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(pattern.status().message(),
              "invalid pattern \"" + std::string(text) + "\": unterminated character class");
    EXPECT_FALSE(pattern.status().hint().empty());
  }
}

struct BelowCase {
  std::string pattern;
  std::string directory;
  bool could_match;
};

TEST(PathPattern, CouldMatchBelow) {
  const std::vector<BelowCase> cases = {
      {"/srv/app/**", "/", true},
      {"/srv/app/**", "/srv", true},
      {"/srv/app/**", "/srv/", true},
      {"/srv/app/**", "/srv/app", true},
      {"/srv/app/**", "/srv/app/x/y", true},
      {"/srv/app/**", "/srv/other", false},
      {"/srv/app/**", "/srv/application", false},
      {"/srv/app/**", "/var", false},
      {"/srv/app", "/srv", true},
      {"/srv/app", "/srv/app", false},
      {"/srv/*/logs", "/srv/x", true},
      {"/srv/*/logs", "/srv/x/y", false},
      {"/srv/**/x", "/srv/a/b/c", true},
      {"/srv/[a-c]*", "/srv", true},
      {"/srv/[a-c]*", "/srv/d", false},
      {"*.tmp", "/anything", true},
      {"app/**", "/srv", true},
  };
  for (const BelowCase& c : cases) {
    SCOPED_TRACE("pattern \"" + c.pattern + "\", directory \"" + c.directory + "\"");
    Result<PathPattern> pattern = PathPattern::Parse(c.pattern);
    ASSERT_TRUE(pattern.ok());
    EXPECT_EQ(pattern->CouldMatchBelow(c.directory), c.could_match);
  }
}

TEST(PathPattern, PathologicalPatternsMatchInLinearTime) {
  // A backtracking matcher takes exponential time on these; the NFA finishes instantly.
  std::string long_name = "/" + std::string(100000, 'a');
  Result<PathPattern> stars = PathPattern::Parse("*a*a*a*a*a*a*a*a*a*a*a*a*b");
  ASSERT_TRUE(stars.ok());
  EXPECT_FALSE(stars->Matches(long_name));

  std::string deep_path;
  for (int i = 0; i < 5000; ++i) deep_path += "/a";
  Result<PathPattern> double_stars = PathPattern::Parse("**a**a**a**a**a**a**a**a**b");
  ASSERT_TRUE(double_stars.ok());
  EXPECT_FALSE(double_stars->Matches(deep_path));
  Result<PathPattern> components = PathPattern::Parse("a/**/a/**/a/**/a/**/a/**/b");
  ASSERT_TRUE(components.ok());
  EXPECT_FALSE(components->Matches(deep_path));
  EXPECT_TRUE(components->Matches(deep_path + "/b"));

  std::string many_stars;
  for (int i = 0; i < 500; ++i) many_stars += "*a";
  Result<PathPattern> long_pattern = PathPattern::Parse(many_stars + "b");
  ASSERT_TRUE(long_pattern.ok());
  EXPECT_FALSE(long_pattern->Matches(long_name.substr(0, 10000)));
}

TEST(PathPatternSet, MatchesWhenAnyPatternMatches) {
  Result<PathPatternSet> set = PathPatternSet::Parse({"*.tmp", "/srv/cache/**"});
  ASSERT_TRUE(set.ok());
  EXPECT_FALSE(set->empty());
  EXPECT_TRUE(set->Matches("/home/u/x.tmp"));
  EXPECT_TRUE(set->Matches("/srv/cache/a/b"));
  EXPECT_FALSE(set->Matches("/srv/app/a"));
}

TEST(PathPatternSet, CouldMatchBelowWhenAnyPatternCould) {
  Result<PathPatternSet> set = PathPatternSet::Parse({"/srv/app/**", "/etc/hosts"});
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(set->CouldMatchBelow("/srv"));
  EXPECT_TRUE(set->CouldMatchBelow("/etc"));
  EXPECT_FALSE(set->CouldMatchBelow("/var"));
}

TEST(PathPatternSet, EmptySetMatchesNothing) {
  Result<PathPatternSet> set = PathPatternSet::Parse({});
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(set->empty());
  EXPECT_FALSE(set->Matches("/a"));
  EXPECT_FALSE(set->CouldMatchBelow("/"));
}

TEST(PathPatternSet, ReportsTheFirstInvalidPattern) {
  Result<PathPatternSet> set = PathPatternSet::Parse({"*.tmp", "[oops", ""});
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(set.status().message(), "invalid pattern \"[oops\": unterminated character class");
}

}  // namespace
}  // namespace lifeboat::engine
