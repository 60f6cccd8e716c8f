// Arithmetic on counts that come from the user (--tp 4096 --pp 4096 --cp 4096 --ep 4096), where a
// plain int product overflows into nonsense such as "0 chips".
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>

namespace xpusim {

// The product of `factors`, or nullopt when it would pass `limit`.
inline std::optional<std::int64_t> checked_product(std::initializer_list<std::int64_t> factors,
                                                   std::int64_t limit = INT64_MAX) {
  std::int64_t product = 1;
  for (const std::int64_t f : factors)
    if (__builtin_mul_overflow(product, f, &product) || product > limit) return std::nullopt;
  return product;
}

}  // namespace xpusim
