// XPUSIM_ASSERT: catches bugs, never bad input (bad input becomes a Diagnostic).
// It stays on in release builds: a simulator that silently continues past a broken invariant gives
// wrong answers that look right.
#pragma once

namespace xpusim::detail {
[[noreturn]] void assertion_failed(const char* condition, const char* message, const char* file, int line);
}

#define XPUSIM_ASSERT(cond, message)                                                     \
  do {                                                                                   \
    if (!(cond)) ::xpusim::detail::assertion_failed(#cond, message, __FILE__, __LINE__); \
  } while (false)
