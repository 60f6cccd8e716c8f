// The HTML report from a comparison document (tests/report/fixture.json: real `xpusim compare --json`
// output with op_time_s, op_time_basis and power_breakdown_w added by hand): what the page holds, that
// text from the document cannot end a script element, and that the same input gives the same bytes. The
// browser test (tests/report/render_test.mjs) checks that the charts draw.
#include "report/report.h"

#include <gtest/gtest.h>

#include <fstream>
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

// The systems a chart plots, in data order (each once).
std::vector<std::string> plotted(const Json& charts, const std::string& id) {
  std::vector<std::string> systems;
  for (const Json& chart : charts.at("charts"))
    if (chart.at("id") == id)
      for (const Json& value : chart.at("spec").at("data").at("values"))
        if (systems.empty() || systems.back() != value.at("system")) systems.push_back(value.at("system"));
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
  for (const char* id : {"chart-cost", "chart-op-time", "chart-power", "chart-efficiency", "chart-tco"})
    EXPECT_NE(html.find(std::string("<div class=\"chart\" id=\"") + id + "\""), std::string::npos) << id;
  EXPECT_EQ(count(html, "Left out (no price): tpu-v5p-4x4x4."), 2u);  // cost and TCO

  const Json charts = chart_block(html);
  EXPECT_EQ(charts.at("options").at("renderer"), "svg");
  EXPECT_EQ(charts.at("options").at("actions"), false);
  using Names = std::vector<std::string>;
  EXPECT_EQ(plotted(charts, "chart-cost"), (Names{"xpu-1-node", "dgx-h100", "gb200-nvl72"}));
  EXPECT_EQ(plotted(charts, "chart-power"), (Names{"xpu-1-node", "dgx-h100", "gb200-nvl72", "tpu-v5p-4x4x4"}));
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
    EXPECT_NEAR(first.at("value").get<double>(), 21.05, 1e-9);  // 0.02105 s
    return;
  }
  ADD_FAILURE() << "no op-time chart";
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
  EXPECT_EQ(count(html, "<p class=\"empty\">"), 5u);
  EXPECT_NE(html.find("No system has both a throughput and a price"), std::string::npos);
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
