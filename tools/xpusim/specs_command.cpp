#include "specs_command.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "spec/derived.h"
#include "spec/schema_rows.h"
#include "spec/writers.h"
#include "support/text.h"

namespace xpusim::cli {
namespace {

using Json = nlohmann::ordered_json;

struct SpecsOptions {
  std::string kind;
  std::string target;
  std::vector<std::string> files;
  std::vector<std::string> specs;  // --specs
  bool json = false;
  bool strict = false;
  bool markdown = false;
};

std::optional<spec::Kind> kind_filter(const std::string& text) {
  return text.empty() ? std::nullopt : spec::parse_kind(text);
}

int run_list(const Context& context, const SpecsOptions& options) {
  SpecInputs inputs(context, options.specs, {});
  if (!inputs.library_ok() || !inputs.checked_ok()) return kExitBadInput;
  const std::optional<spec::Kind> kind = kind_filter(options.kind);
  Json items = Json::array();
  std::string text = fmt::format("{:<11} {:<24} {}\n", "KIND", "NAME", "DESCRIPTION");
  for (const spec::Document* doc : inputs.resolver().documents()) {
    if (kind && doc->kind() != *kind) continue;
    const std::string& description = spec::description_of(doc->spec);
    text += fmt::format("{:<11} {:<24} {}\n", spec::kind_name(doc->kind()), doc->name(), description);
    Json item;
    item["kind"] = std::string(spec::kind_name(doc->kind()));
    item["name"] = doc->name();
    item["description"] = description;
    item["file"] = doc->location.file;
    items.push_back(std::move(item));
  }
  if (options.json) {
    Json out;
    out["specs"] = std::move(items);
    print_json(out);
  } else {
    std::fputs(text.c_str(), stdout);
  }
  return kExitOk;
}

// Four significant digits read well in a table and keep golden files stable across libm versions;
// large values are written out whole with thousands separators rather than in exponent form.
std::string figure_text(double value) {
  if (std::abs(value) < 1e4) return fmt::format("{:.4g}", value);
  const double magnitude = std::pow(10.0, std::floor(std::log10(std::abs(value))) - 3);
  const auto rounded = static_cast<long long>(std::llround(value / magnitude) * magnitude);
  const std::string digits = std::to_string(std::llabs(rounded));
  std::string out = rounded < 0 ? "-" : "";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

void show_text(const spec::Document& doc, const std::vector<spec::DerivedFigure>& figures) {
  std::printf("%s %s  (%s:%d", std::string(spec::kind_name(doc.kind())).c_str(), doc.name().c_str(),
              doc.location.file.c_str(), doc.location.line);
  if (!doc.base.empty())
    std::printf("; base %s at %s:%d", doc.base.c_str(), doc.base_at.file.c_str(), doc.base_at.line);
  std::printf(")\n");
  std::printf("\n%s", spec::to_yaml(doc.spec).c_str());
  if (figures.empty()) return;
  std::printf("\nderived:\n");
  for (const spec::DerivedFigure& f : figures)
    std::printf("  %-36s %12s %-10s %s\n", f.key.c_str(), figure_text(f.value).c_str(), f.unit.c_str(), f.doc.c_str());
}

Json show_json(const spec::Document& doc, const std::vector<spec::DerivedFigure>& figures) {
  Json out;
  out["kind"] = std::string(spec::kind_name(doc.kind()));
  out["name"] = doc.name();
  out["file"] = doc.location.file;
  if (!doc.base.empty()) out["base"] = {{"name", doc.base}, {"file", doc.base_at.file}, {"line", doc.base_at.line}};
  out["spec"] = spec::to_json(doc.spec);
  Json derived = Json::object();
  for (const spec::DerivedFigure& f : figures) {
    Json item;
    item["value"] = f.value;
    item["unit"] = f.unit;
    item["doc"] = f.doc;
    derived[f.key] = std::move(item);
  }
  out["derived"] = std::move(derived);
  return out;
}

int run_show(const Context& context, const SpecsOptions& options) {
  SpecInputs inputs(context, options.specs, {options.target});
  if (!inputs.library_ok()) return kExitBadInput;
  const spec::SpecSet& specs = inputs.resolver();
  const std::optional<spec::Kind> kind = kind_filter(options.kind);
  const std::string kind_text = kind ? std::string(spec::kind_name(*kind)) : "";

  // A path shows every spec in that file (checked with the other specs); a name shows one spec.
  Diagnostics problems;
  std::vector<const spec::Document*> shown;
  if (looks_like_path(options.target)) {
    const std::optional<std::string> label = specs.label_of(options.target);
    const std::vector<const spec::Document*> docs =
        label ? specs.documents_in(*label) : std::vector<const spec::Document*>{};
    for (const spec::Document* doc : docs)
      if (!kind || doc->kind() == *kind) shown.push_back(doc);
    if (shown.empty() && !docs.empty())
      problems.error({options.target, 0, 0}, {}, "the file holds no " + kind_text + " spec" + holdings(docs),
                     "drop --kind, or give --kind " + std::string(spec::kind_name(docs[0]->kind())));
  } else {
    const std::vector<const spec::Document*> any = specs.find_any(options.target);
    for (const spec::Document* doc : any)
      if (!kind || doc->kind() == *kind) shown.push_back(doc);
    if (shown.empty() && !any.empty()) {
      std::string kinds;
      for (std::size_t i = 0; i < any.size(); ++i)
        kinds += (i == 0 ? "a " : i + 1 == any.size() ? " and a " : ", a ") + std::string(spec::kind_name(any[i]->kind()));
      problems.error({}, {}, quote_value(options.target) + " is " + kinds + ", not a " + kind_text,
                     "drop --kind, or give --kind " + std::string(spec::kind_name(any[0]->kind())));
    } else if (shown.empty()) {
      std::vector<std::string> names;
      for (const spec::Document* doc : specs.documents())
        if (!kind || doc->kind() == *kind) names.push_back(doc->name());
      const std::string suggestion = closest_match(options.target, names);
      const std::string where = specs.user().documents().empty() ? "in the library" : "in the library or your spec files";
      problems.error({}, {}, "no spec named " + quote_value(options.target) + " " + where,
                     suggestion.empty() ? "see 'xpusim specs list'" : "did you mean '" + suggestion + "'?");
    } else if (shown.size() > 1) {
      problems.error({}, {}, quote_value(options.target) + " names specs of several kinds",
                     "pick one with --kind " + std::string(spec::kind_name(shown[0]->kind())));
    }
  }
  // Rules of the user's specs, then the lookup's problems.
  const bool specs_ok = inputs.checked_ok();
  print_diagnostics(problems);
  if (!specs_ok || problems.has_errors()) return kExitBadInput;

  const spec::SpecResolver& resolver = specs;
  Json all = Json::array();
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const auto figures = spec::derived_figures(*shown[i], &resolver);
    if (options.json) {
      all.push_back(show_json(*shown[i], figures));
    } else {
      if (i > 0) std::printf("\n---\n");
      show_text(*shown[i], figures);
    }
  }
  if (options.json) print_json(all.size() == 1 ? all[0] : Json{{"specs", all}});
  return kExitOk;
}

int run_check(const Context& context, const SpecsOptions& options) {
  Diagnostics library_diagnostics;
  BuiltinLibrary builtin = load_builtin_library(context, library_diagnostics);

  Json files = Json::array();
  Diagnostics all;
  std::size_t spec_count = 0;
  auto report_file = [&](const std::string& file, const std::vector<const spec::Document*>& docs,
                         const Diagnostics& found) {
    Json item;
    item["file"] = file;
    Json specs = Json::array();
    for (const spec::Document* doc : docs) {
      Json s;
      s["kind"] = std::string(spec::kind_name(doc->kind()));
      s["name"] = doc->name();
      specs.push_back(std::move(s));
    }
    item["specs"] = std::move(specs);
    item["diagnostics"] = diagnostics_json(found);
    files.push_back(std::move(item));
    all.append(found);
    spec_count += docs.size();
    if (!options.json && !found.has_errors() && (!options.strict || found.empty()))
      std::printf("%s: ok (%zu spec%s)\n", file.c_str(), docs.size(), docs.size() == 1 ? "" : "s");
  };

  if (options.files.empty() && options.specs.empty()) {
    // The built-in library itself, held to the library's standard: every number sourced.
    Diagnostics found = library_diagnostics;
    if (builtin.found) builtin.library.check_all(true, found);
    std::map<std::string, std::vector<const spec::Document*>> by_file;
    for (const spec::Document* doc : builtin.library.documents()) by_file[doc->location.file].push_back(doc);
    for (const auto& [file, docs] : by_file) {
      Diagnostics mine;
      for (const Diagnostic& d : found.items())
        if (d.where.file == file) mine.add(d);
      report_file(file, docs, mine);
    }
    Diagnostics unplaced;  // problems in files that did not load at all
    for (const Diagnostic& d : found.items())
      if (by_file.count(d.where.file) == 0) unplaced.add(d);
    all.append(unplaced);
    if (!unplaced.empty())
      files.push_back(Json{{"file", ""}, {"specs", Json::array()}, {"diagnostics", diagnostics_json(unplaced)}});
  } else {
    // Read every file first, so that they may refer to each other and base specs on each other; then
    // check each.
    spec::SpecSet specs(std::move(builtin.library));
    Diagnostics found;
    for (const std::string& path : options.specs) specs.add_path(path, found);
    for (const std::string& path : options.files) specs.add_path(path, found);
    specs.resolve(found);
    for (const spec::Document* doc : specs.user().documents())
      spec::check_document(*doc, &specs, options.strict, found);
    for (const std::string& file : specs.files()) {
      Diagnostics mine;
      for (const Diagnostic& d : found.items())
        if (d.where.file == file) mine.add(d);
      report_file(file, specs.documents_in(file), mine);
    }
    Diagnostics elsewhere;  // about fields a spec inherits from its base's file
    for (const Diagnostic& d : found.items())
      if (std::find(specs.files().begin(), specs.files().end(), d.where.file) == specs.files().end())
        elsewhere.add(d);
    all.append(elsewhere);
    if (!elsewhere.empty())
      files.push_back(Json{{"file", ""}, {"specs", Json::array()}, {"diagnostics", diagnostics_json(elsewhere)}});
    if (library_diagnostics.has_errors()) all.append(library_diagnostics);
  }

  print_diagnostics(all);
  const bool failed = all.has_errors() || (options.strict && all.warning_count() > 0);
  if (options.json) {
    Json out;
    out["files"] = std::move(files);
    out["specs"] = spec_count;
    out["errors"] = all.error_count();
    out["warnings"] = all.warning_count();
    out["ok"] = !failed;
    print_json(out);
  } else {
    std::printf("checked %zu spec%s: %zu error%s, %zu warning%s\n", spec_count, spec_count == 1 ? "" : "s",
                all.error_count(), all.error_count() == 1 ? "" : "s", all.warning_count(),
                all.warning_count() == 1 ? "" : "s");
  }
  return failed ? kExitBadInput : kExitOk;
}

int run_schema(const SpecsOptions& options) {
  const std::optional<spec::Kind> kind = kind_filter(options.kind);
  Json out = Json::object();
  std::string text;
  for (std::size_t i = 0; i < std::size(spec::kKindNames); ++i) {
    const auto k = static_cast<spec::Kind>(i);
    if (kind && k != *kind) continue;
    const std::vector<spec::SchemaRow> rows = spec::schema_rows(k);
    Json fields = Json::array();
    const std::string name(spec::kind_name(k));
    if (options.markdown) {
      text += "### kind: " + name +
              "\n\n| field | type | unit | required | allowed | meaning |\n|---|---|---|---|---|---|\n";
    } else if (!options.json) {
      text += (text.empty() ? "" : "\n") + name + "\n";
    }
    for (const spec::SchemaRow& row : rows) {
      Json f;
      f["path"] = row.path;
      f["type"] = row.type;
      f["unit"] = row.unit;
      f["required"] = row.required;
      f["allowed"] = row.range;
      f["doc"] = row.doc;
      fields.push_back(std::move(f));
      if (options.markdown)
        text += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", row.path, row.type, row.unit,
                            row.required ? "yes" : "no", row.range, row.doc);
      else
        text += fmt::format("  {:<44} {:<8} {:<9} {:<3} {}\n", row.path, row.type, row.unit,
                            row.required ? "req" : "opt", row.range);
    }
    if (options.markdown) text += "\n";
    out[name] = std::move(fields);
  }
  if (options.json)
    print_json(out);
  else
    std::fputs(text.c_str(), stdout);
  return kExitOk;
}

}  // namespace

