// `lifeboat audit`: lists the audit log's records (from the local database, or with
// --from-repo from the copies in the repository), and `lifeboat audit verify` walks its hash
// chain. Neither touches a repository's data, so neither leaves a record of its own.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/command_audit.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/ops/audit.h"
#include "lifeboat/util/clock.h"

namespace lifeboat::cli {
namespace {

struct AuditArgs {
  std::string since;
  std::string job;
  std::string status;
  std::string operation;
  size_t limit = 0;
  bool csv = false;
  bool from_repo = false;
};

Status Validate(const GlobalOptions& globals, const AuditArgs& args) {
  if (!args.status.empty() && !ops::IsAuditStatus(args.status)) {
    return InvalidArgumentError("--status " + args.status + " is not a record status")
        .WithHint("use success, failed, partial or interrupted");
  }
  if (args.csv && globals.json) {
    return InvalidArgumentError("--csv and --json cannot be used together")
        .WithHint("choose one output format");
  }
  if (!args.since.empty()) {
    return ops::ParseAuditSince(args.since, SystemClock().NowNanos()).status();
  }
  return Status::Ok();
}

// RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled.
std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string Csv(const std::vector<ops::AuditRecord>& records) {
  std::string out =
      "sequence,id,operation,job,repository,snapshot_id,bytes_added,bytes_total,status,error,"
      "started_at,finished_at,duration_ms,host,user,prev_hash,hash\r\n";
  for (const ops::AuditRecord& r : records) {
    const std::vector<std::string> fields = {std::to_string(r.sequence),
                                             r.id,
                                             r.operation,
                                             r.job,
                                             r.repository,
                                             r.snapshot_id,
                                             std::to_string(r.bytes_added),
                                             std::to_string(r.bytes_total),
                                             r.status,
                                             r.error,
                                             r.started_at,
                                             r.finished_at,
                                             std::to_string(r.duration_ms),
                                             r.host,
                                             r.user,
                                             r.prev_hash,
                                             r.hash};
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out += ',';
      out += CsvField(fields[i]);
    }
    out += "\r\n";
  }
  return out;
}

std::string Table(const std::vector<ops::AuditRecord>& records) {
  // Errors can be paragraphs; the table shows their first line, --json all of it.
  constexpr size_t kErrorWidth = 60;
  TextTable table({"Seq", "Started (UTC)", "Operation", "Job", "Status", "Snapshot", "Added",
                   "Duration", "Error"});
  for (const ops::AuditRecord& r : records) {
    std::string error = r.error.substr(0, r.error.find('\n'));
    if (error.size() > kErrorWidth) error = error.substr(0, kErrorWidth - 3) + "...";
    table.AddRow({std::to_string(r.sequence), r.started_at.substr(0, 19), r.operation, r.job,
                  r.status, r.snapshot_id.substr(0, 8),
                  r.bytes_added > 0 ? FormatBytes(r.bytes_added) : "",
                  FormatDuration(static_cast<double>(r.duration_ms) / 1000.0), error});
  }
  return table.Render() + std::to_string(records.size()) +
         (records.size() == 1 ? " record\n" : " records\n");
}

Result<std::vector<ops::AuditRecord>> FromRepository(const GlobalOptions& globals) {
  Stage stage = Stage::kRunning;
  Result<std::unique_ptr<Session>> session =
      OpenSession(SessionRequest{.location = globals.repository,
                                 .access = RepositoryAccess::kOpen,
                                 .passwords = PasswordSourcesFromEnvironment(
                                     globals.password_command, globals.password_file),
                                 .backend_options = globals.backend_options},
                  &stage);
  if (!session.ok()) return session.status();
  return ops::LoadAuditRecordsFromRepository(*(*session)->repository);
}

Result<ExitCode> RunList(CommandContext& context, const AuditArgs& args) {
  const GlobalOptions& globals = context.globals;
  ops::AuditFilter filter{
      .job = args.job, .status = args.status, .operation = args.operation, .limit = args.limit};
  if (!args.since.empty()) {
    LIFEBOAT_ASSIGN_OR_RETURN(filter.since,
                              ops::ParseAuditSince(args.since, SystemClock().NowNanos()));
  }
  std::vector<ops::AuditRecord> records;
  if (args.from_repo) {
    LIFEBOAT_ASSIGN_OR_RETURN(std::vector<ops::AuditRecord> all, FromRepository(globals));
    records = ops::FilterAuditRecords(std::move(all), filter);
  } else {
    LIFEBOAT_ASSIGN_OR_RETURN(std::string path, AuditDatabasePath(globals));
    LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<ops::AuditLog> log, ops::AuditLog::Open(path));
    LIFEBOAT_ASSIGN_OR_RETURN(records, log->Query(filter));
  }
  if (globals.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const ops::AuditRecord& record : records) {
      list.push_back(nlohmann::json::parse(ops::EncodeAuditRecord(record)));
    }
    PrintJson(list);
  } else if (args.csv) {
    PrintText(Csv(records));
  } else {
    PrintText(Table(records));
  }
  return ExitCode::kOk;
}

