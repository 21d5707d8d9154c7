#include "lifeboat/util/child_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace lifeboat {
namespace {

TEST(ChildProcess, CapturesStdout) {
  Result<std::string> output = RunAndCapture({"sh", "-c", "printf 'a\\nb'"});
  ASSERT_TRUE(output.ok()) << output.status().ToString();
  EXPECT_EQ(*output, "a\nb");
}

TEST(ChildProcess, NonZeroExitIsAnErrorNamingTheStatus) {
  Result<std::string> output = RunAndCapture({"sh", "-c", "exit 7"});
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.status().message(), "command `sh` exited with status 7");
}

TEST(ChildProcess, MissingProgramFailsToStart) {
  Result<std::unique_ptr<ChildProcess>> child =
      ChildProcess::Start({"lifeboat-no-such-program-here"});
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.status().code(), StatusCode::kNotFound);
  EXPECT_NE(child.status().message().find("lifeboat-no-such-program-here"), std::string::npos);
}

TEST(ChildProcess, DestroyingAnUnfinishedChildStopsIt) {
  Result<std::unique_ptr<ChildProcess>> child = ChildProcess::Start({"sleep", "30"});
  ASSERT_TRUE(child.ok());
  const auto start = std::chrono::steady_clock::now();
  child->reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(ChildProcess, PassesExtraEnvironmentReplacingInheritedValues) {
  setenv("LIFEBOAT_CHILD_TEST_A", "inherited", 1);
  Result<std::unique_ptr<ChildProcess>> started = ChildProcess::Start(
      {"sh", "-c", "printf '%s,%s' \"$LIFEBOAT_CHILD_TEST_A\" \"$LIFEBOAT_CHILD_TEST_B\""},
      {.environment = {"LIFEBOAT_CHILD_TEST_A=set", "LIFEBOAT_CHILD_TEST_B=new"}});
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  std::unique_ptr<ChildProcess> child = std::move(started).value();
  char buffer[64];
  const ssize_t n = read(child->stdout_fd(), buffer, sizeof(buffer));
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buffer, static_cast<size_t>(n)), "set,new");
  EXPECT_TRUE(child->Wait().ok());
  unsetenv("LIFEBOAT_CHILD_TEST_A");
}

TEST(ChildProcess, TerminateEndsTheOutputAndWaitReportsTheSignal) {
  Result<std::unique_ptr<ChildProcess>> started =
      ChildProcess::Start({"sh", "-c", "exec sleep 30"});
  ASSERT_TRUE(started.ok());
  std::unique_ptr<ChildProcess> child = std::move(started).value();
  child->Terminate();
  char buffer[16];
  EXPECT_EQ(read(child->stdout_fd(), buffer, sizeof(buffer)), 0);  // end of output, fd still open
  Status waited = child->Wait();
  ASSERT_FALSE(waited.ok());
  EXPECT_EQ(waited.message(), "command `sh` was killed by signal 15");
}

TEST(ChildProcess, ReadsStdinFromTheGivenDescriptor) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  Result<std::unique_ptr<ChildProcess>> started =
      ChildProcess::Start({"tr", "a-z", "A-Z"}, {.stdin_fd = fds[0]});
  close(fds[0]);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  std::unique_ptr<ChildProcess> child = std::move(started).value();
  ASSERT_EQ(write(fds[1], "bundle", 6), 6);
  close(fds[1]);
  char buffer[16];
  const ssize_t n = read(child->stdout_fd(), buffer, sizeof(buffer));
  ASSERT_EQ(n, 6);
  EXPECT_EQ(std::string(buffer, 6), "BUNDLE");
  EXPECT_TRUE(child->Wait().ok());
  EXPECT_TRUE(child->exit().exited);
  EXPECT_EQ(child->exit().code, 0);
}

TEST(ChildProcess, ExitTellsTheStatus) {
  Result<std::unique_ptr<ChildProcess>> started = ChildProcess::Start({"sh", "-c", "exit 3"});
  ASSERT_TRUE(started.ok());
  std::unique_ptr<ChildProcess> child = std::move(started).value();
  EXPECT_FALSE(child->Wait().ok());
  EXPECT_EQ(child->exit().Describe(), "exited with status 3");
}

}  // namespace
}  // namespace lifeboat
