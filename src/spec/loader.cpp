// The YAML loader: a SpecVisitor that fills a spec from a yaml-cpp node tree.
//
// It reports every problem it can find in one pass (syntax, types, ranges, missing and unknown keys
// with "did you mean", duplicate keys) instead of stopping at the first, and records where each field
// was written so later rules can point at it. Values are parsed by the rules of YAML 1.2's core schema,
// narrowed: quoted text is never a number, and only true/false are booleans (YAML 1.1's yes/no/on/off
// are a classic source of silent mistakes).
#include "spec/loader.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "support/assert.h"
#include "support/input_file.h"
#include "support/text.h"

namespace xpusim::spec {
namespace {

// Where a piece of text (one YAML document) sits in its file: yaml-cpp counts lines from the start of
// the text it was given.
struct Origin {
  std::string file;
  int first_line = 1;

  SourceLocation at(const YAML::Mark& mark) const {
    if (mark.is_null()) return {file, 0, 0};
    return {file, first_line + mark.line, mark.column + 1};
  }
};

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar: {
      std::string text = quote_value(node.Scalar());
      if (node.Tag() == "!")
        text = "the quoted text " + text;
      else if (node.Tag() != "?")
        text += " tagged " + node.Tag();
      return text;
    }
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

bool is_null(const YAML::Node& node) {
  return !node.IsDefined() || node.IsNull();
}

// A plain scalar: neither quoted (yaml-cpp tags those "!") nor explicitly tagged ("!!str 5").
bool is_plain_scalar(const YAML::Node& node) {
  return node.IsScalar() && node.Tag() == "?";
}

// A number as YAML 1.2's core schema reads it: decimal with optional sign, fraction and exponent, or
// .inf/-.inf/.nan (which the range checks then reject). "nan", "inf", hex and "+-1" are not numbers.
std::optional<double> parse_double(const std::string& text) {
  static const std::string_view infinities[] = {".inf", ".Inf", ".INF"};
  static const std::string_view nans[] = {".nan", ".NaN", ".NAN"};
  std::string_view s = text;
  const bool negative = !s.empty() && s.front() == '-';
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
  for (std::string_view inf : infinities)
    if (s == inf) return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  for (std::string_view nan : nans)
    if (s == nan && text.size() == nan.size()) return std::numeric_limits<double>::quiet_NaN();
  if (s.empty() || !(std::isdigit(static_cast<unsigned char>(s.front())) || s.front() == '.')) return std::nullopt;
  if (s.find_first_not_of("0123456789.eE+-") != std::string_view::npos) return std::nullopt;
  double value = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ptr != s.data() + s.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range)
    value = std::numeric_limits<double>::infinity();
  else if (ec != std::errc())
    return std::nullopt;
  return negative ? -value : value;
}

// Why a scalar that is not a plain number may still have been meant as one.
std::string number_hint(const YAML::Node& node) {
  if (node.IsScalar() && node.Tag() == "!" && parse_double(node.Scalar()))
    return "quoted values are text: remove the quotes";
  return {};
}

struct Context {
  Origin origin;
  Diagnostics* diagnostics;
  Document* document;
  std::vector<std::string>* written = nullptr;  // paths this text writes (a derived document's own)

  void error(const YAML::Mark& mark, const std::string& path, std::string message, std::string hint = {}) {
    diagnostics->error(origin.at(mark), path, std::move(message), std::move(hint));
  }
  void record(const std::string& path, const YAML::Mark& mark, bool is_number) {
    document->field_locations[path] = origin.at(mark);
    if (written) written->push_back(path);
    // A derived document may write a number its base wrote too.
    if (is_number && std::find(document->number_paths.begin(), document->number_paths.end(), path) ==
                         document->number_paths.end())
      document->number_paths.push_back(path);
  }
  // Drops what a base recorded below the list at `path`, which a derived document replaces whole.
  void forget_items(const std::string& path) {
    const std::string prefix = path + "[";
    for (auto it = document->field_locations.lower_bound(prefix);
         it != document->field_locations.end() && it->first.starts_with(prefix);)
      it = document->field_locations.erase(it);
    std::erase_if(document->number_paths, [&](const std::string& p) { return p.starts_with(prefix); });
  }
};

class YamlReader final : public SpecVisitor {
 public:
  YamlReader(const YAML::Node& map, std::string prefix, Context& context)
      : map_(map), prefix_(std::move(prefix)), context_(context) {
    std::set<std::string> seen;
    for (auto it = map_.begin(); it != map_.end(); ++it) {
      if (!is_plain_scalar(it->first) && !it->first.IsScalar()) {
        context_.error(it->first.Mark(), prefix_, "keys must be plain names, found " + describe_node(it->first));
        continue;
      }
      const std::string& key = it->first.Scalar();
      if (!seen.insert(key).second)
        context_.error(it->first.Mark(), path(key), "duplicate key " + quote_value(key), "each key may appear once");
    }
  }

