#include "spec/schema_rows.h"

#include "support/text.h"

namespace xpusim::spec {
namespace {

class SchemaWalker final : public SpecVisitor {
 public:
  explicit SchemaWalker(std::vector<SchemaRow>& rows, std::string prefix = {})
      : rows_(rows), prefix_(std::move(prefix)) {}

  void number(const Field& f, double&) override { add(f, "number", f.range_text()); }
  void number(const Field& f, std::optional<double>&) override { add(f, "number", f.range_text()); }
  void integer(const Field& f, std::int64_t&) override { add(f, "integer", f.range_text()); }
  void integer(const Field& f, std::optional<std::int64_t>&) override { add(f, "integer", f.range_text()); }
  void text(const Field& f, std::string&) override { add(f, "text", ""); }
  void flag(const Field& f, bool&) override { add(f, "boolean", "true or false"); }
  void choice(const Field& f, std::string&, std::span<const std::string_view> options) override {
    const std::vector<std::string> names(options.begin(), options.end());
    add(f, "choice", join_alternatives(names));
  }
  void object(const Field& f, SpecObject& value) override {
    add(f, "object", "");
    SchemaWalker inner(rows_, path(f.key));
    value.describe(inner);
  }
  void optional_object(const Field& f, SpecObject& value, bool&) override { object(f, value); }
  void list(const Field& f, ObjectList& items) override {
    add(f, "list", f.range_text() + " entries");
    items.resize(1);
    SchemaWalker inner(rows_, path(f.key) + "[]");
    items.at(0).describe(inner);
    items.resize(0);
  }
  void integer_list(const Field& f, std::vector<std::int64_t>&, std::size_t max_count) override {
    add(f, "integer list", "up to " + std::to_string(max_count) + " entries, each " + f.range_text());
  }
  void number_map(const Field& f, std::map<std::string, double>&, std::span<const std::string_view> keys) override {
    const std::vector<std::string> names(keys.begin(), keys.end());
    add(f, "map", "keys: " + join_alternatives(names) + "; values " + f.range_text());
    for (std::string_view key : keys) {
      const std::string parent = path(f.key);
      rows_.push_back({parent + "." + std::string(key), "number", std::string(f.unit), false, f.range_text(), ""});
    }
  }
  void text_map(const Field& f, std::map<std::string, std::string>&) override { add(f, "map", "text to text"); }

 private:
  std::string path(std::string_view key) const {
    return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
  }
  void add(const Field& f, std::string type, std::string range) {
    rows_.push_back(
        {path(f.key), std::move(type), std::string(f.unit), f.required, std::move(range), std::string(f.doc)});
  }

  std::vector<SchemaRow>& rows_;
  std::string prefix_;
};

}  // namespace

std::vector<SchemaRow> schema_rows(Kind kind) {
  std::vector<SchemaRow> rows;
  rows.push_back({"kind", "choice", "", true, std::string(kind_name(kind)), "The spec kind"});
  AnySpec spec = make_spec(kind);
  SchemaWalker walker(rows);
  object_of(spec).describe(walker);
  return rows;
}

std::string strip_indices(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string_view::npos) break;
      i = close;
      continue;
    }
    out += path[i];
  }
  return out;
}

}  // namespace xpusim::spec
