#include "engine_option.h"

#include <cstdio>

namespace xpusim::cli {

void add_engine_option(CLI::App& command, std::string& engine) {
  command
      .add_option("--engine", engine,
                  "What times each op: analytical (the per-op model) or cycle (compiled for the custom chip and "
                  "run on the cycle-level simulator; docs/perfsim.md)")
      ->check(CLI::IsMember({"analytical", "cycle"}))
      ->capture_default_str();
}

Expected<std::optional<cycle::CycleModel>> cycle_engine(const std::string& engine, const spec::ChipSpec& chip) {
  if (engine != "cycle") return std::optional<cycle::CycleModel>();
  Expected<cycle::CycleModel> model = cycle::CycleModel::create(chip);
  if (!model.ok()) return model.error();
  return std::optional<cycle::CycleModel>(std::move(*model));
}

nlohmann::ordered_json cycle_engine_json(const cycle::CycleModel& model) {
  nlohmann::ordered_json ops = nlohmann::ordered_json::array();
  for (const cycle::SimulatedOp& op : model.simulated()) {
    nlohmann::ordered_json row = {{"op", op.key},
                                  {"cycles", op.cycles},
                                  {"seconds", op.seconds},
                                  {"instructions", op.instructions},
                                  {"mxu_utilization", op.mxu_utilization},
                                  {"hbm_bytes", op.hbm_bytes}};
    if (!op.fallback.empty()) row["analytical_because"] = op.fallback;
    ops.push_back(std::move(row));
  }
  return {{"simulated_ops", std::move(ops)}};
}

void print_cycle_engine(const cycle::CycleModel& model) {
  const std::vector<cycle::SimulatedOp> ops = model.simulated();
  std::uint64_t cycles = 0, instructions = 0;
  std::size_t fallbacks = 0;
  for (const cycle::SimulatedOp& op : ops) {
    cycles += op.cycles;
    instructions += op.instructions;
    fallbacks += op.fallback.empty() ? 0 : 1;
  }
  std::printf("engine                cycle-level: %zu distinct ops compiled and simulated (%llu instructions, "
              "%llu cycles); collectives analytical\n",
              ops.size() - fallbacks, static_cast<unsigned long long>(instructions),
              static_cast<unsigned long long>(cycles));
  for (const cycle::SimulatedOp& op : ops)
    if (!op.fallback.empty()) std::printf("                      timed analytically: %s (%s)\n", op.key.c_str(), op.fallback.c_str());
}

}  // namespace xpusim::cli
