#include "spec/library.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <set>

#include "support/text.h"

namespace xpusim::spec {

namespace {

bool is_spec_file_name(const std::filesystem::path& path) {
  return path.extension() == ".yaml" || path.extension() == ".yml";
}

void collect_spec_files(const std::filesystem::path& folder, const std::filesystem::path& root,
                        const std::string& label_root, std::vector<std::pair<std::filesystem::path, std::string>>& files,
                        Diagnostics& out) {
  std::error_code ec;
  // Lexically: the entries come from iterating `root`, and resolving links would fail on the broken ones.
  const auto label = [&](const std::filesystem::path& path) {
    if (path == root) return label_root;
    return (std::filesystem::path(label_root) / path.lexically_relative(root)).generic_string();
  };
  std::filesystem::directory_iterator it(folder, ec);
  if (ec) {
    out.error({label(folder), 0, 0}, "", "cannot read the folder: " + ec.message(),
              "its specs would be left out; fix its permissions or remove it");
    return;
  }
  // In sorted order, so that diagnostics do not depend on directory order.
  std::vector<std::filesystem::directory_entry> entries;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) entries.push_back(*it);
  if (ec)
    out.error({label(folder), 0, 0}, "", "cannot read the whole folder: " + ec.message(),
              "its specs would be left out; fix its permissions or remove it");
  std::sort(entries.begin(), entries.end());
  std::vector<std::filesystem::path> folders;
  for (const std::filesystem::directory_entry& entry : entries) {
    std::error_code status_ec;
    const std::filesystem::file_status status = entry.status(status_ec);
    if (status_ec) {
      // A dangling link is no file; anything else unreadable (a loop of links, no permission) may
      // hide specs.
      if (status.type() != std::filesystem::file_type::not_found)
        out.error({label(entry.path()), 0, 0}, "", "cannot read: " + status_ec.message());
      continue;
    }
    if (std::filesystem::is_directory(status)) {
      // Linked folders are not followed (as recursive_directory_iterator's default): a link may loop.
      if (!entry.is_symlink(status_ec)) folders.push_back(entry.path());
    } else if (std::filesystem::is_regular_file(status) && is_spec_file_name(entry.path())) {
      files.emplace_back(entry.path(), label(entry.path()));
    }
  }
  for (const auto& sub : folders) collect_spec_files(sub, root, label_root, files, out);
}

}  // namespace

std::vector<std::pair<std::filesystem::path, std::string>> spec_files_below(const std::filesystem::path& root,
                                                                          const std::string& label_root,
                                                                          Diagnostics& out) {
  std::vector<std::pair<std::filesystem::path, std::string>> files;
  collect_spec_files(root, root, label_root, files, out);
  // Sorted so that the library, its diagnostics and its listings do not depend on directory order.
  std::sort(files.begin(), files.end());
  return files;
}

Library Library::load_folder(const std::filesystem::path& root, const std::string& label_root, Diagnostics& out) {
  Library library;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) {
    out.error({label_root, 0, 0}, "", "spec library folder does not exist");
    return library;
  }
  std::vector<PendingDocument> pending;
  for (const auto& [file, label] : spec_files_below(root, label_root, out)) {
    LoadResult result = load_spec_file(file, label);
    out.append(result.diagnostics);
    library.add(std::move(result.documents), out);
    std::move(result.pending.begin(), result.pending.end(), std::back_inserter(pending));
  }
  library.add_derived(std::move(pending), nullptr, out);
  return library;
}

void Library::add(std::vector<Document> documents, Diagnostics& out) {
  for (Document& doc : documents) add(std::move(doc), out);
}

const Document* Library::add(Document doc, Diagnostics& out) {
  if (const Document* existing = find(doc.kind(), doc.name())) {
    out.error(doc.where("name"), "name",
              "a " + std::string(kind_name(doc.kind())) + " named '" + doc.name() + "' already exists at " +
                  existing->location.file + ":" + std::to_string(existing->location.line));
    return nullptr;
  }
  documents_.push_back(std::make_unique<Document>(std::move(doc)));
  return documents_.back().get();
}

namespace {

// Derives pending documents in dependency order: a base that is itself pending is derived first.
class BaseResolution {
 public:
  BaseResolution(Library& layer, const SpecResolver* below, std::vector<PendingDocument>& pending, Diagnostics& out)
      : layer_(layer), below_(below), pending_(pending), out_(out), state_(pending.size(), State::waiting),
        derived_(pending.size(), nullptr) {}

  void run() {
    for (std::size_t i = 0; i < pending_.size(); ++i) derive(i);
  }

 private:
  enum class State { waiting, active, done, failed, in_cycle };

