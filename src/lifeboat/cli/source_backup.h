// What the commands of source backups (pg backup, bucket backup) share: the identity a
// snapshot records and the word that a failed backup saved nothing. Used from the main thread.
#pragma once

#include <string>
#include <vector>

#include "lifeboat/util/status.h"

namespace lifeboat::cli {

struct SnapshotIdentity {
  std::vector<std::string> tags;  // --tag values split at commas
  std::string hostname;           // --host, else this machine's
  std::string username;
  std::string program_version;
};

SnapshotIdentity IdentityForBackup(const std::vector<std::string>& tag_args,
                                   const std::string& host);

// `error` with "no snapshot was saved" added to its hint: a source backup stores all or nothing.
Status NoSnapshotSaved(const Status& error);

}  // namespace lifeboat::cli
