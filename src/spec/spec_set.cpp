#include "spec/spec_set.h"

#include <algorithm>
#include <iterator>

namespace xpusim::spec {

void SpecSet::add_path(const std::filesystem::path& path, Diagnostics& out) {
  std::error_code ec;
  const std::string given = path.string();
  if (std::filesystem::is_directory(path, ec)) {
    // "dir/" and "dir" name files alike.
    const std::string label_root = path.has_filename() ? given : path.parent_path().string();
    for (const auto& [file, label] : spec_files_below(path, label_root, out)) add_file(file, label, out);
    return;
  }
  add_file(path, given, out);
}

void SpecSet::add_file(const std::filesystem::path& path, const std::string& label, Diagnostics& out) {
  std::error_code ec;
  std::filesystem::path key = std::filesystem::weakly_canonical(path, ec);
  if (ec) key = path;
  if (labels_.count(key) != 0) return;
  labels_.emplace(key, label);
  files_.push_back(label);
  add(load_spec_file(path, label), out);
}

void SpecSet::add(LoadResult loaded, Diagnostics& out) {
  out.append(loaded.diagnostics);
  user_.add(std::move(loaded.documents), out);
  std::move(loaded.pending.begin(), loaded.pending.end(), std::back_inserter(pending_));
}

void SpecSet::resolve(Diagnostics& out) {
  user_.add_derived(std::move(pending_), &library_, out);
  pending_.clear();
  for (const Document* doc : user_.documents()) {
    const Document* shadowed = library_.find(doc->kind(), doc->name());
    if (!shadowed) continue;
    // A library file named as a user file (`specs check specs/chips/x.yaml`) is itself, not a shadow.
    std::error_code ec_user, ec_library;
    const auto user_path = std::filesystem::weakly_canonical(doc->location.file, ec_user);
    const auto library_path = std::filesystem::weakly_canonical(shadowed->location.file, ec_library);
    if (!ec_user && !ec_library && user_path == library_path && doc->location.line == shadowed->location.line) continue;
    const std::string kind(kind_name(doc->kind()));
    const std::string where = shadowed->location.file + ":" + std::to_string(shadowed->location.line);
    out.warning(doc->where("name"), "name", kind + " '" + doc->name() + "' shadows the library's, at " + where,
                doc->base == doc->name() ? "this one is used; it is based on the library's"
                                         : "this one is used; rename it to keep both");
  }
}

const Document* SpecSet::find(Kind kind, std::string_view name) const {
  if (const Document* doc = user_.find(kind, name)) return doc;
  return library_.find(kind, name);
}

std::vector<std::string> SpecSet::names(Kind kind) const {
  return LayeredResolver(user_, &library_).names(kind);
}

std::vector<const Document*> SpecSet::find_any(std::string_view name) const {
  return documents_named(documents(), name);
}

std::vector<const Document*> SpecSet::documents() const {
  std::vector<const Document*> out = user_.documents();
  for (const Document* doc : library_.documents())
    if (!user_.find(doc->kind(), doc->name())) out.push_back(doc);
  std::stable_sort(out.begin(), out.end(), [](const Document* a, const Document* b) {
    if (a->kind() != b->kind()) return a->kind() < b->kind();
    return a->name() < b->name();
  });
  return out;
}

std::vector<const Document*> SpecSet::documents_in(const std::string& label) const {
  std::vector<const Document*> out;
  for (const Document* doc : user_.documents())
    if (doc->location.file == label) out.push_back(doc);
  return out;
}

std::optional<std::string> SpecSet::label_of(const std::filesystem::path& path) const {
  std::error_code ec;
  std::filesystem::path key = std::filesystem::weakly_canonical(path, ec);
  if (ec) key = path;
  const auto it = labels_.find(key);
  if (it == labels_.end()) return std::nullopt;
  return it->second;
}

}  // namespace xpusim::spec
