// Training on many chips: a parallel plan (tensor, pipeline, data with ZeRO, context, expert), its
// memory per chip, and the time of one optimizer step with its breakdown.
//
// One pipeline stage's per-microbatch time comes from the analytical model of the training graph
// (forward, recompute, backward of its layers, TP collectives included). Around it: the pipeline
// schedule's bubble, point-to-point transfers between stages, the data-parallel gradient
// synchronisation (overlapped with the last backward pass), ZeRO's parameter gathers, and the optimizer.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "frontend/llm/llm_builder.h"
#include "network/collectives.h"
#include "network/flow.h"
#include "perfmodel/chip_model.h"
#include "spec/specs.h"

namespace xpusim::parallel {

enum class Schedule : unsigned char { gpipe, one_f_one_b, interleaved };
std::string_view schedule_name(Schedule schedule);

struct TrainPlan {
  int tp = 1, pp = 1, dp = 1, cp = 1, ep = 1;
  int vp = 1;    // virtual stages per pipeline rank (interleaved schedule)
  int zero = 1;  // 0: replicated optimizer; 1: optimizer states sharded over dp; 2: + gradients; 3: + weights
  std::int64_t micro_batch = 1;
  std::int64_t global_batch = 1;  // sequences per optimizer step
  std::int64_t seq = 2048;
  frontend::Recompute recompute = frontend::Recompute::full;
  bool sequence_parallel = false;
  Schedule schedule = Schedule::one_f_one_b;
  ir::DType dtype = ir::DType::bf16;             // weights, activations, gradients exchanged
  std::optional<ir::DType> gemm_dtype;           // linear-layer GEMMs (fp8: Transformer Engine's recipe)
  bool overlap_grad_reduce = true;  // Megatron-LM's --overlap-grad-reduce
  bool flash_attention = true;      // fused attention; off for Megatron-LM before 2022 (scores in HBM)
  // Tensor-parallel collectives run under the matmuls that produce or consume them (XLA's collective
  // matmul on TPU, the async collective fusion MaxText turns on): each layer exposes only the part of
  // its TP communication that outlasts its matmuls. Off: they run between the matmuls (Megatron-LM).
  bool overlap_tp_comm = false;

  int chips() const { return tp * pp * dp * cp; }
};

struct TrainMemory {
  double weight_bytes = 0, gradient_bytes = 0, optimizer_bytes = 0, activation_bytes = 0, workspace_bytes = 0;
  double total() const { return weight_bytes + gradient_bytes + optimizer_bytes + activation_bytes + workspace_bytes; }
};

struct TrainResult {
  TrainMemory memory;  // per chip, on the most loaded stage
  double capacity_bytes = 0;
  bool fits = false;
  // Only when it fits:
  std::int64_t microbatches = 0;  // per pipeline, per step
  double stage_microbatch_s = 0;  // forward + backward of one microbatch on the slowest stage
  double ep_comm_s = 0;           // expert all-to-alls of the slowest stage (part of compute_s)
  double compute_s = 0;           // microbatches x stage time (TP collectives inside)
  double bubble_s = 0;
  double pp_comm_s = 0;  // exposed point-to-point transfers
  double dp_comm_s = 0;  // exposed gradient synchronisation (and ZeRO-3 gathers)
  double optimizer_s = 0;
  double step_s = 0;
  double tokens_per_s = 0;              // whole job
  double model_tflops_per_chip = 0;     // model FLOPs (6 N + attention, no recompute) per chip per second
  double hardware_tflops_per_chip = 0;  // FLOPs executed, recompute included
  double mfu = 0, hfu = 0;              // over the dtype's dense peak
  // One step on one chip of the slowest stage: the compute time by perfmodel::TimeCategory (with the
  // exposed communication, bubble and optimizer above they sum to step_s; see step_breakdown), and
  // what the chip does, for the power model.
  std::array<double, perfmodel::kTimeCategories> category_s{};
  econ::Activity activity;
};

// Where a step's time goes, named: the compute categories, then expert all-to-all, pipeline bubble and
// transfers, gradient sync and optimizer; parts that take no time are left out.
std::vector<std::pair<std::string_view, double>> step_breakdown(const TrainResult& result);

// Checks the plan against the model and the machine; the message says what and why.
Expected<bool> check_plan(const spec::ModelSpec& model, const TrainPlan& plan, int chips_available);

// Data-, pipeline-, context- and expert-parallel traffic is timed by `net_model`; TP collectives stay
// inside a scale-up domain and use its analytical cost with either model. Groups follow Megatron-LM's
// layout: TP innermost, then CP, then DP, then PP. `timer` times each op of the step (unset: the chip's
// analytical model; `--engine cycle` passes the compiled, cycle-simulated one).
Expected<TrainResult> estimate_training(const spec::ModelSpec& model, const spec::ChipSpec& chip,
                                        const network::Topology& topology, const TrainPlan& plan,
                                        network::NetModel net_model = network::NetModel::analytical,
                                        const perfmodel::OpTimer* timer = nullptr);

// Plans the search turned down for one reason: the reason in words and how many plans it rejected.
struct Rejection {
  std::string reason;
  int plans = 0;
};

// Plan search: every plan of the space below that fits, fastest first. The space, for the machine's
// chips: tp a power of two up to the scale-up domain that divides the heads; cp in {1, 2, 4, 8}, above 1
// only keeping at least 1024 tokens per rank; pp dividing the rest, up to 64 and the layers; dp the chips left;
// vp in {1, 2, 4} with pp > 1 (interleaved); micro batch in {1, 2, 4, 8} dividing the global batch per
// replica; recompute none, selective, full; sequence parallelism whenever tp > 1; ep (MoE) a power of
// two dividing the experts and dp x cp. The global batch, sequence, dtype and ZeRO stage stay as in `base`.
struct SearchResult {
  int evaluated = 0;
  int fitting = 0;
  std::vector<std::pair<TrainPlan, TrainResult>> best;  // fastest first
  // Why the other plans were rejected, most common first (ties in the order met): "do not fit in
  // memory", or the error that stopped the estimate (a level without bandwidth, a shape the model refuses).
  std::vector<Rejection> rejections;
  // The plan that came closest to fitting, when some did not fit: its memory per chip and the capacity.
  double least_memory_bytes = 0, capacity_bytes = 0;
};
SearchResult search_plans(const spec::ModelSpec& model, const spec::ChipSpec& chip, const network::Topology& topology,
                          const TrainPlan& base, std::size_t keep);

// The reason of the plans that do not fit in memory.
inline constexpr std::string_view kDoesNotFit = "do not fit in memory";
// "380 fail: <reason>; 32 do not fit in memory (best: 92.1 GB of 80.0 GB)": the `most` commonest reasons
// and how many others there were.
std::string rejection_summary(const SearchResult& search, std::size_t most = 3);


}  // namespace xpusim::parallel
