// The report's charts: Vega-Lite specs with their data inline, one per question a buyer asks of the
// comparison. Each is built from the rows that have results; rows without (a system that cannot run the
// workload) are in none, and a row lacking one chart's fields is named in that chart's note.
//   1. cost against throughput: a point per priced system, x tokens per second, y $ per million tokens;
//   2. time per op kind: a bar per system, stacked by op kind ("op_time_s"), in ms or s;
//   3. power per chip: a bar per system, stacked by component ("power_breakdown_w");
//   4. tokens per joule: a bar per system;
//   5. TCO per hour: a bar per priced system, stacked by hardware, energy, facility, operations.
// Bars run horizontally in the table's order, so long system names stay readable.
#include "report/charts.h"

#include <algorithm>
#include <cstddef>
#include <functional>
#include <utility>

namespace xpusim::report::detail {
namespace {

constexpr int kChartWidth = 720;
constexpr int kCostChartHeight = 360;
constexpr int kBarStepPx = 34;  // height per system in the bar charts

// One piece of a stacked bar: `value` of `part` in `system`'s bar.
struct Segment {
  std::string system;
  std::string part;
  double value = 0;
};

// What a chart's data gives: its spec (null when no system has data for it) and the systems with
// results that lacked its fields.
struct Plot {
  Json spec;
  std::vector<std::string> left_out;
};

std::string comma_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// "Left out (no price): a, b." or "" when nothing was left out.
std::string left_out_note(const std::vector<std::string>& names, const std::string& why) {
  return names.empty() ? std::string() : "Left out (" + why + "): " + comma_list(names) + ".";
}

Json system_axis(const std::vector<std::string>& systems) {
  return {{"field", "system"}, {"type", "nominal"}, {"title", nullptr}, {"sort", systems}};
}

Json value_axis(const std::string& title, const std::string& axis_format, Json extra = Json::object()) {
  // Eight ticks or so: Vega's default (one per 40 px) crowds the labels of a wide chart.
  Json x = {{"field", "value"},
            {"type", "quantitative"},
            {"title", title},
            {"axis", {{"format", axis_format}, {"tickCount", 8}}}};
  x.update(extra);
  return x;
}

// Each bar's total as text just past its end.
Json total_labels(const std::vector<std::string>& systems, const std::string& title, const std::string& axis_format,
                  const std::string& format) {
  return {{"mark", {{"type", "text"}, {"align", "left"}, {"baseline", "middle"}, {"dx", 4}}},
          {"encoding",
           {{"y", system_axis(systems)},
            {"x", value_axis(title, axis_format, {{"aggregate", "sum"}})},
            {"text", {{"field", "value"}, {"type", "quantitative"}, {"aggregate", "sum"}, {"format", format}}}}}};
}

// A horizontal bar per system (in `systems` order), split into `parts` stacked in that order, with its
// total at its end. `format` (d3-format) writes values; `axis_format` the axis' ticks.
Json stacked_bars(const std::vector<Segment>& segments, const std::vector<std::string>& systems,
                  const std::vector<std::string>& parts, const std::string& value_title, const std::string& part_title,
                  const std::string& format, const std::string& axis_format) {
  Json values = Json::array();
  for (const Segment& s : segments) {
    const std::ptrdiff_t order = std::find(parts.begin(), parts.end(), s.part) - parts.begin();
    values.push_back({{"system", s.system}, {"part", s.part}, {"value", s.value}, {"order", order}});
  }
  const Json tooltip =
      Json::array({{{"field", "system"}, {"type", "nominal"}},
                   {{"field", "part"}, {"type", "nominal"}, {"title", part_title}},
                   {{"field", "value"}, {"type", "quantitative"}, {"title", value_title}, {"format", format}}});
  Json bars = {{"mark", {{"type", "bar"}}},
               {"encoding",
                {{"y", system_axis(systems)},
                 {"x", value_axis(value_title, axis_format, {{"stack", "zero"}})},
                 {"color",
                  {{"field", "part"},
                   {"type", "nominal"},
                   {"title", part_title},
                   {"scale", {{"domain", parts}, {"scheme", parts.size() > 10 ? "tableau20" : "tableau10"}}}}},
                 {"order", {{"field", "order"}, {"type", "quantitative"}}},
                 {"tooltip", tooltip}}}};
  return {{"width", kChartWidth},
          {"height", {{"step", kBarStepPx}}},
          {"data", {{"values", std::move(values)}}},
          {"layer", Json::array({std::move(bars), total_labels(systems, value_title, axis_format, format)})}};
}

// Offers each row with results to `take(system, row)`, which adds the row to a chart and says whether
// the row had what the chart needs; returns the systems whose rows had not, for the chart's note.
std::vector<std::string> offer_results(const std::vector<const Json*>& rows,
                                       const std::function<bool(const std::string&, const Json&)>& take) {
  std::vector<std::string> lacking;
  for (const Json* row : rows) {
    if (!has_result(*row)) continue;
    const std::string system = text(*row, "system");
    if (!take(system, *row)) lacking.push_back(system);
  }
  return lacking;
}

Plot cost_plot(const std::vector<const Json*>& rows) {
  Json values = Json::array();
  double low = 0, high = 0, dearest = 0;
  Plot plot;
  plot.left_out = offer_results(rows, [&](const std::string& system, const Json& row) {
    const std::optional<double> usd = number(row, "usd_per_million_tokens");
    if (!usd) return false;
    const double tokens_per_s = *number(row, "tokens_per_s");
    low = values.empty() ? tokens_per_s : std::min(low, tokens_per_s);
    high = std::max(high, tokens_per_s);
    dearest = std::max(dearest, *usd);
    values.push_back({{"system", system},
                      {"tokens_per_s", tokens_per_s},
                      {"usd_per_million_tokens", *usd},
                      {"chips", number(row, "chips").value_or(0)}});
    return true;
  });
  if (values.empty()) return plot;
  // A log scale once throughputs differ tenfold, so the slow systems do not crowd the origin.
  const bool log = high >= 10 * low;
  Json x = {{"field", "tokens_per_s"},
            {"type", "quantitative"},
            {"title", log ? "throughput per system (tokens/s, log scale)" : "throughput per system (tokens/s)"},
            {"axis", {{"format", log ? "~s" : ",~r"}}}};  // 20k, 100k; 2,000, 4,000
  // Not rounded out to powers of ten (which would leave most of the plot empty), but padded so that
  // no point sits on an edge.
  if (log) x["scale"] = {{"type", "log"}, {"nice", false}, {"padding", 36}};
  Json y = {{"field", "usd_per_million_tokens"},
            {"type", "quantitative"},
            {"title", "cost ($ per million tokens)"},
            {"axis", {{"format", "$~g"}}}};
  if (dearest > 0) y["scale"] = {{"domainMax", dearest * 1.1}};  // headroom: no point on the top edge
  const Json tooltip =
      Json::array({{{"field", "system"}, {"type", "nominal"}},
                   {{"field", "chips"}, {"type", "quantitative"}},
                   {{"field", "tokens_per_s"}, {"type", "quantitative"}, {"title", "tokens/s"}, {"format", ",.0f"}},
                   {{"field", "usd_per_million_tokens"},
                    {"type", "quantitative"},
                    {"title", "$ per million tokens"},
                    {"format", "$.3~r"}}});
  Json points = {
      {"mark", {{"type", "point"}, {"filled", true}, {"size", 160}, {"opacity", 0.9}}},
      {"encoding", {{"color", {{"field", "system"}, {"type", "nominal"}, {"legend", nullptr}}}, {"tooltip", tooltip}}}};
  Json labels = {{"mark", {{"type", "text"}, {"align", "left"}, {"baseline", "middle"}, {"dx", 10}}},
                 {"encoding", {{"text", {{"field", "system"}, {"type", "nominal"}}}}}};
  plot.spec = {{"width", kChartWidth},
               {"height", kCostChartHeight},
               {"data", {{"values", std::move(values)}}},
               {"encoding", {{"x", std::move(x)}, {"y", y}}},
               {"layer", Json::array({std::move(points), std::move(labels)})}};
  return plot;
}

// A stacked bar per system from the number members of each row's `key`, parts in order of first
// appearance unless `largest_first`.
struct Breakdown {
  std::vector<Segment> segments;
  std::vector<std::string> systems;  // those with the breakdown
  std::vector<std::string> parts;
  std::vector<std::string> lacking;  // systems with results but without the breakdown
  double largest_total = 0;
};

Breakdown breakdown(const std::vector<const Json*>& rows, std::string_view key, bool largest_first) {
  Breakdown b;
  std::vector<std::pair<std::string, double>> part_totals;
  b.lacking = offer_results(rows, [&](const std::string& system, const Json& row) {
    const auto members = number_members(row, key);
    if (members.empty()) return false;
    b.systems.push_back(system);
    double total = 0;
    for (const auto& [part, value] : members) {
      b.segments.push_back({system, part, value});
      total += value;
      auto it = std::find_if(part_totals.begin(), part_totals.end(), [&](const auto& p) { return p.first == part; });
      if (it == part_totals.end())
        part_totals.emplace_back(part, value);
      else
        it->second += value;
    }
    b.largest_total = std::max(b.largest_total, total);
    return true;
  });
  if (largest_first)
    std::stable_sort(part_totals.begin(), part_totals.end(),
                     [](const auto& a, const auto& c) { return a.second > c.second; });
  for (const auto& [part, total] : part_totals) b.parts.push_back(part);
  return b;
}

Plot op_time_plot(const Json& comparison, const std::vector<const Json*>& rows) {
  Breakdown b = breakdown(rows, "op_time_s", true);
  if (b.segments.empty()) return {nullptr, b.lacking};
  // "seconds per decode step" names the step; the unit is the chart's own.
  std::string step = text(comparison, "op_time_basis");
  if (step.starts_with("seconds per ")) step.erase(0, std::string_view("seconds per ").size());
  const bool seconds = b.largest_total >= 1;
  if (!seconds)
    for (Segment& s : b.segments) s.value *= 1e3;
  const std::string title = "time per " + (step.empty() ? "step" : step) + (seconds ? " (s)" : " (ms)");
  return {stacked_bars(b.segments, b.systems, b.parts, title, "op kind", ",.3~r", ",~r"), b.lacking};
}

Plot power_plot(const std::vector<const Json*>& rows) {
  const Breakdown b = breakdown(rows, "power_breakdown_w", false);
  if (b.segments.empty()) return {nullptr, b.lacking};
  return {stacked_bars(b.segments, b.systems, b.parts, "average power per chip (W)", "component", ",.0f", ",.0f"),
          b.lacking};
}

Plot efficiency_plot(const std::vector<const Json*>& rows) {
  Json values = Json::array();
  std::vector<std::string> systems;
  Plot plot;
  plot.left_out = offer_results(rows, [&](const std::string& system, const Json& row) {
    const std::optional<double> tokens_per_joule = number(row, "tokens_per_joule");
    if (!tokens_per_joule) return false;
    values.push_back({{"system", system}, {"value", *tokens_per_joule}});
    systems.push_back(system);
    return true;
  });
  if (values.empty()) return plot;
  const std::string title = "tokens per joule (tokens/J)", format = ".3~r";
  Json bars = {
      {"mark", {{"type", "bar"}, {"color", "#4c78a8"}}},
      {"encoding",
       {{"y", system_axis(systems)},
        {"x", value_axis(title, format)},
        {"tooltip",
         Json::array({{{"field", "system"}, {"type", "nominal"}},
                      {{"field", "value"}, {"type", "quantitative"}, {"title", title}, {"format", format}}})}}}};
  plot.spec = {{"width", kChartWidth},
               {"height", {{"step", kBarStepPx}}},
               {"data", {{"values", std::move(values)}}},
               {"layer", Json::array({std::move(bars), total_labels(systems, title, format, format)})}};
  return plot;
}

Plot tco_plot(const std::vector<const Json*>& rows) {
  static constexpr const char* kParts[] = {"hardware", "energy", "facility", "operations"};
  std::vector<Segment> segments;
  std::vector<std::string> systems;
  const std::vector<std::string> unpriced = offer_results(rows, [&](const std::string& system, const Json& row) {
    const Json* tco = member(row, "tco_usd_per_hour");
    if (!tco || !tco->is_object()) return false;
    systems.push_back(system);
    for (const char* part : kParts)
      if (const std::optional<double> usd = number(*tco, part)) segments.push_back({system, part, *usd});
    return true;
  });
  if (segments.empty()) return {nullptr, unpriced};
  return {stacked_bars(segments, systems, std::vector<std::string>(std::begin(kParts), std::end(kParts)),
                       "TCO per system ($ per hour)", "cost", "$,.2f", "$,.2~f"),
          unpriced};
}

// What each chart is, in page order; `why` says why a system with results is not in it.
struct ChartText {
  const char* id;
  const char* heading;
  const char* caption;
  const char* empty;
  const char* why;
};
constexpr ChartText kCharts[] = {
    {"chart-cost", "Cost against throughput",
     "Each priced system at its best configuration: further right serves more tokens per second, lower costs less "
     "per token.",
     "No system has both a throughput and a price, so there is nothing to plot.", "no price"},
    {"chart-op-time", "Time per op kind", "Where each system spends one step, by kind of op, largest kinds first.",
     "No system reports its time per op kind (op_time_s), so there is nothing to plot.", "no time per op kind"},
    {"chart-power", "Power per chip", "Average power of one chip while it runs the workload, by component.",
     "No system reports its power by component (power_breakdown_w), so there is nothing to plot.",
     "no power breakdown"},
    {"chart-efficiency", "Tokens per joule",
     "Tokens each system produces per joule it draws (the power basis of each system is at the foot of the page).",
     "No system has results, so there is nothing to plot.", "no tokens per joule"},
    {"chart-tco", "TCO per hour",
     "What one system costs to own per hour: hardware over its life, energy at the datacenter's PUE, the facility's "
     "capex per MW, and operations.",
     "No system has a price, so there is no cost of ownership to plot.", "no price"},
};

}  // namespace

std::vector<Chart> comparison_charts(const Json& comparison) {
  const std::vector<const Json*> rows = system_rows(comparison);
  Plot plots[] = {cost_plot(rows), op_time_plot(comparison, rows), power_plot(rows), efficiency_plot(rows),
                  tco_plot(rows)};
  static_assert(std::size(plots) == std::size(kCharts));
  std::vector<Chart> charts;
  for (std::size_t i = 0; i < std::size(kCharts); ++i) {
    const ChartText& t = kCharts[i];
    charts.push_back(
        {t.id, t.heading, t.caption, std::move(plots[i].spec), t.empty, left_out_note(plots[i].left_out, t.why)});
  }
  return charts;
}

Json embed_options() {
  const Json axis = {{"labelFontSize", 12}, {"titleFontSize", 13}, {"titleFontWeight", "normal"}, {"titlePadding", 10}};
  return {{"renderer", "svg"},
          {"actions", false},
          {"mode", "vega-lite"},
          {"config",
           {{"font", "DejaVu Sans, Verdana, sans-serif"},
            {"axis", axis},
            // Room between the plot and the legend for the totals written past the longest bar.
            {"legend", {{"labelFontSize", 12}, {"titleFontSize", 13}, {"titleFontWeight", "normal"}, {"offset", 56}}},
            {"text", {{"fontSize", 12}}},
            {"view", {{"stroke", nullptr}}}}}};
}

}  // namespace xpusim::report::detail
