#include "run_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "isa/program.h"
#include "perfsim/simulator.h"
#include "support/input_file.h"
#include "support/text.h"

namespace xpusim::cli {
namespace {

using Json = nlohmann::ordered_json;

struct RunArgs {
  std::string input, chip, trace;
  std::vector<std::string> specs;
  bool json = false;
};

// "busy 12% (token 40%, hbm 3%)": the reasons an engine waited, largest first, as shares of the run.
std::string stall_text(const perfsim::EngineStats& e, double cycles) {
  std::vector<std::pair<std::uint64_t, std::string>> stalls;
  for (const auto& [reason, n] : e.stall_cycles)
    if (n > 0) stalls.emplace_back(n, reason);
  std::sort(stalls.begin(), stalls.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::string text;
  for (const auto& [n, reason] : stalls)
    text += fmt::format("{}{} {:.1f}%", text.empty() ? "" : ", ", reason, 100 * static_cast<double>(n) / cycles);
  return text.empty() ? "-" : text;
}

// "12.3 us", "4.56 ms": the simulated time.
std::string time_text(double seconds) {
  if (seconds >= 1) return fmt::format("{:.3g} s", seconds);
  if (seconds >= 1e-3) return fmt::format("{:.3g} ms", seconds * 1e3);
  return fmt::format("{:.3g} us", seconds * 1e6);
}

std::string bytes_text(double bytes) {
  if (bytes >= 1024.0 * 1024 * 1024) return fmt::format("{:.2f} GiB", bytes / (1024.0 * 1024 * 1024));
  if (bytes >= 1024.0 * 1024) return fmt::format("{:.2f} MiB", bytes / (1024.0 * 1024));
  if (bytes >= 1024.0) return fmt::format("{:.1f} KiB", bytes / 1024.0);
  return fmt::format("{:.0f} B", bytes);
}

Json result_json(const RunArgs& args, const spec::ChipSpec& chip, const perfsim::SimResult& r,
                 const std::string& process) {
  Json out;
  out["input"] = args.input;
  out["chip"] = chip.name;
  out["clock_mhz"] = chip.clock_mhz;
  out["cycles"] = r.cycles;
  out["seconds"] = r.seconds;
  Json engines = Json::array();
  for (const perfsim::EngineStats& e : r.engines) {
    Json stalls = Json::object();
    for (const auto& [reason, n] : e.stall_cycles) stalls[reason] = n;
    engines.push_back({{"core", e.core},
                       {"engine", std::string(isa::engine_name(e.engine))},
                       {"instructions", e.instructions},
                       {"busy_cycles", e.busy_cycles},
                       {"utilization", e.utilization},
                       {"stall_cycles", stalls}});
  }
  out["engines"] = engines;
  out["bytes"] = {
      {"hbm_read", r.hbm_read_bytes}, {"hbm_write", r.hbm_write_bytes}, {"cmem", r.cmem_bytes}, {"vmem", r.vmem_bytes}};
  out["mxu"] = {{"macs", r.mxu_macs}, {"utilization", r.mxu_utilization}};
  if (r.energy_j.empty()) {
    out["energy"] = nullptr;
  } else {
    Json parts = Json::object();
    double total = 0;
    for (const auto& [part, j] : r.energy_j) parts[part] = j, total += j;
    out["energy"] = {{"process", process},
                     {"joules", parts},
                     {"total_j", total},
                     {"average_w", r.seconds > 0 ? total / r.seconds : 0}};
  }
  out["trace"] = args.trace.empty() ? Json(nullptr) : Json(args.trace);
  return out;
}

int run_program(const Context& context, const RunArgs& args) {
  const Expected<isa::Program> program = isa::read_xbin_file(args.input, args.input);
  if (!program) {
    print_diagnostics(program.error().diagnostics());
    return kExitBadInput;
  }
  SpecInputs inputs(context, args.specs, {args.chip});
  if (!inputs.library_ok()) return kExitBadInput;
  const spec::Document* chip_doc = inputs.resolve(spec::Kind::chip, args.chip);
  if (!inputs.checked_ok() || !chip_doc) return kExitBadInput;
  const auto& chip = std::get<spec::ChipSpec>(chip_doc->spec);
  // Energy when the chip's process is known and has an energy model; the time does not need it.
  const spec::ProcessSpec* process = nullptr;
  if (const spec::Document* doc = inputs.resolver().find(spec::Kind::process, chip.process_node)) {
    const auto& p = std::get<spec::ProcessSpec>(doc->spec);
    if (p.has_energy) process = &p;
  }
  perfsim::SimOptions options;
  options.trace = !args.trace.empty();
  const Expected<perfsim::SimResult> result = perfsim::simulate(*program, chip, options, process);
  if (!result) {
    std::fprintf(stderr, "%s: %s\n", args.input.c_str(), result.error().to_string().c_str());
    return kExitBadInput;
  }
  const perfsim::SimResult& r = *result;
  if (!args.trace.empty()) {
    std::string error;
    if (!write_file_atomically(args.trace, perfsim::perfetto_json(r, chip), error)) {
      std::fprintf(stderr, "%s: error: cannot write: %s\n", args.trace.c_str(), error.c_str());
      return kExitBadInput;
    }
  }
  if (args.json) {
    print_json(result_json(args, chip, r, process ? process->name : ""));
    return kExitOk;
  }
  const double cycles = std::max<double>(1, static_cast<double>(r.cycles));
  std::printf("%s on %s: %s cycles, %s at %.0f MHz\n", args.input.c_str(), chip.name.c_str(),
              format_grouped(static_cast<double>(r.cycles)).c_str(), time_text(r.seconds).c_str(), chip.clock_mhz);
  std::printf("%-6s %-5s %12s %12s %6s  %s\n", "core", "engine", "instructions", "busy cycles", "busy",
              "stalls (share of the run)");
  for (const perfsim::EngineStats& e : r.engines)
    std::printf("%-6u %-5s %12s %12s %5.1f%%  %s\n", e.core, std::string(isa::engine_name(e.engine)).c_str(),
                format_grouped(static_cast<double>(e.instructions)).c_str(),
                format_grouped(static_cast<double>(e.busy_cycles)).c_str(), 100 * e.utilization,
                stall_text(e, cycles).c_str());
  std::printf("memory: HBM read %s, written %s; CMEM %s; VMEM %s\n", bytes_text(r.hbm_read_bytes).c_str(),
              bytes_text(r.hbm_write_bytes).c_str(), bytes_text(r.cmem_bytes).c_str(),
              bytes_text(r.vmem_bytes).c_str());
  std::printf("matrix units: %s MACs, %.2f%% of the chip's peak over the run\n", format_grouped(r.mxu_macs).c_str(),
              100 * r.mxu_utilization);
  if (!r.energy_j.empty()) {
    double total = 0;
    std::string parts;
    for (const auto& [part, j] : r.energy_j) {
      total += j;
      parts += fmt::format("{}{} {:.3g} J", parts.empty() ? "" : ", ", part, j);
    }
    std::printf("energy (%s): %.3g J (%s), %.0f W average\n", process->name.c_str(), total, parts.c_str(),
                r.seconds > 0 ? total / r.seconds : 0.0);
  }
  if (!args.trace.empty()) std::printf("trace: %s (open in ui.perfetto.dev)\n", args.trace.c_str());
  return kExitOk;
}

}  // namespace

void add_run_command(CLI::App& app, const Context& context, int& exit_code) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* run =
      app.add_subcommand("run", "Time an .xbin program on a chip with the cycle-level simulator (docs/perfsim.md)");
  run->add_option("input", args->input, "The .xbin program")->required();
  run->add_option("--chip", args->chip, "Chip: a library name (xpu-1) or a YAML file")->required();
  run->add_option("--trace", args->trace, "Write a Chrome/Perfetto trace (JSON) of every instruction to this file");
  add_specs_option(*run, args->specs);
  run->add_flag("--json", args->json, "Print JSON");
  run->callback([&, args] { exit_code = context.parse_only ? kExitOk : run_program(context, *args); });
}

}  // namespace xpusim::cli
