// `lifeboat pg backup|restore|verify|dump`: PostgreSQL logical backups (sources/postgres).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/cli/source_backup.h"
#include "lifeboat/sources/postgres/backup.h"
#include "lifeboat/sources/postgres/restore.h"

namespace lifeboat::cli {

namespace {

namespace pg = sources::postgres;

struct PgBackupArgs {
  std::string dbname;
  std::vector<std::string> tables;
  std::vector<std::string> exclude_tables;
  std::vector<std::string> exclude_table_data;
  std::vector<std::string> schemas;
  std::vector<std::string> tier_tables;  // "N=PATTERN[,PATTERN]"
  int default_tier = 0;
  int tier = 0;  // 0: all
  int jobs = 2;
  std::vector<std::string> tags;
  std::string host;
};

Result<std::vector<std::pair<int, std::string>>> ParseTierRules(
    const std::vector<std::string>& specs) {
  std::vector<std::pair<int, std::string>> rules;
  for (const std::string& spec : specs) {
    const size_t equals = spec.find('=');
    int tier = 0;
    if (equals != std::string::npos) tier = std::atoi(spec.substr(0, equals).c_str());
    if (equals == std::string::npos || tier < 1 || tier > 9 || equals + 1 == spec.size()) {
      return InvalidArgumentError("--tier-tables \"" + spec + "\" is not TIER=PATTERN[,PATTERN]")
          .WithHint("for example --tier-tables 1=users,user_subscriptions");
    }
    for (const std::string& pattern : SplitCommaList(spec.substr(equals + 1))) {
      rules.emplace_back(tier, pattern);
    }
  }
  return rules;
}

Status ValidateBackup(const PgBackupArgs& args) {
  if (args.jobs < 1 || args.jobs > 64) return InvalidArgumentError("--jobs must be 1 to 64");
  if (args.tier < 0 || args.tier > 9) return InvalidArgumentError("--tier must be 1 to 9");
  return ParseTierRules(args.tier_tables).status();
}

Result<ExitCode> RunBackup(CommandContext& context, const PgBackupArgs& args) {
  pg::PgBackupOptions options;
  options.conninfo = args.dbname;
  options.selection.tables = args.tables;
  options.selection.exclude_tables = args.exclude_tables;
  options.selection.exclude_table_data = args.exclude_table_data;
  options.selection.schemas = args.schemas;
  LIFEBOAT_ASSIGN_OR_RETURN(options.selection.tier_rules, ParseTierRules(args.tier_tables));
  options.selection.default_tier = args.default_tier;
  if (args.tier > 0) options.selection.tier = args.tier;
  options.jobs = args.jobs;
  SetSnapshotIdentity(options, args.tags, args.host);

  Result<pg::PgBackupResult> result =
      RunWithProgress(context.globals, [&](engine::BackupProgress* progress) {
        return pg::BackupDatabase(*context.session.repository, options, progress);
      });
  if (!result.ok()) return NoSnapshotSaved(result.status());
  const repo::SnapshotSummary& summary = result->backup.snapshot.summary;
  if (context.audit != nullptr) {
    context.audit->snapshot_id = result->backup.snapshot_id.Hex();
    context.audit->bytes_added = summary.bytes_added;
    context.audit->bytes_total = summary.total_bytes;
  }
  const pg::Manifest& manifest = result->manifest;
  const double seconds = (summary.end_ns - summary.start_ns) / 1e9;
  if (context.globals.json) {
    PrintJson({{"message_type", "summary"},
               {"snapshot_id", result->backup.snapshot_id.Hex()},
               {"short_id", result->backup.snapshot_id.ShortHex()},
               {"database", manifest.database},
               {"tables", manifest.tables.size()},
               {"rows", manifest.TotalRows()},
               {"bytes_added", summary.bytes_added},
               {"bytes_added_stored", summary.bytes_added_stored},
               {"total_bytes", summary.total_bytes},
               {"duration_seconds", seconds}});
  } else if (!context.globals.quiet) {
    PrintText("Database:   " + manifest.database + " (PostgreSQL " + manifest.server_version +
              ", snapshot at " + manifest.snapshot_time + ", WAL " + manifest.wal_lsn + ")\n" +
              "Tables:     " + std::to_string(manifest.tables.size()) + ", " +
              std::to_string(manifest.TotalRows()) + " rows\n" +
              "Added:      " + FormatBytes(summary.bytes_added) + " (" +
              FormatBytes(summary.bytes_added_stored) + " stored)\n" +
              "Processed:  " + FormatBytes(summary.total_bytes) + " in " + FormatDuration(seconds) +
              "\n" + "snapshot " + result->backup.snapshot_id.ShortHex() + " saved\n");
  }
  return ExitCode::kOk;
}

nlohmann::json ReportJson(const pg::VerifyReport& report) {
  nlohmann::json tables = nlohmann::json::array();
  for (const pg::TableCheck& check : report.tables) {
    nlohmann::json entry = {{"table", check.table},
                            {"present", check.present},
                            {"expected_rows", check.expected_rows},
                            {"actual_rows", check.actual_rows},
                            {"ok", check.ok()}};
    if (!check.expected_sha256.empty()) {
      entry["expected_sha256"] = check.expected_sha256;
      entry["actual_sha256"] = check.actual_sha256;
    }
    tables.push_back(entry);
  }
  return {{"ok", report.ok()},
          {"tables", tables},
          {"extensions_missing", report.extensions_missing},
          {"problems", report.Problems()}};
}

// Prints the report's problems; kVerifyFailed when there are any.
ExitCode FinishVerify(const pg::VerifyReport& report, const GlobalOptions& globals,
                      const std::string& what) {
  for (const std::string& problem : report.Problems()) PrintItemError(problem);
  if (!report.ok()) {
    PrintError(CorruptionError(what + " differs from the backup: " +
                               std::to_string(report.Problems().size()) + " problem(s)"));
    return ExitCode::kVerifyFailed;
  }
  if (!globals.quiet && !globals.json) {
    uint64_t rows = 0;
    for (const pg::TableCheck& check : report.tables) rows += check.actual_rows;
    PrintText(what + " matches the backup: " + std::to_string(report.tables.size()) + " tables, " +
              std::to_string(rows) + " rows\n");
  }
  return ExitCode::kOk;
}

struct PgRestoreArgs {
  std::string snapshot;
  pg::PgRestoreOptions options;
  bool no_verify = false;
};

Status ValidateRestore(const PgRestoreArgs& args) {
  const pg::PgRestoreOptions& o = args.options;
  if (o.schema_only && o.data_only) {
    return InvalidArgumentError("--schema-only and --data-only exclude each other");
  }
  if (!o.tables.empty() && (o.schema_only || o.create)) {
    return InvalidArgumentError(
        "--table restores rows into existing tables; it cannot be used "
        "with --schema-only or --create");
  }
  if (o.create && o.clean) {
    return InvalidArgumentError("--create makes a new database; --clean empties an existing one")
        .WithHint("use one of them");
  }
  if (o.jobs < 1 || o.jobs > 64) return InvalidArgumentError("--jobs must be 1 to 64");
  return Status::Ok();
}

Result<ExitCode> RunRestore(CommandContext& context, PgRestoreArgs args) {
  repo::Repository& repository = *context.session.repository;
  LIFEBOAT_ASSIGN_OR_RETURN(auto found, repository.FindSnapshot(args.snapshot));
  if (context.audit != nullptr) context.audit->snapshot_id = found.first.Hex();
  args.options.verify = !args.no_verify;
  Result<pg::PgRestoreResult> result = pg::RestoreDatabase(repository, found.second, args.options);
  if (!result.ok()) return result.status();
  if (context.audit != nullptr) context.audit->bytes_total = result->bytes;
  if (context.globals.json) {
    nlohmann::json out = {{"message_type", "summary"},
                          {"snapshot_id", found.first.Hex()},
                          {"tables", result->tables},
                          {"rows", result->rows},
                          {"bytes", result->bytes}};
    if (result->verify) out["verify"] = ReportJson(*result->verify);
    PrintJson(out);
  } else if (!context.globals.quiet) {
    PrintText("restored snapshot " + found.first.ShortHex() + ": " +
              std::to_string(result->tables) + " tables, " + std::to_string(result->rows) +
              " rows, " + FormatBytes(result->bytes) + "\n");
  }
  if (result->verify)
    return FinishVerify(*result->verify, context.globals, "the restored database");
  return ExitCode::kOk;
}

struct PgVerifyArgs {
  std::string snapshot;
  std::string dbname;
  std::vector<std::string> tables;
  bool content = false;
};

Result<ExitCode> RunVerify(CommandContext& context, const PgVerifyArgs& args) {
  repo::Repository& repository = *context.session.repository;
  LIFEBOAT_ASSIGN_OR_RETURN(auto found, repository.FindSnapshot(args.snapshot));
  LIFEBOAT_ASSIGN_OR_RETURN(pg::Manifest manifest, pg::SnapshotManifest(found.second));
  LIFEBOAT_ASSIGN_OR_RETURN(pg::VerifyReport report,
                            pg::VerifyDatabase(args.dbname, manifest, args.tables, args.content));
  if (context.globals.json) PrintJson(ReportJson(report));
  return FinishVerify(report, context.globals, "the database");
}

struct PgDumpArgs {
  std::string snapshot;
  std::string format = "plain";
};

Result<ExitCode> RunDump(CommandContext& context, const PgDumpArgs& args) {
  repo::Repository& repository = *context.session.repository;
  LIFEBOAT_ASSIGN_OR_RETURN(auto found, repository.FindSnapshot(args.snapshot));
  LIFEBOAT_RETURN_IF_ERROR(pg::WritePlainScript(repository, found.second, STDOUT_FILENO));
  return ExitCode::kOk;
}

}  // namespace

void AddPgCommand(CLI::App& app, CommandTable& table) {
  CLI::App* pg =
      app.add_subcommand("pg", "PostgreSQL logical backups: backup, restore, verify, dump");
  pg->require_subcommand(1);
  pg->footer(
      "Connections use libpq's connection strings (postgresql://user@host:5432/db or\n"
      "\"host=... dbname=...\") and its PG* environment variables (PGHOST, PGUSER, PGPASSWORD, "
      "...).");

  auto backup = std::make_shared<PgBackupArgs>();
  CLI::App* b = pg->add_subcommand("backup", "Back up a database in one consistent snapshot");
  // From the environment too, so a plan's job can pass a connection string that holds a
  // password without showing it in `ps`.
  b->add_option("-d,--dbname", backup->dbname, "connection string of the database")
      ->type_name("CONNINFO")
      ->envname("LIFEBOAT_PG_DBNAME");
  b->add_option("-t,--table", backup->tables, "only tables matching PATTERN (repeatable)")
      ->type_name("PATTERN")
      ->allow_extra_args(false);
  b->add_option("-T,--exclude-table", backup->exclude_tables, "leave out tables matching PATTERN")
      ->type_name("PATTERN")
      ->allow_extra_args(false);
  b->add_option("--exclude-table-data", backup->exclude_table_data,
                "keep the table's definition but not its rows")
      ->type_name("PATTERN")
      ->allow_extra_args(false);
  b->add_option("-n,--schema", backup->schemas, "only tables of this schema (repeatable)")
      ->type_name("SCHEMA")
      ->allow_extra_args(false);
  b->add_option("--tier-tables", backup->tier_tables,
                "put tables matching the patterns in tier N (1 critical, 2 important, 3 "
                "recoverable); repeatable")
      ->type_name("N=PATTERN[,PATTERN]")
      ->allow_extra_args(false);
  b->add_option("--default-tier", backup->default_tier, "tier of tables no --tier-tables names");
  b->add_option("--tier", backup->tier, "back up only the tables of this tier");
  b->add_option("-j,--jobs", backup->jobs, "connections copying tables at once (default 2)");
  b->add_option("--tag", backup->tags, "add tags (comma-separated, repeatable)")
      ->type_name("TAG")
      ->allow_extra_args(false);
  b->add_option("--host", backup->host, "record HOST instead of this machine's hostname");
  table.Add(b,
            Command{.access = RepositoryAccess::kLockedWithIndex,
                    .validate = [backup](const GlobalOptions&) { return ValidateBackup(*backup); },
                    .run = [backup](CommandContext& c) { return RunBackup(c, *backup); }});

  auto restore = std::make_shared<PgRestoreArgs>();
  CLI::App* r = pg->add_subcommand("restore", "Restore a database backup into a server");
  r->add_option("snapshot", restore->snapshot, "snapshot id prefix or \"latest\"")->required();
  r->add_option("-d,--dbname", restore->options.conninfo,
                "connection string of the target database")
      ->type_name("CONNINFO");
  r->add_flag("-C,--create", restore->options.create, "create the target database first");
  r->add_flag("-c,--clean", restore->options.clean,
              "drop the backup's objects first (with --table: empty the tables)");
  r->add_option("-t,--table", restore->options.tables,
                "restore only the rows of tables matching PATTERN, into existing tables")
      ->type_name("PATTERN")
      ->allow_extra_args(false);
  r->add_flag("-s,--schema-only", restore->options.schema_only, "only the definitions");
  r->add_flag("-a,--data-only", restore->options.data_only, "only the rows, into existing tables");
  r->add_flag("-O,--no-owner", restore->options.no_owner, "do not set object owners");
  r->add_flag("-x,--no-privileges", restore->options.no_privileges, "do not restore grants");
  r->add_option("-j,--jobs", restore->options.jobs, "connections loading at once (default 2)");
  r->add_flag("--no-verify", restore->no_verify, "skip comparing row counts with the manifest");
  r->footer("Exit code 4: restored, but the database differs from the backup's manifest.");
  table.Add(
      r, Command{.access = RepositoryAccess::kLockedWithIndex,
                 .validate = [restore](const GlobalOptions&) { return ValidateRestore(*restore); },
                 .run = [restore](CommandContext& c) { return RunRestore(c, *restore); }});

  auto verify = std::make_shared<PgVerifyArgs>();
  CLI::App* v = pg->add_subcommand("verify", "Compare a database with a backup's manifest");
  v->add_option("snapshot", verify->snapshot, "snapshot id prefix or \"latest\"")->required();
  v->add_option("-d,--dbname", verify->dbname, "connection string of the database to check")
      ->type_name("CONNINFO");
  v->add_option("-t,--table", verify->tables, "only tables matching PATTERN")
      ->type_name("PATTERN")
      ->allow_extra_args(false);
  v->add_flag("--content", verify->content,
              "also compare every row (a SHA-256 over each table), not only row counts");
  v->footer("Exit code 4: the database differs from the backup.");
  table.Add(v, Command{.access = RepositoryAccess::kLockedWithIndex,
                       .run = [verify](CommandContext& c) { return RunVerify(c, *verify); }});

  auto dump = std::make_shared<PgDumpArgs>();
  CLI::App* d = pg->add_subcommand("dump", "Write a backup as a plain SQL script to stdout");
  d->add_option("snapshot", dump->snapshot, "snapshot id prefix or \"latest\"")->required();
  d->add_option("--format", dump->format, "plain (the only format so far)")
      ->check(CLI::IsMember({"plain"}));
  table.Add(d, Command{.access = RepositoryAccess::kLockedWithIndex,
                       .run = [dump](CommandContext& c) { return RunDump(c, *dump); }});
}

}  // namespace lifeboat::cli
