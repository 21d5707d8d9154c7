// The plans in examples/ reproduce the two seed documents' setups; these tests pin what they
// resolve to, so an example that stops loading or drifts from its seed fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <variant>

#include "lifeboat/plan/invocation.h"
#include "lifeboat/plan/plan_loader.h"
#include "lifeboat/plan/scheduler.h"

namespace lifeboat::plan {
namespace {

Plan Load(const std::string& name) {
  Result<Plan> plan = LoadPlan(std::string(LIFEBOAT_SOURCE_DIR) + "/examples/" + name);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return plan.ok() ? *plan : Plan{};
}

int64_t Utc(int year, int month, int day, int hour, int minute) {
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60;
}

TEST(Examples, RepSpheres) {
  const Plan plan = Load("plan-repspheres.yaml");
  ASSERT_EQ(plan.repositories.size(), 2u);
  EXPECT_EQ(plan.Primary().name, "primary");
  EXPECT_EQ(plan.FindRepository("virginia")->options.at("s3.storage-class"), "STANDARD_IA");
  EXPECT_EQ(plan.FindRepository("virginia")->password.Describe(),
            "command \"cat /etc/secrets/lifeboat-dr-password\"");

  // Tier 1 to 3, with the seed's objectives and retention numbers.
  ASSERT_EQ(plan.tiers.size(), 3u);
  const Tier& critical = plan.tiers[0];
  EXPECT_EQ(critical.name, "critical");
  EXPECT_EQ(critical.rto_seconds, 15 * 60);
  EXPECT_EQ(critical.rpo_seconds, 24 * 3600);
  EXPECT_EQ(critical.retention.Describe(),
            "keep 30 daily, 12 weekly, 12 monthly, 7 yearly snapshots");
  EXPECT_EQ(plan.tiers[2].name, "recoverable");

  const Job* database = plan.FindJob("database");
  ASSERT_NE(database, nullptr);
  const auto& postgres = std::get<PostgresSource>(database->source);
  EXPECT_EQ(postgres.connection.Describe(), "env DATABASE_URL");
  EXPECT_EQ(postgres.tier_tables.at(1),
            (std::vector<std::string>{"user_subscriptions", "usage_logs", "user_registrations"}));
  EXPECT_EQ(postgres.tier_tables.at(2),
            (std::vector<std::string>{"app_data", "transcriptions", "call_records"}));
  EXPECT_EQ(postgres.tier_tables.at(3), (std::vector<std::string>{"activity_log", "*cache*"}));
  EXPECT_EQ(database->copy_to, std::vector<std::string>{"virginia"});

  const auto& config = std::get<EnvSource>(plan.FindJob("config")->source);
  EXPECT_EQ(config.AllVariables(),
            (std::vector<std::string>{"NODE_ENV", "OPENAI_API_KEY", "STRIPE_SECRET_KEY",
                                      "SUPABASE_URL", "TWILIO_ACCOUNT_SID"}));
  EXPECT_EQ(config.files, std::vector<std::string>{"/opt/render/project/src/render.yaml"});
  EXPECT_EQ(std::get<FilesSource>(plan.FindJob("uploads")->source).paths,
            std::vector<std::string>{"/opt/render/project/src/uploads"});
  EXPECT_EQ(std::get<GitSource>(plan.FindJob("source")->source).repository,
            "/opt/render/project/src");
  const Job* logs = plan.FindJob("logs");
  EXPECT_EQ(plan.RetentionOf(*logs).Describe(), "keep 30 daily snapshots");

  // The database is checked every 30 seconds, disk usage alerts above 90%.
  ASSERT_EQ(plan.alert_rules.size(), 7u);
  EXPECT_EQ(plan.alert_rules[0].event, AlertRule::Event::kDatabaseUnreachable);
  EXPECT_EQ(plan.alert_rules[0].interval_seconds, 30);
  EXPECT_EQ(plan.alert_rules[0].channels,
            (std::vector<std::string>{"ops-email", "ops-sms", "ops-slack"}));
  EXPECT_EQ(plan.alert_rules[1].percent, 90);
  EXPECT_EQ(plan.alert_rules[1].severity, AlertRule::Severity::kWarning);

  // Monthly drills on the 1st.
  ASSERT_EQ(plan.drills.size(), 2u);
  EXPECT_EQ(NextRuns(plan.drills[0].schedule, Utc(2026, 11, 23, 0, 0), 1),
            std::vector<int64_t>{Utc(2026, 12, 1, 9, 0)});
  EXPECT_EQ(plan.drills[0].rto_seconds, 15 * 60);

  // Tier order: critical jobs first.
  std::vector<std::string> order;
  for (const Task& task : TasksOf(plan)) order.push_back(task.id);
  EXPECT_EQ(order, (std::vector<std::string>{"job/database", "job/config", "job/uploads",
                                             "job/source", "job/logs", "drill/monthly-database",
                                             "drill/monthly-uploads", "prune"}));
}

TEST(Examples, Clutter) {
  const Plan plan = Load("plan-clutter.yaml");
  EXPECT_EQ(plan.Primary().location, "/var/backups/clutter-ai/lifeboat");
  const Repository* offsite = plan.FindRepository("offsite");
  ASSERT_NE(offsite, nullptr);
  EXPECT_EQ(offsite->location, "s3:https://s3.amazonaws.com/clutter-ai-backups/lifeboat");
  EXPECT_EQ(offsite->options.at("s3.storage-class"), "STANDARD_IA");

  // RTO 4 hours, RPO 24 hours, stale past 48 hours; 90 days of database backups.
  const Tier& critical = *plan.FindTier("critical");
  EXPECT_EQ(critical.rto_seconds, 4 * 3600);
  EXPECT_EQ(critical.rpo_seconds, 24 * 3600);
  EXPECT_EQ(critical.stale_after_seconds, 48 * 3600);
  EXPECT_EQ(critical.retention.daily, 90);

  // The crontab: database at 02:00 UTC, storage at 03:00 UTC, the weekly ones Sunday 01:00.
  const int64_t monday = Utc(2026, 11, 23, 12, 0);
  EXPECT_EQ(NextRuns(plan.FindJob("database")->schedule, monday, 1),
            std::vector<int64_t>{Utc(2026, 11, 24, 2, 0)});
  EXPECT_EQ(NextRuns(plan.FindJob("media")->schedule, monday, 1),
            std::vector<int64_t>{Utc(2026, 11, 24, 3, 0)});
  EXPECT_EQ(NextRuns(plan.FindJob("repository")->schedule, monday, 1),
            std::vector<int64_t>{Utc(2026, 11, 29, 1, 0)});

  const auto& database = std::get<PostgresSource>(plan.FindJob("database")->source);
  EXPECT_EQ(database.tier_tables.at(1), (std::vector<std::string>{"dumps", "users", "reminders"}));
  EXPECT_EQ(database.default_tier, 2);
  EXPECT_EQ(std::get<BucketSource>(plan.FindJob("media")->source).url,
            "s3:https://project-ref.supabase.co/storage/v1/s3/dumps-media");
  EXPECT_EQ(std::get<CommandSource>(plan.FindJob("supabase-config")->source).name,
            "supabase_config.json");
  EXPECT_EQ(std::get<GitSource>(plan.FindJob("repository")->source).repository, "/srv/clutter-ai");

  // The seed's backup_audit_log table.
  EXPECT_EQ(plan.audit.postgres.Describe(), "env AUDIT_DATABASE_URL");
  EXPECT_EQ(plan.audit.postgres_table, "backup_audit_log");

  // verify-backups.sh's 48-hour age check.
  const AlertRule& stale = plan.alert_rules[1];
  EXPECT_EQ(stale.event, AlertRule::Event::kBackupStale);
  EXPECT_EQ(stale.threshold_seconds, 48 * 3600);
  EXPECT_EQ(stale.jobs, (std::vector<std::string>{"database", "media"}));

  // dr-drill.sh: clutter_ai_dr_test, three row counts and pgvector.
  ASSERT_EQ(plan.drills.size(), 1u);
  const Drill& drill = plan.drills[0];
  EXPECT_EQ(drill.target.kind, RestoreTarget::Kind::kPostgres);
  EXPECT_EQ(drill.target.postgres.value, "dbname=clutter_ai_dr_test");
  ASSERT_EQ(drill.queries.size(), 4u);
  EXPECT_EQ(drill.queries[0].sql, "SELECT count(*) FROM users");
  EXPECT_EQ(drill.queries[3].expect, "vector");

  // What the daemon would run for the database job; the audit log's PostgreSQL connection and
  // the database's go through the environment.
  const Invocation invocation = BackupInvocation(plan, *plan.FindJob("database"));
  ASSERT_EQ(invocation.environment.size(), 2u);
  EXPECT_EQ(invocation.environment[0].first, "LIFEBOAT_AUDIT_POSTGRES");
  EXPECT_EQ(invocation.environment[0].second.Describe(), "env AUDIT_DATABASE_URL");
  EXPECT_EQ(invocation.environment[1].first, "LIFEBOAT_PG_DBNAME");
  EXPECT_EQ(invocation.environment[1].second.Describe(), "env DATABASE_URL");
  EXPECT_EQ(BackupInvocation(plan, *plan.FindJob("database")).Display(),
            "lifeboat --job database --audit-db /var/lib/lifeboat/clutter-ai-audit.db --repo "
            "/var/backups/clutter-ai/lifeboat --password-file "
            "/etc/lifeboat/clutter-ai.password pg backup "
            "--tier-tables 1=dumps,users,reminders --default-tier 2 --tag job=database");
}

}  // namespace
}  // namespace lifeboat::plan

