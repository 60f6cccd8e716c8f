// The report's charts: Vega-Lite specs with their data inline, one per question a buyer asks of the
// comparison. Each is built from the rows that have results; rows without (a system that cannot run the
// workload) are in none, and a row lacking one chart's fields is named in that chart's note.
//   1. cost against throughput: a point per priced system, x tokens per second per chip (systems differ in
//      size, so a system's throughput compares nothing), y $ per million tokens;
//   2. cost per token against production volume: a line per custom system ("usd_per_million_tokens_by_volume")
//      falling as its NRE spreads over more chips, a level rule per priced system bought (dashed) and rented
//      (dotted), the document's volume and the break-even volumes marked;
//   3. time per op kind: a bar per system, stacked by op kind ("op_time_s"), in ms or s;
//   4. power per chip: a bar per system, stacked by component ("power_breakdown_w");
//   5. tokens per joule: a bar per system;
//   6. TCO per chip-hour: a bar per priced system, stacked by hardware, energy, facility, operations.
// Bars run horizontally in the table's order, so long system names stay readable. The charts that color
// by system (1 and 2) share one color per system. Their text marks are placed in C++ (labels.h) on
// scales with explicit domains, so no two overlap and the spec stays the same bytes for the same input.
#include "report/charts.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <utility>

#include "report/labels.h"
#include "support/text.h"

