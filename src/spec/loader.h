// Reading specs from YAML text or files into Documents, with every problem as a Diagnostic.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/document.h"

namespace xpusim::spec {

// A spec written as changes to another (`base: NAME`). It stays text until its base is known, since
// which fields it must give, and where each of its fields was written, depend on the base.
struct PendingDocument {
  Kind kind = Kind::chip;
  std::string name;
  std::string base;              // the name given by `base:`
  SourceLocation location;       // the start of the document
  SourceLocation name_location;  // the value of `name:`
  SourceLocation base_location;  // the value of `base:`
  std::string text;              // the YAML document
  int first_line = 1;            // of `text` in its file
};

struct LoadResult {
  std::vector<Document> documents;        // only documents that loaded without errors
  std::vector<PendingDocument> pending;   // documents with `base:`, for derive_document
  Diagnostics diagnostics;                // every problem found, in file order
};

// Largest spec file accepted: the biggest in the library is under 5 KiB, and yaml-cpp holds about 100
// times a file's size in memory, so this bounds a load to about 100 MiB.
inline constexpr std::size_t kMaxSpecFileBytes = 1u << 20;

// Parses every YAML document in `text`; `file` names it in diagnostics. This checks what the schema
// says (types, ranges, required and unknown keys); the kinds' consistency rules and references are
// checked by check_document (document.h), which needs the other specs.
LoadResult parse_specs(std::string_view text, const std::string& file);

// `pending` applied to `base`: the base's fields (and their locations, so a rule broken by an inherited
// value points at the base's file), with the fields `pending` writes in their place. Mappings merge key
// by key, recursively; lists and single values are replaced whole. The result is checked against the
// schema as a whole. nullopt, with the problems in `out`, when it is not a valid spec.
std::optional<Document> derive_document(const PendingDocument& pending, const Document& base, Diagnostics& out);

// Reads and parses a file. `label` is how diagnostics name it (default: the path as given).
LoadResult load_spec_file(const std::filesystem::path& path, const std::string& label = {});

}  // namespace xpusim::spec
