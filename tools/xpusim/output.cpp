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

std::string holdings(const std::vector<const spec::Document*>& docs) {
  if (docs.empty()) return {};
  std::string out = ": it holds ";
  for (std::size_t i = 0; i < docs.size(); ++i)
    out += (i == 0 ? "" : i + 1 == docs.size() ? " and " : ", ") + std::string(spec::kind_name(docs[i]->kind())) +
           " '" + docs[i]->name() + "'";
  return out;
}

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

void add_specs_option(CLI::App& command, std::vector<std::string>& specs) {
  command
      .add_option("--specs", specs,
                  "Your own spec file or folder (repeatable): its specs are found by name before the library's")
      ->option_text("FILE|DIR")
      ->take_all();
}

SpecInputs::SpecInputs(const Context& context, const std::vector<std::string>& specs,
                       const std::vector<std::string>& targets) {
  BuiltinLibrary builtin = load_builtin_library(context, diagnostics_);
  library_failed_ = diagnostics_.has_errors();
  specs_ = spec::SpecSet(std::move(builtin.library));
  for (const std::string& path : specs) specs_.add_path(path, diagnostics_);
  for (const std::string& target : targets)
    if (!target.empty() && looks_like_path(target)) specs_.add_path(target, diagnostics_);
  specs_.resolve(diagnostics_);
}

bool SpecInputs::library_ok() {
  if (!library_failed_) return true;
  print_diagnostics(diagnostics_);
  return false;
}

const spec::Document* SpecInputs::resolve(spec::Kind kind, const std::string& target) {
  const std::string kind_text(spec::kind_name(kind));
  if (looks_like_path(target)) {
    const std::optional<std::string> label = specs_.label_of(target);
    const std::vector<const spec::Document*> docs =
        label ? specs_.documents_in(*label) : std::vector<const spec::Document*>{};
    for (const spec::Document* doc : docs)
      if (doc->kind() == kind) return doc;
    // A file that failed to load has said why already.
    if (!diagnostics_.has_errors())
      diagnostics_.error({target, 0, 0}, {}, "the file holds no " + kind_text + " spec" + holdings(docs));
    return nullptr;
  }
  if (const spec::Document* doc = specs_.find(kind, target)) return doc;
  const std::string suggestion = closest_match(target, specs_.names(kind));
  const std::string where = specs_.user().documents().empty() ? "in the library" : "in the library or your spec files";
  diagnostics_.error({}, {}, "no " + kind_text + " named " + quote_value(target) + " " + where,
                     suggestion.empty() ? "see 'xpusim specs list --kind " + kind_text + "'"
                                        : "did you mean '" + suggestion + "'?");
  return nullptr;
}

bool SpecInputs::checked_ok() {
  if (!checked_)
    for (const spec::Document* doc : specs_.user().documents())
      spec::check_document(*doc, &specs_, false, diagnostics_);
  checked_ = true;
  print_diagnostics(diagnostics_);
  const bool ok = !diagnostics_.has_errors();
  diagnostics_ = Diagnostics();
  return ok;
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