  // Marks a key as known without reading it (the top-level `kind:`).
  void skip(std::string_view key) { known_.emplace_back(key); }

  // Reports the keys that no field asked for.
  void finish() {
    for (auto it = map_.begin(); it != map_.end(); ++it) {
      if (!it->first.IsScalar()) continue;
      const std::string& key = it->first.Scalar();
      if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
      const std::string suggestion = closest_match(key, known_);
      std::string hint =
          suggestion.empty() ? "allowed: " + join_alternatives(known_) : "did you mean '" + suggestion + "'?";
      if (key == "<<") hint = "YAML merge keys are not supported; write the fields out";
      context_.error(it->first.Mark(), path(key), "unknown key " + quote_value(key), hint);
    }
  }

  void number(const Field& field, double& value) override {
    if (auto node = value_of(field)) read_number(field, *node, path(field.key), value);
  }
  void number(const Field& field, std::optional<double>& value) override {
    if (auto node = value_of(field)) {
      double v = 0;
      if (read_number(field, *node, path(field.key), v)) value = v;
    }
  }
  void integer(const Field& field, std::int64_t& value) override {
    if (auto node = value_of(field)) read_integer(field, *node, path(field.key), value);
  }
  void integer(const Field& field, std::optional<std::int64_t>& value) override {
    if (auto node = value_of(field)) {
      std::int64_t v = 0;
      if (read_integer(field, *node, path(field.key), v)) value = v;
    }
  }
  void text(const Field& field, std::string& value) override {
    if (auto node = value_of(field)) read_text(*node, path(field.key), value);
  }
  void flag(const Field& field, bool& value) override {
    auto node = value_of(field);
    if (!node) return;
    const std::string p = path(field.key);
    std::string text = node->IsScalar() ? node->Scalar() : std::string();
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!is_plain_scalar(*node) || (text != "true" && text != "false")) {
      context_.error(node->Mark(), p, "expected true or false, found " + describe_node(*node),
                     node->Tag() == "!" ? "quoted values are text: remove the quotes" : "");
      return;
    }
    value = text == "true";
    context_.record(p, node->Mark(), false);
  }
  void choice(const Field& field, std::string& value, std::span<const std::string_view> options) override {
    auto node = value_of(field);
    if (!node) return;
    const std::string p = path(field.key);
    std::string text;
    if (!read_text(*node, p, text)) return;
    if (std::find(options.begin(), options.end(), text) != options.end()) {
      value = text;
      return;
    }
    const std::vector<std::string> names(options.begin(), options.end());
    const std::string suggestion = closest_match(text, names);
    context_.error(node->Mark(), p, quote_value(text) + " is not allowed; allowed: " + join_alternatives(names),
                   suggestion.empty() ? std::string() : "did you mean '" + suggestion + "'?");
  }
  void object(const Field& field, SpecObject& value) override {
    if (auto node = value_of(field)) read_object(*node, path(field.key), value);
  }
  void optional_object(const Field& field, SpecObject& value, bool& present) override {
    if (auto node = value_of(field)) present = read_object(*node, path(field.key), value);
  }
  void list(const Field& field, ObjectList& items) override {
    auto node = value_of(field);
    if (!node) return;
    const std::string p = path(field.key);
    if (!expect_list(field, *node, p)) return;
    context_.forget_items(p);
    items.resize(0);
    items.resize(node->size());
    for (std::size_t i = 0; i < node->size(); ++i)
      read_object((*node)[i], p + "[" + std::to_string(i) + "]", items.at(i));
  }
  void integer_list(const Field& field, std::vector<std::int64_t>& values, std::size_t max_count) override {
    auto node = value_of(field);
    if (!node) return;
    const std::string p = path(field.key);
    Field count(field.key, field.doc);
    count.between(0, static_cast<double>(max_count));
    if (!expect_list(count, *node, p)) return;
    context_.forget_items(p);
    values.assign(node->size(), 0);
    for (std::size_t i = 0; i < node->size(); ++i)
      read_integer(field, (*node)[i], p + "[" + std::to_string(i) + "]", values[i]);
  }
  void number_map(const Field& field, std::map<std::string, double>& values,
                  std::span<const std::string_view> keys) override {
    const std::string p = path(field.key);
    auto node = mapping_of(field, p);
    if (!node) return;
    YamlReader entries(*node, p, context_);
    entries.known_.assign(keys.begin(), keys.end());
    for (auto it = node->begin(); it != node->end(); ++it) {
      if (!it->first.IsScalar()) continue;
      const std::string key = it->first.Scalar();
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) continue;  // reported by finish()
      double v = 0;
      if (is_null(it->second))
        context_.error(it->first.Mark(), p + "." + key, "missing value");
      else if (entries.read_number(field, it->second, p + "." + key, v))
        values[key] = v;
    }
    entries.finish();
  }
  void text_map(const Field& field, std::map<std::string, std::string>& values) override {
    const std::string p = path(field.key);
    auto node = mapping_of(field, p);
    if (!node) return;
    YamlReader entries(*node, p, context_);  // reports duplicate keys
    for (auto it = node->begin(); it != node->end(); ++it) {
      if (!it->first.IsScalar()) continue;
      std::string text;
      if (entries.read_text(it->second, p + "." + it->first.Scalar(), text)) values[it->first.Scalar()] = text;
    }
  }

 private:
  std::string path(std::string_view key) const {
    return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
  }

  // The value of a field, or nullopt when absent (reporting it when required).
  std::optional<YAML::Node> value_of(const Field& field) {
    known_.emplace_back(field.key);
    const YAML::Node node = map_[std::string(field.key)];
    if (!is_null(node)) return node;
    // A required field that a base document gave is there already.
    if (field.required && context_.document->field_locations.count(path(field.key)) == 0) {
      const YAML::Mark mark = node.IsDefined() ? node.Mark() : map_.Mark();
      context_.error(mark, path(field.key), "missing required field '" + std::string(field.key) + "'",
                     std::string(field.doc) + (field.unit.empty() ? "" : ", in " + std::string(field.unit)));
    }
    return std::nullopt;
  }

  // The value of a field that must be a mapping, or nullopt (reported) when absent or not one.
  std::optional<YAML::Node> mapping_of(const Field& field, const std::string& p) {
    auto node = value_of(field);
    if (node && !node->IsMap()) {
      context_.error(node->Mark(), p, "expected a mapping, found " + describe_node(*node));
      return std::nullopt;
    }
    return node;
  }

  bool check_range(const Field& field, const YAML::Node& node, const std::string& p, double value) {
    if (field.allows(value)) return true;
    context_.error(node.Mark(), p,
                   "value " +
                       (!std::isfinite(value)        ? quote_value(node.Scalar())
                        : node.Scalar().size() <= 40 ? node.Scalar()  // as written: no rounding
                                                     : format_number(value)) +
                       " is out of range; allowed " + field.range_text());
    return false;
  }

  bool read_number(const Field& field, const YAML::Node& node, const std::string& p, double& out) {
    const std::optional<double> value = is_plain_scalar(node) ? parse_double(node.Scalar()) : std::nullopt;
    if (!value) {
      context_.error(node.Mark(), p,
                     "expected a number, found " + describe_node(node) + "; allowed " + field.range_text(),
                     number_hint(node));
      return false;
    }
    if (!check_range(field, node, p, *value)) return false;
    out = *value;
    context_.record(p, node.Mark(), true);
    return true;
  }

  bool read_integer(const Field& field, const YAML::Node& node, const std::string& p, std::int64_t& out) {
    std::string_view s = is_plain_scalar(node) ? std::string_view(node.Scalar()) : std::string_view();
    if (s.size() > 1 && s.front() == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
    std::int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc::result_out_of_range) {
      context_.error(node.Mark(), p,
                     "value " + quote_value(node.Scalar()) + " is out of range; allowed " + field.range_text());
      return false;
    }
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
      context_.error(node.Mark(), p,
                     "expected a whole number, found " + describe_node(node) + "; allowed " + field.range_text(),
                     number_hint(node));
      return false;
    }
    if (!check_range(field, node, p, static_cast<double>(value))) return false;
    out = value;
    context_.record(p, node.Mark(), true);
    return true;
  }

  bool read_text(const YAML::Node& node, const std::string& p, std::string& out) {
    if (!node.IsScalar()) {
      context_.error(node.Mark(), p, "expected text, found " + describe_node(node));
      return false;
    }
    if (node.Scalar().empty()) {
      context_.error(node.Mark(), p, "expected text, found an empty string");
      return false;
    }
    const auto control = std::find_if(node.Scalar().begin(), node.Scalar().end(),
                                      [](unsigned char c) { return c < 0x20 && c != '\t' && c != '\n' && c != '\r'; });
    if (control != node.Scalar().end()) {
      context_.error(node.Mark(), p, "text contains the control character " + quote_value(std::string(1, *control)));
      return false;
    }
    out = node.Scalar();
    context_.record(p, node.Mark(), false);
    return true;
  }

  bool read_object(const YAML::Node& node, const std::string& p, SpecObject& value) {
    if (!node.IsMap()) {
      context_.error(node.Mark(), p, "expected a mapping, found " + describe_node(node));
      return false;
    }
    context_.record(p, node.Mark(), false);
    YamlReader reader(node, p, context_);
    value.describe(reader);
    reader.finish();
    return true;
  }

  bool expect_list(const Field& field, const YAML::Node& node, const std::string& p) {
    if (!node.IsSequence()) {
      context_.error(node.Mark(), p, "expected a list, found " + describe_node(node));
      return false;
    }
    const double count = static_cast<double>(node.size());
    if (!field.allows(count)) {
      context_.error(
          node.Mark(), p,
          std::to_string(node.size()) + " entries is out of range; allowed " + field.range_text() + " entries");
      return false;
    }
    context_.record(p, node.Mark(), false);
    return true;
  }

  YAML::Node map_;
  std::string prefix_;
  Context& context_;
  std::vector<std::string> known_;
};

