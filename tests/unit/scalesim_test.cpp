// The SCALE-Sim-compatible mode (docs/scalesim.md): the layer-to-GEMM mapping, per-layer cycles and
// utilizations worked out by hand on small arrays, the per-layer counts SCALE-Sim v2 itself gave on
// small topologies (tests/data/scalesim/scalesim_v2_small_runs.csv), its five published totals on
// 128 x 128 arrays, and every kind of malformed topology line.
#include "perfsim/scalesim_compat.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace xpusim::perfsim {
namespace {

constexpr const char* kData = XPUSIM_SOURCE_DIR "/tests/data/scalesim/";

Topology parse_ok(const std::string& text, TopologyFormat format) {
  Expected<Topology> t = parse_topology(text, "t.csv", format);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().to_string());
  return t.ok() ? *t : Topology{};
}

LayerTiming time_ok(const TopologyLayer& layer, ArrayShape array, Dataflow dataflow) {
  Expected<LayerTiming> t = time_layer(layer, array, dataflow, "t.csv");
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().to_string());
  return t.ok() ? *t : LayerTiming{};
}

// The one error `text` gives, as printed.
std::string parse_error(const std::string& text, TopologyFormat format = TopologyFormat::conv) {
  Expected<Topology> t = parse_topology(text, "t.csv", format);
  if (t.ok()) return "(parsed)";
  EXPECT_EQ(t.error().diagnostics().error_count(), 1u) << t.error().to_string();
  return t.error().to_string();
}

void expect_gemm(const TopologyLayer& layer, std::int64_t m, std::int64_t n, std::int64_t k) {
  EXPECT_EQ(layer.m, m);
  EXPECT_EQ(layer.n, n);
  EXPECT_EQ(layer.k, k);
}

TEST(ScaleSimMapping, ConvLayerBecomesOfmapPixelsByFiltersByWindow) {
  // ResNet-18's first layer: 224 x 224 x 3, 7 x 7 filters, stride 2, 64 of them. With no padding,
  // SCALE-Sim's ofmap side is ceil((224 - 7 + 2) / 2) = ceil(109.5) = 110 (a framework's floor would
  // give 109), so M = 110 x 110; K = 7 x 7 x 3 = 147.
  const Topology t = parse_ok("header\nConv1,224,224,7,7,3,64,2,\n", TopologyFormat::conv);
  ASSERT_EQ(t.layers.size(), 1u);
  EXPECT_EQ(t.layers[0].name, "Conv1");
  EXPECT_EQ(t.layers[0].line, 2);
  expect_gemm(t.layers[0], 12100, 64, 147);
  EXPECT_EQ(t.layers[0].copies, 1);
}

TEST(ScaleSimMapping, SeparateStridesAndNoTrailingComma) {
  // 6 x 6 ifmap, 1 x 1 filter, stride 1 down and 2 across: 6 x ceil(5 / 2) + 1 = 6 x 4 pixels.
  const Topology t = parse_ok("h\nD, 6, 6, 1, 1, 3, 7, 1, 2\n", TopologyFormat::conv);
  ASSERT_EQ(t.layers.size(), 1u);
  expect_gemm(t.layers[0], 24, 7, 3);
}

TEST(ScaleSimMapping, DepthwiseLayerRunsOncePerChannel) {
  // "DP" in the name: 3 copies, each one channel: M = 4 x 4, K = 3 x 3 x 1.
  const Topology t = parse_ok("h\nDP1,6,6,3,3,3,2,1,\n", TopologyFormat::conv);
  ASSERT_EQ(t.layers.size(), 1u);
  EXPECT_EQ(t.layers[0].copies, 3);
  expect_gemm(t.layers[0], 16, 2, 9);
  // Each copy on 8 x 8 output stationary: Sr = 16 (2 row folds), Sc = 2, T = 9, 9 + 8 + 8 - 2 = 23 lines a
  // fold, 2 x 23 - 1 = 45 cycles; three copies 135.
  const LayerTiming timing = time_ok(t.layers[0], {8, 8}, Dataflow::output_stationary);
  EXPECT_EQ(timing.cycles, 135);
  EXPECT_EQ(timing.macs, 3 * 16 * 2 * 9);
}

