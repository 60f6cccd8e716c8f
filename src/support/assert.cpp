#include "support/assert.h"

#include <cstdio>
#include <cstdlib>

namespace xpusim::detail {

void assertion_failed(const char* condition, const char* message, const char* file, int line) {
  std::fprintf(stderr, "xpusim: internal error at %s:%d: %s (%s)\n", file, line, message, condition);
  std::abort();
}

}  // namespace xpusim::detail
