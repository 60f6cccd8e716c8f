// Wafer, yield, unit cost, die area and power against technology-facts.md's figures, worked by hand.
#include "econ/cost.h"

#include "econ/area.h"
#include "econ/power.h"

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

TEST(UnitCost, TheDesignPartnerMarginAndReSpinsAreTheirOwnLines) {
  const auto& xpu = find<spec::ChipSpec>(spec::Kind::chip, "xpu-1");
  spec::ProcessSpec n3 = find<spec::ProcessSpec>(spec::Kind::process, "tsmc-n3e");
  ASSERT_DOUBLE_EQ(n3.partner_margin, 0.22);
  const Expected<UnitCost> c = unit_cost(xpu, n3, 1e5, std::nullopt, nullptr, 1);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  // A 22% gross margin on what the partner resells: price = cost / 0.78, so it adds cost x 0.22 / 0.78.
  EXPECT_NEAR(c->partner_margin_usd, c->manufacturing_usd * 0.22 / 0.78, 1e-9);
  // xpu-1's program: 200 software and 50 bring-up engineers for 3 years at $365,000 = $273.75 M.
  EXPECT_DOUBLE_EQ(c->program_usd, 273.75e6);
  // One re-spin pays N3E's $40 M mask set again: NRE = 2 x $40 M + $581 M design + the program.
  EXPECT_DOUBLE_EQ(c->respin_usd, 40e6);
  EXPECT_DOUBLE_EQ(c->nre_usd, 2 * 40e6 + 581e6 + 273.75e6);
  EXPECT_NEAR(c->total_per_unit_usd, c->manufacturing_usd + c->partner_margin_usd + 934.75e6 / 1e5, 1e-6);
  // A chip company buying from the foundry itself pays no margin; a chip without a program, none.
  n3.partner_margin = 0;
  spec::ChipSpec bare = xpu;
  bare.has_program = false;
  const Expected<UnitCost> own = unit_cost(bare, n3, 1e5);
  ASSERT_TRUE(own.ok());
  EXPECT_DOUBLE_EQ(own->partner_margin_usd, 0);
  EXPECT_DOUBLE_EQ(own->program_usd, 0);
  EXPECT_DOUBLE_EQ(own->nre_usd, 40e6 + 581e6);
  EXPECT_FALSE(unit_cost(xpu, n3, 1e5, std::nullopt, nullptr, 11).ok());
}

TEST(UnitCost, RefusesWhatCannotBeMade) {
  const auto& b200 = find<spec::ChipSpec>(spec::Kind::chip, "b200");
  const auto& n4p = find<spec::ProcessSpec>(spec::Kind::process, "tsmc-4np");
  spec::ProcessSpec no_model = n4p;
  no_model.has_area = false;
  EXPECT_EQ(unit_cost(b200, no_model, 1e5).error().to_string(),
            "error: chip b200 has no die_area_mm2 (not published) and process tsmc-4np has no area model; give one "
            "with --die-area-mm2");
  EXPECT_EQ(unit_cost(b200, n4p, 1e5, 900.0).error().to_string(),
            "error: a 900 mm2 die (given) exceeds the 858 mm2 reticle of tsmc-4np; split the design into at least 3 "
            "dies (die_count)");
  EXPECT_TRUE(unit_cost(b200, n4p, 1e5, 800.0).ok());
  EXPECT_EQ(unit_cost(b200, n4p, 0.5, 800.0).error().to_string(), "error: the volume must be at least 1 unit, got 0.5");
  // Without a published area the model's is used: B200's two dies come out at 560 mm2 each.
  const Expected<UnitCost> modelled = unit_cost(b200, n4p, 1e5);
  ASSERT_TRUE(modelled.ok());
  EXPECT_EQ(modelled->die_area_basis, "modelled");
  EXPECT_NEAR(modelled->die_area_mm2, 560.4, 0.5);
}

double block(const AreaEstimate& e, std::string_view name) {
  for (const AreaBlock& b : e.blocks)
    if (b.name == name) return b.mm2;
  return -1;
}

