// The pass runner: each pass is timed and its verifier runs right after it; a verifier's complaint is a
// compiler bug, reported as an error rather than a wrong program.
#include "compiler/compiler.h"

#include <chrono>
#include <functional>

#include "compiler/plan.h"
#include "support/text.h"

namespace xpusim::compiler {

using detail::Plan;

namespace {

class Runner {
 public:
  explicit Runner(std::vector<PassReport>& reports) : reports_(reports) {}

  // Runs `pass`, then `verify`; false (with `error` set) when either fails.
  bool run(const std::string& name, const std::function<Expected<std::string>()>& pass,
           const std::function<std::string()>& verify) {
    const auto start = std::chrono::steady_clock::now();
    Expected<std::string> summary = pass();
    if (!summary) {
      error_ = summary.error();
      return false;
    }
    const std::string problem = verify();
    const auto end = std::chrono::steady_clock::now();
    PassReport report;
    report.name = name;
    report.milliseconds = std::chrono::duration<double, std::milli>(end - start).count();
    report.verified = problem.empty();
    report.summary = *summary;
    reports_.push_back(report);
    if (!problem.empty()) {
      error_ = Error("internal compiler error: the " + name + " verifier: " + problem);
      return false;
    }
    return true;
  }
  const Error& error() const { return *error_; }

 private:
  std::vector<PassReport>& reports_;
  std::optional<Error> error_;
};

double kernel_flops(const Plan& plan) {
  double flops = 0;
  for (const detail::Kernel& k : plan.kernels) flops += k.flops * static_cast<double>(k.repeat);
  return flops;
}

std::size_t kernel_ops(const Plan& plan) {
  std::size_t n = 0;
  for (const detail::Kernel& k : plan.kernels) n += k.ops.size();
  return n;
}

}  // namespace

Expected<Compiled> compile(const ir::Graph& graph, const spec::ChipSpec& chip, const CompileOptions& options) {
  Expected<detail::Target> target = detail::target_of(chip);
  if (!target) return target.error();
  if (Diagnostics problems = ir::verify(graph); problems.has_errors()) return Error(problems);
  Plan plan;
  plan.target = *target;
  plan.graph = &graph;
  plan.options = options;
  Compiled out;
  Runner runner(out.passes);
  double flops_before = 0;
  std::size_t ops_before = 0;
  detail::Emitted emitted;
  const bool ok =
      runner.run("legalize", [&] { return detail::legalize(plan); }, [&] { return detail::verify_legalize(plan); }) &&
      runner.run(
          "fuse",
          [&] {
            flops_before = kernel_flops(plan);
            ops_before = kernel_ops(plan);
            return detail::fuse(plan);
          },
          [&] { return detail::verify_fuse(plan, flops_before, ops_before); }) &&
      runner.run("layouts", [&] { return detail::assign_layouts(plan); }, [&] { return detail::verify_layouts(plan); }) &&
      runner.run("dataflow", [&] { return detail::choose_dataflow(plan); }, [&] { return detail::verify_dataflow(plan); }) &&
      runner.run("tiling", [&] { return detail::tile(plan); }, [&] { return detail::verify_tiling(plan); }) &&
      runner.run("residency", [&] { return detail::decide_residency(plan); }, [&] { return detail::verify_residency(plan); }) &&
      runner.run("mapping", [&] { return detail::map_to_cores(plan); }, [&] { return detail::verify_mapping(plan); }) &&
      runner.run("allocation", [&] { return detail::allocate(plan); }, [&] { return detail::verify_allocation(plan); }) &&
      runner.run(
          "schedule+emit",
          [&]() -> Expected<std::string> {
            Expected<detail::Emitted> e = detail::emit(plan);
            if (!e) return e.error();
            emitted = std::move(*e);
            std::size_t n = 0;
            for (const isa::CoreCode& c : emitted.program.cores) n += c.code.size();
            return format_grouped(static_cast<double>(n)) + " instructions on " +
                   std::to_string(emitted.program.cores.size()) + " cores; matmul MACs " +
                   format_grouped(emitted.matmul_macs_emitted) + " of " + format_grouped(emitted.matmul_macs_expected);
          },
          [&]() -> std::string {
            if (std::string bad = isa::check_program(emitted.program); !bad.empty()) return bad;
            if (emitted.matmul_macs_emitted != emitted.matmul_macs_expected) return "matmul MACs differ from the graph's";
            // What the scheduler meant to issue, against what the instructions say when read back.
            const ProgramStats stats = program_stats(emitted.program);
            if (stats.mxu_macs != emitted.mxu_macs || stats.hbm_bytes != emitted.hbm_bytes)
              return "the program's MACs or HBM bytes read back differ from the scheduler's tally";
            return {};
          }) &&
      runner.run(
          "verify-tokens", [&]() -> Expected<std::string> { return std::string("every wait matched, no deadlock, counters <= 255, none left"); },
          [&] { return verify_tokens(emitted.program); });
  if (!ok) return runner.error();
  out.program = std::move(emitted.program);
  out.ops = std::move(emitted.ops);
  out.skipped = plan.skipped;
  out.mxu_macs = emitted.mxu_macs;
  out.hbm_bytes = emitted.hbm_bytes;
  out.engine_instructions = program_stats(out.program).engine_instructions;
  out.vmem_peak_bytes = emitted.vmem_peak_bytes;
  out.vmem_resident_bytes = plan.vmem_resident_bytes;
  out.cmem_bytes = plan.cmem_used_bytes;
  out.weights_resident = plan.weights_resident;
  out.kv_cache_on_chip = plan.kv_on_chip;
  return out;
}

}  // namespace xpusim::compiler
