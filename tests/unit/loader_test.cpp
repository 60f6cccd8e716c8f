// The loader's rules: syntax, types, ranges, missing, unknown and duplicate keys, and input that is
// not a spec at all. Each test states the exact diagnostic a user sees.
#include "spec/loader.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "spec/writers.h"
#include "spec_test_util.h"

namespace xpusim::spec {
namespace {

using testing::check_yaml;
using testing::kTinyChip;
using testing::only;
using testing::replace;

TEST(Loader, AcceptsTheTinyChip) {
  const LoadResult result = parse_specs(kTinyChip, "test.yaml");
  ASSERT_TRUE(result.diagnostics.empty()) << only(result.diagnostics);
  ASSERT_EQ(result.documents.size(), 1u);
  const auto& chip = std::get<ChipSpec>(result.documents[0].spec);
  EXPECT_EQ(chip.name, "tiny");
  EXPECT_EQ(chip.cores.count, 2);
  EXPECT_EQ(chip.cores.matrix_unit.macs_per_cycle.at("int8"), 32);
  EXPECT_EQ(chip.cores.sram.at(0).capacity_kib, 64);
  EXPECT_FALSE(chip.cores.vector_unit.clock_mhz.has_value());
  EXPECT_EQ(result.documents[0].where("cores.count").line, 10);
  EXPECT_EQ(result.documents[0].where("cores.count").column, 10);
  EXPECT_TRUE(check_yaml(kTinyChip).empty()) << only(check_yaml(kTinyChip));
}

TEST(Loader, ReportsSyntaxErrorsWithTheirPosition) {
  EXPECT_EQ(only(check_yaml("kind: chip\nname: [unclosed\n")),
            "test.yaml:3:1: error: YAML syntax error: end of sequence flow not found");
}

TEST(Loader, ReportsEmptyInput) {
  EXPECT_EQ(only(check_yaml("")), "test.yaml:1:1: error: no spec in the file: expected a mapping with kind: and name:");
  EXPECT_EQ(only(check_yaml("# only a comment\n")),
            "test.yaml:1:1: error: no spec in the file: expected a mapping with kind: and name:");
}

TEST(Loader, RejectsBinaryAndInvalidUtf8) {
  EXPECT_EQ(only(check_yaml(std::string("kind: chip\nna\0me", 15))),
            "test.yaml:2:3: error: the file contains a NUL byte: not a YAML text file");
  EXPECT_EQ(only(check_yaml("kind: chip\nname: \xff\xfe\n")),
            "test.yaml:2:7: error: invalid UTF-8: not a YAML text file");
  EXPECT_TRUE(parse_specs("kind: chip\nname: \xc3\xa9t\xc3\xa9\n", "t").diagnostics.error_count() >
              0);  // valid UTF-8 passes to the schema
}

TEST(Loader, RequiresAKnownKind) {
  EXPECT_EQ(only(check_yaml("name: x\n")),
            "test.yaml:1:1: error: kind: missing required field 'kind' (one of chip, system, network, cluster, "
            "datacenter, model, process or workload)");
  EXPECT_EQ(only(check_yaml("kind: chp\nname: x\n")),
            "test.yaml:1:7: error: kind: 'chp' is not a spec kind; allowed: chip, system, network, cluster, "
            "datacenter, model, process or workload (did you mean 'chip'?)");
  EXPECT_EQ(only(check_yaml("- a\n- b\n")),
            "test.yaml:1:1: error: expected a spec (a mapping with kind: and name:), found a list");
}

TEST(Loader, ReportsEveryMissingRequiredField) {
  const Diagnostics d = check_yaml("kind: datacenter\nname: dc\npue: 1.2\n");
  ASSERT_EQ(d.error_count(), 5u) << only(d);
  EXPECT_EQ(d.items()[0].to_string(),
            "test.yaml:1:1: error: critical_power_mw: missing required field 'critical_power_mw' (Power available to "
            "IT equipment, in MW)");
  EXPECT_EQ(d.items()[4].path, "hardware_depreciation_years");
}

TEST(Loader, SuggestsTheKeyMeantForAnUnknownOne) {
  const std::string yaml = replace(kTinyChip, "clock_mhz: 1000", "clock_mhz: 1000\nclock_ghz: 1");
  EXPECT_EQ(only(check_yaml(yaml)),
            "test.yaml:8:1: error: clock_ghz: unknown key 'clock_ghz' (did you mean 'clock_mhz'?)");
  const std::string nested = replace(kTinyChip, "lanes: 8", "lanez: 8");
  const Diagnostics d = check_yaml(nested);
  ASSERT_EQ(d.error_count(), 2u) << only(d);
  EXPECT_EQ(d.items()[0].to_string(),
            "test.yaml:16:16: error: cores.vector_unit.lanes: missing required field 'lanes' (SIMD lanes per unit)");
  EXPECT_EQ(d.items()[1].to_string(),
            "test.yaml:16:17: error: cores.vector_unit.lanez: unknown key 'lanez' (did you mean 'lanes'?)");
}

TEST(Loader, ListsAllowedKeysWhenNothingIsClose) {
  const std::string yaml = replace(kTinyChip, "hbm: {", "hbm: {zzzzzzzz: 1, ");
  EXPECT_EQ(only(check_yaml(yaml)),
            "test.yaml:19:7: error: hbm.zzzzzzzz: unknown key 'zzzzzzzz' (allowed: generation, stacks, "
            "channels_per_stack, capacity_gib or bandwidth_tb_s)");
}

TEST(Loader, ReportsDuplicateKeys) {
  const std::string yaml = replace(kTinyChip, "tdp_w: 5", "tdp_w: 5\ntdp_w: 6");
  EXPECT_EQ(only(check_yaml(yaml)), "test.yaml:9:1: error: tdp_w: duplicate key 'tdp_w' (each key may appear once)");
}

TEST(Loader, ChecksTypes) {
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "tdp_w: 5", "tdp_w: five"))),
            "test.yaml:8:8: error: tdp_w: expected a number, found 'five'; allowed [1, 5000]");
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "tdp_w: 5", "tdp_w: \"5\""))),
            "test.yaml:8:8: error: tdp_w: expected a number, found the quoted text '5'; allowed [1, 5000] (quoted "
            "values are text: remove the quotes)");
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "  count: 2", "  count: 2.5"))),
            "test.yaml:10:10: error: cores.count: expected a whole number, found '2.5'; allowed (0, 1048576]");
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "tdp_w: 5", "tdp_w: [5]"))),
            "test.yaml:8:8: error: tdp_w: expected a number, found a list; allowed [1, 5000]");
  EXPECT_EQ(only(check_yaml(replace(
                kTinyChip, "hbm: {generation: hbm3, stacks: 1, capacity_gib: 16, bandwidth_tb_s: 0.8}", "hbm: 16"))),
            "test.yaml:19:6: error: hbm: expected a mapping, found '16'");
  EXPECT_EQ(only(check_yaml(replace(
                kTinyChip, "  sram:\n    - {level: scratchpad, capacity_kib: 64, bandwidth_bytes_per_cycle: 64}",
                "  sram: {level: scratchpad}"))),
            "test.yaml:17:9: error: cores.sram: expected a list, found a mapping");
}