namespace lifeboat::plan {
namespace {

std::string ReadExample(const std::string& name) {
  std::ifstream file(std::string(LIFEBOAT_SOURCE_DIR) + "/examples/" + name);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// Every truncation and every line replaced by something else gives a plan or errors with
// positions inside the text — never a crash, an exception or an error without a message.
TEST(Examples, DamagedExamplesGiveErrorsNotCrashes) {
  for (const char* name : {"plan-repspheres.yaml", "plan-clutter.yaml"}) {
    const std::string text = ReadExample(name);
    ASSERT_FALSE(text.empty()) << name;
    const int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
    const auto check = [&](const std::string& damaged) {
      PlanLoad load = ParsePlan(damaged, name);
      EXPECT_NE(load.plan.has_value(), !load.errors.empty());
      for (const PlanError& error : load.errors) {
        EXPECT_FALSE(error.message.empty());
        EXPECT_FALSE(error.hint.empty()) << error.ToString();
        EXPECT_GE(error.at.line, 0);
        EXPECT_LE(error.at.line, lines + 2) << error.ToString();
      }
    };
    for (size_t length = 0; length < text.size(); length += 37) check(text.substr(0, length));
    size_t start = 0;
    for (int line = 0; line < lines; ++line) {
      const size_t end = text.find('\n', start);
      for (const char* replacement : {"  x: [1", "   bogus: {a: b}"}) {
        check(text.substr(0, start) + replacement + text.substr(end));
      }
      start = end + 1;
    }
  }
}

}  // namespace
}  // namespace lifeboat::plan
