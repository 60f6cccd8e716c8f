// Name resolution and `base:`: the user's specs over the library, one spec derived from another, and
// the errors of both (missing, wrong-kind and cyclic bases, duplicate names, unreadable folders).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "spec/spec_set.h"
#include "spec_test_util.h"

namespace xpusim::spec {
namespace {

using testing::kTinyChip;
using testing::only;

// The tiny chip as the library's, with a source for its HBM.
Library tiny_library() {
  Library library;
  Diagnostics d;
  library.add(parse_specs(std::string(kTinyChip) + "sources:\n  hbm: \"datasheet\"\n  clock_mhz: \"datasheet\"\n",
                          "lib/tiny.yaml")
                  .documents,
              d);
  EXPECT_TRUE(d.empty()) << Error(d).to_string();
  return library;
}

// A set of the tiny library and user files given as (label, text), resolved; problems in `d`.
SpecSet user_set(const std::vector<std::pair<std::string, std::string>>& files, Diagnostics& d) {
  SpecSet set(tiny_library());
  for (const auto& [label, text] : files) set.add(parse_specs(text, label), d);
  set.resolve(d);
  return set;
}

const ChipSpec& chip(const SpecSet& set, const char* name) {
  const Document* doc = set.find(Kind::chip, name);
  if (!doc) throw std::runtime_error(std::string("no chip ") + name);
  return std::get<ChipSpec>(doc->spec);
}

TEST(SpecSet, ThreeLinesChangeOneClockAndKeepTheRest) {
  Diagnostics d;
  const SpecSet set = user_set({{"fast.yaml", "kind: chip\nname: tiny-fast\nbase: tiny\nclock_mhz: 2000\n"}}, d);
  EXPECT_TRUE(d.empty()) << Error(d).to_string();
  const ChipSpec& fast = chip(set, "tiny-fast");
  EXPECT_EQ(fast.clock_mhz, 2000);
  EXPECT_EQ(fast.hbm.capacity_gib, 16);
  EXPECT_EQ(fast.cores.count, 2);
  // 2 cores x 16 MAC x 2 x 2 GHz, twice the base's 0.064.
  EXPECT_DOUBLE_EQ(fast.derived_peak_tflops("bf16"), 0.128);
  EXPECT_DOUBLE_EQ(chip(set, "tiny").derived_peak_tflops("bf16"), 0.064);
  // The base's published peak was a claim about the base: not inherited with a new clock.
  EXPECT_TRUE(fast.peak_tflops.empty());
  const Document& doc = *set.find(Kind::chip, "tiny-fast");
  EXPECT_EQ(doc.base, "tiny");
  EXPECT_EQ(doc.base_at.file, "lib/tiny.yaml");
  // The clock points at the three lines, inherited fields at the base's file.
  EXPECT_EQ(doc.where("clock_mhz").file, "fast.yaml");
  EXPECT_EQ(doc.where("clock_mhz").line, 4);
  EXPECT_EQ(doc.where("hbm.capacity_gib").file, "lib/tiny.yaml");
  Diagnostics rules;
  check_document(doc, &set, false, rules);
  EXPECT_TRUE(rules.empty()) << Error(rules).to_string();
}

TEST(SpecSet, MappingsMergeListsReplace) {
  Diagnostics d;
  const SpecSet set = user_set({{"big.yaml", R"(kind: chip
name: tiny-big
base: tiny
hbm: {capacity_gib: 32}
cores:
  sram:
    - {level: l1, capacity_kib: 32, bandwidth_bytes_per_cycle: 32}
)"}},
                               d);
  EXPECT_TRUE(d.empty()) << Error(d).to_string();
  const ChipSpec& big = chip(set, "tiny-big");
  EXPECT_EQ(big.hbm.capacity_gib, 32);
  EXPECT_EQ(big.hbm.generation, "hbm3");  // merged: the rest of hbm: from the base
  EXPECT_DOUBLE_EQ(big.hbm.bandwidth_tb_s, 0.8);
  EXPECT_EQ(big.cores.count, 2);  // merged: the rest of cores: from the base
  ASSERT_EQ(big.cores.sram.size(), 1u);  // replaced
  EXPECT_EQ(big.cores.sram[0].level, "l1");
  EXPECT_EQ(big.cores.sram[0].capacity_kib, 32);
}

TEST(SpecSet, SourcesInheritAndAnOverrideMayAddItsOwn) {
  Diagnostics d;
  const SpecSet set = user_set({{"fast.yaml", R"(kind: chip
name: tiny-fast
base: tiny
clock_mhz: 1200
tdp_w: 6
sources:
  clock_mhz: "my measurement"
)"}},
                               d);
  EXPECT_TRUE(d.empty()) << Error(d).to_string();
  const ChipSpec& fast = chip(set, "tiny-fast");
  EXPECT_EQ(fast.sources.at("hbm"), "datasheet");              // inherited
  EXPECT_EQ(fast.sources.at("clock_mhz"), "my measurement");   // its own, in place of the base's
  EXPECT_EQ(fast.sources.count("tdp_w"), 0u);
  // The library's source for the base's clock does not cover a clock written here.
  const SpecSet unsourced = user_set({{"f.yaml", "kind: chip\nname: f\nbase: tiny\nclock_mhz: 1200\n"}}, d);
  EXPECT_EQ(chip(unsourced, "f").sources.count("clock_mhz"), 0u);
  EXPECT_EQ(chip(unsourced, "f").sources.at("hbm"), "datasheet");
}

TEST(SpecSet, BaseChainsAndBasesInOtherUserFiles) {
  Diagnostics d;
  const SpecSet set = user_set({{"c.yaml", "kind: chip\nname: tiny-c\nbase: tiny-b\ntdp_w: 9\n"},
                                {"b.yaml", "kind: chip\nname: tiny-b\nbase: tiny\nclock_mhz: 1500\n"}},
                               d);
  EXPECT_TRUE(d.empty()) << Error(d).to_string();
  const ChipSpec& c = chip(set, "tiny-c");
  EXPECT_EQ(c.tdp_w, 9);
  EXPECT_EQ(c.clock_mhz, 1500);
  EXPECT_EQ(c.hbm.capacity_gib, 16);
  EXPECT_EQ(set.find(Kind::chip, "tiny-c")->base, "tiny-b");
}

TEST(SpecSet, ABaseOfItsOwnNameIsTheLibrarysAndShadowsItWithAWarning) {
  Diagnostics d;
  const SpecSet set = user_set({{"mine.yaml", "kind: chip\nname: tiny\nbase: tiny\nclock_mhz: 500\n"}}, d);
  EXPECT_EQ(only(d),
            "mine.yaml:2:7: warning: name: chip 'tiny' shadows the library's, at lib/tiny.yaml:1 (this one is "
            "used; it is based on the library's)");
  EXPECT_EQ(chip(set, "tiny").clock_mhz, 500);
  EXPECT_EQ(chip(set, "tiny").hbm.capacity_gib, 16);
  EXPECT_EQ(std::get<ChipSpec>(set.library().find(Kind::chip, "tiny")->spec).clock_mhz, 1000);
}

TEST(SpecSet, AUserSpecShadowingTheLibraryIsUsedWithAWarningNamingBoth) {
  Diagnostics d;
  const SpecSet set = user_set({{"my/tiny.yaml", testing::replace(kTinyChip, "clock_mhz: 1000", "clock_mhz: 1000\n")}}, d);
  EXPECT_EQ(only(d),
            "my/tiny.yaml:2:7: warning: name: chip 'tiny' shadows the library's, at lib/tiny.yaml:1 (this one is "
            "used; rename it to keep both)");
  EXPECT_EQ(set.find(Kind::chip, "tiny")->location.file, "my/tiny.yaml");
  EXPECT_EQ(set.documents().size(), 1u);
}

TEST(SpecSet, TwoUserSpecsOfOneNameAreAnErrorNamingBoth) {
  Diagnostics d;
  const std::string other = testing::replace(kTinyChip, "name: tiny", "name: mine");
  user_set({{"a.yaml", other}, {"b.yaml", other}}, d);
  EXPECT_EQ(only(d), "b.yaml:2:7: error: name: a chip named 'mine' already exists at a.yaml:1");
  Diagnostics derived;
  user_set({{"a.yaml", other}, {"b.yaml", "kind: chip\nname: mine\nbase: tiny\n"}}, derived);
  EXPECT_EQ(only(derived), "b.yaml:2:7: error: name: a chip named 'mine' already exists at a.yaml:1");
}

TEST(SpecSet, AMissingBaseSaysWhatItMeant) {
  Diagnostics d;
  const SpecSet set = user_set({{"f.yaml", "kind: chip\nname: f\nbase: tinny\nclock_mhz: 2000\n"}}, d);
  EXPECT_EQ(only(d), "f.yaml:3:7: error: base: no chip named 'tinny' to use as base (did you mean 'tiny'?)");
  EXPECT_EQ(set.find(Kind::chip, "f"), nullptr);
}

TEST(SpecSet, ABaseOfAnotherKindIsAnError) {
  Diagnostics d;
  user_set({{"s.yaml", "kind: system\nname: s\nbase: tiny\n"}}, d);
  EXPECT_EQ(only(d), "s.yaml:3:7: error: base: base 'tiny' is a chip, not a system (a spec's base must be of its own kind)");
}

TEST(SpecSet, ACycleOfBasesNamesTheChain) {
  Diagnostics d;
  const SpecSet set = user_set({{"a.yaml", "kind: chip\nname: a\nbase: b\n"},
                                {"b.yaml", "kind: chip\nname: b\nbase: c\n"},
                                {"c.yaml", "kind: chip\nname: c\nbase: a\n"},
                                {"d.yaml", "kind: chip\nname: d\nbase: a\n"}},
                               d);
  ASSERT_EQ(d.items().size(), 2u) << Error(d).to_string();
  EXPECT_EQ(d.items()[0].to_string(),
            "c.yaml:3:7: error: base: bases form a cycle: a -> b -> c -> a (one of them must be based on a spec "
            "outside the cycle, or on none)");
  EXPECT_EQ(d.items()[1].to_string(), "d.yaml:3:7: error: base: base chip 'a' did not load (see its errors)");
  EXPECT_EQ(set.find(Kind::chip, "a"), nullptr);
}

TEST(SpecSet, TheLibraryCannotBaseASpecOnItself) {
  Library library;
  Diagnostics d;
  LoadResult loaded = parse_specs("kind: chip\nname: x\nbase: x\n", "lib/x.yaml");
  library.add_derived(std::move(loaded.pending), nullptr, d);
  EXPECT_EQ(only(d), "lib/x.yaml:3:7: error: base: a chip cannot be its own base ('x')");
}

TEST(SpecSet, ADerivedSpecIsCheckedAsAWholeWithItsOwnErrorsInItsFile) {
  Diagnostics d;
  user_set({{"f.yaml", "kind: chip\nname: f\nbase: tiny\nclock_mhz: -5\nclokc: 1\n"}}, d);
  ASSERT_EQ(d.items().size(), 2u) << Error(d).to_string();
  EXPECT_EQ(d.items()[0].to_string(), "f.yaml:4:12: error: clock_mhz: value -5 is out of range; allowed [10, 10000]");
  EXPECT_EQ(d.items()[1].where.file, "f.yaml");
  EXPECT_EQ(d.items()[1].where.line, 5);
  // A spec with base: still needs its own name.
  Diagnostics unnamed;
  user_set({{"g.yaml", "kind: chip\nbase: tiny\n"}}, unnamed);
  EXPECT_EQ(only(unnamed),
            "g.yaml:1:1: error: name: missing required field 'name' (a spec with base: needs a name of its own (it "
            "may be the base's name))");
}

TEST(SpecSet, ReferencesFindUserSpecsBeforeTheLibrary) {
  Diagnostics d;
  const std::string system = R"(kind: system
name: box
chip: tiny-fast
chip_count: 2
scale_up: {network: none, topology: fully_connected, bandwidth_gb_s_per_direction: 50}
power_w: 100
)";
  const SpecSet set =
      user_set({{"box.yaml", system}, {"fast.yaml", "kind: chip\nname: tiny-fast\nbase: tiny\nclock_mhz: 2000\n"}}, d);
  EXPECT_TRUE(d.empty()) << Error(d).to_string();
  const Document* box = set.find(Kind::system, "box");
  ASSERT_NE(box, nullptr);
  const auto chip_problems = [&](const SpecResolver& resolver) {
    Diagnostics found;
    check_document(*box, &resolver, false, found);
    std::string out;
    for (const Diagnostic& diagnostic : found.items())
      if (diagnostic.path == "chip") out += diagnostic.to_string();
    return out;
  };
  EXPECT_EQ(chip_problems(set), "");
  EXPECT_EQ(chip_problems(set.library()),
            "box.yaml:3:7: error: chip: no chip named 'tiny-fast' (see `xpusim specs list --kind chip`)");
}

// A folder entry that cannot be read, even by root: a link to itself.
TEST(SpecSet, AnUnreadableFolderEntryIsAnErrorNamingIt) {
  const std::filesystem::path root = std::filesystem::temp_directory_path() / ("xpusim-spec-set-" + std::to_string(getpid()));
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root / "chips");
  std::ofstream(root / "chips" / "tiny.yaml") << kTinyChip;
  std::filesystem::create_symlink("loop", root / "loop");
  Diagnostics d;
  const Library library = Library::load_folder(root, "lib", d);
  EXPECT_EQ(only(d), "lib/loop: error: cannot read: Too many levels of symbolic links");
  EXPECT_NE(library.find(Kind::chip, "tiny"), nullptr);
  // The same rule for a user's --specs folder.
  Diagnostics user;
  SpecSet set;
  set.add_path(root, user);
  EXPECT_EQ(only(user), root.string() + "/loop: error: cannot read: Too many levels of symbolic links");
  std::filesystem::remove_all(root);
}

TEST(SpecSet, AFolderWithoutReadPermissionIsAnErrorNamingIt) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any folder";
  const std::filesystem::path root = std::filesystem::temp_directory_path() / ("xpusim-spec-perm-" + std::to_string(getpid()));
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root / "locked");
  std::ofstream(root / "tiny.yaml") << kTinyChip;
  std::filesystem::permissions(root / "locked", std::filesystem::perms::none);
  Diagnostics d;
  const Library library = Library::load_folder(root, "lib", d);
  std::filesystem::permissions(root / "locked", std::filesystem::perms::owner_all);
  EXPECT_EQ(only(d),
            "lib/locked: error: cannot read the folder: Permission denied (its specs would be left out; fix its "
            "permissions or remove it)");
  EXPECT_NE(library.find(Kind::chip, "tiny"), nullptr);
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace xpusim::spec
