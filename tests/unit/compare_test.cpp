// TCO by hand from the datacenter spec, and the build-or-buy table's own consistency: at the break-even
// volume, the custom system's dollars per million tokens equal the bought system's.
#include "compare/compare.h"

#include <gtest/gtest.h>

#include "spec_test_util.h"

namespace xpusim::compare {
namespace {

using spec::testing::library_spec;

TEST(Tco, AddsDepreciationEnergyAndFacilityPerHour) {
  spec::DatacenterSpec dc;
  dc.pue = 1.2;
  dc.electricity_usd_per_kwh = 0.10;
  dc.facility_capex_usd_per_mw = 10e6;
  dc.facility_depreciation_years = 20;
  dc.hardware_depreciation_years = 5;
  const econ::Tco t = econ::tco_per_hour(438000, 10000, 10000, dc);
  EXPECT_NEAR(t.hardware_usd_per_hour, 438000 / (5 * 8760.0), 1e-9);  // $10 an hour
  EXPECT_NEAR(t.energy_usd_per_hour, 10 * 1.2 * 0.10, 1e-12);          // 10 kW x PUE x price
  EXPECT_NEAR(t.facility_usd_per_hour, 0.01 * 10e6 / (20 * 8760.0), 1e-9);
  EXPECT_EQ(t.operations_usd_per_hour, 0);
  EXPECT_NEAR(econ::capex_at(t.total_usd_per_hour(), 10000, 10000, dc), 438000, 1e-6);
}

TEST(Compare, BreakEvenVolumeEqualisesTheCostPerToken) {
  const auto& workload = library_spec<spec::WorkloadSpec>(spec::Kind::workload, "serve-llama3-70b-50ms");
  const auto& dc = library_spec<spec::DatacenterSpec>(spec::Kind::datacenter, "us-hyperscale-2025");
  // Every library system has a price or a rent; a user's copy of HGX H200 without either stands for an
  // unpriced system.
  spec::SystemSpec unpriced = library_spec<spec::SystemSpec>(spec::Kind::system, "hgx-h200");
  unpriced.price_usd.reset();
  unpriced.has_rent = false;
  const std::vector<const spec::SystemSpec*> systems = {
      &library_spec<spec::SystemSpec>(spec::Kind::system, "xpu-1-node"),
      &library_spec<spec::SystemSpec>(spec::Kind::system, "dgx-h100"), &unpriced};
  const Expected<Comparison> c = compare_workload(workload, systems, dc, 1e5, spec::testing::builtin_library());
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  ASSERT_EQ(c->rows.size(), 3u);
  const SystemRow& xpu = c->rows[0];
  const SystemRow& h100 = c->rows[1];
  ASSERT_TRUE(xpu.usd_per_mtoken && h100.usd_per_mtoken);
  EXPECT_TRUE(xpu.custom);
  EXPECT_FALSE(h100.custom);
  EXPECT_LE(h100.best.tpot_s, 0.050);
  EXPECT_DOUBLE_EQ(h100.max_power_w, 10200);  // the system's power_w
  // Working, the 8 GPUs draw their modelled average and the rest of the node its 10.2 - 8 x 0.7 kW.
  ASSERT_TRUE(h100.chip_power);
  EXPECT_NEAR(h100.power_w, 8 * h100.chip_power->total_w() + 4600, 1e-9);
  EXPECT_GT(h100.chip_power->total_w(), h100.chip_power->static_w);
  EXPECT_LE(h100.chip_power->total_w(), 700 + 1e-9);
  EXPECT_EQ(h100.systems_in_datacenter, 9803);  // 100 MW / 10.2 kW nameplate, whole systems
  EXPECT_EQ(h100.racks_in_datacenter, 817);     // 12 per 132 kW rack
  EXPECT_DOUBLE_EQ(h100.rack_power_w, 12 * 10200);
  // Its 8 x 400G ports on a two-tier fabric: 3,200 Gb/s x (3 x $3.9 + 4 x $1.56) of switch ports and optics.
  EXPECT_NEAR(h100.network_capex_usd, 3200 * (3 * 3.9 + 4 * 1.56), 1e-6);
  EXPECT_NEAR(*h100.capex_usd, 270000 + h100.network_capex_usd, 1e-6);
  EXPECT_NEAR(*h100.usd_per_mtoken, h100.tco.total_usd_per_hour() / (h100.tokens_per_s * 3600 / 1e6), 1e-12);
  // A system without a price: its row says so instead of a silent zero.
  EXPECT_EQ(c->rows[2].problem, "no price (give the system a price_usd or a rent)");
  EXPECT_FALSE(c->rows[2].usd_per_mtoken);
  // The volume curve falls as the NRE spreads, and passes through the table's volume (1e5 = 1e2 x 10^3).
  ASSERT_EQ(xpu.usd_per_mtoken_by_volume.size(), 21u);
  EXPECT_DOUBLE_EQ(xpu.usd_per_mtoken_by_volume[12].first, 1e5);
  EXPECT_NEAR(xpu.usd_per_mtoken_by_volume[12].second / *xpu.usd_per_mtoken, 1.0, 1e-9);
  for (std::size_t i = 1; i < xpu.usd_per_mtoken_by_volume.size(); ++i)
    EXPECT_LT(xpu.usd_per_mtoken_by_volume[i].second, xpu.usd_per_mtoken_by_volume[i - 1].second);
  // Rebuilt at the break-even volume, xpu-1's cost per token equals DGX H100's (bought; then rented on
  // demand and committed, the library's AWS p5 prices).
  ASSERT_EQ(xpu.break_even.size(), 3u);
  EXPECT_EQ(xpu.break_even[0].basis, "buy");
  ASSERT_TRUE(xpu.break_even[0].volume);
  const Expected<Comparison> at = compare_workload(workload, {systems[0]}, dc, *xpu.break_even[0].volume,
                                                  spec::testing::builtin_library());
  ASSERT_TRUE(at.ok());
  EXPECT_NEAR(*at->rows[0].usd_per_mtoken / *h100.usd_per_mtoken, 1.0, 1e-9);
}

// DGX B200 once had no power_w: compare counted its 8 x 1,000 W GPUs alone, fitted 12,500 systems into
// 100 MW and showed 2.74 tokens/J. Its published 14.3 kW (NVIDIA's DGX B200 user guide) now sizes the
// datacenter, and the 6.3 kW beyond its GPUs (hosts, NICs, switches, fans) counts in its average power.
TEST(Compare, DgxB200UsesItsPublishedNameplatePower) {
  const auto& workload = library_spec<spec::WorkloadSpec>(spec::Kind::workload, "serve-llama3-70b-50ms");
  const auto& dc = library_spec<spec::DatacenterSpec>(spec::Kind::datacenter, "us-hyperscale-2025");
  const Expected<Comparison> c = compare_workload(
      workload, {&library_spec<spec::SystemSpec>(spec::Kind::system, "dgx-b200")}, dc, 1e5,
      spec::testing::builtin_library());
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  const SystemRow& b200 = c->rows[0];
  EXPECT_DOUBLE_EQ(b200.max_power_w, 14300);
  EXPECT_EQ(b200.systems_in_datacenter, 6993);  // floor(100 MW of critical IT power / 14.3 kW)
  EXPECT_EQ(b200.systems_per_rack, 9);          // floor(132 kW / 14.3 kW)
  EXPECT_EQ(b200.racks_in_datacenter, 777);     // ceil(6,993 / 9)
  ASSERT_TRUE(b200.chip_power);
  EXPECT_NEAR(b200.power_w, 8 * b200.chip_power->total_w() + 6300, 1e-9);
  EXPECT_NEAR(b200.tokens_per_joule, b200.tokens_per_s / b200.power_w, 1e-12);
  // The GPUs alone at their modelled average would give more than twice the tokens per joule.
  EXPECT_LT(b200.tokens_per_joule, 0.6 * b200.tokens_per_s / (8 * b200.chip_power->total_w()));
  // Bought at its $515,000 price, plus 8 x 400G scale-out ports and optics.
  ASSERT_TRUE(b200.capex_usd);
  EXPECT_NEAR(*b200.capex_usd, 515000 + 3200 * (3 * 3.9 + 4 * 1.56), 1e-6);
}

// xpu-1-rack is built, not bought: its 16 Tomahawk 6 planes once cost nothing. Whole switches are bought
// (16 x 128 ports x $3,125), beside its hosts and NICs (other_bom_usd) and its chips from the cost model.
TEST(Compare, ABuiltRackPaysForItsScaleUpSwitches) {
  const auto& workload = library_spec<spec::WorkloadSpec>(spec::Kind::workload, "serve-llama3-70b-50ms");
  const auto& dc = library_spec<spec::DatacenterSpec>(spec::Kind::datacenter, "us-hyperscale-2025");
  const Expected<Comparison> c = compare_workload(
      workload,
      {&library_spec<spec::SystemSpec>(spec::Kind::system, "xpu-1-rack"),
       &library_spec<spec::SystemSpec>(spec::Kind::system, "tpu-v5p-4x4x4"),
       &library_spec<spec::SystemSpec>(spec::Kind::system, "gb200-nvl72")},
      dc, 1e5, spec::testing::builtin_library());
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  const SystemRow& rack = c->rows[0];
  ASSERT_TRUE(rack.capex_usd && rack.chip_cost) << rack.problem;
  EXPECT_DOUBLE_EQ(rack.scale_up_capex_usd, 16 * 128 * 3125.0);
  EXPECT_NEAR(*rack.capex_usd,
              427520 + 64 * rack.chip_cost->total_per_unit_usd + 16 * 128 * 3125.0 + rack.network_capex_usd, 1e-6);
  EXPECT_DOUBLE_EQ(rack.max_power_w, 100800);
  // TPU v5p is not sold: its price is an estimate, and the row says so.
  const SystemRow& tpu = c->rows[1];
  ASSERT_TRUE(tpu.capex_usd) << tpu.problem;
  EXPECT_NEAR(*tpu.capex_usd, 1216000 + tpu.network_capex_usd, 1e-6);
  EXPECT_NE(tpu.capex_basis.find("an estimate"), std::string::npos) << tpu.capex_basis;
  // A bought rack's NVLink switch trays are in its price, not counted again; its price is published.
  EXPECT_EQ(c->rows[2].scale_up_capex_usd, 0);
  EXPECT_EQ(c->rows[2].capex_basis.find("an estimate"), std::string::npos);
  // Without a price per port the built rack says so instead of a silent zero.
  spec::Library user;
  Diagnostics d;
  user.add(spec::parse_specs(R"(kind: network
name: unpriced-tomahawk6
type: switch
protocol: ethernet
switch: {radix: 128, port_speed_gbps: 800, capacity_tbps: 102.4}
)",
                             "switch.yaml")
               .documents,
           d);
  ASSERT_TRUE(d.empty());
  const spec::LayeredResolver specs(user, &spec::testing::builtin_library());
  spec::SystemSpec on_it = library_spec<spec::SystemSpec>(spec::Kind::system, "xpu-1-rack");
  on_it.scale_up.network = "unpriced-tomahawk6";
  const Expected<Comparison> unpriced = compare_workload(workload, {&on_it}, dc, 1e5, specs);
  ASSERT_TRUE(unpriced.ok());
  EXPECT_EQ(unpriced->rows[0].problem, "scale-up switch unpriced-tomahawk6 has no price_usd_per_port");
  EXPECT_FALSE(unpriced->rows[0].capex_usd);
}

// A user's system without power_w is charged the least specs check accepts: its chips' TDPs plus 10%
// for hosts, NICs and fans (8 x 1,000 W x 1.1 for a DGX B200 shape), not the chips alone.
TEST(Compare, ASystemWithoutPowerGetsItsChipsAndAHostShare) {
  const auto& workload = library_spec<spec::WorkloadSpec>(spec::Kind::workload, "serve-llama3-70b-50ms");
  const auto& dc = library_spec<spec::DatacenterSpec>(spec::Kind::datacenter, "us-hyperscale-2025");
  spec::SystemSpec unpowered = library_spec<spec::SystemSpec>(spec::Kind::system, "dgx-b200");
  unpowered.power_w.reset();
  const Expected<Comparison> c = compare_workload(workload, {&unpowered}, dc, 1e5, spec::testing::builtin_library());
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_NEAR(c->rows[0].max_power_w, 8800, 1e-9);
  EXPECT_EQ(c->rows[0].systems_in_datacenter, 11363);  // floor(100 MW / 8.8 kW)
  // Working, the GPUs draw their modelled average and the hosts their 800 W share.
  ASSERT_TRUE(c->rows[0].chip_power);
  EXPECT_NEAR(c->rows[0].power_w, 8 * c->rows[0].chip_power->total_w() + 800, 1e-9);
}

// A system above the datacenter's rack power is split over whole racks, with the numbers in the row:
// 300 kW in 132 kW racks takes 3 racks of 100 kW each.
TEST(Compare, ASystemAboveTheRackPowerIsSplitOverRacks) {
  const auto& workload = library_spec<spec::WorkloadSpec>(spec::Kind::workload, "serve-llama3-70b-50ms");
  const auto& dc = library_spec<spec::DatacenterSpec>(spec::Kind::datacenter, "us-hyperscale-2025");
  spec::SystemSpec big = library_spec<spec::SystemSpec>(spec::Kind::system, "gb200-nvl72");
  big.power_w = 300000;
  const Expected<Comparison> c = compare_workload(workload, {&big}, dc, 1e5, spec::testing::builtin_library());
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  const SystemRow& row = c->rows[0];
  EXPECT_EQ(row.racks_per_system, 3);
  EXPECT_EQ(row.systems_per_rack, 0);
  EXPECT_DOUBLE_EQ(row.rack_power_w, 100000);
  EXPECT_EQ(row.systems_in_datacenter, 333);  // floor(100 MW / 300 kW)
  EXPECT_EQ(row.racks_in_datacenter, 999);
}

// A system of 1e-11 W once fitted 1e19 systems into 100 MW, past what an int64 holds: a negative count.
TEST(Compare, ImplausibleSystemPowerIsTheRowsProblemNotANegativeCount) {
  const auto& workload = library_spec<spec::WorkloadSpec>(spec::Kind::workload, "serve-llama3-70b-50ms");
  const auto& dc = library_spec<spec::DatacenterSpec>(spec::Kind::datacenter, "us-hyperscale-2025");
  spec::SystemSpec feather = library_spec<spec::SystemSpec>(spec::Kind::system, "dgx-h100");
  feather.power_w = 1e-11;
  const Expected<Comparison> c = compare_workload(workload, {&feather}, dc, 1e5, spec::testing::builtin_library());
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  ASSERT_EQ(c->rows.size(), 1u);
  EXPECT_EQ(c->rows[0].problem, "system power 1e-11 W is not a plausible figure");
  EXPECT_EQ(c->rows[0].systems_in_datacenter, 0);
  EXPECT_FALSE(c->rows[0].usd_per_mtoken);
}

TEST(Compare, TrainingRunsTheFastestPlanOverTheWholeMachine) {
  const auto& workload = library_spec<spec::WorkloadSpec>(spec::Kind::workload, "train-gpt3-175b-300b");
  const auto& dc = library_spec<spec::DatacenterSpec>(spec::Kind::datacenter, "us-hyperscale-2025");
  const std::vector<const spec::SystemSpec*> systems = {
      &library_spec<spec::SystemSpec>(spec::Kind::system, "dgx-h100"),
      &library_spec<spec::SystemSpec>(spec::Kind::system, "gb200-nvl72")};
  const Expected<Comparison> c = compare_workload(workload, systems, dc, 1e5, spec::testing::builtin_library());
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  const SystemRow& h100 = c->rows[0];
  ASSERT_GT(h100.run_hours, 0);
  EXPECT_EQ(h100.systems_used, 128);  // 1,024 chips in 8-GPU systems
  // The run: 300B tokens at the whole machine's rate; energy at every system's average power with PUE.
  EXPECT_NEAR(h100.run_hours, 300e9 / (h100.tokens_per_s * 128) / 3600, 1e-9 * h100.run_hours);
  EXPECT_NEAR(h100.run_mwh, h100.power_w * 128 * 1.12 * h100.run_hours / 1e6, 1e-9 * h100.run_mwh);
  EXPECT_LT(h100.power_w, 10200);
  // Training keeps the GPUs busier than serving's decode: their average sits between the floor of a
  // working chip (0.56 x 700 W) and TDP, its operations taking over a quarter of the headroom.
  ASSERT_TRUE(h100.chip_power);
  EXPECT_NEAR(h100.chip_power->static_w, 392, 1e-9);
  EXPECT_GT(h100.chip_power->total_w(), 392 + 0.25 * (700 - 392));
  EXPECT_LE(h100.chip_power->total_w(), 700 + 1e-9);
  EXPECT_NEAR(h100.run_usd, h100.tco.total_usd_per_hour() * 128 * h100.run_hours, 1e-6 * h100.run_usd);
  // 6 N per token on 1,024 H100s cannot beat their dense bf16 peak.
  const double flops_per_s = h100.tokens_per_s * 128 * 6 * 175e9;
  EXPECT_LT(flops_per_s, 1024 * 989.4e12);
  // 1,024 chips are not a whole number of 72-GPU racks: 64 of each of 16 racks run it, said in the row.
  const SystemRow& nvl72 = c->rows[1];
  EXPECT_EQ(nvl72.problem, "");
  EXPECT_EQ(nvl72.systems_used, 16);
  EXPECT_EQ(nvl72.chips_used, 1024);
  EXPECT_EQ(nvl72.placement, "1,024 is not a multiple of 72: 64 of each 72-chip system");
  ASSERT_GT(nvl72.run_hours, 0);
  EXPECT_NEAR(nvl72.run_hours, 300e9 / (nvl72.tokens_per_s * 16) / 3600, 1e-9 * nvl72.run_hours);
  // The 8 idle GPUs of each rack draw their static power only: between 64 and 72 GPUs' worth of work.
  ASSERT_TRUE(nvl72.chip_power);
  const double rest_w = nvl72.max_power_w - 72 * 1200.0;
  EXPECT_NEAR(nvl72.power_w, 64 * nvl72.chip_power->total_w() + 8 * nvl72.chip_power->static_w + rest_w, 1e-6);
}

TEST(Compare, GB200Nvl72RunsA16kChipTraining) {
  const auto& workload = library_spec<spec::WorkloadSpec>(spec::Kind::workload, "train-gpt3-175b-16k");
  const auto& dc = library_spec<spec::DatacenterSpec>(spec::Kind::datacenter, "us-hyperscale-2025");
  const std::vector<const spec::SystemSpec*> systems = {
      &library_spec<spec::SystemSpec>(spec::Kind::system, "dgx-h100"),
      &library_spec<spec::SystemSpec>(spec::Kind::system, "gb200-nvl72")};
  const Expected<Comparison> c = compare_workload(workload, systems, dc, 1e5, spec::testing::builtin_library());
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->rows[0].systems_used, 2048);  // 16,384 / 8: whole nodes
  EXPECT_EQ(c->rows[0].placement, "");
  EXPECT_EQ(c->rows[1].systems_used, 256);  // 16,384 / 64 of each rack
  EXPECT_EQ(c->rows[1].chips_used, 16384);
  EXPECT_GT(c->rows[1].run_hours, 0);
  // Per chip used, Blackwell at 1200 W outruns Hopper.
  EXPECT_GT(c->rows[1].tokens_per_s / 64, c->rows[0].tokens_per_s / 8);
}

