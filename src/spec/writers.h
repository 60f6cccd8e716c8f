// Writing specs back out: JSON for tools, YAML for people and for round trips.
// Both follow the schema's field order and omit optional fields that were not given.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "spec/specs.h"

namespace xpusim::spec {

nlohmann::ordered_json to_json(const AnySpec& spec);  // includes "kind"
std::string to_yaml(const AnySpec& spec);             // one YAML document, includes "kind"

}  // namespace xpusim::spec
