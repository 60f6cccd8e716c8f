// Rules of systems, networks and clusters: references, topology shapes, link budgets, reach.
#include <gtest/gtest.h>

#include "spec_test_util.h"

namespace xpusim::spec {
namespace {

using testing::check_yaml;
using testing::only;
using testing::replace;

// Resolves against the tiny chip plus the built-in library.
class SystemRules : public ::testing::Test {
 protected:
  void SetUp() override {
    Diagnostics d;
    user_.add(parse_specs(testing::kTinyChip, "chip.yaml").documents, d);
    ASSERT_TRUE(d.empty());
  }
  Diagnostics check(const std::string& yaml) {
    const LayeredResolver resolver(user_, &testing::builtin_library());
    return check_yaml(yaml, &resolver);
  }
  Library user_;
};

const char* kTinySystem = R"(kind: system
name: tiny-node
chip: tiny
chip_count: 8
scale_up:
  network: ethernet-800g
  topology: switched
  bandwidth_gb_s_per_direction: 200
scale_out: {network: ethernet-400g, nic_count: 8, nic_gbps: 400}
)";

TEST_F(SystemRules, AcceptsTheTinySystem) {
  EXPECT_TRUE(check(kTinySystem).empty()) << only(check(kTinySystem));
}

TEST_F(SystemRules, ReportsADanglingChipWithASuggestion) {
  EXPECT_EQ(only(check(replace(kTinySystem, "chip: tiny", "chip: h100-sx"))),
            "test.yaml:3:7: error: chip: no chip named 'h100-sx' (did you mean 'h100-sxm'?)");
  EXPECT_EQ(only(check(replace(kTinySystem, "network: ethernet-800g", "network: nothing-like-it"))),
            "test.yaml:6:12: error: scale_up.network: no network named 'nothing-like-it' (see `xpusim specs list "
            "--kind network`)");
}

TEST_F(SystemRules, ScaleUpCannotExceedTheChipsLinks) {
  // The tiny chip has 4 links x 50 GB/s = 200 GB/s per direction.
  EXPECT_EQ(only(check(replace(kTinySystem, "bandwidth_gb_s_per_direction: 200", "bandwidth_gb_s_per_direction: 250"))),
            "test.yaml:8:33: error: scale_up.bandwidth_gb_s_per_direction: 250 GB/s per chip is more than chip 'tiny' "
            "has in links (4 x 50 GB/s); allowed (0, 200]");
}

TEST_F(SystemRules, TorusDimensionsMustMultiplyToTheDomain) {
  const std::string torus = replace(kTinySystem, "topology: switched", "topology: torus\n  torus_dims: [2, 2, 3]");
  EXPECT_EQ(only(check(torus)),
            "test.yaml:8:15: error: scale_up.torus_dims: 2x2x3 holds 12 chips but the scale-up domain has 8");
  EXPECT_TRUE(check(replace(torus, "[2, 2, 3]", "[2, 2, 2]")).empty());
  EXPECT_EQ(only(check(replace(kTinySystem, "topology: switched", "topology: torus"))),
            "test.yaml:7:13: error: scale_up.torus_dims: a torus needs its dimensions (add scale_up.torus_dims, e.g. "
            "[4, 4, 4])");
}

TEST_F(SystemRules, DomainMustDivideTheSystem) {
  EXPECT_EQ(only(check(replace(kTinySystem, "topology: switched", "topology: switched\n  domain_size: 3"))),
            "test.yaml:8:16: error: scale_up.domain_size: domain of 3 chips does not divide the system's 8 chips");
}

TEST_F(SystemRules, DomainCannotExceedTheSystem) {
  EXPECT_EQ(only(check(replace(kTinySystem, "topology: switched", "topology: switched\n  domain_size: 16"))),
            "test.yaml:8:16: error: scale_up.domain_size: domain of 16 chips is larger than the system's 8; allowed "
            "[1, 8]");
}

TEST_F(SystemRules, TorusDimensionsNeedATorus) {
  EXPECT_EQ(only(check(replace(kTinySystem, "topology: switched", "topology: switched\n  torus_dims: [2, 4]"))),
            "test.yaml:8:15: error: scale_up.torus_dims: dimensions are given but the topology is switched (use "
            "topology: torus or mesh)");
  EXPECT_EQ(only(check(replace(kTinySystem, "topology: switched", "topology: mesh\n  torus_dims: [0, 8]"))),
            "test.yaml:8:16: error: scale_up.torus_dims[0]: value 0 is out of range; allowed [1, 1048576]");
  // 2^62 + 1 times 8 wraps to 8 in 64-bit arithmetic; it must not pass.
  EXPECT_EQ(
      only(check(replace(kTinySystem, "topology: switched", "topology: mesh\n  torus_dims: [4611686018427387905, 8]"))),
      "test.yaml:8:16: error: scale_up.torus_dims[0]: value 4611686018427387905 is out of range; allowed [1, "
      "1048576]");
}

TEST_F(SystemRules, NicSpeedMustMatchItsLink) {
  EXPECT_EQ(
      only(check(replace(kTinySystem, "nic_gbps: 400", "nic_gbps: 800"))),
      "test.yaml:9:61: error: scale_out.nic_gbps: NIC speed 800 Gb/s differs from link 'ethernet-400g' (400 Gb/s)");
  EXPECT_EQ(
      only(check(replace(kTinySystem, "{network: ethernet-400g", "{network: broadcom-tomahawk5"))),
      "test.yaml:9:22: error: scale_out.network: 'broadcom-tomahawk5' is a switch; a NIC's network must be a link "
      "spec");
}

const char* kSwitch = R"(kind: network
name: sw
type: switch
protocol: ethernet
switch: {radix: 64, port_speed_gbps: 800, capacity_tbps: 51.2}
)";

