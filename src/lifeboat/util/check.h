// LIFEBOAT_CHECK: asserts an invariant of the program itself. A failed check is a bug, so it
// prints where and why and aborts. Never use it on user input, file contents or I/O results:
// those are Status values (status.h).
#pragma once

namespace lifeboat::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition, const char* why);
}  // namespace lifeboat::internal

#define LIFEBOAT_CHECK(cond, why) \
  ((cond) ? (void)0 : ::lifeboat::internal::CheckFailed(__FILE__, __LINE__, #cond, why))
