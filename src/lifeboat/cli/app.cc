#include "lifeboat/cli/app.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/command_audit.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/util/log.h"

namespace lifeboat::cli {

namespace {

constexpr const char* kFooter = R"(Environment:
  LIFEBOAT_REPOSITORY        repository location (--repo)
  LIFEBOAT_PASSWORD          repository password
  LIFEBOAT_PASSWORD_FILE     file holding the password (--password-file)
  LIFEBOAT_PASSWORD_COMMAND  command printing the password (--password-command)
  LIFEBOAT_NEW_PASSWORD      new password for `key add` and `key passwd`
  LIFEBOAT_FROM_REPOSITORY   source repository of `copy` (--from-repo); its password from
  LIFEBOAT_FROM_PASSWORD, LIFEBOAT_FROM_PASSWORD_FILE or LIFEBOAT_FROM_PASSWORD_COMMAND
  LIFEBOAT_KDF_PARAMS        "time,memory_kib,parallelism" for new keys; for tests only
  LIFEBOAT_JOB               job name recorded in the audit log (--job)
  LIFEBOAT_AUDIT_DB          audit database (--audit-db); default
                             $XDG_STATE_HOME/lifeboat/audit.db or ~/.local/state/lifeboat/audit.db
  LIFEBOAT_AUDIT_POSTGRES    libpq conninfo of a second audit sink (--audit-postgres)

Exit codes: 0 ok, 1 error, 2 usage error, 3 partial backup, 4 verification failed,
5 objective missed (status), 10 no repository,
11 repository locked, 12 wrong password, 129 hung up (SIGHUP), 130 interrupted (SIGINT),
143 terminated (SIGTERM).)";

int Report(const Status& status, Stage stage) {
  PrintError(status);
  return ToInt(ExitCodeFor(status, stage));
}

LogLevel LevelFor(const GlobalOptions& globals) {
  if (globals.quiet) return LogLevel::kWarning;
  if (globals.verbose >= 2) return LogLevel::kDebug;
  if (globals.verbose == 1) return LogLevel::kVerbose;
  return LogLevel::kInfo;
}

// Results printed to stdout are the command's product; losing them (a full disk, a closed
// pipe) must not look like success.
Status FlushStdout() {
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    return IoError("writing the output failed").WithHint("check where stdout goes");
  }
  return Status::Ok();
}

