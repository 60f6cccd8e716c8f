// The HTML report from a comparison document (tests/report/fixture.json: the output of `xpusim compare
// --systems xpu-1-node,dgx-h100,gb200-nvl72,tpu-v5p-4x4x4,dgx-a100 --json`, with a custom system, a
// system without a price and one that cannot run the workload): what the page holds, that text from the
// document cannot end a script element, and that the same input gives the same bytes. The browser test
// (tests/report/render_test.mjs) checks that the charts draw.
#include "report/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace xpusim::report {
namespace {

using Json = nlohmann::ordered_json;

Json fixture() {
  std::ifstream in(XPUSIM_SOURCE_DIR "/tests/report/fixture.json");
  EXPECT_TRUE(in) << "cannot read tests/report/fixture.json";
  return Json::parse(in);
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// The chart data block of a page, parsed.
Json chart_block(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"xpusim-charts\">";
  const std::size_t begin = html.find(open);
  EXPECT_NE(begin, std::string::npos);
  const std::size_t end = html.find("</script>", begin);
  return Json::parse(html.substr(begin + open.size(), end - begin - open.size()));
}

// A chart's spec from a page's chart block; null when the page has no such chart.
Json chart_spec(const Json& charts, const std::string& id) {
  for (const Json& chart : charts.at("charts"))
    if (chart.at("id") == id) return chart.at("spec");
  return nullptr;
}

// The systems a chart plots, in data order (each once): from the spec's data, or its first layer's when
// each layer has its own.
std::vector<std::string> plotted(const Json& charts, const std::string& id) {
  std::vector<std::string> systems;
  for (const Json& chart : charts.at("charts")) {
    if (chart.at("id") != id) continue;
    const Json& spec = chart.at("spec");
    const Json& data = spec.contains("data") ? spec.at("data") : spec.at("layer").at(0).at("data");
    for (const Json& value : data.at("values"))
      if (systems.empty() || systems.back() != value.at("system")) systems.push_back(value.at("system"));
  }
  return systems;
}

TEST(Report, FixtureHasTableRowsChartsAndNotes) {
  const std::string html = render_html(fixture());
  EXPECT_NE(html.find("<h1>serve-llama3-70b-50ms</h1>"), std::string::npos);
  EXPECT_NE(html.find("us-hyperscale-2025"), std::string::npos);
  EXPECT_EQ(count(html, "<tr><th scope=\"row\">"), 5u);
  // The system that cannot run the workload is a row with its problem and nothing else.
  EXPECT_NE(html.find("<td colspan=\"9\" class=\"problem\">chip a100-sxm-80gb cannot compute fp8_e4m3</td>"),
            std::string::npos);
  std::size_t at = 0;  // the charts in page order
  for (const char* id :
       {"chart-cost", "chart-break-even", "chart-op-time", "chart-power", "chart-efficiency", "chart-tco"}) {
    const std::size_t found = html.find(std::string("<div class=\"chart\" id=\"") + id + "\"", at);
    EXPECT_NE(found, std::string::npos) << id;
    at = found == std::string::npos ? at : found;
  }
  EXPECT_EQ(count(html, "Left out (no price): tpu-v5p-4x4x4."), 2u);  // cost by volume and TCO
  // The cost chart plots purchase prices: a system only rented is left out of it for that reason.
  EXPECT_EQ(count(html, "Left out (no purchase price): tpu-v5p-4x4x4."), 1u);
  EXPECT_EQ(count(html, "Left out (no power breakdown): tpu-v5p-4x4x4."), 1u);

  const Json charts = chart_block(html);
  EXPECT_EQ(charts.at("options").at("renderer"), "svg");
  EXPECT_EQ(charts.at("options").at("actions"), false);
  using Names = std::vector<std::string>;
  EXPECT_EQ(plotted(charts, "chart-cost"), (Names{"xpu-1-node", "dgx-h100", "gb200-nvl72"}));
  EXPECT_EQ(plotted(charts, "chart-power"), (Names{"xpu-1-node", "dgx-h100", "gb200-nvl72"}));
  EXPECT_EQ(plotted(charts, "chart-efficiency"), (Names{"xpu-1-node", "dgx-h100", "gb200-nvl72", "tpu-v5p-4x4x4"}));
  EXPECT_EQ(html.find("dgx-a100\",\"part"), std::string::npos);
}

TEST(Report, OpTimesAreMillisecondsPerStepLargestKindFirst) {
  const Json charts = chart_block(render_html(fixture()));
  for (const Json& chart : charts.at("charts")) {
    if (chart.at("id") != "chart-op-time") continue;
    const Json& bars = chart.at("spec").at("layer").at(0).at("encoding");
    EXPECT_EQ(bars.at("x").at("title"), "time per decode step (ms)");
    EXPECT_EQ(bars.at("color").at("scale").at("domain").at(0), "matmul");
    const Json& first = chart.at("spec").at("data").at("values").at(0);
    EXPECT_EQ(first.at("part"), "matmul");
    EXPECT_NEAR(first.at("value").get<double>(), 21.61124, 1e-9);  // 0.02161124 s
    return;
  }
  ADD_FAILURE() << "no op-time chart";
}

// The layer of a layered spec whose mark is `type` (a string or {"type": ...}), the `nth` such.
const Json& layer_of(const Json& spec, const std::string& type, int nth = 0) {
  for (const Json& layer : spec.at("layer")) {
    const Json& mark = layer.at("mark");
    if ((mark.is_string() ? mark : mark.at("type")) == type && nth-- == 0) return layer;
  }
  ADD_FAILURE() << "no " << type << " layer";
  return spec;
}

TEST(Report, CostByVolumeHasTheCurveTheLevelsAndTheBreakEvens) {
  const Json doc = fixture();
  const std::string html = render_html(doc);
  EXPECT_NE(html.find("<h2>Cost per token against production volume</h2>"), std::string::npos);
  EXPECT_LT(html.find("id=\"chart-cost\""), html.find("id=\"chart-break-even\""));
  EXPECT_LT(html.find("id=\"chart-break-even\""), html.find("id=\"chart-op-time\""));
  const Json spec = chart_spec(chart_block(html), "chart-break-even");
  ASSERT_TRUE(spec.is_object());

  // The custom system's 17 points, 1,000 to 10 million chips, as the document gives them.
  const Json& line = layer_of(spec, "line");
  const Json& points = line.at("data").at("values");
  ASSERT_EQ(points.size(), 17u);
  EXPECT_EQ(points.front().at("system"), "xpu-1-node");
  EXPECT_EQ(points.front().at("volume"), 1000.0);
  EXPECT_EQ(points.back().at("volume"), 1e7);
  EXPECT_EQ(points.back().at("usd"),
            doc["systems"][0]["usd_per_million_tokens_by_volume"][16]["usd_per_million_tokens"]);
  const Json& x = line.at("encoding").at("x");
  EXPECT_EQ(x.at("title"), "chips built (log scale)");
  EXPECT_EQ(x.at("scale").at("type"), "log");
  EXPECT_EQ(x.at("axis").at("values"), Json::parse("[1000.0, 10000.0, 100000.0, 1000000.0, 10000000.0]"));
  // $1.50 at 1,000 chips to $0.084: more than tenfold, so log.
  EXPECT_EQ(line.at("encoding").at("y").at("title"), "cost ($ per million tokens, log scale)");
  EXPECT_EQ(line.at("encoding").at("y").at("scale").at("type"), "log");

  // A level per priced bought system (not the unpriced TPU), the table's volume, and the break-evens.
  const Json& levels = layer_of(spec, "rule").at("data").at("values");
  ASSERT_EQ(levels.size(), 2u);
  EXPECT_EQ(levels[0].at("system"), "dgx-h100");
  EXPECT_EQ(levels[0].at("usd"), doc["systems"][1]["usd_per_million_tokens"]);
  EXPECT_EQ(layer_of(spec, "rule", 1).at("data").at("values").at(0).at("volume"), 100000.0);
  const Json& crossings = layer_of(spec, "point").at("data").at("values");
  ASSERT_EQ(crossings.size(), 2u);
  EXPECT_EQ(crossings[0].at("against"), "dgx-h100");
  EXPECT_EQ(crossings[0].at("volume"), 4390.0);  // 4,389.4 rounded up, as in the table
  EXPECT_EQ(crossings[0].at("usd"), levels[0].at("usd"));
  EXPECT_EQ(crossings[1].at("label"), "11,173 chips");

  // One color per system, the same as in the cost chart.
  const Json cost_color = chart_spec(chart_block(html), "chart-cost").at("layer").at(0).at("encoding").at("color");
  EXPECT_EQ(line.at("encoding").at("color").at("scale"), cost_color.at("scale"));
  EXPECT_EQ(cost_color.at("scale").at("domain"), Json::parse(R"(["xpu-1-node", "dgx-h100", "gb200-nvl72"])"));
}

TEST(Report, CostByVolumeIsASentenceWithoutACurveAndLinearWhenFlat) {
  Json doc = fixture();
  doc["systems"][0].erase("usd_per_million_tokens_by_volume");
  std::string html = render_html(doc);
  EXPECT_EQ(html.find("id=\"chart-break-even\""), std::string::npos);
  EXPECT_NE(html.find("<p class=\"empty\">No custom system has a price, so there is no cost against production "
                      "volume to plot.</p>"),
            std::string::npos);
  EXPECT_TRUE(chart_spec(chart_block(html), "chart-break-even").is_null());
  EXPECT_NE(html.find("id=\"chart-cost\""), std::string::npos);

  // Costs within tenfold of each other: a linear cost axis; a null break-even is no point.
  doc["systems"][0]["usd_per_million_tokens_by_volume"] = Json::parse(
      R"([{"volume": 1e3, "usd_per_million_tokens": 0.9}, {"volume": 1e4, "usd_per_million_tokens": 0.3}])");
  doc["systems"][0]["break_even"] = Json::parse(R"([{"against": "dgx-h100", "volume": null},
                                                    {"against": "gb200-nvl72", "volume": 5000}])");
  html = render_html(doc);
  const Json spec = chart_spec(chart_block(html), "chart-break-even");
  ASSERT_TRUE(spec.is_object());
  const Json& y = layer_of(spec, "line").at("encoding").at("y");
  EXPECT_EQ(y.at("title"), "cost ($ per million tokens)");
  // Linear from zero to the dearest cost ($0.9, the curve's first point) and 24 px of 360 above it:
  // 0.9 * (1 + 24 / 336).
  EXPECT_EQ(y.at("scale").at("type"), "linear");
  EXPECT_EQ(y.at("scale").at("domain").at(0), 0.0);
  EXPECT_NEAR(y.at("scale").at("domain").at(1).get<double>(), 0.9 * 360 / 336, 1e-12);
  const Json& crossings = layer_of(spec, "point").at("data").at("values");
  ASSERT_EQ(crossings.size(), 1u);
  EXPECT_EQ(crossings[0].at("against"), "gb200-nvl72");
}

TEST(Report, OpensWithTheAnswer) {
  const std::string html = render_html(fixture());
  // The public sentence is the page's.
  EXPECT_NE(html.find("<p class=\"answer\" id=\"answer\">" + answer_sentence(fixture()) + "</p>"), std::string::npos);
  // The first thing in the page's header, before the workload's name.
  EXPECT_NE(html.find("<main>\n<header>\n<p class=\"answer\" id=\"answer\">Build xpu-1-node: at 100,000 chips it "
                      "serves llama3-70b at $0.0978 per million tokens against $0.21 for the cheapest alternative "
                      "(gb200-nvl72, bought), and it pays off from 11,173 chips.</p>\n<h1>"),
            std::string::npos);
}

TEST(Report, CostChartPlotsThroughputPerChipWithLabelsInThePlot) {
  const Json doc = fixture();
  const Json spec = chart_spec(chart_block(render_html(doc)), "chart-cost");
  ASSERT_TRUE(spec.is_object());
  const Json& points = layer_of(spec, "point");
  const Json& x = points.at("encoding").at("x");
  EXPECT_EQ(x.at("title"), "throughput per chip (tokens/s)");  // 755 to 2,788 per chip: within tenfold
  const Json& first = points.at("data").at("values").at(0);
  EXPECT_EQ(first.at("system"), "xpu-1-node");
  EXPECT_DOUBLE_EQ(first.at("tokens_per_s_per_chip").get<double>(), 22302.5180792678 / 8);
  // Linear from zero, 36 px of 720 beyond the fastest: 2,787.8 * 720 / 684.
  EXPECT_EQ(x.at("scale").at("domain").at(0), 0.0);
  EXPECT_NEAR(x.at("scale").at("domain").at(1).get<double>(), 22302.5180792678 / 8 * 720 / 684, 1e-9);
  // xpu-1-node's point is 36 px from the right edge, too close for its 74 px name: named on its left.
  const Json& right = layer_of(spec, "text", 0), &left = layer_of(spec, "text", 1);
  EXPECT_EQ(right.at("mark").at("align"), "left");
  EXPECT_EQ(right.at("data").at("values").size(), 2u);
  EXPECT_EQ(left.at("mark").at("align"), "right");
  ASSERT_EQ(left.at("data").at("values").size(), 1u);
  EXPECT_EQ(left.at("data").at("values").at(0).at("system"), "xpu-1-node");
  // Far apart on the plot, so each name stays level with its point.
  for (const Json& label : right.at("data").at("values"))
    EXPECT_NEAR(label.at("label_usd").get<double>(), label.at("usd_per_million_tokens").get<double>(), 1e-12);
}

// The pixel row of `usd` on a chart's y scale (explicit domain, log or linear, 360 px high).
double y_px(const Json& y_scale, double usd) {
  const double low = y_scale.at("domain").at(0), high = y_scale.at("domain").at(1);
  const double f = y_scale.at("type") == "log" ? std::log(usd / low) / std::log(high / low) : (usd - low) / (high - low);
  return 360 * (1 - f);
}

Json rent_fixture() {
  std::ifstream in(XPUSIM_SOURCE_DIR "/tests/report/rent-fixture.json");
  EXPECT_TRUE(in) << "cannot read tests/report/rent-fixture.json";
  return Json::parse(in);
}

TEST(Report, RentIsInTheTableAndTheChartAsDottedLevels) {
  const std::string html = render_html(rent_fixture());
  EXPECT_NE(html.find("<p class=\"answer\" id=\"answer\">In 2027, build xpu-1-node:"), std::string::npos);
  EXPECT_NE(html.find("dgx-h100<span class=\"sub\">available 2023</span>"), std::string::npos);
  EXPECT_NE(html.find("$0.405<span class=\"sub\">rented $1.20 on demand</span><span class=\"sub\">rented $0.80 "
                      "committed 1 yr</span>"),
            std::string::npos);
  EXPECT_NE(html.find("rent: Cloud A h100 x8 (2025-06), $6.88 on demand, $4.50 committed 1 yr per chip-hour"),
            std::string::npos);
  EXPECT_NE(html.find("NRE $621.00M, of which $150.00M the software program"), std::string::npos);
  EXPECT_NE(html.find("breaks even with dgx-h100 rented on demand at 1,269 chips"), std::string::npos);
  EXPECT_NE(html.find("breaks even with dgx-h100 rented with a 1-year commitment at 1,978 chips"), std::string::npos);

  const Json spec = chart_spec(chart_block(html), "chart-break-even");
  ASSERT_TRUE(spec.is_object());
  const Json& bought = layer_of(spec, "rule", 0);
  const Json& rented = layer_of(spec, "rule", 1);
  EXPECT_EQ(bought.at("mark").at("strokeDash"), Json::parse("[6, 4]"));
  EXPECT_EQ(rented.at("mark").at("strokeDash"), Json::parse("[1.5, 3]"));
  ASSERT_EQ(rented.at("data").at("values").size(), 3u);
  EXPECT_EQ(rented.at("data").at("values").at(0).at("label"), "dgx-h100, rented on demand");
  EXPECT_EQ(rented.at("data").at("values").at(1).at("label"), "dgx-h100, rented with a 1-year commitment");
  EXPECT_EQ(rented.at("data").at("values").at(1).at("usd"), 0.8);
  EXPECT_EQ(rented.at("data").at("values").at(2).at("label"), "gb200-nvl72, rented on demand");
  // A diamond for each of the five break-evens, the rented ones on their levels.
  const Json& crossings = layer_of(spec, "point").at("data").at("values");
  ASSERT_EQ(crossings.size(), 5u);
  EXPECT_EQ(crossings[1].at("against"), "dgx-h100, rented on demand");
  EXPECT_EQ(crossings[1].at("volume"), 1269.0);
  EXPECT_EQ(crossings[1].at("usd"), 1.2);
}

TEST(Report, CloseLevelsAndBreakEvensAreLabelledALineApart) {
  const Json spec = chart_spec(chart_block(render_html(rent_fixture())), "chart-break-even");
  ASSERT_TRUE(spec.is_object());
  const Json& y_scale = layer_of(spec, "line").at("encoding").at("y").at("scale");
  // Each label's pixel row by its text; the levels' names are the first text layer.
  std::map<std::string, double> row;
  for (const Json& l : spec.at("layer"))
    if (l.at("mark").at("type") == "text")
      for (const Json& label : l.at("data").at("values")) row[label.at("label")] = y_px(y_scale, label.at("label_usd"));
  const Json& levels = layer_of(spec, "text").at("data").at("values");
  ASSERT_EQ(levels.size(), 5u);
  // dgx-h100 bought at $0.405 and gb200-nvl72 rented on demand at $0.41 are 1.4 px apart on the scale, so
  // their names would overlap; placed, every two names in the column are at least 15 px (a line) apart.
  EXPECT_NEAR(std::abs(y_px(y_scale, 0.405) - y_px(y_scale, 0.41)), 1.4, 0.1);
  for (std::size_t i = 0; i < levels.size(); ++i)
    for (std::size_t j = i + 1; j < levels.size(); ++j)
      EXPECT_GE(std::abs(row.at(levels[i].at("label")) - row.at(levels[j].at("label"))), 15 - 1e-9)
          << levels[i].at("label") << ", " << levels[j].at("label");
  // No name sits on its own rule (the text is 12 px high, centred on its row).
  for (const Json& level : levels)
    EXPECT_GE(std::abs(row.at(level.at("label")) - y_px(y_scale, level.at("usd"))), 6) << level.at("label");
  // The same for the break-evens at 4,365 and 4,390 chips, at those two costs.
  EXPECT_GE(std::abs(row.at("4,365 chips") - row.at("4,390 chips")), 15 - 1e-9);
}

TEST(Report, TcoIsPerChip) {
  const Json charts = chart_block(render_html(fixture()));
  const Json spec = chart_spec(charts, "chart-tco");
  ASSERT_TRUE(spec.is_object());
  EXPECT_EQ(layer_of(spec, "bar").at("encoding").at("x").at("title"), "TCO per chip ($ per hour)");
  const Json& values = spec.at("data").at("values");
  // gb200-nvl72's hardware: $82.57 an hour over its 72 chips.
  const auto hardware = std::find_if(values.begin(), values.end(), [](const Json& v) {
    return v.at("system") == "gb200-nvl72" && v.at("part") == "hardware";
  });
  ASSERT_NE(hardware, values.end());
  EXPECT_DOUBLE_EQ(hardware->at("value").get<double>(), 82.5724200913242 / 72);
}

TEST(Report, TextCannotEndAScriptElement) {
  Json doc = fixture();
  const std::string evil = "</script><script>alert(1)</script><!-- \"q\" & 'a'";
  doc["workload"] = evil;
  doc["systems"][0]["system"] = evil;
  doc["systems"][4]["problem"] = evil;
  const std::string html = render_html(doc);
  // Every "</script>" closes one of the page's own scripts: three libraries, the data, the bootstrap.
  EXPECT_EQ(count(html, "</script>"), 5u);
  EXPECT_EQ(count(html, "<script"), 5u);
  EXPECT_EQ(html.find("<!-- "), std::string::npos);
  EXPECT_NE(html.find("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;!-- &quot;q&quot; &amp; &#39;a&#39;"),
            std::string::npos);
  EXPECT_NE(html.find("\\u003c/script\\u003e"), std::string::npos);
  // The data block reads back as the same text.
  EXPECT_EQ(plotted(chart_block(html), "chart-cost").at(0), evil);
}

TEST(Report, SameInputSameBytes) {
  const Json doc = fixture();
  const std::string first = render_html(doc);
  EXPECT_EQ(first, render_html(doc));
  EXPECT_EQ(first, render_html(Json::parse(doc.dump())));
}

TEST(Report, InlinesTheLibrariesInLoadOrderWithoutSourceMaps) {
  const std::string html = render_html(fixture());
  const std::size_t vega = html.find("<script>/* vega */");
  const std::size_t vega_lite = html.find("<script>/* vega-lite */");
  const std::size_t vega_embed = html.find("<script>/* vega-embed */");
  ASSERT_NE(vega, std::string::npos);
  EXPECT_LT(vega, vega_lite);
  EXPECT_LT(vega_lite, vega_embed);
  EXPECT_LT(vega_embed, html.find("id=\"xpusim-charts\""));
  EXPECT_EQ(html.find("sourceMappingURL"), std::string::npos);
  EXPECT_GT(html.size(), 500'000u);
}

TEST(Report, NoResultsGiveSentencesNotCharts) {
  Json doc = fixture();
  Json rows = Json::array();
  rows.push_back(doc["systems"][4]);  // dgx-a100: a problem, no numbers
  doc["systems"] = rows;
  const std::string html = render_html(doc);
  EXPECT_EQ(html.find("<div class=\"chart\""), std::string::npos);
  EXPECT_EQ(count(html, "<p class=\"empty\">"), 6u);
  EXPECT_NE(html.find("No system has both a throughput and a purchase price"), std::string::npos);
  EXPECT_TRUE(chart_block(html).at("charts").empty());
}

TEST(Report, TrainingRowsShowThePlanAndTheRun) {
  const Json doc = Json::parse(R"({
    "workload": "train-gpt3-175b-300b",
    "train": {"model": "gpt3-175b", "tokens": 3e11, "seq": 2048, "global_batch": 1536, "chips": 1024,
              "dtype": "bf16", "fabric": "broadcom-tomahawk5"},
    "datacenter": "us-hyperscale-2025", "volume": 100000.0, "op_time_basis": "seconds per training step",
    "systems": [{"system": "dgx-h100", "chip": "h100-sxm", "chips": 8, "custom": false,
                 "config": "tp 8, pp 8, dp 16", "systems_used": 128,
                 "run": {"hours": 240.0, "mwh": 300.0, "usd": null},
                 "tokens_per_s": 1000.0, "power_w": 10200.0, "tokens_per_joule": 0.098,
                 "op_time_s": {"matmul": 2.5, "attention": 0.5}}]})");
  const std::string html = render_html(doc);
  EXPECT_NE(html.find("Train gpt3-175b (bf16) on 300B tokens: 1,024 chips joined by broadcom-tomahawk5"),
            std::string::npos);
  EXPECT_NE(html.find("tp 8, pp 8, dp 16<span class=\"sub\">128 systems: 10 days, 300 MWh</span>"), std::string::npos);
  EXPECT_NE(html.find("\"title\":\"time per training step (s)\""), std::string::npos);
  EXPECT_NE(html.find("No system has a price, so there is no cost of ownership to plot."), std::string::npos);
}

}  // namespace
}  // namespace xpusim::report
