// Diagnostics: how xpusim reports bad input.
//
// Library code never prints or exits. Anything that can go wrong because of what a user wrote (a spec
// file, a flag, a shape) becomes a Diagnostic that names where (file:line:col and the key path), what
// was wrong, the offending value and the allowed range. The tool decides how to print them and which
// exit code to use.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace xpusim {

struct SourceLocation {
  std::string file;  // empty when the input did not come from a file (a flag, a built-in default)
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown

  bool known() const { return !file.empty(); }
};

enum class Severity { error, warning };

struct Diagnostic {
  Severity severity = Severity::error;
  SourceLocation where;
  std::string path;     // key path inside the document, e.g. "cores.matrix_unit.tile.m"; may be empty
  std::string message;  // what is wrong, including the bad value and the allowed range
  std::string hint;     // "did you mean 'x'?" and the like; may be empty

  // One line: "file:line:col: error: path: message (hint)".
  std::string to_string() const;
};

// An ordered collection of diagnostics, kept in the order they were found. Only the first
// kMaxKept are kept (a pathological input can hold a million bad keys); the rest are counted.
class Diagnostics {
 public:
  static constexpr std::size_t kMaxKept = 1000;
  // How many a person is shown before "... and N more"; the counts stay exact.
  static constexpr std::size_t kMaxShown = 50;

  void add(Diagnostic diagnostic);
  void error(SourceLocation where, std::string path, std::string message, std::string hint = {});
  void warning(SourceLocation where, std::string path, std::string message, std::string hint = {});
  void append(const Diagnostics& other);

  bool has_errors() const { return errors_ > 0; }
  std::size_t error_count() const { return errors_; }
  std::size_t warning_count() const { return warnings_; }
  // Diagnostics found but not kept.
  std::size_t dropped_count() const { return errors_ + warnings_ - items_.size(); }
  bool empty() const { return errors_ + warnings_ == 0; }
  const std::vector<Diagnostic>& items() const { return items_; }

  // The first kMaxShown, one per line, then "N more problems not shown (E errors, W warnings in all)"
  // when there were more; no trailing newline. Each line starts with `prefix`.
  std::string to_text(const std::string& prefix = {}) const;

 private:
  std::vector<Diagnostic> items_;
  std::size_t errors_ = 0;
  std::size_t warnings_ = 0;
};

// The error value carried by Expected<T>: one or more diagnostics, at least one of them an error.
class Error {
 public:
  explicit Error(Diagnostics diagnostics) : diagnostics_(std::move(diagnostics)) {}
  explicit Error(std::string message);  // an error with no location, e.g. a bad command-line value

  const Diagnostics& diagnostics() const { return diagnostics_; }
  // All diagnostics, one per line, without a trailing newline.
  std::string to_string() const;

 private:
  Diagnostics diagnostics_;
};

}  // namespace xpusim