// Records a document with `base:` for derive_document, after checking what can be checked without the
// base: that `name:` and `base:` are names.
void defer_document(const YAML::Node& root, Kind kind, const Origin& origin, std::string_view text,
                    LoadResult& result) {
  const YAML::Node base = root["base"];
  const YAML::Node name = root["name"];
  PendingDocument pending;
  pending.kind = kind;
  pending.location = origin.at(root.Mark());
  bool ok = true;
  if (!is_plain_scalar(base) || base.Scalar().empty()) {
    result.diagnostics.error(origin.at(base.Mark()), "base",
                             "expected the name of a " + std::string(kind_name(kind)) + " spec, found " +
                                 describe_node(base));
    ok = false;
  }
  if (is_null(name)) {
    result.diagnostics.error(pending.location, "name", "missing required field 'name'",
                             "a spec with base: needs a name of its own (it may be the base's name)");
    ok = false;
  } else if (!name.IsScalar() || name.Scalar().empty()) {
    result.diagnostics.error(origin.at(name.Mark()), "name", "expected text, found " + describe_node(name));
    ok = false;
  }
  if (!ok) return;
  pending.name = name.Scalar();
  pending.base = base.Scalar();
  pending.name_location = origin.at(name.Mark());
  pending.base_location = origin.at(base.Mark());
  pending.text = std::string(text);
  pending.first_line = origin.first_line;
  result.pending.push_back(std::move(pending));
}

