// libFuzzer target: any bytes given as a validation cases file must come back as diagnostics or a
// report, never as a crash, a hang, a sanitizer report or an uncaught exception (invalid UTF-8 in a
// case once aborted in the JSON writer).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "spec/library.h"
#include "validation/validation.h"

namespace {

// The built-in library, loaded once: cases name its chips, systems and models.
const xpusim::spec::Library& library() {
  static const xpusim::spec::Library lib = [] {
    xpusim::Diagnostics ignored;
    const char* root = std::getenv("XPUSIM_SPECS");
    return xpusim::spec::Library::load_folder(root && *root ? root : XPUSIM_SOURCE_DIR "/specs", "specs", ignored);
  }();
  return lib;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  xpusim::Expected<xpusim::validation::ValidationReport> report =
      xpusim::validation::run_validation_text(text, "fuzz.yaml", library());
  if (report.ok()) {
    (void)xpusim::validation::to_json(*report).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::strict);
    (void)xpusim::validation::to_markdown(*report);
  }
  return 0;
}