TEST(ScaleSimMapping, FirstLineIsAlwaysAHeaderWithAWarningWhenItReadsAsALayer) {
  const Topology t = parse_ok("g0,2,3,4,\ng1,7,9,5,\n", TopologyFormat::gemm);
  ASSERT_EQ(t.layers.size(), 1u);
  EXPECT_EQ(t.layers[0].name, "g1");
  EXPECT_EQ(t.warnings.to_text(),
            "t.csv:1:1: warning: the first line is skipped as a header, as SCALE-Sim does, but it reads as a layer; put "
            "a header line above it to time it");
  EXPECT_TRUE(parse_ok("Layer,M,N,K,\ng1,7,9,5,\n", TopologyFormat::gemm).warnings.empty());
  // A conv header never reads as a layer; a 4-column numeric line in conv mode is not a conv layer.
  EXPECT_TRUE(parse_ok("a,1,2,3,\nc,8,8,3,3,4,10,1,\n", TopologyFormat::conv).warnings.empty());
  EXPECT_FALSE(parse_ok("c0,8,8,3,3,4,10,1,2\nc,8,8,3,3,4,10,1,\n", TopologyFormat::conv).warnings.empty());
}

TEST(ScaleSimMapping, GemmRowIsMNK) {
  const Topology t = parse_ok("Layer,M,N,K,\n\n  \nqkv,512,768,64,\n", TopologyFormat::gemm);
  ASSERT_EQ(t.layers.size(), 1u);
  EXPECT_EQ(t.layers[0].line, 4);
  expect_gemm(t.layers[0], 512, 768, 64);
}

// M = 7, N = 9, K = 5 on an 8 x 8 array, by hand (docs/scalesim.md):
//   os: Sr = M = 7, Sc = N = 9, T = K = 5: 1 x 2 folds of 5 + 8 + 8 - 2 = 19 lines; 2 x 19 - 1 = 37.
//   ws: Sr = K = 5, Sc = N = 9, T = M = 7: 1 x 2 folds of 2 x 8 + 8 + 7 - 2 = 29; 2 x 29 - 1 = 57.
//   is: Sr = K = 5, Sc = M = 7, T = N = 9: 1 x 1 fold of 16 + 8 + 9 - 2 = 31; 30.
TEST(ScaleSimTiming, SmallGemmByHandEachDataflow) {
  const TopologyLayer g{"g", 2, 7, 9, 5, 1};
  const LayerTiming os = time_ok(g, {8, 8}, Dataflow::output_stationary);
  EXPECT_EQ(os.row_folds, 1);
  EXPECT_EQ(os.col_folds, 2);
  EXPECT_EQ(os.cycles_per_fold, 19);
  EXPECT_EQ(os.cycles, 37);
  EXPECT_EQ(os.macs, 315);
  EXPECT_DOUBLE_EQ(os.overall_util_pct, 100.0 * 315 / (37 * 64));           // 13.30%
  EXPECT_DOUBLE_EQ(os.mapping_efficiency_pct, 100.0 * (7 * 8 + 7 * 1) / 128);  // folds map 7x8 and 7x1
  EXPECT_DOUBLE_EQ(os.compute_util_pct, 100.0 * 315 / (2 * 64 * 19));        // span = the fold's 19 lines

  const LayerTiming ws = time_ok(g, {8, 8}, Dataflow::weight_stationary);
  EXPECT_EQ(ws.spatial_rows, 5);
  EXPECT_EQ(ws.spatial_cols, 9);
  EXPECT_EQ(ws.temporal, 7);
  EXPECT_EQ(ws.cycles_per_fold, 29);
  EXPECT_EQ(ws.cycles, 57);
  // Compute utilization's span for a stationary dataflow: 2R + 2C + T - 3 = 16 + 16 + 7 - 3 = 36.
  EXPECT_DOUBLE_EQ(ws.compute_util_pct, 100.0 * 315 / (2 * 64 * 36));

  const LayerTiming is = time_ok(g, {8, 8}, Dataflow::input_stationary);
  EXPECT_EQ(is.spatial_rows, 5);
  EXPECT_EQ(is.spatial_cols, 7);
  EXPECT_EQ(is.temporal, 9);
  EXPECT_EQ(is.row_folds * is.col_folds, 1);
  EXPECT_EQ(is.cycles, 30);
  EXPECT_DOUBLE_EQ(is.mapping_efficiency_pct, 100.0 * 35 / 64);
}

