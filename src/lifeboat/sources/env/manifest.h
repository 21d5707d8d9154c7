// The manifest of an environment backup: which variables were set (names, never values), the
// services they imply (services.h), and the config files stored beside it with their metadata.
// The snapshot record's manifest (Snapshot::manifest, shown by `snapshots --json`) and the
// tree's manifest.json hold the same JSON; docs/FORMAT.md specifies it.
//
// The selection and the comparison with the current environment are pure functions of variable
// names, so they are unit-tested, and a value never reaches this module.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lifeboat/repo/snapshot.h"
#include "lifeboat/util/result.h"

namespace lifeboat::sources::env {

inline constexpr char kManifestFile[] = "manifest.json";
inline constexpr char kFilesDir[] = "files";

struct EnvVariable {
  std::string name;
  bool set = true;      // false: asked for with --var but not set at backup time
  std::string service;  // "" when the service table knows none
};

struct EnvFile {
  std::string path;       // absolute, as given
  std::string stored_as;  // its path in the snapshot's tree: files/<path without leading />
  uint64_t size = 0;
  uint32_t mode = 0;  // permission bits, octal in the JSON ("0644")
  std::string mtime;  // RFC 3339, UTC, with nanoseconds
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string user;
  std::string group;
  std::string sha256;  // hex, of the contents
};

struct EnvManifest {
  int format = 1;
  // "services": every variable the service table knows; "selected": --var and --var-prefix.
  std::string selection;
  std::vector<std::string> requested_vars;      // --var
  std::vector<std::string> requested_prefixes;  // --var-prefix
  std::vector<EnvVariable> variables;           // in name order
  std::vector<std::string> services;            // distinct, sorted, of the set variables
  std::vector<EnvFile> files;
};

// What to record, from the names of the variables set now: with no `vars` and no `prefixes`,
// every name the service table knows; otherwise each of `vars` (recorded as not set when
// missing) and every set name starting with one of `prefixes`. Fills selection, requested_*,
// variables and services.
EnvManifest SelectVariables(const std::vector<std::string>& set_names,
                            const std::vector<std::string>& vars,
                            const std::vector<std::string>& prefixes);

// Variables set at backup time that are not set now (`current_names`), in name order: what to
// set before starting the application on this machine.
std::vector<std::string> MissingVariables(const EnvManifest& manifest,
                                          const std::vector<std::string>& current_names);

// kInvalidArgument unless `name` is a plausible variable name (no '=', not empty).
Status ValidateVariableName(const std::string& name);

std::string EnvManifestToJson(const EnvManifest& manifest);
// kCorruption naming the problem.
Result<EnvManifest> EnvManifestFromJson(const std::string& json);
// The manifest of an env snapshot; kInvalidArgument for snapshots of other sources.
Result<EnvManifest> SnapshotEnvManifest(const repo::Snapshot& snapshot);

}  // namespace lifeboat::sources::env
