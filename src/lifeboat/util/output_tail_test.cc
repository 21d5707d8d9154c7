#include "lifeboat/util/output_tail.h"

#include <gtest/gtest.h>

#include "lifeboat/util/child_process.h"

namespace lifeboat {
namespace {

TEST(TailLines, KeepsTheLastLinesWithoutEmptyOnes) {
  EXPECT_EQ(TailLines("a\nb\n\nc\nd\n", 2), "c\nd");
  EXPECT_EQ(TailLines("only", 5), "only");
  EXPECT_EQ(TailLines("", 5), "");
  EXPECT_EQ(TailLines("x\r\ny\r\n", 5), "x\ny");
}

TEST(OutputTail, KeepsTheEndOfAChildsStderrAndReportsHowItEnded) {
  Result<std::unique_ptr<ChildProcess>> started =
      ChildProcess::Start({"sh", "-c", "for i in 1 2 3 4 5; do echo line$i >&2; done; kill -9 $$"},
                          {.capture_stderr = true});
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  std::unique_ptr<ChildProcess> child = std::move(started).value();
  OutputTail tail(child->stderr_fd(), -1);
  EXPECT_EQ(tail.Finish(3), "line3\nline4\nline5");
  EXPECT_FALSE(child->Wait().ok());
  EXPECT_FALSE(child->exit().exited);
  EXPECT_EQ(child->exit().signal, 9);
  EXPECT_EQ(child->exit().Describe(), "was killed by signal 9 (SIGKILL)");
}

TEST(OutputTail, BoundsWhatItKeeps) {
  Result<std::unique_ptr<ChildProcess>> started = ChildProcess::Start(
      {"sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x >&2; echo >&2; echo last >&2"},
      {.capture_stderr = true});
  ASSERT_TRUE(started.ok());
  std::unique_ptr<ChildProcess> child = std::move(started).value();
  OutputTail tail(child->stderr_fd(), -1, 100);
  const std::string kept = tail.Finish(2);
  EXPECT_EQ(kept, std::string(94, 'x') + "\nlast");
  EXPECT_TRUE(child->Wait().ok());
  EXPECT_EQ(child->exit().Describe(), "exited with status 0");
}

}  // namespace
}  // namespace lifeboat