int Dispatch(int argc, const char* const* argv) {
  GlobalOptions globals;
  CLI::App app{"lifeboat: encrypted, deduplicated backups", "lifeboat"};
  // Global options may follow the command name, as with restic: `lifeboat backup -r REPO`.
  app.fallthrough();
  app.require_subcommand(1);
  app.set_version_flag("--version", "lifeboat " + std::string(kVersion));
  app.add_option(
         "-r,--repo", globals.repository,
         "repository location: a local directory or s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX]")
      ->envname("LIFEBOAT_REPOSITORY");
  app.add_option("--password-file", globals.password_file, "read the password from a file")
      ->envname("LIFEBOAT_PASSWORD_FILE");
  app.add_option("--password-command", globals.password_command,
                 "run a shell command that prints the password")
      ->envname("LIFEBOAT_PASSWORD_COMMAND");
  app.add_option(
         "-o,--option", globals.backend_options,
         "backend option KEY=VALUE: s3.storage-class=CLASS, s3.bucket-lookup=auto|path|dns, "
         "s3.ca-file=PEM")
      // One value per -o, so `-o KEY=VALUE backup PATH` does not swallow the command.
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--job", globals.job, "job name recorded in the audit log")
      ->envname("LIFEBOAT_JOB");
  app.add_option("--audit-db", globals.audit_db,
                 "audit database (default $XDG_STATE_HOME/lifeboat/audit.db)")
      ->envname("LIFEBOAT_AUDIT_DB");
  app.add_option("--audit-postgres", globals.audit_postgres,
                 "also write audit records to PostgreSQL (libpq conninfo)")
      ->envname("LIFEBOAT_AUDIT_POSTGRES");
  app.add_flag("--json", globals.json, "print results as JSON on stdout");
  app.add_flag("-q,--quiet", globals.quiet, "print only results, warnings and errors");
  app.add_flag("-v,--verbose", globals.verbose, "say more (repeat for debug output)");

  CommandTable table;
  AddInitCommand(app, table);
  AddBackupCommand(app, table);
  AddSnapshotsCommand(app, table);
  AddLsCommand(app, table);
  AddRestoreCommand(app, table);
  AddDumpCommand(app, table);
  AddDiffCommand(app, table);
  AddCheckCommand(app, table);
  AddCopyCommand(app, table);
  AddForgetCommand(app, table);
  AddPruneCommand(app, table);
  AddRepairCommand(app, table);
  AddKeyCommand(app, table);
  AddStatsCommand(app, table);
  AddUnlockCommand(app, table);
  AddVersionCommand(app, table);
  AddPgCommand(app, table);
  AddBucketCommand(app, table);
  AddGitCommand(app, table);
  AddCommandCommand(app, table);
  AddEnvCommand(app, table);
  AddPlanCommand(app, table);
  AddRunCommand(app, table);
  AddDaemonCommand(app, table);
  AddStatusCommand(app, table);
  AddAuditCommand(app, table);
  // Set after the subcommands exist: they would inherit it, and it is about the whole tool.
  app.footer(kFooter);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) {  // --help, --version
      const int code = app.exit(error);
      std::fflush(stdout);
      return code;
    }
    return Report(InvalidArgumentError(error.what())
                      .WithHint("run `lifeboat --help` or `lifeboat COMMAND --help`"),
                  Stage::kUsage);
  }
  SetLogLevel(LevelFor(globals));

  const Command* command = table.Selected();
  if (command == nullptr) {
    return Report(InvalidArgumentError("no command given"), Stage::kUsage);
  }
  if (command->validate) {
    Status valid = command->validate(globals);
    if (!valid.ok()) return Report(valid, Stage::kUsage);
  }

  // Every command that touches a repository leaves a record, failures included (a wrong
  // password is evidence too). The database is opened first: a command whose record could not
  // be written must not run.
  CommandAudit audit(globals, table.SelectedPath(), command->access != RepositoryAccess::kNone,
                     command->audit);
  Status audit_ready = audit.Start();
  if (!audit_ready.ok()) {
    if (command->audit == AuditPolicy::kRequired) return Report(audit_ready, Stage::kRunning);
    PrintWarning("this run is not recorded in the audit log: " + audit_ready.message());
  }

  Stage failed_stage = Stage::kRunning;
  Result<std::unique_ptr<Session>> session =
      OpenSession(SessionRequest{.location = globals.repository,
                                 .access = command->access,
                                 .passwords = PasswordSourcesFromEnvironment(
                                     globals.password_command, globals.password_file),
                                 .backend_options = globals.backend_options},
                  &failed_stage);
  if (!session.ok()) {
    // A usage error (a malformed location, no password source) touched nothing.
    if (failed_stage != Stage::kUsage) {
      const int code = ToInt(ExitCodeFor(session.status(), failed_stage));
      Status recorded = audit.Finish(code, session.status(), nullptr);
      if (!recorded.ok()) PrintWarning(recorded.message());
    }
    return Report(session.status(), failed_stage);
  }

  CommandContext context{globals, **session, audit.facts()};
  Result<ExitCode> result = command->run(context);
  Status error = result.status();
  const int code = error.ok() ? ToInt(*result) : ToInt(ExitCodeFor(error, Stage::kRunning));
  // Committed before the results are flushed and the exit code is returned: a run the log
  // does not know about never reports success.
  Status recorded = audit.Finish(code, error, session->get());
  Status flushed = FlushStdout();
  if (!error.ok()) {
    if (!recorded.ok()) PrintWarning(recorded.message());
    return Report(error, Stage::kRunning);
  }
  if (!recorded.ok()) {
    if (command->audit == AuditPolicy::kRequired) return Report(recorded, Stage::kRunning);
    PrintWarning(recorded.message());
  }
  if (!flushed.ok()) return Report(flushed, Stage::kRunning);
  return code;
}

}  // namespace

int Main(int argc, const char* const* argv) {
  InstallInterruptHandler();
  // CLI11 and the JSON library throw; nothing else should, but a backup tool must not die
  // with "terminate called" and no word of what happened.
  try {
    return Dispatch(argc, argv);
  } catch (const std::exception& error) {
    return Report(InternalError(std::string("unexpected exception: ") + error.what()),
                  Stage::kRunning);
  }
}

}  // namespace lifeboat::cli
