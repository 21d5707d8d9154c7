// S3Backend without a server: locations and options. The tests against a real S3 server are in
// s3_backend_server_test.cc.
#include "lifeboat/storage/s3/s3_backend.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace lifeboat::storage {
namespace {

TEST(ParseS3Location, SplitsEndpointBucketAndPrefix) {
  Result<S3Location> parsed = ParseS3Location("s3:http://127.0.0.1:7480/bucket/some/prefix/");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->endpoint, "http://127.0.0.1:7480");
  EXPECT_EQ(parsed->scheme, "http");
  EXPECT_EQ(parsed->host, "127.0.0.1:7480");
  EXPECT_EQ(parsed->bucket, "bucket");
  EXPECT_EQ(parsed->prefix, "some/prefix");
}

TEST(ParseS3Location, DefaultsToHttpsAndNoPrefix) {
  Result<S3Location> parsed = ParseS3Location("s3:s3.eu-west-1.amazonaws.com/backups");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->endpoint, "https://s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(parsed->bucket, "backups");
  EXPECT_EQ(parsed->prefix, "");
}

TEST(ParseS3Location, RejectsWhatItCannotUse) {
  struct Case {
    std::string_view location;
    std::string_view message;
  };
  const Case cases[] = {
      {"s3:", "S3 location \"s3:\" has no host"},
      {"s3:https://host", "S3 location \"s3:https://host\" names no bucket"},
      {"s3:https://host/", "S3 location \"s3:https://host/\" names no bucket"},
      {"s3:ftp://host/b",
       "S3 location \"s3:ftp://host/b\": only http:// and https:// endpoints "
       "are supported"},
      {"s3:https://key:secret@host/b",
       "S3 location \"s3:https://key:secret@host/b\": credentials in the location are not "
       "supported"},
      {"s3:https://host/b/x//y",
       "S3 location \"s3:https://host/b/x//y\": the prefix has an "
       "empty path segment"},
  };
  for (const Case& test : cases) {
    Result<S3Location> parsed = ParseS3Location(test.location);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << test.location;
    EXPECT_EQ(parsed.status().message(), test.message);
  }
}

TEST(S3Backend, OpenWithoutCredentialsIsInvalidArgument) {
  Result<std::unique_ptr<S3Backend>> backend =
      S3Backend::Open("s3:http://127.0.0.1:7480/bucket", S3Options{});
  EXPECT_EQ(backend.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(backend.status().message(), "no S3 credentials for s3:http://127.0.0.1:7480/bucket");
  EXPECT_EQ(backend.status().hint(), "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
}

TEST(S3Backend, LocationInPropertiesCarriesNoCredentials) {
  S3Options options;
  options.credentials = {"AKIDEXAMPLE", "secret", ""};
  options.max_connections = 5;
  Result<std::unique_ptr<S3Backend>> backend =
      S3Backend::Open("s3:https://minio.internal:9000/backups/host-a/", options);
  ASSERT_TRUE(backend.ok()) << backend.status().ToString();
  EXPECT_EQ((*backend)->Properties().location, "s3:https://minio.internal:9000/backups/host-a");
  EXPECT_EQ((*backend)->Properties().max_connections, 5);
}

TEST(S3OptionsFromEnvironment, ReadsTheAwsVariables) {
  ::setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
  ::setenv("AWS_SESSION_TOKEN", "TOKEN", 1);
  ::unsetenv("AWS_DEFAULT_REGION");
  ::setenv("AWS_REGION", "eu-central-1", 1);
  ::setenv("LIFEBOAT_S3_CA_FILE", "/etc/ca.pem", 1);
  S3Options options = S3OptionsFromEnvironment();
  EXPECT_EQ(options.credentials.access_key_id, "AKID");
  EXPECT_EQ(options.credentials.secret_access_key, "SECRET");
  EXPECT_EQ(options.credentials.session_token, "TOKEN");
  EXPECT_EQ(options.region, "eu-central-1");
  EXPECT_EQ(options.ca_file, "/etc/ca.pem");
  ::setenv("AWS_DEFAULT_REGION", "us-west-2", 1);
  EXPECT_EQ(S3OptionsFromEnvironment().region, "us-west-2");
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                           "AWS_DEFAULT_REGION", "AWS_REGION", "LIFEBOAT_S3_CA_FILE"}) {
    ::unsetenv(name);
  }
  EXPECT_EQ(S3OptionsFromEnvironment().region, "us-east-1");
}

}  // namespace
}  // namespace lifeboat::storage