// DGX H100's shape with a power to vary: 8 x 700 W GPUs need 5,600 W, and 10% more for their hosts.
const char* kH100Node = R"(kind: system
name: h100-node
chip: h100-sxm
chip_count: 8
scale_up:
  network: nvlink4-switch
  topology: switched
  bandwidth_gb_s_per_direction: 450
power_w: 10200
)";

TEST_F(SystemRules, PowerCoversTheChipsAndAHostShare) {
  EXPECT_TRUE(check(kH100Node).empty()) << only(check(kH100Node));
  EXPECT_TRUE(check(replace(kH100Node, "power_w: 10200", "power_w: 6160")).empty());  // 5,600 x 1.1
  EXPECT_EQ(only(check(replace(kH100Node, "power_w: 10200", "power_w: 6159"))),
            "test.yaml:9:10: error: power_w: system power 6159 W is less than its 8 chips and their hosts draw "
            "(8 x 700 W TDP of 'h100-sxm' = 5600 W, plus 10% for hosts, NICs and fans); allowed >= 6160");
}

// Issue 11, item 2: a rent offering says when its prices were read, states a price, pairs a committed price
// with its term, and a commitment undercuts the on-demand price (per chip-hour both).
const char* kRentedNode = R"(kind: system
name: rented-node
chip: tiny
chip_count: 8
scale_up: {network: ethernet-800g, topology: switched, bandwidth_gb_s_per_direction: 200}
rent:
  provider: "Example Cloud x8, region-1"
  as_of: "2025-06"
  on_demand_usd_per_chip_hour: 4
  committed_usd_per_chip_hour: 2.5
  committed_years: 3
)";

TEST_F(SystemRules, AcceptsARentWithEitherOrBothPrices) {
  EXPECT_TRUE(check(kRentedNode).empty()) << only(check(kRentedNode));
  EXPECT_TRUE(check(replace(kRentedNode, "\"2025-06\"", "\"2025-06-30\"")).empty());
  const std::string on_demand_only =
      replace(replace(kRentedNode, "  committed_usd_per_chip_hour: 2.5\n", ""), "  committed_years: 3\n", "");
  EXPECT_TRUE(check(on_demand_only).empty()) << only(check(on_demand_only));
  const std::string committed_only = replace(kRentedNode, "  on_demand_usd_per_chip_hour: 4\n", "");
  EXPECT_TRUE(check(committed_only).empty()) << only(check(committed_only));
  // Equal prices are allowed: a provider may publish no discount for a term.
  EXPECT_TRUE(check(replace(kRentedNode, "committed_usd_per_chip_hour: 2.5", "committed_usd_per_chip_hour: 4")).empty());
}

