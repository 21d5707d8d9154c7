#include "lifeboat/util/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lifeboat/util/status.h"

namespace lifeboat {
namespace {

TEST(Result, HoldsValue) {
  Result<int> result = 42;
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.status().ok());
  EXPECT_EQ(result.value(), 42);
  EXPECT_EQ(*result, 42);
}

TEST(Result, HoldsError) {
  Result<int> result = NotFoundError("no snapshot matches \"abc\"");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(result.status().message(), "no snapshot matches \"abc\"");
}

TEST(Result, ArrowAndMutation) {
  Result<std::string> result = std::string("snap");
  EXPECT_EQ(result->size(), 4u);
  result->append("shot");
  EXPECT_EQ(*result, "snapshot");
  const Result<std::string>& view = result;
  EXPECT_EQ(view->size(), 8u);
  EXPECT_EQ(view.value(), "snapshot");
}

TEST(Result, MoveOnlyValue) {
  Result<std::unique_ptr<int>> result = std::make_unique<int>(7);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(**result, 7);
  Result<std::unique_ptr<int>> moved = std::move(result);
  ASSERT_TRUE(moved.ok());
  std::unique_ptr<int> owned = std::move(moved).value();
  ASSERT_NE(owned, nullptr);
  EXPECT_EQ(*owned, 7);
}

TEST(Result, ValueOfErrorAborts) {
  Result<int> result = InternalError("boom");
  EXPECT_DEATH((void)result.value(), "value\\(\\) of a failed Result");
}

TEST(Result, BuildingFromOkStatusAborts) {
  EXPECT_DEATH(Result<int>{Status::Ok()}, "must hold an error");
}

Result<int> ParsePositive(int x) {
  if (x <= 0) return InvalidArgumentError("not positive: " + std::to_string(x));
  return x;
}

Result<int> Doubled(int x, int* reached) {
  LIFEBOAT_ASSIGN_OR_RETURN(int value, ParsePositive(x));
  ++*reached;
  return value * 2;
}

Status SumInto(std::vector<int> inputs, int* sum) {
  for (int input : inputs) {
    LIFEBOAT_ASSIGN_OR_RETURN(int value, ParsePositive(input));
    *sum += value;
  }
  return Status::Ok();
}

TEST(Result, AssignOrReturnUsesValue) {
  int reached = 0;
  Result<int> result = Doubled(21, &reached);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, 42);
  EXPECT_EQ(reached, 1);
}

TEST(Result, AssignOrReturnPropagatesError) {
  int reached = 0;
  Result<int> result = Doubled(-3, &reached);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(), "not positive: -3");
  EXPECT_EQ(reached, 0);
}

TEST(Result, AssignOrReturnIntoStatusFunction) {
  int sum = 0;
  EXPECT_TRUE(SumInto({1, 2, 3}, &sum).ok());
  EXPECT_EQ(sum, 6);
  sum = 0;
  Status status = SumInto({1, 0, 3}, &sum);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(sum, 1);
}

Result<std::unique_ptr<std::string>> MakeName(bool fail) {
  if (fail) return UnavailableError("server busy").WithHint("retry later");
  return std::make_unique<std::string>("pack");
}

Result<size_t> NameLength(bool fail) {
  LIFEBOAT_ASSIGN_OR_RETURN(std::unique_ptr<std::string> name, MakeName(fail));
  return name->size();
}

TEST(Result, AssignOrReturnMovesMoveOnlyValuesAndKeepsErrorDetails) {
  Result<size_t> ok = NameLength(false);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 4u);
  Result<size_t> failed = NameLength(true);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(failed.status().hint(), "retry later");
  EXPECT_TRUE(failed.status().retryable());
}

Status CheckBoth(Status first, Status second, int* reached) {
  LIFEBOAT_RETURN_IF_ERROR(first);
  ++*reached;
  LIFEBOAT_RETURN_IF_ERROR(second.WithContext("second"));
  ++*reached;
  return Status::Ok();
}

TEST(Result, ReturnIfErrorPropagatesWithContext) {
  int reached = 0;
  EXPECT_TRUE(CheckBoth(Status::Ok(), Status::Ok(), &reached).ok());
  EXPECT_EQ(reached, 2);
  reached = 0;
  Status status = CheckBoth(Status::Ok(), CorruptionError("bad"), &reached);
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_EQ(status.message(), "second: bad");
  EXPECT_EQ(reached, 1);
}

}  // namespace
}  // namespace lifeboat
