// Tolerant reads of the comparison document; see document.h.
#include "report/document.h"

#include <cmath>

#include "support/text.h"

namespace xpusim::report::detail {

const Json* member(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(std::string(key));
  return it == object.end() ? nullptr : &*it;
}

std::optional<double> number(const Json& object, std::string_view key) {
  const Json* value = member(object, key);
  if (!value || !value->is_number()) return std::nullopt;
  const double x = value->get<double>();
  if (!std::isfinite(x)) return std::nullopt;
  return x;
}

std::string text(const Json& object, std::string_view key) {
  const Json* value = member(object, key);
  return value && value->is_string() ? value->get<std::string>() : std::string();
}

std::vector<const Json*> system_rows(const Json& comparison) {
  std::vector<const Json*> rows;
  if (const Json* systems = member(comparison, "systems"); systems && systems->is_array())
    for (const Json& row : *systems)
      if (row.is_object()) rows.push_back(&row);
  return rows;
}

bool has_result(const Json& row) {
  const std::optional<double> tokens_per_s = number(row, "tokens_per_s");
  return tokens_per_s && *tokens_per_s > 0;
}

bool is_custom(const Json& row) {
  const Json* custom = member(row, "custom");
  return custom && custom->is_boolean() && custom->get<bool>();
}

std::optional<Basis> basis_named(std::string_view name) {
  if (name == "buy") return Basis::buy;
  if (name == "rent on demand") return Basis::rent_on_demand;
  if (name == "rent committed") return Basis::rent_committed;
  return std::nullopt;
}

std::vector<BreakEven> break_evens(const Json& row) {
  std::vector<BreakEven> out;
  if (const Json* entries = member(row, "break_even"); entries && entries->is_array())
    for (const Json& entry : *entries) {
      const Json* basis_text = member(entry, "basis");
      const std::optional<Basis> basis = basis_text ? basis_named(text(entry, "basis")) : Basis::buy;
      if (basis) out.push_back({text(entry, "against"), number(entry, "volume"), *basis});
    }
  return out;
}

std::optional<Rent> rent(const Json& row) {
  const Json* offer = member(row, "rent");
  if (!offer || !offer->is_object()) return std::nullopt;
  return Rent{text(*offer, "provider"),
              text(*offer, "as_of"),
              number(*offer, "on_demand_usd_per_chip_hour"),
              number(*offer, "committed_usd_per_chip_hour"),
              number(*offer, "committed_years"),
              number(*offer, "usd_per_million_tokens_on_demand"),
              number(*offer, "usd_per_million_tokens_committed")};
}

std::vector<PricedBasis> priced_bases(const Json& row) {
  std::vector<PricedBasis> out;
  if (is_custom(row) || !has_result(row)) return out;
  const auto add = [&](Basis basis, const std::optional<double>& usd) {
    if (usd && *usd > 0) out.push_back({basis, *usd});
  };
  add(Basis::buy, number(row, "usd_per_million_tokens"));
  if (const std::optional<Rent> offer = rent(row)) {
    add(Basis::rent_on_demand, offer->usd_per_million_tokens_on_demand);
    add(Basis::rent_committed, offer->usd_per_million_tokens_committed);
  }
  return out;
}

std::vector<CostAtVolume> cost_by_volume(const Json& row) {
  std::vector<CostAtVolume> out;
  if (const Json* points = member(row, "usd_per_million_tokens_by_volume"); points && points->is_array())
    for (const Json& point : *points) {
      const std::optional<double> volume = number(point, "volume");
      const std::optional<double> usd = number(point, "usd_per_million_tokens");
      if (volume && usd && *volume > 0 && *usd > 0) out.push_back({*volume, *usd});
    }
  return out;
}

std::vector<std::pair<std::string, double>> number_members(const Json& object, std::string_view key) {
  std::vector<std::pair<std::string, double>> out;
  const Json* values = member(object, key);
  if (!values || !values->is_object()) return out;
  for (const auto& [name, value] : values->items())
    if (value.is_number() && std::isfinite(value.get<double>())) out.emplace_back(name, value.get<double>());
  return out;
}

std::string basis_words(Basis basis, const Json* row) {
  switch (basis) {
    case Basis::buy:
      return "bought";
    case Basis::rent_on_demand:
      return "rented on demand";
    case Basis::rent_committed:
      break;
  }
  const std::optional<Rent> offer = row ? rent(*row) : std::nullopt;
  if (offer && offer->committed_years && *offer->committed_years > 0)
    return "rented with a " + format_number(*offer->committed_years) + "-year commitment";
  return "rented with a commitment";
}

std::string usd_per_million_tokens_text(double usd) {
  std::string digits = format_significant(usd, 3);
  if (const std::size_t point = digits.find('.'); point != std::string::npos && digits.size() - point == 2)
    digits += '0';
  return "$" + digits;
}

}  // namespace xpusim::report::detail
