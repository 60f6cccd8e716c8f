#include "spec_test_util.h"

#include <gtest/gtest.h>

namespace xpusim::spec::testing {

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "'" << from << "' is not in the test input";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

Diagnostics check_yaml(const std::string& yaml, const SpecResolver* resolver, bool strict) {
  LoadResult result = parse_specs(yaml, "test.yaml");
  Diagnostics out = result.diagnostics;
  for (const Document& doc : result.documents) check_document(doc, resolver, strict, out);
  return out;
}

std::string only(const Diagnostics& diagnostics) {
  if (diagnostics.items().size() == 1) return diagnostics.items()[0].to_string();
  std::string all = std::to_string(diagnostics.items().size()) + " diagnostics:";
  for (const Diagnostic& d : diagnostics.items()) all += "\n  " + d.to_string();
  return all;
}

const Library& builtin_library() {
  static const Library library = [] {
    Diagnostics diagnostics;
    Library loaded = Library::load_folder(std::string(XPUSIM_SOURCE_DIR) + "/specs", "specs", diagnostics);
    EXPECT_TRUE(diagnostics.empty()) << Error(diagnostics).to_string();
    return loaded;
  }();
  return library;
}

}  // namespace xpusim::spec::testing
