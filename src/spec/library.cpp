#include "spec/library.h"

#include <algorithm>
#include <cstdlib>
#include <set>

namespace xpusim::spec {

Library Library::load_folder(const std::filesystem::path& root, const std::string& label_root, Diagnostics& out) {
  Library library;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) {
    out.error({label_root, 0, 0}, "", "spec library folder does not exist");
    return library;
  }
  // Sorted so that the library, its diagnostics and its listings do not depend on directory order.
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && (it->path().extension() == ".yaml" || it->path().extension() == ".yml"))
      files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    const std::string label =
        (std::filesystem::path(label_root) / std::filesystem::relative(file, root, ec)).generic_string();
    LoadResult result = load_spec_file(file, label);
    out.append(result.diagnostics);
    library.add(std::move(result.documents), out);
  }
  return library;
}

void Library::add(std::vector<Document> documents, Diagnostics& out) {
  for (Document& doc : documents) {
    if (const Document* existing = find(doc.kind(), doc.name())) {
      out.error(doc.where("name"), "name",
                "a " + std::string(kind_name(doc.kind())) + " named '" + doc.name() + "' already exists at " +
                    existing->location.file + ":" + std::to_string(existing->location.line));
      continue;
    }
    documents_.push_back(std::make_unique<Document>(std::move(doc)));
  }
}

const Document* Library::find(Kind kind, std::string_view name) const {
  for (const auto& doc : documents_)
    if (doc->kind() == kind && doc->name() == name) return doc.get();
  return nullptr;
}

std::vector<std::string> Library::names(Kind kind) const {
  std::vector<std::string> out;
  for (const auto& doc : documents_)
    if (doc->kind() == kind) out.push_back(doc->name());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<const Document*> Library::find_any(std::string_view name) const {
  std::vector<const Document*> out;
  for (const Document* doc : documents())
    if (doc->name() == name) out.push_back(doc);
  return out;
}

std::vector<const Document*> Library::documents() const {
  std::vector<const Document*> out;
  for (const auto& doc : documents_) out.push_back(doc.get());
  std::sort(out.begin(), out.end(), [](const Document* a, const Document* b) {
    if (a->kind() != b->kind()) return a->kind() < b->kind();
    return a->name() < b->name();
  });
  return out;
}

void Library::check_all(bool require_sources, Diagnostics& out) const {
  for (const Document* doc : documents()) check_document(*doc, this, require_sources, out);
}

const Document* LayeredResolver::find(Kind kind, std::string_view name) const {
  if (const Document* doc = primary_.find(kind, name)) return doc;
  return fallback_ ? fallback_->find(kind, name) : nullptr;
}

std::vector<std::string> LayeredResolver::names(Kind kind) const {
  std::vector<std::string> out = primary_.names(kind);
  if (fallback_) {
    std::vector<std::string> more = fallback_->names(kind);
    out.insert(out.end(), more.begin(), more.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<std::filesystem::path> find_builtin_library(const std::filesystem::path& executable) {
  std::error_code ec;
  if (const char* env = std::getenv("XPUSIM_SPECS"); env && *env) return std::filesystem::path(env);
  const std::filesystem::path dir = executable.parent_path();
  for (const auto& candidate : {dir / "specs", dir / ".." / "share" / "xpusim" / "specs"})
    if (std::filesystem::is_directory(candidate, ec)) return candidate;
  return std::nullopt;
}

}  // namespace xpusim::spec
