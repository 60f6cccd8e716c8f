// The schema flattened into rows (one per field path), for the field reference in docs/specs.md,
// `xpusim specs schema`, and the set of paths a `sources:` key may name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spec/specs.h"

namespace xpusim::spec {

struct SchemaRow {
  std::string path;  // "hbm.capacity_gib"; list elements as "cores.sram[].level"
  std::string type;  // number, integer, text, boolean, choice, object, list, integer list, map
  std::string unit;
  bool required = false;  // within its parent
  std::string range;      // allowed values, or "" when any value of the type is allowed
  std::string doc;
};

std::vector<SchemaRow> schema_rows(Kind kind);

// "cores.sram[0].capacity_kib" and "cores.sram[].capacity_kib" -> "cores.sram.capacity_kib"
std::string strip_indices(std::string_view path);

}  // namespace xpusim::spec
