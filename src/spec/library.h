// The spec library: every spec in a folder tree (the built-in specs/ or a user's own), indexed by kind
// and name, plus specs loaded from individual files that take precedence over it.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "spec/document.h"
#include "spec/loader.h"

namespace xpusim::spec {

class Library final : public SpecResolver {
 public:
  // Loads every *.yaml below `root`. Files are named in diagnostics as `label_root`/relative path.
  static Library load_folder(const std::filesystem::path& root, const std::string& label_root, Diagnostics& out);

  // Adds documents; a second spec of the same kind and name is an error (reported at the new one).
  void add(std::vector<Document> documents, Diagnostics& out);
  // Adds one document; the stored copy, or nullptr (reported) when it is a second of its kind and name.
  const Document* add(Document document, Diagnostics& out);

  // Derives each document with `base:` from its base and adds it (see derive_document). A base is
  // looked up among this library's documents, with or without a base of their own, then in `below`
  // (may be null); a base of the document's own name (a user's h100-sxm based on the library's) is
  // looked up only in `below`. A missing base (with "did you mean"), a base of another kind and a
  // cycle are errors at the `base:` line.
  void add_derived(std::vector<PendingDocument> pending, const SpecResolver* below, Diagnostics& out);

  const Document* find(Kind kind, std::string_view name) const override;
  std::vector<std::string> names(Kind kind) const override;
  // Every spec with this name, whatever its kind.
  std::vector<const Document*> find_any(std::string_view name) const;
  // All documents, ordered by kind, then name.
  std::vector<const Document*> documents() const;

  // Runs every document's rules (and, with `require_sources`, the source-coverage rule) with this
  // library resolving references.
  void check_all(bool require_sources, Diagnostics& out) const;

 private:
  std::vector<std::unique_ptr<Document>> documents_;
};

// The spec files below `root`: every *.yaml and *.yml, in sorted order, each with its label
// (`label_root`/relative path). A folder that cannot be read, or an entry whose type cannot be
// determined (a link that loops, no permission), is an error naming it: a library with a folder left
// out silently would look complete and be wrong.
std::vector<std::pair<std::filesystem::path, std::string>> spec_files_below(const std::filesystem::path& root,
                                                                          const std::string& label_root,
                                                                          Diagnostics& out);

// The documents of `documents` called `name`, whatever their kind, in the same order.
std::vector<const Document*> documents_named(const std::vector<const Document*>& documents, std::string_view name);

// Resolves references against `primary` first, then `fallback` (a user's files over the built-ins).
class LayeredResolver final : public SpecResolver {
 public:
  LayeredResolver(const SpecResolver& primary, const SpecResolver* fallback) : primary_(primary), fallback_(fallback) {}
  const Document* find(Kind kind, std::string_view name) const override;
  std::vector<std::string> names(Kind kind) const override;

 private:
  const SpecResolver& primary_;
  const SpecResolver* fallback_;
};

// Where the built-in library is: $XPUSIM_SPECS if set, else `specs` beside the executable, else
// ../share/xpusim/specs relative to it (an installed tree). nullopt when none exists.
std::optional<std::filesystem::path> find_builtin_library(const std::filesystem::path& executable);

}  // namespace xpusim::spec
