// `lifeboat copy --from-repo SRC --repo DST [SNAPSHOT...]`: copies snapshots from another
// repository into this one (ops/copy.h), skipping those already copied.
//
// The destination comes from --repo and its password options, as for every command; the
// source has its own: --from-repo, --from-password-file, --from-password-command and
// LIFEBOAT_FROM_PASSWORD*, as restic names them. Both get a shared lock: copy only adds
// objects to the destination, as a backup does, so backups may run into it meanwhile, and it
// only reads the source.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/cli/password.h"
#include "lifeboat/ops/copy.h"

namespace lifeboat::cli {

namespace {

struct CopyArgs {
  std::string from_repo;
  std::string from_password_file;
  std::string from_password_command;
  std::vector<std::string> hosts;
  std::vector<std::string> tags;  // each a comma-separated set that must all be present
  std::vector<std::string> paths;
  std::vector<std::string> snapshots;  // ids, prefixes or "latest"
};

PasswordSources FromPasswords(const CopyArgs& args) {
  return FromPasswordSourcesFromEnvironment(args.from_password_command, args.from_password_file);
}

Status Validate(const CopyArgs& args) {
  if (args.from_repo.empty()) {
    return InvalidArgumentError("no source repository given")
        .WithHint("pass --from-repo PATH or set LIFEBOAT_FROM_REPOSITORY");
  }
  LIFEBOAT_RETURN_IF_ERROR(ValidateRepositoryLocation(args.from_repo));
  return CheckPasswordSources(FromPasswords(args));
}

bool Matches(const CopyArgs& args, const repo::Snapshot& snapshot) {
  return SnapshotMatchesFilter(snapshot, args.hosts, args.tags, args.paths);
}

// The snapshots to copy, oldest first: those named (where "latest" is the newest one that
// passes the filters), or every one that passes the filters.
Result<std::vector<std::pair<Id, repo::Snapshot>>> Select(repo::Repository& source,
                                                          const CopyArgs& args) {
  LIFEBOAT_ASSIGN_OR_RETURN(auto all, source.ListSnapshots());
  std::erase_if(all, [&](const auto& entry) { return !Matches(args, entry.second); });
  if (args.snapshots.empty()) return all;
  std::vector<std::pair<Id, repo::Snapshot>> selected;
  std::set<Id> seen;
  for (const std::string& reference : args.snapshots) {
    std::pair<Id, repo::Snapshot> found;
    if (reference == "latest") {
      if (all.empty()) {
        return NotFoundError("the source repository has no snapshot to copy")
            .WithHint("check --host, --tag and --path");
      }
      found = all.back();
    } else {
      Result<std::pair<Id, repo::Snapshot>> named = source.FindSnapshot(reference);
      if (!named.ok()) return named.status().WithContext("source repository");
      found = std::move(named).value();
    }
    if (seen.insert(found.first).second) selected.push_back(std::move(found));
  }
  std::stable_sort(selected.begin(), selected.end(), [](const auto& a, const auto& b) {
    return a.second.time_ns < b.second.time_ns;
  });
  return selected;
}

// Errors opening the source say so, and point at the source's own options.
Status AboutSource(const Status& status) {
  Status out = status.WithContext("source repository");
  switch (status.code()) {
    case StatusCode::kNotFound:
      if (status.message().starts_with("there is no repository at ")) {
        out = out.WithHint("check --from-repo");
      }
      break;
    case StatusCode::kWrongPassword:
      out = out.WithHint(
          "check --from-password-file, --from-password-command, LIFEBOAT_FROM_PASSWORD, "
          "LIFEBOAT_FROM_PASSWORD_FILE or LIFEBOAT_FROM_PASSWORD_COMMAND");
      break;
    default:
      break;
  }
  return out;
}

std::string Blobs(uint64_t count, uint64_t bytes) {
  return std::to_string(count) + (count == 1 ? " blob (" : " blobs (") + FormatBytes(bytes) + ")";
}

std::string Snapshots(uint64_t count) {
  return std::to_string(count) + (count == 1 ? " snapshot" : " snapshots");
}

Result<ExitCode> Run(CommandContext& context, const CopyArgs& args) {
  const GlobalOptions& globals = context.globals;
  Stage stage = Stage::kRunning;
  std::vector<std::string> backend_options;
  // -o options are about s3: locations; a local source ignores them.
  if (args.from_repo.starts_with("s3:")) backend_options = globals.backend_options;
  Result<std::unique_ptr<Session>> opened =
      OpenSession(SessionRequest{.location = args.from_repo,
                                 .access = RepositoryAccess::kLockedWithIndex,
                                 .passwords = FromPasswords(args),
                                 .backend_options = backend_options},
                  &stage);
  if (!opened.ok()) {
    // Reported here, so "no repository" at the source is exit 10 as for the destination.
    const Status status = AboutSource(opened.status());
    PrintError(status);
    return ExitCodeFor(status, stage);
  }
  Session& source = **opened;
  Session& destination = context.session;

  LIFEBOAT_ASSIGN_OR_RETURN(auto selected, Select(*source.repository, args));
  if (globals.ShowInfo()) {
    PrintInfo("copying " + Snapshots(selected.size()) + " from " + source.location + " to " +
              destination.location);
  }
  ops::CopyProgress progress;
  ProgressLine line(globals.ShowProgress(), [&, total = selected.size()](double elapsed) {
    return "[" + FormatDuration(elapsed) + "] " + std::to_string(progress.snapshots_done) + " of " +
           Snapshots(total) + ", " + Blobs(progress.blobs_copied, progress.bytes_copied) +
           " written, " + Blobs(progress.blobs_present, progress.bytes_present) +
           " already present";
  });
  Result<ops::CopyReport> copied = ops::CopySnapshots(*source.repository, *destination.repository,
                                                      selected, ops::CopyOptions{}, &progress);
  line.Stop();
  LIFEBOAT_RETURN_IF_ERROR(copied.status());
  const ops::CopyReport& report = *copied;
  if (context.audit != nullptr) {
    context.audit->bytes_added = report.bytes_copied;
    context.audit->bytes_total = report.bytes_copied + report.bytes_present;
    context.audit->unchanged = report.copied == 0;
    // One snapshot copied names it; several are listed by `copy --json`.
    if (report.snapshots.size() == 1) {
      context.audit->snapshot_id = report.snapshots.front().destination_id.Hex();
    }
  }

  if (globals.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const ops::CopiedSnapshot& entry : report.snapshots) {
      nlohmann::json item = SnapshotJson(entry.destination_id, entry.snapshot);
      item["source_id"] = entry.source_id.Hex();
      item["skipped"] = entry.skipped;
      list.push_back(std::move(item));
    }
    PrintJson({{"message_type", "summary"},
               {"source", source.location},
               {"destination", destination.location},
               {"snapshots_copied", report.copied},
               {"snapshots_skipped", report.skipped},
               {"blobs_copied", report.blobs_copied},
               {"bytes_copied", report.bytes_copied},
               {"blobs_present", report.blobs_present},
               {"bytes_present", report.bytes_present},
               {"trees_written", report.trees_written},
               {"bytes_stored", report.bytes_stored},
               {"snapshots", list}});
    return ExitCode::kOk;
  }
  std::string text;
  for (const ops::CopiedSnapshot& entry : report.snapshots) {
    const std::string what = "snapshot " + entry.source_id.ShortHex() + " of " +
                             entry.snapshot.hostname + " at " +
                             FormatLocalTime(entry.snapshot.time_ns);
    text += entry.skipped ? what + " is already there as " + entry.destination_id.ShortHex() + "\n"
                          : what + " copied as " + entry.destination_id.ShortHex() + "\n";
  }
  text += Snapshots(report.copied) + " copied, " + std::to_string(report.skipped) +
          " already there; " + Blobs(report.blobs_copied, report.bytes_copied) + " written, " +
          Blobs(report.blobs_present, report.bytes_present) + " already present\n";
  PrintText(text);
  return ExitCode::kOk;
}

}  // namespace