// A library system rented at these prices per chip-hour (committed for a year), from "a cloud".
spec::SystemSpec rented_at(const char* system, double on_demand_usd, std::optional<double> committed_usd) {
  spec::SystemSpec rented = library_spec<spec::SystemSpec>(spec::Kind::system, system);
  rented.has_rent = true;
  rented.rent = {};
  rented.rent.provider = "a cloud";
  rented.rent.as_of = "2025-06";
  rented.rent.on_demand_usd_per_chip_hour = on_demand_usd;
  rented.rent.committed_usd_per_chip_hour = committed_usd;
  if (committed_usd) rented.rent.committed_years = 1;
  return rented;
}

// Renting: the chips at their cloud price per hour over the tokens they serve in that hour, beside the
// owned system's TCO; the custom system breaks even with each of the three.
TEST(Compare, RentIsTheChipsCloudPricePerTokenAndTheCustomChipBreaksEvenWithIt) {
  const auto& workload = library_spec<spec::WorkloadSpec>(spec::Kind::workload, "serve-llama3-70b-50ms");
  const auto& dc = library_spec<spec::DatacenterSpec>(spec::Kind::datacenter, "us-hyperscale-2025");
  const spec::SystemSpec rented = rented_at("dgx-h100", 6.88, 4.5);
  const std::vector<const spec::SystemSpec*> systems = {
      &library_spec<spec::SystemSpec>(spec::Kind::system, "xpu-1-node"), &rented};
  const Expected<Comparison> c = compare_workload(workload, systems, dc, 1e5, spec::testing::builtin_library());
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  const SystemRow& h100 = c->rows[1];
  ASSERT_TRUE(h100.rent && h100.usd_per_mtoken);
  // 8 GPUs x $6.88 = $55.04 an hour, over the millions of tokens the node serves in an hour.
  const double mtokens_per_hour = h100.tokens_per_s * 3600 / 1e6;
  EXPECT_NEAR(*h100.rent->on_demand_usd_per_mtoken, 55.04 / mtokens_per_hour, 1e-12);
  EXPECT_NEAR(*h100.rent->committed_usd_per_mtoken, 36.0 / mtokens_per_hour, 1e-12);
  EXPECT_NEAR(*h100.rent->best_usd_per_mtoken(), 36.0 / mtokens_per_hour, 1e-12);
  // Owned, the node costs its TCO every hour: owning wins once it is busy that share of the hours.
  ASSERT_TRUE(h100.rent->own_cheaper_above_utilization);
  EXPECT_NEAR(*h100.rent->own_cheaper_above_utilization, h100.tco.total_usd_per_hour() / 55.04, 1e-12);
  EXPECT_LT(*h100.usd_per_mtoken, *h100.rent->committed_usd_per_mtoken);  // at full use, owning is cheaper
  // Serving rents no run.
  EXPECT_FALSE(h100.run_rent_on_demand_usd);
  const SystemRow& xpu = c->rows[0];
  ASSERT_EQ(xpu.break_even.size(), 3u);
  EXPECT_EQ(xpu.break_even[0].basis, "buy");
  EXPECT_EQ(xpu.break_even[1].basis, "rent on demand");
  EXPECT_EQ(xpu.break_even[2].basis, "rent committed");
  EXPECT_DOUBLE_EQ(xpu.break_even[2].usd_per_mtoken, *h100.rent->committed_usd_per_mtoken);
  // Renting costs more per token than owning, so the custom chip pays off at a smaller volume against it.
  ASSERT_TRUE(xpu.break_even[0].volume && xpu.break_even[1].volume && xpu.break_even[2].volume);
  EXPECT_LT(*xpu.break_even[1].volume, *xpu.break_even[2].volume);
  EXPECT_LT(*xpu.break_even[2].volume, *xpu.break_even[0].volume);
  // Rebuilt at the break-even volume against committed rent, xpu-1's cost per token equals it.
  const Expected<Comparison> at = compare_workload(workload, {systems[0]}, dc, *xpu.break_even[2].volume,
                                                  spec::testing::builtin_library());
  ASSERT_TRUE(at.ok());
  EXPECT_NEAR(*at->rows[0].usd_per_mtoken / *h100.rent->committed_usd_per_mtoken, 1.0, 1e-9);
}

