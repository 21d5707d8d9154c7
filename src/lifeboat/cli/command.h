// The shape every command shares. Each <name>_command.cc adds its CLI11 subcommand with
// Add<Name>Command and registers a Command: which repository access it needs, a validation of
// its arguments that runs before any I/O (failures are usage errors, exit 2), and the body.
// The dispatcher (app.cc) parses, validates, opens the session the command asked for and runs
// it; a command only parses, calls the library and prints.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "lifeboat/cli/exit_codes.h"
#include "lifeboat/cli/repository_opener.h"
#include "lifeboat/ops/audit.h"
#include "lifeboat/util/result.h"

namespace CLI {
class App;
}  // namespace CLI

namespace lifeboat::cli {

inline constexpr std::string_view kVersion = "0.1.0";

struct GlobalOptions {
  std::string repository;                    // --repo / LIFEBOAT_REPOSITORY
  std::string password_file;                 // --password-file / LIFEBOAT_PASSWORD_FILE
  std::string password_command;              // --password-command / LIFEBOAT_PASSWORD_COMMAND
  std::vector<std::string> backend_options;  // -o KEY=VALUE (s3.storage-class=...)
  std::string job;                           // --job / LIFEBOAT_JOB: the audit records' job column
  std::string audit_db;        // --audit-db / LIFEBOAT_AUDIT_DB; empty: the XDG state directory
  std::string audit_postgres;  // --audit-postgres / LIFEBOAT_AUDIT_POSTGRES: libpq conninfo
  bool json = false;
  bool quiet = false;
  int verbose = 0;

  // Progress lines need a terminal on stderr and a user who wants them.
  bool ShowProgress() const;
  // Informational text on stderr (not results, not warnings) is for humans only.
  bool ShowInfo() const { return !quiet && !json; }
};

struct CommandContext {
  const GlobalOptions& globals;
  Session& session;  // holds what the command's RepositoryAccess asked for
  // What the command's audit record says beyond its status (snapshot id, bytes); commands that
  // know fill it. Never null while a command runs from the dispatcher.
  ops::AuditFacts* audit = nullptr;
};

// Every command that touches a repository leaves an audit record (cli/command_audit.h). A
// command whose record cannot be written fails, unless it only reads: then it is a warning.
enum class AuditPolicy {
  kRequired,    // the command changes a repository or data, or checks it (evidence)
  kBestEffort,  // read-only listings (snapshots, ls, diff, dump, stats)
};

// Built by designated initializer; every member has an initializer so omitted ones do not warn.
struct Command {
  RepositoryAccess access = RepositoryAccess::kNone;
  // Checks the arguments alone; an error is a usage error. Optional.
  std::function<Status(const GlobalOptions&)> validate = {};
  // The work. Success is kOk, or kPartialBackup for a snapshot saved with warnings.
  std::function<Result<ExitCode>(CommandContext&)> run = {};
  AuditPolicy audit = AuditPolicy::kRequired;
};

class CommandTable {
 public:
  void Add(CLI::App* subcommand, Command command);
  // The command whose subcommand the parsed command line selected, or nullptr.
  const Command* Selected() const;
  // The selected command's path below the program, "backup" or "pg backup"; "" when none.
  std::string SelectedPath() const;

 private:
  std::vector<std::pair<CLI::App*, Command>> commands_;
};

// Each adds one subcommand to `app`; its options are bound to state the registered Command
// owns (shared with the option callbacks), so `app` and `table` are used together.
void AddInitCommand(CLI::App& app, CommandTable& table);
void AddBackupCommand(CLI::App& app, CommandTable& table);
void AddSnapshotsCommand(CLI::App& app, CommandTable& table);
void AddLsCommand(CLI::App& app, CommandTable& table);
void AddRestoreCommand(CLI::App& app, CommandTable& table);
void AddDumpCommand(CLI::App& app, CommandTable& table);
void AddDiffCommand(CLI::App& app, CommandTable& table);
void AddCheckCommand(CLI::App& app, CommandTable& table);
void AddCopyCommand(CLI::App& app, CommandTable& table);
void AddForgetCommand(CLI::App& app, CommandTable& table);
void AddKeyCommand(CLI::App& app, CommandTable& table);
void AddStatsCommand(CLI::App& app, CommandTable& table);
void AddUnlockCommand(CLI::App& app, CommandTable& table);
void AddPruneCommand(CLI::App& app, CommandTable& table);
void AddRepairCommand(CLI::App& app, CommandTable& table);
void AddVersionCommand(CLI::App& app, CommandTable& table);
void AddPgCommand(CLI::App& app, CommandTable& table);
void AddBucketCommand(CLI::App& app, CommandTable& table);
void AddGitCommand(CLI::App& app, CommandTable& table);
void AddCommandCommand(CLI::App& app, CommandTable& table);
void AddEnvCommand(CLI::App& app, CommandTable& table);
void AddPlanCommand(CLI::App& app, CommandTable& table);
void AddAuditCommand(CLI::App& app, CommandTable& table);

// restic's snapshot filter, shared by forget and copy: a snapshot matches when it is of one of
// `hosts`, carries every tag of one of `tag_sets` (each "a,b"), and holds every path of
// `paths`. An empty list matches every snapshot.
bool SnapshotMatchesFilter(const repo::Snapshot& snapshot, const std::vector<std::string>& hosts,
                           const std::vector<std::string>& tag_sets,
                           const std::vector<std::string>& paths);

// Adds --host, --tag and --path, the options whose values SnapshotMatchesFilter takes.
void AddSnapshotFilterOptions(CLI::App* command, std::vector<std::string>* hosts,
                              std::vector<std::string>* tag_sets, std::vector<std::string>* paths);

// Shared by commands that take tags: "--tag a,b --tag c" gives {"a", "b", "c"} for backup.
std::vector<std::string> SplitCommaList(const std::string& text);

}  // namespace lifeboat::cli