Result<ExitCode> RunVerify(CommandContext& context, bool with_repository) {
  const GlobalOptions& globals = context.globals;
  LIFEBOAT_ASSIGN_OR_RETURN(std::string path, AuditDatabasePath(globals));
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<ops::AuditLog> log, ops::AuditLog::Open(path));
  LIFEBOAT_ASSIGN_OR_RETURN(std::vector<ops::AuditRecord> records, log->Query({}));
  LIFEBOAT_ASSIGN_OR_RETURN(std::vector<std::string> problems, log->Verify());
  if (with_repository) {
    LIFEBOAT_ASSIGN_OR_RETURN(std::vector<ops::AuditRecord> copies, FromRepository(globals));
    for (std::string& problem : ops::FindRecordsMissingFromTheEnd(records, copies)) {
      problems.push_back(std::move(problem));
    }
  }
  if (globals.json) {
    PrintJson({{"path", path},
               {"records", records.size()},
               {"intact", problems.empty()},
               {"problems", problems}});
  } else {
    for (const std::string& problem : problems) PrintText(problem + "\n");
    if (problems.empty()) {
      PrintText("audit log " + path + ": " + std::to_string(records.size()) +
                " records, the chain is intact\n");
    }
  }
  if (problems.empty()) return ExitCode::kOk;
  PrintError(CorruptionError("the audit log " + path +
                             " failed verification: " + std::to_string(problems.size()) +
                             (problems.size() == 1 ? " problem" : " problems"))
                 .WithHint("compare with `lifeboat audit --from-repo`, the copies kept in the "
                           "repository"));
  return ExitCode::kVerifyFailed;
}

}  // namespace

void AddAuditCommand(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<AuditArgs>();
  CLI::App* command = app.add_subcommand(
      "audit", "List the audit log: one record per command that touched a repository");
  command->add_option("--since", args->since, "only records since 7d, 12h, 30m or a date")
      ->type_name("WHEN");
  command->add_option("--job", args->job, "only records of this job")->type_name("JOB");
  command->add_option("--status", args->status, "only success, failed, partial or interrupted")
      ->type_name("STATUS");
  command->add_option("--operation", args->operation, "only this operation (e.g. \"pg backup\")")
      ->type_name("OPERATION");
  command->add_option("--limit", args->limit, "only the newest N records")->type_name("N");
  command->add_flag("--csv", args->csv, "print CSV (RFC 4180) instead of a table");
  command->add_flag("--from-repo", args->from_repo,
                    "read the copies stored in the repository (--repo) instead of the local "
                    "audit database");
  // Registered before `audit`: the table picks the first parsed command, and a parsed
  // subcommand's parent is parsed too.
  CLI::App* verify =
      command->add_subcommand("verify", "Check the audit log's hash chain (exit 4 when broken)");
  auto verify_with_repository = std::make_shared<bool>(false);
  verify->add_flag("--from-repo", *verify_with_repository,
                   "also compare with the copies in the repository (--repo), which shows records "
                   "removed from the end of the log");
  table.Add(verify, Command{.run = [verify_with_repository](CommandContext& context) {
              return RunVerify(context, *verify_with_repository);
            }});
  table.Add(
      command,
      Command{.validate = [args](const GlobalOptions& globals) { return Validate(globals, *args); },
              .run = [args](CommandContext& context) { return RunList(context, *args); }});
}

}  // namespace lifeboat::cli
