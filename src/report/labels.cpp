// Label placement (see labels.h). The algorithm:
//   1. Group the labels whose horizontal extents overlap, directly or through others (a sweep over the
//      labels sorted by left edge): only labels of one group can collide.
//   2. In each group, order the labels top to bottom (ties by the order given). Spacing them at least
//      `gap` apart in that order while moving them least (sum of squared moves) is isotonic regression
//      on z_k = y_k - k * gap: z must not decrease. Pool adjacent violators solves it: a run of labels
//      that would be too close moves as one block centred on the mean of where they would like to be.
//   3. Clamp each block's z to [top, bottom - (n - 1) * gap], which keeps the group inside the bounds
//      (optimal still: clamping an isotonic solution to a box is the box-constrained solution), and
//      place label k at z_k + k * gap.
#include "report/labels.h"

#include <algorithm>
#include <cstddef>
#include <numeric>

namespace xpusim::report::detail {
namespace {

// Step 2 and 3 for one group: `order` lists the group's labels top to bottom.
void spread(const std::vector<LabelBox>& labels, const std::vector<std::size_t>& order, double gap_px, double top_px,
            double bottom_px, std::vector<double>& placed) {
  struct Block {
    double sum = 0;  // of z over the block's labels
    std::size_t count = 0;
    double mean() const { return sum / static_cast<double>(count); }
  };
  std::vector<Block> blocks;
  for (std::size_t k = 0; k < order.size(); ++k) {
    blocks.push_back({labels[order[k]].y_px - static_cast<double>(k) * gap_px, 1});
    while (blocks.size() > 1 && blocks[blocks.size() - 2].mean() > blocks.back().mean()) {
      const Block last = blocks.back();
      blocks.pop_back();
      blocks.back().sum += last.sum;
      blocks.back().count += last.count;
    }
  }
  const double last_z = bottom_px - static_cast<double>(order.size() - 1) * gap_px;
  std::size_t k = 0;
  for (const Block& block : blocks) {
    const double z = last_z < top_px ? top_px : std::clamp(block.mean(), top_px, last_z);
    for (std::size_t i = 0; i < block.count; ++i, ++k) placed[order[k]] = z + static_cast<double>(k) * gap_px;
  }
}

}  // namespace

std::vector<double> place_labels(const std::vector<LabelBox>& labels, double gap_px, double top_px, double bottom_px) {
  std::vector<double> placed(labels.size());
  std::vector<std::size_t> by_left(labels.size());
  std::iota(by_left.begin(), by_left.end(), std::size_t{0});
  std::stable_sort(by_left.begin(), by_left.end(),
                   [&](std::size_t a, std::size_t b) { return labels[a].left_px < labels[b].left_px; });
  for (std::size_t first = 0; first < by_left.size();) {
    std::size_t end = first + 1;
    double right = labels[by_left[first]].right_px;
    while (end < by_left.size() && labels[by_left[end]].left_px < right)
      right = std::max(right, labels[by_left[end++]].right_px);
    std::vector<std::size_t> group(by_left.begin() + static_cast<std::ptrdiff_t>(first),
                                   by_left.begin() + static_cast<std::ptrdiff_t>(end));
    std::sort(group.begin(), group.end(), [&](std::size_t a, std::size_t b) {
      return labels[a].y_px != labels[b].y_px ? labels[a].y_px < labels[b].y_px : a < b;
    });
    spread(labels, group, gap_px, top_px, bottom_px, placed);
    first = end;
  }
  return placed;
}

double text_width_px(const std::string& text, double font_px) {
  // DejaVu Sans advances average about 0.6 em over lowercase letters, digits and punctuation; 0.62 errs wide.
  std::size_t characters = 0;
  for (const char c : text) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // UTF-8 lead bytes
  return 0.62 * font_px * static_cast<double>(characters);
}

}  // namespace xpusim::report::detail
