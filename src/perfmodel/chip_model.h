// The analytical per-op model: how long one op of a graph takes on one chip, and why.
//
// Each op is bounded by compute (its FLOPs on the units that run it, after tile and wave
// quantization), by memory (the HBM traffic its tiling implies) and by a fixed per-kernel overhead.
// Matmuls run on the matrix units, pointwise ops and norms on the vector units; fused attention keeps
// its scores on chip. Efficiencies come from the chip spec (calibrated for real parts).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "econ/power.h"
#include "ir/graph.h"
#include "network/collectives.h"
#include "spec/specs.h"
#include "support/expected.h"

namespace xpusim::perfmodel {

enum class Bound : unsigned char { compute, memory, latency, network, free };
std::string_view bound_name(Bound bound);

struct OpTime {
  double seconds = 0;        // one execution
  double compute_s = 0;      // after quantization and efficiency
  double memory_s = 0;       // HBM traffic / achieved bandwidth
  double overhead_s = 0;     // kernel launch and tail, or collective latency
  double flops = 0;          // useful FLOPs (as counted by the IR)
  double hbm_bytes = 0;      // traffic including tiling re-reads
  double link_bytes = 0;     // sent to other chips (collectives)
  double peak_fraction = 0;  // achieved FLOP/s over the dtype's peak (compute ops) or bandwidth (others)
  Bound bound = Bound::free;
  bool fused = false;  // runs inside the previous kernel (matmul epilogue)
};

// The scale-up fabric the collectives of a tensor-parallel group run on.
struct Interconnect {
  double bandwidth_gb_s_per_direction = 0;  // per chip
  double latency_us = 0;                    // per step of a ring
  double efficiency = 0.8;                  // achieved fraction of link bandwidth (NCCL bus bandwidth)
};

// What a level of a topology gives each of its ranks. On a torus, a tensor-parallel group lies along
// one dimension: a bidirectional ring on 2 of the chip's 2k links, 1/k of its bandwidth.
inline Interconnect link_of(const network::Level& level) {
  const double k = level.torus_dims.empty() ? 1.0 : static_cast<double>(level.torus_dims.size());
  return {level.bandwidth_gb_s / k, level.latency_us, level.efficiency};
}

// Which of a step's tensors stay in on-chip SRAM for the whole step, so that no op reads or writes them
// in HBM. Only chips whose compiler places data explicitly (systolic XPUs and TPUs: a scratchpad, not
// a cache) keep anything; the rules are the XPU compiler's (docs/compiler.md, residency).
struct Residency {
  bool weights = false;      // every core's shard of every weight within 3/4 of its VMEM
  bool activations = false;  // every activation of the step within the shared SRAM (CMEM)
  bool kv_cache = false;     // the KV cache too, beside the activations
  bool on_chip(ir::TensorRole role) const {
    return (role == ir::TensorRole::weight && weights) || (role == ir::TensorRole::activation && activations) ||
           (role == ir::TensorRole::kv_cache && kv_cache);
  }
};
Residency residency_of(const ir::Graph& graph, const spec::ChipSpec& chip);

// What times an op: the analytical model below, or an engine that compiles and cycle-simulates it
// (src/cycle, for the custom chip). Graph evaluation, serving and training ask through this interface,
// so either engine gives the rest of the estimate.
class OpTimer {
 public:
  virtual ~OpTimer() = default;
  virtual Expected<OpTime> time_op(const ir::Graph& graph, const ir::Op& op, const Interconnect& link,
                                   const Residency& residency) const = 0;
  virtual const spec::ChipSpec& chip() const = 0;
};

// The efficiencies a custom XPU without an `efficiency:` block runs at: the family's, fitted to the
// cycle engine on xpu-1 (docs/cycle-engine.md). Other chips: their own block (ideal when absent).
const spec::ChipEfficiency& xpu_family_efficiency();
const spec::ChipEfficiency& efficiency_of(const spec::ChipSpec& chip);

class ChipModel final : public OpTimer {
 public:
  // Keeps a reference to `chip`, which must outlive the model.
  explicit ChipModel(const spec::ChipSpec& chip);
  explicit ChipModel(spec::ChipSpec&&) = delete;  // a temporary spec would dangle

  // Errors: the op needs a dtype the chip cannot compute.
  Expected<OpTime> time_op(const ir::Graph& graph, const ir::Op& op, const Interconnect& link,
                           const Residency& residency) const override;
  // An op on its own: every tensor in HBM.
  Expected<OpTime> time_op(const ir::Graph& graph, const ir::Op& op, const Interconnect& link) const {
    return time_op(graph, op, link, Residency{});
  }

  const spec::ChipSpec& chip() const override { return *chip_; }
  bool supports(ir::DType dtype) const;
  double matmul_peak_flops(ir::DType dtype) const;  // FLOP/s, whole chip

 private:
  OpTime matmul(const ir::Graph& graph, const ir::Op& op, const Residency& residency) const;
  OpTime attention(const ir::Graph& graph, const ir::Op& op, const Residency& residency) const;
  OpTime vector_op(const ir::Graph& graph, const ir::Op& op, const Residency& residency) const;
  OpTime collective(const ir::Graph& graph, const ir::Op& op, const Interconnect& link) const;
  double matmul_efficiency(ir::DType dtype) const;

  const spec::ChipSpec* chip_;
  bool systolic_ = false;
  // Per dtype (indexed by ir::DType), looked up once: the sweeps call time_op millions of times.
  static constexpr std::size_t kDTypes = std::size(ir::kAllDTypes);
  std::array<double, kDTypes> peak_flops_{};  // 0: the chip cannot compute it
  std::array<double, kDTypes> matmul_efficiency_{};
  std::array<double, kDTypes> macs_per_cycle_{};
  double hbm_bytes_per_s_ = 0;  // achieved
  double vector_flops_ = 0;     // achieved, whole chip
  double overhead_s_ = 0;       // per kernel
  double attention_efficiency_ = 1;
  double onchip_bytes_ = 0;     // SRAM that tiling can block into (L2 or shared SRAM, else core SRAM)
  double core_sram_bytes_ = 0;  // per core
};

// The dtype a matmul or attention op computes in: its compute_dtype (a GEMM run in fp8 on bf16
// tensors), else its first input's.
inline ir::DType matrix_dtype(const ir::Graph& graph, const ir::Op& op) {
  return op.attrs.compute_dtype.value_or(graph.tensor(op.inputs[0]).dtype);
}

// Where an op's time goes, for breakdowns: the matrix units, fused attention, the vector units,
// memory-only movement (embedding, permute) or the network.
enum class TimeCategory : unsigned char { matmul, attention, vector, memory, collective };
inline constexpr std::size_t kTimeCategories = 5;
TimeCategory time_category(ir::OpKind kind);
std::string_view time_category_name(TimeCategory category);

// A graph's time on one chip: every op, and the sum (ops run one after another).
struct GraphTime {
  std::vector<OpTime> ops;  // parallel to graph.ops()
  double seconds = 0;
  double flops = 0;
  double hbm_bytes = 0;
  econ::Activity activity;  // what the chip did, for the power model
};
Expected<GraphTime> evaluate(const OpTimer& model, const ir::Graph& graph, const Interconnect& link);

}  // namespace xpusim::perfmodel
