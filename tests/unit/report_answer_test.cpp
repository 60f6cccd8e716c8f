// The report's opening sentence (src/report/answer.cpp) on hand-made comparison documents: build, buy
// and rent answers, the break-even volume against the alternative and how it is paid for, a year, a
// training run's cost, and documents without a custom system, without prices or without results. The
// prices are made up for the tests; each expected sentence is worked out from them by hand.
#include "report/answer.h"

#include <gtest/gtest.h>

#include <fstream>

namespace xpusim::report::detail {
namespace {

// A serving document at 100,000 chips with `systems` as its rows.
Json serving(const char* systems) {
  Json doc = Json::parse(R"({"workload": "serve-llama3-70b-50ms", "serve": {"model": "llama3-70b"},
                             "datacenter": "us-hyperscale-2025", "volume": 100000})");
  doc["systems"] = Json::parse(systems);
  return doc;
}

constexpr const char* kCustom =
    R"({"system": "xpu-1-node", "chips": 8, "custom": true, "tokens_per_s": 1000, "usd_per_million_tokens": 0.31,
        "break_even": [{"against": "dgx-h100", "volume": 5000}, {"against": "gb200-nvl72", "volume": 22222.2}]})";
constexpr const char* kH100 =
    R"({"system": "dgx-h100", "chips": 8, "custom": false, "tokens_per_s": 500, "usd_per_million_tokens": 0.6})";
constexpr const char* kGb200 =
    R"({"system": "gb200-nvl72", "chips": 72, "custom": false, "tokens_per_s": 9000, "usd_per_million_tokens": 0.45})";

// The JSON array of `items`.
std::string rows(std::initializer_list<const char*> items) {
  Json array = Json::array();
  for (const char* item : items) array.push_back(Json::parse(item));
  return array.dump();
}

TEST(ReportAnswer, BuildsWhenTheCustomSystemIsCheaperAndSaysFromWhatVolume) {
  // $0.31 < $0.45 (gb200-nvl72, the cheaper of $0.45 and $0.60); 22,222.2 chips round up to 22,223.
  EXPECT_EQ(answer_sentence(serving(rows({kCustom, kH100, kGb200}).c_str())),
            "Build xpu-1-node: at 100,000 chips it serves llama3-70b at $0.31 per million tokens against $0.45 for "
            "the cheapest alternative (gb200-nvl72, bought), and it pays off from 22,223 chips.");
}

TEST(ReportAnswer, SaysTheYearWhenTheDocumentHasOne) {
  Json doc = serving(rows({kCustom, kGb200}).c_str());
  doc["year"] = 2027;
  EXPECT_EQ(answer_sentence(doc),
            "In 2027, build xpu-1-node: at 100,000 chips it serves llama3-70b at $0.31 per million tokens against "
            "$0.45 for the cheapest alternative (gb200-nvl72, bought), and it pays off from 22,223 chips.");
}

TEST(ReportAnswer, BuysWhenTheCustomSystemIsDearerAndSaysWhatVolumeItWouldNeed) {
  Json doc = serving(rows({kCustom, kGb200}).c_str());
  doc["systems"][0]["system"] = "xpu-1-rack";
  doc["systems"][0]["usd_per_million_tokens"] = 0.35;
  doc["systems"][1]["usd_per_million_tokens"] = 0.21;
  doc["systems"][0]["break_even"] = Json::parse(R"([{"against": "gb200-nvl72", "volume": 2.1e6}])");
  EXPECT_EQ(answer_sentence(doc),
            "Buy gb200-nvl72: $0.21 per million tokens against $0.35 for xpu-1-rack at 100,000 chips, which would "
            "need 2.1 million chips to match it.");
  doc["systems"][0]["break_even"][0]["volume"] = nullptr;
  EXPECT_EQ(answer_sentence(doc),
            "Buy gb200-nvl72: $0.21 per million tokens against $0.35 for xpu-1-rack at 100,000 chips, which never "
            "matches it, even with its NRE paid off.");
  // A tie goes to the alternative; without a break-even entry the clause is left out.
  doc["systems"][0]["usd_per_million_tokens"] = 0.21;
  doc["systems"][0].erase("break_even");
  EXPECT_EQ(answer_sentence(doc),
            "Buy gb200-nvl72: $0.21 per million tokens against $0.21 for xpu-1-rack at 100,000 chips.");
}

