// The comparison report as one HTML page. Layout, top to bottom: a header that opens with the answer
// (build, buy or rent; answer.cpp) and names the workload and the datacenter, the systems side by side
// in a table (a system that cannot run the workload is a row with its problem), a section per chart
// (charts.cpp), and a footer on what the numbers rest on. The chart specs travel as one JSON block that
// a few lines of script hand to vegaEmbed; vega, vega-lite and vega-embed are inlined before it
// (embedded_scripts.cpp), so the page needs no network.
#include "report/report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <initializer_list>
#include <utility>

#include "report/answer.h"
#include "report/charts.h"
#include "report/document.h"
#include "report/embedded_scripts.h"
#include "support/assert.h"
#include "support/text.h"

namespace xpusim::report {
namespace {

using detail::Json;
using detail::member;
using detail::number;
using detail::text;

constexpr const char* kStyle = R"css(
:root { color-scheme: light; --ink: #1d2430; --muted: #5b6472; --rule: #d9dee5; --band: #f4f6f9; --accent: #4c78a8; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 "DejaVu Sans", Verdana, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 40px; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 12px; margin-bottom: 20px; }
h1 { font-size: 19px; margin: 0 0 6px; }
.answer { font-size: 21px; line-height: 1.35; font-weight: 600; margin: 0 0 12px; }
h2 { font-size: 18px; margin: 28px 0 4px; }
p { margin: 4px 0; }
.muted, .caption, .note, footer { color: var(--muted); }
.caption { margin-bottom: 10px; }
.note, .empty { font-size: 14px; }
.empty { font-style: italic; padding: 12px 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 6px 7px; border-bottom: 1px solid var(--rule); vertical-align: top; text-align: left; }
thead th { background: var(--band); border-bottom: 2px solid var(--rule); font-weight: 600; }
tbody tr:nth-child(even) { background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.cost .sub, thead th.num { white-space: normal; }
tbody th, .nowrap { white-space: nowrap; }
td.notes { min-width: 14em; }
td .sub, th .sub { display: block; font-weight: normal; color: var(--muted); font-size: 12.5px; }
td.problem { color: #9b2c2c; }
.tag { display: inline-block; margin-left: 4px; padding: 0 5px; border-radius: 3px; background: #e6eef7; color: #2b5783; font-size: 11.5px; }
.table-wrap { overflow-x: auto; }
.chart { min-height: 60px; }
.chart-error { color: #9b2c2c; }
footer { margin-top: 32px; padding-top: 12px; border-top: 1px solid var(--rule); font-size: 13px; }
footer ul { margin: 4px 0; padding-left: 20px; }
)css";

// Hands every chart to vegaEmbed, then marks <body data-charts="drawn"> (or "failed") for whoever waits.
constexpr const char* kBootstrap = R"js(
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("xpusim-charts").textContent);
  Promise.all(data.charts.map(function (chart) {
    return vegaEmbed("#" + chart.id, chart.spec, data.options).catch(function (error) {
      var box = document.getElementById(chart.id);
      box.className += " chart-error";
      box.textContent = "This chart could not be drawn: " + error;
      throw error;
    });
  })).then(function () {
    document.body.setAttribute("data-charts", "drawn");
  }, function (error) {
    document.body.setAttribute("data-charts", "failed");
    console.error(error);
  });
})();
)js";

// `text` with each character that has a replacement in `escapes` replaced by it.
std::string escaped(std::string_view text, std::initializer_list<std::pair<char, std::string_view>> escapes) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto* e = std::find_if(escapes.begin(), escapes.end(), [c](const auto& x) { return x.first == c; });
    if (e != escapes.end())
      out += e->second;
    else
      out += c;
  }
  return out;
}

std::string html_escape(std::string_view text) {
  return escaped(text, {{'&', "&amp;"}, {'<', "&lt;"}, {'>', "&gt;"}, {'"', "&quot;"}, {'\'', "&#39;"}});
}

