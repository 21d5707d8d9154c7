#include "lifeboat/util/check.h"

#include <cstdio>
#include <cstdlib>

namespace lifeboat::internal {

void CheckFailed(const char* file, int line, const char* condition, const char* why) {
  std::fprintf(stderr, "lifeboat: internal error at %s:%d: %s (%s)\n", file, line, why, condition);
  std::abort();
}

}  // namespace lifeboat::internal
