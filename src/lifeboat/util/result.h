// Result<T>: a value or the Status explaining why there is none. Hand-written because
// std::expected is C++23 and Debian 12's toolchain packages no equivalent. A Result built from
// a Status must carry an error; reading value() of a failed Result is a bug and aborts.
#pragma once

#include <optional>
#include <utility>

#include "lifeboat/util/check.h"
#include "lifeboat/util/status.h"

namespace lifeboat {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    LIFEBOAT_CHECK(!status_.ok(), "a Result built from a Status must hold an error");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    LIFEBOAT_CHECK(ok(), "value() of a failed Result");
    return *value_;
  }
  const T& value() const& {
    LIFEBOAT_CHECK(ok(), "value() of a failed Result");
    return *value_;
  }
  T&& value() && {
    LIFEBOAT_CHECK(ok(), "value() of a failed Result");
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace lifeboat

#define LIFEBOAT_CONCAT_INNER_(a, b) a##b
#define LIFEBOAT_CONCAT_(a, b) LIFEBOAT_CONCAT_INNER_(a, b)
#define LIFEBOAT_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()

// LIFEBOAT_ASSIGN_OR_RETURN(auto x, Foo()); declares x from a Result or returns its Status.
#define LIFEBOAT_ASSIGN_OR_RETURN(lhs, expr) \
  LIFEBOAT_ASSIGN_OR_RETURN_IMPL_(LIFEBOAT_CONCAT_(lifeboat_result_, __LINE__), lhs, expr)
