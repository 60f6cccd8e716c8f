#include "spec/schema.h"

#include <cmath>

#include "support/text.h"

namespace xpusim::spec {

bool Field::allows(double value) const {
  if (!std::isfinite(value)) return false;
  if (min_exclusive ? !(value > min) : !(value >= min)) return false;
  return value <= max;
}

std::string Field::range_text() const {
  const bool has_min = std::isfinite(min);
  const bool has_max = std::isfinite(max);
  if (!has_min && !has_max) return "any finite number";
  if (has_min && !has_max) return std::string(min_exclusive ? "> " : ">= ") + format_number(min);
  if (!has_min) return "<= " + format_number(max);
  return std::string(min_exclusive ? "(" : "[") + format_number(min) + ", " + format_number(max) + "]";
}

}  // namespace xpusim::spec
