#include "lifeboat/sources/git/manifest.h"

#include <gtest/gtest.h>

namespace lifeboat::sources::git {
namespace {

const std::string kA(40, 'a');
const std::string kB(40, 'b');
const std::string kC(40, 'c');

TEST(ParseRefListing, ReadsCommitsAndAnnotatedTagsSortedByName) {
  const std::string listing = kA + "\tcommit\t\trefs/heads/main\n" + kB + "\ttag\t" + kA +
                              "\trefs/tags/v1\n" + kC + "\tcommit\t\trefs/heads/feature\n";
  Result<std::vector<GitRef>> refs = ParseRefListing(listing);
  ASSERT_TRUE(refs.ok()) << refs.status().ToString();
  ASSERT_EQ(refs->size(), 3u);
  EXPECT_EQ((*refs)[0].name, "refs/heads/feature");
  EXPECT_EQ((*refs)[1].name, "refs/heads/main");
  EXPECT_EQ((*refs)[1].commit, kA);
  EXPECT_EQ((*refs)[2].name, "refs/tags/v1");
  EXPECT_EQ((*refs)[2].object, kB);
  EXPECT_EQ((*refs)[2].type, "tag");
  EXPECT_EQ((*refs)[2].commit, kA);
}

TEST(ParseRefListing, RejectsALineInAnotherFormat) {
  Result<std::vector<GitRef>> refs = ParseRefListing(kA + " refs/heads/main\n");
  ASSERT_FALSE(refs.ok());
  EXPECT_EQ(refs.status().message(),
            "unexpected line from git for-each-ref: \"" + kA + " refs/heads/main\"");
}

TEST(ParseBundleHeader, ReadsRefsAndWhereThePackStarts) {
  const std::string header =
      "# v2 git bundle\n" + kA + " refs/heads/main\n" + kB + " refs/tags/v1\n" + kA + " HEAD\n\n";
  Result<BundleHeader> parsed = ParseBundleHeader(header + "PACK\x00\x00");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->version, 2);
  EXPECT_EQ(parsed->size, header.size());
  ASSERT_EQ(parsed->refs.size(), 3u);
  EXPECT_EQ(parsed->refs[1], std::make_pair(kB, std::string("refs/tags/v1")));
  EXPECT_TRUE(parsed->prerequisites.empty());
}

TEST(ParseBundleHeader, TellsAnIncompleteHeaderFromAForeignFile) {
  Result<BundleHeader> partial = ParseBundleHeader("# v2 git bundle\n" + kA + " refs/he");
  ASSERT_FALSE(partial.ok());
  EXPECT_EQ(partial.status().code(), StatusCode::kUnavailable);
  Result<BundleHeader> foreign = ParseBundleHeader("PK\x03\x04 zip\n");
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(foreign.status().message(), "not a git bundle: it starts with \"PK\x03\x04 zip\"");
}

TEST(MatchBundleRefs, AcceptsTheSameRefsAndNamesAMovedOne) {
  std::vector<GitRef> listed = {{"refs/heads/main", kA, "commit", kA},
                                {"refs/tags/v1", kB, "tag", kA}};
  BundleHeader header;
  header.refs = {{kA, "refs/heads/main"},
                 {kB, "refs/tags/v1"},
                 {kA, "HEAD"},
                 {kC, "main-worktree/HEAD"}};  // bundled from a linked worktree
  Result<std::vector<GitRef>> matched = MatchBundleRefs(listed, header);
  ASSERT_TRUE(matched.ok()) << matched.status().ToString();
  EXPECT_EQ(matched->size(), 2u);

  header.refs[0].first = kC;
  matched = MatchBundleRefs(listed, header);
  ASSERT_FALSE(matched.ok());
  EXPECT_EQ(matched.status().message(),
            "the repository changed while it was being backed up: refs/heads/main moved from " +
                kA + " to " + kC);
  header.refs[0].first = kA;
  header.refs.push_back({kC, "refs/heads/new"});
  matched = MatchBundleRefs(listed, header);
  ASSERT_FALSE(matched.ok());
  EXPECT_EQ(matched.status().message(),
            "the repository changed while it was being backed up: refs/heads/new appeared");
}

TEST(GitManifest, RoundTripsThroughJson) {
  GitManifest manifest;
  manifest.repository = "/srv/app";
  manifest.git_version = "2.39.5";
  manifest.object_format = "sha1";
  manifest.head = "refs/heads/main";
  manifest.head_commit = kA;
  manifest.refs = {{"refs/heads/main", kA, "commit", kA}, {"refs/tags/v1", kB, "tag", kA}};
  manifest.bundle_bytes = 4242;
  manifest.bundle_sha256 = std::string(64, 'e');
  Result<GitManifest> back = GitManifestFromJson(GitManifestToJson(manifest));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->repository, "/srv/app");
  EXPECT_EQ(back->head, "refs/heads/main");
  ASSERT_EQ(back->refs.size(), 2u);
  EXPECT_EQ(back->refs[1].object, kB);
  EXPECT_EQ(back->refs[1].commit, kA);
  EXPECT_EQ(back->bundle_bytes, 4242u);
  EXPECT_EQ(back->bundle_sha256, manifest.bundle_sha256);
  EXPECT_EQ(back->bundle_file, "repo.bundle");
}

}  // namespace
}  // namespace lifeboat::sources::git
