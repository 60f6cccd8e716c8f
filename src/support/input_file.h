// Reading what a user hands the tool, and writing what it hands back, so that neither can hang,
// exhaust memory or leave a torn file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "support/diagnostic.h"
#include "support/expected.h"

namespace xpusim {

// The whole of a user's input file. Only a regular file is read (a FIFO would block, a device such as
// /dev/zero never ends) and only up to `max_bytes`: anything else is an error located at `label` (the
// name to show for `path`), e.g. "cases.yaml: error: is a FIFO, not a regular file".
Expected<std::string> read_input_file(const std::filesystem::path& path, std::size_t max_bytes,
                                      const std::string& label, std::string_view what);

// Whether `text` is UTF-8 with no NUL byte, as YAML needs; otherwise one error at the first bad
// byte (line and byte column, as yaml-cpp counts them). UTF-16 text, with or without a byte order mark,
// is named as such.
bool check_utf8_text(std::string_view text, const std::string& file, Diagnostics& out);

// Length of the well-formed UTF-8 sequence at the start of `s` (Unicode 15, table 3-7), or 0.
std::size_t utf8_sequence_length(std::string_view s);

// Whether `s` is entirely well-formed UTF-8.
bool is_valid_utf8(std::string_view s);

// Writes `content` to `path` so that readers see the old file or the new one, never a part: a temporary
// file in the same folder, flushed to disk, then renamed over `path`. On failure (full disk, no
// permission) the old file is left as it was, the temporary is removed, and `error` says why.
bool write_file_atomically(const std::filesystem::path& path, std::string_view content, std::string& error);

}  // namespace xpusim