// A training run rents only the chips it uses, for its hours: 1,024 GPUs of 16 GB200 NVL72 racks.
TEST(Compare, ATrainingRunRentsTheChipsItUses) {
  const auto& workload = library_spec<spec::WorkloadSpec>(spec::Kind::workload, "train-gpt3-175b-300b");
  const auto& dc = library_spec<spec::DatacenterSpec>(spec::Kind::datacenter, "us-hyperscale-2025");
  const spec::SystemSpec rented = rented_at("gb200-nvl72", 10.5, std::nullopt);
  const Expected<Comparison> c = compare_workload(workload, {&rented}, dc, 1e5, spec::testing::builtin_library());
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  const SystemRow& row = c->rows[0];
  ASSERT_GT(row.run_hours, 0);
  ASSERT_TRUE(row.run_rent_on_demand_usd);
  EXPECT_NEAR(*row.run_rent_on_demand_usd, 10.5 * 1024 * row.run_hours, 1e-9 * *row.run_rent_on_demand_usd);
  EXPECT_FALSE(row.run_rent_committed_usd);
  ASSERT_TRUE(row.rent && row.rent->on_demand_usd_per_mtoken);
  EXPECT_FALSE(row.rent->committed_usd_per_mtoken);
  // Per token, the row is a whole rack's share: 72 chips rented for the rack's tokens.
  EXPECT_NEAR(*row.rent->on_demand_usd_per_mtoken, 10.5 * 72 / (row.tokens_per_s * 3600 / 1e6), 1e-12);
}

