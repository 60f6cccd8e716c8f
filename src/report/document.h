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

// How a system other than a custom one is paid for: bought (owned over its life, the row's
// "usd_per_million_tokens") or rented from a cloud at its on-demand or committed price (the row's "rent").
enum class Basis { buy, rent_on_demand, rent_committed };

// The document's words for a basis: "buy", "rent on demand", "rent committed" (a break_even entry's
// "basis"); nullopt for any other text.
std::optional<Basis> basis_named(std::string_view name);

// One of a custom row's "break_even" entries: the system it is measured against and how that system is
// paid for ("basis", buy when absent), and the production volume (chips) at which the custom system
// costs as little per token; nullopt for never. Entries with an unknown basis are left out.
struct BreakEven {
  std::string against;
  std::optional<double> volume;
  Basis basis = Basis::buy;
};
std::vector<BreakEven> break_evens(const Json& row);

// A row's cloud prices ("rent"; every key optional): the provider's offer, when it was seen, the price
// per chip-hour and per million tokens on demand and with a commitment of `committed_years`.
struct Rent {
  std::string provider;  // "AWS p5.48xlarge"; "" when not given
  std::string as_of;     // "2025-06"; "" when not given
  std::optional<double> on_demand_usd_per_chip_hour, committed_usd_per_chip_hour, committed_years;
  std::optional<double> usd_per_million_tokens_on_demand, usd_per_million_tokens_committed;
};
// nullopt when the row has no "rent" object.
std::optional<Rent> rent(const Json& row);

// The ways to pay for a row that is not custom and has results, with their $ per million tokens: bought
// (when priced), rented on demand and rented committed (when the row's "rent" gives those prices), in
// that order. Empty for custom rows.
struct PricedBasis {
  Basis basis;
  double usd_per_million_tokens;
};
std::vector<PricedBasis> priced_bases(const Json& row);

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

// How `basis` pays for a system, in words: "bought", "rented on demand", "rented with a 1-year
// commitment" (the term from `row`'s "rent"; "rented with a commitment" when it gives none or `row` is
// null).
std::string basis_words(Basis basis, const Json* row);

// A cost per million tokens as the page writes it: "$" and three significant digits, with two decimals
// when it has any ("$0.0978", "$0.21", "$0.40", "$1.50", "$12").
std::string usd_per_million_tokens_text(double usd);

}  // namespace xpusim::report::detail