// JSON text that is safe inside a <script> element. '<', '>' and '&' occur only inside strings in JSON
// text, where a \u escape reads back the same; written so, "</script>" or "<!--" in a name can neither
// end nor bend the element. Invalid UTF-8 becomes U+FFFD rather than an exception.
std::string script_json(const Json& value) {
  return escaped(value.dump(-1, ' ', false, Json::error_handler_t::replace),
                 {{'<', "\\u003c"}, {'>', "\\u003e"}, {'&', "\\u0026"}});
}

// Whether `source` could end or bend the <script> element it is inlined in.
bool closes_script(std::string_view source) {
  std::string lower(source);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("</script") != std::string::npos || lower.find("<!--") != std::string::npos;
}

std::string grouped(double value) {
  return format_grouped(value);
}
std::string significant(double value) {
  return format_significant(value, 3);
}

// "Serve llama3-70b (fp8): 2,048-token prompts, ..." or "Train gpt3-175b (bf16) on 300B tokens: ...".
std::string workload_sentence(const Json& comparison) {
  if (const Json* serve = member(comparison, "serve"); serve && serve->is_object()) {
    std::string s = "Serve " + text(*serve, "model") + " (" + text(*serve, "dtype") + ")";
    if (const auto prompt = number(*serve, "prompt")) s += ": " + grouped(*prompt) + "-token prompts";
    if (const auto gen = number(*serve, "gen")) s += ", " + grouped(*gen) + "-token answers";
    if (const auto tpot = number(*serve, "tpot_ms_max")) s += ", at most " + format_number(*tpot) + " ms per token";
    return s + ".";
  }
  if (const Json* train = member(comparison, "train"); train && train->is_object()) {
    std::string s = "Train " + text(*train, "model") + " (" + text(*train, "dtype") + ")";
    if (const auto tokens = number(*train, "tokens"))
      s += " on " + (*tokens >= 1e9 ? format_significant(*tokens / 1e9, 4) + "B" : grouped(*tokens)) + " tokens";
    if (const auto chips = number(*train, "chips")) s += ": " + grouped(*chips) + " chips";
    if (const std::string fabric = text(*train, "fabric"); !fabric.empty()) s += " joined by " + fabric;
    const auto batch = number(*train, "global_batch");
    const auto seq = number(*train, "seq");
    if (batch && seq) s += ", global batch " + grouped(*batch) + " \u00d7 " + grouped(*seq) + " tokens";
    return s + ".";
  }
  return "";
}

// The configuration cell: the serving point or training plan, with its latencies or run below.
std::string config_cell(const Json& row) {
  const Json* config = member(row, "config");
  if (!config) return "";
  if (config->is_string()) {
    std::string out = html_escape(config->get<std::string>());
    const Json* run = member(row, "run");
    if (run && run->is_object()) {
      std::string sub;
      if (const auto systems = number(row, "systems_used")) sub += grouped(*systems) + " systems: ";
      if (const auto hours = number(*run, "hours")) sub += significant(*hours / 24) + " days";
      if (const auto mwh = number(*run, "mwh")) sub += ", " + significant(*mwh) + " MWh";
      if (const auto usd = number(*run, "usd")) sub += ", " + format_usd(*usd);
      out += "<span class=\"sub\">" + html_escape(sub) + "</span>";
    }
    return out;
  }
  std::string out;
  if (const auto tp = number(*config, "tp")) out += "tp " + grouped(*tp);
  if (const auto batch = number(*config, "batch_per_replica")) out += ", batch " + grouped(*batch);
  std::string sub;
  if (const auto ttft = number(*config, "ttft_s")) sub += "TTFT " + significant(*ttft) + " s";
  if (const auto tpot = number(*config, "tpot_s")) sub += ", TPOT " + significant(*tpot * 1e3) + " ms";
  return html_escape(out) + "<span class=\"sub\">" + html_escape(sub) + "</span>";
}