// dgx-h100 with cloud prices: $0.50 on demand, $0.18 with a one-year commitment.
constexpr const char* kH100Rented =
    R"({"system": "dgx-h100", "chips": 8, "custom": false, "tokens_per_s": 500, "usd_per_million_tokens": 0.6,
        "rent": {"provider": "AWS p5.48xlarge", "as_of": "2025-06", "committed_years": 1,
                 "usd_per_million_tokens_on_demand": 0.5, "usd_per_million_tokens_committed": 0.18}})";

TEST(ReportAnswer, RentsWhenRentingIsCheapestAtTheCommittedPrice) {
  Json doc = serving(rows({kCustom, kH100Rented, kGb200}).c_str());
  doc["systems"][0]["usd_per_million_tokens"] = 0.25;
  doc["systems"][0]["break_even"] = Json::parse(R"([{"against": "dgx-h100", "volume": 900},
      {"against": "dgx-h100", "basis": "rent on demand", "volume": 1500},
      {"against": "dgx-h100", "basis": "rent committed", "volume": 3.4e6}])");
  // $0.18 committed beats $0.45 bought (gb200-nvl72) and $0.25 built; the entry against it is the
  // committed one, not the bought one at 900 chips.
  EXPECT_EQ(answer_sentence(doc),
            "Rent dgx-h100 with a 1-year commitment (AWS p5.48xlarge): $0.18 per million tokens against $0.25 for "
            "xpu-1-node at 100,000 chips, which would need 3.4 million chips to match it.");
}

TEST(ReportAnswer, BuildsAgainstARentalAtItsOnDemandPriceWhenNoCommittedPrice) {
  Json doc = serving(rows({kCustom, kH100Rented, kGb200}).c_str());
  doc["systems"][0]["usd_per_million_tokens"] = 0.15;
  doc["systems"][1]["rent"].erase("usd_per_million_tokens_committed");
  doc["systems"][1]["rent"]["usd_per_million_tokens_on_demand"] = 0.2;
  doc["systems"][0]["break_even"] = Json::parse(R"([{"against": "dgx-h100", "volume": 9000},
      {"against": "dgx-h100", "basis": "rent on demand", "volume": 40000},
      {"against": "gb200-nvl72", "volume": 30000}])");
  EXPECT_EQ(answer_sentence(doc),
            "Build xpu-1-node: at 100,000 chips it serves llama3-70b at $0.15 per million tokens against $0.20 for "
            "the cheapest alternative (dgx-h100, rented on demand, AWS p5.48xlarge), and it pays off from 40,000 "
            "chips.");
}

TEST(ReportAnswer, WithoutACustomSystemNamesTheCheapestAndTheNext) {
  EXPECT_EQ(answer_sentence(serving(rows({kH100, kGb200}).c_str())),
            "Buy gb200-nvl72: $0.45 per million tokens, against $0.60 for the next cheapest (dgx-h100, bought).");
  EXPECT_EQ(answer_sentence(serving(rows({kH100}).c_str())),
            "Buy dgx-h100: $0.60 per million tokens, the only priced option here.");
  // The next cheapest is another system's, not the same system rented.
  EXPECT_EQ(answer_sentence(serving(rows({kH100Rented, kGb200}).c_str())),
            "Rent dgx-h100 with a 1-year commitment (AWS p5.48xlarge): $0.18 per million tokens, against $0.45 for "
            "the next cheapest (gb200-nvl72, bought).");
}

TEST(ReportAnswer, SaysWhyACustomSystemIsNotAnOption) {
  const char* unpriced =
      R"({"system": "xpu-1-node", "chips": 8, "custom": true, "tokens_per_s": 1000,
          "problem": "no process spec for tsmc-n2"})";
  EXPECT_EQ(answer_sentence(serving(rows({unpriced, kH100, kGb200}).c_str())),
            "Buy gb200-nvl72: $0.45 per million tokens, against $0.60 for the next cheapest (dgx-h100, bought); the "
            "custom xpu-1-node has no price (no process spec for tsmc-n2).");
  const char* cannot_run =
      R"({"system": "xpu-1-node", "chips": 8, "custom": true, "problem": "needs 160 GiB per chip, has 96"})";
  EXPECT_EQ(answer_sentence(serving(rows({cannot_run, kGb200}).c_str())),
            "Buy gb200-nvl72: $0.45 per million tokens, the only priced option here; the custom xpu-1-node cannot "
            "run it (needs 160 GiB per chip, has 96).");
}

