// LLM serving estimates: time to first token, time per output token, throughput and memory fit for a
// model on a chip, explained op by op. Parallelism: tensor (inside a scale-up domain, or across
// domains over the scale-out network), pipeline (stages in sequence; pp batches in flight) and expert
// (DeepSeek-style: each of ep ranks serves its own batch through replicated attention, and the routed
// experts are sharded over them, reached by an all-to-all dispatch and combine per MoE layer).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "frontend/llm/llm_builder.h"
#include "network/collectives.h"
#include "perfmodel/chip_model.h"
#include "spec/specs.h"

namespace xpusim::serve {

struct ServeOptions {
  std::int64_t batch = 1;
  std::int64_t prompt = 128;  // tokens per request
  std::int64_t gen = 128;     // output tokens per request
  frontend::LlmOptions llm;  // tp and ep here
  int pp = 1;
  // The machine the tp x ep x pp chips sit on (ranks laid out TP innermost, then EP, then PP); needed
  // for pp or ep above 1. The TP link is the `link` argument of estimate_serving.
  const network::Topology* topology = nullptr;
  // What times each op: unset, the analytical model of the chip; else another engine (`--engine cycle`:
  // compiled and cycle-simulated), which must outlive the call.
  const perfmodel::OpTimer* timer = nullptr;
};

// One row of the explanation: an op of the graph and what its `count` executions cost in total.
struct OpRow {
  std::string name;
  std::string kind;
  std::int64_t count = 1;
  double flops = 0;    // total over count
  double bytes = 0;    // HBM traffic, total over count
  double seconds = 0;  // total over count
  double share = 0;    // of the phase's time
  perfmodel::Bound bound = perfmodel::Bound::free;
  double peak_fraction = 0;
  bool fused = false;
};

struct PhaseResult {
  double seconds = 0;
  double flops = 0;
  double bytes = 0;
  std::vector<OpRow> ops;  // ops that cost something, in graph order
  econ::Activity activity;  // one chip's work in the phase, for the power model
  std::array<double, perfmodel::kTimeCategories> category_s{};  // seconds by perfmodel::TimeCategory
};

struct ServeResult {
  frontend::ServingMemory memory;
  double hbm_capacity_bytes = 0;
  bool fits = false;
  // Only when it fits:
  double ttft_s = 0;               // the prefill of the whole batch
  double tpot_s = 0;               // mean decode step over the generation
  double total_s = 0;              // ttft + (gen - 1) decode steps
  double output_tokens_per_s = 0;  // batch x ep x pp x gen / total, all chips together
  int chips = 1;                   // tp x ep x pp
  double prefill_pp_s = 0, decode_pp_s = 0;  // stage-to-stage transfers inside ttft and one decode step
  double prefill_ep_s = 0, decode_ep_s = 0;  // expert all-to-alls inside ttft and one decode step
  PhaseResult prefill;
  PhaseResult decode;  // one step at the middle of the generation (empty when gen = 1)
};

// The scale-up interconnect a system gives each chip (falls back to the chip's own links).
perfmodel::Interconnect interconnect_of(const spec::ChipSpec& chip, const spec::SystemSpec* system,
                                        const spec::NetworkSpec* network);

// One chip's work over a batch's whole request: the prefill, then gen - 1 decode steps like the middle
// one, over total_s (for the power model).
econ::Activity request_activity(const ServeResult& result, std::int64_t gen);

// The types a KV cache may be stored in: below 8 bits the cache loses too much accuracy (serving stacks
// quantize weights to fp4, never the cache).
bool is_kv_dtype(ir::DType dtype);

// The KV cache's type when none is given: the weights' own where a cache may take it, else the
// narrowest KV type the chip computes (fp8, else bf16, else fp16), so fp4 weights get an fp8 cache.
ir::DType default_kv_dtype(ir::DType dtype, const spec::ChipSpec& chip);

// Errors: shapes the model cannot run, a dtype the chip cannot compute, a KV type a cache cannot take.
Expected<ServeResult> estimate_serving(const spec::ModelSpec& model, const spec::ChipSpec& chip,
                                       const perfmodel::Interconnect& link, const ServeOptions& options);

}  // namespace xpusim::serve
