// What the snapshots of every source (postgres, bucket, git, command, env) share: the identity
// their backup options carry, and the manifest stored twice — in the snapshot's `manifest`, for
// `snapshots --json` and for restore to read without opening the tree, and as manifest.json in
// the tree, so a plain `restore` or `dump` gives it back beside the data.
//
// Use at the end of a source's backup: WriteManifestFile, then writer.Commit(SourceSnapshot(...)).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lifeboat/engine/snapshot_writer.h"
#include "lifeboat/repo/snapshot.h"
#include "lifeboat/util/status.h"

namespace lifeboat::sources {

// Stores `manifest_json` as the file manifest.json at the top of the snapshot's tree.
Status WriteManifestFile(engine::SnapshotWriter& writer, std::string_view manifest_json);

// A snapshot of kind `source` with the identity of `options` (any backup options struct with
// tags, hostname, username and program_version).
template <typename Options>
repo::Snapshot SourceSnapshot(const Options& options, std::string source,
                              std::vector<std::string> paths, std::string manifest_json) {
  repo::Snapshot snapshot;
  snapshot.hostname = options.hostname;
  snapshot.username = options.username;
  snapshot.tags = options.tags;
  snapshot.source = std::move(source);
  snapshot.program_version = options.program_version;
  snapshot.paths = std::move(paths);
  snapshot.manifest = std::move(manifest_json);
  return snapshot;
}

}  // namespace lifeboat::sources
