#include "parallel/training.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "support/checked_math.h"

namespace xpusim::parallel {
namespace {

constexpr double kGiB = 1024.0 * 1024 * 1024;

bool is_layer_op(const ir::Op& op) {
  return op.name.find("layer.") != std::string::npos;
}

// Activation bytes of one transformer layer for one microbatch (Korthikanti et al. 2022, eqs. 1-6,
// 16-bit activations): s b h (34 + 5 a s / h) without parallelism, the 24 of the MLP and attention
// projections split by tp, everything split by tp with sequence parallelism, the 5 a s / h attention
// scores dropped by selective recomputation, and only the layer input kept with full recomputation.
double layer_activation_bytes(const spec::ModelSpec& m, const TrainPlan& p) {
  const double s = static_cast<double>(p.seq) / p.cp, b = static_cast<double>(p.micro_batch);
  const double h = static_cast<double>(m.hidden), a = static_cast<double>(m.heads), t = p.tp;
  const double sbh = s * b * h;
  if (p.recompute == frontend::Recompute::full) return 2 * sbh / (p.sequence_parallel ? t : 1);
  // Fused attention never stores the scores; unfused attention keeps softmax and dropout outputs.
  const double scores = p.recompute == frontend::Recompute::selective || p.flash_attention ? 0 : 5 * a * s / (h * t);
  // Transformer Engine's fp8 GEMMs save their inputs for the backward pass in fp8: half of the QKV and
  // fc1 inputs (2 sbh each, not split by TP), of the projection input (2 sbh) and of the fc2 input (8 sbh).
  const bool fp8 = p.gemm_dtype && ir::dtype_bytes(*p.gemm_dtype) < 2;
  const double replicated = fp8 ? 8 : 10, split = fp8 ? 19 : 24;
  if (p.sequence_parallel) return sbh * ((replicated + split) / t + scores);
  return sbh * (replicated + split / t + scores);
}

}  // namespace

std::string_view schedule_name(Schedule schedule) {
  switch (schedule) {
    case Schedule::gpipe:
      return "gpipe";
    case Schedule::one_f_one_b:
      return "1f1b";
    case Schedule::interleaved:
      return "interleaved";
  }
  return "?";
}


Expected<bool> check_plan(const spec::ModelSpec& model, const TrainPlan& p, int chips_available) {
  for (const auto& [name, value] :
       {std::pair{"tp", p.tp}, {"pp", p.pp}, {"dp", p.dp}, {"cp", p.cp}, {"ep", p.ep}, {"vp", p.vp},
        {"micro batch", p.micro_batch}, {"global batch", p.global_batch}, {"seq", p.seq}})
    if (value < 1) return Error(std::string(name) + " must be at least 1, got " + std::to_string(value));
  if (p.zero < 0 || p.zero > 3) return Error("zero must be 0, 1, 2 or 3, got " + std::to_string(p.zero));
  // Four user counts multiply past an int (and an int64 for absurd ones): bound the product first.
  const std::optional<std::int64_t> chips = checked_product({p.tp, p.pp, p.dp, p.cp}, std::int64_t{1} << 40);
  if (chips != chips_available)
    return Error("tp x pp x dp x cp = " + std::to_string(p.tp) + " x " + std::to_string(p.pp) + " x " +
                 std::to_string(p.dp) + " x " + std::to_string(p.cp) + " = " +
                 (chips ? std::to_string(*chips) : std::string("more than 2^40")) + " chips, but the machine has " +
                 std::to_string(chips_available));
  frontend::LlmOptions o;
  o.tp = p.tp;
  if (auto ok = frontend::check_llm_shape(model, p.micro_batch, p.seq, o); !ok) return ok.error();
  if (std::int64_t{p.pp} * p.vp > model.layers)
    return Error("pp x vp = " + std::to_string(std::int64_t{p.pp} * p.vp) + " stages exceed " + model.name + "'s " +
                 std::to_string(model.layers) + " layers");
  if (p.vp > 1 && p.schedule != Schedule::interleaved)
    return Error("vp " + std::to_string(p.vp) + " needs the interleaved schedule");
  // Interleaving splits each pipeline rank's layers into vp chunks; with one stage there is no
  // pipeline to interleave, and with one chunk the schedule is plain 1F1B under another name.
  if (p.schedule == Schedule::interleaved && (p.pp < 2 || p.vp < 2))
    return Error("the interleaved schedule needs pp > 1 and vp > 1, got pp " + std::to_string(p.pp) + " and vp " +
                 std::to_string(p.vp));
  if (p.seq % p.cp != 0)
    return Error("cp " + std::to_string(p.cp) + " does not divide the sequence of " + std::to_string(p.seq));
  if (p.global_batch % (std::int64_t{p.micro_batch} * p.dp) != 0)
    return Error("global batch " + std::to_string(p.global_batch) +
                 " is not a multiple of micro batch x dp = " + std::to_string(std::int64_t{p.micro_batch} * p.dp));
  if (p.ep > 1) {
    if (!model.has_moe) return Error("ep " + std::to_string(p.ep) + " needs a mixture-of-experts model");
    if (model.moe.experts % p.ep != 0 || (p.dp * p.cp) % p.ep != 0)
      return Error("ep " + std::to_string(p.ep) + " must divide the " + std::to_string(model.moe.experts) +
                   " experts and dp x cp");
  }
  return true;
}

Expected<TrainResult> estimate_training(const spec::ModelSpec& model, const spec::ChipSpec& chip,
                                        const network::Topology& topology, const TrainPlan& p,
                                        network::NetModel net_model, const perfmodel::OpTimer* timer) {
  int chips = 1;
  for (const network::Level& level : topology.levels) chips *= level.ranks;
  if (auto ok = check_plan(model, p, chips); !ok) return ok.error();

  TrainResult r;
  // ---- memory of the most loaded stage (the first: it holds the most microbatches in flight)
  // Expert parallelism shards the routed experts over ep ranks; everything else is split by tp and pp.
  const double params = spec::count_parameters(model).total;
  const double experts = spec::routed_expert_parameters(model);
  const double stage_params = ((params - experts) + experts / p.ep) / p.pp / p.tp;
  // Context-parallel ranks hold the same weights as their data-parallel peers: Megatron-LM reduces the
  // gradients and shards the distributed optimizer over dp x cp.
  // TPU slices joined by the data-center network (an outer level over a torus) shard the optimizer,
  // gradients and weights inside each slice only and keep a replica per slice (MaxText: FSDP over
  // ICI, data parallel over DCN), so that no weight gather crosses the DCN.
  const int dp_ranks = p.dp * p.cp;
  const bool per_slice = topology.levels.size() > 1 && !topology.levels.front().torus_dims.empty() && dp_ranks > 1;
  const int shard_ranks = per_slice ? network::group_of(topology, p.tp, dp_ranks).ranks_per_level.front() : dp_ranks;
  const double shard = shard_ranks;
  r.memory.weight_bytes = stage_params * ir::dtype_bytes(p.dtype) / (p.zero >= 3 ? shard : 1);
  r.memory.gradient_bytes = stage_params * 4 / (p.zero >= 2 ? shard : 1);    // fp32 main gradients
  r.memory.optimizer_bytes = stage_params * 12 / (p.zero >= 1 ? shard : 1);  // fp32 master weights, Adam m and v
  r.microbatches = p.global_batch / (p.micro_batch * p.dp);
  const double in_flight = std::min<double>(static_cast<double>(r.microbatches), p.pp);
  const double first_stage_layers = std::ceil(static_cast<double>(model.layers) / p.pp);
  double activations = layer_activation_bytes(model, p) * first_stage_layers * in_flight;
  if (p.schedule == Schedule::interleaved) activations *= 1 + (p.pp - 1.0) / (p.pp * p.vp);
  if (p.schedule == Schedule::gpipe)
    activations = layer_activation_bytes(model, p) * first_stage_layers * static_cast<double>(r.microbatches);
  r.memory.activation_bytes = activations;
  r.memory.workspace_bytes = kGiB;
  r.capacity_bytes = chip.hbm.capacity_gib * kGiB;
  r.fits = r.memory.total() <= r.capacity_bytes;
  if (!r.fits) return r;

  // ---- one microbatch through the whole model on one TP group, then split into stages
  frontend::LlmOptions o;
  o.dtype = o.kv_dtype = p.dtype;
  o.gemm_dtype = p.gemm_dtype;
  o.tp = p.tp;
  o.flash_attention = p.flash_attention;
  o.skip_masked_attention = p.flash_attention;
  const std::int64_t local_seq = p.seq / p.cp;
  Expected<ir::Graph> graph = frontend::build_training_step(model, p.micro_batch, local_seq, p.recompute, o);
  if (!graph.ok()) return graph.error();
  const network::CollectiveModel comms(topology, net_model);
  const perfmodel::ChipModel chip_model(chip);
  Expected<perfmodel::GraphTime> time =
      perfmodel::evaluate(timer ? *timer : static_cast<const perfmodel::OpTimer&>(chip_model), *graph,
                          perfmodel::link_of(topology.levels.front()));
  if (!time.ok()) return time.error();
  // Model FLOPs: the forward and backward ops, not the recomputation nor the optimizer (MFU's convention).
  double layers_s = 0, attention_s = 0, edge_s = 0, optimizer_s = 0, hardware_flops = 0, model_flops_rank = 0;
  double attention_flops = 0, model_attention_flops = 0, layer_matmul_s = 0, layer_tp_comm_s = 0;
  std::array<double, perfmodel::kTimeCategories> category_s{};
  for (std::size_t i = 0; i < graph->ops().size(); ++i) {
    const ir::Op& op = graph->ops()[i];
    const double t = time->ops[i].seconds * static_cast<double>(op.repeat);
    if (op.phase != ir::Phase::optimizer) category_s[static_cast<std::size_t>(perfmodel::time_category(op.kind))] += t;
    hardware_flops += time->ops[i].flops * static_cast<double>(op.repeat);
    if (op.phase == ir::Phase::forward || op.phase == ir::Phase::backward)
      model_flops_rank += time->ops[i].flops * static_cast<double>(op.repeat);
    if (op.phase == ir::Phase::optimizer)
      optimizer_s += t;
    else if (is_layer_op(op)) {
      layers_s += t;
      if (op.kind == ir::OpKind::matmul) layer_matmul_s += t;
      if (op.kind == ir::OpKind::all_reduce || op.kind == ir::OpKind::reduce_scatter ||
          op.kind == ir::OpKind::all_gather)
        layer_tp_comm_s += t;
    } else
      edge_s += t;
    if (op.kind == ir::OpKind::attention || op.kind == ir::OpKind::attention_backward) {
      attention_s += t;
      attention_flops += time->ops[i].flops * static_cast<double>(op.repeat);
      if (op.phase != ir::Phase::recompute)
        model_attention_flops += time->ops[i].flops * static_cast<double>(op.repeat);
    }
  }
  if (p.overlap_tp_comm) {
    const double hidden = std::min(layer_tp_comm_s, layer_matmul_s);
    layers_s -= hidden;
    category_s[static_cast<std::size_t>(perfmodel::TimeCategory::collective)] -= hidden;
  }
  // Context parallelism: each rank's queries attend to every rank's keys (ring attention), cp blocks of
  // the local attention. Each block's K and V arrive from the ring neighbour while the previous block
  // computes (and dK, dV travel back in the backward pass): only the excess is exposed.
  layers_s += (p.cp - 1) * attention_s;
  if (p.cp > 1) {
    const double kv_bytes =
        2.0 * static_cast<double>(p.micro_batch * local_seq * model.kv_head_count() * model.head_size()) *
        ir::dtype_bytes(p.dtype) / std::min<double>(p.tp, static_cast<double>(model.kv_head_count()));
    Expected<network::CollectiveTime> hop = comms.time(network::Collective::send_recv, kv_bytes, p.tp, 2);
    if (!hop.ok()) return hop.error();
    const double block_s = attention_s / static_cast<double>(model.layers);  // one block, forward and backward
    layers_s += static_cast<double>(model.layers) * (p.cp - 1) * std::max(0.0, 3 * hop->seconds - block_s);
  }
  hardware_flops += (p.cp - 1) * attention_flops;
  model_flops_rank += (p.cp - 1) * model_attention_flops;
  double ep_all_layers_s = 0;
  // Expert parallelism: every MoE layer sends each token's top-k copies to the experts' ranks and back
  // (all-to-all dispatch and combine) in the forward pass, again in the backward pass, and once more
  // when the forward pass is recomputed. Not overlapped with compute.
  if (p.ep > 1 && model.has_moe) {
    const double slots = static_cast<double>(p.micro_batch * local_seq * model.moe.top_k);
    const double bytes = slots * static_cast<double>(model.hidden) * ir::dtype_bytes(p.dtype);
    Expected<network::CollectiveTime> a2a = comms.time(network::Collective::all_to_all, bytes, p.tp, p.ep);
    if (!a2a.ok()) return a2a.error();
    const double per_layer = (p.recompute == frontend::Recompute::full ? 6 : 4) * a2a->seconds;
    layers_s += static_cast<double>(model.layers - model.moe.dense_layers) * per_layer;
    ep_all_layers_s = static_cast<double>(model.layers - model.moe.dense_layers) * per_layer;
  }
  // Stages hold ceil(layers / pp) layers at most (Megatron-LM allows uneven first and last stages);
  // the last stage also runs the head and the loss: the slowest stage sets the pace.
  const double stage_layers = std::ceil(static_cast<double>(model.layers) / p.pp);
  r.stage_microbatch_s = layers_s * stage_layers / static_cast<double>(model.layers) + edge_s;
  const double m = static_cast<double>(r.microbatches);
  r.compute_s = m * r.stage_microbatch_s;
  r.ep_comm_s = m * ep_all_layers_s * stage_layers / static_cast<double>(model.layers);
  const double ramp = (p.pp - 1) * r.stage_microbatch_s;
  r.bubble_s = p.schedule == Schedule::interleaved ? ramp / p.vp : ramp;

  // ---- point-to-point between stages: activations forward, gradients backward, exposed in the ramp
  if (p.pp > 1) {
    const double boundary = static_cast<double>(p.micro_batch * local_seq * model.hidden) * ir::dtype_bytes(p.dtype) /
                            (p.sequence_parallel ? p.tp : 1);
    const int stage_ranks = p.tp * p.cp * p.dp;
    Expected<network::CollectiveTime> send = comms.time(network::Collective::send_recv, boundary, stage_ranks, 2);
    if (!send.ok()) return send.error();
    r.pp_comm_s = 2.0 * (p.pp - 1) * p.vp * send->seconds;
    // Stages smaller than a scale-up domain send inside it, except across the boundaries where the
    // pipeline leaves one domain for the next: those sends take the scale-out level, and need it.
    const int domain = topology.levels.front().ranks;
    if (topology.levels.size() > 1 && stage_ranks < domain) {
      int crossing = 0;
      for (std::int64_t k = 1; k < p.pp; ++k)
        if ((k - 1) * stage_ranks / domain != ((k + 1) * stage_ranks - 1) / domain) ++crossing;
      if (crossing > 0) {
        Expected<network::CollectiveTime> out = comms.time(network::Collective::send_recv, boundary, domain, 2);
        if (!out.ok()) return out.error();
        r.pp_comm_s += 2.0 * crossing * p.vp * (out->seconds - send->seconds);
      }
    }
  }

  // ---- data-parallel gradient synchronisation (and ZeRO-3 parameter gathers)
  if (p.dp * p.cp > 1) {
    const double grad_bytes = stage_params * ir::dtype_bytes(p.dtype);
    double sync = 0;
    auto time_of = [&](network::Collective c, double bytes) -> Expected<double> {
      Expected<network::CollectiveTime> t = comms.time(c, bytes, p.tp, p.dp * p.cp);
      if (!t.ok()) return t.error();
      return t->seconds;
    };
    if (p.zero == 0) {
      Expected<double> t = time_of(network::Collective::all_reduce, grad_bytes);
      if (!t.ok()) return t.error();
      sync = *t;
    } else if (per_slice) {
      // Reduce-scatter inside the slice, all-reduce each shard across the slices, all-gather the
      // updated weights inside the slice (and, with ZeRO-3, for every microbatch's forward and backward).
      Expected<network::CollectiveTime> rs = comms.time(network::Collective::reduce_scatter, grad_bytes, p.tp, shard_ranks);
      Expected<network::CollectiveTime> ag = comms.time(network::Collective::all_gather, grad_bytes, p.tp, shard_ranks);
      Expected<network::CollectiveTime> across = comms.time(network::Collective::all_reduce, grad_bytes / shard,
                                                            p.tp * shard_ranks, dp_ranks / shard_ranks);
      if (!rs.ok()) return rs.error();
      if (!ag.ok()) return ag.error();
      if (!across.ok()) return across.error();
      sync = rs->seconds + across->seconds + ag->seconds;
      if (p.zero == 3) sync += m * 2 * ag->seconds;
    } else {
      // Distributed optimizer: reduce-scatter the gradients, all-gather the updated weights.
      Expected<double> rs = time_of(network::Collective::reduce_scatter, grad_bytes);
      Expected<double> ag = time_of(network::Collective::all_gather, grad_bytes);
      if (!rs.ok()) return rs.error();
      if (!ag.ok()) return ag.error();
      sync = *rs + *ag;
      if (p.zero == 3) sync += m * 2 * *ag;  // weights gathered for every microbatch's forward and backward
    }
    // The gradient reduction overlaps the last microbatch's backward (about two thirds of its time);
    // ZeRO-3's gathers are prefetched under the compute of every microbatch.
    const double window = p.overlap_grad_reduce ? (p.zero == 3 ? r.compute_s : r.stage_microbatch_s * 2.0 / 3.0) : 0;
    r.dp_comm_s = std::max(0.0, sync - window);
  }

  r.optimizer_s = optimizer_s / p.pp / (p.zero >= 1 ? shard : 1.0);
  r.step_s = r.compute_s + r.bubble_s + r.pp_comm_s + r.dp_comm_s + r.optimizer_s;

  // ---- the step's parts: the graph's categories fill the compute time (context-parallel attention
  // blocks spread over them).
  double graph_s = 0;
  for (double s : category_s) graph_s += s;
  const double fill = graph_s > 0 ? (r.compute_s - r.ep_comm_s) / graph_s : 0;
  for (std::size_t c = 0; c < category_s.size(); ++c) r.category_s[c] = category_s[c] * fill;
  // One chip runs its stage's share of every microbatch, and sends its share of the gradients.
  r.activity = time->activity.scaled(m / p.pp);
  if (p.dp * p.cp > 1)
    r.activity.link_bytes += stage_params * ir::dtype_bytes(p.dtype) *
                             network::bus_factor(network::Collective::all_reduce, p.dp * p.cp);
  r.activity.seconds = r.step_s;

  // ---- throughput and utilisation
  const double tokens = static_cast<double>(p.global_batch * p.seq);
  r.tokens_per_s = tokens / r.step_s;
  const double model_flops = model_flops_rank * m * p.tp * p.dp * p.cp;
  const double chips_d = p.chips();
  // Executed FLOPs: the TP-sharded graph, for every microbatch on every pipeline and stage.
  const double executed = hardware_flops * m * p.tp * p.dp * p.cp;
  r.model_tflops_per_chip = model_flops / r.step_s / chips_d / 1e12;
  r.hardware_tflops_per_chip = std::max(executed, model_flops) / r.step_s / chips_d / 1e12;
  const double peak = chip.derived_peak_tflops(ir::dtype_compute_key(p.gemm_dtype.value_or(p.dtype)));
  r.mfu = peak > 0 ? r.model_tflops_per_chip / peak : 0;
  r.hfu = peak > 0 ? r.hardware_tflops_per_chip / peak : 0;
  return r;
}

std::vector<std::pair<std::string_view, double>> step_breakdown(const TrainResult& r) {
  std::vector<std::pair<std::string_view, double>> parts;
  for (std::size_t c = 0; c < r.category_s.size(); ++c)
    if (r.category_s[c] > 0)
      parts.emplace_back(perfmodel::time_category_name(static_cast<perfmodel::TimeCategory>(c)), r.category_s[c]);
  for (auto [name, seconds] : {std::pair<std::string_view, double>{"expert all-to-all", r.ep_comm_s},
                               {"pipeline bubble", r.bubble_s},
                               {"pipeline transfers", r.pp_comm_s},
                               {"gradient sync", r.dp_comm_s},
                               {"optimizer", r.optimizer_s}})
    if (seconds > 0) parts.emplace_back(name, seconds);
  return parts;
}

SearchResult search_plans(const spec::ModelSpec& model, const spec::ChipSpec& chip, const network::Topology& topology,
                          const TrainPlan& base, std::size_t keep) {
  SearchResult out;
  int chips = 1;
  for (const network::Level& level : topology.levels) chips *= level.ranks;
  const int domain = topology.levels.empty() ? 1 : topology.levels[0].ranks;
  const frontend::Recompute recomputes[] = {frontend::Recompute::none, frontend::Recompute::selective,
                                            frontend::Recompute::full};
  auto reject = [&](const std::string& reason) {
    auto it = std::find_if(out.rejections.begin(), out.rejections.end(),
                           [&](const Rejection& r) { return r.reason == reason; });
    if (it == out.rejections.end()) it = out.rejections.insert(out.rejections.end(), {reason, 0});
    ++it->plans;
  };
  for (int tp = 1; tp <= domain && tp <= model.heads; tp *= 2) {
    if (chips % tp != 0 || model.heads % tp != 0) continue;
    for (int cp : {1, 2, 4, 8}) {
      // Context parallelism keeps at least 1024 tokens per rank; without it any sequence goes.
      if (chips % (tp * cp) != 0 || base.seq % cp != 0 || (cp > 1 && base.seq / cp < 1024)) continue;
      const int rest = chips / (tp * cp);
      for (int pp = 1; pp <= std::min<std::int64_t>({rest, 64, model.layers}); ++pp) {
        if (rest % pp != 0) continue;
        const int dp = rest / pp;
        for (int vp : {1, 2, 4}) {
          if (vp > 1 && (pp == 1 || pp * vp > model.layers)) continue;
          for (std::int64_t mb : {1, 2, 4, 8}) {
            if (base.global_batch % (mb * dp) != 0) continue;
            for (frontend::Recompute recompute : recomputes) {
              for (int ep = 1; ep <= (model.has_moe ? model.moe.experts : 1); ep *= 2) {
                if (ep > 1 && (model.moe.experts % ep != 0 || (dp * cp) % ep != 0)) continue;
                TrainPlan plan = base;
                plan.tp = tp;
                plan.cp = cp;
                plan.pp = pp;
                plan.dp = dp;
                plan.vp = vp;
                plan.ep = ep;
                plan.micro_batch = mb;
                plan.recompute = recompute;
                plan.sequence_parallel = tp > 1;
                plan.schedule = vp > 1 ? Schedule::interleaved : Schedule::one_f_one_b;
                ++out.evaluated;
                Expected<TrainResult> r = estimate_training(model, chip, topology, plan);
                if (!r.ok()) {
                  std::string why = r.error().to_string();
                  if (why.starts_with("error: ")) why.erase(0, 7);
                  reject("fail: " + why);
                  continue;
                }
                if (!r->fits) {
                  reject(std::string(kDoesNotFit));
                  if (out.least_memory_bytes == 0 || r->memory.total() < out.least_memory_bytes) {
                    out.least_memory_bytes = r->memory.total();
                    out.capacity_bytes = r->capacity_bytes;
                  }
                  continue;
                }
                ++out.fitting;
                out.best.emplace_back(plan, *r);
                // Keep the list short while it grows: sort and trim now and then.
                if (out.best.size() > 4 * keep + 64) {
                  std::sort(out.best.begin(), out.best.end(),
                            [](const auto& a, const auto& b) { return a.second.step_s < b.second.step_s; });
                  out.best.resize(keep);
                }
              }
            }
          }
        }
      }
    }
  }
  std::stable_sort(out.best.begin(), out.best.end(),
                   [](const auto& a, const auto& b) { return a.second.step_s < b.second.step_s; });
  if (out.best.size() > keep) out.best.resize(keep);
  std::stable_sort(out.rejections.begin(), out.rejections.end(),
                   [](const Rejection& a, const Rejection& b) { return a.plans > b.plans; });
  return out;
}

std::string rejection_summary(const SearchResult& search, std::size_t most) {
  std::string text;
  int others = 0;
  for (std::size_t i = 0; i < search.rejections.size(); ++i) {
    const Rejection& r = search.rejections[i];
    if (i >= most) {
      others += r.plans;
      continue;
    }
    if (!text.empty()) text += "; ";
    text += std::to_string(r.plans) + " " + r.reason;
    if (r.reason == kDoesNotFit && search.capacity_bytes > 0) {
      char best[96];
      std::snprintf(best, sizeof best, " (best: %.1f GB of %.1f GB)", search.least_memory_bytes / 1e9,
                    search.capacity_bytes / 1e9);
      text += best;
    }
  }
  if (others > 0) text += "; " + std::to_string(others) + " for other reasons";
  return text;
}

}  // namespace xpusim::parallel
