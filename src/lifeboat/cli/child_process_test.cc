#include "lifeboat/cli/child_process.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace lifeboat::cli {
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

}  // namespace
}  // namespace lifeboat::cli
