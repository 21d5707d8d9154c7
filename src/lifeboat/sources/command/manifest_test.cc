#include "lifeboat/sources/command/manifest.h"

#include <gtest/gtest.h>

#include "lifeboat/sources/command/backup.h"

namespace lifeboat::sources::command {
namespace {

TEST(CommandManifest, RoundTripsThroughJson) {
  CommandManifest manifest{.argv = {"pg_dump", "--table=users", "my db"},
                           .exit_status = 0,
                           .file = "users.sql",
                           .bytes = 12345,
                           .sha256 = std::string(64, 'a'),
                           .started = "2026-11-23T18:00:00.000000000Z",
                           .finished = "2026-11-23T18:00:05.000000000Z"};
  Result<CommandManifest> back = CommandManifestFromJson(CommandManifestToJson(manifest));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->argv, manifest.argv);
  EXPECT_EQ(back->file, "users.sql");
  EXPECT_EQ(back->bytes, 12345u);
  EXPECT_EQ(back->sha256, manifest.sha256);
  EXPECT_EQ(back->started, manifest.started);
  EXPECT_EQ(back->finished, manifest.finished);
}

TEST(CommandManifest, RejectsANewerFormat) {
  Result<CommandManifest> back = CommandManifestFromJson(R"({"format": 2})");
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().message(),
            "command manifest format 2 is newer than this lifeboat understands");
}

TEST(CommandManifest, SnapshotsWithoutAManifestAreNotCommandBackups) {
  repo::Snapshot snapshot;
  snapshot.source = "command";  // made by `backup --stdin-from-command`
  Result<CommandManifest> manifest = SnapshotCommandManifest(snapshot);
  ASSERT_FALSE(manifest.ok());
  EXPECT_EQ(manifest.status().message(),
            "the snapshot is not a command backup (its source is \"command\")");
}

TEST(QuoteCommandLine, QuotesWhatAShellWouldSplit) {
  EXPECT_EQ(QuoteCommandLine({"sh", "-c", "exit 3"}), "sh -c 'exit 3'");
  EXPECT_EQ(QuoteCommandLine({"echo", "it's", ""}), "echo 'it'\\''s' ''");
  EXPECT_EQ(QuoteCommandLine({"pg_dump", "--dbname=postgres://h:5432/db"}),
            "pg_dump --dbname=postgres://h:5432/db");
}

TEST(RedactArguments, HidesPasswordsInUrlsAndSecretOptions) {
  EXPECT_EQ(RedactArguments({"pg_dump", "postgresql://app:s3cr3t@db.internal:5432/app",
                             "--password=hunter2", "--api-token=abc", "--table=users",
                             "https://example.org/a@b", "mysql://root@host/db"}),
            (std::vector<std::string>{"pg_dump", "postgresql://app:***@db.internal:5432/app",
                                      "--password=***", "--api-token=***", "--table=users",
                                      "https://example.org/a@b", "mysql://root@host/db"}));
  EXPECT_EQ(RedactArguments({"sh", "-c", "pg_dump postgres://u:p@h/db > x"})[2],
            "pg_dump postgres://u:***@h/db > x");
}

TEST(ValidateOutputName, AcceptsPlainNamesOnly) {
  EXPECT_TRUE(ValidateOutputName("users.sql").ok());
  for (const char* bad : {"", ".", "..", "a/b", "/abs"}) {
    Status status = ValidateOutputName(bad);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(status.message(),
              "--name must be a plain file name without '/', got \"" + std::string(bad) + "\"");
  }
}

}  // namespace
}  // namespace lifeboat::sources::command