// The cost cell: $ per million tokens bought, and below it rented on demand and committed.
std::string cost_cell(const Json& row) {
  const auto usd = number(row, "usd_per_million_tokens");
  std::string html = "<td class=\"num cost\">" +
                     (usd ? html_escape(detail::usd_per_million_tokens_text(*usd)) : std::string("\u2013"));
  if (const std::optional<detail::Rent> rent = detail::rent(row)) {
    if (rent->usd_per_million_tokens_on_demand)
      html += "<span class=\"sub\">" +
              html_escape("rented " + detail::usd_per_million_tokens_text(*rent->usd_per_million_tokens_on_demand) +
                          " on demand") +
              "</span>";
    if (rent->usd_per_million_tokens_committed)
      html += "<span class=\"sub\">" +
              html_escape("rented " + detail::usd_per_million_tokens_text(*rent->usd_per_million_tokens_committed) +
                          " committed" +
                          (rent->committed_years ? " " + format_number(*rent->committed_years) + " yr" : "")) +
              "</span>";
  }
  return html + "</td>";
}

// "rent: Cloud A h100 x8 (2025-06), $6.88 on demand, $4.50 committed 1 yr per chip-hour": the offer the
// row's rent prices come from; "" without one.
std::string rent_note(const Json& row) {
  const std::optional<detail::Rent> rent = detail::rent(row);
  if (!rent) return "";
  std::string prices;
  if (rent->on_demand_usd_per_chip_hour) prices = format_usd(*rent->on_demand_usd_per_chip_hour) + " on demand";
  if (rent->committed_usd_per_chip_hour)
    prices += (prices.empty() ? "" : ", ") + format_usd(*rent->committed_usd_per_chip_hour) + " committed" +
              (rent->committed_years ? " " + format_number(*rent->committed_years) + " yr" : "");
  std::string note = "rent: " + (rent->provider.empty() ? std::string("a cloud") : rent->provider);
  if (!rent->as_of.empty()) note += " (" + rent->as_of + ")";
  return prices.empty() ? note : note + ", " + prices + " per chip-hour";
}

// The notes cell: the row's problem, what a custom chip costs, its cloud prices' source and where it
// breaks even (against which system, paid for how: `rows` are the table's).
std::string notes_cell(const Json& row, const std::vector<const Json*>& rows) {
  std::vector<std::string> notes;
  if (const std::string problem = text(row, "problem"); !problem.empty()) notes.push_back(problem);
  if (const Json* cost = member(row, "chip_cost_usd")) {
    const auto make = number(*cost, "manufacturing");
    const auto margin = number(*cost, "partner_margin");
    const auto nre = number(*cost, "nre_per_unit");
    if (make && nre)
      notes.push_back(format_usd(*make) + " per chip to make + " +
                      (margin ? format_usd(*margin) + " design partner margin + " : "") + format_usd(*nre) +
                      " NRE per chip");
    const auto total_nre = number(*cost, "nre");
    if (const auto program = number(*cost, "program"); program && total_nre)
      notes.push_back("NRE " + format_usd(*total_nre) + ", of which " + format_usd(*program) + " the software program");
  }
  if (const std::string rent = rent_note(row); !rent.empty()) notes.push_back(rent);
  for (const detail::BreakEven& b : detail::break_evens(row)) {
    const auto against =
        std::find_if(rows.begin(), rows.end(), [&](const Json* r) { return text(*r, "system") == b.against; });
    notes.push_back("breaks even with " + b.against +
                    (b.basis == detail::Basis::buy
                         ? ""
                         : " " + detail::basis_words(b.basis, against == rows.end() ? nullptr : *against)) +
                    " " + (b.volume ? "at " + grouped(std::ceil(*b.volume)) + " chips" : "never"));
  }
  std::string out;
  for (const std::string& note : notes) out += (out.empty() ? "" : "<br>") + html_escape(note);
  return out;
}

std::string numeric_cell(const std::optional<double>& value, std::string (*format)(double),
                         const std::string& unit = "") {
  return "<td class=\"num\">" + (value ? html_escape(format(*value) + unit) : "\u2013") + "</td>";
}