  const Document* derive(std::size_t i) {
    if (state_[i] == State::done || state_[i] == State::failed || state_[i] == State::in_cycle) return derived_[i];
    state_[i] = State::active;
    chain_.push_back(i);
    const Document* base = find_base(i);
    if (base) {
      std::optional<Document> doc = derive_document(pending_[i], *base, out_);
      if (doc) derived_[i] = layer_.add(std::move(*doc), out_);
    }
    chain_.pop_back();
    if (state_[i] == State::active) state_[i] = derived_[i] ? State::done : State::failed;
    return derived_[i];
  }

  // The first pending document of this kind and name.
  std::optional<std::size_t> pending_named(Kind kind, std::string_view name) const {
    for (std::size_t j = 0; j < pending_.size(); ++j)
      if (pending_[j].kind == kind && pending_[j].name == name) return j;
    return std::nullopt;
  }

  const Document* find_base(std::size_t i) {
    const PendingDocument& p = pending_[i];
    const std::string kind(kind_name(p.kind));
    const bool own_name = p.base == p.name;
    if (!own_name) {
      if (const Document* doc = layer_.find(p.kind, p.base)) return doc;
      if (const std::optional<std::size_t> j = pending_named(p.kind, p.base)) {
        if (state_[*j] == State::active) {
          report_cycle(i, *j);
          return nullptr;
        }
        if (const Document* doc = derive(*j)) return doc;
        if (state_[i] != State::in_cycle)
          out_.error(p.base_location, "base", "base " + kind + " '" + p.base + "' did not load (see its errors)");
        return nullptr;
      }
    }
    if (below_)
      if (const Document* doc = below_->find(p.kind, p.base)) return doc;
    if (own_name && !below_) {
      out_.error(p.base_location, "base", "a " + kind + " cannot be its own base ('" + p.name + "')");
      return nullptr;
    }
    // Not there as this kind: another kind, or nothing.
    for (std::size_t k = 0; k < std::size(kKindNames); ++k) {
      const auto other = static_cast<Kind>(k);
      if (other == p.kind) continue;
      const Document* doc = own_name ? nullptr : layer_.find(other, p.base);
      if (!doc && below_) doc = below_->find(other, p.base);
      if (doc || (!own_name && pending_named(other, p.base))) {
        out_.error(p.base_location, "base",
                   "base '" + p.base + "' is a " + std::string(kind_name(other)) + ", not a " + kind,
                   "a spec's base must be of its own kind");
        return nullptr;
      }
    }
    std::vector<std::string> names = below_ ? below_->names(p.kind) : std::vector<std::string>{};
    if (!own_name) {
      for (const std::string& name : layer_.names(p.kind)) names.push_back(name);
      for (const PendingDocument& other : pending_)
        if (other.kind == p.kind && other.name != p.name) names.push_back(other.name);
    }
    const std::string suggestion = closest_match(p.base, names);
    out_.error(p.base_location, "base",
               own_name ? "base '" + p.base + "' is this " + kind + "'s own name, and the library has no " + kind +
                              " of that name to base it on"
                        : "no " + kind + " named '" + p.base + "' to use as base",
               suggestion.empty() ? "see 'xpusim specs list --kind " + kind + "'" : "did you mean '" + suggestion + "'?");
    return nullptr;
  }

  // pending_[i]'s base is pending_[j], which is being derived: every document from j to i is in a cycle.
  void report_cycle(std::size_t i, std::size_t j) {
    const auto from = std::find(chain_.begin(), chain_.end(), j);
    std::string names;
    for (auto it = from; it != chain_.end(); ++it) {
      names += pending_[*it].name + " -> ";
      state_[*it] = State::in_cycle;
    }
    names += pending_[j].name;
    out_.error(pending_[i].base_location, "base", "bases form a cycle: " + names,
               "one of them must be based on a spec outside the cycle, or on none");
  }

  Library& layer_;
  const SpecResolver* below_;
  std::vector<PendingDocument>& pending_;
  Diagnostics& out_;
  std::vector<State> state_;
  std::vector<const Document*> derived_;
  std::vector<std::size_t> chain_;
};

}  // namespace

void Library::add_derived(std::vector<PendingDocument> pending, const SpecResolver* below, Diagnostics& out) {
  BaseResolution(*this, below, pending, out).run();
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

std::vector<const Document*> documents_named(const std::vector<const Document*>& documents, std::string_view name) {
  std::vector<const Document*> out;
  for (const Document* doc : documents)
    if (doc->name() == name) out.push_back(doc);
  return out;
}

std::vector<const Document*> Library::find_any(std::string_view name) const {
  return documents_named(documents(), name);
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
