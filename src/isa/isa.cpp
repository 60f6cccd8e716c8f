#include "isa/isa.h"

#include <cstdio>
#include <string>

#include "support/assert.h"

namespace xpusim::isa {
namespace {

constexpr std::uint32_t dtypes(std::initializer_list<DType> list) {
  std::uint32_t mask = 0;
  for (DType d : list) mask |= 1u << static_cast<int>(d);
  return mask;
}

constexpr std::uint32_t kMxuIn = dtypes({DType::int8, DType::fp8_e4m3, DType::fp8_e5m2, DType::bf16, DType::fp16});
constexpr std::uint32_t kFloat = dtypes({DType::fp32, DType::bf16, DType::fp16});
constexpr std::uint32_t kArith = dtypes({DType::fp32, DType::bf16, DType::fp16, DType::int32});
constexpr std::uint32_t kNarrow = dtypes({DType::int8, DType::fp8_e4m3, DType::fp8_e5m2});
constexpr std::uint32_t kDequantIn = dtypes({DType::int8, DType::fp8_e4m3, DType::fp8_e5m2, DType::int32});

using K = FieldKind;

constexpr FieldInfo kBarrier[] = {{"scope", K::scope, 1}, {"id", K::index, 8}};
constexpr FieldInfo kDmaSize[] = {{"q", K::index, 1},      {"n0", K::count, 20, 1}, {"n1", K::count, 20, 1},
                                  {"n2", K::count, 20, 1}, {"esize", K::esize, 2},  {"transpose", K::flag, 1}};
constexpr FieldInfo kDmaStride[] = {{"q", K::index, 1}, {"s1", K::stride, 48}, {"s2", K::stride, 48}};
constexpr FieldInfo kDmaCopy[] = {
    {"q", K::index, 1}, {"src", K::memory, 43}, {"dst", K::memory, 43}, {"core", K::index, 8}};
constexpr FieldInfo kMxuLdw[] = {{"unit", K::index, 2},    {"slot", K::index, 1}, {"dtype", K::dtype, 4, 0, kMxuIn},
                                 {"src", K::vmem, 24},     {"k", K::count, 8, 1}, {"n", K::count, 8, 1},
                                 {"stride", K::stride, 24}};
constexpr FieldInfo kMxuMm[] = {{"unit", K::index, 2}, {"slot", K::index, 1},     {"dtype", K::dtype, 4, 0, kMxuIn},
                                {"src", K::vmem, 24},  {"m", K::count, 16, 1},    {"stride", K::stride, 24},
                                {"acc", K::index, 16}, {"accumulate", K::flag, 1}};
constexpr FieldInfo kMxuSt[] = {{"unit", K::index, 2}, {"acc", K::index, 16}, {"m", K::count, 16, 1},
                                {"n", K::count, 8, 1}, {"dst", K::vmem, 24},  {"stride", K::stride, 24}};
constexpr FieldInfo kBinary[] = {
    {"dtype", K::dtype, 4, 0, kArith}, {"dst", K::vmem, 24}, {"a", K::vmem, 24}, {"b", K::vmem, 24},
    {"len", K::count, 20, 1},          {"bcast", K::flag, 1}};
constexpr FieldInfo kUnary[] = {
    {"dtype", K::dtype, 4, 0, kFloat}, {"dst", K::vmem, 24}, {"src", K::vmem, 24}, {"len", K::count, 20, 1}};
constexpr FieldInfo kMove[] = {
    {"dtype", K::dtype, 4}, {"dst", K::vmem, 24}, {"src", K::vmem, 24}, {"len", K::count, 20, 1}};
constexpr FieldInfo kScalar[] = {{"dtype", K::dtype, 4, 0, kArith},
                                 {"dst", K::vmem, 24},
                                 {"src", K::vmem, 24},
                                 {"len", K::count, 20, 1},
                                 {"imm", K::f32, 32}};
constexpr FieldInfo kReduce[] = {{"dtype", K::dtype, 4, 0, kArith},
                                 {"dst", K::vmem, 24},
                                 {"src", K::vmem, 24},
                                 {"rows", K::count, 16, 1},
                                 {"cols", K::count, 16, 1}};
constexpr FieldInfo kCvt[] = {
    {"from", K::dtype, 4}, {"to", K::dtype, 4}, {"dst", K::vmem, 24}, {"src", K::vmem, 24}, {"len", K::count, 20, 1}};
constexpr FieldInfo kQuant[] = {
    {"from", K::dtype, 4, 0, kFloat}, {"to", K::dtype, 4, 0, kNarrow}, {"dst", K::vmem, 24}, {"src", K::vmem, 24},
    {"scale", K::vmem, 24},           {"len", K::count, 20, 1}};
constexpr FieldInfo kDequant[] = {{"from", K::dtype, 4, 0, kDequantIn},
                                  {"to", K::dtype, 4, 0, kFloat},
                                  {"dst", K::vmem, 24},
                                  {"src", K::vmem, 24},
                                  {"scale", K::vmem, 24},
                                  {"len", K::count, 20, 1}};

using E = Engine;
using O = Opcode;
constexpr OpcodeInfo kOpcodes[] = {
    {O::nop, "nop", E::ctl, {}},
    {O::barrier, "barrier", E::ctl, kBarrier},
    {O::halt, "halt", E::ctl, {}},
    {O::dma_size, "dma.size", E::dma0, kDmaSize},
    {O::dma_sstride, "dma.sstride", E::dma0, kDmaStride},
    {O::dma_dstride, "dma.dstride", E::dma0, kDmaStride},
    {O::dma_copy, "dma.copy", E::dma0, kDmaCopy},
    {O::mxu_ldw, "mxu.ldw", E::mxu0, kMxuLdw},
    {O::mxu_mm, "mxu.mm", E::mxu0, kMxuMm},
    {O::mxu_st, "mxu.st", E::mxu0, kMxuSt},
    {O::vadd, "vadd", E::vpu, kBinary},
    {O::vsub, "vsub", E::vpu, kBinary},
    {O::vmul, "vmul", E::vpu, kBinary},
    {O::vmax, "vmax", E::vpu, kBinary},
    {O::vmin, "vmin", E::vpu, kBinary},
    {O::vexp, "vexp", E::vpu, kUnary},
    {O::vrsqrt, "vrsqrt", E::vpu, kUnary},
    {O::vgelu, "vgelu", E::vpu, kUnary},
    {O::vsilu, "vsilu", E::vpu, kUnary},
    {O::vrecip, "vrecip", E::vpu, kUnary},
    {O::vmov, "vmov", E::vpu, kMove},
    {O::vadds, "vadds", E::vpu, kScalar},
    {O::vmuls, "vmuls", E::vpu, kScalar},
    {O::vmaxs, "vmaxs", E::vpu, kScalar},
    {O::vsum, "vsum", E::vpu, kReduce},
    {O::vmaxr, "vmaxr", E::vpu, kReduce},
    {O::vcvt, "vcvt", E::vpu, kCvt},
    {O::vquant, "vquant", E::vpu, kQuant},
    {O::vdequant, "vdequant", E::vpu, kDequant},
};

constexpr std::string_view kEngineNames[] = {"dma0", "dma1", "mxu0", "mxu1", "mxu2", "mxu3", "vpu", "ctl"};
constexpr std::string_view kDTypeNames[] = {"int8", "fp8_e4m3", "fp8_e5m2", "bf16", "fp16", "fp32", "int32"};
constexpr int kDTypeBytes[] = {1, 1, 1, 2, 2, 4, 4};
constexpr std::string_view kSpaceNames[] = {"hbm", "cmem", "vmem", "const", "rvmem"};

int field_index(const OpcodeInfo& op, std::string_view name) {
  for (std::size_t i = 0; i < op.fields.size(); ++i)
    if (op.fields[i].name == name) return static_cast<int>(i);
  return -1;
}

std::uint64_t get_bits(std::span<const std::uint8_t, kWordBytes> word, int lsb, int width) {
  std::uint64_t value = 0;
  for (int i = 0; i < width; ++i) {
    const int bit = lsb + i;
    value |= static_cast<std::uint64_t>((word[bit / 8] >> (bit % 8)) & 1u) << i;
  }
  return value;
}

void put_bits(Word& word, int lsb, int width, std::uint64_t value) {
  for (int i = 0; i < width; ++i) {
    const int bit = lsb + i;
    if ((value >> i) & 1u) word[bit / 8] = static_cast<std::uint8_t>(word[bit / 8] | (1u << (bit % 8)));
  }
}

std::uint64_t max_stored(int width) {
  return width >= 64 ? ~0ull : (1ull << width) - 1;
}

std::string allowed_dtypes(std::uint32_t mask) {
  std::string out;
  for (int d = 0; d < kDTypeCount; ++d)
    if (mask & (1u << d)) out += (out.empty() ? "" : ", ") + std::string(kDTypeNames[d]);
  return out;
}

std::string check_mask(const char* what, std::uint8_t mask, Engine self, const OpcodeInfo& op) {
  if (mask == 0) return {};
  if (self == Engine::ctl)
    return std::string(op.mnemonic) + " takes no tokens (" + what + " mask " + hex_text(mask) + ")";
  if (mask & 0x80) return std::string(what) + " mask bit 7 is reserved";
  if (mask & (1u << static_cast<int>(self)))
    return std::string(what) + " mask names " + std::string(engine_name(self)) + ", the instruction's own engine";
  return {};
}

}  // namespace

std::string hex_text(std::uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

std::string_view engine_name(Engine engine) {
  return kEngineNames[static_cast<int>(engine)];
}
std::string_view dtype_name(DType dtype) {
  return kDTypeNames[static_cast<int>(dtype)];
}
int dtype_bytes(DType dtype) {
  return kDTypeBytes[static_cast<int>(dtype)];
}
std::string_view space_name(Space space) {
  return kSpaceNames[static_cast<int>(space)];
}

std::optional<DType> dtype_from_name(std::string_view name) {
  for (int d = 0; d < kDTypeCount; ++d)
    if (kDTypeNames[d] == name) return static_cast<DType>(d);
  return std::nullopt;
}

std::optional<Space> space_from_name(std::string_view name) {
  for (int s = 0; s < kSpaceCount; ++s)
    if (kSpaceNames[s] == name) return static_cast<Space>(s);
  return std::nullopt;
}

std::span<const OpcodeInfo> opcodes() {
  return kOpcodes;
}

const OpcodeInfo* find_opcode(std::uint8_t code) {
  for (const OpcodeInfo& op : kOpcodes)
    if (static_cast<std::uint8_t>(op.opcode) == code) return &op;
  return nullptr;
}

const OpcodeInfo* find_mnemonic(std::string_view mnemonic) {
  for (const OpcodeInfo& op : kOpcodes)
    if (op.mnemonic == mnemonic) return &op;
  return nullptr;
}

const OpcodeInfo& info(Opcode opcode) {
  const OpcodeInfo* op = find_opcode(static_cast<std::uint8_t>(opcode));
  XPUSIM_ASSERT(op != nullptr, "every Opcode enumerator has a table entry");
  return *op;
}

std::uint64_t Instruction::field(std::string_view name) const {
  const int i = field_index(info(opcode), name);
  XPUSIM_ASSERT(i >= 0, "the opcode has the field asked for");
  return fields[static_cast<std::size_t>(i)];
}

Instruction& Instruction::set(std::string_view name, std::uint64_t value) {
  const int i = field_index(info(opcode), name);
  XPUSIM_ASSERT(i >= 0, "the opcode has the field set");
  fields[static_cast<std::size_t>(i)] = value;
  return *this;
}

Engine engine_of(const Instruction& instruction) {
  const OpcodeInfo& op = info(instruction.opcode);
  if (op.engine == Engine::dma0) return static_cast<Engine>(instruction.fields[0] & 1);
  if (op.engine == Engine::mxu0)
    return static_cast<Engine>(static_cast<int>(Engine::mxu0) + (instruction.fields[0] & 3));
  return op.engine;
}

std::string check_field(const FieldInfo& f, std::uint64_t value) {
  const std::string name = "field " + std::string(f.name) + ": ";
  const std::uint64_t max = max_stored(f.width) + f.bias;
  if (value < f.bias || value > max)
    return name + std::to_string(value) + " is out of range " + std::to_string(f.bias) + ".." + std::to_string(max);
  if (f.kind == FieldKind::dtype) {
    if (value >= static_cast<std::uint64_t>(kDTypeCount)) return name + "undefined dtype code " + std::to_string(value);
    if (f.allowed != 0 && !(f.allowed & (1u << value)))
      return name + std::string(kDTypeNames[value]) + " is not allowed here (allowed: " + allowed_dtypes(f.allowed) +
             ")";
  }
  if (f.kind == FieldKind::memory) {
    const std::uint64_t space = value >> 40;
    if (space >= static_cast<std::uint64_t>(kSpaceCount))
      return name + "undefined memory space code " + std::to_string(space);
    if (f.name == "dst" && static_cast<Space>(space) == Space::konst) return name + "const is read-only";
  }
  return {};
}

std::string check_instruction(const Instruction& instruction) {
  const OpcodeInfo* op = find_opcode(static_cast<std::uint8_t>(instruction.opcode));
  if (op == nullptr) return "undefined opcode " + hex_text(static_cast<std::uint8_t>(instruction.opcode));
  for (std::size_t i = op->fields.size(); i < kMaxFields; ++i)
    if (instruction.fields[i] != 0)
      return "operand " + std::to_string(i) + " is not a field of " + std::string(op->mnemonic);
  for (std::size_t i = 0; i < op->fields.size(); ++i) {
    std::string problem = check_field(op->fields[i], instruction.fields[i]);
    if (!problem.empty()) return problem;
  }
  const Engine self = engine_of(instruction);
  std::string problem = check_mask("wait", instruction.wait, self, *op);
  if (problem.empty()) problem = check_mask("signal", instruction.signal, self, *op);
  return problem;
}

Word encode(const Instruction& instruction) {
  XPUSIM_ASSERT(check_instruction(instruction).empty(), "encode() is given a valid instruction");
  const OpcodeInfo& op = info(instruction.opcode);
  Word word{};
  word[0] = static_cast<std::uint8_t>(instruction.opcode);
  word[1] = instruction.wait;
  word[2] = instruction.signal;
  int lsb = kOperandLsb;
  for (std::size_t i = 0; i < op.fields.size(); ++i) {
    const FieldInfo& f = op.fields[i];
    put_bits(word, lsb, f.width, instruction.fields[i] - f.bias);
    lsb += f.width;
  }
  return word;
}

int used_bits(const OpcodeInfo& op) {
  int bits = kOperandLsb;
  for (const FieldInfo& f : op.fields) bits += f.width;
  return bits;
}

std::optional<Instruction> decode(std::span<const std::uint8_t, kWordBytes> word, std::string& error) {
  const OpcodeInfo* op = find_opcode(word[0]);
  if (op == nullptr) {
    error = "undefined opcode " + hex_text(word[0]);
    return std::nullopt;
  }
  const int used = used_bits(*op);
  for (int bit = used; bit < static_cast<int>(kWordBytes) * 8; ++bit)
    if ((word[bit / 8] >> (bit % 8)) & 1u) {
      error = "reserved bit " + std::to_string(bit) + " is set (" + std::string(op->mnemonic) + " uses bits 0-" +
              std::to_string(used - 1) + ")";
      return std::nullopt;
    }
  Instruction instruction;
  instruction.opcode = op->opcode;
  instruction.wait = word[1];
  instruction.signal = word[2];
  int lsb = kOperandLsb;
  for (std::size_t i = 0; i < op->fields.size(); ++i) {
    const FieldInfo& f = op->fields[i];
    instruction.fields[i] = get_bits(word, lsb, f.width) + f.bias;
    lsb += f.width;
  }
  error = check_instruction(instruction);
  if (!error.empty()) return std::nullopt;
  return instruction;
}

}  // namespace xpusim::isa