std::string systems_table(const Json& comparison) {
  const std::vector<const Json*> rows = detail::system_rows(comparison);
  std::string html =
      "<div class=\"table-wrap\"><table>\n<thead><tr><th>System</th><th>Chips</th><th>Configuration</th>"
      "<th class=\"num\">Tokens/s</th><th class=\"num\">Tokens/J</th><th class=\"num\">Power</th>"
      "<th class=\"num\">Capex</th><th class=\"num\">TCO per hour</th><th class=\"num\">$ per M tokens</th>";
  html += "<th class=\"num\">In the datacenter</th><th>Notes</th></tr></thead>\n<tbody>\n";
  for (const Json* row : rows) {
    html += "<tr><th scope=\"row\">" + html_escape(text(*row, "system"));
    if (const auto year = number(*row, "available_year"))
      html += "<span class=\"sub\">" + html_escape("available " + format_number(*year)) + "</span>";
    html += "</th><td class=\"chips\"><span class=\"nowrap\">";
    if (const auto chips = number(*row, "chips")) html += html_escape(grouped(*chips)) + " \u00d7 ";
    html += html_escape(text(*row, "chip")) + "</span>";
    if (detail::is_custom(*row)) html += "<span class=\"tag\">custom</span>";
    html += "</td>";
    if (!detail::has_result(*row)) {
      html += "<td colspan=\"9\" class=\"problem\">" + html_escape(text(*row, "problem")) + "</td></tr>\n";
      continue;
    }
    html += "<td class=\"config\">" + config_cell(*row) + "</td>";
    const auto tokens_per_s = number(*row, "tokens_per_s");
    const auto chips = number(*row, "chips");
    html += "<td class=\"num\">" + html_escape(grouped(*tokens_per_s));
    if (chips && *chips > 0)
      html += "<span class=\"sub\">" + html_escape(grouped(*tokens_per_s / *chips) + " per chip") + "</span>";
    html += "</td>";
    html += numeric_cell(number(*row, "tokens_per_joule"), significant);
    const auto power_w = number(*row, "power_w");
    html += numeric_cell(power_w ? std::optional<double>(*power_w / 1e3) : std::nullopt, significant, " kW");
    html += numeric_cell(number(*row, "capex_usd"), format_usd);
    const Json* tco = member(*row, "tco_usd_per_hour");
    html += numeric_cell(tco ? number(*tco, "total") : std::nullopt, format_usd);
    html += cost_cell(*row);
    html += "<td class=\"num\">";
    if (const Json* dc = member(*row, "in_datacenter")) {
      const auto systems = number(*dc, "systems");
      const auto dc_tokens_per_s = number(*dc, "tokens_per_s");
      if (systems) html += html_escape(grouped(*systems)) + " systems";
      if (dc_tokens_per_s)
        html += "<span class=\"sub\">" + html_escape(significant(*dc_tokens_per_s / 1e6)) + "M tokens/s</span>";
    }
    html += "</td><td class=\"notes\">" + notes_cell(*row, rows) + "</td></tr>\n";
  }
  return html + "</tbody>\n</table></div>\n";
}

std::string chart_section(const detail::Chart& chart) {
  std::string html = "<section>\n<h2>" + html_escape(chart.heading) + "</h2>\n<p class=\"caption\">" +
                     html_escape(chart.caption) + "</p>\n";
  if (chart.spec.is_null())
    html += "<p class=\"empty\">" + html_escape(chart.empty) + "</p>\n";
  else
    html += "<div class=\"chart\" id=\"" + html_escape(chart.id) + "\" role=\"img\" aria-label=\"" +
            html_escape(chart.heading) + "\"></div>\n";
  // Who was left out matters beside a chart; without one, the sentence has said it.
  if (!chart.note.empty() && !chart.spec.is_null()) html += "<p class=\"note\">" + html_escape(chart.note) + "</p>\n";
  return html + "</section>\n";
}

