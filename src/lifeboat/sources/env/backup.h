// Backs up what an application needs from its environment to be started again elsewhere: which
// environment variables are set — names only, never a value — and the services they imply
// (services.h), plus config files the user names, stored whole with their metadata. The seeds'
// teams keep exactly this: "services: { stripe: !!process.env.STRIPE_SECRET_KEY }" beside a
// copy of render.yaml.
//
// The library takes the variables' names, not the environment, so no value can reach it; the
// caller (cli/env_command.cc) reads only the part of each `environ` entry before '='.
//
// The snapshot: source "env", paths ["env"] followed by each file's absolute path, a tree of
// manifest.json and files/<absolute path> (each with its mode, owner and times, so `lifeboat
// restore` gives them back), and the manifest (manifest.h) in its record.
#pragma once

#include <string>
#include <vector>

#include "lifeboat/engine/backup.h"
#include "lifeboat/repo/repository.h"
#include "lifeboat/sources/env/manifest.h"

namespace lifeboat::sources::env {

struct EnvBackupOptions {
  std::vector<std::string> set_names;  // the names of the variables set now
  std::vector<std::string> vars;       // --var
  std::vector<std::string> prefixes;   // --var-prefix
  std::vector<std::string> files;      // --file
  std::vector<std::string> tags;
  std::string hostname;
  std::string username;
  std::string program_version;
};

struct EnvBackupResult {
  engine::BackupResult backup;
  EnvManifest manifest;
};

// The repository must be open with its index loaded and a lock held. A file that is missing,
// unreadable or not a regular file fails the backup (kNotFound, kPermissionDenied,
// kInvalidArgument naming it), storing no snapshot.
Result<EnvBackupResult> BackupEnvironment(repo::Repository& repository,
                                          const EnvBackupOptions& options,
                                          engine::BackupProgress* progress);

// "files/etc/app/render.yaml" for "/etc/app/render.yaml".
std::string StoredFilePath(const std::string& absolute_path);

}  // namespace lifeboat::sources::env
