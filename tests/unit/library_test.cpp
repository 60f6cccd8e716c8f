// The built-in library: every part the project promises is there, every spec passes the strict
// check (every number sourced), and every spec survives a YAML round trip.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "spec/writers.h"
#include "spec_test_util.h"

namespace xpusim::spec {
namespace {

using testing::builtin_library;
using testing::only;

struct Expected {
  Kind kind;
  const char* name;
};

TEST(Library, HoldsEveryPromisedPart) {
  const Expected parts[] = {
      {Kind::chip, "a100-sxm-80gb"},
      {Kind::chip, "h100-sxm"},
      {Kind::chip, "h200-sxm"},
      {Kind::chip, "b200"},
      {Kind::chip, "gb200"},
      {Kind::chip, "b300"},
      {Kind::chip, "gb300"},
      {Kind::chip, "rubin"},
      {Kind::chip, "tpu-v4"},
      {Kind::chip, "tpu-v5p"},
      {Kind::chip, "tpu-v6e"},
      {Kind::chip, "mi300x"},
      {Kind::chip, "trainium2"},
      {Kind::chip, "xpu-1"},
      {Kind::system, "dgx-a100"},
      {Kind::system, "dgx-h100"},
      {Kind::system, "hgx-h200"},
      {Kind::system, "dgx-b200"},
      {Kind::system, "gb200-nvl72"},
      {Kind::system, "dgx-b300"},
      {Kind::system, "gb300-nvl72"},
      {Kind::system, "vera-rubin-nvl144"},
      {Kind::system, "tpu-v6e-16x16"},
      {Kind::system, "trn2-node"},
      {Kind::system, "mi300x-platform"},
      {Kind::system, "tpu-v4-4x4x4"},
      {Kind::system, "tpu-v5p-4x4x4"},
      {Kind::system, "xpu-1-node"},
      {Kind::system, "xpu-1-rack"},
      {Kind::network, "broadcom-tomahawk5"},
      {Kind::network, "broadcom-tomahawk6"},
      {Kind::network, "broadcom-jericho3-ai"},
      {Kind::network, "nvidia-quantum2-ndr"},
      {Kind::network, "nvlink4-switch"},
      {Kind::network, "nvlink5-switch"},
      {Kind::network, "tpu-v4-ici"},
      {Kind::network, "ethernet-400g"},
      {Kind::network, "ethernet-800g"},
      {Kind::model, "gpt2-small"},
      {Kind::model, "gpt2-medium"},
      {Kind::model, "gpt2-large"},
      {Kind::model, "gpt2-xl"},
      {Kind::model, "gpt3-175b"},
      {Kind::model, "llama2-7b"},
      {Kind::model, "llama2-13b"},
      {Kind::model, "llama2-70b"},
      {Kind::model, "llama3-8b"},
      {Kind::model, "llama3-70b"},
      {Kind::model, "llama3-405b"},
      {Kind::model, "mixtral-8x7b"},
      {Kind::model, "deepseek-v3"},
      {Kind::model, "megatron-gpt-1.7b"},
      {Kind::model, "megatron-gpt-1t"},
  };
  for (const Expected& part : parts)
    EXPECT_NE(builtin_library().find(part.kind, part.name), nullptr) << kind_name(part.kind) << " " << part.name;
  EXPECT_FALSE(builtin_library().names(Kind::datacenter).empty());
  EXPECT_FALSE(builtin_library().names(Kind::cluster).empty());
}

TEST(Library, EverySpecPassesTheStrictCheck) {
  Diagnostics diagnostics;
  builtin_library().check_all(/*require_sources=*/true, diagnostics);
  EXPECT_TRUE(diagnostics.empty()) << Error(diagnostics).to_string();
}

// Issue 11: every built-in system has a nameplate power and a price: bought (price_usd), built from custom
// chips (the rest of its bill of materials) or, for chips that are only rented (TPU v6e), a rent; each with
// a source. Every switch has a price per port and a latency, so compare never counts a missing figure as zero.
TEST(Library, EverySystemHasPowerAndAPriceEverySwitchAPortPriceAndLatency) {
  for (const std::string& name : builtin_library().names(Kind::system)) {
    const auto& s = std::get<SystemSpec>(builtin_library().find(Kind::system, name)->spec);
    EXPECT_TRUE(s.power_w) << name;
    EXPECT_TRUE(s.sources.contains("power_w")) << name;
    const auto& chip = std::get<ChipSpec>(builtin_library().find(Kind::chip, s.chip)->spec);
    if (chip.family == "xpu") {
      EXPECT_TRUE(s.other_bom_usd.has_value()) << name;
      EXPECT_TRUE(s.sources.contains("other_bom_usd")) << name;
    } else {
      EXPECT_TRUE(s.price_usd.has_value() || s.has_rent) << name << ": neither price_usd nor rent";
      if (s.price_usd) {
        EXPECT_TRUE(s.sources.contains("price_usd")) << name;
      }
    }
    if (s.has_rent) {
      if (s.rent.on_demand_usd_per_chip_hour) {
        EXPECT_TRUE(s.sources.contains("rent.on_demand_usd_per_chip_hour")) << name;
      }
      if (s.rent.committed_usd_per_chip_hour) {
        EXPECT_TRUE(s.sources.contains("rent.committed_usd_per_chip_hour")) << name;
      }
    }
  }
  for (const std::string& name : builtin_library().names(Kind::network)) {
    const auto& n = std::get<NetworkSpec>(builtin_library().find(Kind::network, name)->spec);
    if (!n.has_switch) continue;
    EXPECT_TRUE(n.switch_asic.price_usd_per_port) << name;
    EXPECT_TRUE(n.switch_asic.latency_ns) << name;
  }
}

// Issue 11: every built-in chip and system says when it first shipped in volume (or, for xpusim's own
// design and announced parts, when it is planned to), with a source; a system never before its chip.
TEST(Library, EveryChipAndSystemHasAnAvailableYear) {
  for (const std::string& name : builtin_library().names(Kind::chip)) {
    const auto& chip = std::get<ChipSpec>(builtin_library().find(Kind::chip, name)->spec);
    ASSERT_TRUE(chip.available_year) << name;
    EXPECT_TRUE(chip.sources.contains("available_year")) << name;
  }
  for (const std::string& name : builtin_library().names(Kind::system)) {
    const auto& s = std::get<SystemSpec>(builtin_library().find(Kind::system, name)->spec);
    ASSERT_TRUE(s.available_year) << name;
    EXPECT_TRUE(s.sources.contains("available_year")) << name;
    const auto& chip = std::get<ChipSpec>(builtin_library().find(Kind::chip, s.chip)->spec);
    EXPECT_GE(*s.available_year, *chip.available_year) << name;
  }
  // Spot checks against the launch record (HF A.6): A100 2020, DGX H100 in Q1 2023 after the H100's
  // first OEM systems in October 2022, TPU v6e generally available 2024-12-12.
  EXPECT_EQ(testing::library_spec<ChipSpec>(Kind::chip, "a100-sxm-80gb").available_year, 2020);
  EXPECT_EQ(testing::library_spec<ChipSpec>(Kind::chip, "h100-sxm").available_year, 2022);
  EXPECT_EQ(testing::library_spec<SystemSpec>(Kind::system, "dgx-h100").available_year, 2023);
  EXPECT_EQ(testing::library_spec<SystemSpec>(Kind::system, "tpu-v6e-16x16").available_year, 2024);
}

// Rent is per chip-hour: the published instance prices divided by the chips in the instance (HF F).
TEST(Library, RentIsThePublishedInstancePricePerChip) {
  const auto rent = [](const char* name) { return testing::library_spec<SystemSpec>(Kind::system, name).rent; };
  EXPECT_NEAR(*rent("dgx-h100").on_demand_usd_per_chip_hour, 55.04 / 8, 0.001);        // AWS p5.48xlarge
  EXPECT_NEAR(*rent("dgx-h100").committed_usd_per_chip_hour, 23.777 / 8, 0.001);       // 3-year reserved
  EXPECT_NEAR(*rent("dgx-b200").on_demand_usd_per_chip_hour, 113.9328 / 8, 0.001);     // AWS p6-b200.48xlarge
  EXPECT_NEAR(*rent("gb200-nvl72").on_demand_usd_per_chip_hour, 42.00 / 4, 0.001);     // CoreWeave 4-GPU slice
  EXPECT_NEAR(*rent("mi300x-platform").on_demand_usd_per_chip_hour, 48.00 / 8, 0.001); // Azure ND MI300X v5
  EXPECT_NEAR(*rent("trn2-node").on_demand_usd_per_chip_hour, 35.76 / 16, 0.001);      // trn2.48xlarge
  EXPECT_EQ(*rent("tpu-v6e-16x16").committed_years, 3);
  EXPECT_DOUBLE_EQ(*rent("tpu-v6e-16x16").committed_usd_per_chip_hour, 1.22);          // Trillium 3-year CUD
}

TEST(Library, EverySpecSurvivesAYamlRoundTrip) {
  for (const Document* doc : builtin_library().documents()) {
    const std::string yaml = to_yaml(doc->spec);
    const LoadResult again = parse_specs(yaml, doc->name());
    ASSERT_TRUE(again.diagnostics.empty()) << only(again.diagnostics) << "\n" << yaml;
    ASSERT_EQ(again.documents.size(), 1u);
    EXPECT_EQ(to_json(doc->spec), to_json(again.documents[0].spec)) << doc->name();
  }
}

TEST(Library, ReportsASecondSpecWithTheSameName) {
  Library library;
  Diagnostics d;
  library.add(parse_specs(testing::kTinyChip, "a.yaml").documents, d);
  library.add(parse_specs(testing::kTinyChip, "b.yaml").documents, d);
  EXPECT_EQ(only(d), "b.yaml:2:7: error: name: a chip named 'tiny' already exists at a.yaml:1");
}

}  // namespace
}  // namespace xpusim::spec
