// Wafer, yield and unit cost against the formulas of technology-facts.md section 4, worked by hand.
#include "econ/cost.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "spec_test_util.h"

namespace xpusim::econ {
namespace {

template <class T>
const T& find(spec::Kind kind, const char* name) {
  return spec::testing::library_spec<T>(kind, name);
}

TEST(Yield, NegativeBinomialMatchesTheWorkedExample) {
  // technology-facts 4.2: an 814 mm2 die at D0 = 0.1/cm2 yields 50.5% with alpha 2, 48.7% with alpha 3,
  // and tends to Poisson's 44.3% as alpha grows.
  spec::ProcessSpec p;
  p.defect_density_per_cm2 = 0.1;
  p.yield_clustering = 2;
  EXPECT_NEAR(die_yield(814, p), 0.505, 0.0005);
  p.yield_clustering = 3;
  EXPECT_NEAR(die_yield(814, p), 0.487, 0.0005);
  p.yield_clustering = 100;
  EXPECT_NEAR(die_yield(814, p), std::exp(-0.814), 0.002);
}

TEST(Wafer, GrossDiesFollowTheCatchFormula) {
  // A 10 x 10 mm die with no scribe on a 300 mm wafer, 3 mm edge: 294 pi (300/400 - 1/sqrt(200)).
  spec::ProcessSpec p;
  p.scribe_mm = 0;
  EXPECT_NEAR(gross_dies_per_wafer(100, p), 294 * std::numbers::pi * (0.75 - 1 / std::sqrt(200.0)), 1e-9);
  // The saw street grows the die: (sqrt(814) + 0.1)^2 = 819.7 mm2 for H100's die.
  p.scribe_mm = 0.1;
  const double a = std::pow(std::sqrt(814.0) + 0.1, 2);
  EXPECT_NEAR(gross_dies_per_wafer(814, p), 294 * std::numbers::pi * (300 / (4 * a) - 1 / std::sqrt(2 * a)), 1e-9);
}

TEST(UnitCost, H100LandsNearThePublishedManufacturingCost) {
  const auto& h100 = find<spec::ChipSpec>(spec::Kind::chip, "h100-sxm");
  const auto& n4 = find<spec::ProcessSpec>(spec::Kind::process, "tsmc-4n");
  const Expected<UnitCost> c = unit_cost(h100, n4, 1e6);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  // $16,988 / (61.7 gross x 50.5% yield) per good die; 80 GiB of HBM at $10; CoWoS-S $750; test $920.
  EXPECT_NEAR(c->good_die_usd, 16988 / (c->gross_dies_per_wafer * c->yield), 1e-9);
  EXPECT_NEAR(c->good_die_usd, 545, 5);
  EXPECT_DOUBLE_EQ(c->hbm_usd, 800);
  EXPECT_NEAR(c->manufacturing_usd, c->good_die_usd + 800 + 750 + 920, 1e-9);
  // Raymond James' estimate is ~$3,320 including HBM (technology-facts 4.4 [42]): within 15%.
  EXPECT_NEAR(c->manufacturing_usd / 3320, 1.0, 0.15);
  EXPECT_NEAR(c->nre_per_unit_usd, (20e6 + 449e6) / 1e6, 1e-9);
}

TEST(UnitCost, TwoDiePackagesPayForBothDiesAndTheBiggerInterposer) {
  const auto& xpu = find<spec::ChipSpec>(spec::Kind::chip, "xpu-1");
  const auto& n3 = find<spec::ProcessSpec>(spec::Kind::process, "tsmc-n3e");
  const Expected<UnitCost> c = unit_cost(xpu, n3, 5e5);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->dies, 2);
  EXPECT_NEAR(c->dies_usd, 2 * c->good_die_usd, 1e-9);
  EXPECT_DOUBLE_EQ(c->package_usd, 750 + 352);
}

TEST(UnitCost, RefusesWhatCannotBeMade) {
  const auto& b200 = find<spec::ChipSpec>(spec::Kind::chip, "b200");
  const auto& n4p = find<spec::ProcessSpec>(spec::Kind::process, "tsmc-4np");
  EXPECT_EQ(unit_cost(b200, n4p, 1e5).error().to_string(),
            "error: chip b200 has no die_area_mm2 (not published); give one with --die-area-mm2");
  EXPECT_EQ(unit_cost(b200, n4p, 1e5, 900.0).error().to_string(),
            "error: a 900 mm2 die exceeds the 858 mm2 reticle of tsmc-4np; split it into several dies (die_count)");
  EXPECT_TRUE(unit_cost(b200, n4p, 1e5, 800.0).ok());
  EXPECT_EQ(unit_cost(b200, n4p, 0.5, 800.0).error().to_string(), "error: the volume must be at least 1 unit, got 0.5");
}

}  // namespace
}  // namespace xpusim::econ
