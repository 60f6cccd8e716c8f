// Tolerant reads of the comparison document; see document.h.
#include "report/document.h"

#include <cmath>

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

std::vector<BreakEven> break_evens(const Json& row) {
  std::vector<BreakEven> out;
  if (const Json* entries = member(row, "break_even"); entries && entries->is_array())
    for (const Json& entry : *entries) out.push_back({text(entry, "against"), number(entry, "volume")});
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

}  // namespace xpusim::report::detail
