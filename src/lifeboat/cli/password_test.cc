#include "lifeboat/cli/password.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace lifeboat::cli {
namespace {

std::string TempFile(const std::string& content) {
  char path[] = "/tmp/lifeboat_password_test_XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  close(fd);
  return path;
}

TEST(StripOneTrailingNewline, RemovesExactlyOneLineEnd) {
  EXPECT_EQ(StripOneTrailingNewline("secret\n"), "secret");
  EXPECT_EQ(StripOneTrailingNewline("secret\r\n"), "secret");
  EXPECT_EQ(StripOneTrailingNewline("secret\n\n"), "secret\n");
  EXPECT_EQ(StripOneTrailingNewline(" secret "), " secret ");
  EXPECT_EQ(StripOneTrailingNewline(""), "");
}

TEST(ReadPasswordFile, ReturnsContentWithoutTrailingNewline) {
  const std::string path = TempFile("correct horse\n");
  Result<std::string> password = ReadPasswordFile(path);
  ASSERT_TRUE(password.ok()) << password.status().ToString();
  EXPECT_EQ(*password, "correct horse");
  unlink(path.c_str());
}

TEST(ReadPasswordFile, MissingFileIsNotFoundNamingThePath) {
  Result<std::string> password = ReadPasswordFile("/nonexistent/lifeboat-password");
  ASSERT_FALSE(password.ok());
  EXPECT_EQ(password.status().code(), StatusCode::kNotFound);
  EXPECT_NE(password.status().message().find("/nonexistent/lifeboat-password"), std::string::npos);
}

TEST(RunPasswordCommand, ReturnsStdoutWithoutOneTrailingNewline) {
  Result<std::string> password = RunPasswordCommand("printf 'pass word\\n\\n'");
  ASSERT_TRUE(password.ok()) << password.status().ToString();
  EXPECT_EQ(*password, "pass word\n");
}

TEST(RunPasswordCommand, FailingCommandIsAnErrorThatDoesNotRepeatTheCommand) {
  Result<std::string> password = RunPasswordCommand("echo hunter2; exit 3");
  ASSERT_FALSE(password.ok());
  EXPECT_NE(password.status().message().find("status 3"), std::string::npos);
  EXPECT_EQ(password.status().message().find("hunter2"), std::string::npos);
}

TEST(CheckPasswordSources, NoSourceWithoutTerminalIsAnError) {
  Status status = CheckPasswordSources(PasswordSources{});
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.hint().find("--password-file"), std::string::npos);
  EXPECT_NE(status.hint().find("--password-command"), std::string::npos);
  EXPECT_NE(status.hint().find("LIFEBOAT_PASSWORD"), std::string::npos);
}

TEST(CheckPasswordSources, CommandAndFileTogetherAreAnError) {
  EXPECT_EQ(CheckPasswordSources({.command = "pass", .file = "/f"}).code(),
            StatusCode::kInvalidArgument);
}

TEST(CheckPasswordSources, AnySingleSourceIsEnough) {
  EXPECT_TRUE(CheckPasswordSources({.command = "pass"}).ok());
  EXPECT_TRUE(CheckPasswordSources({.file = "/f"}).ok());
  EXPECT_TRUE(CheckPasswordSources({.value = "secret"}).ok());
  EXPECT_TRUE(CheckPasswordSources({.interactive = true}).ok());
}

TEST(ReadPassword, CommandComesBeforeTheEnvironmentValue) {
  Result<std::string> password =
      ReadPassword({.command = "echo from-command", .value = "from-env"}, false);
  ASSERT_TRUE(password.ok());
  EXPECT_EQ(*password, "from-command");
}

TEST(ReadPassword, FileComesBeforeTheEnvironmentValue) {
  const std::string path = TempFile("from-file");
  Result<std::string> password = ReadPassword({.file = path, .value = "from-env"}, false);
  ASSERT_TRUE(password.ok());
  EXPECT_EQ(*password, "from-file");
  unlink(path.c_str());
}

TEST(ReadPassword, EmptyPasswordIsRejected) {
  Result<std::string> password = ReadPassword({.value = ""}, false);
  ASSERT_FALSE(password.ok());
  EXPECT_EQ(password.status().code(), StatusCode::kInvalidArgument);
}

TEST(CheckNewPasswordSources, NeedsAFileAValueOrATerminal) {
  EXPECT_EQ(CheckNewPasswordSources({}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckNewPasswordSources({.value = "new"}).ok());
  EXPECT_TRUE(CheckNewPasswordSources({.file = "/f"}).ok());
}

TEST(ParseKdfParams, ReadsTimeMemoryAndParallelism) {
  Result<crypto::KdfParams> params = ParseKdfParams("1,8192,1");
  ASSERT_TRUE(params.ok()) << params.status().ToString();
  EXPECT_EQ(params->time_cost, 1u);
  EXPECT_EQ(params->memory_kib, 8192u);
  EXPECT_EQ(params->parallelism, 1u);
}

TEST(ParseKdfParams, RejectsMalformedAndOutOfRangeValues) {
  for (const char* text : {"", "1,2", "1,8192,1,1", "a,8192,1", "1,,1", "0,8192,1", "1,4,1",
                           "1,8192,0", "101,8192,1", "1,8192,-1"}) {
    EXPECT_FALSE(ParseKdfParams(text).ok()) << text;
  }
}

TEST(KdfParamsFromEnvironment, DefaultsToTheProductionCost) {
  unsetenv("LIFEBOAT_KDF_PARAMS");
  Result<crypto::KdfParams> params = KdfParamsFromEnvironment();
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->time_cost, crypto::KdfParams{}.time_cost);
  EXPECT_EQ(params->memory_kib, crypto::KdfParams{}.memory_kib);
}

}  // namespace
}  // namespace lifeboat::cli
