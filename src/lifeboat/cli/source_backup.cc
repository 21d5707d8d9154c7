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

Result<std::pair<Id, repo::Snapshot>> FindSourceSnapshot(repo::Repository& repository,
                                                         const std::string& reference,
                                                         const std::string& source,
                                                         const std::string& backup_command) {
  if (reference != "latest") return repository.FindSnapshot(reference);
  LIFEBOAT_ASSIGN_OR_RETURN(auto snapshots, repository.ListSnapshots());
  const std::pair<Id, repo::Snapshot>* latest = nullptr;
  for (const auto& entry : snapshots) {
    if (entry.second.source != source) continue;
    if (latest == nullptr || entry.second.time_ns >= latest->second.time_ns) latest = &entry;
  }
  if (latest == nullptr) {
    return NotFoundError("the repository has no " + source + " snapshots")
        .WithHint("make one with `" + backup_command + "`");
  }
  return *latest;
}

Status NoSnapshotSaved(const Status& error) {
  return error.WithHint(error.hint().empty() ? "no snapshot was saved"
                                             : error.hint() + "; no snapshot was saved");
}

}  // namespace lifeboat::cli