TEST_F(SystemRules, RentNeedsADate) {
  EXPECT_EQ(only(check(replace(kRentedNode, "\"2025-06\"", "\"2025-13\""))),
            "test.yaml:8:10: error: rent.as_of: '2025-13' is not a date; allowed YYYY-MM or YYYY-MM-DD, e.g. 2025-06 "
            "or 2025-06-01");
  EXPECT_EQ(only(check(replace(kRentedNode, "\"2025-06\"", "\"June 2025\""))),
            "test.yaml:8:10: error: rent.as_of: 'June 2025' is not a date; allowed YYYY-MM or YYYY-MM-DD, e.g. "
            "2025-06 or 2025-06-01");
  EXPECT_EQ(only(check(replace(kRentedNode, "\"2025-06\"", "\"2025-06-32\""))),
            "test.yaml:8:10: error: rent.as_of: '2025-06-32' is not a date; allowed YYYY-MM or YYYY-MM-DD, e.g. "
            "2025-06 or 2025-06-01");
}

TEST_F(SystemRules, RentNeedsAPrice) {
  const std::string no_price = replace(replace(replace(kRentedNode, "  on_demand_usd_per_chip_hour: 4\n", ""),
                                               "  committed_usd_per_chip_hour: 2.5\n", ""),
                                       "  committed_years: 3\n", "");
  EXPECT_EQ(only(check(no_price)),
            "test.yaml:7:3: error: rent: a rent offering without a price (give on_demand_usd_per_chip_hour, "
            "committed_usd_per_chip_hour or both)");
}

TEST_F(SystemRules, ACommittedPriceAndItsTermComeTogether) {
  EXPECT_EQ(only(check(replace(kRentedNode, "  committed_years: 3\n", ""))),
            "test.yaml:10:32: error: rent.committed_years: a committed price needs the term it commits to (add "
            "committed_years: 1 (or 3))");
  EXPECT_EQ(only(check(replace(kRentedNode, "  committed_usd_per_chip_hour: 2.5\n", ""))),
            "test.yaml:10:20: error: rent.committed_years: a commitment term without a committed_usd_per_chip_hour");
}

TEST_F(SystemRules, ACommitmentCannotCostMoreThanOnDemand) {
  // A per-instance price written as per chip ($20 for 8 chips) is the usual slip this catches.
  EXPECT_EQ(only(check(replace(kRentedNode, "committed_usd_per_chip_hour: 2.5", "committed_usd_per_chip_hour: 20"))),
            "test.yaml:10:32: error: rent.committed_usd_per_chip_hour: committed price $20 per chip-hour is more than "
            "the on-demand $4; allowed <= 4");
}

TEST_F(SystemRules, ASystemShipsNoEarlierThanItsChip) {
  // h100-sxm is in the library with available_year 2022 (first OEM systems October 2022).
  const std::string node = std::string(kH100Node) + "available_year: 2023\n";
  EXPECT_TRUE(check(node).empty()) << only(check(node));
  EXPECT_TRUE(check(replace(node, "available_year: 2023", "available_year: 2022")).empty());
  EXPECT_EQ(only(check(replace(node, "available_year: 2023", "available_year: 2021"))),
            "test.yaml:10:17: error: available_year: the system ships in 2021, before its chip 'h100-sxm' (2022); "
            "allowed >= 2022");
}

