// Label placement for the report's charts (src/report/labels.cpp): labels that would overlap are spread
// a gap apart around where they would like to be, in their order, inside the bounds; others stay put.
// Expected positions are worked out by hand from the least-squares rule (a cluster centred on the mean).
#include "report/labels.h"

#include <gtest/gtest.h>

namespace xpusim::report::detail {
namespace {

using Placed = std::vector<double>;

// Labels over the same columns, wanting the rows `ys`.
std::vector<LabelBox> stacked(std::initializer_list<double> ys) {
  std::vector<LabelBox> boxes;
  for (const double y : ys) boxes.push_back({600, 720, y});
  return boxes;
}

TEST(ReportLabels, TwoCloseLabelsSpreadAroundTheirMean) {
  // Wanted 100 and 105, 14 apart at least: centred on 102.5.
  EXPECT_EQ(place_labels(stacked({100, 105}), 14, 0, 360), (Placed{95.5, 109.5}));
  // Three on one row: the middle one stays.
  EXPECT_EQ(place_labels(stacked({100, 100, 100}), 14, 0, 360), (Placed{86, 100, 114}));
}

TEST(ReportLabels, LabelsFarApartOrSideBySideStay) {
  EXPECT_EQ(place_labels(stacked({50, 200}), 14, 0, 360), (Placed{50, 200}));
  EXPECT_EQ(place_labels({{0, 50, 100}, {60, 100, 101}}, 14, 0, 360), (Placed{100, 101}));
}

TEST(ReportLabels, OverlapCarriesThroughAChain) {
  // a and c do not share a column, but b shares one with each: one group of three.
  EXPECT_EQ(place_labels({{0, 50, 100}, {40, 90, 100}, {80, 130, 100}}, 14, 0, 360), (Placed{86, 100, 114}));
}

TEST(ReportLabels, KeepsTopToBottomOrderAndReturnsInTheOrderGiven) {
  // 108 and 100: the second is the upper one; 8 apart, so each moves 3 away from 104.
  EXPECT_EQ(place_labels(stacked({108, 100}), 14, 0, 360), (Placed{111, 97}));
  // Equal rows: the first given goes on top.
  EXPECT_EQ(place_labels(stacked({100, 100}), 14, 0, 360), (Placed{93, 107}));
}

TEST(ReportLabels, SeparateClustersMoveSeparately) {
  // {100, 101} centre on 100.5, {200, 201} on 200.5.
  EXPECT_EQ(place_labels(stacked({100, 101, 200, 201}), 14, 0, 360), (Placed{93.5, 107.5, 193.5, 207.5}));
}

TEST(ReportLabels, StaysWithinTheBounds) {
  // Centred on 3.5 they would start at -3.5: moved down to the top bound, 6.
  EXPECT_EQ(place_labels(stacked({2, 5}), 14, 6, 354), (Placed{6, 20}));
  // Centred on 351 they would end at 358: moved up to end at the bottom bound, 354.
  EXPECT_EQ(place_labels(stacked({350, 352}), 14, 6, 354), (Placed{340, 354}));
  // Three lines do not fit in 20 px: from the top down.
  EXPECT_EQ(place_labels(stacked({5, 10, 15}), 14, 0, 20), (Placed{0, 14, 28}));
  // A lone label outside the bounds is brought in.
  EXPECT_EQ(place_labels(stacked({400}), 14, 6, 354), (Placed{354}));
}

TEST(ReportLabels, TextWidthCountsCharactersNotBytes) {
  EXPECT_DOUBLE_EQ(text_width_px("abc", 12), 0.62 * 12 * 3);
  EXPECT_DOUBLE_EQ(text_width_px("\xc3\xa9t\xc3\xa9", 10), 0.62 * 10 * 3);  // "été"
}

}  // namespace
}  // namespace xpusim::report::detail
