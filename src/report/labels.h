// Placing text labels on a chart so that none overlaps another: computed in pixels before the Vega-Lite
// spec is written, so the page is the same bytes every time and needs no layout pass in the browser.
// Internal to src/report.
#pragma once

#include <string>
#include <vector>

namespace xpusim::report::detail {

// A label where it would like to be: its horizontal extent and the pixel row of its vertical centre
// (y grows downwards, as in SVG).
struct LabelBox {
  double left_px = 0;
  double right_px = 0;
  double y_px = 0;
};

// The vertical centre of each label (in the order given) such that labels whose horizontal extents
// overlap (directly or through a chain of others) are at least `gap_px` apart and keep their top-to-bottom
// order (ties by order given), each moved as little as it can be (least squares), within
// [top_px, bottom_px] when the group fits there (else from top_px down). Labels that overlap nothing
// stay where they are (clamped to the bounds).
std::vector<double> place_labels(const std::vector<LabelBox>& labels, double gap_px, double top_px, double bottom_px);

// The width in pixels of `text` in the report's chart font (DejaVu Sans) at `font_px`, from an average
// advance per character that errs wide, so placements err on the side of room.
double text_width_px(const std::string& text, double font_px);

}  // namespace xpusim::report::detail