TEST(ScaleSimTiming, NonSquareArrayFoldsRowsAndColumnsApart) {
  // M = 16, N = 3, K = 20 on 5 rows x 3 columns, output stationary: Sr = 16 -> 4 row folds, Sc = 3 -> 1;
  // 20 + 5 + 3 - 2 = 26 lines a fold; 4 x 26 - 1 = 103. Weight stationary: Sr = K = 20 -> 4, Sc = 3 -> 1,
  // T = 16: 10 + 3 + 16 - 2 = 27 a fold; 107.
  const TopologyLayer g{"g", 2, 16, 3, 20, 1};
  EXPECT_EQ(time_ok(g, {5, 3}, Dataflow::output_stationary).cycles, 103);
  EXPECT_EQ(time_ok(g, {5, 3}, Dataflow::weight_stationary).cycles, 107);
  // Input stationary: Sr = K = 20 -> 4, Sc = M = 16 -> 6 column folds, T = N = 3: 10 + 3 + 3 - 2 = 14; 24 x 14 - 1.
  EXPECT_EQ(time_ok(g, {5, 3}, Dataflow::input_stationary).cycles, 335);
}

TEST(ScaleSimTiming, OneByOneArrayOnOneMacTakesZeroCyclesAndZeroUtilization) {
  // SCALE-Sim's count for a single line is cycle 0; utilization is reported as 0 rather than dividing by it.
  const LayerTiming t = time_ok({"g", 2, 1, 1, 1, 1}, {1, 1}, Dataflow::output_stationary);
  EXPECT_EQ(t.cycles, 0);
  EXPECT_EQ(t.overall_util_pct, 0);
}

TEST(ScaleSimTiming, CycleOverflowIsALocatedError) {
  // M = 2^11, N = 2^51, K = 1: 2^62 MACs fit, but weight stationary on 2^20 rows x 1 column runs N = 2^51
  // folds of 2 x 2^20 + 1 + 2^11 - 2 lines each, past 2^63.
  const TopologyLayer g{"huge", 7, std::int64_t{1} << 11, std::int64_t{1} << 51, 1, 1};
  Expected<LayerTiming> t = time_layer(g, {kMaxArraySide, 1}, Dataflow::weight_stationary, "t.csv");
  EXPECT_TRUE(time_layer(g, {1, 1}, Dataflow::weight_stationary, "t.csv").ok());  // 2^51 x (2^11 + 1) fits
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().to_string(), "t.csv:7:1: error: layer 'huge': its cycle count overflows a 64-bit count on this array");
}

struct Reference {
  const char* file;
  TopologyFormat format;
  Dataflow dataflow;
  std::int64_t total_cycles;
};

// SCALE-Sim v2 (22f88b1) on 128 x 128 arrays, from the project's shared/scalesim/README.md.
TEST(ScaleSimReference, FivePublishedTotalsExactly) {
  const Reference references[] = {
      {"Resnet18.csv", TopologyFormat::conv, Dataflow::output_stationary, 262370},
      {"Resnet18.csv", TopologyFormat::conv, Dataflow::weight_stationary, 417628},
      {"transformer_gemms.csv", TopologyFormat::gemm, Dataflow::output_stationary, 188253},
      {"transformer_gemms.csv", TopologyFormat::gemm, Dataflow::weight_stationary, 497813},
      {"transformer_gemms.csv", TopologyFormat::gemm, Dataflow::input_stationary, 191617},
  };
  for (const Reference& r : references) {
    Expected<Topology> t = load_topology(std::string(kData) + r.file, r.file, r.format);
    ASSERT_TRUE(t.ok()) << t.error().to_string();
    Expected<ScaleSimRun> run = run_scalesim(*t, {128, 128}, r.dataflow);
    ASSERT_TRUE(run.ok());
    EXPECT_EQ(run->total_cycles, r.total_cycles) << r.file << " " << dataflow_name(r.dataflow);
  }
}