// compare --year: each vendor's newest systems shipping by then; later ones are rows saying so, and the
// custom chip is taken to arrive in that year whatever its spec says.
TEST(Compare, AYearPicksEachVendorsNewestSystemsAndMarksLaterOnes) {
  spec::Library user;
  Diagnostics d;
  user.add_derived(spec::parse_specs(R"(kind: system
name: h100-2023
base: dgx-h100
available_year: 2023
---
kind: system
name: h200-2024
base: hgx-h200
available_year: 2024
---
kind: system
name: b200-2025
base: dgx-b200
available_year: 2025
---
kind: system
name: mi300x-2024
base: mi300x-platform
available_year: 2024
---
kind: system
name: xpu-2030
base: xpu-1-node
available_year: 2030
)",
                                     "years.yaml")
                       .pending,
                   &spec::testing::builtin_library(), d);
  ASSERT_TRUE(d.empty());
  // The user's systems only, their chips from the library: the library's own years would change what
  // is newest.
  const spec::LayeredResolver specs(user, &spec::testing::builtin_library());
  struct UserSystems final : spec::SpecResolver {
    const spec::SpecResolver& all;
    const spec::Library& listed;
    UserSystems(const spec::SpecResolver& a, const spec::Library& l) : all(a), listed(l) {}
    const spec::Document* find(spec::Kind kind, std::string_view name) const override { return all.find(kind, name); }
    std::vector<std::string> names(spec::Kind kind) const override { return listed.names(kind); }
  } user_systems(specs, user);
  std::string basis;
  const std::vector<const spec::SystemSpec*> rivals = newest_systems_of_year(user_systems, 2024, basis);
  std::vector<std::string> names;
  for (const spec::SystemSpec* s : rivals) names.push_back(s->name);
  EXPECT_EQ(names, (std::vector<std::string>{"h200-2024", "mi300x-2024"}));
  EXPECT_EQ(basis, "each vendor's newest systems shipping by 2024: AMD 2024, NVIDIA 2024");
  EXPECT_EQ(newest_systems_of_year(user_systems, 2022, basis).size(), 0u);
  EXPECT_EQ(basis, "no system in the library ships by 2022");

  const auto& workload = library_spec<spec::WorkloadSpec>(spec::Kind::workload, "serve-llama3-70b-50ms");
  const auto& dc = library_spec<spec::DatacenterSpec>(spec::Kind::datacenter, "us-hyperscale-2025");
  const auto system = [&](const char* name) { return &std::get<spec::SystemSpec>(specs.find(spec::Kind::system, name)->spec); };
  const Expected<Comparison> c =
      compare_workload(workload, {system("xpu-2030"), system("h200-2024"), system("b200-2025")}, dc, specs,
                       CompareOptions{1e5, 0, 2024});
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->year, 2024);
  EXPECT_EQ(c->rows[0].available_year, 2024);  // the custom chip arrives in the year asked
  EXPECT_TRUE(c->rows[0].usd_per_mtoken);
  EXPECT_EQ(c->rows[1].available_year, 2024);
  EXPECT_EQ(c->rows[1].problem, "");
  EXPECT_EQ(c->rows[2].problem, "ships in 2025, after 2024");
  EXPECT_EQ(c->rows[2].tokens_per_s, 0);
  // Against the one that ships in time, bought and rented (HGX H200's on-demand AWS p5en price).
  ASSERT_EQ(c->rows[0].break_even.size(), 2u);
  EXPECT_EQ(c->rows[0].break_even[0].against, "h200-2024");
  EXPECT_EQ(c->rows[0].break_even[1].basis, "rent on demand");
}

