// An XPU program and its container file (.xbin, docs/isa.md): each core's code, the constants it reads
// from the const space, and the tensor descriptors that name regions of memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "isa/isa.h"
#include "support/expected.h"

namespace xpusim::isa {

inline constexpr std::uint16_t kXbinVersion = 1;
inline constexpr std::size_t kXbinHeaderBytes = 32;
inline constexpr std::size_t kXbinSectionEntryBytes = 24;
inline constexpr std::uint32_t kMaxCores = 256;   // core indices 0..255 (dma.copy's core field is 8 bits)
inline constexpr std::size_t kMaxNameBytes = 64;  // tensor names
inline constexpr std::size_t kMaxRank = 8;
inline constexpr std::size_t kMaxXbinBytes = std::size_t{256} << 20;  // what the reader accepts

enum class SectionKind : std::uint32_t { code = 1, constants = 2, tensors = 3 };

// A named region of memory: `shape` elements of `dtype`, row-major, from byte `address` of `level`
// (hbm, cmem, vmem or const; const addresses are offsets into the program's constants).
struct Tensor {
  std::string name;
  DType dtype = DType::fp32;
  Space level = Space::hbm;
  std::uint64_t address = 0;
  std::vector<std::uint64_t> shape;

  bool operator==(const Tensor&) const = default;
};

struct CoreCode {
  std::uint32_t core = 0;
  std::vector<Instruction> code;

  bool operator==(const CoreCode&) const = default;
};

struct Program {
  std::vector<CoreCode> cores;  // ascending core index, each once
  std::vector<std::uint8_t> constants;
  std::vector<Tensor> tensors;

  bool operator==(const Program&) const = default;
};

// Bytes a tensor spans, or 0 when the product overflows 64 bits.
std::uint64_t tensor_bytes(const Tensor& tensor);

// "" when `tensor` is well formed on its own (name, rank, dims, end of its level's address range);
// const tensors must also lie inside `constants_bytes`.
std::string check_tensor(const Tensor& tensor, std::uint64_t constants_bytes);

// "" when `program` can be written: at least one core; cores ascending and below kMaxCores; each core's
// code non-empty, every instruction valid, halt last and nowhere else; tensors valid with unique names.
std::string check_program(const Program& program);

// CRC-32 (IEEE 802.3, reflected, as zlib's crc32) of `bytes`.
std::uint32_t crc32(std::string_view bytes);

// The .xbin bytes of a program that check_program accepts (asserted).
std::string write_xbin(const Program& program);

// A program from .xbin bytes. Anything malformed is one error at `label`, naming the byte offset and
// the reason ("at byte 48: core 0, instruction 1: undefined opcode 0xff").
Expected<Program> read_xbin(std::string_view bytes, const std::string& label);

// read_xbin over a regular file of at most kMaxXbinBytes.
Expected<Program> read_xbin_file(const std::filesystem::path& path, const std::string& label);

}  // namespace xpusim::isa