TEST(Area, CalibrationChipsComeBack) {
  // A100 (GA100 as built: 128 SMs, 48 MB L2, 6 HBM2 PHYs) is one of the two chips core_control_mm2 and
  // uncore_fraction were solved on. By hand, on N7 (671 um2 per bf16 MAC; SRAM 1 / 0.027 x 0.259 =
  // 9.593 Mb/mm2): matrix 128 x 4 x 256 x 671e-6 = 87.95; vector 128 x 4 x 16 FMA lanes x 3.961 x
  // 671e-6 = 21.78; control 128 x 1.33 = 170.24; L1 24 MiB = 201.3 Mb -> 20.99; L2 48 MiB -> 41.98;
  // HBM 6 x 9.5 = 57; NVLink3 12 x 4 lanes x 0.45 = 21.6; PCIe 16 x 0.45 = 7.2. Sum 428.73 / 0.519.
  const auto& a100 = find<spec::ChipSpec>(spec::Kind::chip, "a100-sxm-80gb");
  const auto& n7 = find<spec::ProcessSpec>(spec::Kind::process, "tsmc-n7");
  const Expected<AreaEstimate> e = estimate_area(a100, n7);
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  EXPECT_EQ(e->cores, 128);
  EXPECT_NEAR(block(*e, "matrix"), 87.95, 0.01);
  EXPECT_NEAR(block(*e, "vector"), 21.78, 0.01);
  EXPECT_NEAR(block(*e, "core_control"), 170.24, 0.01);
  EXPECT_NEAR(block(*e, "core_sram"), 20.99, 0.01);
  EXPECT_NEAR(block(*e, "shared_sram"), 41.98, 0.01);
  EXPECT_NEAR(block(*e, "serdes"), 21.6, 1e-9);
  EXPECT_NEAR(e->total_mm2, 428.73 / 0.519, 0.1);
  EXPECT_NEAR(e->total_mm2 / 826, 1.0, 0.005);
}

TEST(Area, H100AndTpuV4LandWithin15PercentOfTheirPublishedDies) {
  // Predictions: neither chip was used to set the constants. H100 (GH100 as built: 144 SMs, 60 MB L2,
  // 6 HBM PHYs) on 4N, by hand: matrix 144 x 4 x 512 x 442e-6 = 130.35 (fp8's 1,024 MACs at half a bf16
  // MAC size the array the same); vector 18,432 lanes x 3.961 x 442e-6 = 32.27; control 144 x 0.88 =
  // 126.72; SRAM at 1 / 0.021 x 0.259 = 12.33 Mb/mm2: L1 32.06 MiB -> 21.81, L2 60 MiB -> 40.81; HBM
  // 57; NVLink4 36 lanes -> 16.2; PCIe 7.2. Sum 432.36 / 0.519 = 833.1 mm2 against 814 published.
  const Expected<AreaEstimate> h100 = estimate_area(find<spec::ChipSpec>(spec::Kind::chip, "h100-sxm"),
                                                    find<spec::ProcessSpec>(spec::Kind::process, "tsmc-4n"));
  ASSERT_TRUE(h100.ok());
  EXPECT_NEAR(block(*h100, "matrix"), 130.35, 0.01);
  EXPECT_NEAR(h100->total_mm2, 833.1, 0.2);
  EXPECT_NEAR(h100->per_die_mm2 / 814, 1.0, 0.15);
  // TPU v4 on N7: matrix 2 x 4 x 16,384 x 671e-6 = 87.95; vector 2 x 1,024 x 3.961 x 671e-6 = 5.44;
  // control 2.66; VMEM 32 MiB -> 27.98; CMEM 128 MiB -> 111.94; HBM 4 x 9.5; ICI 6 x 8 lanes -> 21.6;
  // PCIe 7.2. Sum 302.77 / 0.519 = 583.4 mm2 against "< 600" published.
  const Expected<AreaEstimate> v4 = estimate_area(find<spec::ChipSpec>(spec::Kind::chip, "tpu-v4"),
                                                  find<spec::ProcessSpec>(spec::Kind::process, "tsmc-n7"));
  ASSERT_TRUE(v4.ok());
  EXPECT_NEAR(block(*v4, "shared_sram"), 111.94, 0.01);
  EXPECT_NEAR(v4->total_mm2, 583.4, 0.2);
  EXPECT_NEAR(v4->per_die_mm2 / 600, 1.0, 0.15);
}