TEST(ScaleSimReference, Resnet18LayerCountAndMacs) {
  Expected<Topology> t = load_topology(std::string(kData) + "Resnet18.csv", "Resnet18.csv", TopologyFormat::conv);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->layers.size(), 21u);
  // FC: 1 x 1 pixel, 1000 filters, 512-long window.
  expect_gemm(t->layers.back(), 1, 1000, 512);
}

Dataflow dataflow_named(const std::string& name) {
  return name == "os" ? Dataflow::output_stationary
                      : name == "ws" ? Dataflow::weight_stationary : Dataflow::input_stationary;
}

// Every per-layer row SCALE-Sim v2 printed for the small topologies on 8 x 8, 4 x 6 and 5 x 3 arrays
// in each dataflow (how they were made: tests/data/scalesim/README.md). A depth-wise layer is one
// layer here and one per channel there, each with the same count.
TEST(ScaleSimReference, PerLayerCountsFromScaleSimRuns) {
  std::ifstream in(std::string(kData) + "scalesim_v2_small_runs.csv");
  ASSERT_TRUE(in) << "missing scalesim_v2_small_runs.csv";
  std::string line;
  std::getline(in, line);  // header
  struct Row {
    std::string topology, dataflow;
    std::int64_t rows, cols, layer_id, cycles, stalls;
    double overall, mapping, compute;
  };
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream fields(line);
    Row r;
    fields >> r.topology >> r.rows >> r.cols >> r.dataflow >> r.layer_id >> r.cycles >> r.stalls >> r.overall >>
        r.mapping >> r.compute;
    ASSERT_FALSE(fields.fail()) << line;
    rows.push_back(r);
  }
  ASSERT_EQ(rows.size(), 3u * 3u * (7u + 3u));  // 3 arrays x 3 dataflows x (7 conv + 3 GEMM rows)
  std::size_t at = 0;
  while (at < rows.size()) {
    const Row& first = rows[at];
    const bool gemm = first.topology == "gemm_small";
    Expected<Topology> t = load_topology(std::string(kData) + first.topology + ".csv", first.topology,
                                         gemm ? TopologyFormat::gemm : TopologyFormat::conv);
    ASSERT_TRUE(t.ok()) << t.error().to_string();
    Expected<ScaleSimRun> run = run_scalesim(*t, {first.rows, first.cols}, dataflow_named(first.dataflow));
    ASSERT_TRUE(run.ok());
    for (const LayerTiming& layer : run->layers) {
      for (std::int64_t copy = 0; copy < layer.copies; ++copy, ++at) {
        ASSERT_LT(at, rows.size());
        const Row& r = rows[at];
        SCOPED_TRACE(r.topology + " " + std::to_string(r.rows) + "x" + std::to_string(r.cols) + " " + r.dataflow +
                     " layer " + std::to_string(r.layer_id));
        EXPECT_EQ(r.stalls, 0);
        EXPECT_EQ(layer.cycles, r.cycles * layer.copies);
        EXPECT_NEAR(layer.overall_util_pct, r.overall, 1e-9);
        EXPECT_NEAR(layer.mapping_efficiency_pct, r.mapping, 1e-9);
        EXPECT_NEAR(layer.compute_util_pct, r.compute, 1e-9);
      }
    }
  }
}