// "basis (system, system); basis (system)": each distinct value of a row's `key`, with the systems that
// have it, in order of first appearance.
std::string bases(const Json& comparison, std::string_view key) {
  std::vector<std::pair<std::string, std::string>> found;  // basis, its systems
  for (const Json* row : detail::system_rows(comparison)) {
    const std::string basis = text(*row, key);
    if (basis.empty()) continue;
    auto it = std::find_if(found.begin(), found.end(), [&](const auto& f) { return f.first == basis; });
    if (it == found.end()) {
      found.emplace_back(basis, text(*row, "system"));
    } else {
      it->second += ", " + text(*row, "system");
    }
  }
  std::string out;
  for (const auto& [basis, systems] : found) out += (out.empty() ? "" : "; ") + basis + " (" + systems + ")";
  return out;
}

// What the numbers rest on, with the power and capex bases the document gives for its rows.
std::string footer(const Json& comparison) {
  std::string html = "<footer>\n<p>What the numbers rest on:</p>\n<ul>\n<li>Throughput: xpusim's analytical ";
  html += member(comparison, "train")
              ? "training model (the fastest plan that fits).</li>\n"
              : "serving model (the best tensor parallelism and batch within the target).</li>\n";
  if (const std::string power = bases(comparison, "power_basis"); !power.empty())
    html += "<li>Power: " + html_escape(power) + ".</li>\n";
  if (const std::string capex = bases(comparison, "capex_basis"); !capex.empty())
    html += "<li>Capex: " + html_escape(capex) + ".</li>\n";
  return html +
         "<li>TCO per hour: capex over the hardware life + energy \u00d7 PUE + facility capex per MW + "
         "operations.</li>\n</ul>\n<p>Written by <code>xpusim compare --report</code>.</p>\n</footer>\n";
}

}  // namespace

std::string render_html(const nlohmann::ordered_json& comparison) {
  const std::string workload = text(comparison, "workload");
  const std::string datacenter = text(comparison, "datacenter");
  std::string html;
  html.reserve(1 << 20);
  html +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"xpusim compare --report\">\n<title>" +
      html_escape("xpusim compare: " + workload + " in " + datacenter) + "</title>\n<style>" + kStyle +
      "</style>\n</head>\n<body>\n<main>\n<header>\n<p class=\"answer\" id=\"answer\">" +
      html_escape(detail::answer_sentence(comparison)) + "</p>\n<h1>" + html_escape(workload) + "</h1>\n<p>" +
      html_escape(workload_sentence(comparison)) + "</p>\n<p class=\"muted\">Costed in <strong>" +
      html_escape(datacenter) + "</strong>";
  if (const auto volume = number(comparison, "volume"))
    html += html_escape("; custom chips at a volume of " + grouped(*volume) + " chips");
  html +=
      ".</p>\n</header>\n<section>\n<h2>Systems side by side</h2>\n<p class=\"caption\">Each system at its "
      "best configuration for the workload; a system that cannot run it says why.</p>\n" +
      systems_table(comparison) + "</section>\n";

  Json charts = Json::array();
  for (const detail::Chart& chart : detail::comparison_charts(comparison)) {
    html += chart_section(chart);
    if (!chart.spec.is_null()) charts.push_back({{"id", chart.id}, {"spec", chart.spec}});
  }
  html += footer(comparison) + "</main>\n";

  for (const detail::EmbeddedScript& script : detail::embedded_scripts()) {
    XPUSIM_ASSERT(!closes_script(script.source),
                  "an inlined library contains </script or <!--, which would end its script element early");
    html += "<script>/* ";
    html += script.package;
    html += " */\n";
    html += script.source;
    html += "</script>\n";
  }
  html += "<script type=\"application/json\" id=\"xpusim-charts\">" +
          script_json({{"options", detail::embed_options()}, {"charts", std::move(charts)}}) + "</script>\n<script>" +
          kBootstrap + "</script>\n</body>\n</html>\n";
  return html;
}

std::string answer_sentence(const nlohmann::ordered_json& comparison) {
  return detail::answer_sentence(comparison);
}

}  // namespace xpusim::report