void AddCopyCommand(CLI::App& app, CommandTable& table) {
  auto args = std::make_shared<CopyArgs>();
  CLI::App* command = app.add_subcommand(
      "copy", "Copy snapshots from another repository (--from-repo) into this one");
  command
      ->add_option("--from-repo", args->from_repo,
                   "the repository to copy from: a local directory or s3:...")
      ->envname("LIFEBOAT_FROM_REPOSITORY");
  command
      ->add_option("--from-password-file", args->from_password_file,
                   "read the source repository's password from a file")
      ->envname("LIFEBOAT_FROM_PASSWORD_FILE");
  command
      ->add_option("--from-password-command", args->from_password_command,
                   "run a shell command that prints the source repository's password")
      ->envname("LIFEBOAT_FROM_PASSWORD_COMMAND");
  AddSnapshotFilterOptions(command, &args->hosts, &args->tags, &args->paths);
  command
      ->add_option("snapshot", args->snapshots,
                   "snapshots to copy: ids, prefixes or \"latest\" (default: all that match)")
      ->type_name("SNAPSHOT");
  table.Add(command,
            Command{.access = RepositoryAccess::kLockedWithIndex,
                    .validate = [args](const GlobalOptions&) { return Validate(*args); },
                    .run = [args](CommandContext& context) { return Run(context, *args); }});
}

}  // namespace lifeboat::cli
