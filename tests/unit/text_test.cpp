#include "support/text.h"

#include <gtest/gtest.h>

#include <vector>

namespace xpusim {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);  // the textbook example: k->s, e->i, +g
  EXPECT_EQ(edit_distance("clock_mhz", "clock_mh"), 1u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
}

TEST(ClosestMatch, SuggestsOnlyPlausibleTypos) {
  const std::vector<std::string> keys = {"clock_mhz", "tdp_w", "cores", "hbm"};
  EXPECT_EQ(closest_match("clock_ghz", keys), "clock_mhz");
  EXPECT_EQ(closest_match("tdp", keys), "tdp_w");
  EXPECT_EQ(closest_match("completely_different", keys), "");
}

TEST(FormatNumber, IsShortestRoundTrip) {
  EXPECT_EQ(format_number(989.4), "989.4");
  EXPECT_EQ(format_number(0.1), "0.1");
  EXPECT_EQ(format_number(1e21), "1e+21");
  EXPECT_EQ(format_number(128), "128");
}

TEST(JoinAlternatives, ReadsAsEnglish) {
  const std::vector<std::string> three = {"a", "b", "c"};
  EXPECT_EQ(join_alternatives(three), "a, b or c");
  EXPECT_EQ(join_alternatives(std::vector<std::string>{"a"}), "a");
}

}  // namespace
TEST(FormatGrouped, SeparatesThousands) {
  EXPECT_EQ(format_grouped(16988), "16,988");
  EXPECT_EQ(format_grouped(100000), "100,000");
  EXPECT_EQ(format_grouped(999), "999");
  EXPECT_EQ(format_grouped(-1250.4), "-1,250");
  EXPECT_EQ(format_grouped(1234567.6), "1,234,568");
}

TEST(FormatUsd, KeepsSignificantFiguresAtEveryScale) {
  EXPECT_EQ(format_usd(3.1e6), "$3.10M");
  EXPECT_EQ(format_usd(151234), "$151k");
  EXPECT_EQ(format_usd(5965), "$5,965");
  EXPECT_EQ(format_usd(7.774), "$7.77");
  EXPECT_EQ(format_usd(0.25), "$0.25");
  EXPECT_EQ(format_usd(0.0134), "$0.013");  // not "$0.01", which reads the same as $0.005
  EXPECT_EQ(format_usd(0.0049), "$0.0049");
  EXPECT_EQ(format_usd(0), "$0.00");
}

}  // namespace xpusim