// One tier of switches: a switched domain holds at most a radix of chips (Tomahawk 6: 128).
TEST_F(SystemRules, ASwitchedDomainFitsItsSwitchesRadix) {
  const std::string rack = replace(replace(replace(kH100Node, "chip: h100-sxm", "chip: xpu-1"), "chip_count: 8",
                                           "chip_count: 128"),
                                   "network: nvlink4-switch", "network: broadcom-tomahawk6");
  const std::string fitting = replace(replace(rack, "bandwidth_gb_s_per_direction: 450",
                                              "bandwidth_gb_s_per_direction: 1600"),
                                      "power_w: 10200", "power_w: 150000");
  EXPECT_TRUE(check(fitting).empty()) << only(check(fitting));
  EXPECT_EQ(only(check(replace(fitting, "chip_count: 128", "chip_count: 129"))),
            "test.yaml:4:13: error: chip_count: a one-tier switched domain of 129 chips needs 129 ports on each "
            "switch, but 'broadcom-tomahawk6' has 128; allowed at most 128 chips per scale-up domain (split the "
            "system into domains (scale_up.domain_size) or use a larger switch)");
  // Split into two domains of 128, 256 chips fit (with the power of 256 chips).
  const std::string two_domains =
      replace(replace(replace(fitting, "chip_count: 128", "chip_count: 256"), "power_w: 150000", "power_w: 300000"),
              "  topology: switched", "  topology: switched\n  domain_size: 128");
  EXPECT_TRUE(check(two_domains).empty()) << only(check(two_domains));
}

TEST_F(SystemRules, DeclaredSwitchesHoldEveryChipsPorts) {
  // DGX B200: 8 GPUs x 18 NVLink5 ports = 144 = 2 switches x 72, exactly.
  const std::string b200 = replace(replace(replace(kH100Node, "chip: h100-sxm", "chip: b200"),
                                           "network: nvlink4-switch", "network: nvlink5-switch"),
                                   "bandwidth_gb_s_per_direction: 450",
                                   "bandwidth_gb_s_per_direction: 900\n  switch_count: 2");
  const std::string powered = replace(b200, "power_w: 10200", "power_w: 14300");
  EXPECT_TRUE(check(powered).empty()) << only(check(powered));
  EXPECT_EQ(only(check(replace(powered, "switch_count: 2", "switch_count: 1"))),
            "test.yaml:9:17: error: scale_up.switch_count: 8 chips x 18 ports of 400 Gb/s = 144 ports, but 1 x "
            "72-port switches ('nvlink5-switch') give 72; allowed switch_count >= 2");
}

TEST(ScaleUpSwitches, PortsAndSwitchesOfLibrarySystems) {
  const auto& dgx = testing::library_spec<SystemSpec>(Kind::system, "dgx-h100");
  const auto& nvl72 = testing::library_spec<SystemSpec>(Kind::system, "gb200-nvl72");
  const auto& nvlink4 = testing::library_spec<NetworkSpec>(Kind::network, "nvlink4-switch").switch_asic;
  const auto& nvlink5 = testing::library_spec<NetworkSpec>(Kind::network, "nvlink5-switch").switch_asic;
  EXPECT_EQ(scale_up_ports(dgx, nvlink4), 8 * 18);    // 450 GB/s = 18 x 200 Gb/s per GPU
  EXPECT_EQ(scale_up_switches(dgx, nvlink4), 4);      // as declared (4 x NVSwitch gen3)
  EXPECT_EQ(scale_up_ports(nvl72, nvlink5), 72 * 18);  // 900 GB/s = 18 x 400 Gb/s per GPU
  EXPECT_EQ(scale_up_switches(nvl72, nvlink5), 18);
  SystemSpec undeclared = dgx;
  undeclared.scale_up.switch_count.reset();
  EXPECT_EQ(scale_up_switches(undeclared, nvlink4), 3);  // the fewest that hold 144 ports: ceil(144 / 64)
}

TEST(NetworkRules, CapacityIsRadixTimesPortSpeed) {
  EXPECT_TRUE(check_yaml(kSwitch).empty());
  EXPECT_EQ(
      only(check_yaml(replace(kSwitch, "capacity_tbps: 51.2", "capacity_tbps: 102.4"))),
      "test.yaml:5:58: error: switch.capacity_tbps: capacity 102.4 Tb/s differs from radix x port speed = 64 x 800 "
      "Gb/s = 51.2 Tb/s; allowed within 1%");
}

TEST(NetworkRules, LaneCannotOutrunItsPort) {
  EXPECT_EQ(
      only(check_yaml(replace(replace(kSwitch, "capacity_tbps: 51.2}", "capacity_tbps: 6.4, serdes_gbps: 200}"),
                              "port_speed_gbps: 800", "port_speed_gbps: 100"))),
      "test.yaml:5:76: error: switch.serdes_gbps: a 200 Gb/s lane is faster than the 100 Gb/s port it belongs to");
}

