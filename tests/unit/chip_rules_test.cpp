// Chip consistency rules, and the figures derived from a chip.
#include <gtest/gtest.h>

#include "spec/derived.h"
#include "spec_test_util.h"

namespace xpusim::spec {
namespace {

using testing::check_yaml;
using testing::kTinyChip;
using testing::only;
using testing::replace;

TEST(ChipRules, PublishedPeakMustFollowFromTheUnits) {
  // 2 cores x 16 MAC x 2 x 1 GHz = 0.064 TFLOP/s; 0.07 is 9% off.
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "peak_tflops: {bf16: 0.064}", "peak_tflops: {bf16: 0.07}"))),
            "test.yaml:21:21: error: peak_tflops.bf16: published peak 0.07 TFLOP/s does not follow from the units: "
            "cores x units x MACs/cycle x 2 x clock = 0.064 TFLOP/s; allowed within 2.5% of it (check cores.count, "
            "cores.matrix_unit.macs_per_cycle and clock_mhz)");
  // 0.0655 is 2.3% off: rounding in a datasheet, accepted.
  EXPECT_TRUE(check_yaml(replace(kTinyChip, "peak_tflops: {bf16: 0.064}", "peak_tflops: {bf16: 0.0655}")).empty());
}

TEST(ChipRules, PublishedPeakNeedsAUnitForItsDtype) {
  EXPECT_EQ(
      only(check_yaml(replace(kTinyChip, "peak_tflops: {bf16: 0.064}", "peak_tflops: {bf16: 0.064, fp8: 0.128}"))),
      "test.yaml:21:33: error: peak_tflops.fp8: published peak 0.128 TFLOP/s but no unit supports fp8 (add "
      "cores.matrix_unit.macs_per_cycle.fp8)");
}

TEST(ChipRules, Fp32PeakMayComeFromTheVectorUnit) {
  // 2 cores x 1 unit x 16 FLOP/cycle x 1 GHz = 0.032 TFLOP/s.
  EXPECT_TRUE(
      check_yaml(replace(kTinyChip, "peak_tflops: {bf16: 0.064}", "peak_tflops: {bf16: 0.064, fp32: 0.032}")).empty());
}

TEST(ChipRules, HbmCapacityMustFitTheStacks) {
  // One HBM3 stack holds at most 24 GiB (12-high, 16 Gb dies).
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "capacity_gib: 16", "capacity_gib: 32"))),
            "test.yaml:19:50: error: hbm.capacity_gib: capacity 32 GiB does not fit 1 hbm3 stack; allowed (0, 24]");
}

TEST(ChipRules, HbmBandwidthMustFitTheStacks) {
  // One HBM3 stack: 1024 bits x 6.4 Gb/s = 819 GB/s.
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "bandwidth_tb_s: 0.8", "bandwidth_tb_s: 1.2"))),
            "test.yaml:19:70: error: hbm.bandwidth_tb_s: bandwidth 1.2 TB/s is more than 1 hbm3 stack can deliver; "
            "allowed (0, 0.82]");
}

TEST(ChipRules, HbmChannelsMustMatchTheGeneration) {
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "stacks: 1,", "stacks: 1, channels_per_stack: 12,"))),
            "test.yaml:19:56: error: hbm.channels_per_stack: 12 channels per stack is not a hbm3 organisation; "
            "allowed 16 (or 32 pseudo-channels)");
  EXPECT_TRUE(check_yaml(replace(kTinyChip, "stacks: 1,", "stacks: 1, channels_per_stack: 32,")).empty());
}

TEST(ChipRules, SramMustFitTheDie) {
  // 10 mm2 at 38 Mb/mm2 holds 47.5 MiB; 2 cores x 32 MiB = 64 MiB cannot be there.
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "capacity_kib: 64", "capacity_kib: 32768"))),
            "test.yaml:18:5: error: cores.sram: on-chip SRAM totals 64 MiB, more than 48 MiB fit on 10 mm2 at the "
            "densest published SRAM (38 Mb/mm2)");
}

TEST(ChipRules, SystolicArrayCannotOutrunItsElements) {
  // A 4 x 4 array has 16 elements; 4 MACs each is the most any dtype packs.
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "int8: 32}", "int8: 128}"))),
            "test.yaml:15:38: error: cores.matrix_unit.macs_per_cycle.int8: 128 MACs per cycle exceeds what a 4 x 4 "
            "array can do even with 4 int8 MACs per element; allowed <= 64");
}

TEST(ChipDerived, H100FiguresMatchTheDatasheet) {
  const Document* h100 = testing::builtin_library().find(Kind::chip, "h100-sxm");
  ASSERT_NE(h100, nullptr);
  const auto& chip = std::get<ChipSpec>(h100->spec);
  // NVIDIA H100 SXM datasheet: 989.4 dense bf16, 1978.9 fp8, 66.9 fp32 (non-tensor).
  EXPECT_NEAR(chip.derived_peak_tflops("bf16"), 989.4, 0.5);
  EXPECT_NEAR(chip.derived_peak_tflops("fp8"), 1978.9, 1.0);
  EXPECT_NEAR(chip.derived_peak_tflops("fp32"), 66.9, 0.1);
  EXPECT_EQ(chip.derived_peak_tflops("fp4"), 0);
  EXPECT_DOUBLE_EQ(chip.link_bandwidth_gb_s_bidirectional(), 900);  // NVLink4: 900 GB/s
  bool has_ridge_point = false;
  for (const DerivedFigure& f : derived_figures(*h100, nullptr)) {
    if (f.key != "ridge_point_flop_per_byte.bf16") continue;
    EXPECT_NEAR(f.value, 989.4e12 / 3.35e12, 0.5);  // 295 FLOP per byte
    has_ridge_point = true;
  }
  EXPECT_TRUE(has_ridge_point);
}

}  // namespace
}  // namespace xpusim::spec