TEST(Loader, AcceptsOnlyTrueAndFalseAsBooleans) {
  const char* network =
      "kind: network\nname: n\ntype: switch\nprotocol: ethernet\n"
      "switch: {radix: 64, port_speed_gbps: 800, capacity_tbps: 51.2, in_network_reduction: yes}\n";
  EXPECT_EQ(only(check_yaml(network)),
            "test.yaml:5:86: error: switch.in_network_reduction: expected true or false, found 'yes'");
}

TEST(Loader, ChecksChoices) {
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "generation: hbm3", "generation: hbm3x"))),
            "test.yaml:19:19: error: hbm.generation: 'hbm3x' is not allowed; allowed: hbm2, hbm2e, hbm3, hbm3e or hbm4 "
            "(did you mean 'hbm3'?)");
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "macs_per_cycle: {bf16: 16", "macs_per_cycle: {bf61: 16"))),
            "test.yaml:15:22: error: cores.matrix_unit.macs_per_cycle.bf61: unknown key 'bf61' (did you mean 'bf16'?)");
}

TEST(Loader, ChecksRanges) {
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "bandwidth_tb_s: 0.8", "bandwidth_tb_s: -3"))),
            "test.yaml:19:70: error: hbm.bandwidth_tb_s: value -3 is out of range; allowed [0.01, 100]");
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "bandwidth_tb_s: 0.8", "bandwidth_tb_s: 0"))),
            "test.yaml:19:70: error: hbm.bandwidth_tb_s: value 0 is out of range; allowed [0.01, 100]");
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "die_area_mm2: 10", "die_area_mm2: 900"))),
            "test.yaml:6:15: error: die_area_mm2: value 900 is out of range; allowed [1, 858]");
}