TEST(Area, MultiDieDesignsPayForTheirDieToDieLinksAndTheReticleBinds) {
  spec::ChipSpec xpu = find<spec::ChipSpec>(spec::Kind::chip, "xpu-1");
  const auto& n3 = find<spec::ProcessSpec>(spec::Kind::process, "tsmc-n3e");
  const Expected<AreaEstimate> two = estimate_area(xpu, n3);
  ASSERT_TRUE(two.ok());
  // Two dies, each reaching the other at 8.19 TB/s over 1.3 TB/s per mm of 1 mm deep PHY.
  EXPECT_NEAR(block(*two, "die_to_die"), 2 * 8.19 / 1.3, 1e-9);
  EXPECT_NEAR(two->per_die_mm2, two->total_mm2 / 2, 1e-9);
  EXPECT_LT(two->per_die_mm2, n3.reticle_mm2);
  // The same silicon on one die is past the reticle: the cost model refuses it and says how many dies.
  xpu.die_count = 1;
  const Expected<AreaEstimate> one = estimate_area(xpu, n3);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(block(*one, "die_to_die"), -1);
  EXPECT_GT(one->per_die_mm2, n3.reticle_mm2);
  const Expected<UnitCost> c = unit_cost(xpu, n3, 1e5);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().to_string().find("exceeds the 858 mm2 reticle of tsmc-n3e; split the design into at least 2 dies"),
            std::string::npos)
      << c.error().to_string();
}

TEST(Area, IoDiesTakeTheIoOnTheirOwnProcess) {
  // MI300X: 8 N5 compute dies (XCDs) on 4 N6 I/O dies holding the 256 MiB Infinity Cache, the 8 HBM3
  // PHYs, the links and PCIe. By hand, XCDs: matrix 304 x 4 x 256 x 442e-6 = 137.59, vector 38,912
  // lanes x 3.961 x 442e-6 = 68.13, control 304 x 0.88 = 267.52, LDS 19 MiB -> 12.92, L2 32 MiB ->
  // 21.77, die-to-die 8 x 5.3 / 1.3 = 32.62: 540.55 / 0.519 = 1,041.5 mm2, 130.2 per die. I/O dies (N6,
  // N7's figures): 256 MiB -> 223.87, HBM 76, links 18.9, PCIe 7.2, die-to-die 32.62: 358.59 / 0.519 =
  // 690.9 mm2, 172.7 per die.
  const auto& mi300x = find<spec::ChipSpec>(spec::Kind::chip, "mi300x");
  const auto& n5 = find<spec::ProcessSpec>(spec::Kind::process, "tsmc-n5");
  const auto& n6 = find<spec::ProcessSpec>(spec::Kind::process, "tsmc-n6");
  const Expected<AreaEstimate> e = estimate_area(mi300x, n5, &n6);
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  EXPECT_NEAR(e->total_mm2, 540.55 / 0.519, 0.1);
  EXPECT_NEAR(e->per_die_mm2, 130.2, 0.05);
  EXPECT_EQ(e->io_dies, 4);
  EXPECT_NEAR(e->io_total_mm2, 358.59 / 0.519, 0.1);
  EXPECT_NEAR(e->io_per_die_mm2, 172.7, 0.05);
  double io_sram = 0, compute_sram = 0;
  for (const AreaBlock& b : e->blocks)
    if (b.name == "shared_sram") (b.io_die ? io_sram : compute_sram) += b.mm2;
  EXPECT_NEAR(io_sram, 223.87, 0.01);
  EXPECT_NEAR(compute_sram, 21.77, 0.01);
  // Without the I/O dies' process the model cannot place them.
  EXPECT_EQ(estimate_area(mi300x, n5).error().to_string(),
            "error: chip mi300x's I/O dies are on tsmc-n6, which is not known");
  // The unit cost pays for 4 N6 dies on N6 wafers, their mask set, and 11 dies beyond the first.
  const Expected<UnitCost> c = unit_cost(mi300x, n5, 1e5, std::nullopt, &n6);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->io_dies, 4);
  EXPECT_EQ(c->io_die_area_basis, "modelled");
  EXPECT_NEAR(c->io_yield, die_yield(c->io_die_area_mm2, n6), 1e-12);
  EXPECT_NEAR(c->io_dies_usd, 4 * 9346 / (gross_dies_per_wafer(c->io_die_area_mm2, n6) * c->io_yield), 1e-6);
  EXPECT_DOUBLE_EQ(c->mask_set_usd, 20e6 + 10e6);
  EXPECT_DOUBLE_EQ(c->package_usd, 750 + 11 * 352);
  EXPECT_NEAR(c->manufacturing_usd, c->dies_usd + c->io_dies_usd + c->hbm_usd + c->package_usd + 920, 1e-9);
}

