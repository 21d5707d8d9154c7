// The manifest of a git backup, and the two texts it is built from: `git for-each-ref`'s
// listing of the repository's refs and the header of the bundle `git bundle create --all` wrote.
// The snapshot record's manifest (Snapshot::manifest, shown by `snapshots --json`) and the
// tree's manifest.json hold the same JSON; docs/FORMAT.md specifies it. Pure functions, so the
// parsing and the cross-check between listing and bundle are unit-tested without git.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lifeboat/repo/snapshot.h"
#include "lifeboat/util/result.h"

namespace lifeboat::sources::git {

inline constexpr char kBundleFile[] = "repo.bundle";
inline constexpr char kManifestFile[] = "manifest.json";

struct GitRef {
  std::string name;    // "refs/heads/main", "refs/tags/v1"
  std::string object;  // what the ref points at: a commit, or an annotated tag's tag object
  std::string type;    // "commit", "tag", "tree" or "blob"
  std::string commit;  // the commit it leads to (an annotated tag's target); empty if none
};

struct GitManifest {
  int format = 1;
  std::string repository;  // absolute path of the working tree (or of a bare repository)
  std::string git_version;
  std::string object_format;  // "sha1" or "sha256"
  std::string head;           // HEAD's branch ("refs/heads/main"); empty when detached
  std::string head_commit;    // what HEAD resolved to; empty on an unborn branch
  std::vector<GitRef> refs;   // in refname order
  std::string bundle_file = kBundleFile;
  uint64_t bundle_bytes = 0;
  std::string bundle_sha256;  // hex, of the bundle's bytes
};

std::string GitManifestToJson(const GitManifest& manifest);
// kCorruption naming the problem.
Result<GitManifest> GitManifestFromJson(const std::string& json);
// The manifest of a git snapshot; kInvalidArgument for snapshots of other sources.
Result<GitManifest> SnapshotGitManifest(const repo::Snapshot& snapshot);

// The for-each-ref format ParseRefListing reads: object, type, peeled object, name, tab-separated
// (ref names cannot hold tabs).
inline constexpr char kRefListingFormat[] =
    "--format=%(objectname)%09%(objecttype)%09%(*objectname)%09%(refname)";
// kInternal on a line that is not in that format.
Result<std::vector<GitRef>> ParseRefListing(std::string_view text);

struct BundleHeader {
  int version = 0;                         // 2 or 3
  std::vector<std::string> prerequisites;  // prerequisite objects ("-OID" lines); none for --all
  std::vector<std::pair<std::string, std::string>> refs;  // (object, name), HEAD included
  size_t size = 0;  // bytes up to and including the blank line that ends the header
};

// Parses the header at the start of `data`. kUnavailable when `data` ends before the header
// does (read more and try again); kCorruption when it is not a bundle header.
Result<BundleHeader> ParseBundleHeader(std::string_view data);

// The refs the bundle holds, described by the listing: every listed ref must be in the bundle
// at the same object and vice versa (HEAD and worktree HEADs aside), or the repository changed
// between the two and kUnavailable names the first difference.
Result<std::vector<GitRef>> MatchBundleRefs(const std::vector<GitRef>& listed,
                                            const BundleHeader& header);

}  // namespace lifeboat::sources::git