TEST(Loader, RejectsHugeAndNonFiniteNumbers) {
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "tdp_w: 5", "tdp_w: 1e400"))),
            "test.yaml:8:8: error: tdp_w: value '1e400' is out of range; allowed [1, 5000]");
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "tdp_w: 5", "tdp_w: .nan"))),
            "test.yaml:8:8: error: tdp_w: value '.nan' is out of range; allowed [1, 5000]");
  // YAML 1.2 reads bare nan and inf as text, and a number has one sign.
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "tdp_w: 5", "tdp_w: nan"))),
            "test.yaml:8:8: error: tdp_w: expected a number, found 'nan'; allowed [1, 5000]");
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "tdp_w: 5", "tdp_w: +-5"))),
            "test.yaml:8:8: error: tdp_w: expected a number, found '+-5'; allowed [1, 5000]");
  EXPECT_EQ(
      only(check_yaml(replace(kTinyChip, "tdp_w: 5", "tdp_w: !!str 5"))),
      "test.yaml:8:8: error: tdp_w: expected a number, found '5' tagged tag:yaml.org,2002:str; allowed [1, 5000]");
  EXPECT_EQ(only(check_yaml(replace(kTinyChip, "  count: 2", "  count: 99999999999999999999999"))),
            "test.yaml:10:10: error: cores.count: value '99999999999999999999999' is out of range; allowed (0, "
            "1048576]");
}

TEST(Loader, SurvivesDeepNesting) {
  const std::string deep = "kind: chip\nname: " + std::string(100000, '[') + "\n";
  const Diagnostics d = check_yaml(deep);
  ASSERT_EQ(d.error_count(), 1u);
  EXPECT_EQ(d.items()[0].to_string(),
            "test.yaml:3:1: error: YAML nesting is deeper than a spec can be (at most 499 levels)");
}

TEST(Loader, ReadsEveryDocumentOfAFile) {
  const std::string two = std::string(kTinyChip) + "---\n" + replace(kTinyChip, "name: tiny", "name: tiny2");
  const LoadResult result = parse_specs(two, "two.yaml");
  EXPECT_TRUE(result.diagnostics.empty()) << only(result.diagnostics);
  ASSERT_EQ(result.documents.size(), 2u);
  EXPECT_EQ(result.documents[1].name(), "tiny2");
  EXPECT_EQ(result.documents[1].location.line, 23);
}

TEST(Loader, ReportsProblemsInEveryDocument) {
  const std::string two = replace(kTinyChip, "tdp_w: 5", "tdp_w: -1") + "---\nkind: chip\n";
  const Diagnostics d = check_yaml(two);
  EXPECT_GE(d.error_count(), 2u);
  EXPECT_EQ(d.items()[0].path, "tdp_w");
  EXPECT_EQ(d.items()[1].where.line, 23);
}

TEST(Loader, SplitsStreamsAtDocumentMarkersOnly) {
  // A directive and a "---" before the first document belong to it; a "..." ends a document.
  const std::string yaml =
      "%YAML 1.2\n---\n" + std::string(kTinyChip) + "...\n" + replace(kTinyChip, "name: tiny", "name: tiny2");
  const LoadResult result = parse_specs(yaml, "s.yaml");
  ASSERT_TRUE(result.diagnostics.empty()) << only(result.diagnostics);
  ASSERT_EQ(result.documents.size(), 2u);
  EXPECT_EQ(result.documents[0].where("tdp_w").line, 10);
  EXPECT_EQ(result.documents[1].where("tdp_w").line, 32);
  // "---" inside a line or with more dashes is content, not a marker.
  const LoadResult dashes =
      parse_specs(replace(kTinyChip, "vendor: test", "vendor: a---b\ndescription: ----"), "d.yaml");
  EXPECT_TRUE(dashes.diagnostics.empty()) << only(dashes.diagnostics);
  EXPECT_EQ(dashes.documents.size(), 1u);
}

TEST(Loader, StrayCommaIsAnErrorNotAHang) {
  // yaml-cpp 0.7's LoadAll loops forever on this input; the loader must not.
  EXPECT_EQ(only(check_yaml(",:1")),
            "test.yaml:1:1: error: no spec in the file: expected a mapping with kind: and name:");
}

TEST(Writers, YamlRoundTripKeepsEveryField) {
  const LoadResult first = parse_specs(kTinyChip, "a.yaml");
  ASSERT_EQ(first.documents.size(), 1u);
  const std::string yaml = to_yaml(first.documents[0].spec);
  const LoadResult second = parse_specs(yaml, "b.yaml");
  ASSERT_TRUE(second.diagnostics.empty()) << only(second.diagnostics) << "\n" << yaml;
  EXPECT_EQ(to_json(first.documents[0].spec), to_json(second.documents[0].spec));
}

}  // namespace
}  // namespace xpusim::spec