TEST(Area, ModelNeedsTheProcessAreaBlock) {
  spec::ProcessSpec p = find<spec::ProcessSpec>(spec::Kind::process, "tsmc-n7");
  p.has_area = false;
  EXPECT_EQ(estimate_area(find<spec::ChipSpec>(spec::Kind::chip, "tpu-v4"), p).error().to_string(),
            "error: process tsmc-n7 has no area: block, so the die area of tpu-v4 cannot be modelled");
}

// One second of work: bf16 matrix FLOPs and HBM bytes; nothing else.
Activity one_second(double bf16_flops, double hbm_bytes) {
  Activity a;
  a.seconds = 1;
  a.matrix_flops[static_cast<std::size_t>(ir::DType::bf16)] = bf16_flops;
  a.hbm_bytes = hbm_bytes;
  return a;
}

TEST(Power, EnergyOfEachActionAddsUpAndStaticPowerIsAFractionOfTdp) {
  // One second of TPU v4 work on N7: 100 TFLOP of bf16 matmul (5e13 MACs at 0.61 pJ = 30.5 W), 1 TFLOP
  // of vector work (5e11 FMAs at 1.7 pJ = 0.85 W), 1 TB of HBM traffic (8e12 bits at 3.97 pJ = 31.76 W),
  // 10 GB over links (8e10 bits at 5.5 pJ = 0.44 W). SRAM: 2 x 1 TB staged plus 5e13 MACs x 2 bytes x
  // (1/128 + 1/128) re-read = 3.5625e12 bytes at 0.42 pJ/bit = 11.97 W. Static 0.47 x 192 W = 90.24 W.
  const auto& v4 = find<spec::ChipSpec>(spec::Kind::chip, "tpu-v4");
  const auto& n7 = find<spec::ProcessSpec>(spec::Kind::process, "tsmc-n7");
  Activity a = one_second(1e14, 1e12);
  a.vector_flops = 1e12;
  a.link_bytes = 1e10;
  EXPECT_NEAR(sram_bytes(v4, a), 3.5625e12, 1e3);
  const Expected<PowerEstimate> p = average_power(v4, n7, a);
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_NEAR(p->compute_w, 30.5 + 0.85, 1e-9);
  EXPECT_NEAR(p->hbm_w, 31.76, 1e-9);
  EXPECT_NEAR(p->links_w, 0.44, 1e-9);
  EXPECT_NEAR(p->sram_w, 11.97, 1e-9);
  EXPECT_NEAR(p->static_w, 90.24, 1e-9);
  EXPECT_DOUBLE_EQ(p->slowdown, 1);
  EXPECT_NEAR(p->total_w(), 30.5 + 0.85 + 31.76 + 0.44 + 11.97 + 90.24, 1e-9);
  EXPECT_NEAR(p->joules, p->total_w(), 1e-9);
  // The same work in half the time needs 2 x 75.52 + 90.24 = 241.28 W, over the 192 W TDP: the clock
  // drops until it fits, the floor with it, so the work keeps its 75.52 + 0.5 x 90.24 = 120.64 J and
  // takes 241.28 / 192 = 1.2567 x as long (0.6283 s); the floor's share is 90.24 / 1.2567 = 71.81 W.
  Activity fast = a;
  fast.seconds = 0.5;
  const Expected<PowerEstimate> capped = average_power(v4, n7, fast);
  ASSERT_TRUE(capped.ok());
  EXPECT_NEAR(capped->uncapped_w, 90.24 + 2 * 75.52, 1e-9);
  EXPECT_NEAR(capped->total_w(), 192, 1e-9);
  EXPECT_NEAR(capped->slowdown, 241.28 / 192, 1e-9);
  EXPECT_NEAR(capped->static_w, 90.24 * 192 / 241.28, 1e-9);
  EXPECT_NEAR(capped->joules, 120.64, 1e-9);
  EXPECT_NEAR(capped->joules, capped->total_w() * 0.5 * capped->slowdown, 1e-9);
}

