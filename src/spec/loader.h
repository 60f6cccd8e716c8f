// Reading specs from YAML text or files into Documents, with every problem as a Diagnostic.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "spec/document.h"

namespace xpusim::spec {

struct LoadResult {
  std::vector<Document> documents;  // only documents that loaded without errors
  Diagnostics diagnostics;          // every problem found, in file order
};

// Largest spec file accepted: the biggest in the library is under 5 KiB, and yaml-cpp holds about 100
// times a file's size in memory, so this bounds a load to about 100 MiB.
inline constexpr std::size_t kMaxSpecFileBytes = 1u << 20;

// Parses every YAML document in `text`; `file` names it in diagnostics. This checks what the schema
// says (types, ranges, required and unknown keys); the kinds' consistency rules and references are
// checked by check_document (document.h), which needs the other specs.
LoadResult parse_specs(std::string_view text, const std::string& file);

// Reads and parses a file. `label` is how diagnostics name it (default: the path as given).
LoadResult load_spec_file(const std::filesystem::path& path, const std::string& label = {});

}  // namespace xpusim::spec
