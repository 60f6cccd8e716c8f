#include "compile_command.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "compiler/compiler.h"
#include "frontend/llm/llm_builder.h"
#include "isa/assembler.h"
#include "support/input_file.h"
#include "support/text.h"

namespace xpusim::cli {
namespace {

using Json = nlohmann::ordered_json;

struct CompileArgs {
  std::string model, chip, phase = "decode", dtype = "bf16", output, resident = "auto";
  std::vector<std::string> specs;
  std::int64_t batch = 1, prompt = 128;
  int tp = 1;
  bool emit_asm = false, json = false, per_op = false, no_times = false;
};

constexpr const char* kEngineNames[8] = {"dma0", "dma1", "mxu0", "mxu1", "mxu2", "mxu3", "vpu", "ctl"};

// The graph the phase names, as `llm serve` and `llm train` build it.
Expected<ir::Graph> build_graph(const spec::ModelSpec& model, const CompileArgs& a) {
  frontend::LlmOptions options;
  options.dtype = *ir::parse_dtype(a.dtype);
  options.kv_dtype = options.dtype;
  options.tp = a.tp;
  if (a.phase == "prefill") return frontend::build_prefill(model, a.batch, a.prompt, options);
  if (a.phase == "decode") return frontend::build_decode(model, a.batch, a.prompt, options);
  return frontend::build_training_step(model, a.batch, a.prompt, frontend::Recompute::none, options);
}

std::string asm_path(const std::string& output) {
  const std::string stem = output.size() > 5 && output.ends_with(".xbin") ? output.substr(0, output.size() - 5) : output;
  return stem + ".s";
}

bool write_output(const std::string& path, const std::string& content) {
  std::string error;
  if (write_file_atomically(path, content, error)) return true;
  std::fprintf(stderr, "%s: error: cannot write: %s\n", path.c_str(), error.c_str());
  return false;
}

std::size_t total(const std::array<std::size_t, 8>& counts) {
  std::size_t n = 0;
  for (std::size_t c : counts) n += c;
  return n;
}

std::string mib(double bytes) {
  return fmt::format("{:.2f} MiB", bytes / (1024.0 * 1024.0));
}

int run_compile(const Context& context, const CompileArgs& a) {
  SpecInputs inputs(context, a.specs, {a.model, a.chip});
  if (!inputs.library_ok()) return kExitBadInput;
  const spec::Document* model_doc = inputs.resolve(spec::Kind::model, a.model);
  const spec::Document* chip_doc = inputs.resolve(spec::Kind::chip, a.chip);
  if (!inputs.checked_ok() || !model_doc || !chip_doc) return kExitBadInput;
  const auto& model = std::get<spec::ModelSpec>(model_doc->spec);
  const auto& chip = std::get<spec::ChipSpec>(chip_doc->spec);
  Expected<ir::Graph> graph = build_graph(model, a);
  if (!graph) {
    std::fprintf(stderr, "xpusim: %s\n", graph.error().to_string().c_str());
    return kExitBadInput;
  }
  compiler::CompileOptions options;
  options.unroll_repeats = !a.per_op;
  if (a.resident != "auto") options.resident_weights = a.resident == "on";
  Expected<compiler::Compiled> compiled = compiler::compile(*graph, chip, options);
  if (!compiled) {
    std::fprintf(stderr, "xpusim: %s\n", compiled.error().to_string().c_str());
    return kExitBadInput;
  }
  const compiler::Compiled& c = *compiled;
  const std::string bytes = isa::write_xbin(c.program);
  if (bytes.size() > isa::kMaxXbinBytes) {
    std::fprintf(stderr, "xpusim: error: the program is %s bytes; .xbin files are read up to %s bytes (try --per-op)\n",
                 format_grouped(static_cast<double>(bytes.size())).c_str(),
                 format_grouped(static_cast<double>(isa::kMaxXbinBytes)).c_str());
    return kExitBadInput;
  }
  if (!a.output.empty()) {
    if (!write_output(a.output, bytes)) return kExitBadInput;
    if (a.emit_asm && !write_output(asm_path(a.output), isa::disassemble(c.program))) return kExitBadInput;
  }
  const std::size_t instructions = total(c.engine_instructions);
  const std::string shape = a.phase == "decode" ? fmt::format("batch {}, context {}", a.batch, a.prompt)
                                                : fmt::format("batch {}, {} tokens each", a.batch, a.prompt);
  if (a.json) {
    Json out;
    out["model"] = model.name;
    out["chip"] = chip.name;
    out["phase"] = a.phase;
    out["batch"] = a.batch;
    out["prompt"] = a.prompt;
    out["tp"] = a.tp;
    out["dtype"] = a.dtype;
    out["unrolled"] = !a.per_op;
    Json passes = Json::array();
    for (const compiler::PassReport& p : c.passes)
      passes.push_back({{"name", p.name},
                        {"milliseconds", a.no_times ? Json(nullptr) : Json(p.milliseconds)},
                        {"verified", p.verified},
                        {"summary", p.summary}});
    out["passes"] = passes;
    out["cores"] = c.program.cores.size();
    out["instructions"] = instructions;
    Json engines = Json::object();
    for (int e = 0; e < 8; ++e) engines[kEngineNames[e]] = c.engine_instructions[static_cast<std::size_t>(e)];
    out["instructions_per_engine"] = engines;
    out["mxu_macs"] = c.mxu_macs;
    out["hbm_bytes"] = c.hbm_bytes;
    out["weights_resident"] = c.weights_resident;
    out["kv_cache_on_chip"] = c.kv_cache_on_chip;
    out["vmem_peak_bytes"] = c.vmem_peak_bytes;
    out["vmem_resident_bytes"] = c.vmem_resident_bytes;
    out["cmem_bytes"] = c.cmem_bytes;
    out["kernels"] = c.ops.size();
    out["skipped"] = c.skipped;
    out["xbin_bytes"] = bytes.size();
    out["output"] = a.output.empty() ? Json(nullptr) : Json(a.output);
    out["asm"] = a.output.empty() || !a.emit_asm ? Json(nullptr) : Json(asm_path(a.output));
    print_json(out);
    return kExitOk;
  }
  std::printf("%s %s on %s: %s, tp %d, %s%s\n", model.name.c_str(), a.phase.c_str(), chip.name.c_str(), shape.c_str(),
              a.tp, a.dtype.c_str(), a.per_op ? " (each op once: repeats not unrolled)" : "");
  std::printf("\npasses\n");
  for (const compiler::PassReport& p : c.passes)
    std::printf("  %-14s %10s  %-8s %s\n", p.name.c_str(),
                a.no_times ? "-" : fmt::format("{:.2f} ms", p.milliseconds).c_str(), p.verified ? "verified" : "FAILED",
                p.summary.c_str());
  std::printf("\ninstructions  %s on %zu cores, %zu kernels:", format_grouped(static_cast<double>(instructions)).c_str(),
              c.program.cores.size(), c.ops.size());
  for (int e = 0; e < 8; ++e)
    std::printf(" %s %s", kEngineNames[e], format_grouped(static_cast<double>(c.engine_instructions[static_cast<std::size_t>(e)])).c_str());
  std::printf("\nSRAM          VMEM %s per core at most (%s of it resident weights), CMEM %s\n",
              mib(static_cast<double>(c.vmem_peak_bytes)).c_str(), mib(static_cast<double>(c.vmem_resident_bytes)).c_str(),
              mib(static_cast<double>(c.cmem_bytes)).c_str());
  std::printf("residency     weights %s; KV cache %s\n", c.weights_resident ? "resident in VMEM" : "streamed from HBM",
              c.kv_cache_on_chip ? "in CMEM" : "in HBM");
  std::printf("HBM traffic   %s bytes\nMXU MACs      %s\n", format_grouped(c.hbm_bytes).c_str(),
              format_grouped(c.mxu_macs).c_str());
  if (c.skipped.empty()) {
    std::printf("skipped       none\n");
  } else {
    std::printf("skipped       %zu ops\n", c.skipped.size());
    for (const std::string& s : c.skipped) std::printf("  %s\n", s.c_str());
  }
  if (a.output.empty()) {
    std::printf("\n%s bytes of .xbin (checked only: no -o)\n", format_grouped(static_cast<double>(bytes.size())).c_str());
  } else {
    std::printf("\nwrote %s (%s bytes)%s\n", a.output.c_str(), format_grouped(static_cast<double>(bytes.size())).c_str(),
                a.emit_asm ? (" and " + asm_path(a.output)).c_str() : "");
  }
  return kExitOk;
}

}  // namespace

void add_compile_command(CLI::App& app, const Context& context, int& exit_code) {
  auto a = std::make_shared<CompileArgs>();
  CLI::App* cmd = app.add_subcommand("compile", "Compile an LLM step into an XPU program (.xbin; docs/compiler.md)");
  cmd->add_option("--model", a->model, "Model: a library name (llama3-8b) or a YAML file")->required();
  cmd->add_option("--chip", a->chip, "Chip: a weight-stationary XPU (xpu-1) or a YAML file")->required();
  cmd->add_option("--phase", a->phase, "What to compile")->check(CLI::IsMember({"prefill", "decode", "train"}));
  cmd->add_option("--batch", a->batch, "Sequences (train: the micro-batch)")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--prompt", a->prompt, "Prompt tokens (decode: the context; train: the sequence)")
      ->check(CLI::Range(1, 1 << 24));
  cmd->add_option("--tp", a->tp, "Tensor-parallel chips (this program is one rank's)")->check(CLI::Range(1, 4096));
  cmd->add_option("--dtype", a->dtype, "Weights and activations")->check(CLI::IsMember({"bf16", "fp16", "fp8", "int8", "fp4"}));
  cmd->add_option("--resident", a->resident, "Keep weights in VMEM across the step: auto (when they fit), on, off")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  cmd->add_option("-o,--output", a->output, "The .xbin to write (without it, the program is only compiled and checked)");
  cmd->add_flag("--emit-asm", a->emit_asm, "Also write the canonical assembly text beside the .xbin (OUT.s)");
  cmd->add_flag("--per-op", a->per_op, "Each op once, its repeat ignored (for per-op timing)");
  cmd->add_flag("--no-times", a->no_times, "Leave the pass times out (reproducible output)");
  add_specs_option(*cmd, a->specs);
  cmd->add_flag("--json", a->json, "Print JSON");
  cmd->callback([&, a] {
    if (a->emit_asm && a->output.empty()) throw CLI::ValidationError("--emit-asm", "needs -o");
    exit_code = context.parse_only ? kExitOk : run_compile(context, *a);
  });
}

}  // namespace xpusim::cli
