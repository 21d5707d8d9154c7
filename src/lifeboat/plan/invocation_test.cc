#include "lifeboat/plan/invocation.h"

#include <gtest/gtest.h>

#include "lifeboat/plan/plan_loader.h"

namespace lifeboat::plan {
namespace {

constexpr const char* kPlan = R"(version: 1
repositories:
  main:
    primary: true
    location: s3:https://s3.example.com/bucket/repo
    options: {s3.storage-class: STANDARD_IA}
    password: {env: MAIN_PASSWORD}
  offsite:
    location: /mnt/offsite
    password: {command: "pass show lifeboat"}
tiers:
  gold:
    rpo: 1h
    rto: 15m
    retention: {keep_last: 3, keep_daily: unlimited, keep_within: 90d}
  silver: {rpo: 1d, rto: 4h}
jobs:
  - name: files
    tier: gold
    schedule: "@hourly"
    tags: [web]
    files: {paths: [/srv/a, "/srv/b c"], exclude: ["*.tmp"]}
  - name: db
    tier: gold
    schedule: "@hourly"
    postgres:
      connection: {env: DATABASE_URL}
      password: {file: /etc/pgpass}
      tables: [public.*]
      exclude_tables: [audit]
      tier_tables: {gold: [users, orders], silver: [logs]}
      only_tier: gold
      jobs: 4
  - name: dump
    tier: silver
    schedule: "@daily"
    command: {run: "pg_dumpall --globals-only", name: globals.sql}
  - name: argv
    tier: silver
    schedule: "@daily"
    command: {run: [redis-cli, --rdb, "-"], name: dump.rdb}
  - name: code
    tier: silver
    schedule: "@daily"
    git: {repository: /srv/code}
  - name: media
    tier: silver
    schedule: "@daily"
    bucket: {url: "s3:https://s3.example.com/media", prefix: uploads/}
  - name: config
    tier: silver
    schedule: "@daily"
    copy_to: []
    env: {variables: [NODE_ENV], services: {stripe: [STRIPE_KEY, NODE_ENV]}, files: [/etc/app.yaml]}
)";

Plan Load() {
  Result<Plan> plan = LoadPlanFromString(kPlan);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return *plan;
}

using Argv = std::vector<std::string>;

TEST(Invocation, FilesBackup) {
  const Plan plan = Load();
  const Invocation invocation = BackupInvocation(plan, *plan.FindJob("files"));
  EXPECT_EQ(invocation.argv,
            (Argv{"lifeboat", "--job", "files", "--repo", "s3:https://s3.example.com/bucket/repo",
                  "-o", "s3.storage-class=STANDARD_IA", "backup", "--exclude", "*.tmp", "--tag",
                  "job=files", "--tag", "web", "--", "/srv/a", "/srv/b c"}));
  // The password comes from MAIN_PASSWORD into the child's LIFEBOAT_PASSWORD, not argv.
  ASSERT_EQ(invocation.environment.size(), 1u);
  EXPECT_EQ(invocation.environment[0].first, "LIFEBOAT_PASSWORD");
  EXPECT_EQ(invocation.environment[0].second.Describe(), "env MAIN_PASSWORD");
  EXPECT_EQ(invocation.Display(),
            "lifeboat --job files --repo s3:https://s3.example.com/bucket/repo -o "
            "s3.storage-class=STANDARD_IA backup --exclude '*.tmp' --tag job=files --tag web -- "
            "/srv/a '/srv/b c'");
}

TEST(Invocation, PostgresBackupKeepsSecretsOffTheCommandLine) {
  const Plan plan = Load();
  const Invocation invocation = BackupInvocation(plan, *plan.FindJob("db"));
  EXPECT_EQ(invocation.argv, (Argv{"lifeboat",
                                   "--job",
                                   "db",
                                   "--repo",
                                   "s3:https://s3.example.com/bucket/repo",
                                   "-o",
                                   "s3.storage-class=STANDARD_IA",
                                   "pg",
                                   "backup",
                                   "--table",
                                   "public.*",
                                   "--exclude-table",
                                   "audit",
                                   "--tier-tables",
                                   "1=users,orders",
                                   "--tier-tables",
                                   "2=logs",
                                   "--tier",
                                   "1",
                                   "--jobs",
                                   "4",
                                   "--tag",
                                   "job=db"}));
  EXPECT_TRUE(invocation.argument_secrets.empty());
  ASSERT_EQ(invocation.environment.size(), 3u);
  EXPECT_EQ(invocation.environment[1].first, "LIFEBOAT_PG_DBNAME");
  EXPECT_EQ(invocation.environment[1].second.Describe(), "env DATABASE_URL");
  EXPECT_EQ(invocation.environment[2].first, "PGPASSWORD");
  EXPECT_EQ(invocation.environment[2].second.Describe(), "file /etc/pgpass");
}

TEST(Invocation, CommandGitBucketAndEnvBackups) {
  const Plan plan = Load();
  const auto tail = [&](const std::string& job) {
    Argv argv = BackupInvocation(plan, *plan.FindJob(job)).argv;
    // Drop "lifeboat --job NAME --repo URL -o OPTION".
    return Argv(argv.begin() + 7, argv.end());
  };
  EXPECT_EQ(tail("dump"), (Argv{"command", "backup", "--name", "globals.sql", "--tag", "job=dump",
                                "--", "/bin/sh", "-c", "pg_dumpall --globals-only"}));
  EXPECT_EQ(tail("argv"), (Argv{"command", "backup", "--name", "dump.rdb", "--tag", "job=argv",
                                "--", "redis-cli", "--rdb", "-"}));
  EXPECT_EQ(tail("code"), (Argv{"git", "backup", "--tag", "job=code", "--", "/srv/code"}));
  EXPECT_EQ(tail("media"), (Argv{"bucket", "backup", "--prefix", "uploads/", "--tag", "job=media",
                                 "--", "s3:https://s3.example.com/media"}));
  EXPECT_EQ(tail("config"), (Argv{"env", "backup", "--var", "NODE_ENV", "--var", "STRIPE_KEY",
                                  "--file", "/etc/app.yaml", "--tag", "job=config"}));
}

TEST(Invocation, CopyToAnOffsiteRepository) {
  const Plan plan = Load();
  const Job& job = *plan.FindJob("files");
  EXPECT_EQ(job.copy_to, Argv{"offsite"});  // every copy by default
  EXPECT_TRUE(plan.FindJob("config")->copy_to.empty());
  const Invocation invocation = CopyInvocation(plan, job, *plan.FindRepository("offsite"));
  EXPECT_EQ(invocation.argv,
            (Argv{"lifeboat", "--job", "files", "--repo", "/mnt/offsite", "--password-command",
                  "pass show lifeboat", "copy", "--from-repo",
                  "s3:https://s3.example.com/bucket/repo", "--tag", "job=files"}));
  ASSERT_EQ(invocation.environment.size(), 1u);
  EXPECT_EQ(invocation.environment[0].first, "LIFEBOAT_FROM_PASSWORD");
}

TEST(Invocation, ForgetAppliesTheJobsRetention) {
  const Plan plan = Load();
  const Invocation invocation =
      ForgetInvocation(plan, *plan.FindJob("files"), *plan.FindRepository("offsite"));
  EXPECT_EQ(invocation.argv,
            (Argv{"lifeboat", "--job", "files", "--repo", "/mnt/offsite", "--password-command",
                  "pass show lifeboat", "forget", "--tag", "job=files", "--keep-last", "3",
                  "--keep-daily", "unlimited", "--keep-within", "90d"}));
  // silver has no retention: nothing to forget.
  EXPECT_TRUE(ForgetInvocation(plan, *plan.FindJob("code"), plan.Primary()).argv.empty());
  EXPECT_EQ(PruneInvocation(plan, plan.Primary()).argv,
            (Argv{"lifeboat", "--repo", "s3:https://s3.example.com/bucket/repo", "-o",
                  "s3.storage-class=STANDARD_IA", "prune"}));
}

}  // namespace
}  // namespace lifeboat::plan
