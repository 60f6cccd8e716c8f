// libFuzzer target: any bytes given to the spec loader and the kind rules must come back as
// diagnostics, never as a crash, a hang, a sanitizer report or an uncaught exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "spec/document.h"
#include "spec/library.h"
#include "spec/loader.h"
#include "spec/writers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  xpusim::spec::LoadResult result = xpusim::spec::parse_specs(text, "fuzz.yaml");
  // Documents with base: are derived from the others of the input (chains, cycles, wrong kinds).
  xpusim::Diagnostics diagnostics;
  xpusim::spec::Library library;
  library.add(std::move(result.documents), diagnostics);
  library.add_derived(std::move(result.pending), nullptr, diagnostics);
  for (const xpusim::spec::Document* doc_pointer : library.documents()) {
    const xpusim::spec::Document& doc = *doc_pointer;
    xpusim::spec::check_document(doc, &library, true, diagnostics);
    // What loaded must also write back out.
    (void)xpusim::spec::to_yaml(doc.spec);
  }
  return 0;
}
