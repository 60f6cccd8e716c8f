// vega, vega-lite and vega-embed as bytes in .rodata: the assembler's .incbin copies each minified build
// from web/node_modules (XPUSIM_WEB_NODE_MODULES, set by CMake, which also makes this file depend on
// them) between a start and an end symbol. Nothing is copied by hand or generated into the source tree.
#include "report/embedded_scripts.h"

#include <array>

// Defines xpusim_report_<name>_start and _end around the bytes of `file`, hidden from other modules.
// clang-format off
#define XPUSIM_REPORT_INCBIN(name, file)                        \
  asm(".pushsection .rodata\n"                                  \
      ".global xpusim_report_" #name "_start\n"                 \
      ".hidden xpusim_report_" #name "_start\n"                 \
      "xpusim_report_" #name "_start:\n"                        \
      ".incbin \"" XPUSIM_WEB_NODE_MODULES "/" file "\"\n"      \
      ".global xpusim_report_" #name "_end\n"                   \
      ".hidden xpusim_report_" #name "_end\n"                   \
      "xpusim_report_" #name "_end:\n"                          \
      ".popsection\n");                                         \
  extern "C" const char xpusim_report_##name##_start[];         \
  extern "C" const char xpusim_report_##name##_end[];
// clang-format on

XPUSIM_REPORT_INCBIN(vega, "vega/build/vega.min.js")
XPUSIM_REPORT_INCBIN(vega_lite, "vega-lite/build/vega-lite.min.js")
XPUSIM_REPORT_INCBIN(vega_embed, "vega-embed/build/vega-embed.min.js")

namespace xpusim::report::detail {
namespace {

// The bytes between two symbols, less a trailing "//# sourceMappingURL=..." line: the map is not in
// the page, and a browser with developer tools open would try to fetch it.
std::string_view script(const char* start, const char* end) {
  std::string_view source(start, static_cast<std::size_t>(end - start));
  if (const std::size_t at = source.rfind("\n//# sourceMappingURL="); at != std::string_view::npos)
    source = source.substr(0, at + 1);
  return source;
}

}  // namespace

std::span<const EmbeddedScript> embedded_scripts() {
  static const std::array<EmbeddedScript, 3> scripts = {
      EmbeddedScript{"vega", script(xpusim_report_vega_start, xpusim_report_vega_end)},
      EmbeddedScript{"vega-lite", script(xpusim_report_vega_lite_start, xpusim_report_vega_lite_end)},
      EmbeddedScript{"vega-embed", script(xpusim_report_vega_embed_start, xpusim_report_vega_embed_end)}};
  return scripts;
}

}  // namespace xpusim::report::detail