TEST(ScaleSimErrors, EachMalformedLineIsOneLocatedError) {
  const std::string h = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n";
  EXPECT_EQ(parse_error(h + "c1,8,8,3,3,4,\n"),
            "t.csv:2:14: error: the filter count is missing (a conv row has 8 or 9 columns: layer name, ifmap height, "
            "ifmap width, filter height, filter width, channels, filters, stride [, stride width])");
  EXPECT_EQ(parse_error(h + "c1,8,8,3,3,4,10,1,1,1,\n"),
            "t.csv:2:21: error: extra column (a conv row has 8 or 9 columns: layer name, ifmap height, ifmap width, "
            "filter height, filter width, channels, filters, stride [, stride width])");
  EXPECT_EQ(parse_error(h + "c1,8,eight,3,3,4,10,1,\n"), "t.csv:2:6: error: the ifmap width 'eight' is not a whole number");
  EXPECT_EQ(parse_error(h + "c1,8,8,3,3,4.5,10,1,\n"), "t.csv:2:12: error: the channel count '4.5' is not a whole number");
  EXPECT_EQ(parse_error(h + "c1,8,8,3,3,4,0,1,\n"), "t.csv:2:14: error: the filter count is 0; it must be at least 1");
  EXPECT_EQ(parse_error(h + "c1,8,8,3,3,4,10,-2,\n"), "t.csv:2:17: error: the stride is -2; it must be at least 1");
  EXPECT_EQ(parse_error(h + "c1,8,8,3,3,4,10,,\n"),
            "t.csv:2:17: error: the stride is empty; expected a whole number of at least 1");
  EXPECT_EQ(parse_error(h + "c1,8,8,9,3,4,10,1,\n"),
            "t.csv:2:8: error: the filter height 9 is larger than the ifmap height 8 (SCALE-Sim applies no padding)");
  EXPECT_EQ(parse_error(h + "c1,8,2,3,3,4,10,1,\n"),
            "t.csv:2:10: error: the filter width 3 is larger than the ifmap width 2 (SCALE-Sim applies no padding)");
  EXPECT_EQ(parse_error(h + "c1,8,8,3,3,4,99999999999999999999,1,\n"),
            "t.csv:2:14: error: the filter count '99999999999999999999' is too large");
  EXPECT_EQ(parse_error(h + "c1,3000000000,3000000000,3000000000,3000000000,3000000000,1,1,\n"),
            "t.csv:2:4: error: the filter window (height x width x channels) overflows a 64-bit count: the sizes are "
            "too large");
  EXPECT_EQ(parse_error(h + "c1,3000000000,3000000000,1,1,1,3000000000,1,\n"),
            "t.csv:2:4: error: the layer's MAC count (M x N x K) overflows a 64-bit count: the sizes are too large");
  EXPECT_EQ(parse_error(h + ",8,8,3,3,4,10,1,\n"), "t.csv:2:1: error: the layer name is empty");
  EXPECT_EQ(parse_error(h + "g1,7,9,5,\n"),
            "t.csv:2:10: error: the filter width is missing (a conv row has 8 or 9 columns: layer name, ifmap "
            "height, ifmap width, filter height, filter width, channels, filters, stride [, stride width]); a GEMM "
            "topology needs --gemm");
  EXPECT_EQ(parse_error("Layer,M,N,K,\ng1,7,9,\n", TopologyFormat::gemm),
            "t.csv:2:8: error: the K is missing (a GEMM row has 4 columns: layer name, M, N, K)");
  EXPECT_EQ(parse_error(h + "c1,8,8,3,3,4,10,1,\n", TopologyFormat::gemm),
            "t.csv:2:10: error: extra column (a GEMM row has 4 columns: layer name, M, N, K); a conv topology needs "
            "no --gemm");
  EXPECT_EQ(parse_error(h), "t.csv:1:1: error: the topology has no layers: the first line is a header, and each line "
                            "after it is a layer");
  EXPECT_EQ(parse_error(""), "t.csv:1:1: error: the topology has no layers: the first line is a header, and each line "
                             "after it is a layer");
}

TEST(ScaleSimErrors, EveryBadLineIsReported) {
  Expected<Topology> t = parse_topology("h\na,1,1,1\nb,x,1,1\nc,1,1,1\nd,1,0,1\n", "t.csv", TopologyFormat::gemm);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().diagnostics().error_count(), 2u);
  EXPECT_EQ(t.error().to_string(),
            "t.csv:3:3: error: the M 'x' is not a whole number\nt.csv:5:5: error: the N is 0; it must be at least 1");
}

TEST(ScaleSimErrors, BinaryInputIsRejected) {
  EXPECT_EQ(parse_error(std::string("h\na,1,\0,1\n", 10), TopologyFormat::gemm).find("t.csv:2:"), 0u);
}

}  // namespace
}  // namespace xpusim::perfsim