TEST(Compare, ARowWithAResultKeepsNoReasonFromAFailedConfiguration) {
  // GPT-2 small has 12 heads: on 8 GPUs tp 1, 2 and 4 serve it, tp 8 cannot split them. The search
  // meets tp 8 last; its failure once stayed in the row beside the result of tp 1.
  spec::WorkloadSpec workload;
  workload.name = "serve-gpt2-small";
  workload.has_serve = true;
  workload.serve.model = "gpt2-small";
  workload.serve.prompt = 512;
  workload.serve.gen = 128;
  workload.serve.tpot_ms_max = 20;
  const auto& dc = library_spec<spec::DatacenterSpec>(spec::Kind::datacenter, "us-hyperscale-2025");
  const std::vector<const spec::SystemSpec*> systems = {
      &library_spec<spec::SystemSpec>(spec::Kind::system, "dgx-h100")};
  const Expected<Comparison> c = compare_workload(workload, systems, dc, 1e5, spec::testing::builtin_library());
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  ASSERT_EQ(c->rows.size(), 1u);
  const SystemRow& row = c->rows[0];
  EXPECT_GT(row.tokens_per_s, 0);
  ASSERT_TRUE(row.usd_per_mtoken);
  EXPECT_NE(row.best.tp, 8);
  EXPECT_EQ(row.problem, "");
}

TEST(Compare, ARowWithoutAResultSaysWhy) {
  // A context beyond GPT-2's 1,024 tokens: every configuration is refused, and the row says why.
  spec::WorkloadSpec workload;
  workload.name = "serve-gpt2-small-too-long";
  workload.has_serve = true;
  workload.serve.model = "gpt2-small";
  workload.serve.prompt = 2048;
  workload.serve.gen = 128;
  const auto& dc = library_spec<spec::DatacenterSpec>(spec::Kind::datacenter, "us-hyperscale-2025");
  const std::vector<const spec::SystemSpec*> systems = {
      &library_spec<spec::SystemSpec>(spec::Kind::system, "dgx-h100")};
  const Expected<Comparison> c = compare_workload(workload, systems, dc, 1e5, spec::testing::builtin_library());
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  const SystemRow& row = c->rows.at(0);
  EXPECT_EQ(row.tokens_per_s, 0);
  EXPECT_NE(row.problem.find("max_seq_len"), std::string::npos) << row.problem;
}

}  // namespace
}  // namespace xpusim::compare