namespace xpusim::report::detail {
namespace {

constexpr int kChartWidth = 720;
constexpr int kCostChartHeight = 360;
constexpr int kBarStepPx = 34;  // height per system in the bar charts

constexpr const char* kInk = "#1d2430";  // the page's text color
constexpr const char* kUsdPerMTokenTitle = "cost ($ per million tokens)";
constexpr const char* kUsdPerMTokenFormat = "$.3~r";  // $0.0978, $1.5

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

// A color scale over `domain`, in that order.
Json color_scale(const std::vector<std::string>& domain) {
  return {{"domain", domain}, {"scheme", domain.size() > 10 ? "tableau20" : "tableau10"}};
}

// Colors a mark by its system. `systems` is the same in every chart (priced_systems), so a system has
// one color throughout the page.
Json system_color(const std::vector<std::string>& systems) {
  return {{"field", "system"}, {"type", "nominal"}, {"legend", nullptr}, {"scale", color_scale(systems)}};
}

// Ticks for a log axis over [low, high]: the powers of ten, or 1, 2 and 5 times them when the range
// holds fewer than three powers.
std::vector<double> log_ticks(double low, double high) {
  std::vector<double> ticks;
  for (const std::initializer_list<double> steps : {std::initializer_list<double>{1}, {1, 2, 5}}) {
    ticks.clear();
    for (int e = static_cast<int>(std::floor(std::log10(low))); e <= static_cast<int>(std::ceil(std::log10(high))); ++e)
      for (const double step : steps) {
        // Divided rather than multiplied below 1, so 0.05 is the double nearest 0.05.
        const double tick = e < 0 ? step / std::pow(10.0, -e) : step * std::pow(10.0, e);
        if (tick >= low * (1 - 1e-9) && tick <= high * (1 + 1e-9)) ticks.push_back(tick);
      }
    if (ticks.size() >= 3) break;
  }
  return ticks;
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
  Json bars = {
      {"mark", {{"type", "bar"}}},
      {"encoding",
       {{"y", system_axis(systems)},
        {"x", value_axis(value_title, axis_format, {{"stack", "zero"}})},
        {"color", {{"field", "part"}, {"type", "nominal"}, {"title", part_title}, {"scale", color_scale(parts)}}},
        {"order", {{"field", "order"}, {"type", "quantitative"}}},
        {"tooltip", tooltip}}}};
  return {{"width", kChartWidth},
          {"height", {{"step", kBarStepPx}}},
          {"data", {{"values", std::move(values)}}},
          {"layer", Json::array({std::move(bars), total_labels(systems, value_title, axis_format, format)})}};
}

// A layer of a chart: `mark` drawn from its own `values`, with `encoding`.
Json layer(Json values, Json mark, Json encoding) {
  return {{"data", {{"values", std::move(values)}}}, {"mark", std::move(mark)}, {"encoding", std::move(encoding)}};
}

// A layer of labels: each value's "label" at (`x`, `y`), middle-aligned vertically, `align`ed
// horizontally `dx` px from its anchor; colored by system when `color` is an encoding, else in that
// color.
Json label_layer(Json values, const std::string& align, int dx, const Json& x, const Json& y, const Json& color) {
  Json mark = {{"type", "text"}, {"align", align}, {"baseline", "middle"}};
  if (dx != 0) mark["dx"] = dx;
  Json encoding = {{"x", x}, {"y", y}, {"text", {{"field", "label"}}}};
  if (color.is_string())
    mark["color"] = color;
  else
    encoding["color"] = color;
  return layer(std::move(values), std::move(mark), std::move(encoding));
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

// The systems with results and a price (a $ per million tokens bought or rented, or a custom system's
// curve of it over volume), in table order: the domain of system_color.
std::vector<std::string> priced_systems(const std::vector<const Json*>& rows) {
  std::vector<std::string> systems;
  for (const Json* row : rows)
    if (has_result(*row) &&
        (number(*row, "usd_per_million_tokens") || !priced_bases(*row).empty() || !cost_by_volume(*row).empty()))
      systems.push_back(text(*row, "system"));
  return systems;
}

// A continuous position scale with an explicit domain (no nice rounding, no zero added, no padding), so
// that the pixel of any value is known here, before Vega draws it: label placement needs it.
struct PixelScale {
  bool log = false;
  double low = 0, high = 1;  // the domain
  double length_px = 1;
  bool upward = false;  // y: low values at the bottom (pixel length_px), as in SVG

  double fraction(double value) const {
    return log ? std::log(value / low) / std::log(high / low) : (value - low) / (high - low);
  }
  double px(double value) const { return upward ? length_px * (1 - fraction(value)) : length_px * fraction(value); }
  // The value drawn at pixel `px`.
  double value_at(double px) const {
    const double f = upward ? 1 - px / length_px : px / length_px;
    return log ? low * std::pow(high / low, f) : low + f * (high - low);
  }
  Json vega() const {
    return {{"type", log ? "log" : "linear"}, {"domain", {low, high}}, {"nice", false}, {"zero", false}};
  }
};

// A scale over data in [low, high], padded by `pad_px` at each end so no mark sits on an edge: log, or
// linear from zero.
PixelScale padded_scale(double low, double high, bool log, double length_px, double pad_px, bool upward) {
  PixelScale s{log, log ? low : 0, high, length_px, upward};
  if (log) {
    if (!(high > low * (1 + 1e-9))) s.low = low / 2, s.high = high * 2;
    const double span = std::log(s.high / s.low), pad = span * pad_px / (length_px - 2 * pad_px);
    s.low *= std::exp(-pad);
    s.high *= std::exp(pad);
  } else {
    if (!(s.high > 0)) s.high = 1;
    s.high += s.high * pad_px / (length_px - pad_px);
  }
  return s;
}

// A text layer's data at placed positions: each of `values` with `y_field` set to the value at the
// pixel `placed` gives it.
Json at_placed(Json values, const std::vector<double>& placed_px, std::size_t first, const PixelScale& y,
               const std::string& y_field) {
  for (std::size_t i = 0; i < values.size(); ++i) values[i][y_field] = y.value_at(placed_px[first + i]);
  return values;
}

// Text marks: 12 px (embed_options), kept a line apart when placed.
constexpr double kFontPx = 12;
constexpr double kLineGapPx = 15;

Plot cost_plot(const std::vector<const Json*>& rows) {
  struct Point {
    std::string system;
    double per_chip, usd;
  };
  std::vector<Point> points;
  Json values = Json::array();
  Plot plot;
  plot.left_out = offer_results(rows, [&](const std::string& system, const Json& row) {
    const std::optional<double> usd = number(row, "usd_per_million_tokens");
    const std::optional<double> chips = number(row, "chips");
    if (!usd || !chips || *chips <= 0) return false;
    const double tokens_per_s = *number(row, "tokens_per_s");
    points.push_back({system, tokens_per_s / *chips, *usd});
    values.push_back({{"system", system},
                      {"tokens_per_s_per_chip", tokens_per_s / *chips},
                      {"tokens_per_s", tokens_per_s},
                      {"usd_per_million_tokens", *usd},
                      {"chips", *chips},
                      {"label", system}});
    return true;
  });
  if (points.empty()) return plot;
  const auto [slowest, fastest] = std::minmax_element(
      points.begin(), points.end(), [](const Point& a, const Point& b) { return a.per_chip < b.per_chip; });
  const double dearest =
      std::max_element(points.begin(), points.end(), [](const Point& a, const Point& b) { return a.usd < b.usd; })->usd;
  // A log scale once throughputs differ tenfold, so the slow systems do not crowd the origin; padded so
  // that no point sits on an edge.
  const bool log = fastest->per_chip >= 10 * slowest->per_chip;
  const PixelScale x_scale = padded_scale(slowest->per_chip, fastest->per_chip, log, kChartWidth, 36, false);
  const PixelScale y_scale = padded_scale(0, dearest, false, kCostChartHeight, 30, true);
  const Json x = {{"field", "tokens_per_s_per_chip"},
                  {"type", "quantitative"},
                  {"title", log ? "throughput per chip (tokens/s, log scale)" : "throughput per chip (tokens/s)"},
                  {"scale", x_scale.vega()},
                  {"axis", {{"format", log ? "~s" : ",~r"}}}};  // 20k, 100k; 2,000, 4,000
  const Json y = {{"field", "usd_per_million_tokens"},
                  {"type", "quantitative"},
                  {"title", kUsdPerMTokenTitle},
                  {"scale", y_scale.vega()},
                  {"axis", {{"format", "$~g"}}}};
  const Json tooltip = Json::array(
      {{{"field", "system"}, {"type", "nominal"}},
       {{"field", "chips"}, {"type", "quantitative"}},
       {{"field", "tokens_per_s_per_chip"},
        {"type", "quantitative"},
        {"title", "tokens/s per chip"},
        {"format", ",.0f"}},
       {{"field", "tokens_per_s"}, {"type", "quantitative"}, {"title", "tokens/s per system"}, {"format", ",.0f"}},
       {{"field", "usd_per_million_tokens"},
        {"type", "quantitative"},
        {"title", "$ per million tokens"},
        {"format", kUsdPerMTokenFormat}}});
  Json layers = Json::array();
  layers.push_back(layer(values, {{"type", "point"}, {"filled", true}, {"size", 160}, {"opacity", 0.9}},
                         {{"x", x}, {"y", y}, {"color", system_color(priced_systems(rows))}, {"tooltip", tooltip}}));
  // Each name right of its point, or left of it where it would leave the plot, spread apart where two
  // would touch.
  std::vector<LabelBox> boxes;
  Json right_of = Json::array(), left_of = Json::array();
  std::vector<std::size_t> order_right, order_left;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const double at = x_scale.px(points[i].per_chip), width = text_width_px(points[i].system, kFontPx);
    const bool right = at + 10 + width <= kChartWidth;
    boxes.push_back({right ? at + 10 : at - 10 - width, right ? at + 10 + width : at - 10, y_scale.px(points[i].usd)});
    (right ? right_of : left_of).push_back(values[i]);
    (right ? order_right : order_left).push_back(i);
  }
  const std::vector<double> placed = place_labels(boxes, kLineGapPx, kFontPx / 2, kCostChartHeight - kFontPx / 2);
  for (const bool right : {true, false}) {
    Json labels = right ? right_of : left_of;
    const std::vector<std::size_t>& order = right ? order_right : order_left;
    if (labels.empty()) continue;
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i]["label_usd"] = y_scale.value_at(placed[order[i]]);
    Json label_y = y;
    label_y["field"] = "label_usd";
    layers.push_back(label_layer(std::move(labels), right ? "left" : "right", right ? 10 : -10, x, label_y, kInk));
  }
  plot.spec = {{"width", kChartWidth}, {"height", kCostChartHeight}, {"layer", std::move(layers)}};
  return plot;
}

// A tooltip entry for a quantitative field.
Json quantity_tip(const std::string& field, const std::string& title, const std::string& format) {
  return {{"field", field}, {"type", "quantitative"}, {"title", title}, {"format", format}};
}

// x volume (chips built), y $ per million tokens, both log scale (y only once the costs span tenfold):
// each custom system's line of points, falling as its NRE spreads over more chips; each priced system's
// flat cost bought (a dashed rule) and rented (dotted, on demand and committed), each named at its right
// end; the document's volume as a vertical rule ("this table"); and each break-even volume where a custom
// line crosses a level. Every text mark is placed (place_labels) so that none overlaps another.
Plot break_even_plot(const Json& comparison, const std::vector<const Json*>& rows) {
  struct Level {
    std::string system;
    Basis basis;
    double usd;
  };
  Json curves = Json::array(), names = Json::array(), levels = Json::array(), rents = Json::array();
  std::vector<Level> priced;
  std::vector<double> volumes, costs;
  Plot plot;
  plot.left_out = offer_results(rows, [&](const std::string& system, const Json& row) {
    const std::vector<CostAtVolume> curve = cost_by_volume(row);
    for (const CostAtVolume& p : curve) {
      curves.push_back({{"system", system}, {"volume", p.volume}, {"usd", p.usd_per_million_tokens}});
      volumes.push_back(p.volume);
      costs.push_back(p.usd_per_million_tokens);
    }
    if (!curve.empty()) {
      names.push_back({{"system", system},
                       {"volume", curve.front().volume},
                       {"usd", curve.front().usd_per_million_tokens},
                       {"label", system}});
      return true;
    }
    const std::vector<PricedBasis> bases = priced_bases(row);
    for (const PricedBasis& p : bases) {
      priced.push_back({system, p.basis, p.usd_per_million_tokens});
      const std::string how = basis_words(p.basis, &row);
      (p.basis == Basis::buy ? levels : rents)
          .push_back({{"system", system},
                      {"usd", p.usd_per_million_tokens},
                      {"basis", how},
                      {"label", p.basis == Basis::buy ? system : system + ", " + how}});
      costs.push_back(p.usd_per_million_tokens);
    }
    return !bases.empty();
  });
  if (curves.empty()) return plot;

  // Where each custom line meets a level: at that level's cost, by definition.
  Json crossings = Json::array();
  for (const Json* row : rows) {
    if (!has_result(*row) || cost_by_volume(*row).empty()) continue;
    for (const BreakEven& b : break_evens(*row)) {
      const auto level = std::find_if(priced.begin(), priced.end(),
                                      [&](const Level& l) { return l.system == b.against && l.basis == b.basis; });
      if (!b.volume || *b.volume <= 0 || level == priced.end()) continue;
      const double chips = std::ceil(*b.volume);  // as the table says it
      volumes.push_back(chips);                   // on the axis even beyond the curve
      const Json* against_row = nullptr;
      for (const Json* r : rows)
        if (text(*r, "system") == b.against) against_row = r;
      crossings.push_back(
          {{"system", text(*row, "system")},
           {"against", b.basis == Basis::buy ? b.against : b.against + ", " + basis_words(b.basis, against_row)},
           {"volume", chips},
           {"usd", level->usd},
           {"label", format_grouped(chips) + " chips"}});
    }
  }
  Json here = Json::array();
  if (const std::optional<double> volume = number(comparison, "volume"); volume && *volume > 0) {
    here.push_back({{"volume", *volume}, {"label", "this table"}});
    volumes.push_back(*volume);
  }

  const auto [fewest, most] = std::minmax_element(volumes.begin(), volumes.end());
  const auto [cheapest, dearest] = std::minmax_element(costs.begin(), costs.end());
  const bool log = *dearest > 10 * *cheapest;
  const PixelScale x_scale = padded_scale(*fewest, *most, true, kChartWidth, 12, false);
  const PixelScale y_scale = padded_scale(*cheapest, *dearest, log, kCostChartHeight, log ? 12 : 24, true);
  const Json x = {{"field", "volume"},
                  {"type", "quantitative"},
                  {"title", "chips built (log scale)"},
                  {"scale", x_scale.vega()},
                  {"axis", {{"values", log_ticks(*fewest, *most)}, {"format", "~s"}}}};  // 1k, 100k, 10M
  Json y = {{"field", "usd"},
            {"type", "quantitative"},
            {"title", log ? "cost ($ per million tokens, log scale)" : kUsdPerMTokenTitle},
            {"scale", y_scale.vega()},
            {"axis", {{"format", "$~g"}}}};
  if (log) y["axis"]["values"] = log_ticks(*cheapest, *dearest);
  Json label_y = y;
  label_y["field"] = "label_usd";
  const Json color = system_color(priced_systems(rows));
  const Json volume_tip = quantity_tip("volume", "chips built", ",.0f");
  const Json usd_tip = quantity_tip("usd", "$ per million tokens", kUsdPerMTokenFormat);
  const Json system_tip = {{"field", "system"}, {"type", "nominal"}};
  const Json basis_tip = {{"field", "basis"}, {"type", "nominal"}, {"title", "paid for"}};

  // Every label's box where it would like to be, in the order of the text layers below: the levels'
  // names above their right ends (below, where placing them above would put them on the rule), "this table" at the top
  // beside its rule, the custom systems' names right of their first (dearest) points, and the break-even volumes below
  // and left of their diamonds.
  std::vector<LabelBox> boxes;
  Json level_labels = levels;
  for (const Json& r : rents) level_labels.push_back(r);
  for (const Json& l : level_labels) {
    const double width = text_width_px(l.at("label"), kFontPx);
    boxes.push_back({kChartWidth - width, double{kChartWidth}, y_scale.px(l.at("usd")) - 4 - kFontPx / 2});
  }
  const bool near_right =
      !here.empty() && std::log(here[0].at("volume").get<double>() / *fewest) > 0.75 * std::log(*most / *fewest);
  for (const Json& h : here) {
    const double at = x_scale.px(h.at("volume")), width = text_width_px("this table", kFontPx);
    boxes.push_back({near_right ? at - 5 - width : at + 5, near_right ? at - 5 : at + 5 + width, kFontPx / 2});
  }
  for (const Json& n : names) {
    const double at = x_scale.px(n.at("volume"));
    boxes.push_back({at + 10, at + 10 + text_width_px(n.at("label"), kFontPx), y_scale.px(n.at("usd"))});
  }
  // Left of the diamond unless that would leave the plot, then right of it.
  Json crossings_left = Json::array(), crossings_right = Json::array();
  for (const Json& c : crossings)
    (x_scale.px(c.at("volume")) - 8 - text_width_px(c.at("label"), kFontPx) >= 0 ? crossings_left : crossings_right)
        .push_back(c);
  for (const bool left : {true, false})
    for (const Json& c : left ? crossings_left : crossings_right) {
      const double at = x_scale.px(c.at("volume")), width = text_width_px(c.at("label"), kFontPx);
      boxes.push_back(
          {left ? at - 8 - width : at + 8, left ? at - 8 : at + 8 + width, y_scale.px(c.at("usd")) + 6 + kFontPx / 2});
    }
  std::vector<double> placed = place_labels(boxes, kLineGapPx, kFontPx / 2, kCostChartHeight - kFontPx / 2);
  // A level's name pushed onto its own rule is crossed by it: such names go below their rules instead,
  // and the labels are placed again.
  bool again = false;
  for (std::size_t i = 0; i < level_labels.size(); ++i)
    if (const double rule = y_scale.px(level_labels[i].at("usd")); std::abs(placed[i] - rule) < kFontPx / 2) {
      boxes[i].y_px = rule + 4 + kFontPx / 2;
      again = true;
    }
  if (again) placed = place_labels(boxes, kLineGapPx, kFontPx / 2, kCostChartHeight - kFontPx / 2);
  std::size_t next_label = 0;
  // The values of one text layer at their placed heights, taken in the order of `boxes`.
  const auto placed_values = [&](const Json& values) {
    Json out = at_placed(values, placed, next_label, y_scale, "label_usd");
    next_label += values.size();
    return out;
  };

  Json layers = Json::array();
  if (!levels.empty())
    layers.push_back(layer(levels, {{"type", "rule"}, {"strokeDash", {6, 4}}, {"strokeWidth", 2}},
                           {{"y", y}, {"color", color}, {"tooltip", Json::array({system_tip, basis_tip, usd_tip})}}));
  if (!rents.empty())
    layers.push_back(layer(rents, {{"type", "rule"}, {"strokeDash", {1.5, 3}}, {"strokeWidth", 2.5}},
                           {{"y", y}, {"color", color}, {"tooltip", Json::array({system_tip, basis_tip, usd_tip})}}));
  if (!level_labels.empty())
    layers.push_back(label_layer(placed_values(level_labels), "right", 0, {{"value", kChartWidth}}, label_y, color));
  if (!here.empty()) {
    layers.push_back(
        layer(here, {{"type", "rule"}, {"color", "#8a93a0"}, {"strokeDash", {2, 3}}},
              {{"x", x}, {"tooltip", Json::array({quantity_tip("volume", "this table's volume", ",.0f")})}}));
    // Its label right of the rule, or left of it in the last quarter of the axis, so it stays in the plot.
    layers.push_back(
        label_layer(placed_values(here), near_right ? "right" : "left", near_right ? -5 : 5, x, label_y, "#5b6472"));
  }
  layers.push_back(
      layer(curves, {{"type", "line"}, {"strokeWidth", 2.5}, {"point", {{"filled", true}, {"size", 50}}}},
            {{"x", x}, {"y", y}, {"color", color}, {"tooltip", Json::array({system_tip, volume_tip, usd_tip})}}));
  layers.push_back(label_layer(placed_values(names), "left", 10, x, label_y, color));
  if (!crossings.empty()) {
    const Json tooltip = Json::array({system_tip,
                                      {{"field", "against"}, {"type", "nominal"}, {"title", "breaks even with"}},
                                      quantity_tip("volume", "at chips built", ",.0f"),
                                      usd_tip});
    layers.push_back(layer(crossings,
                           {{"type", "point"},
                            {"shape", "diamond"},
                            {"filled", true},
                            {"size", 150},
                            {"opacity", 1},
                            {"color", kInk},
                            {"stroke", "white"},
                            {"strokeWidth", 1}},
                           {{"x", x}, {"y", y}, {"tooltip", tooltip}}));
    // The volume below and left of the crossing, clear of the falling line and of the rule (right of it
    // near the left edge).
    for (const bool left : {true, false})
      if (const Json& labels = left ? crossings_left : crossings_right; !labels.empty())
        layers.push_back(label_layer(placed_values(labels), left ? "right" : "left", left ? -8 : 8, x, label_y, kInk));
  }
  plot.spec = {{"width", kChartWidth}, {"height", kCostChartHeight}, {"layer", std::move(layers)}};
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
      // A named copy: clang before 16 cannot capture a structured binding.
      const std::string& part_name = part;
      auto it =
          std::find_if(part_totals.begin(), part_totals.end(), [&](const auto& p) { return p.first == part_name; });
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
    const std::optional<double> chips = number(row, "chips");
    if (!tco || !tco->is_object() || !chips || *chips <= 0) return false;
    systems.push_back(system);
    for (const char* part : kParts)
      if (const std::optional<double> usd = number(*tco, part)) segments.push_back({system, part, *usd / *chips});
    return true;
  });
  if (segments.empty()) return {nullptr, unpriced};
  return {stacked_bars(segments, systems, std::vector<std::string>(std::begin(kParts), std::end(kParts)),
                       "TCO per chip ($ per hour)", "cost", "$,.2f", "$,.2~f"),
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
    {"chart-cost", "Cost against throughput per chip",
     "Each priced system at its best configuration: further right serves more tokens per second on each of its "
     "chips (systems of 8, 64 or 72 chips compare per chip, not per system), lower costs less per token.",
     "No system has both a throughput and a purchase price, so there is nothing to plot.", "no purchase price"},
    {"chart-break-even", "Cost per token against production volume",
     "What a million tokens cost on each custom system as its design and mask costs (NRE) spread over more chips "
     "built, against each other system's flat cost bought (dashed) and rented (dotted). Right of a diamond, the "
     "custom system is the cheaper.",
     "No custom system has a price, so there is no cost against production volume to plot.", "no price"},
    {"chart-op-time", "Time per op kind", "Where each system spends one step, by kind of op, largest kinds first.",
     "No system reports its time per op kind (op_time_s), so there is nothing to plot.", "no time per op kind"},
    {"chart-power", "Power per chip", "Average power of one chip while it runs the workload, by component.",
     "No system reports its power by component (power_breakdown_w), so there is nothing to plot.",
     "no power breakdown"},
    {"chart-efficiency", "Tokens per joule",
     "Tokens each system produces per joule it draws (the power basis of each system is at the foot of the page).",
     "No system has results, so there is nothing to plot.", "no tokens per joule"},
    {"chart-tco", "TCO per chip-hour",
     "What owning one chip costs per hour, its system's cost shared among its chips: hardware over its life, energy "
     "at the datacenter's PUE, the facility's capex per MW, and operations.",
     "No system has a price, so there is no cost of ownership to plot.", "no price"},
};

}  // namespace

std::vector<Chart> comparison_charts(const Json& comparison) {
  const std::vector<const Json*> rows = system_rows(comparison);
  Plot plots[] = {cost_plot(rows),
                  break_even_plot(comparison, rows),
                  op_time_plot(comparison, rows),
                  power_plot(rows),
                  efficiency_plot(rows),
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