// Reads the fields of `root` into the context's document (kind: and base: are the loader's own); false
// when any was wrong (the reasons are in the context's diagnostics).
bool read_fields(const YAML::Node& root, Context& context) {
  YamlReader reader(root, "", context);
  reader.skip("kind");
  reader.skip("base");
  object_of(context.document->spec).describe(reader);
  reader.finish();
  return !context.diagnostics->has_errors();
}

void parse_document(const YAML::Node& root, const Origin& origin, std::string_view text, LoadResult& result) {
  const SourceLocation start = origin.at(root.Mark());
  if (!root.IsMap()) {
    result.diagnostics.error(start, "",
                             "expected a spec (a mapping with kind: and name:), found " + describe_node(root));
    return;
  }
  const YAML::Node kind_node = root["kind"];
  std::vector<std::string> kinds(std::begin(kKindNames), std::end(kKindNames));
  if (is_null(kind_node)) {
    result.diagnostics.error(start, "kind", "missing required field 'kind'", "one of " + join_alternatives(kinds));
    return;
  }
  const std::optional<Kind> kind = kind_node.IsScalar() ? parse_kind(kind_node.Scalar()) : std::nullopt;
  if (!kind) {
    const std::string found = describe_node(kind_node);
    const std::string suggestion = kind_node.IsScalar() ? closest_match(kind_node.Scalar(), kinds) : std::string();
    result.diagnostics.error(origin.at(kind_node.Mark()), "kind",
                             found + " is not a spec kind; allowed: " + join_alternatives(kinds),
                             suggestion.empty() ? std::string() : "did you mean '" + suggestion + "'?");
    return;
  }
  if (root["base"].IsDefined()) {
    defer_document(root, *kind, origin, text, result);
    return;
  }

  Document document{make_spec(*kind), start, {}, {}, {}, {}};
  Diagnostics diagnostics;
  Context context{origin, &diagnostics, &document};
  const bool ok = read_fields(root, context);
  result.diagnostics.append(diagnostics);
  if (ok) result.documents.push_back(std::move(document));
}

