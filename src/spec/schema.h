// The spec schema as code: every spec struct describes its fields once, through a SpecVisitor.
//
// One description serves every use of a spec: the YAML loader (types, ranges, missing and unknown
// keys), the JSON and YAML writers, and the generated field reference in docs/specs.md. Adding a field
// therefore cannot leave the loader, the writers and the docs out of step.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xpusim::spec {

// What a field is: its key, its documentation, its unit and the range of allowed values.
// Ranges apply to numbers and integers, and to the element count of lists.
struct Field {
  std::string_view key;
  std::string_view doc;
  std::string_view unit;  // human-readable unit for docs ("MHz", "GB/s"); the key carries it too
  bool required = true;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;

  constexpr Field(std::string_view k, std::string_view d, std::string_view u = {}) : key(k), doc(d), unit(u) {}

  constexpr Field& optional() {
    required = false;
    return *this;
  }
  // (0, upper]: the usual range of a physical quantity.
  constexpr Field& positive(double upper = std::numeric_limits<double>::infinity()) {
    min = 0;
    min_exclusive = true;
    max = upper;
    return *this;
  }
  // [lower, upper]
  constexpr Field& between(double lower, double upper) {
    min = lower;
    min_exclusive = false;
    max = upper;
    return *this;
  }

  bool allows(double value) const;
  // "(0, 10000]", "[1, 4096]", "any"
  std::string range_text() const;
};

class SpecVisitor;

// A struct that describes its own fields.
class SpecObject {
 public:
  virtual ~SpecObject() = default;
  virtual void describe(SpecVisitor& visitor) = 0;
};

// A list of SpecObjects of one type, seen through an interface so visitors need no templates.
class ObjectList {
 public:
  virtual ~ObjectList() = default;
  virtual std::size_t size() const = 0;
  virtual void resize(std::size_t n) = 0;
  virtual SpecObject& at(std::size_t i) = 0;
};

template <class T>
class ObjectListOf final : public ObjectList {
 public:
  explicit ObjectListOf(std::vector<T>& items) : items_(items) {}
  std::size_t size() const override { return items_.size(); }
  void resize(std::size_t n) override { items_.resize(n); }
  SpecObject& at(std::size_t i) override { return items_[i]; }

 private:
  std::vector<T>& items_;
};

class SpecVisitor {
 public:
  virtual ~SpecVisitor() = default;

  virtual void number(const Field& field, double& value) = 0;
  virtual void number(const Field& field, std::optional<double>& value) = 0;
  virtual void integer(const Field& field, std::int64_t& value) = 0;
  virtual void integer(const Field& field, std::optional<std::int64_t>& value) = 0;
  virtual void text(const Field& field, std::string& value) = 0;
  virtual void flag(const Field& field, bool& value) = 0;
  // `value` must be one of `options`.
  virtual void choice(const Field& field, std::string& value, std::span<const std::string_view> options) = 0;
  virtual void object(const Field& field, SpecObject& value) = 0;
  // `present` tells whether the object was given (loader) or is to be written (writers).
  virtual void optional_object(const Field& field, SpecObject& value, bool& present) = 0;
  virtual void list(const Field& field, ObjectList& items) = 0;
  // The field's range applies to each element; `max_count` bounds the length.
  virtual void integer_list(const Field& field, std::vector<std::int64_t>& values, std::size_t max_count) = 0;
  // A map from a fixed set of keys (e.g. dtypes) to numbers; each value must lie in field's range.
  virtual void number_map(const Field& field, std::map<std::string, double>& values,
                          std::span<const std::string_view> keys) = 0;
  // A free-form map from strings to strings (used for `sources:`).
  virtual void text_map(const Field& field, std::map<std::string, std::string>& values) = 0;
};

// The data types a chip's units may support, in the order docs and outputs list them.
inline constexpr std::string_view kDtypeNames[] = {"fp64", "fp32", "tf32", "bf16", "fp16",
                                                   "fp8",  "int8", "fp6",  "fp4",  "int4"};

}  // namespace xpusim::spec
