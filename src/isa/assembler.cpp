#include "isa/assembler.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include "support/input_file.h"
#include "support/text.h"

namespace xpusim::isa {
namespace {

constexpr std::uint64_t kAddressMask = (std::uint64_t{1} << 40) - 1;
constexpr std::size_t kConstAlignBytes = 64;

struct Token {
  std::string_view text;
  int column = 0;  // 1-based
};

std::vector<Token> split(std::string_view line) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (i < line.size()) {
    while (i < line.size() && space(line[i])) ++i;
    const std::size_t start = i;
    while (i < line.size() && !space(line[i])) ++i;
    if (i > start) tokens.push_back({line.substr(start, i - start), static_cast<int>(start) + 1});
  }
  return tokens;
}

// A decimal or 0x-hexadecimal whole number that fits 64 bits.
std::optional<std::uint64_t> parse_uint(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string format_f32(std::uint32_t bits) {
  const float value = std::bit_cast<float>(bits);
  if (!std::isfinite(value)) return hex_text(bits);
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace

std::string field_text(const FieldInfo& f, std::uint64_t value) {
  switch (f.kind) {
    case FieldKind::count:
    case FieldKind::index:
    case FieldKind::flag:
      return std::to_string(value);
    case FieldKind::vmem:
    case FieldKind::stride:
      return hex_text(value);
    case FieldKind::dtype:
      return std::string(dtype_name(static_cast<DType>(value)));
    case FieldKind::esize:
      return std::to_string(1u << value);
    case FieldKind::scope:
      return value == 0 ? "core" : "chip";
    case FieldKind::memory:
      return std::string(space_name(static_cast<Space>(value >> 40))) + ":" + hex_text(value & kAddressMask);
    case FieldKind::f32:
      return format_f32(static_cast<std::uint32_t>(value));
  }
  return {};
}

namespace {

std::string format_mask(std::uint8_t mask) {
  std::string out;
  for (int e = 0; e < kTokenEngines; ++e)
    if (mask & (1u << e)) {
      if (!out.empty()) out += ',';
      out += engine_name(static_cast<Engine>(e));
    }
  return out;
}

std::vector<std::string> mnemonics() {
  std::vector<std::string> out;
  for (const OpcodeInfo& op : opcodes()) out.emplace_back(op.mnemonic);
  return out;
}

std::uint16_t to_bf16(float value) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  if (std::isnan(value)) return 0x7fc0;
  const std::uint32_t rounding = 0x7fff + ((bits >> 16) & 1);  // round to nearest, ties to even
  return static_cast<std::uint16_t>((bits + rounding) >> 16);
}

class Assembler {
 public:
  Assembler(std::string_view text, const std::string& file) : text_(text), file_(file) {}

  Expected<Program> run() {
    int line_number = 0;
    std::size_t start = 0;
    while (start <= text_.size()) {
      std::size_t end = text_.find('\n', start);
      if (end == std::string_view::npos) end = text_.size();
      ++line_number;
      std::string_view line = text_.substr(start, end - start);
      line_ = line_number;
      const std::size_t comment = line.find('#');
      if (text_ok(line)) assemble_line(split(line.substr(0, comment)));
      if (end == text_.size()) break;
      start = end + 1;
    }
    Program program;
    program.constants = std::move(constants_);
    for (std::size_t t = 0; t < tensors_.size(); ++t) {
      const std::string problem = check_tensor(tensors_[t], program.constants.size());
      if (!problem.empty()) diagnostics_.error({file_, tensor_lines_[t], 1}, "", problem);
    }
    program.tensors = std::move(tensors_);
    for (auto& [core, code] : code_) {
      const std::string where = "core " + std::to_string(core) + ": ";
      if (code.back().opcode != Opcode::halt)
        diagnostics_.error({file_, last_line_[core], 1}, "", where + "the code does not end with halt");
      program.cores.push_back({core, std::move(code)});
    }
    if (program.cores.empty() && !diagnostics_.has_errors())
      diagnostics_.error({file_, 0, 0}, "", "the program has no instructions");
    if (diagnostics_.has_errors()) return Error(std::move(diagnostics_));
    return program;
  }

 private:
  // Whether `line` is UTF-8 without NUL bytes (a binary file given as text stops at its first bad line).
  bool text_ok(std::string_view line) {
    for (std::size_t i = 0; i < line.size();) {
      if (line[i] == '\0') {
        error(static_cast<int>(i) + 1, "a NUL byte: this is not assembly text");
        return false;
      }
      const std::size_t length = static_cast<unsigned char>(line[i]) < 0x80 ? 1 : utf8_sequence_length(line.substr(i));
      if (length == 0) {
        error(static_cast<int>(i) + 1, "invalid UTF-8: this is not assembly text");
        return false;
      }
      i += length;
    }
    return true;
  }

  void error(int column, std::string message) { diagnostics_.error({file_, line_, column}, "", std::move(message)); }

  void assemble_line(const std::vector<Token>& tokens) {
    if (tokens.empty()) return;
    const std::string_view head = tokens[0].text;
    if (head == ".core") return core_directive(tokens);
    if (head == ".tensor" || head == ".const") return tensor_directive(tokens, head == ".const");
    if (head == ".bytes") return bytes_directive(tokens);
    if (head.starts_with('.'))
      return error(tokens[0].column, "unknown directive " + quote_value(head) + " (.core, .tensor, .const or .bytes)");
    instruction_line(tokens);
  }

  void core_directive(const std::vector<Token>& tokens) {
    if (tokens.size() != 2) return error(tokens[0].column, ".core takes one core index: .core N");
    const std::optional<std::uint64_t> core = parse_uint(tokens[1].text);
    if (!core || *core >= kMaxCores)
      return error(tokens[1].column, "core " + quote_value(tokens[1].text) + " is not a core index 0..255");
    core_ = static_cast<std::uint32_t>(*core);
  }

  // key=value operands after the first `skip` tokens; nullopt after reporting a malformed one.
  std::optional<std::vector<std::pair<Token, Token>>> operands(const std::vector<Token>& tokens, std::size_t skip) {
    std::vector<std::pair<Token, Token>> out;
    for (std::size_t i = skip; i < tokens.size(); ++i) {
      const Token& t = tokens[i];
      const std::size_t eq = t.text.find('=');
      if (eq == std::string_view::npos || eq == 0 || eq + 1 == t.text.size()) {
        error(t.column, "expected key=value, found " + quote_value(t.text));
        return std::nullopt;
      }
      Token key{t.text.substr(0, eq), t.column};
      for (const auto& [k, v] : out)
        if (k.text == key.text) {
          error(t.column, quote_value(key.text) + " is given twice");
          return std::nullopt;
        }
      out.push_back({key, Token{t.text.substr(eq + 1), t.column + static_cast<int>(eq) + 1}});
    }
    return out;
  }

  const Tensor* find_tensor(std::string_view name) const {
    for (const Tensor& t : tensors_)
      if (t.name == name) return &t;
    return nullptr;
  }

  // NAME or NAME+OFFSET: the tensor's level and address plus the offset.
  std::optional<std::pair<Space, std::uint64_t>> tensor_reference(const Token& value) {
    const std::size_t plus = value.text.find('+');
    const std::string_view name = value.text.substr(0, plus);
    const Tensor* tensor = find_tensor(name);
    if (tensor == nullptr) {
      std::vector<std::string> names;
      for (const Tensor& t : tensors_) names.push_back(t.name);
      const std::string near = closest_match(name, names);
      error(value.column, "unknown tensor " + quote_value(name) + " (declare it with .tensor or .const before its use" +
                              (near.empty() ? "" : "; did you mean '" + near + "'?") + ")");
      return std::nullopt;
    }
    std::uint64_t offset = 0;
    if (plus != std::string_view::npos) {
      const std::optional<std::uint64_t> parsed = parse_uint(value.text.substr(plus + 1));
      if (!parsed) {
        error(value.column + static_cast<int>(plus) + 1,
              "offset " + quote_value(value.text.substr(plus + 1)) + " is not a number");
        return std::nullopt;
      }
      offset = *parsed;
    }
    if (offset > kAddressMask - tensor->address) {
      error(value.column, quote_value(value.text) + " is past the 40-bit address range");
      return std::nullopt;
    }
    return std::pair{tensor->level, tensor->address + offset};
  }

  bool starts_name(std::string_view text) const {
    return !text.empty() &&
           ((text[0] >= 'a' && text[0] <= 'z') || (text[0] >= 'A' && text[0] <= 'Z') || text[0] == '_');
  }

  std::optional<std::uint64_t> field_value(const FieldInfo& f, const Token& value) {
    const std::string_view text = value.text;
    auto bad = [&](const std::string& why) -> std::optional<std::uint64_t> {
      error(value.column, "field " + std::string(f.name) + ": " + why);
      return std::nullopt;
    };
    switch (f.kind) {
      case FieldKind::count:
      case FieldKind::index:
      case FieldKind::flag:
      case FieldKind::stride: {
        const std::optional<std::uint64_t> n = parse_uint(text);
        if (!n) return bad(quote_value(text) + " is not a whole number");
        return n;
      }
      case FieldKind::vmem: {
        if (!starts_name(text)) {
          const std::optional<std::uint64_t> n = parse_uint(text);
          if (!n) return bad(quote_value(text) + " is not an address or a tensor name");
          return n;
        }
        const auto ref = tensor_reference(value);
        if (!ref) return std::nullopt;
        if (ref->first != Space::vmem)
          return bad("tensor " + quote_value(text.substr(0, text.find('+'))) + " is in " +
                     std::string(space_name(ref->first)) + ", not vmem");
        return ref->second;
      }
      case FieldKind::dtype: {
        const std::optional<DType> d = dtype_from_name(text);
        if (!d)
          return bad("unknown dtype " + quote_value(text) + " (int8, fp8_e4m3, fp8_e5m2, bf16, fp16, fp32, int32)");
        return static_cast<std::uint64_t>(*d);
      }
      case FieldKind::esize: {
        for (std::uint64_t log2 = 0; log2 < 4; ++log2)
          if (text == std::to_string(1u << log2)) return log2;
        return bad("element size " + quote_value(text) + " is not 1, 2, 4 or 8 bytes");
      }
      case FieldKind::scope:
        if (text == "core") return 0;
        if (text == "chip") return 1;
        return bad("scope " + quote_value(text) + " is not core or chip");
      case FieldKind::memory: {
        const std::size_t colon = text.find(':');
        if (colon == std::string_view::npos) {
          if (!starts_name(text)) return bad(quote_value(text) + " is not SPACE:ADDRESS or a tensor name");
          const auto ref = tensor_reference(value);
          if (!ref) return std::nullopt;
          return (static_cast<std::uint64_t>(ref->first) << 40) | ref->second;
        }
        const std::optional<Space> space = space_from_name(text.substr(0, colon));
        if (!space)
          return bad("unknown memory space " + quote_value(text.substr(0, colon)) + " (hbm, cmem, vmem, const, rvmem)");
        const std::optional<std::uint64_t> address = parse_uint(text.substr(colon + 1));
        if (!address) return bad(quote_value(text.substr(colon + 1)) + " is not an address");
        if (*address > kAddressMask) return bad("address " + hex_text(*address) + " is past the 40-bit address range");
        return (static_cast<std::uint64_t>(*space) << 40) | *address;
      }
      case FieldKind::f32: {
        if (text.starts_with("0x") || text.starts_with("0X")) {
          const std::optional<std::uint64_t> bits = parse_uint(text);
          if (!bits || *bits > 0xffffffffu) return bad(quote_value(text) + " is not 32 bits of a binary32 value");
          return bits;
        }
        float number = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(number))
          return bad(quote_value(text) + " is not a finite binary32 number (write other values as 0x bits)");
        return std::bit_cast<std::uint32_t>(number);
      }
    }
    return std::nullopt;
  }

  std::optional<std::uint8_t> engine_mask(const Token& value) {
    std::uint8_t mask = 0;
    std::size_t start = 0;
    while (start <= value.text.size()) {
      std::size_t end = value.text.find(',', start);
      if (end == std::string_view::npos) end = value.text.size();
      const std::string_view name = value.text.substr(start, end - start);
      int found = -1;
      for (int e = 0; e < kTokenEngines; ++e)
        if (engine_name(static_cast<Engine>(e)) == name) found = e;
      if (found < 0) {
        error(value.column + static_cast<int>(start),
              "unknown engine " + quote_value(name) + " (dma0, dma1, mxu0, mxu1, mxu2, mxu3, vpu)");
        return std::nullopt;
      }
      mask = static_cast<std::uint8_t>(mask | (1u << found));
      if (end == value.text.size()) break;
      start = end + 1;
    }
    return mask;
  }

  void instruction_line(const std::vector<Token>& tokens) {
    const OpcodeInfo* op = find_mnemonic(tokens[0].text);
    if (op == nullptr) {
      const std::string near = closest_match(tokens[0].text, mnemonics());
      return error(tokens[0].column, "unknown instruction " + quote_value(tokens[0].text) +
                                         (near.empty() ? std::string() : " (did you mean '" + near + "'?)"));
    }
    const auto pairs = operands(tokens, 1);
    if (!pairs) return;
    Instruction instruction;
    instruction.opcode = op->opcode;
    // A field left out takes its least allowed value: 0, 1 for a count, the lowest dtype code allowed.
    for (std::size_t i = 0; i < op->fields.size(); ++i) {
      const FieldInfo& f = op->fields[i];
      instruction.fields[i] = f.kind == FieldKind::dtype && f.allowed != 0
                                  ? static_cast<std::uint64_t>(std::countr_zero(f.allowed))
                                  : f.bias;
    }
    bool ok = true;
    int wait_column = 0, signal_column = 0;
    for (const auto& [key, value] : *pairs) {
      if (key.text == "wait" || key.text == "signal") {
        (key.text == "wait" ? wait_column : signal_column) = key.column;
        const std::optional<std::uint8_t> mask = engine_mask(value);
        if (!mask) {
          ok = false;
          continue;
        }
        (key.text == "wait" ? instruction.wait : instruction.signal) = *mask;
        continue;
      }
      int index = -1;
      std::vector<std::string> names{"wait", "signal"};
      for (std::size_t i = 0; i < op->fields.size(); ++i) {
        names.emplace_back(op->fields[i].name);
        if (op->fields[i].name == key.text) index = static_cast<int>(i);
      }
      if (index < 0) {
        const std::string near = closest_match(key.text, names);
        error(key.column, std::string(op->mnemonic) + " has no field " + quote_value(key.text) +
                              (near.empty() ? " (its fields: " + join_alternatives(names) + ")"
                                            : " (did you mean '" + near + "'?)"));
        ok = false;
        continue;
      }
      const FieldInfo& f = op->fields[static_cast<std::size_t>(index)];
      const std::optional<std::uint64_t> parsed = field_value(f, value);
      if (!parsed) {
        ok = false;
        continue;
      }
      const std::string problem = check_field(f, *parsed);
      if (!problem.empty()) {
        error(value.column, problem);
        ok = false;
        continue;
      }
      instruction.fields[static_cast<std::size_t>(index)] = *parsed;
    }
    if (!ok) return;
    const std::string problem = check_instruction(instruction);
    if (!problem.empty()) {
      // A token problem points at its mask; the wait mask is checked first.
      const int mask_column = problem.starts_with("signal") || (instruction.wait == 0 && instruction.signal != 0)
                                  ? signal_column
                                  : wait_column;
      return error(mask_column > 0 ? mask_column : tokens[0].column, problem);
    }
    std::vector<Instruction>& code = code_[core_];
    if (!code.empty() && code.back().opcode == Opcode::halt)
      return error(tokens[0].column, "core " + std::to_string(core_) + ": an instruction after halt never runs");
    code.push_back(instruction);
    last_line_[core_] = line_;
  }

  std::optional<std::vector<std::uint64_t>> parse_shape(const Token& value) {
    std::vector<std::uint64_t> shape;
    std::size_t start = 0;
    while (true) {
      std::size_t end = value.text.find('x', start);
      if (end == std::string_view::npos) end = value.text.size();
      const std::optional<std::uint64_t> d = parse_uint(value.text.substr(start, end - start));
      if (!d || *d == 0) {
        error(value.column,
              "shape " + quote_value(value.text) + " is not dimensions of 1 or more joined by 'x' (128x256)");
        return std::nullopt;
      }
      shape.push_back(*d);
      if (end == value.text.size()) break;
      start = end + 1;
    }
    return shape;
  }

  void tensor_directive(const std::vector<Token>& tokens, bool constant) {
    const std::string_view directive = tokens[0].text;
    if (tokens.size() < 2 || tokens[1].text.find('=') != std::string_view::npos)
      return error(tokens[0].column,
                   std::string(directive) + " needs a name first: " + std::string(directive) + " NAME key=value...");
    Tensor tensor;
    tensor.name = std::string(tokens[1].text);
    if (find_tensor(tensor.name))
      return error(tokens[1].column, "tensor " + quote_value(tensor.name) + " is defined twice");
    const auto pairs = operands(tokens, 2);
    if (!pairs) return;
    const std::vector<std::string> keys = constant ? std::vector<std::string>{"dtype", "shape", "values"}
                                                   : std::vector<std::string>{"dtype", "shape", "level", "addr"};
    const Token* values = nullptr;
    bool have_dtype = false, have_shape = false, have_level = false;
    for (const auto& [key, value] : *pairs) {
      if (key.text == "dtype") {
        const std::optional<DType> d = dtype_from_name(value.text);
        if (!d)
          return error(value.column, "unknown dtype " + quote_value(value.text) +
                                         " (int8, fp8_e4m3, fp8_e5m2, bf16, fp16, fp32, int32)");
        tensor.dtype = *d;
        have_dtype = true;
      } else if (key.text == "shape") {
        const auto shape = parse_shape(value);
        if (!shape) return;
        tensor.shape = *shape;
        have_shape = true;
      } else if (key.text == "level" && !constant) {
        const std::optional<Space> level = space_from_name(value.text);
        if (!level || static_cast<int>(*level) >= kLevelCount)
          return error(value.column, "unknown level " + quote_value(value.text) + " (hbm, cmem, vmem or const)");
        tensor.level = *level;
        have_level = true;
      } else if (key.text == "addr" && !constant) {
        const std::optional<std::uint64_t> address = parse_uint(value.text);
        if (!address) return error(value.column, quote_value(value.text) + " is not an address");
        tensor.address = *address;
      } else if (key.text == "values" && constant) {
        values = &value;
      } else {
        const std::string near = closest_match(key.text, keys);
        return error(key.column, std::string(directive) + " has no key " + quote_value(key.text) +
                                     (near.empty() ? " (its keys: " + join_alternatives(keys) + ")"
                                                   : " (did you mean '" + near + "'?)"));
      }
    }
    if (!have_dtype || !have_shape || (!constant && !have_level) || (constant && values == nullptr))
      return error(tokens[0].column, std::string(directive) + " needs " + join_alternatives(keys));
    if (constant) {
      tensor.level = Space::konst;
      while (constants_.size() % kConstAlignBytes != 0) constants_.push_back(0);
      tensor.address = constants_.size();
      if (!append_values(tensor, *values)) return;
    }
    tensors_.push_back(std::move(tensor));
    tensor_lines_.push_back(line_);
  }

  bool append_values(const Tensor& tensor, const Token& values) {
    const DType d = tensor.dtype;
    if (d != DType::int8 && d != DType::int32 && d != DType::fp32 && d != DType::bf16) {
      error(values.column, ".const takes int8, int32, fp32 or bf16 values (write others with .tensor and .bytes)");
      return false;
    }
    std::uint64_t expected = 1;
    for (std::uint64_t dim : tensor.shape)
      expected = dim > (std::uint64_t{1} << 32) / expected ? ~std::uint64_t{0} : expected * dim;
    std::uint64_t count = 0;
    std::size_t start = 0;
    while (true) {
      std::size_t end = values.text.find(',', start);
      if (end == std::string_view::npos) end = values.text.size();
      const std::string_view item = values.text.substr(start, end - start);
      const int column = values.column + static_cast<int>(start);
      if (d == DType::int8 || d == DType::int32) {
        long long v = 0;
        const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
        const long long lo = d == DType::int8 ? -128 : -2147483648LL, hi = d == DType::int8 ? 127 : 2147483647LL;
        if (ec != std::errc() || ptr != item.data() + item.size() || v < lo || v > hi) {
          error(column, "value " + quote_value(item) + " is not a " + std::string(dtype_name(d)) + " (" +
                            std::to_string(lo) + ".." + std::to_string(hi) + ")");
          return false;
        }
        const std::uint32_t bits = static_cast<std::uint32_t>(v);
        for (int b = 0; b < dtype_bytes(d); ++b) constants_.push_back(static_cast<std::uint8_t>(bits >> (8 * b)));
      } else {
        float v = 0;
        const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
        if (ec != std::errc() || ptr != item.data() + item.size() || !std::isfinite(v)) {
          error(column, "value " + quote_value(item) + " is not a finite number");
          return false;
        }
        const std::uint32_t bits = d == DType::fp32 ? std::bit_cast<std::uint32_t>(v) : to_bf16(v);
        for (int b = 0; b < dtype_bytes(d); ++b) constants_.push_back(static_cast<std::uint8_t>(bits >> (8 * b)));
      }
      ++count;
      if (end == values.text.size()) break;
      start = end + 1;
    }
    if (count != expected) {
      error(values.column, std::to_string(count) + " values for a shape of " + std::to_string(expected) + " elements");
      return false;
    }
    return true;
  }

  void bytes_directive(const std::vector<Token>& tokens) {
    if (tokens.size() != 2) return error(tokens[0].column, ".bytes takes one run of hexadecimal digits: .bytes 00ff10");
    const std::string_view digits = tokens[1].text;
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (digits.size() % 2 != 0) return error(tokens[1].column, ".bytes needs an even number of hexadecimal digits");
    for (std::size_t i = 0; i < digits.size(); i += 2) {
      const int hi = nibble(digits[i]), lo = nibble(digits[i + 1]);
      if (hi < 0 || lo < 0)
        return error(tokens[1].column + static_cast<int>(i),
                     quote_value(digits.substr(i, 2)) + " is not a hexadecimal byte");
      constants_.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    }
  }

  std::string_view text_;
  std::string file_;
  int line_ = 0;
  std::uint32_t core_ = 0;
  Diagnostics diagnostics_;
  std::map<std::uint32_t, std::vector<Instruction>> code_;
  std::map<std::uint32_t, int> last_line_;
  std::vector<Tensor> tensors_;
  std::vector<int> tensor_lines_;
  std::vector<std::uint8_t> constants_;
};

}  // namespace

Expected<Program> assemble(std::string_view text, const std::string& file) {
  return Assembler(text, file).run();
}

std::string disassemble(const Instruction& instruction) {
  const OpcodeInfo& op = info(instruction.opcode);
  std::string out(op.mnemonic);
  for (std::size_t i = 0; i < op.fields.size(); ++i) {
    out += ' ';
    out += op.fields[i].name;
    out += '=';
    out += field_text(op.fields[i], instruction.fields[i]);
  }
  if (instruction.wait != 0) out.append(" wait=").append(format_mask(instruction.wait));
  if (instruction.signal != 0) out.append(" signal=").append(format_mask(instruction.signal));
  return out;
}

std::string disassemble(const Program& program) {
  std::string out;
  for (const Tensor& t : program.tensors) {
    std::string shape;
    for (std::uint64_t d : t.shape) {
      if (!shape.empty()) shape += 'x';
      shape += std::to_string(d);
    }
    out.append(".tensor ").append(t.name).append(" dtype=").append(dtype_name(t.dtype)).append(" shape=").append(shape);
    out.append(" level=").append(space_name(t.level)).append(" addr=").append(hex_text(t.address)).append("\n");
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < program.constants.size(); i += 32) {
    out += ".bytes ";
    for (std::size_t j = i; j < std::min(program.constants.size(), i + 32); ++j) {
      out += kDigits[program.constants[j] >> 4];
      out += kDigits[program.constants[j] & 15];
    }
    out += "\n";
  }
  for (const CoreCode& core : program.cores) {
    out += ".core " + std::to_string(core.core) + "\n";
    for (const Instruction& instruction : core.code) out += disassemble(instruction) + "\n";
  }
  return out;
}

}  // namespace xpusim::isa
