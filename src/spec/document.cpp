#include "spec/document.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "spec/schema_rows.h"
#include "support/assert.h"
#include "support/text.h"

namespace xpusim::spec {

std::string_view kind_name(Kind kind) {
  return kKindNames[static_cast<std::size_t>(kind)];
}

std::optional<Kind> parse_kind(std::string_view text) {
  for (std::size_t i = 0; i < std::size(kKindNames); ++i)
    if (kKindNames[i] == text) return static_cast<Kind>(i);
  return std::nullopt;
}

Kind kind_of(const AnySpec& spec) {
  return static_cast<Kind>(spec.index());
}

const std::string& name_of(const AnySpec& spec) {
  return std::visit([](const auto& s) -> const std::string& { return s.name; }, spec);
}

const std::string& description_of(const AnySpec& spec) {
  return std::visit([](const auto& s) -> const std::string& { return s.description; }, spec);
}

void forget_stale_claims(Document& doc, const std::vector<std::string>& written) {
  const auto under = [](std::string_view path, std::string_view field) {
    return path == field || (path.starts_with(field) && (path[field.size()] == '.' || path[field.size()] == '['));
  };
  const auto writes = [&](std::string_view field) {
    return std::any_of(written.begin(), written.end(), [&](const std::string& path) { return under(path, field); });
  };
  const auto forget = [&](std::string_view field) {
    std::erase_if(doc.field_locations, [&](const auto& location) { return under(location.first, field); });
    std::erase_if(doc.number_paths, [&](const std::string& path) { return under(path, field); });
  };
  const auto forget_sources = [&](const auto& stale) {
    std::visit(
        [&](auto& spec) {
          for (auto it = spec.sources.begin(); it != spec.sources.end();) {
            if (!stale(it->first)) {
              ++it;
              continue;
            }
            doc.field_locations.erase("sources." + it->first);
            it = spec.sources.erase(it);
          }
        },
        doc.spec);
  };
  // A source of a base's value does not source the value written in its place.
  forget_sources([&](const std::string& key) {
    if (writes("sources." + key)) return false;
    return std::any_of(written.begin(), written.end(),
                       [&](const std::string& path) { return !under(path, "sources") && under(key, path); });
  });
  // A chip's published peaks were the base's: with other clocks or cores they are not this chip's.
  if (auto* chip = std::get_if<ChipSpec>(&doc.spec)) {
    if ((writes("clock_mhz") || writes("cores")) && !writes("peak_tflops")) {
      chip->peak_tflops.clear();
      forget("peak_tflops");
      forget_sources([&](const std::string& key) { return under(key, "peak_tflops"); });
    }
  }
}

SpecObject& object_of(AnySpec& spec) {
  return std::visit([](auto& s) -> SpecObject& { return s; }, spec);
}

AnySpec make_spec(Kind kind) {
  switch (kind) {
    case Kind::chip:
      return ChipSpec{};
    case Kind::system:
      return SystemSpec{};
    case Kind::network:
      return NetworkSpec{};
    case Kind::cluster:
      return ClusterSpec{};
    case Kind::datacenter:
      return DatacenterSpec{};
    case Kind::model:
      return ModelSpec{};
    case Kind::process:
      return ProcessSpec{};
    case Kind::workload:
      return WorkloadSpec{};
  }
  XPUSIM_ASSERT(false, "every Kind has a spec type");
}

SourceLocation Document::where(std::string_view path) const {
  std::string key(path);
  while (true) {
    if (auto it = field_locations.find(key); it != field_locations.end()) return it->second;
    const std::size_t cut = key.find_last_of(".[");
    if (cut == std::string::npos) return location;
    key.resize(cut);
  }
}

const Document* resolve_reference(const Document& doc, std::string_view path, Kind kind, std::string_view name,
                                  const SpecResolver* resolver, Diagnostics& out) {
  if (!resolver || name.empty()) return nullptr;
  if (const Document* found = resolver->find(kind, name)) return found;
  const std::vector<std::string> names = resolver->names(kind);
  const std::string suggestion = closest_match(name, names);
  out.error(doc.where(path), std::string(path), "no " + std::string(kind_name(kind)) + " named " + quote_value(name),
            suggestion.empty() ? "see `xpusim specs list --kind " + std::string(kind_name(kind)) + "`"
                               : "did you mean '" + suggestion + "'?");
  return nullptr;
}

void check_sources(const Document& doc, bool require_sources, Diagnostics& out) {
  const Sources& sources = std::visit([](const auto& s) -> const Sources& { return s.sources; }, doc.spec);
  std::set<std::string> fields;
  std::vector<std::string> field_list;
  for (const SchemaRow& row : schema_rows(doc.kind())) {
    const std::string path = strip_indices(row.path);
    if (path == "sources" || path == "kind" || path.starts_with("sources.")) continue;
    if (fields.insert(path).second) field_list.push_back(path);
  }
  std::set<std::string> covered;
  for (const auto& [key, text] : sources) {
    const std::string path = strip_indices(key);
    if (fields.count(path) == 0) {
      const std::string suggestion = closest_match(path, field_list);
      out.error(doc.where("sources." + key), "sources." + key,
                quote_value(key) + " names no field of a " + std::string(kind_name(doc.kind())),
                suggestion.empty() ? std::string() : "did you mean '" + suggestion + "'?");
    }
    covered.insert(path);
  }
  if (!require_sources) return;
  for (const std::string& number : doc.number_paths) {
    std::string path = strip_indices(number);
    bool found = false;
    while (!found) {
      found = covered.count(path) > 0;
      const std::size_t cut = path.rfind('.');
      if (cut == std::string::npos) break;
      path.resize(cut);
    }
    if (!found)
      out.warning(doc.where(number), number, "published number without a source",
                  "add sources: {" + strip_indices(number) + ": \"...\"} or a source for a parent field");
  }
}

// Names are typed on command lines and become file names: keep them to a safe alphabet.
void check_name(const Document& doc, Diagnostics& out) {
  const std::string& name = doc.name();
  const bool safe = !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name[0])) &&
                    std::all_of(name.begin(), name.end(), [](unsigned char c) {
                      return std::islower(c) || std::isdigit(c) || c == '-' || c == '.' || c == '_';
                    });
  if (!safe)
    out.error(doc.where("name"), "name", quote_value(name) + " is not a valid name",
              "use 1 to 64 lowercase letters, digits, '-', '.' or '_', starting with a letter or digit");
}

void check_document(const Document& doc, const SpecResolver* resolver, bool require_sources, Diagnostics& out) {
  check_name(doc, out);
  std::visit(
      [&](const auto& spec) {
        using T = std::decay_t<decltype(spec)>;
        if constexpr (std::is_same_v<T, ChipSpec>)
          check_chip(spec, doc, out);
        else if constexpr (std::is_same_v<T, SystemSpec>)
          check_system(spec, doc, resolver, out);
        else if constexpr (std::is_same_v<T, NetworkSpec>)
          check_network(spec, doc, out);
        else if constexpr (std::is_same_v<T, ClusterSpec>)
          check_cluster(spec, doc, resolver, out);
        else if constexpr (std::is_same_v<T, DatacenterSpec>)
          check_datacenter(spec, doc, out);
        else if constexpr (std::is_same_v<T, ProcessSpec>)
          check_process(spec, doc, out);
        else if constexpr (std::is_same_v<T, WorkloadSpec>)
          check_workload(spec, doc, resolver, out);
        else
          check_model(spec, doc, out);
      },
      doc.spec);
  check_sources(doc, require_sources, out);
}

}  // namespace xpusim::spec
