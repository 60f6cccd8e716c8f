// Reading the comparison document (`xpusim compare --json`) tolerantly: a field that is missing or of
// another type reads as absent, so a report can be drawn from an older or partial document. Internal to
// src/report.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xpusim::report::detail {

using Json = nlohmann::ordered_json;

// `object[key]`, or nullptr when `object` is not an object or has no such member.
const Json* member(const Json& object, std::string_view key);

// A number member; nullopt when absent, not a number or not finite.
std::optional<double> number(const Json& object, std::string_view key);

// A string member; "" when absent or not a string.
std::string text(const Json& object, std::string_view key);

// The rows of "systems" (objects only), in document order.
std::vector<const Json*> system_rows(const Json& comparison);

// Whether a row has results: a positive "tokens_per_s". Rows without are a system that cannot run the
// workload; their "problem" says why.
bool has_result(const Json& row);

// Whether a row is a custom system ("custom": true): one whose chip comes from the cost model.
bool is_custom(const Json& row);

// One of a custom row's "break_even" entries: the bought system it is measured against, and the
// production volume (chips) at which the custom system costs as little per token; nullopt for never.
struct BreakEven {
  std::string against;
  std::optional<double> volume;
};
std::vector<BreakEven> break_evens(const Json& row);

// A point of a custom row's "usd_per_million_tokens_by_volume": its $ per million tokens when `volume`
// chips are built. Only points with both numbers positive, in document order.
struct CostAtVolume {
  double volume = 0;
  double usd_per_million_tokens = 0;
};
std::vector<CostAtVolume> cost_by_volume(const Json& row);

// The members of an object member that are finite numbers, as (name, value) in document order; e.g. a
// row's "op_time_s" or "power_breakdown_w".
std::vector<std::pair<std::string, double>> number_members(const Json& object, std::string_view key);

}  // namespace xpusim::report::detail
