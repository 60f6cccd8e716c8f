#include "support/diagnostic.h"

#include <algorithm>

namespace xpusim {

std::string Diagnostic::to_string() const {
  std::string out;
  if (where.known()) {
    out += where.file;
    if (where.line > 0) {
      out += ':' + std::to_string(where.line);
      if (where.column > 0) out += ':' + std::to_string(where.column);
    }
    out += ": ";
  }
  out += severity == Severity::error ? "error: " : "warning: ";
  // A path carries the user's keys, which may be absurdly long; keep the line readable.
  constexpr std::size_t kMaxPath = 100;
  if (!path.empty()) out += (path.size() > kMaxPath ? path.substr(0, kMaxPath) + "..." : path) + ": ";
  out += message;
  if (!hint.empty()) out += " (" + hint + ")";
  return out;
}

void Diagnostics::error(SourceLocation where, std::string path, std::string message, std::string hint) {
  items_.push_back({Severity::error, std::move(where), std::move(path), std::move(message), std::move(hint)});
}

void Diagnostics::warning(SourceLocation where, std::string path, std::string message, std::string hint) {
  items_.push_back({Severity::warning, std::move(where), std::move(path), std::move(message), std::move(hint)});
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

std::size_t Diagnostics::error_count() const {
  return static_cast<std::size_t>(
      std::count_if(items_.begin(), items_.end(), [](const Diagnostic& d) { return d.severity == Severity::error; }));
}

std::size_t Diagnostics::warning_count() const {
  return items_.size() - error_count();
}

bool Diagnostics::has_errors() const {
  return error_count() > 0;
}

Error::Error(std::string message) {
  diagnostics_.error({}, {}, std::move(message));
}

std::string Error::to_string() const {
  std::string out;
  for (const Diagnostic& d : diagnostics_.items()) {
    if (!out.empty()) out += '\n';
    out += d.to_string();
  }
  return out;
}

}  // namespace xpusim
