#include "lifeboat/sources/env/services.h"

namespace lifeboat::sources::env {

const std::vector<ServiceRule>& ServiceTable() {
  static const std::vector<ServiceRule> kTable = {
      // Exact names first: they must win over the prefixes below.
      {"DATABASE_URL", false, "postgres"},
      {"POSTGRES_URL", false, "postgres"},
      {"PGHOST", false, "postgres"},
      {"PGHOSTADDR", false, "postgres"},
      {"PGPORT", false, "postgres"},
      {"PGDATABASE", false, "postgres"},
      {"PGUSER", false, "postgres"},
      {"PGPASSWORD", false, "postgres"},
      {"PGPASSFILE", false, "postgres"},
      {"PGSERVICE", false, "postgres"},
      {"PGSSLMODE", false, "postgres"},
      {"PGOPTIONS", false, "postgres"},
      {"OPENAI_API_KEY", false, "openai"},
      {"ANTHROPIC_API_KEY", false, "anthropic"},
      {"REDIS_URL", false, "redis"},
      {"SENTRY_DSN", false, "sentry"},
      {"SENDGRID_API_KEY", false, "sendgrid"},
      {"GITHUB_TOKEN", false, "github"},
      {"GOOGLE_APPLICATION_CREDENTIALS", false, "google cloud"},
      {"MONGODB_URI", false, "mongodb"},
      {"MONGO_URL", false, "mongodb"},
      {"RENDER_API_KEY", false, "render"},
      // Prefixes.
      {"POSTGRES_", true, "postgres"},
      {"SUPABASE_", true, "supabase"},
      {"AWS_", true, "aws s3"},
      {"STRIPE_", true, "stripe"},
      {"OPENAI_", true, "openai"},
      {"ANTHROPIC_", true, "anthropic"},
      {"REDIS_", true, "redis"},
      {"SMTP_", true, "smtp"},
      {"SENTRY_", true, "sentry"},
      {"TWILIO_", true, "twilio"},
      {"SLACK_", true, "slack"},
      {"RAILWAY_", true, "railway"},
      {"MYSQL_", true, "mysql"},
      {"LIFEBOAT_", true, "lifeboat"},
  };
  return kTable;
}

std::string ServiceFor(std::string_view name) {
  for (const ServiceRule& rule : ServiceTable()) {
    if (rule.prefix ? name.starts_with(rule.pattern) && name.size() > rule.pattern.size()
                    : name == rule.pattern) {
      return std::string(rule.service);
    }
  }
  return "";
}

}  // namespace lifeboat::sources::env
