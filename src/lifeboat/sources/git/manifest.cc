#include "lifeboat/sources/git/manifest.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace lifeboat::sources::git {

using nlohmann::json;

std::string GitManifestToJson(const GitManifest& m) {
  json refs = json::array();
  for (const GitRef& ref : m.refs) {
    refs.push_back(
        {{"name", ref.name}, {"object", ref.object}, {"type", ref.type}, {"commit", ref.commit}});
  }
  return json{{"format", m.format},
              {"repository", m.repository},
              {"git_version", m.git_version},
              {"object_format", m.object_format},
              {"head", m.head},
              {"head_commit", m.head_commit},
              {"refs", refs},
              {"bundle_file", m.bundle_file},
              {"bundle_bytes", m.bundle_bytes},
              {"bundle_sha256", m.bundle_sha256}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<GitManifest> GitManifestFromJson(const std::string& text) {
  try {
    const json in = json::parse(text);
    GitManifest m;
    m.format = in.at("format").get<int>();
    if (m.format != 1) {
      return CorruptionError("git manifest format " + std::to_string(m.format) +
                             " is newer than this lifeboat understands")
          .WithHint("upgrade lifeboat");
    }
    m.repository = in.at("repository").get<std::string>();
    m.git_version = in.at("git_version").get<std::string>();
    m.object_format = in.at("object_format").get<std::string>();
    m.head = in.at("head").get<std::string>();
    m.head_commit = in.at("head_commit").get<std::string>();
    for (const json& ref : in.at("refs")) {
      m.refs.push_back({ref.at("name").get<std::string>(), ref.at("object").get<std::string>(),
                        ref.at("type").get<std::string>(), ref.at("commit").get<std::string>()});
    }
    m.bundle_file = in.at("bundle_file").get<std::string>();
    m.bundle_bytes = in.at("bundle_bytes").get<uint64_t>();
    m.bundle_sha256 = in.at("bundle_sha256").get<std::string>();
    return m;
  } catch (const json::exception& error) {
    return CorruptionError(std::string("the git manifest cannot be read: ") + error.what());
  }
}

Result<GitManifest> SnapshotGitManifest(const repo::Snapshot& snapshot) {
  if (snapshot.source != "git" || !snapshot.manifest) {
    return InvalidArgumentError("the snapshot is not a git backup (its source is \"" +
                                snapshot.source + "\")")
        .WithHint("pick a snapshot made by `lifeboat git backup`");
  }
  return GitManifestFromJson(*snapshot.manifest);
}

namespace {

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t begin = 0;
  while (true) {
    const size_t end = text.find(separator, begin);
    parts.push_back(text.substr(begin, end == std::string_view::npos ? end : end - begin));
    if (end == std::string_view::npos) return parts;
    begin = end + 1;
  }
}

bool IsObjectId(std::string_view text) {
  return (text.size() == 40 || text.size() == 64) &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

Result<std::vector<GitRef>> ParseRefListing(std::string_view text) {
  std::vector<GitRef> refs;
  for (std::string_view line : Split(text, '\n')) {
    if (line.empty()) continue;
    const std::vector<std::string_view> fields = Split(line, '\t');
    if (fields.size() != 4 || !IsObjectId(fields[0]) || fields[3].empty()) {
      return InternalError("unexpected line from git for-each-ref: \"" + std::string(line) + "\"");
    }
    GitRef ref{.name = std::string(fields[3]),
               .object = std::string(fields[0]),
               .type = std::string(fields[1]),
               .commit = {}};
    if (ref.type == "commit") {
      ref.commit = ref.object;
    } else if (ref.type == "tag") {
      ref.commit = std::string(fields[2]);  // the tag's target; a tag of a tag gives that tag
    }
    refs.push_back(std::move(ref));
  }
  std::sort(refs.begin(), refs.end(),
            [](const GitRef& a, const GitRef& b) { return a.name < b.name; });
  return refs;
}

Result<BundleHeader> ParseBundleHeader(std::string_view data) {
  BundleHeader header;
  size_t begin = 0;
  bool first = true;
  while (true) {
    const size_t end = data.find('\n', begin);
    if (end == std::string_view::npos) {
      if (data.size() - begin > 4096) {
        return CorruptionError("the bundle's header has a line longer than 4096 bytes");
      }
      return UnavailableError("the bundle's header is incomplete");
    }
    const std::string_view line = data.substr(begin, end - begin);
    begin = end + 1;
    if (first) {
      first = false;
      if (line == "# v2 git bundle") {
        header.version = 2;
      } else if (line == "# v3 git bundle") {
        header.version = 3;
      } else {
        return CorruptionError("not a git bundle: it starts with \"" +
                               std::string(line.substr(0, 40)) + "\"");
      }
      continue;
    }
    if (line.empty()) {
      header.size = begin;
      return header;
    }
    if (line.front() == '@' && header.version == 3) continue;  // capabilities
    const bool prerequisite = line.front() == '-';
    const std::string_view rest = prerequisite ? line.substr(1) : line;
    const size_t space = rest.find(' ');
    const std::string_view object = rest.substr(0, space);
    if (!IsObjectId(object)) {
      return CorruptionError("the bundle's header has a malformed line: \"" +
                             std::string(line.substr(0, 80)) + "\"");
    }
    if (prerequisite) {
      header.prerequisites.emplace_back(object);
    } else if (space == std::string_view::npos) {
      return CorruptionError("the bundle's header has a ref without a name");
    } else {
      header.refs.emplace_back(std::string(object), std::string(rest.substr(space + 1)));
    }
  }
}

Result<std::vector<GitRef>> MatchBundleRefs(const std::vector<GitRef>& listed,
                                            const BundleHeader& header) {
  std::map<std::string, std::string> bundled;  // name → object
  for (const auto& [object, name] : header.refs) {
    // HEAD, and in a linked worktree the other worktrees' HEADs ("main-worktree/HEAD",
    // "worktrees/NAME/HEAD"), are not refs a fetch of refs/* brings over.
    if (name.starts_with("refs/")) bundled[name] = object;
  }
  auto changed = [](const std::string& what) {
    return UnavailableError("the repository changed while it was being backed up: " + what)
        .WithHint("run the backup again");
  };
  for (const GitRef& ref : listed) {
    auto found = bundled.find(ref.name);
    if (found == bundled.end()) return changed(ref.name + " is not in the bundle");
    if (found->second != ref.object) {
      return changed(ref.name + " moved from " + ref.object + " to " + found->second);
    }
    bundled.erase(found);
  }
  if (!bundled.empty()) return changed(bundled.begin()->first + " appeared");
  if (!header.prerequisites.empty()) {
    return CorruptionError("the bundle needs objects it does not hold (" +
                           header.prerequisites.front() +
                           "); a full backup must be self-contained");
  }
  return listed;
}

}  // namespace lifeboat::sources::git
