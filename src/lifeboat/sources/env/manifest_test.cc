#include "lifeboat/sources/env/manifest.h"

#include <gtest/gtest.h>

#include "lifeboat/sources/env/services.h"

namespace lifeboat::sources::env {
namespace {

TEST(ServiceFor, MapsTheDocumentedNames) {
  EXPECT_EQ(ServiceFor("DATABASE_URL"), "postgres");
  EXPECT_EQ(ServiceFor("PGPASSWORD"), "postgres");
  EXPECT_EQ(ServiceFor("AWS_SECRET_ACCESS_KEY"), "aws s3");
  EXPECT_EQ(ServiceFor("STRIPE_SECRET_KEY"), "stripe");
  EXPECT_EQ(ServiceFor("OPENAI_API_KEY"), "openai");
  EXPECT_EQ(ServiceFor("ANTHROPIC_API_KEY"), "anthropic");
  EXPECT_EQ(ServiceFor("REDIS_URL"), "redis");
  EXPECT_EQ(ServiceFor("SMTP_HOST"), "smtp");
  EXPECT_EQ(ServiceFor("SENTRY_DSN"), "sentry");
  EXPECT_EQ(ServiceFor("SUPABASE_URL"), "supabase");
  EXPECT_EQ(ServiceFor("TWILIO_ACCOUNT_SID"), "twilio");
}

TEST(ServiceFor, KnowsNothingOfOtherNames) {
  EXPECT_EQ(ServiceFor("PATH"), "");
  EXPECT_EQ(ServiceFor("HOME"), "");
  EXPECT_EQ(ServiceFor("PGP_KEY_ID"), "");  // not a libpq variable
  EXPECT_EQ(ServiceFor("AWS_"), "");        // a prefix alone names nothing
}

TEST(SelectVariables, DefaultsToTheNamesTheServiceTableKnows) {
  EnvManifest m = SelectVariables(
      {"PATH", "HOME", "DATABASE_URL", "STRIPE_SECRET_KEY", "AWS_REGION", "AWS_ACCESS_KEY_ID"}, {},
      {});
  EXPECT_EQ(m.selection, "services");
  ASSERT_EQ(m.variables.size(), 4u);
  EXPECT_EQ(m.variables[0].name, "AWS_ACCESS_KEY_ID");
  EXPECT_EQ(m.variables[0].service, "aws s3");
  EXPECT_EQ(m.variables[2].name, "DATABASE_URL");
  EXPECT_EQ(m.services, (std::vector<std::string>{"aws s3", "postgres", "stripe"}));
}

TEST(SelectVariables, TakesOnlyTheSelectionAndRecordsAMissingVarAsNotSet) {
  EnvManifest m = SelectVariables({"DATABASE_URL", "APP_MODE", "APP_KEY", "OTHER"},
                                  {"NEEDED_BUT_UNSET"}, {"APP_"});
  EXPECT_EQ(m.selection, "selected");
  ASSERT_EQ(m.variables.size(), 3u);
  EXPECT_EQ(m.variables[0].name, "APP_KEY");
  EXPECT_EQ(m.variables[1].name, "APP_MODE");
  EXPECT_EQ(m.variables[2].name, "NEEDED_BUT_UNSET");
  EXPECT_FALSE(m.variables[2].set);
  EXPECT_TRUE(m.services.empty());
}

TEST(MissingVariables, NamesWhatWasSetThenAndIsNotNow) {
  EnvManifest m =
      SelectVariables({"DATABASE_URL", "REDIS_URL"}, {"DATABASE_URL", "REDIS_URL", "X"}, {});
  EXPECT_EQ(MissingVariables(m, {"REDIS_URL"}), std::vector<std::string>{"DATABASE_URL"});
  EXPECT_TRUE(MissingVariables(m, {"DATABASE_URL", "REDIS_URL"}).empty());
}

TEST(ValidateVariableName, RefusesAValue) {
  Status status = ValidateVariableName("DATABASE_URL=postgres://x");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "\"DATABASE_URL=postgres://x\" is not an environment variable name");
}

TEST(EnvManifest, RoundTripsThroughJsonWithFileMetadata) {
  EnvManifest m = SelectVariables({"DATABASE_URL"}, {}, {});
  m.files.push_back({.path = "/etc/app/render.yaml",
                     .stored_as = "files/etc/app/render.yaml",
                     .size = 12,
                     .mode = 0640,
                     .mtime = "2001-02-03T04:05:06.123456789Z",
                     .uid = 1000,
                     .gid = 100,
                     .user = "app",
                     .group = "users",
                     .sha256 = std::string(64, 'f')});
  const std::string json = EnvManifestToJson(m);
  EXPECT_NE(json.find("\"mode\":\"0640\""), std::string::npos) << json;
  Result<EnvManifest> back = EnvManifestFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->files.size(), 1u);
  EXPECT_EQ(back->files[0].mode, 0640u);
  EXPECT_EQ(back->files[0].mtime, "2001-02-03T04:05:06.123456789Z");
  EXPECT_EQ(back->files[0].user, "app");
  EXPECT_EQ(back->variables.size(), 1u);
  EXPECT_EQ(back->services, std::vector<std::string>{"postgres"});
}

}  // namespace
}  // namespace lifeboat::sources::env