// One YAML document of a stream and the line it starts on.
struct DocumentText {
  std::string_view text;
  int first_line = 1;
};

bool is_marker_line(std::string_view line, std::string_view marker) {
  return line.starts_with(marker) && (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
}

// Splits a stream at its document markers. YAML forbids "---" and "..." at the start of a line inside
// content, so this split is exact. It is done here rather than by YAML::LoadAll, which loops forever
// (allocating as it goes) on some malformed streams in yaml-cpp 0.7, e.g. ",:1".
std::vector<DocumentText> split_documents(std::string_view text) {
  std::vector<DocumentText> pieces;
  std::size_t start = 0;
  int start_line = 1;
  bool has_content = false;  // anything but blank lines, comments and directives since `start`
  int line_number = 1;
  for (std::size_t at = 0; at < text.size(); ++line_number) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    const std::string_view line = text.substr(at, end - at);
    const std::size_t next = end < text.size() ? end + 1 : end;
    if (is_marker_line(line, "---") && has_content) {
      pieces.push_back({text.substr(start, at - start), start_line});
      start = at;
      start_line = line_number;
      has_content = false;
    }
    if (is_marker_line(line, "...")) {
      pieces.push_back({text.substr(start, next - start), start_line});
      start = next;
      start_line = line_number + 1;
      has_content = false;
    } else {
      const std::size_t first = line.find_first_not_of(" \t\r");
      if (first != std::string_view::npos && line[first] != '#' && line[first] != '%' && !is_marker_line(line, "---"))
        has_content = true;
      else if (is_marker_line(line, "---") && line.find_first_not_of(" \t\r", 3) != std::string_view::npos)
        has_content = true;  // "--- value" starts a document with content on the marker line
    }
    at = next;
  }
  if (start < text.size()) pieces.push_back({text.substr(start), start_line});
  return pieces;
}

}  // namespace

LoadResult parse_specs(std::string_view text, const std::string& file) {
  LoadResult result;
  if (!check_utf8_text(text, file, result.diagnostics)) return result;
  std::size_t specs = 0;
  for (const DocumentText& piece : split_documents(text)) {
    const Origin origin{file, piece.first_line};
    YAML::Node root;
    try {
      root = YAML::Load(std::string(piece.text));
    } catch (const YAML::DeepRecursion& e) {
      result.diagnostics.error(origin.at(e.mark), "", "YAML nesting is deeper than a spec can be",
                               "at most " + std::to_string(e.depth() - 1) + " levels");
      continue;
    } catch (const YAML::Exception& e) {
      result.diagnostics.error(origin.at(e.mark), "", "YAML syntax error: " + e.msg);
      continue;
    }
    if (is_null(root)) continue;  // an empty document between markers
    ++specs;
    parse_document(root, origin, piece.text, result);
  }
  if (specs == 0 && !result.diagnostics.has_errors())
    result.diagnostics.error({file, 1, 1}, "", "no spec in the file: expected a mapping with kind: and name:");
  return result;
}

std::optional<Document> derive_document(const PendingDocument& pending, const Document& base, Diagnostics& out) {
  XPUSIM_ASSERT(pending.kind == base.kind(), "a document is derived only from a base of its own kind");
  const Origin origin{pending.location.file, pending.first_line};
  // The text parsed once already (parse_specs), so it parses again.
  const YAML::Node root = YAML::Load(pending.text);
  Document document = base;
  document.location = pending.location;
  document.base = base.name();
  document.base_at = base.location;
  Diagnostics diagnostics;
  std::vector<std::string> written;
  Context context{origin, &diagnostics, &document, &written};
  const bool ok = read_fields(root, context);
  out.append(diagnostics);
  if (!ok) return std::nullopt;
  forget_stale_claims(document, written);
  return document;
}

LoadResult load_spec_file(const std::filesystem::path& path, const std::string& label) {
  const std::string name = label.empty() ? path.string() : label;
  Expected<std::string> text = read_input_file(path, kMaxSpecFileBytes, name, "spec file");
  if (!text) {
    LoadResult result;
    result.diagnostics.append(text.error().diagnostics());
    return result;
  }
  return parse_specs(*text, name);
}

}  // namespace xpusim::spec