TEST(NetworkRules, TypeAndSectionMustAgree) {
  const Diagnostics d = check_yaml(replace(kSwitch, "type: switch", "type: link"));
  ASSERT_EQ(d.items().size(), 2u) << only(d);
  EXPECT_EQ(d.items()[0].to_string(), "test.yaml:3:7: error: link: a network of type link needs a link: section");
  EXPECT_EQ(
      d.items()[1].to_string(),
      "test.yaml:5:9: error: switch: a network of type link takes no switch: section (did you mean type: switch?)");
}

const char* kCluster = R"(kind: cluster
name: c
system: dgx-h100
system_count: 32
scale_out: {topology: fat_tree, switch: nvidia-quantum2-ndr, tiers: 1}
)";

TEST(ClusterRules, SwitchesMustReachEveryNic) {
  const Library& library = testing::builtin_library();
  // dgx-h100 has 8 x 400G NICs; one 64-port NDR switch reaches 64 NICs, two tiers 2 x 32 x 32 = 2048.
  EXPECT_EQ(only(check_yaml(kCluster, &library)),
            "test.yaml:4:15: error: system_count: 256 NICs cannot be reached by 1 tier(s) of 64-port switches "
            "('nvidia-quantum2-ndr'); allowed at most 64 NICs (add a tier or use a larger switch)");
  EXPECT_TRUE(check_yaml(replace(kCluster, "tiers: 1", "tiers: 2"), &library).empty());
  EXPECT_EQ(only(check_yaml(replace(replace(kCluster, "tiers: 1", "tiers: 2"), "system_count: 32", "system_count: 257"),
                            &library)),
            "test.yaml:4:15: error: system_count: 2056 NICs cannot be reached by 2 tier(s) of 64-port switches "
            "('nvidia-quantum2-ndr'); allowed at most 2048 NICs (add a tier or use a larger switch)");
}

TEST(ClusterRules, SwitchReferenceMustBeASwitch) {
  EXPECT_EQ(only(check_yaml(replace(kCluster, "switch: nvidia-quantum2-ndr", "switch: ethernet-400g"),
                            &testing::builtin_library())),
            "test.yaml:5:41: error: scale_out.switch: 'ethernet-400g' is a link; scale_out.switch must name a switch "
            "spec");
}

TEST(ClusterRules, LinkReferenceMustBeALink) {
  EXPECT_EQ(
      only(check_yaml(
          replace(replace(kCluster, "tiers: 1", "tiers: 2"), "tiers: 2}", "tiers: 2, link: broadcom-tomahawk5}"),
          &testing::builtin_library())),
      "test.yaml:5:78: error: scale_out.link: 'broadcom-tomahawk5' is a switch; scale_out.link must name a link spec");
}

TEST(ClusterRules, SystemsWithoutNicsCannotBeJoined) {
  Library user;
  Diagnostics d;
  user.add(parse_specs("kind: system\nname: lonely\nchip: h100-sxm\nchip_count: 8\n"
                       "scale_up: {network: nvlink4-switch, topology: switched, bandwidth_gb_s_per_direction: 450}\n",
                       "s.yaml")
               .documents,
           d);
  ASSERT_TRUE(d.empty()) << only(d);
  const LayeredResolver resolver(user, &testing::builtin_library());
  EXPECT_EQ(only(check_yaml(replace(kCluster, "system: dgx-h100", "system: lonely"), &resolver)),
            "test.yaml:3:9: error: system: system 'lonely' has no scale_out NICs, so 32 of them cannot be joined");
}

TEST(DatacenterRules, HardwareOutlivingTheBuildingIsAWarning) {
  const char* dc =
      "kind: datacenter\nname: dc\ncritical_power_mw: 10\npue: 1.2\nelectricity_usd_per_kwh: 0.08\n"
      "facility_capex_usd_per_mw: 1e7\nfacility_depreciation_years: 4\nhardware_depreciation_years: 5\n";
  const Diagnostics d = check_yaml(dc);
  EXPECT_EQ(only(d),
            "test.yaml:8:30: warning: hardware_depreciation_years: hardware outliving the building it stands "
            "in is unusual");
  EXPECT_FALSE(d.has_errors());
}

