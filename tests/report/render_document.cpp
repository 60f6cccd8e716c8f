// Writes the report page for a comparison document given as a file, so the browser test can draw
// hand-made documents (fields the CLI does not print yet, labels that would collide) as well as the
// CLI's own output.
//   xpusim_render_document DOCUMENT.json OUT.html
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "report/report.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: xpusim_render_document DOCUMENT.json OUT.html\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  const nlohmann::ordered_json document = nlohmann::ordered_json::parse(in, nullptr, false);
  if (!in || document.is_discarded()) {
    std::cerr << "xpusim_render_document: cannot read a JSON document from " << argv[1] << "\n";
    return 2;
  }
  std::ofstream out(argv[2], std::ios::binary);
  out << xpusim::report::render_html(document);
  if (!out.flush()) {
    std::cerr << "xpusim_render_document: cannot write " << argv[2] << "\n";
    return 2;
  }
  return 0;
}