void add_specs_command(CLI::App& app, const Context& context, int& exit_code) {
  auto options = std::make_shared<SpecsOptions>();
  std::vector<std::string> kinds(std::begin(spec::kKindNames), std::end(spec::kKindNames));

  CLI::App* specs = app.add_subcommand("specs", "Look up, show and check hardware and model specs");
  specs->require_subcommand(1);

  CLI::App* list = specs->add_subcommand("list", "List the specs (the built-in library, and any --specs)");
  list->add_option("--kind", options->kind, "Only this kind")->check(CLI::IsMember(kinds));
  add_specs_option(*list, options->specs);
  list->add_flag("--json", options->json, "Print JSON");
  list->callback([&, options] { exit_code = context.parse_only ? kExitOk : run_list(context, *options); });

  CLI::App* show = specs->add_subcommand("show", "Show one spec with its derived figures");
  show->add_option("target", options->target, "A name (h100-sxm) or a YAML file")->required();
  show->add_option("--kind", options->kind, "Kind, when a name is used by several")->check(CLI::IsMember(kinds));
  add_specs_option(*show, options->specs);
  show->add_flag("--json", options->json, "Print JSON");
  show->callback([&, options] { exit_code = context.parse_only ? kExitOk : run_show(context, *options); });

  CLI::App* check = specs->add_subcommand("check", "Check spec files (no files: the built-in library)");
  check->add_option("files", options->files, "YAML files to check");
  check->add_flag("--strict", options->strict, "Warnings are errors, and every number needs a source");
  add_specs_option(*check, options->specs);
  check->add_flag("--json", options->json, "Print JSON");
  check->callback([&, options] { exit_code = context.parse_only ? kExitOk : run_check(context, *options); });

  CLI::App* schema = specs->add_subcommand("schema", "Print every field of every kind, with units and ranges");
  schema->add_option("--kind", options->kind, "Only this kind")->check(CLI::IsMember(kinds));
  schema->add_flag("--json", options->json, "Print JSON");
  schema->add_flag("--markdown", options->markdown, "Print Markdown tables (docs/specs.md)");
  schema->callback([&, options] { exit_code = context.parse_only ? kExitOk : run_schema(*options); });
}

}  // namespace xpusim::cli