TEST(SourceRules, SourceKeysMustNameFields) {
  const std::string yaml = std::string(kSwitch) + "sources: {switch.radixx: \"datasheet\"}\n";
  EXPECT_EQ(only(check_yaml(yaml)),
            "test.yaml:6:26: error: sources.switch.radixx: 'switch.radixx' names no field of a network (did you mean "
            "'switch.radix'?)");
}

TEST(SourceRules, StrictModeWantsASourceForEveryNumber) {
  const std::string yaml =
      std::string(kSwitch) + "sources: {switch.radix: \"datasheet\", switch.capacity_tbps: \"x\"}\n";
  const Diagnostics d = check_yaml(yaml, nullptr, true);
  EXPECT_EQ(only(d),
            "test.yaml:5:38: warning: switch.port_speed_gbps: published number without a source (add sources: "
            "{switch.port_speed_gbps: \"...\"} or a source for a parent field)");
  EXPECT_TRUE(check_yaml(std::string(kSwitch) + "sources: {switch: \"datasheet\"}\n", nullptr, true).empty());
}

TEST(NameRules, NamesUseASafeAlphabet) {
  EXPECT_EQ(only(check_yaml(replace(kSwitch, "name: sw", "name: \"My Switch\""))),
            "test.yaml:2:7: error: name: 'My Switch' is not a valid name (use 1 to 64 lowercase letters, digits, '-', "
            "'.' or '_', starting with a letter or digit)");
}

TEST(PlaceJob, WholeSystemsWhenTheyDivideTheJob) {
  SystemSpec node;
  node.chip_count = 8;
  const Placement p = place_job(node, 1024);
  EXPECT_EQ(p.systems, 128);
  EXPECT_EQ(p.chips_per_system, 8);
  EXPECT_EQ(p.why, "");
}

TEST(PlaceJob, ThePartOfEachSystemThatDividesTheJob) {
  SystemSpec rack;
  rack.chip_count = 72;
  // 1,024 = 16 x 64: the largest divisor of the job between 36 and 71.
  Placement p = place_job(rack, 1024);
  EXPECT_EQ(p.systems, 16);
  EXPECT_EQ(p.chips_per_system, 64);
  EXPECT_EQ(p.why, "1,024 is not a multiple of 72: 64 of each 72-chip system");
  // 1,000 = 20 x 50.
  p = place_job(rack, 1000);
  EXPECT_EQ(p.systems, 20);
  EXPECT_EQ(p.chips_per_system, 50);
  // A job smaller than one system uses part of one.
  p = place_job(rack, 8);
  EXPECT_EQ(p.systems, 1);
  EXPECT_EQ(p.chips_per_system, 8);
  EXPECT_EQ(p.why, "8 of one 72-chip system");
  // 1,021 is prime: no count of 36 to 71 chips divides it.
  p = place_job(rack, 1021);
  EXPECT_FALSE(p.ok());
  EXPECT_EQ(p.why, "1,021 chips fill no whole number of 72-chip systems, nor half of each of some number of them");
}

TEST(PlaceJob, ATorusIsUsedWhole) {
  SystemSpec slice;
  slice.chip_count = 64;
  slice.scale_up.torus_dims = {4, 4, 4};
  EXPECT_EQ(place_job(slice, 1024).systems, 16);
  const Placement p = place_job(slice, 1000);
  EXPECT_FALSE(p.ok());
  EXPECT_EQ(p.why, "1,000 is not a multiple of 64 and a torus system is used whole");
}

TEST(PartOfSystem, ShrinksTheDomainAndTheNicsWithTheChipsUsed) {
  SystemSpec rack;
  rack.chip_count = 72;
  rack.has_scale_out = true;
  rack.scale_out.nic_count = 72;
  rack.power_w = 120000;
  const SystemSpec part = part_of_system(rack, 64);
  EXPECT_EQ(part.chip_count, 64);
  EXPECT_EQ(part.scale_up_domain_size(), 64);
  EXPECT_EQ(part.scale_out.nic_count, 64);
  EXPECT_EQ(part.power_w, 120000);  // costed whole
}

}  // namespace
}  // namespace xpusim::spec
