#include "spec/writers.h"

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "support/text.h"

namespace xpusim::spec {
namespace {

using Json = nlohmann::ordered_json;

class JsonWriter final : public SpecVisitor {
 public:
  explicit JsonWriter(Json& out) : out_(out) {}
  void number(const Field& f, double& v) override { out_[key(f)] = v; }
  void number(const Field& f, std::optional<double>& v) override {
    if (v) out_[key(f)] = *v;
  }
  void integer(const Field& f, std::int64_t& v) override { out_[key(f)] = v; }
  void integer(const Field& f, std::optional<std::int64_t>& v) override {
    if (v) out_[key(f)] = *v;
  }
  void text(const Field& f, std::string& v) override {
    if (f.required || !v.empty()) out_[key(f)] = v;
  }
  void flag(const Field& f, bool& v) override { out_[key(f)] = v; }
  void choice(const Field& f, std::string& v, std::span<const std::string_view>) override { out_[key(f)] = v; }
  void object(const Field& f, SpecObject& v) override {
    Json inner = Json::object();
    JsonWriter writer(inner);
    v.describe(writer);
    out_[key(f)] = std::move(inner);
  }
  void optional_object(const Field& f, SpecObject& v, bool& present) override {
    if (present) object(f, v);
  }
  void list(const Field& f, ObjectList& items) override {
    if (!f.required && items.size() == 0) return;
    Json array = Json::array();
    for (std::size_t i = 0; i < items.size(); ++i) {
      Json inner = Json::object();
      JsonWriter writer(inner);
      items.at(i).describe(writer);
      array.push_back(std::move(inner));
    }
    out_[key(f)] = std::move(array);
  }
  void integer_list(const Field& f, std::vector<std::int64_t>& v, std::size_t) override {
    if (f.required || !v.empty()) out_[key(f)] = v;
  }
  void number_map(const Field& f, std::map<std::string, double>& v, std::span<const std::string_view> keys) override {
    if (!f.required && v.empty()) return;
    Json inner = Json::object();
    for (std::string_view k : keys)  // schema order, not alphabetical
      if (auto it = v.find(std::string(k)); it != v.end()) inner[it->first] = it->second;
    out_[key(f)] = std::move(inner);
  }
  void text_map(const Field& f, std::map<std::string, std::string>& v) override {
    if (!f.required && v.empty()) return;
    Json inner = Json::object();
    for (const auto& [k, text] : v) inner[k] = text;
    out_[key(f)] = std::move(inner);
  }

 private:
  static std::string key(const Field& f) { return std::string(f.key); }
  Json& out_;
};

class YamlWriter final : public SpecVisitor {
 public:
  explicit YamlWriter(YAML::Emitter& out) : out_(out) {}
  void number(const Field& f, double& v) override { out_ << YAML::Key << key(f) << YAML::Value << format_number(v); }
  void number(const Field& f, std::optional<double>& v) override {
    if (v) number(f, *v);
  }
  void integer(const Field& f, std::int64_t& v) override { out_ << YAML::Key << key(f) << YAML::Value << v; }
  void integer(const Field& f, std::optional<std::int64_t>& v) override {
    if (v) integer(f, *v);
  }
  void text(const Field& f, std::string& v) override {
    if (f.required || !v.empty()) out_ << YAML::Key << key(f) << YAML::Value << YAML::DoubleQuoted << v;
  }
  void flag(const Field& f, bool& v) override {
    out_ << YAML::Key << key(f) << YAML::Value << YAML::TrueFalseBool << v;
  }
  void choice(const Field& f, std::string& v, std::span<const std::string_view>) override {
    out_ << YAML::Key << key(f) << YAML::Value << v;
  }
  void object(const Field& f, SpecObject& v) override {
    out_ << YAML::Key << key(f) << YAML::Value << YAML::BeginMap;
    v.describe(*this);
    out_ << YAML::EndMap;
  }
  void optional_object(const Field& f, SpecObject& v, bool& present) override {
    if (present) object(f, v);
  }
  void list(const Field& f, ObjectList& items) override {
    if (!f.required && items.size() == 0) return;
    out_ << YAML::Key << key(f) << YAML::Value << YAML::BeginSeq;
    for (std::size_t i = 0; i < items.size(); ++i) {
      out_ << YAML::BeginMap;
      items.at(i).describe(*this);
      out_ << YAML::EndMap;
    }
    out_ << YAML::EndSeq;
  }
  void integer_list(const Field& f, std::vector<std::int64_t>& v, std::size_t) override {
    if (!f.required && v.empty()) return;
    out_ << YAML::Key << key(f) << YAML::Value << YAML::Flow << v;
  }
  void number_map(const Field& f, std::map<std::string, double>& v, std::span<const std::string_view> keys) override {
    if (!f.required && v.empty()) return;
    out_ << YAML::Key << key(f) << YAML::Value << YAML::BeginMap;
    for (std::string_view k : keys)
      if (auto it = v.find(std::string(k)); it != v.end())
        out_ << YAML::Key << it->first << YAML::Value << format_number(it->second);
    out_ << YAML::EndMap;
  }
  void text_map(const Field& f, std::map<std::string, std::string>& v) override {
    if (!f.required && v.empty()) return;
    out_ << YAML::Key << key(f) << YAML::Value << YAML::BeginMap;
    for (const auto& [k, text] : v) out_ << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << text;
    out_ << YAML::EndMap;
  }

 private:
  static std::string key(const Field& f) { return std::string(f.key); }
  YAML::Emitter& out_;
};

}  // namespace

// The visitors take mutable references (one interface serves reading and writing), so the writers
// work on a copy.
Json to_json(const AnySpec& spec) {
  AnySpec copy = spec;
  Json out = Json::object();
  out["kind"] = std::string(kind_name(kind_of(copy)));
  JsonWriter writer(out);
  object_of(copy).describe(writer);
  return out;
}

std::string to_yaml(const AnySpec& spec) {
  AnySpec copy = spec;
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "kind" << YAML::Value << std::string(kind_name(kind_of(copy)));
  YamlWriter writer(out);
  object_of(copy).describe(writer);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace xpusim::spec
