#include "llm_command.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "engine_option.h"
#include "serve/serving.h"
#include "support/checked_math.h"
#include "support/text.h"
#include "train_command.h"

namespace xpusim::cli {
namespace {

using Json = nlohmann::ordered_json;

// The most chips one serving instance spans (a million: far past any scale-up or serving deployment).
constexpr std::int64_t kMaxServeChips = 1 << 20;

struct ServeArgs {
  std::string model, chip, system, fabric, dtype = "bf16", kv_dtype, engine = "analytical";
  std::vector<std::string> specs;
  std::int64_t batch = 1, prompt = 128, gen = 128;
  int tp = 1, pp = 1, ep = 1;
  bool json = false;
};

// The context of the decode step the table shows: the middle of the generation (serving.cpp).
std::int64_t decode_context(const ServeArgs& args) {
  const std::int64_t first = args.prompt, last = std::max(first, args.prompt + args.gen - 2);
  return (first + last) / 2;
}

std::string ms(double seconds) {
  return fmt::format("{:.3f} ms", seconds * 1e3);
}
std::string gb(double bytes) {
  return fmt::format("{:.2f} GB", bytes / 1e9);
}

Json phase_json(const serve::PhaseResult& phase) {
  Json ops = Json::array();
  for (const serve::OpRow& row : phase.ops) {
    Json op;
    op["name"] = row.name;
    op["kind"] = row.kind;
    op["count"] = row.count;
    op["flops"] = row.flops;
    op["bytes"] = row.bytes;
    op["seconds"] = row.seconds;
    op["share"] = row.share;
    op["bound"] = std::string(perfmodel::bound_name(row.bound));
    op["peak_fraction"] = row.peak_fraction;
    op["fused"] = row.fused;
    ops.push_back(std::move(op));
  }
  return Json{{"seconds", phase.seconds}, {"flops", phase.flops}, {"bytes", phase.bytes}, {"ops", std::move(ops)}};
}

void print_phase(const std::string& title, const serve::PhaseResult& phase) {
  std::printf("\n%s: %s, %.2f TFLOP, %s of HBM traffic\n", title.c_str(), ms(phase.seconds).c_str(), phase.flops / 1e12,
              gb(phase.bytes).c_str());
  std::printf("  %-34s %6s %11s %10s %10s %6s %-8s %6s\n", "op", "count", "GFLOP", "MB", "time ms", "share", "bound",
              "%peak");
  for (const serve::OpRow& row : phase.ops) {
    std::printf("  %-34s %6lld %11.2f %10.2f %10.4f %5.1f%% %-8s %5.1f%%\n", row.name.c_str(),
                static_cast<long long>(row.count), row.flops / 1e9, row.bytes / 1e6, row.seconds * 1e3, 100 * row.share,
                row.fused ? "fused" : std::string(perfmodel::bound_name(row.bound)).c_str(), 100 * row.peak_fraction);
  }
}

int run_serve(const Context& context, const ServeArgs& args) {
  SpecInputs inputs(context, args.specs, {args.model, args.chip, args.system, args.fabric});
  if (!inputs.library_ok()) return kExitBadInput;
  const spec::Document* model_doc = inputs.resolve(spec::Kind::model, args.model);
  const spec::Document* system_doc = nullptr;
  const spec::Document* chip_doc = nullptr;
  if (!args.system.empty()) {
    system_doc = inputs.resolve(spec::Kind::system, args.system);
    // A reference, not an argument: a dangling one is reported by the system's rules, at its line.
    if (system_doc) chip_doc = inputs.resolver().find(spec::Kind::chip, std::get<spec::SystemSpec>(system_doc->spec).chip);
  } else {
    chip_doc = inputs.resolve(spec::Kind::chip, args.chip);
  }
  const spec::Document* fabric_doc = args.fabric.empty() ? nullptr : inputs.resolve(spec::Kind::network, args.fabric);
  // Specs from files must pass their rules before they are used.
  if (!inputs.checked_ok() || !model_doc || !chip_doc || (!args.fabric.empty() && !fabric_doc)) return kExitBadInput;
  const spec::SpecResolver& resolver = inputs.resolver();
  const auto& model = std::get<spec::ModelSpec>(model_doc->spec);
  const auto& chip = std::get<spec::ChipSpec>(chip_doc->spec);
  const spec::SystemSpec* system = system_doc ? &std::get<spec::SystemSpec>(system_doc->spec) : nullptr;
  const std::optional<std::int64_t> chip_product = checked_product({args.tp, args.pp, args.ep}, kMaxServeChips);
  if (!chip_product) {
    std::fprintf(stderr, "xpusim: error: tp x pp x ep = %d x %d x %d is more than %s chips\n", args.tp, args.pp, args.ep,
                 format_grouped(static_cast<double>(kMaxServeChips)).c_str());
    return kExitBadInput;
  }
  const int chips = static_cast<int>(*chip_product);
  if (!system && chips > 1 && (args.pp > 1 || args.ep > 1)) {
    std::fprintf(stderr, "xpusim: error: --pp and --ep place ranks on a machine: give --system\n");
    return kExitBadInput;
  }
  const spec::NetworkSpec* scale_up = nullptr;
  if (system)
    if (const spec::Document* d = resolver.find(spec::Kind::network, system->scale_up.network))
      scale_up = &std::get<spec::NetworkSpec>(d->spec);
  perfmodel::Interconnect link = serve::interconnect_of(chip, system, scale_up);
  // Enough systems for tp x ep x pp chips, joined by --fabric (the fewest Clos tiers that reach them).
  network::Topology topology;
  std::int64_t nodes = 1;
  if (system) {
    nodes = (chips + system->chip_count - 1) / system->chip_count;
    const spec::NetworkSpec* fabric = fabric_doc ? &std::get<spec::NetworkSpec>(fabric_doc->spec) : nullptr;
    if (fabric && !fabric->has_switch) {
      Diagnostics problem;
      problem.error({}, {}, quote_value(args.fabric) + " is a link, not a switch", "--fabric names a switch spec");
      print_diagnostics(problem);
      return kExitBadInput;
    }
    const int tiers = fabric ? spec::clos_tiers(*system, fabric->switch_asic, nodes, 1.0) : 1;
    topology = network::topology_of(*system, scale_up, nodes, fabric, tiers);
    const std::int64_t domain = system->scale_up_domain_size();
    if (args.tp > domain) {
      // TP beyond a scale-up domain: NCCL's ring runs at the scale-out level, the slowest it spans.
      if (args.tp % domain != 0 || topology.levels.size() < 2 || topology.levels[1].bandwidth_gb_s <= 0) {
        std::fprintf(stderr,
                     "xpusim: error: tp %d spans scale-up domains of %lld chips: it must be a multiple of %lld, "
                     "on a system with NICs\n",
                     args.tp, static_cast<long long>(domain), static_cast<long long>(domain));
        return kExitBadInput;
      }
      link = perfmodel::link_of(topology.levels[1]);
    }
  }

  serve::ServeOptions options;
  options.batch = args.batch;
  options.prompt = args.prompt;
  options.gen = args.gen;
  options.llm.tp = args.tp;
  options.llm.ep = args.ep;
  options.pp = args.pp;
  options.topology = system ? &topology : nullptr;
  options.llm.dtype = *ir::parse_dtype(args.dtype);
  options.llm.kv_dtype =
      args.kv_dtype.empty() ? serve::default_kv_dtype(options.llm.dtype, chip) : *ir::parse_dtype(args.kv_dtype);
  Expected<std::optional<cycle::CycleModel>> cycle_model = cycle_engine(args.engine, chip);
  if (!cycle_model.ok()) {
    std::fprintf(stderr, "xpusim: %s\n", cycle_model.error().to_string().c_str());
    return kExitBadInput;
  }
  if (*cycle_model) options.timer = &**cycle_model;
  Expected<serve::ServeResult> estimate = serve::estimate_serving(model, chip, link, options);
  if (!estimate.ok()) {
    std::fprintf(stderr, "xpusim: %s\n", estimate.error().to_string().c_str());
    return kExitBadInput;
  }
  const serve::ServeResult& r = *estimate;
  const std::string where = system ? system->name + " (" + chip.name + ")" : chip.name;

  if (args.json) {
    Json out;
    out["model"] = model.name;
    out["chip"] = chip.name;
    out["system"] = system ? Json(system->name) : Json(nullptr);
    out["tp"] = args.tp;
    out["pp"] = args.pp;
    out["ep"] = args.ep;
    out["chips"] = r.chips;
    out["nodes"] = nodes;
    out["dtype"] = std::string(ir::dtype_name(options.llm.dtype));
    out["kv_dtype"] = std::string(ir::dtype_name(options.llm.kv_dtype));
    out["batch"] = args.batch;
    out["prompt"] = args.prompt;
    out["gen"] = args.gen;
    out["engine"] = args.engine;
    if (*cycle_model) out["cycle_engine"] = cycle_engine_json(**cycle_model);
    out["memory"] = Json{{"weight_bytes", r.memory.weight_bytes},
                         {"kv_cache_bytes", r.memory.kv_cache_bytes},
                         {"activation_bytes", r.memory.activation_bytes},
                         {"workspace_bytes", r.memory.workspace_bytes},
                         {"total_bytes", r.memory.total()},
                         {"capacity_bytes", r.hbm_capacity_bytes}};
    out["fits"] = r.fits;
    if (r.fits) {
      out["ttft_s"] = r.ttft_s;
      out["tpot_s"] = r.tpot_s;
      out["total_s"] = r.total_s;
      out["output_tokens_per_s"] = r.output_tokens_per_s;
      if (const auto power = econ::chip_power(resolver, chip, serve::request_activity(r, args.gen)))
        out["power_per_chip"] = chip_power_json(*power, chip);
      out["communication"] = {{"prefill_pipeline_s", r.prefill_pp_s},
                              {"prefill_expert_all_to_all_s", r.prefill_ep_s},
                              {"decode_step_pipeline_s", r.decode_pp_s},
                              {"decode_step_expert_all_to_all_s", r.decode_ep_s}};
      out["prefill"] = phase_json(r.prefill);
      if (args.gen > 1) {
        out["decode_step"] = phase_json(r.decode);
        out["decode_step"]["context"] = decode_context(args);
      }
    }
    print_json(out);
    return kExitOk;
  }

  const std::string parallel = args.pp > 1 || args.ep > 1
                                   ? fmt::format("tp {}, pp {}, ep {} ({} chips on {} x {})", args.tp, args.pp, args.ep,
                                                 r.chips, nodes, system ? system->name : chip.name)
                                   : fmt::format("tp {}", args.tp);
  std::printf("%s on %s, %s, %s weights, %s KV cache; batch %lld%s, prompt %lld, gen %lld\n", model.name.c_str(),
              where.c_str(), parallel.c_str(), std::string(ir::dtype_name(options.llm.dtype)).c_str(),
              std::string(ir::dtype_name(options.llm.kv_dtype)).c_str(), static_cast<long long>(args.batch),
              args.ep > 1 ? " per expert-parallel rank" : "", static_cast<long long>(args.prompt),
              static_cast<long long>(args.gen));
  std::printf("\nmemory per chip: weights %s + KV cache %s + activations %s + workspace %s = %s of %s HBM: %s\n",
              gb(r.memory.weight_bytes).c_str(), gb(r.memory.kv_cache_bytes).c_str(),
              gb(r.memory.activation_bytes).c_str(), gb(r.memory.workspace_bytes).c_str(), gb(r.memory.total()).c_str(),
              gb(r.hbm_capacity_bytes).c_str(), r.fits ? "fits" : "DOES NOT FIT");
  if (!r.fits) {
    std::printf(
        "\nnot timed: the workload needs %.1fx the memory of one chip (raise --tp, lower --batch or use a "
        "smaller --dtype)\n",
        r.memory.total() / r.hbm_capacity_bytes);
    return kExitOk;
  }
  std::printf("\ntime to first token   %s\ntime per output token %s\n", ms(r.ttft_s).c_str(),
              args.gen > 1 ? (ms(r.tpot_s) + " (mean over the generation)").c_str() : "none (gen 1: no decode step)");
  std::printf("total                 %s\nthroughput            %.1f output tokens/s (all %d chips%s)\n",
              ms(r.total_s).c_str(), r.output_tokens_per_s, r.chips,
              args.pp > 1 ? fmt::format(", {} batches in flight", args.pp).c_str() : "");
  if (const auto power = econ::chip_power(resolver, chip, serve::request_activity(r, args.gen)))
    print_chip_power(*power, chip);
  if (*cycle_model) print_cycle_engine(**cycle_model);
  if (args.pp > 1 || args.ep > 1)
    std::printf("communication         prefill %s pipeline + %s expert all-to-all; decode step %s + %s\n",
                ms(r.prefill_pp_s).c_str(), ms(r.prefill_ep_s).c_str(), ms(r.decode_pp_s).c_str(),
                ms(r.decode_ep_s).c_str());
  const std::string who = args.pp > 1 ? "per TP rank, the stages in turn" : "per chip";
  print_phase(fmt::format("prefill ({} x {} tokens, {})", args.batch, args.prompt, who), r.prefill);
  if (args.gen > 1)
    print_phase(fmt::format("decode step at context {} ({})", decode_context(args), who), r.decode);
  return kExitOk;
}

}  // namespace

void add_llm_command(CLI::App& app, const Context& context, int& exit_code) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* llm = app.add_subcommand("llm", "Estimate LLM serving and training on chips and systems");
  llm->require_subcommand(1);
  CLI::App* serve = llm->add_subcommand("serve", "Time to first token, time per token and throughput, op by op");
  serve->add_option("--model", args->model, "Model: a library name (llama3-8b) or a YAML file")->required();
  auto* chip = serve->add_option("--chip", args->chip, "Chip: a library name (h100-sxm) or a YAML file");
  auto* system = serve->add_option("--system", args->system, "System whose chips and scale-up fabric to use: a name or a YAML file");
  chip->excludes(system);
  serve->add_option("--batch", args->batch, "Requests served together")->check(CLI::Range(1, 1 << 20));
  serve->add_option("--prompt", args->prompt, "Prompt tokens per request")->check(CLI::Range(1, 1 << 24));
  serve->add_option("--gen", args->gen, "Output tokens per request")->check(CLI::Range(1, 1 << 24));
  serve->add_option("--dtype", args->dtype, "Weights and activations")
      ->check(CLI::IsMember({"bf16", "fp16", "fp8", "int8", "fp4"}));
  serve
      ->add_option("--kv-dtype", args->kv_dtype,
                   "KV cache (default: --dtype, or fp8 for fp4 weights where the chip has it, else bf16)")
      ->check(CLI::IsMember({"bf16", "fp16", "fp8", "int8"}));
  serve->add_option("--tp", args->tp, "Tensor-parallel chips (beyond a scale-up domain: over the NICs)")
      ->check(CLI::Range(1, 4096));
  serve->add_option("--pp", args->pp, "Pipeline stages (with --system)")->check(CLI::Range(1, 4096));
  serve->add_option("--ep", args->ep, "Expert-parallel ranks, each with its own batch (MoE, with --system)")
      ->check(CLI::Range(1, 4096));
  serve->add_option("--fabric", args->fabric, "Switch spec joining the systems when tp x pp x ep needs several");
  add_specs_option(*serve, args->specs);
  add_engine_option(*serve, args->engine);
  serve->add_flag("--json", args->json, "Print JSON");
  add_train_command(*llm, context, exit_code);
  serve->callback([&, args, chip, system] {
    if (chip->count() == 0 && system->count() == 0) throw CLI::RequiredError("--chip or --system");
    exit_code = context.parse_only ? kExitOk : run_serve(context, *args);
  });
}

}  // namespace xpusim::cli