TEST(ReportAnswer, BuildsWithNothingToSetAgainstIt) {
  EXPECT_EQ(answer_sentence(serving(rows({kCustom}).c_str())),
            "Build xpu-1-node: at 100,000 chips it serves llama3-70b at $0.31 per million tokens; no bought or "
            "rented system here has a price to set against it.");
}

TEST(ReportAnswer, WithoutPricesOrResultsSaysSo) {
  // 9,000 tokens/s over 72 chips (125 each) beats 500 over 8 (62.5 each).
  EXPECT_EQ(answer_sentence(serving(R"([{"system": "dgx-h100", "chips": 8, "tokens_per_s": 500},
                                       {"system": "gb200-nvl72", "chips": 72, "tokens_per_s": 9000}])")),
            "No system here has a price, so cost cannot choose between building, buying and renting; per chip, "
            "gb200-nvl72 serves llama3-70b fastest.");
  EXPECT_EQ(answer_sentence(serving(R"([{"system": "dgx-a100", "chips": 8, "problem": "cannot compute fp8"}])")),
            "No system here can run the workload, so there is nothing to build, buy or rent.");
  EXPECT_EQ(answer_sentence(Json::object()),
            "No system here can run the workload, so there is nothing to build, buy or rent.");
}

// A training document: 300B tokens, so $1 per million tokens is $300,000 for the run.
Json training(const char* systems) {
  Json doc = Json::parse(R"({"workload": "train-gpt3-175b-16k", "train": {"model": "gpt3-175b", "tokens": 3e11},
                             "volume": 100000})");
  doc["systems"] = Json::parse(systems);
  return doc;
}

TEST(ReportAnswer, TrainingWeighsTheWholeRun) {
  EXPECT_EQ(answer_sentence(training(R"([
      {"system": "gb200-nvl72", "chips": 72, "tokens_per_s": 39236, "usd_per_million_tokens": 0.688,
       "run": {"usd": 206325}},
      {"system": "xpu-1-rack", "chips": 64, "custom": true, "tokens_per_s": 68834, "usd_per_million_tokens": 0.852,
       "run": {"usd": 255600}, "break_even": [{"against": "gb200-nvl72", "volume": null}]}])")),
            "Buy gb200-nvl72: the run costs $206k ($0.688 per million tokens) against $256k ($0.852) for xpu-1-rack "
            "at 100,000 chips, which never matches it, even with its NRE paid off.");
  // Rented for three years at $0.70 per million tokens: $210,000 for the run.
  EXPECT_EQ(answer_sentence(training(R"([
      {"system": "xpu-1-rack", "chips": 64, "custom": true, "tokens_per_s": 68834, "usd_per_million_tokens": 0.5,
       "run": {"usd": 150000}, "break_even": [{"against": "dgx-h100", "basis": "rent committed", "volume": 12345.6}]},
      {"system": "dgx-h100", "chips": 8, "tokens_per_s": 2803, "usd_per_million_tokens": 0.875, "run": {"usd": 262500},
       "rent": {"committed_years": 3, "usd_per_million_tokens_committed": 0.7}}])")),
            "Build xpu-1-rack: at 100,000 chips it trains gpt3-175b for $150k ($0.50 per million tokens) against "
            "$210k ($0.70) for the cheapest alternative (dgx-h100, rented with a 3-year commitment), and it pays off "
            "from 12,346 chips.");
}

TEST(ReportAnswer, TheFixtureBuildsTheCustomNode) {
  std::ifstream in(XPUSIM_SOURCE_DIR "/tests/report/fixture.json");
  // $0.0978 against gb200-nvl72's $0.210; break-even 11,172.35 chips, rounded up as the table says it.
  EXPECT_EQ(answer_sentence(Json::parse(in)),
            "Build xpu-1-node: at 100,000 chips it serves llama3-70b at $0.0978 per million tokens against $0.21 for "
            "the cheapest alternative (gb200-nvl72, bought), and it pays off from 11,173 chips.");
}

}  // namespace
}  // namespace xpusim::report::detail
