// The XPU's instruction set: a decoupled access-execute ISA in fixed 128-bit words (docs/isa.md).
//
// One in-order instruction stream per core is dispatched to the engine queues its opcodes name: two DMA
// queues, four matrix units and one vector unit; control instructions (nop, barrier, halt) stay in the
// front end. Engines run concurrently and order their work only through dependency tokens: an
// instruction may wait for a token from other engines before it starts and signal tokens to other
// engines when it is done.
//
// Every opcode is described once, by a table of fields (name, kind, width, bias, allowed values); the
// encoder, decoder, assembler and disassembler all read that table, so they cannot disagree.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace xpusim::isa {

inline constexpr std::size_t kWordBytes = 16;  // one instruction: 128 bits, little-endian
inline constexpr std::size_t kMaxFields = 8;   // operand fields of the widest opcode

// Engines, numbered as the bits of the wait and signal masks. Bit 7 of each mask is reserved.
enum class Engine : std::uint8_t { dma0, dma1, mxu0, mxu1, mxu2, mxu3, vpu, ctl };
inline constexpr int kTokenEngines = 7;  // engines that hold token queues (not ctl)
std::string_view engine_name(Engine engine);

// "0x1f": how addresses, strides and codes are written in text and messages.
std::string hex_text(std::uint64_t value);

// Element types, as 4-bit codes; 7..15 are undefined.
enum class DType : std::uint8_t { int8, fp8_e4m3, fp8_e5m2, bf16, fp16, fp32, int32 };
inline constexpr int kDTypeCount = 7;
std::string_view dtype_name(DType dtype);
std::optional<DType> dtype_from_name(std::string_view name);
int dtype_bytes(DType dtype);

// Memory spaces of a DMA address (3-bit codes; 5..7 undefined). A tensor's level is one of the first four.
enum class Space : std::uint8_t { hbm, cmem, vmem, konst, rvmem };
inline constexpr int kSpaceCount = 5;
inline constexpr int kLevelCount = 4;  // hbm, cmem, vmem, const
std::string_view space_name(Space space);
std::optional<Space> space_from_name(std::string_view name);

enum class Opcode : std::uint8_t {
  nop = 0x01,
  barrier = 0x02,
  halt = 0x03,
  dma_size = 0x10,
  dma_sstride = 0x11,
  dma_dstride = 0x12,
  dma_copy = 0x13,
  mxu_ldw = 0x20,
  mxu_mm = 0x21,
  mxu_st = 0x22,
  vadd = 0x30,
  vsub = 0x31,
  vmul = 0x32,
  vmax = 0x33,
  vmin = 0x34,
  vexp = 0x38,
  vrsqrt = 0x39,
  vgelu = 0x3a,
  vsilu = 0x3b,
  vrecip = 0x3c,
  vmov = 0x3d,
  vadds = 0x40,
  vmuls = 0x41,
  vmaxs = 0x42,
  vsum = 0x48,
  vmaxr = 0x49,
  vcvt = 0x50,
  vquant = 0x51,
  vdequant = 0x52,
};

// How a field's value is written in text and checked.
enum class FieldKind : std::uint8_t {
  count,   // decimal; stored as value - bias
  vmem,    // hexadecimal VMEM byte address; a VMEM tensor's name (plus an offset) may stand for it
  stride,  // hexadecimal byte stride
  index,   // decimal (queue, unit, slot, accumulator row, core, barrier id)
  flag,    // 0 or 1
  dtype,   // a DType name; `allowed` restricts it
  esize,   // element bytes 1, 2, 4 or 8, stored as log2
  scope,   // barrier scope: core or chip
  memory,  // DMA address: space code in the top 3 bits, 40-bit byte address below ("hbm:0x1000")
  f32,     // an IEEE binary32 immediate, stored as its bits
};

struct FieldInfo {
  std::string_view name;
  FieldKind kind;
  int width;                  // bits
  std::uint64_t bias = 0;     // value = stored + bias (counts that cannot be 0 are stored minus 1)
  std::uint32_t allowed = 0;  // dtype fields: bit d set when DType d is allowed; 0 means all
};

struct OpcodeInfo {
  Opcode opcode;
  std::string_view mnemonic;
  Engine engine;                      // for dma/mxu: the first of the group; the q/unit field selects the one
  std::span<const FieldInfo> fields;  // packed from bit 24 up, in this order
};

inline constexpr int kOperandLsb = 24;  // bits 0-7 opcode, 8-15 wait mask, 16-23 signal mask

// Bits an opcode uses (its fields end there); the bits above, up to 127, are reserved and must be 0.
int used_bits(const OpcodeInfo& op);

// Every opcode, in opcode order.
std::span<const OpcodeInfo> opcodes();
const OpcodeInfo* find_opcode(std::uint8_t code);
const OpcodeInfo* find_mnemonic(std::string_view mnemonic);
const OpcodeInfo& info(Opcode opcode);

// One decoded instruction. `fields` holds each operand's value (not its stored form) in the order of
// its opcode's table; unused entries are 0.
struct Instruction {
  Opcode opcode = Opcode::nop;
  std::uint8_t wait = 0;    // bit e: pop one token from engine e's queue to this engine before starting
  std::uint8_t signal = 0;  // bit e: push one token to engine e when done
  std::array<std::uint64_t, kMaxFields> fields{};

  bool operator==(const Instruction&) const = default;
  // The value of the field called `name`; asserts that the opcode has one.
  std::uint64_t field(std::string_view name) const;
  Instruction& set(std::string_view name, std::uint64_t value);
};

// The engine that executes `instruction` (dma0 + q, mxu0 + unit, vpu or ctl).
Engine engine_of(const Instruction& instruction);

using Word = std::array<std::uint8_t, kWordBytes>;

// "" when `value` is allowed in field `f`, else why not ("field len: 0 is out of range 1..1048576").
std::string check_field(const FieldInfo& f, std::uint64_t value);

// "" when every field of `instruction` is in range and its masks are allowed, else why not (the first
// problem), e.g. "field len: 0 is below the minimum 1".
std::string check_instruction(const Instruction& instruction);

// The 128-bit word of a valid instruction (asserts check_instruction is "").
Word encode(const Instruction& instruction);

// The instruction a word holds; nullopt, with the reason in `error`, for an undefined opcode, a
// reserved bit set, an undefined or disallowed enumeration code, or a mask naming the engine itself.
std::optional<Instruction> decode(std::span<const std::uint8_t, kWordBytes> word, std::string& error);

}  // namespace xpusim::isa
