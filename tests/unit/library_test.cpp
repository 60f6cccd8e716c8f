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

// Issue 11: every built-in system has a nameplate power and a price (bought) or the rest of its bill of
// materials (built from custom chips), each with a source; and every switch a price per port and a
// latency, so compare never counts a missing figure as zero.
TEST(Library, EverySystemHasPowerAndAPriceEverySwitchAPortPriceAndLatency) {
  for (const std::string& name : builtin_library().names(Kind::system)) {
    const auto& s = std::get<SystemSpec>(builtin_library().find(Kind::system, name)->spec);
    EXPECT_TRUE(s.power_w) << name;
    EXPECT_TRUE(s.sources.contains("power_w")) << name;
    const auto& chip = std::get<ChipSpec>(builtin_library().find(Kind::chip, s.chip)->spec);
    const std::string priced_by = chip.family == "xpu" ? "other_bom_usd" : "price_usd";
    EXPECT_TRUE(chip.family == "xpu" ? s.other_bom_usd.has_value() : s.price_usd.has_value()) << name;
    EXPECT_TRUE(s.sources.contains(priced_by)) << name << " " << priced_by;
  }
  for (const std::string& name : builtin_library().names(Kind::network)) {
    const auto& n = std::get<NetworkSpec>(builtin_library().find(Kind::network, name)->spec);
    if (!n.has_switch) continue;
    EXPECT_TRUE(n.switch_asic.price_usd_per_port) << name;
    EXPECT_TRUE(n.switch_asic.latency_ns) << name;
  }
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
