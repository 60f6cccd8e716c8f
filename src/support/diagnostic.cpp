#include "support/diagnostic.h"

#include <algorithm>
#include <string>

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

void Diagnostics::add(Diagnostic diagnostic) {
  (diagnostic.severity == Severity::error ? errors_ : warnings_) += 1;
  if (items_.size() < kMaxKept) items_.push_back(std::move(diagnostic));
}

void Diagnostics::error(SourceLocation where, std::string path, std::string message, std::string hint) {
  add({Severity::error, std::move(where), std::move(path), std::move(message), std::move(hint)});
}

void Diagnostics::warning(SourceLocation where, std::string path, std::string message, std::string hint) {
  add({Severity::warning, std::move(where), std::move(path), std::move(message), std::move(hint)});
}

void Diagnostics::append(const Diagnostics& other) {
  for (const Diagnostic& d : other.items_) add(d);
  // What `other` dropped counts here too, whatever its severity split.
  const std::size_t other_dropped = other.dropped_count();
  if (other_dropped == 0) return;
  std::size_t kept_errors = 0;
  for (const Diagnostic& d : other.items_) kept_errors += d.severity == Severity::error;
  errors_ += other.errors_ - kept_errors;
  warnings_ += other.warnings_ - (other.items_.size() - kept_errors);
}

std::string Diagnostics::to_text(const std::string& prefix) const {
  std::string out;
  const std::size_t shown = std::min(items_.size(), kMaxShown);
  for (std::size_t i = 0; i < shown; ++i) {
    if (!out.empty()) out += '\n';
    out += prefix + items_[i].to_string();
  }
  const std::size_t more = errors_ + warnings_ - shown;
  if (more > 0) {
    out += '\n' + prefix + std::to_string(more) + " more problem" + (more == 1 ? "" : "s") + " not shown (" +
           std::to_string(errors_) + " error" + (errors_ == 1 ? "" : "s") + ", " + std::to_string(warnings_) +
           " warning" + (warnings_ == 1 ? "" : "s") + " in all)";
  }
  return out;
}

Error::Error(std::string message) {
  diagnostics_.error({}, {}, std::move(message));
}

std::string Error::to_string() const {
  return diagnostics_.to_text();
}

}  // namespace xpusim
