// The parts of the PostgreSQL backup that need no server: table patterns, file names, the
// manifest's JSON form, connection strings. The server round trips are tests/e2e/pg_*_test.sh.
#include "lifeboat/sources/postgres/backup.h"

#include <gtest/gtest.h>

#include "lifeboat/sources/postgres/connection.h"
#include "lifeboat/sources/postgres/tools.h"

namespace lifeboat::sources::postgres {
namespace {

TEST(TablePattern, MatchesNameInAnySchemaOrQualified) {
  EXPECT_TRUE(TablePatternMatches("users", "public", "users"));
  EXPECT_TRUE(TablePatternMatches("users", "billing", "users"));
  EXPECT_FALSE(TablePatternMatches("users", "public", "user_subscriptions"));
  EXPECT_TRUE(TablePatternMatches("user_*", "public", "user_subscriptions"));
  EXPECT_TRUE(TablePatternMatches("public.users", "public", "users"));
  EXPECT_FALSE(TablePatternMatches("billing.users", "public", "users"));
  EXPECT_TRUE(TablePatternMatches("*.*", "x", "y"));
  EXPECT_TRUE(TablePatternMatches("log?", "public", "logs"));
}

TEST(TableFileName, EncodesOnlyWhatCannotBeAPathComponent) {
  EXPECT_EQ(TableFileName("public", "users"), "tables/public.users.copy");
  EXPECT_EQ(TableFileName("we/ird", "a%b\n"), "tables/we%2Fird.a%25b%0A.copy");
  EXPECT_EQ(TableFileName("Ünï", "Spaced Name"), "tables/Ünï.Spaced Name.copy");
}

TEST(Manifest, RoundTripsThroughJson) {
  Manifest m;
  m.database = "app";
  m.server_version = "15.4";
  m.server_version_num = 150004;
  m.encoding = "UTF8";
  m.collate = "C.UTF-8";
  m.ctype = "C.UTF-8";
  m.snapshot_time = "2026-11-23T10:00:00.000000Z";
  m.wal_lsn = "0/1A2B3C4";
  m.pg_dump_version = "15.4";
  m.schema_file = "schema.dump";
  m.chunk_average = 16384;
  m.tiers_selected = {1};
  m.schemas = {"billing", "public"};
  m.extensions = {{"vector", "0.5.1", "public"}};
  m.tables = {{"public",
               "users",
               1,
               42,
               8192,
               "id, name",
               {"id"},
               "tables/public.users.copy",
               300,
               "ab",
               {"public.users_id_seq"}}};
  m.sequences = {{"public.users_id_seq", 42, true}};
  Result<Manifest> back = ManifestFromJson(ManifestToJson(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ManifestToJson(*back), ManifestToJson(m));
  EXPECT_EQ(back->tables[0].order_by, std::vector<std::string>{"id"});
  EXPECT_EQ(back->extensions[0].version, "0.5.1");
  EXPECT_EQ(back->TotalRows(), 42u);
}

TEST(Manifest, RejectsNewerFormatsAndGarbage) {
  Result<Manifest> newer = ManifestFromJson(R"({"format": 2})");
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.status().message(),
            "PostgreSQL manifest format 2 is newer than this lifeboat understands");
  EXPECT_EQ(ManifestFromJson("{").status().code(), StatusCode::kCorruption);
}

TEST(ConnInfo, ParsesUrisAndDropsThePasswordOnRequest) {
  Result<ConnInfo> info = ConnInfo::Parse("postgresql://app:s3cret@db.example:5433/app");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->Get("host"), "db.example");
  EXPECT_EQ(info->Get("password"), "s3cret");
  const std::string without = info->ToString(false);
  EXPECT_EQ(without.find("s3cret"), std::string::npos);
  EXPECT_EQ(without, "dbname='app' host='db.example' port='5433' user='app'");
  info->Set("dbname", "it's");
  EXPECT_NE(info->ToString(true).find("dbname='it\\'s'"), std::string::npos);
}

TEST(ConnInfo, MalformedStringsAreInvalidArguments) {
  Result<ConnInfo> info = ConnInfo::Parse("host=a port");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(info.status().message().rfind("invalid connection string: ", 0), 0u);
}

TEST(PgTools, MajorVersions) {
  EXPECT_EQ(MajorVersion(150004), 15);
  EXPECT_EQ(MajorVersion(90624), 9);
  Result<PgTool> missing = FindPgTool("pg_no_such_tool", 15);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "no pg_no_such_tool found for a PostgreSQL 15 server");
}

}  // namespace
}  // namespace lifeboat::sources::postgres
