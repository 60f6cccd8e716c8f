#include "serve/serving.h"

#include <cmath>

#include "support/checked_math.h"

namespace xpusim::serve {
namespace {

struct Communication {
  double pipeline_s = 0, experts_s = 0;
};

// Stage-to-stage sends and expert all-to-alls of one forward pass over `tokens` tokens.
Expected<Communication> communication(const spec::ModelSpec& model, std::int64_t tokens, const ServeOptions& o) {
  Communication c;
  const int tp = o.llm.tp, ep = o.llm.ep;
  const double act = static_cast<double>(tokens * model.hidden) * ir::dtype_bytes(o.llm.dtype);
  if (o.pp > 1) {
    // Each TP rank sends its 1/tp slice of the boundary activations (Megatron's scatter-gather).
    const int stage_ranks = tp * ep;
    Expected<network::CollectiveTime> send = network::collective_time(
        network::Collective::send_recv, act / tp, *o.topology, network::group_of(*o.topology, stage_ranks, 2));
    if (!send.ok()) return send.error();
    c.pipeline_s = (o.pp - 1) * send->seconds;
    // Stages smaller than a scale-up domain send inside it, except where the pipeline passes from one
    // domain to the next: those sends take the scale-out level (as in parallel/training.cpp).
    const int domain = o.topology->levels.front().ranks;
    if (o.topology->levels.size() > 1 && stage_ranks < domain) {
      int crossing = 0;
      for (std::int64_t k = 1; k < o.pp; ++k)
        if ((k - 1) * stage_ranks / domain != ((k + 1) * stage_ranks - 1) / domain) ++crossing;
      if (crossing > 0) {
        Expected<network::CollectiveTime> out = network::collective_time(
            network::Collective::send_recv, act / tp, *o.topology, network::group_of(*o.topology, domain, 2));
        if (!out.ok()) return out.error();
        c.pipeline_s += crossing * (out->seconds - send->seconds);
      }
    }
  }
  if (ep > 1) {
    const double bytes = act * static_cast<double>(model.moe.top_k);
    Expected<network::CollectiveTime> a2a = network::collective_time(
        network::Collective::all_to_all, bytes, *o.topology, network::group_of(*o.topology, tp, ep));
    if (!a2a.ok()) return a2a.error();
    c.experts_s = 2 * static_cast<double>(model.layers - model.moe.dense_layers) * a2a->seconds;
  }
  return c;
}

Expected<PhaseResult> run_phase(const perfmodel::OpTimer& chip, const ir::Graph& graph,
                                const perfmodel::Interconnect& link, bool explain) {
  Expected<perfmodel::GraphTime> time = perfmodel::evaluate(chip, graph, link);
  if (!time.ok()) return time.error();
  PhaseResult phase;
  phase.seconds = time->seconds;
  phase.flops = time->flops;
  phase.bytes = time->hbm_bytes;
  phase.activity = time->activity;
  for (std::size_t i = 0; i < graph.ops().size(); ++i)
    phase.category_s[static_cast<std::size_t>(perfmodel::time_category(graph.ops()[i].kind))] +=
        time->ops[i].seconds * static_cast<double>(graph.ops()[i].repeat);
  if (!explain) return phase;
  for (std::size_t i = 0; i < graph.ops().size(); ++i) {
    const ir::Op& op = graph.ops()[i];
    const perfmodel::OpTime& t = time->ops[i];
    if (op.kind == ir::OpKind::view) continue;
    const auto count = static_cast<double>(op.repeat);
    phase.ops.push_back({op.name, std::string(ir::op_kind_name(op.kind)), op.repeat, t.flops * count,
                         t.hbm_bytes * count, t.seconds * count,
                         phase.seconds > 0 ? t.seconds * count / phase.seconds : 0, t.bound, t.peak_fraction, t.fused});
  }
  return phase;
}

}  // namespace

perfmodel::Interconnect interconnect_of(const spec::ChipSpec& chip, const spec::SystemSpec* system,
                                        const spec::NetworkSpec* network) {
  // A system's scale-up level, as training sees it: bandwidth, the fabric's latency plus a software step
  // per ring step, and the fabric's calibrated ring efficiency.
  if (system) return perfmodel::link_of(network::topology_of(*system, network, 1, nullptr, 1).levels.front());
  perfmodel::Interconnect link;
  link.bandwidth_gb_s_per_direction =
      chip.has_links ? static_cast<double>(chip.links.count) * chip.links.bandwidth_gb_s_per_direction : 0;
  link.latency_us = network::kScaleUpStepUs;
  return link;
}

bool is_kv_dtype(ir::DType dtype) {
  return ir::dtype_bytes(dtype) >= 1;
}

ir::DType default_kv_dtype(ir::DType dtype, const spec::ChipSpec& chip) {
  if (is_kv_dtype(dtype)) return dtype;
  const perfmodel::ChipModel chip_model(chip);
  for (ir::DType candidate : {ir::DType::fp8_e4m3, ir::DType::bf16, ir::DType::fp16})
    if (chip_model.supports(candidate)) return candidate;
  return ir::DType::bf16;  // a chip with none of them fails the dtype check that follows
}

econ::Activity request_activity(const ServeResult& result, std::int64_t gen) {
  econ::Activity a = result.prefill.activity;
  if (gen > 1) a += result.decode.activity.scaled(static_cast<double>(gen - 1));
  a.seconds = result.total_s;
  return a;
}

Expected<ServeResult> estimate_serving(const spec::ModelSpec& model, const spec::ChipSpec& chip,
                                       const perfmodel::Interconnect& link, const ServeOptions& options) {
  if (options.gen < 1) return Error("gen must be at least 1 token, got " + std::to_string(options.gen));
  // The prefill yields the first output token; each later one is a decode step that attends to the
  // prompt and the tokens before it. The last output token is never fed back.
  const std::int64_t context = options.prompt + options.gen - 1;
  if (auto ok = frontend::check_llm_shape(model, options.batch, context, options.llm); !ok) return ok.error();
  if (options.llm.tp > 1 && link.bandwidth_gb_s_per_direction <= 0)
    return Error("tp " + std::to_string(options.llm.tp) + " needs a scale-up fabric, and chip " + chip.name +
                 " has no links (give --system)");
  if (!is_kv_dtype(options.llm.kv_dtype))
    return Error("a KV cache cannot be stored as " + std::string(ir::dtype_name(options.llm.kv_dtype)) +
                 ": give a KV type of 8 bits or more");
  if (options.pp < 1) return Error("pp must be at least 1, got " + std::to_string(options.pp));
  if (!checked_product({options.llm.tp, options.llm.ep, options.pp}, INT32_MAX))
    return Error("tp x ep x pp = " + std::to_string(options.llm.tp) + " x " + std::to_string(options.llm.ep) + " x " +
                 std::to_string(options.pp) + " chips is more than any machine holds");
  if (options.pp > model.layers)
    return Error("pp " + std::to_string(options.pp) + " exceeds " + model.name + "'s " + std::to_string(model.layers) +
                 " layers");
  if ((options.pp > 1 || options.llm.ep > 1) && !options.topology)
    return Error("pp and ep need a machine to place their ranks on (give --system)");

  ServeResult result;
  result.chips = options.llm.tp * options.llm.ep * options.pp;
  result.memory = frontend::serving_memory(model, options.batch, options.prompt, context, options.llm);
  // The most loaded stage holds ceil(layers / pp) layers' weights and KV cache (embedding and head
  // counted with them, a small error for deep models).
  const double stage = std::ceil(static_cast<double>(model.layers) / options.pp) / static_cast<double>(model.layers);
  result.memory.weight_bytes *= stage;
  result.memory.kv_cache_bytes *= stage;
  result.hbm_capacity_bytes = chip.hbm.capacity_gib * 1024.0 * 1024 * 1024;
  result.fits = result.memory.total() <= result.hbm_capacity_bytes;
  const perfmodel::ChipModel chip_model(chip);
  for (ir::DType dtype : {options.llm.dtype, options.llm.kv_dtype})
    if (!chip_model.supports(dtype))
      return Error("chip " + chip.name + " cannot compute " + std::string(ir::dtype_name(dtype)));
  if (!result.fits) return result;
  const perfmodel::OpTimer& timer = options.timer ? *options.timer : chip_model;

  Expected<ir::Graph> prefill = frontend::build_prefill(model, options.batch, options.prompt, options.llm);
  if (!prefill.ok()) return prefill.error();
  Expected<PhaseResult> prefill_time = run_phase(timer, *prefill, link, true);
  if (!prefill_time.ok()) return prefill_time.error();
  result.prefill = std::move(*prefill_time);
  Expected<Communication> prefill_comm = communication(model, options.batch * options.prompt, options);
  if (!prefill_comm.ok()) return prefill_comm.error();
  result.prefill_pp_s = prefill_comm->pipeline_s;
  result.prefill_ep_s = prefill_comm->experts_s;
  result.ttft_s = result.prefill.seconds + result.prefill_pp_s + result.prefill_ep_s;
  Expected<Communication> decode_comm = communication(model, options.batch, options);
  if (!decode_comm.ok()) return decode_comm.error();
  // Every request's tokens pass every stage in turn; the other stages serve other batches meanwhile.
  const double in_flight = static_cast<double>(options.batch) * options.llm.ep * options.pp;

  // A decode step's time is linear in its context (attention reads the cache; nothing else depends on
  // it), so the mean over the generation is the mean of the first and last steps. With gen = 1 there is
  // no decode step at all.
  if (options.gen == 1) {
    result.total_s = result.ttft_s;
    result.output_tokens_per_s = in_flight / result.total_s;
    return result;
  }
  const std::int64_t first = options.prompt, last = std::max(first, options.prompt + options.gen - 2);
  double step_sum = 0;
  for (std::int64_t ctx : {first, last}) {
    Expected<ir::Graph> step = frontend::build_decode(model, options.batch, ctx, options.llm);
    if (!step.ok()) return step.error();
    Expected<PhaseResult> t = run_phase(timer, *step, link, false);
    if (!t.ok()) return t.error();
    step_sum += t->seconds;
  }
  result.decode_pp_s = decode_comm->pipeline_s;
  result.decode_ep_s = decode_comm->experts_s;
  result.tpot_s = step_sum / 2 + result.decode_pp_s + result.decode_ep_s;
  Expected<ir::Graph> middle = frontend::build_decode(model, options.batch, (first + last) / 2, options.llm);
  if (!middle.ok()) return middle.error();
  Expected<PhaseResult> middle_time = run_phase(timer, *middle, link, true);
  if (!middle_time.ok()) return middle_time.error();
  result.decode = std::move(*middle_time);

  result.total_s = result.ttft_s + static_cast<double>(options.gen - 1) * result.tpot_s;
  result.output_tokens_per_s = in_flight * static_cast<double>(options.gen) / result.total_s;
  return result;
}

}  // namespace xpusim::serve
