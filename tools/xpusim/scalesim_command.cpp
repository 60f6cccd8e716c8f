#include "scalesim_command.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "perfsim/scalesim_compat.h"
#include "support/text.h"

namespace xpusim::cli {
namespace {

using Json = nlohmann::ordered_json;

struct ScaleSimArgs {
  std::string topology;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::string dataflow_name;  // os, ws or is
  bool gemm = false;
  bool json = false;
};

std::string_view dataflow_words(perfsim::Dataflow dataflow) {
  switch (dataflow) {
    case perfsim::Dataflow::output_stationary: return "output stationary";
    case perfsim::Dataflow::weight_stationary: return "weight stationary";
    case perfsim::Dataflow::input_stationary: return "input stationary";
  }
  return "?";
}

Json run_json(const ScaleSimArgs& args, const perfsim::ScaleSimRun& run) {
  Json layers = Json::array();
  for (const perfsim::LayerTiming& t : run.layers) {
    Json layer = {{"name", t.name},
                  {"m", t.m},
                  {"n", t.n},
                  {"k", t.k},
                  {"copies", t.copies},
                  {"spatial_rows", t.spatial_rows},
                  {"spatial_cols", t.spatial_cols},
                  {"temporal", t.temporal},
                  {"row_folds", t.row_folds},
                  {"col_folds", t.col_folds},
                  {"cycles_per_fold", t.cycles_per_fold},
                  {"cycles", t.cycles},
                  {"macs", t.macs},
                  {"overall_util_pct", t.overall_util_pct},
                  {"mapping_efficiency_pct", t.mapping_efficiency_pct},
                  {"compute_util_pct", t.compute_util_pct}};
    layers.push_back(std::move(layer));
  }
  return Json{{"topology", args.topology},
              {"format", args.gemm ? "gemm" : "conv"},
              {"rows", run.array.rows},
              {"cols", run.array.cols},
              {"dataflow", perfsim::dataflow_name(run.dataflow)},
              {"layers", std::move(layers)},
              {"total_cycles", run.total_cycles},
              {"total_macs", run.total_macs},
              {"overall_util_pct", run.overall_util_pct}};
}

void print_text(const ScaleSimArgs& args, const perfsim::ScaleSimRun& run) {
  std::printf("SCALE-Sim-compatible run: %s on a %lld x %lld array, %s (%s); conventions in docs/scalesim.md\n",
              args.topology.c_str(), static_cast<long long>(run.array.rows), static_cast<long long>(run.array.cols),
              std::string(dataflow_words(run.dataflow)).c_str(), std::string(perfsim::dataflow_name(run.dataflow)).c_str());
  std::printf("%-20s %9s %7s %7s %11s %12s %8s %8s %8s\n", "layer", "M", "N", "K", "folds", "cycles", "util",
              "mapping", "compute");
  for (const perfsim::LayerTiming& t : run.layers) {
    std::string name = t.name;
    if (t.copies > 1) name += fmt::format(" x{}", t.copies);
    std::printf("%-20s %9lld %7lld %7lld %11s %12s %7.2f%% %7.2f%% %7.2f%%\n", name.c_str(),
                static_cast<long long>(t.m), static_cast<long long>(t.n), static_cast<long long>(t.k),
                fmt::format("{}x{}", t.row_folds, t.col_folds).c_str(),
                format_grouped(static_cast<double>(t.cycles)).c_str(), t.overall_util_pct, t.mapping_efficiency_pct,
                t.compute_util_pct);
  }
  std::printf("total: %s cycles over %s, %s MACs, overall utilization %.2f%%\n",
              format_grouped(static_cast<double>(run.total_cycles)).c_str(),
              count_noun(static_cast<long long>(run.layers.size()), "layer", "layers").c_str(),
              format_grouped(static_cast<double>(run.total_macs)).c_str(), run.overall_util_pct);
  std::printf("util: MACs / (cycles x PEs); mapping: mean share of PEs mapped per fold; compute: SCALE-Sim's "
              "per-fold compute utilization\n");
}

int run_scalesim_command(const ScaleSimArgs& args) {
  const perfsim::TopologyFormat format = args.gemm ? perfsim::TopologyFormat::gemm : perfsim::TopologyFormat::conv;
  Expected<perfsim::Topology> topology = perfsim::load_topology(args.topology, args.topology, format);
  if (!topology.ok()) {
    print_diagnostics(topology.error().diagnostics());
    return kExitBadInput;
  }
  print_diagnostics(topology->warnings);
  const perfsim::Dataflow dataflow = args.dataflow_name == "ws"   ? perfsim::Dataflow::weight_stationary
                                     : args.dataflow_name == "is" ? perfsim::Dataflow::input_stationary
                                                                  : perfsim::Dataflow::output_stationary;
  Expected<perfsim::ScaleSimRun> run = perfsim::run_scalesim(*topology, {args.rows, args.cols}, dataflow);
  if (!run.ok()) {
    print_diagnostics(run.error().diagnostics());
    return kExitBadInput;
  }
  if (args.json)
    print_json(run_json(args, *run));
  else
    print_text(args, *run);
  return kExitOk;
}

}  // namespace

void add_scalesim_command(CLI::App& app, const Context& context, int& exit_code) {
  auto args = std::make_shared<ScaleSimArgs>();
  CLI::App* scalesim = app.add_subcommand(
      "scalesim", "Time a lone systolic array as SCALE-Sim v2 does (its topology CSV, folds and cycle counts)");
  scalesim->add_option("--topology", args->topology, "SCALE-Sim topology CSV (conv layers, or M, N, K with --gemm)")
      ->required();
  scalesim->add_option("--rows", args->rows, "Array rows (processing elements)")
      ->required()
      ->check(CLI::Range(std::int64_t{1}, perfsim::kMaxArraySide));
  scalesim->add_option("--cols", args->cols, "Array columns (processing elements)")
      ->required()
      ->check(CLI::Range(std::int64_t{1}, perfsim::kMaxArraySide));
  scalesim->add_option("--dataflow", args->dataflow_name, "os (output), ws (weight) or is (input stationary)")
      ->required()
      ->check(CLI::IsMember({"os", "ws", "is"}));
  scalesim->add_flag("--gemm", args->gemm, "The topology lists GEMMs (name, M, N, K), not conv layers");
  scalesim->add_flag("--json", args->json, "Print JSON");
  scalesim->footer(
      "Example:\n"
      "  xpusim scalesim --topology tests/data/scalesim/Resnet18.csv --rows 128 --cols 128 --dataflow os");
  scalesim->callback([&, args] { exit_code = context.parse_only ? kExitOk : run_scalesim_command(*args); });
}

}  // namespace xpusim::cli
