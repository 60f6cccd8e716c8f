#include "train_command.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "engine_option.h"
#include "parallel/training.h"
#include "support/checked_math.h"
#include "support/text.h"

namespace xpusim::cli {
namespace {

using Json = nlohmann::ordered_json;

struct TrainArgs {
  std::string model, cluster, system, fabric, recompute = "full", schedule, dtype = "bf16", net_model = "analytical";
  std::string topology = "fat_tree";
  std::vector<std::string> specs;
  double oversubscription = 1;
  std::int64_t nodes = 1, slices = 1, micro_batch = 1, global_batch = 0, seq = 2048, chips = 0;
  int tp = 1, pp = 1, dp = 0, cp = 1, ep = 1, vp = 1, zero = 1;
  bool sequence_parallel = false, json = false, search = false;
  std::string engine = "analytical";
};

// A spec by name (the user's files, then the library) or file.
template <class T>
const T* lookup(SpecInputs& inputs, spec::Kind kind, const std::string& target) {
  const spec::Document* doc = inputs.resolve(kind, target);
  return doc ? &std::get<T>(doc->spec) : nullptr;
}

// A spec another names: a dangling reference is reported by the rules of the spec that holds it.
template <class T>
const T* referenced(const SpecInputs& inputs, spec::Kind kind, const std::string& name) {
  const spec::Document* doc = inputs.resolver().find(kind, name);
  return doc ? &std::get<T>(doc->spec) : nullptr;
}

std::string gb(double bytes) {
  return fmt::format("{:.1f} GB", bytes / 1e9);
}

int run_train(const Context& context, const TrainArgs& a) {
  SpecInputs inputs(context, a.specs, {a.model, a.cluster, a.system, a.fabric});
  if (!inputs.library_ok()) return kExitBadInput;
  const spec::SpecResolver& lib = inputs.resolver();
  Diagnostics diagnostics;  // problems of the plan's machine, printed after those of the specs
  const auto* model = lookup<spec::ModelSpec>(inputs, spec::Kind::model, a.model);
  const spec::SystemSpec* system = nullptr;
  const spec::NetworkSpec* fabric = nullptr;
  std::int64_t nodes = a.nodes;
  int tiers = 1;
  double oversubscription = 1;
  std::string scale_out_topology = "fat_tree";
  if (!a.cluster.empty()) {
    if (const auto* cluster = lookup<spec::ClusterSpec>(inputs, spec::Kind::cluster, a.cluster)) {
      system = referenced<spec::SystemSpec>(inputs, spec::Kind::system, cluster->system);
      fabric = referenced<spec::NetworkSpec>(inputs, spec::Kind::network, cluster->scale_out.switch_name);
      nodes = cluster->system_count;
      tiers = static_cast<int>(cluster->scale_out.tiers);
      oversubscription = cluster->scale_out.oversubscription;
      scale_out_topology = cluster->scale_out.topology;
    }
  } else {
    system = lookup<spec::SystemSpec>(inputs, spec::Kind::system, a.system);
  }
  // --chips: the job uses the same part of each system (8 or 64 GPUs of a 72-GPU rack); the fabric
  // below is sized for the NICs of that part.
  spec::SystemSpec part;
  std::string part_note;
  if (system && a.chips > 0) {
    const std::int64_t whole = system->chip_count * nodes;
    if (a.chips > whole || a.chips % nodes != 0) {
      diagnostics.error({}, {},
                        "--chips " + std::to_string(a.chips) + " on " + std::to_string(nodes) + " x " + system->name +
                            ": give " + (nodes > 1 ? "a multiple of " + std::to_string(nodes) + " of " : std::string()) +
                            "at most " + format_grouped(static_cast<double>(whole)),
                        "the job uses the same number of chips in each system");
    } else if (a.chips < whole) {
      const std::int64_t per_system = a.chips / nodes;
      if (!system->scale_up.torus_dims.empty()) {
        diagnostics.error({}, {}, "--chips " + std::to_string(a.chips) + ": " + system->name +
                                      " is a torus and is used whole");
      } else {
        part = spec::part_of_system(*system, per_system);
        part_note = fmt::format("{} of each {}-chip system", per_system, system->chip_count);
        system = &part;
      }
    }
  }
  // A TPU torus: --nodes blocks (4x4x4 cubes joined by optical circuit switches) form one torus slice;
  // --slices such slices are joined by the data-center network (multi-slice), data parallel across.
  spec::SystemSpec slice;
  std::string slice_note;
  if (system && !system->scale_up.torus_dims.empty() && a.cluster.empty()) {
    const std::string block = system->name;
    if (nodes > 1) {
      Expected<spec::SystemSpec> s = spec::torus_slice(*system, nodes);
      if (!s.ok()) {
        diagnostics.error({}, {}, "--nodes " + std::to_string(nodes) + ": " + s.error().diagnostics().items().front().message,
                          "join whole slices over the data-center network with --slices");
      } else {
        slice = *s;
        system = &slice;
      }
    }
    std::string shape;
    for (std::int64_t d : system->scale_up.torus_dims) shape += (shape.empty() ? "" : "x") + std::to_string(d);
    slice_note = fmt::format("{} x {} torus slice{} of {} x {}", a.slices, shape, a.slices > 1 ? "s" : "", a.nodes, block);
    nodes = a.slices;
    // Slices meet only over their hosts' NICs: without them the data-center network has no bandwidth.
    if (a.slices > 1 && (!system->has_scale_out || system->scale_out.nic_count * system->scale_out.nic_gbps <= 0))
      diagnostics.error({}, {},
                        "--slices " + std::to_string(a.slices) + ": " + block +
                            " has no scale_out NICs, so its slices have no data-center network to join them",
                        "give the system a scale_out with its NICs, or run one slice");
  } else if (a.slices > 1 && system) {
    diagnostics.error({}, {}, "--slices " + std::to_string(a.slices) + ": " + system->name + " is not a torus slice",
                      "--slices joins TPU torus slices; join other systems with --nodes");
  }
  if (a.cluster.empty()) {
    scale_out_topology = a.topology;
    oversubscription = a.oversubscription;
    if (!a.fabric.empty()) fabric = lookup<spec::NetworkSpec>(inputs, spec::Kind::network, a.fabric);
    if (fabric && !fabric->has_switch)
      diagnostics.error({}, {}, quote_value(a.fabric) + " is a link, not a switch", "--fabric names a switch spec");
    // Tiers of the fabric: as many as a folded Clos of this switch needs to reach every NIC.
    if (fabric && fabric->has_switch && system && system->has_scale_out) {
      if (a.topology == "fat_tree" || a.topology == "rail_optimized")
        tiers = spec::clos_tiers(*system, fabric->switch_asic, nodes, a.oversubscription);
      if (a.topology == "dragonfly") tiers = 2;  // a minimal path crosses up to three routers, as 2 tiers do
      const double ports = spec::switch_ports_at(fabric->switch_asic, system->scale_out.nic_gbps);
      const std::int64_t endpoints = nodes * system->scale_out.nic_count;
      if (a.topology == "single_switch" && nodes > 1 && static_cast<double>(endpoints) > ports)
        diagnostics.error({}, {},
                          "--topology single_switch joins " + std::to_string(endpoints) + " NICs (" +
                              std::to_string(nodes) + " x " + std::to_string(system->scale_out.nic_count) + "), but '" +
                              fabric->name + "' has " + format_number(ports) + " ports at " +
                              format_number(system->scale_out.nic_gbps) + " Gb/s",
                          "use fewer --nodes, or --topology fat_tree");
      if ((a.topology == "fat_tree" || a.topology == "rail_optimized") &&
          spec::clos_reach(ports, tiers, a.oversubscription) < static_cast<double>(endpoints))
        diagnostics.error({}, {},
                          std::to_string(endpoints) + " NICs are more than " + std::to_string(tiers) +
                              " tiers of '" + fabric->name + "' (" + format_number(ports) + " ports) reach",
                          "use fewer --nodes or a larger switch");
    }
  }
  const spec::ChipSpec* chip =
      system ? referenced<spec::ChipSpec>(inputs, spec::Kind::chip, system->chip) : nullptr;
  const bool specs_ok = inputs.checked_ok();
  if (!specs_ok || diagnostics.has_errors() || !model || !system || !chip) {
    print_diagnostics(diagnostics);
    return kExitBadInput;
  }
  const spec::NetworkSpec* scale_up = nullptr;
  if (const spec::Document* d = lib.find(spec::Kind::network, system->scale_up.network))
    scale_up = &std::get<spec::NetworkSpec>(d->spec);
  const network::Topology topology = network::topology_of(*system, scale_up, nodes, fabric, tiers, oversubscription, scale_out_topology);
  const network::NetModel net_model = a.net_model == "flow" ? network::NetModel::flow : network::NetModel::analytical;
  if (net_model == network::NetModel::flow) show_flow_progress_on_terminal();
  const std::int64_t chips = system->chip_count * nodes;

  parallel::TrainPlan plan;
  plan.tp = a.tp;
  plan.pp = a.pp;
  plan.cp = a.cp;
  plan.ep = a.ep;
  plan.vp = a.vp;
  plan.zero = a.zero;
  // tp x pp x cp may pass the machine (and an int); check_plan then says so with the numbers.
  const std::int64_t model_ranks = checked_product({a.tp, a.pp, a.cp}, chips).value_or(chips + 1);
  plan.dp = a.dp > 0 ? a.dp : static_cast<int>(std::max<std::int64_t>(1, chips / model_ranks));
  plan.micro_batch = a.micro_batch;
  plan.global_batch = a.global_batch > 0 ? a.global_batch
                                         : static_cast<int>(checked_product({plan.dp, a.micro_batch, 8}, 1 << 30).value_or(1 << 30));
  plan.seq = a.seq;
  plan.sequence_parallel = a.sequence_parallel;
  // A TPU runs XLA, whose collective matmuls overlap the tensor-parallel traffic with the matmuls.
  plan.overlap_tp_comm = chip->family == "tpu";
  plan.dtype = *ir::parse_dtype(a.dtype);
  if (ir::dtype_bytes(plan.dtype) < 2) {
    // Narrow training formats follow Transformer Engine: GEMMs in fp8, tensors and the rest in bf16.
    plan.gemm_dtype = plan.dtype;
    plan.dtype = ir::DType::bf16;
  }
  plan.recompute = a.recompute == "none"        ? frontend::Recompute::none
                   : a.recompute == "selective" ? frontend::Recompute::selective
                                                : frontend::Recompute::full;
  plan.schedule = a.schedule.empty() ? (a.vp > 1 ? parallel::Schedule::interleaved : parallel::Schedule::one_f_one_b)
                  : a.schedule == "gpipe"       ? parallel::Schedule::gpipe
                  : a.schedule == "interleaved" ? parallel::Schedule::interleaved
                                                : parallel::Schedule::one_f_one_b;

  Json search_json;
  if (a.search) {
    if (a.global_batch <= 0) {
      std::fprintf(stderr, "xpusim: error: --search needs --global-batch (the sequences per step it keeps fixed)\n");
      return kExitBadInput;
    }
    const parallel::SearchResult found = parallel::search_plans(*model, *chip, topology, plan, 5);
    Json rejected = Json::array();
    for (const parallel::Rejection& r : found.rejections)
      rejected.push_back({{"reason", r.reason}, {"plans", r.plans}});
    if (found.best.empty()) {
      // Say why, by the commonest reasons: "none fits in memory" misleads when the network refused them.
      const std::string why = found.evaluated == 0 ? fmt::format(
                                                         "the search space holds no plan for {} chips and a global "
                                                         "batch of {} (dp x micro batch must divide it)",
                                                         chips, plan.global_batch)
                                                   : fmt::format("none of the {} plans searched runs: {}",
                                                                 found.evaluated, parallel::rejection_summary(found));
      if (a.json) {
        Json out;
        out["model"] = model->name;
        out["error"] = why;
        out["search"] = {{"evaluated", found.evaluated},
                         {"fitting", 0},
                         {"rejected", std::move(rejected)},
                         {"least_memory_bytes", found.least_memory_bytes},
                         {"top", Json::array()}};
        print_json(out);
      }
      std::fprintf(stderr, "xpusim: error: %s\n", why.c_str());
      return kExitBadInput;
    }
    Json top = Json::array();
    const std::string rejected_text =
        found.rejections.empty() ? "" : "; rejected: " + parallel::rejection_summary(found);
    std::string table = fmt::format(
        "searched {} plans, {} fit{}; the fastest:\n  {:>3} {:>3} {:>4} {:>3} {:>3} {:>3} {:>3} {:>10} {:>8} {:>9} "
        "{:>6}\n",
        found.evaluated, found.fitting, rejected_text, "tp", "pp", "dp", "cp", "vp", "ep", "mb", "recompute", "step s",
        "tokens/s", "MFU");
    for (const auto& [p, res] : found.best) {
      table += fmt::format("  {:>3} {:>3} {:>4} {:>3} {:>3} {:>3} {:>3} {:>10} {:>8.3f} {:>9.0f} {:>5.1f}%\n", p.tp,
                           p.pp, p.dp, p.cp, p.vp, p.ep, p.micro_batch, frontend::recompute_name(p.recompute),
                           res.step_s, res.tokens_per_s, 100 * res.mfu);
      top.push_back({{"tp", p.tp},
                     {"pp", p.pp},
                     {"dp", p.dp},
                     {"cp", p.cp},
                     {"vp", p.vp},
                     {"ep", p.ep},
                     {"micro_batch", p.micro_batch},
                     {"recompute", std::string(frontend::recompute_name(p.recompute))},
                     {"step_s", res.step_s},
                     {"tokens_per_s", res.tokens_per_s},
                     {"mfu", res.mfu}});
    }
    search_json = {{"evaluated", found.evaluated},
                   {"fitting", found.fitting},
                   {"rejected", std::move(rejected)},
                   {"least_memory_bytes", found.least_memory_bytes},
                   {"top", std::move(top)}};
    if (!a.json) std::printf("%s\n", table.c_str());
    plan = found.best.front().first;
  }
  // The search ranks plans analytically; the engine asked for times the plan it chose.
  Expected<std::optional<cycle::CycleModel>> cycle_model = cycle_engine(a.engine, *chip);
  if (!cycle_model.ok()) {
    std::fprintf(stderr, "xpusim: %s\n", cycle_model.error().to_string().c_str());
    return kExitBadInput;
  }
  Expected<parallel::TrainResult> result = parallel::estimate_training(
      *model, *chip, topology, plan, net_model, *cycle_model ? &**cycle_model : nullptr);
  if (!result.ok()) {
    std::fprintf(stderr, "xpusim: %s\n", result.error().to_string().c_str());
    return kExitBadInput;
  }
  const parallel::TrainResult& r = *result;
  const std::string machine =
      !slice_note.empty()  ? fmt::format("{} ({} {})", slice_note, chips, chip->name)
      : part_note.empty() ? fmt::format("{} x {} ({} {})", nodes, system->name, chips, chip->name)
                          : fmt::format("{} x {} ({} {}: {})", nodes, system->name, chips, chip->name, part_note);
  if (a.json) {
    Json out;
    out["model"] = model->name;
    out["machine"] = {{"system", system->name},
                      {"nodes", system->scale_up.torus_dims.empty() ? nodes : a.nodes},
                      {"slices", a.slices},
                      {"torus_dims", system->scale_up.torus_dims},
                      {"chips", chips},
                      {"chips_per_system", system->chip_count},
                      {"chip", chip->name},
                      {"fabric", fabric ? Json(fabric->name) : Json(nullptr)},
                      {"tiers", tiers},
                      {"topology", scale_out_topology},
                      {"net_model", a.net_model}};
    out["engine"] = a.engine;
    if (*cycle_model) out["cycle_engine"] = cycle_engine_json(**cycle_model);
    out["plan"] = {{"tp", plan.tp},
                   {"pp", plan.pp},
                   {"dp", plan.dp},
                   {"cp", plan.cp},
                   {"ep", plan.ep},
                   {"vp", plan.vp},
                   {"zero", plan.zero},
                   {"micro_batch", plan.micro_batch},
                   {"global_batch", plan.global_batch},
                   {"seq", plan.seq},
                   {"recompute", std::string(frontend::recompute_name(plan.recompute))},
                   {"sequence_parallel", plan.sequence_parallel},
                   {"schedule", std::string(parallel::schedule_name(plan.schedule))},
                   {"dtype", std::string(ir::dtype_name(plan.dtype))},
                   {"gemm_dtype", std::string(ir::dtype_name(plan.gemm_dtype.value_or(plan.dtype)))}};
    out["memory"] = {{"weight_bytes", r.memory.weight_bytes},       {"gradient_bytes", r.memory.gradient_bytes},
                     {"optimizer_bytes", r.memory.optimizer_bytes}, {"activation_bytes", r.memory.activation_bytes},
                     {"workspace_bytes", r.memory.workspace_bytes}, {"total_bytes", r.memory.total()},
                     {"capacity_bytes", r.capacity_bytes}};
    out["fits"] = r.fits;
    if (a.search) out["search"] = std::move(search_json);
    if (r.fits)
      out["step"] = {{"seconds", r.step_s},
                     {"microbatches", r.microbatches},
                     {"compute_s", r.compute_s - r.ep_comm_s},
                     {"ep_comm_s", r.ep_comm_s},
                     {"bubble_s", r.bubble_s},
                     {"pp_comm_s", r.pp_comm_s},
                     {"dp_comm_s", r.dp_comm_s},
                     {"optimizer_s", r.optimizer_s},
                     {"tokens_per_s", r.tokens_per_s},
                     {"model_tflops_per_chip", r.model_tflops_per_chip},
                     {"hardware_tflops_per_chip", r.hardware_tflops_per_chip},
                     {"mfu", r.mfu},
                     {"hfu", r.hfu}};
    if (r.fits)
      if (const auto power = econ::chip_power(lib, *chip, r.activity))
        out["power_per_chip"] = chip_power_json(*power, *chip);
    print_json(out);
    return kExitOk;
  }
  std::printf(
      "%s on %s: tp %d, pp %d, dp %d, cp %d%s, ZeRO-%d, micro batch %lld, global batch %lld, seq %lld, "
      "%s recompute%s, %s\n",
      model->name.c_str(), machine.c_str(), plan.tp, plan.pp, plan.dp, plan.cp,
      plan.vp > 1 ? fmt::format(", vp {}", plan.vp).c_str() : "", plan.zero, static_cast<long long>(plan.micro_batch),
      static_cast<long long>(plan.global_batch), static_cast<long long>(plan.seq),
      std::string(frontend::recompute_name(plan.recompute)).c_str(),
      plan.sequence_parallel ? ", sequence parallel" : "",
      plan.gemm_dtype ? fmt::format("{} GEMMs, {} elsewhere", ir::dtype_name(*plan.gemm_dtype), ir::dtype_name(plan.dtype)).c_str()
                      : std::string(ir::dtype_name(plan.dtype)).c_str());
  if (nodes > 1 && !system->scale_up.torus_dims.empty())
    std::printf("network: %s model, %lld slices over the data-center network (%.2f GB/s per chip), data parallel across\n",
                a.net_model.c_str(), static_cast<long long>(nodes),
                system->has_scale_out ? static_cast<double>(system->scale_out.nic_count) * system->scale_out.nic_gbps / 8 /
                                            static_cast<double>(system->chip_count)
                                      : 0.0);
  else if (nodes > 1)
    std::printf("network: %s model, scale-out %s, %d tier%s%s\n", a.net_model.c_str(), scale_out_topology.c_str(), tiers,
                tiers == 1 ? "" : "s", a.search && net_model == network::NetModel::flow ? " (search ranked analytically)" : "");
  std::printf(
      "\nmemory per chip: weights %s + gradients %s + optimizer %s + activations %s + workspace %s = %s of "
      "%s: %s\n",
      gb(r.memory.weight_bytes).c_str(), gb(r.memory.gradient_bytes).c_str(), gb(r.memory.optimizer_bytes).c_str(),
      gb(r.memory.activation_bytes).c_str(), gb(r.memory.workspace_bytes).c_str(), gb(r.memory.total()).c_str(),
      gb(r.capacity_bytes).c_str(), r.fits ? "fits" : "DOES NOT FIT");
  if (!r.fits) {
    std::printf(
        "\nnot timed: the plan needs %.1fx the memory of a chip (raise tp or pp, use ZeRO, recompute, or a "
        "smaller micro batch)\n",
        r.memory.total() / r.capacity_bytes);
    return kExitOk;
  }
  std::printf("\nstep time            %.3f s  (%lld microbatches of %.1f ms on the slowest stage)\n", r.step_s,
              static_cast<long long>(r.microbatches), r.stage_microbatch_s * 1e3);
  // The expert all-to-alls run inside each microbatch's compute, but are shown apart like the other
  // communication so that the lines add up to the step time.
  const double compute_s = r.compute_s - r.ep_comm_s;
  std::printf("  compute (TP comm inside) %8.3f s  %5.1f%%\n", compute_s, 100 * compute_s / r.step_s);
  if (plan.ep > 1)
    std::printf("  expert all-to-all        %8.3f s  %5.1f%%\n", r.ep_comm_s, 100 * r.ep_comm_s / r.step_s);
  std::printf("  pipeline bubble          %8.3f s  %5.1f%%\n", r.bubble_s, 100 * r.bubble_s / r.step_s);
  std::printf("  pipeline transfers       %8.3f s  %5.1f%%\n", r.pp_comm_s, 100 * r.pp_comm_s / r.step_s);
  std::printf("  data-parallel sync       %8.3f s  %5.1f%%  (exposed)\n", r.dp_comm_s, 100 * r.dp_comm_s / r.step_s);
  std::printf("  optimizer                %8.3f s  %5.1f%%\n", r.optimizer_s, 100 * r.optimizer_s / r.step_s);
  std::printf(
      "\nthroughput           %.0f tokens/s\nper chip             %.1f TFLOP/s model (MFU %.1f%%), %.1f TFLOP/s "
      "executed (HFU %.1f%%)\n",
      r.tokens_per_s, r.model_tflops_per_chip, 100 * r.mfu, r.hardware_tflops_per_chip, 100 * r.hfu);
  if (const auto power = econ::chip_power(lib, *chip, r.activity)) print_chip_power(*power, *chip);
  if (*cycle_model) print_cycle_engine(**cycle_model);
  return kExitOk;
}

}  // namespace

void add_train_command(CLI::App& llm, const Context& context, int& exit_code) {
  auto a = std::make_shared<TrainArgs>();
  CLI::App* train = llm.add_subcommand("train", "Step time, throughput, MFU and memory of a parallel training plan");
  train->add_option("--model", a->model, "Model: a name (llama3-70b) or a YAML file")->required();
  auto* cluster = train->add_option("--cluster", a->cluster, "Cluster: a name or a YAML file");
  auto* system = train->add_option("--system", a->system, "System (node): a name or a YAML file, with --nodes");

  train->add_option("--nodes", a->nodes, "Systems joined by the scale-out fabric (TPU v4/v5p cubes: one torus slice)")->check(CLI::Range(1, 1 << 20));
  auto* slices = train->add_option("--slices", a->slices,
                    "TPU torus slices joined by the data-center network (multi-slice; --nodes cubes per slice)")
      ->check(CLI::Range(1, 4096));
  train->add_option("--chips", a->chips,
                    "Chips the job uses, the same number in each system (default: all; 64 uses 64 of a 72-GPU rack)")
      ->check(CLI::Range(1, 1 << 30));
  train->add_option("--fabric", a->fabric, "Switch spec of the scale-out fabric (with --system)");
  auto* topology = train->add_option("--topology", a->topology,
                                     "Scale-out topology built from --fabric: fat_tree, rail_optimized, single_switch, "
                                     "dragonfly");
  topology->check(CLI::IsMember({"fat_tree", "rail_optimized", "single_switch", "dragonfly"}));
  auto* oversubscription = train->add_option("--oversubscription", a->oversubscription,
                                             "Leaf down- to up-link bandwidth of a fat tree (1: non-blocking)");
  oversubscription->check(CLI::Range(1.0, 64.0));
  cluster->excludes(system);
  cluster->excludes(slices);
  cluster->excludes(topology);
  cluster->excludes(oversubscription);
  train->add_option("--tp", a->tp, "Tensor-parallel chips")->check(CLI::Range(1, 4096));
  train->add_option("--pp", a->pp, "Pipeline stages")->check(CLI::Range(1, 4096));
  train->add_option("--dp", a->dp, "Data-parallel replicas (default: the chips left)")->check(CLI::Range(1, 1 << 20));
  train->add_option("--cp", a->cp, "Context-parallel chips")->check(CLI::Range(1, 4096));
  train->add_option("--ep", a->ep, "Expert-parallel chips (MoE)")->check(CLI::Range(1, 4096));
  train->add_option("--vp", a->vp, "Virtual stages per pipeline rank (interleaved schedule)")
      ->check(CLI::Range(1, 128));
  train->add_option("--zero", a->zero, "ZeRO stage: 0 replicated, 1 optimizer, 2 + gradients, 3 + weights")
      ->check(CLI::Range(0, 3));
  train->add_option("--microbatch", a->micro_batch, "Sequences per microbatch")->check(CLI::Range(1, 1 << 20));
  train
      ->add_option("--global-batch", a->global_batch,
                   "Sequences per optimizer step (default: 8 microbatches per replica)")
      ->check(CLI::Range(1, 1 << 30));
  train->add_option("--seq", a->seq, "Sequence length")->check(CLI::Range(1, 1 << 24));
  train->add_option("--recompute", a->recompute, "Activation recomputation")
      ->check(CLI::IsMember({"none", "selective", "full"}));
  train->add_flag("--sequence-parallel", a->sequence_parallel, "Megatron sequence parallelism (with tp)");
  train->add_option("--schedule", a->schedule, "Pipeline schedule (default: 1f1b, interleaved with --vp)")
      ->check(CLI::IsMember({"gpipe", "1f1b", "interleaved"}));
  train->add_option("--dtype", a->dtype, "Compute dtype")->check(CLI::IsMember({"bf16", "fp16", "fp8"}));
  train->add_option("--net-model", a->net_model, "Network model")->check(CLI::IsMember({"analytical", "flow"}));
  train->add_flag("--search", a->search,
                  "Find the fastest plan that fits (tp, pp, cp, vp, ep, micro batch, recompute; docs/parallel.md)");
  add_specs_option(*train, a->specs);
  add_engine_option(*train, a->engine);
  train->add_flag("--json", a->json, "Print JSON");
  train->callback([&, a, cluster, system] {
    if (cluster->count() == 0 && system->count() == 0) throw CLI::RequiredError("--cluster or --system");
    exit_code = context.parse_only ? kExitOk : run_train(context, *a);
  });
}

}  // namespace xpusim::cli