TEST(Power, AWorkingGpuDrawsItsFloorBeforeItsOperations) {
  // One memory-bound second of H100 work: 2.2 TB from HBM and 1.28e14 FLOP of bf16 matmul (6.4e13
  // MACs). On 4N: HBM 2.2e12 x 8 bits x 3.9 pJ = 68.64 W; SRAM 2 x 2.2e12 staged plus 6.4e13 MACs x
  // 2 bytes x (1/128 + 1/256) (H100's 64 x 256 x 16 tile, blocks of at least 128)
  // = 4.4e12 + 1.5e12 = 5.9e12 bytes at 0.4 pJ/bit = 18.88 W; MACs 6.4e13 x 0.427 pJ = 27.328 W; the
  // floor of a working H100 0.56 x 700 = 392 W. Total 506.848 W, of which the floor is 77%.
  const auto& h100 = find<spec::ChipSpec>(spec::Kind::chip, "h100-sxm");
  const auto& n4 = find<spec::ProcessSpec>(spec::Kind::process, "tsmc-4n");
  const Activity a = one_second(1.28e14, 2.2e12);
  EXPECT_NEAR(sram_bytes(h100, a), 5.9e12, 1e3);
  const Expected<PowerEstimate> p = average_power(h100, n4, a);
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_NEAR(p->static_w, 392, 1e-9);
  EXPECT_NEAR(p->hbm_w, 68.64, 1e-9);
  EXPECT_NEAR(p->sram_w, 18.88, 1e-9);
  EXPECT_NEAR(p->compute_w, 27.328, 1e-9);
  EXPECT_NEAR(p->total_w(), 506.848, 1e-9);
  EXPECT_DOUBLE_EQ(p->slowdown, 1);
}

TEST(Power, RefusesWhatItCannotCost) {
  const auto& v4 = find<spec::ChipSpec>(spec::Kind::chip, "tpu-v4");
  spec::ProcessSpec n7 = find<spec::ProcessSpec>(spec::Kind::process, "tsmc-n7");
  Activity a;
  a.seconds = 1;
  a.matrix_flops[static_cast<std::size_t>(ir::DType::fp8_e4m3)] = 1e12;
  n7.energy.mac_pj.erase("fp8");
  EXPECT_EQ(average_power(v4, n7, a).error().to_string(), "error: process tsmc-n7 has no energy.mac_pj.fp8");
  a.seconds = 0;
  EXPECT_EQ(average_power(v4, n7, a).error().to_string(), "error: no work to take the average power of");
  n7.has_energy = false;
  EXPECT_EQ(average_power(v4, n7, a).error().to_string(),
            "error: process tsmc-n7 has no energy: block, so the power of tpu-v4 cannot be modelled");
}

}  // namespace
}  // namespace xpusim::econ
