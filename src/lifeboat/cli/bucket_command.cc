// `lifeboat bucket backup|restore`: S3 buckets as a source (sources/bucket).
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "lifeboat/cli/command.h"
#include "lifeboat/cli/output.h"
#include "lifeboat/cli/repository_opener.h"
#include "lifeboat/cli/source_backup.h"
#include "lifeboat/sources/bucket/backup.h"
#include "lifeboat/sources/bucket/restore.h"

namespace lifeboat::cli {

namespace {

namespace bucket = sources::bucket;

struct BucketBackupArgs {
  std::string source;
  std::string prefix;
  std::vector<std::string> tags;
  std::string host;
  int jobs = 8;
};

Status ValidateJobs(int jobs) {
  if (jobs < 1 || jobs > 64) return InvalidArgumentError("--jobs must be 1 to 64");
  return Status::Ok();
}

Status ValidateRestore(int jobs, uint64_t multipart_threshold) {
  LIFEBOAT_RETURN_IF_ERROR(ValidateJobs(jobs));
  // S3 allows single PUTs up to 5 GiB.
  if (multipart_threshold == 0 || multipart_threshold > (uint64_t{5} << 30)) {
    return InvalidArgumentError("--multipart-threshold must be 1 byte to 5 GiB");
  }
  return Status::Ok();
}

Result<ExitCode> RunBackup(CommandContext& context, const BucketBackupArgs& args) {
  bucket::BucketBackupOptions options;
  options.location = args.source;
  // The bucket gets the repository's -o s3.* options; each request is retried on its own.
  LIFEBOAT_ASSIGN_OR_RETURN(options.s3, S3OptionsFor(context.globals.backend_options));
  options.prefix = args.prefix;
  options.jobs = args.jobs;
  SetSnapshotIdentity(options, args.tags, args.host);

  Result<bucket::BucketBackupResult> result =
      RunWithProgress(context.globals, [&](engine::BackupProgress* progress) {
        return bucket::BackupBucket(*context.session.repository, options, progress);
      });
  if (!result.ok()) return NoSnapshotSaved(result.status());
  const repo::SnapshotSummary& summary = result->backup.snapshot.summary;
  if (context.audit != nullptr) {
    context.audit->snapshot_id = result->backup.snapshot_id.Hex();
    context.audit->bytes_added = summary.bytes_added;
    context.audit->bytes_total = summary.total_bytes;
  }
  const bucket::BucketManifest& manifest = result->manifest;
  const double seconds = (summary.end_ns - summary.start_ns) / 1e9;
  if (manifest.vanished > 0) {
    PrintWarning(std::to_string(manifest.vanished) +
                 " object(s) were deleted from the bucket while it was being backed up");
  }
  if (context.globals.json) {
    PrintJson({{"message_type", "summary"},
               {"snapshot_id", result->backup.snapshot_id.Hex()},
               {"short_id", result->backup.snapshot_id.ShortHex()},
               {"bucket", manifest.bucket},
               {"prefix", manifest.prefix},
               {"objects", manifest.objects},
               {"bytes", manifest.bytes},
               {"vanished", manifest.vanished},
               {"bytes_added", summary.bytes_added},
               {"bytes_added_stored", summary.bytes_added_stored},
               {"duration_seconds", seconds}});
  } else if (!context.globals.quiet) {
    PrintText("Bucket:     " + manifest.bucket + " at " + manifest.endpoint +
              (manifest.prefix.empty() ? "" : ", prefix " + manifest.prefix) + "\n" +
              "Objects:    " + std::to_string(manifest.objects) + ", " +
              FormatBytes(manifest.bytes) + "\n" +
              "Added:      " + FormatBytes(summary.bytes_added) + " (" +
              FormatBytes(summary.bytes_added_stored) + " stored) in " + FormatDuration(seconds) +
              "\n" + "snapshot " + result->backup.snapshot_id.ShortHex() + " saved\n");
  }
  return ExitCode::kOk;
}

struct BucketRestoreArgs {
  std::string snapshot;
  std::string target;
  std::string prefix;
  std::vector<std::string> include;
  bool create_bucket = false;
  int jobs = 8;
  // Each worker holds an object up to this size (or one part) in memory: 8 jobs × 16 MiB.
  uint64_t multipart_threshold = uint64_t{16} << 20;
};

// "latest" means the latest bucket snapshot, even when a repository also holds other sources'.
Result<std::pair<Id, repo::Snapshot>> FindBucketSnapshot(repo::Repository& repository,
                                                         const std::string& reference) {
  if (reference != "latest") return repository.FindSnapshot(reference);
  LIFEBOAT_ASSIGN_OR_RETURN(auto snapshots, repository.ListSnapshots());
  const std::pair<Id, repo::Snapshot>* latest = nullptr;
  for (const auto& entry : snapshots) {
    if (entry.second.source != "bucket") continue;
    if (latest == nullptr || entry.second.time_ns >= latest->second.time_ns) latest = &entry;
  }
  if (latest == nullptr) {
    return NotFoundError("the repository has no bucket snapshots")
        .WithHint("make one with `lifeboat bucket backup`");
  }
  return *latest;
}

Result<ExitCode> RunRestore(CommandContext& context, const BucketRestoreArgs& args) {
  repo::Repository& repository = *context.session.repository;
  LIFEBOAT_ASSIGN_OR_RETURN(auto found, FindBucketSnapshot(repository, args.snapshot));
  if (context.audit != nullptr) context.audit->snapshot_id = found.first.Hex();
  bucket::BucketRestoreOptions options;
  options.location = args.target;
  LIFEBOAT_ASSIGN_OR_RETURN(options.s3, S3OptionsFor(context.globals.backend_options));
  options.s3.multipart_threshold = args.multipart_threshold;
  // S3's smallest part is 5 MiB; a lower threshold still sends parts of at least that.
  options.s3.part_size = std::max<uint64_t>(args.multipart_threshold, uint64_t{5} << 20);
  options.prefix = args.prefix;
  options.include = args.include;
  options.create_bucket = args.create_bucket;
  options.jobs = args.jobs;
  options.on_error = [](const std::string& key, const Status& error) {
    PrintItemError("object \"" + key + "\": " + error.message());
  };
  LIFEBOAT_ASSIGN_OR_RETURN(bucket::BucketRestoreResult result,
                            bucket::RestoreBucket(repository, found.second, options));
  if (context.audit != nullptr) context.audit->bytes_total = result.bytes;
  if (context.globals.json) {
    PrintJson({{"message_type", "summary"},
               {"snapshot_id", found.first.Hex()},
               {"restored", result.restored},
               {"bytes", result.bytes},
               {"failed", result.failed},
               {"skipped", result.skipped}});
  } else if (!context.globals.quiet) {
    PrintText("restored snapshot " + found.first.ShortHex() + ": " +
              std::to_string(result.restored) + " objects, " + FormatBytes(result.bytes) +
              (result.skipped ? ", " + std::to_string(result.skipped) + " left out" : "") + "\n");
  }
  if (result.failed > 0) {
    return IoError(std::to_string(result.failed) + " of " +
                   std::to_string(result.failed + result.restored) +
                   " objects could not be restored")
        .WithHint("the errors above name each object; run the restore again to retry them");
  }
  return ExitCode::kOk;
}

}  // namespace

void AddBucketCommand(CLI::App& app, CommandTable& table) {
  CLI::App* group = app.add_subcommand("bucket", "S3 buckets as a source: backup, restore");
  group->require_subcommand(1);
  group->footer(
      "Buckets are named as s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX]; credentials come from\n"
      "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN, AWS_DEFAULT_REGION).");

  auto backup = std::make_shared<BucketBackupArgs>();
  CLI::App* b = group->add_subcommand("backup", "Back up a bucket's objects and their metadata");
  b->add_option("source", backup->source, "the bucket: s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX]")
      ->required();
  b->add_option("--prefix", backup->prefix, "only keys starting with PREFIX")->type_name("PREFIX");
  b->add_option("-j,--jobs", backup->jobs, "objects read at once (default 8)");
  b->add_option("--tag", backup->tags, "add tags (comma-separated, repeatable)")
      ->type_name("TAG")
      ->allow_extra_args(false);
  b->add_option("--host", backup->host, "record HOST instead of this machine's hostname");
  table.Add(
      b, Command{.access = RepositoryAccess::kLockedWithIndex,
                 .validate = [backup](const GlobalOptions&) { return ValidateJobs(backup->jobs); },
                 .run = [backup](CommandContext& c) { return RunBackup(c, *backup); }});

  auto restore = std::make_shared<BucketRestoreArgs>();
  CLI::App* r = group->add_subcommand("restore", "Put a bucket snapshot's objects into a bucket");
  r->add_option("snapshot", restore->snapshot, "snapshot id prefix or \"latest\"")->required();
  r->add_option("--to", restore->target, "the target bucket: s3:http(s)://HOST[:PORT]/BUCKET")
      ->required();
  r->add_option("--prefix", restore->prefix, "only keys starting with PREFIX")->type_name("PREFIX");
  r->add_option("--include", restore->include,
                "only keys matching PATTERN (* and ? match any character, '/' too; repeatable)")
      ->type_name("PATTERN")
      ->allow_extra_args(false);
  r->add_flag("--create-bucket", restore->create_bucket, "create the target bucket if missing");
  r->add_option("-j,--jobs", restore->jobs, "objects written at once (default 8)");
  r->add_option("--multipart-threshold", restore->multipart_threshold,
                "upload objects larger than BYTES in parts (default 16 MiB)")
      ->type_name("BYTES");
  r->footer("Exit code 1 when any object could not be restored; each failure is named.");
  table.Add(r, Command{.access = RepositoryAccess::kLockedWithIndex,
                       .validate =
                           [restore](const GlobalOptions&) {
                             return ValidateRestore(restore->jobs, restore->multipart_threshold);
                           },
                       .run = [restore](CommandContext& c) { return RunRestore(c, *restore); }});
}

}  // namespace lifeboat::cli
