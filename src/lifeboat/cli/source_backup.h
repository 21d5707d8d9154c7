// What the commands of source backups (pg backup, bucket backup) share: the identity a
// snapshot records and the word that a failed backup saved nothing. Used from the main thread.
#pragma once

#include <string>
#include <vector>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/engine/backup.h"
#include "lifeboat/repo/repository.h"
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

// Fills the identity members every source's backup options have (tags, hostname, username,
// program_version).
template <typename Options>
void SetSnapshotIdentity(Options& options, const std::vector<std::string>& tag_args,
                         const std::string& host) {
  SnapshotIdentity identity = IdentityForBackup(tag_args, host);
  options.tags = std::move(identity.tags);
  options.hostname = std::move(identity.hostname);
  options.username = std::move(identity.username);
  options.program_version = std::move(identity.program_version);
}

// Runs `backup(&progress)` with the progress line on screen (when wanted) while it runs, and
// returns its result.
template <typename Backup>
auto RunWithProgress(const GlobalOptions& globals, Backup backup) {
  engine::BackupProgress progress;
  ProgressLine line(globals.ShowProgress(), [&progress](double elapsed) {
    return FormatBackupProgress(progress, elapsed);
  });
  auto result = backup(&progress);
  line.Stop();
  return result;
}

// The snapshot `reference` names; "latest" means the latest snapshot whose source is `source`,
// even when the repository also holds other sources' (kNotFound, naming `backup_command`, when
// there is none).
Result<std::pair<Id, repo::Snapshot>> FindSourceSnapshot(repo::Repository& repository,
                                                         const std::string& reference,
                                                         const std::string& source,
                                                         const std::string& backup_command);

// Tells the command's audit record which snapshot a source backup saved and the bytes it moved.
inline void RecordBackupInAudit(CommandContext& context, const engine::BackupResult& backup) {
  if (context.audit == nullptr) return;
  context.audit->snapshot_id = backup.snapshot_id.Hex();
  context.audit->bytes_added = backup.snapshot.summary.bytes_added;
  context.audit->bytes_total = backup.snapshot.summary.total_bytes;
}

// `error` with "no snapshot was saved" added to its hint: a source backup stores all or nothing.
Status NoSnapshotSaved(const Status& error);

}  // namespace lifeboat::cli
