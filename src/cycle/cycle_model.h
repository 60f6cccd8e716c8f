// The cycle engine: how long an op takes on a custom chip, found by compiling it (src/compiler) and
// running the program on the cycle-level simulator (src/perfsim). It answers through the same OpTimer
// interface as the analytical model, so `llm serve` and `llm train` run on either (`--engine cycle`):
// the compute ops of one step are cycle-simulated, collectives and everything around the step (pipeline,
// data-parallel sync, memory fit) stay as the analytical path computes them.
//
// Each distinct op (kind, attributes, operand shapes and types) is compiled and simulated once and
// remembered, so a 126-layer model costs as many simulations as its block has distinct ops.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "perfmodel/chip_model.h"
#include "spec/specs.h"
#include "support/expected.h"

namespace xpusim::cycle {

// One op as the cycle engine saw it.
struct SimulatedOp {
  std::string key;  // kind and operand shapes: what makes two ops the same
  std::uint64_t cycles = 0;
  std::uint64_t instructions = 0;
  double seconds = 0;
  double mxu_utilization = 0;
  double hbm_bytes = 0;
  double compile_ms = 0;
  double simulate_ms = 0;
  std::string fallback;  // not empty: the compiler does not run this op yet, and why; timed analytically
};

class CycleModel final : public perfmodel::OpTimer {
 public:
  // Keeps a reference to `chip`, which must outlive the model. Errors: the chip is not a systolic XPU
  // the compiler targets.
  static Expected<CycleModel> create(const spec::ChipSpec& chip);
  CycleModel(CycleModel&& other) noexcept;

  // Collectives and views are the analytical model's (no instructions run them on one chip); every
  // other op is compiled and simulated.
  Expected<perfmodel::OpTime> time_op(const ir::Graph& graph, const ir::Op& op, const perfmodel::Interconnect& link,
                                      const perfmodel::Residency& residency) const override;
  const spec::ChipSpec& chip() const override { return *chip_; }

  // The ops simulated so far, in the order first seen.
  std::vector<SimulatedOp> simulated() const;

 private:
  explicit CycleModel(const spec::ChipSpec& chip);

  const spec::ChipSpec* chip_;
  perfmodel::ChipModel analytical_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, perfmodel::OpTime> memo_;
  mutable std::vector<SimulatedOp> simulated_;
};

// A graph of just `op` and the tensors it reads and writes (same shapes, types and roles), repeat 1.
ir::Graph single_op_graph(const ir::Graph& graph, const ir::Op& op);

// What makes two ops time the same: kind, attributes and each operand's shape, type and role.
std::string op_key(const ir::Graph& graph, const ir::Op& op);

}  // namespace xpusim::cycle
