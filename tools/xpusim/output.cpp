#include "output.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <unistd.h>

#include "network/flow.h"
#include "spec/loader.h"
#include "support/text.h"

namespace xpusim::cli {

void print_diagnostics(const Diagnostics& diagnostics) {
  if (diagnostics.empty()) return;
  std::fprintf(stderr, "%s\n", diagnostics.to_text().c_str());
}

nlohmann::ordered_json diagnostics_json(const Diagnostics& diagnostics) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Diagnostic& d : diagnostics.items()) {
    nlohmann::ordered_json item;
    item["severity"] = d.severity == Severity::error ? "error" : "warning";
    item["file"] = d.where.file;
    item["line"] = d.where.line;
    item["column"] = d.where.column;
    item["path"] = d.path;
    item["message"] = d.message;
    item["hint"] = d.hint;
    out.push_back(std::move(item));
  }
  return out;
}

void print_json(const nlohmann::ordered_json& json) {
  std::printf("%s\n", json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
}

bool looks_like_path(const std::string& target) {
  std::error_code ec;
  return target.find('/') != std::string::npos || target.ends_with(".yaml") || target.ends_with(".yml") ||
         std::filesystem::is_regular_file(target, ec);
}

const spec::Document* find_in_library(const spec::Library& library, spec::Kind kind, const std::string& name,
                                      Diagnostics& out) {
  if (const spec::Document* doc = library.find(kind, name)) return doc;
  const std::string kind_text(spec::kind_name(kind));
  const std::string suggestion = closest_match(name, library.names(kind));
  out.error({}, {}, "no " + kind_text + " named " + quote_value(name) + " in the library",
            suggestion.empty() ? "see 'xpusim specs list --kind " + kind_text + "'" : "did you mean '" + suggestion + "'?");
  return nullptr;
}

BuiltinLibrary load_builtin_library(const Context& context, Diagnostics& out) {
  BuiltinLibrary result;
  std::error_code ec;
  std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) executable = std::filesystem::absolute(context.executable, ec);
  const std::optional<std::filesystem::path> root = spec::find_builtin_library(executable);
  if (!root) {
    out.error({}, {}, "cannot find the built-in spec library beside " + executable.string(),
              "set XPUSIM_SPECS to the specs/ folder");
    return result;
  }
  const char* env = std::getenv("XPUSIM_SPECS");
  // Name files the way the user named the folder, so messages are short and stable.
  const std::string label = env && *env ? std::string(env) : std::filesystem::weakly_canonical(*root, ec).string();
  result.library = spec::Library::load_folder(*root, label, out);
  result.found = true;
  return result;
}

std::string default_validation_cases(const Context& context) {
  const std::filesystem::path relative = "validation/published-results.yaml";
  std::error_code ec;
  if (const char* env = std::getenv("XPUSIM_DATA"); env && *env) return (std::filesystem::path(env) / relative).string();
  std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) executable = std::filesystem::absolute(context.executable, ec);
  const std::filesystem::path dir = executable.parent_path();
  for (const auto& candidate : {dir / "data", dir / ".." / "share" / "xpusim" / "data"})
    if (std::filesystem::is_regular_file(candidate / relative, ec)) return (candidate / relative).string();
  return {};
}

const spec::Document* resolve_spec(const spec::Library& library, spec::Library& files, spec::Kind kind,
                                   const std::string& target, Diagnostics& out) {
  if (looks_like_path(target)) {
    spec::LoadResult loaded = spec::load_spec_file(target);
    out.append(loaded.diagnostics);
    const std::size_t before = files.documents().size();
    files.add(std::move(loaded.documents), out);
    for (const spec::Document* doc : files.documents())
      if (doc->kind() == kind && doc->location.file == target) return doc;
    if (!out.has_errors() && files.documents().size() >= before)
      out.error({target, 0, 0}, {}, "the file holds no " + std::string(spec::kind_name(kind)) + " spec");
    return nullptr;
  }
  return find_in_library(library, kind, target, out);
}


bool SpecInputs::library_ok() {
  if (!diagnostics_.has_errors()) return true;
  print_diagnostics(diagnostics_);
  return false;
}

const spec::Document* SpecInputs::resolve(spec::Kind kind, const std::string& target) {
  return resolve_spec(builtin_.library, files_, kind, target, diagnostics_);
}

bool SpecInputs::checked_ok() {
  for (const spec::Document* doc : files_.documents()) spec::check_document(*doc, &resolver_, false, diagnostics_);
  if (!diagnostics_.has_errors()) return true;
  print_diagnostics(diagnostics_);
  return false;
}

namespace {

std::string duration_text(double seconds) {
  if (seconds < 90) return std::to_string(static_cast<int>(std::ceil(seconds))) + " s";
  if (seconds < 5400) return std::to_string(static_cast<int>(std::ceil(seconds / 60))) + " min";
  return format_significant(seconds / 3600, 2) + " h";
}

}  // namespace

void show_flow_progress_on_terminal() {
  if (!isatty(STDERR_FILENO)) return;
  network::set_flow_progress([](const network::FlowProgress& p) {
    // Short simulations pass unseen; a long one is announced before it starts, then counted down.
    constexpr double kWorthShowing = 3;
    if (p.phases_done == 0) {
      if (p.estimated_s >= kWorthShowing)
        std::fprintf(stderr, "flow model: simulating the %s of %d ranks: %s flows in %s, roughly %s "
                     "(--net-model analytical answers at once)\n", p.collective.c_str(), p.ranks,
                     format_grouped(static_cast<double>(p.flows)).c_str(),
                     count_noun(static_cast<long long>(p.phases), "phase", "phases").c_str(),
                     duration_text(p.estimated_s).c_str());
      return;
    }
    if (p.estimated_s < kWorthShowing && p.elapsed_s < kWorthShowing) return;
    if (p.phases_done < p.phases)
      std::fprintf(stderr, "\rflow model: %s, phase %zu of %zu done, %s elapsed, about %s left\033[K", p.collective.c_str(),
                   p.phases_done, p.phases, duration_text(p.elapsed_s).c_str(),
                   duration_text(std::max(0.0, p.estimated_s - p.elapsed_s)).c_str());
    else
      std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  });
}

void print_chip_power(const econ::PowerEstimate& p, const spec::ChipSpec& chip) {
  std::printf("power per chip        %.0f W average of %s W TDP (compute %.0f, SRAM %.0f, HBM %.0f, links %.0f, "
              "static %.0f W; %s energy model)\n",
              p.total_w(), format_number(chip.tdp_w).c_str(), p.compute_w, p.sram_w, p.hbm_w, p.links_w, p.static_w,
              chip.process_node.c_str());
  if (p.slowdown > 1)
    std::printf("                      over TDP at full clock (%.0f W): the times above would stretch %.1f%%\n",
                p.uncapped_w, 100 * (p.slowdown - 1));
}

nlohmann::ordered_json chip_power_json(const econ::PowerEstimate& p, const spec::ChipSpec& chip) {
  return {{"average_w", p.total_w()}, {"tdp_w", chip.tdp_w},   {"compute_w", p.compute_w},
          {"sram_w", p.sram_w},       {"hbm_w", p.hbm_w},       {"links_w", p.links_w},
          {"static_w", p.static_w},   {"uncapped_w", p.uncapped_w}, {"tdp_slowdown", p.slowdown}};
}

}  // namespace xpusim::cli
