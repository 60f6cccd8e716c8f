// The built-in spec library of the source tree, loaded once for a benchmark; a missing spec ends the
// run (a benchmark of nothing must not pass).
#pragma once

#include <cstdio>
#include <cstdlib>

#include "spec/library.h"

namespace xpusim::bench {

inline const spec::Library& library() {
  static const spec::Library lib = [] {
    Diagnostics diagnostics;
    spec::Library l = spec::Library::load_folder(XPUSIM_SOURCE_DIR "/specs", "specs", diagnostics);
    if (diagnostics.has_errors()) {
      std::fprintf(stderr, "bench: cannot load the spec library\n");
      std::exit(1);
    }
    return l;
  }();
  return lib;
}

template <class T>
const T& spec_named(spec::Kind kind, const char* name) {
  const spec::Document* doc = library().find(kind, name);
  if (!doc) {
    std::fprintf(stderr, "bench: no spec named %s\n", name);
    std::exit(1);
  }
  return std::get<T>(doc->spec);
}

}  // namespace xpusim::bench
