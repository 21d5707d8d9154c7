#include "lifeboat/cli/source_backup.h"

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/identity.h"

namespace lifeboat::cli {

SnapshotIdentity IdentityForBackup(const std::vector<std::string>& tag_args,
                                   const std::string& host) {
  SnapshotIdentity identity;
  for (const std::string& tag : tag_args) {
    for (std::string& part : SplitCommaList(tag)) identity.tags.push_back(std::move(part));
  }
  identity.hostname = host.empty() ? Hostname() : host;
  identity.username = Username();
  identity.program_version = std::string(kVersion);
  return identity;
}

Status NoSnapshotSaved(const Status& error) {
  return error.WithHint(error.hint().empty() ? "no snapshot was saved"
                                             : error.hint() + "; no snapshot was saved");
}

}  // namespace lifeboat::cli
