// `lifeboat git backup|restore`: git repositories as a source (sources/git).
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/cli/source_backup.h"
#include "lifeboat/sources/git/backup.h"
#include "lifeboat/sources/git/restore.h"

namespace lifeboat::cli {

namespace {

namespace git = sources::git;

struct GitBackupArgs {
  std::string path;
  std::vector<std::string> tags;
  std::string host;
};

std::string HeadText(const git::GitManifest& manifest) {
  if (!manifest.head.empty()) return manifest.head;
  if (!manifest.head_commit.empty()) return "detached at " + manifest.head_commit;
  return "(none)";
}

Result<ExitCode> RunBackup(CommandContext& context, const GitBackupArgs& args) {
  git::GitBackupOptions options;
  options.path = args.path;
  SetSnapshotIdentity(options, args.tags, args.host);
  Result<git::GitBackupResult> result =
      RunWithProgress(context.globals, [&](engine::BackupProgress* progress) {
        return git::BackupGitRepository(*context.session.repository, options, progress);
      });
  if (!result.ok()) return NoSnapshotSaved(result.status());
  RecordBackupInAudit(context, result->backup);
  const repo::SnapshotSummary& summary = result->backup.snapshot.summary;
  const git::GitManifest& manifest = result->manifest;
  const double seconds = (summary.end_ns - summary.start_ns) / 1e9;
  if (context.globals.json) {
    PrintJson({{"message_type", "summary"},
               {"snapshot_id", result->backup.snapshot_id.Hex()},
               {"short_id", result->backup.snapshot_id.ShortHex()},
               {"repository", manifest.repository},
               {"refs", manifest.refs.size()},
               {"head", manifest.head},
               {"bundle_bytes", manifest.bundle_bytes},
               {"bundle_sha256", manifest.bundle_sha256},
               {"bytes_added", summary.bytes_added},
               {"bytes_added_stored", summary.bytes_added_stored},
               {"duration_seconds", seconds}});
  } else if (!context.globals.quiet) {
    PrintText("Repository: " + manifest.repository + " (git " + manifest.git_version + ")\n" +
              "Refs:       " + std::to_string(manifest.refs.size()) + ", HEAD " +
              HeadText(manifest) + "\n" + "Bundle:     " + FormatBytes(manifest.bundle_bytes) +
              ", verified\n" + "Added:      " + FormatBytes(summary.bytes_added) + " (" +
              FormatBytes(summary.bytes_added_stored) + " stored) in " + FormatDuration(seconds) +
              "\n" + "snapshot " + result->backup.snapshot_id.ShortHex() + " saved\n");
  }
  return ExitCode::kOk;
}

struct GitRestoreArgs {
  std::string snapshot;
  std::string target;
  bool bare = false;
};

Result<ExitCode> RunRestore(CommandContext& context, const GitRestoreArgs& args) {
  repo::Repository& repository = *context.session.repository;
  LIFEBOAT_ASSIGN_OR_RETURN(
      auto found, FindSourceSnapshot(repository, args.snapshot, "git", "lifeboat git backup"));
  LIFEBOAT_ASSIGN_OR_RETURN(git::GitRestoreResult result,
                            git::RestoreGitRepository(repository, found.second,
                                                      {.target = args.target, .bare = args.bare}));
  if (context.globals.json) {
    PrintJson({{"message_type", "summary"},
               {"snapshot_id", found.first.Hex()},
               {"target", args.target},
               {"refs", result.manifest.refs.size()},
               {"head", result.manifest.head},
               {"bundle_bytes", result.bundle_bytes}});
  } else if (!context.globals.quiet) {
    PrintText("restored snapshot " + found.first.ShortHex() + " of " + result.manifest.repository +
              " to " + args.target + ": " + std::to_string(result.manifest.refs.size()) +
              " refs, HEAD " + HeadText(result.manifest) + "; refs match the manifest\n");
  }
  return ExitCode::kOk;
}

}  // namespace

void AddGitCommand(CLI::App& app, CommandTable& table) {
  CLI::App* group = app.add_subcommand("git", "git repositories as a source: backup, restore");
  group->require_subcommand(1);

  auto backup = std::make_shared<GitBackupArgs>();
  CLI::App* b = group->add_subcommand(
      "backup", "Back up every branch and tag of a repository as one verified git bundle");
  b->add_option("path", backup->path, "the repository: its top-level directory, or a bare one")
      ->required();
  b->add_option("--tag", backup->tags, "add tags (comma-separated, repeatable)")
      ->type_name("TAG")
      ->allow_extra_args(false);
  b->add_option("--host", backup->host, "record HOST instead of this machine's hostname");
  table.Add(b, Command{.access = RepositoryAccess::kLockedWithIndex,
                       .run = [backup](CommandContext& c) { return RunBackup(c, *backup); }});

  auto restore = std::make_shared<GitRestoreArgs>();
  CLI::App* r = group->add_subcommand(
      "restore", "Clone a git snapshot into a new repository with the same refs");
  r->add_option("snapshot", restore->snapshot, "snapshot id prefix or \"latest\"")->required();
  r->add_option("--to", restore->target, "a new or empty directory")->type_name("DIR")->required();
  r->add_flag("--bare", restore->bare, "make a bare repository (no working tree)");
  table.Add(r, Command{.access = RepositoryAccess::kLockedWithIndex,
                       .run = [restore](CommandContext& c) { return RunRestore(c, *restore); }});
}

}  // namespace lifeboat::cli
