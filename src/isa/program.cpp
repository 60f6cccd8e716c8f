#include "isa/program.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include "support/assert.h"
#include "support/input_file.h"
#include "support/text.h"

namespace xpusim::isa {
namespace {

constexpr std::uint64_t kAddressLimit = std::uint64_t{1} << 40;  // hbm, cmem and const byte addresses
constexpr std::uint64_t kVmemLimit = std::uint64_t{1} << 24;     // the VMEM fields of mxu and vpu
constexpr char kMagic[4] = {'X', 'B', 'I', 'N'};

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<std::uint32_t, 256> kCrcTable = make_crc_table();

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

void put_u16(std::string& out, std::uint16_t v) {
  for (int i = 0; i < 2; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
void patch_u32(std::string& out, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void patch_u64(std::string& out, std::size_t at, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint64_t get_le(std::string_view bytes, std::size_t at, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(bytes[at + i])) << (8 * i);
  return v;
}

void pad_to_16(std::string& out) {
  while (out.size() % 16 != 0) out += '\0';
}

std::string section_name(std::uint32_t kind) {
  switch (kind) {
    case 1:
      return "code";
    case 2:
      return "constants";
    case 3:
      return "tensors";
    default:
      return "kind " + std::to_string(kind);
  }
}

// Reading: the first problem found ends the read, located at a byte offset.
struct Reader {
  std::string_view bytes;
  std::string label;
  Error fail(std::uint64_t at, const std::string& message) const {
    Diagnostics d;
    d.error({label, 0, 0}, "", "at byte " + std::to_string(at) + ": " + message);
    return Error(std::move(d));
  }
};

struct Section {
  std::uint32_t kind = 0, core = 0;
  std::uint64_t offset = 0, size = 0;
  std::uint64_t entry_at = 0;  // where its table entry is
};

}  // namespace

std::uint32_t crc32(std::string_view bytes) {
  std::uint32_t c = 0xffffffffu;
  for (char ch : bytes) c = kCrcTable[(c ^ static_cast<std::uint8_t>(ch)) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

std::uint64_t tensor_bytes(const Tensor& tensor) {
  std::uint64_t total = static_cast<std::uint64_t>(dtype_bytes(tensor.dtype));
  for (std::uint64_t d : tensor.shape) {
    if (d != 0 && total > ~std::uint64_t{0} / d) return 0;
    total *= d;
  }
  return total;
}

std::string check_tensor(const Tensor& tensor, std::uint64_t constants_bytes) {
  const std::string who = "tensor " + quote_value(tensor.name) + ": ";
  if (!valid_name(tensor.name))
    return who + "a name is 1-64 letters, digits and underscores, not starting with a digit";
  if (static_cast<int>(tensor.dtype) >= kDTypeCount)
    return who + "undefined dtype code " + std::to_string(static_cast<int>(tensor.dtype));
  if (static_cast<int>(tensor.level) >= kLevelCount)
    return who + "undefined level code " + std::to_string(static_cast<int>(tensor.level)) +
           " (hbm 0, cmem 1, vmem 2, const 3)";
  if (tensor.shape.empty() || tensor.shape.size() > kMaxRank)
    return who + "rank " + std::to_string(tensor.shape.size()) + " is out of range 1.." + std::to_string(kMaxRank);
  for (std::uint64_t d : tensor.shape)
    if (d == 0) return who + "a dimension is 0";
  const std::uint64_t bytes = tensor_bytes(tensor);
  const std::uint64_t limit = tensor.level == Space::vmem    ? kVmemLimit
                              : tensor.level == Space::konst ? constants_bytes
                                                             : kAddressLimit;
  if (bytes == 0 || bytes > limit || tensor.address > limit - bytes)
    return who + "ends past the end of " + std::string(space_name(tensor.level)) + " (" +
           (tensor.level == Space::konst ? "the constants are " : "its addresses end at ") + std::to_string(limit) +
           " bytes)";
  return {};
}

std::string check_program(const Program& program) {
  if (program.cores.empty()) return "the program has no code";
  for (std::size_t c = 0; c < program.cores.size(); ++c) {
    const CoreCode& core = program.cores[c];
    const std::string who = "core " + std::to_string(core.core) + ": ";
    if (core.core >= kMaxCores) return "core " + std::to_string(core.core) + " is out of range 0..255";
    if (c > 0 && core.core <= program.cores[c - 1].core) return who + "cores must be ascending and each given once";
    if (core.code.empty()) return who + "no instructions";
    for (std::size_t i = 0; i < core.code.size(); ++i) {
      const std::string problem = check_instruction(core.code[i]);
      if (!problem.empty()) return who + "instruction " + std::to_string(i) + ": " + problem;
      if (core.code[i].opcode == Opcode::halt && i + 1 != core.code.size())
        return who + "instruction " + std::to_string(i) + ": halt before the end (what follows never runs)";
    }
    if (core.code.back().opcode != Opcode::halt) return who + "the code does not end with halt";
  }
  for (std::size_t t = 0; t < program.tensors.size(); ++t) {
    const std::string problem = check_tensor(program.tensors[t], program.constants.size());
    if (!problem.empty()) return problem;
    for (std::size_t u = 0; u < t; ++u)
      if (program.tensors[u].name == program.tensors[t].name)
        return "tensor " + quote_value(program.tensors[t].name) + ": defined twice";
  }
  return {};
}

std::string write_xbin(const Program& program) {
  XPUSIM_ASSERT(check_program(program).empty(), "write_xbin() is given a valid program");
  const std::size_t sections =
      program.cores.size() + (program.constants.empty() ? 0 : 1) + (program.tensors.empty() ? 0 : 1);
  std::string out(kXbinHeaderBytes + sections * kXbinSectionEntryBytes, '\0');
  pad_to_16(out);
  std::size_t entry = kXbinHeaderBytes;
  auto add_section = [&](SectionKind kind, std::uint32_t core, const std::string& payload) {
    const std::size_t offset = out.size();
    out += payload;
    pad_to_16(out);
    patch_u32(out, entry, static_cast<std::uint32_t>(kind));
    patch_u32(out, entry + 4, core);
    patch_u64(out, entry + 8, offset);
    patch_u64(out, entry + 16, payload.size());
    entry += kXbinSectionEntryBytes;
  };
  for (const CoreCode& core : program.cores) {
    std::string code;
    for (const Instruction& instruction : core.code) {
      const Word word = encode(instruction);
      code.append(reinterpret_cast<const char*>(word.data()), word.size());
    }
    add_section(SectionKind::code, core.core, code);
  }
  if (!program.constants.empty())
    add_section(SectionKind::constants, 0,
                std::string(reinterpret_cast<const char*>(program.constants.data()), program.constants.size()));
  if (!program.tensors.empty()) {
    std::string table;
    put_u32(table, static_cast<std::uint32_t>(program.tensors.size()));
    for (const Tensor& t : program.tensors) {
      table += static_cast<char>(t.name.size());
      table += static_cast<char>(t.dtype);
      table += static_cast<char>(t.level);
      table += static_cast<char>(t.shape.size());
      put_u64(table, t.address);
      for (std::uint64_t d : t.shape) put_u64(table, d);
      table += t.name;
    }
    add_section(SectionKind::tensors, 0, table);
  }
  std::string header;
  header.append(kMagic, 4);
  put_u16(header, kXbinVersion);
  put_u16(header, static_cast<std::uint16_t>(kXbinHeaderBytes));
  put_u32(header, static_cast<std::uint32_t>(sections));
  put_u32(header, 0);  // checksum, below
  put_u64(header, out.size());
  put_u64(header, 0);
  out.replace(0, kXbinHeaderBytes, header);
  patch_u32(out, 12, crc32(std::string_view(out).substr(kXbinHeaderBytes)));
  return out;
}

Expected<Program> read_xbin(std::string_view bytes, const std::string& label) {
  const Reader r{bytes, label};
  const std::uint64_t size = bytes.size();
  if (size < kXbinHeaderBytes)
    return r.fail(0, "the file is " + std::to_string(size) + " bytes, shorter than the " +
                         std::to_string(kXbinHeaderBytes) + "-byte header (truncated?)");
  if (bytes.substr(0, 4) != std::string_view(kMagic, 4))
    return r.fail(0, "bad magic " + quote_value(bytes.substr(0, 4)) + " (an .xbin file starts with 'XBIN')");
  const std::uint64_t version = get_le(bytes, 4, 2);
  if (version != kXbinVersion)
    return r.fail(4, "version " + std::to_string(version) + " is not supported (this reader reads version " +
                         std::to_string(kXbinVersion) + ")");
  if (get_le(bytes, 6, 2) != kXbinHeaderBytes)
    return r.fail(6,
                  "header size " + std::to_string(get_le(bytes, 6, 2)) + " is not " + std::to_string(kXbinHeaderBytes));
  const std::uint64_t stated = get_le(bytes, 16, 8);
  if (stated != size)
    return r.fail(16, "the header says the file is " + std::to_string(stated) + " bytes, but it is " +
                          std::to_string(size) + (stated > size ? " (truncated)" : " (extra bytes at the end)"));
  if (get_le(bytes, 24, 8) != 0) return r.fail(24, "reserved header bytes are not zero");
  const std::uint32_t checksum = static_cast<std::uint32_t>(get_le(bytes, 12, 4));
  const std::uint32_t actual = crc32(bytes.substr(kXbinHeaderBytes));
  if (checksum != actual) {
    char text[64];
    std::snprintf(text, sizeof text, "checksum 0x%08x does not match the contents (0x%08x)", checksum, actual);
    return r.fail(12, text);
  }
  const std::uint64_t count = get_le(bytes, 8, 4);
  const std::uint64_t table_end = kXbinHeaderBytes + count * kXbinSectionEntryBytes;
  if (count > kMaxCores + 2) return r.fail(8, std::to_string(count) + " sections is more than the most, 258");
  if (table_end > size)
    return r.fail(8, "the table of " + std::to_string(count) + " sections ends at byte " + std::to_string(table_end) +
                         ", past the end of the file (" + std::to_string(size) + " bytes)");
  std::vector<Section> sections;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t at = kXbinHeaderBytes + i * kXbinSectionEntryBytes;
    Section s{static_cast<std::uint32_t>(get_le(bytes, at, 4)), static_cast<std::uint32_t>(get_le(bytes, at + 4, 4)),
              get_le(bytes, at + 8, 8), get_le(bytes, at + 16, 8), at};
    const std::string who = "section " + std::to_string(i) + " (" + section_name(s.kind) + "): ";
    if (s.kind < 1 || s.kind > 3) return r.fail(at, who + "undefined section kind (code 1, constants 2, tensors 3)");
    if (s.kind != 1 && s.core != 0) return r.fail(at + 4, who + "the core field of a non-code section must be 0");
    if (s.offset < table_end || s.offset > size || s.size > size - s.offset)
      return r.fail(at + 8, who + "bytes " + std::to_string(s.offset) + ".." + std::to_string(s.offset) + "+" +
                                std::to_string(s.size) + " are not inside the file after the section table (bytes " +
                                std::to_string(table_end) + ".." + std::to_string(size) + ")");
    for (const Section& other : sections)
      if (s.offset < other.offset + other.size && other.offset < s.offset + s.size)
        return r.fail(at + 8, who + "overlaps an earlier section");
    sections.push_back(s);
  }
  Program program;
  bool have_constants = false, have_tensors = false;
  for (const Section& s : sections) {
    const std::string who = section_name(s.kind) + " section: ";
    if (s.kind == 1) {
      if (s.core >= kMaxCores)
        return r.fail(s.entry_at + 4, "code section: core " + std::to_string(s.core) + " is out of range 0..255");
      if (!program.cores.empty() && s.core <= program.cores.back().core)
        return r.fail(s.entry_at + 4, "code section: core " + std::to_string(s.core) + " comes after core " +
                                          std::to_string(program.cores.back().core) + " (cores ascending, each once)");
      if (s.size == 0) return r.fail(s.entry_at + 16, "code section of core " + std::to_string(s.core) + " is empty");
      if (s.size % kWordBytes != 0)
        return r.fail(s.entry_at + 16, "code section of core " + std::to_string(s.core) + " is " +
                                           std::to_string(s.size) + " bytes, not a multiple of 16");
      CoreCode core{s.core, {}};
      for (std::uint64_t at = s.offset; at < s.offset + s.size; at += kWordBytes) {
        std::string error;
        const auto* word = reinterpret_cast<const std::uint8_t*>(bytes.data() + at);
        const std::optional<Instruction> instruction =
            decode(std::span<const std::uint8_t, kWordBytes>(word, kWordBytes), error);
        const std::string where =
            "core " + std::to_string(s.core) + ", instruction " + std::to_string(core.code.size()) + ": ";
        if (!instruction) return r.fail(at, where + error);
        if (!core.code.empty() && core.code.back().opcode == Opcode::halt)
          return r.fail(at - kWordBytes, "core " + std::to_string(s.core) + ", instruction " +
                                             std::to_string(core.code.size() - 1) +
                                             ": halt before the end (what follows never runs)");
        core.code.push_back(*instruction);
      }
      if (core.code.back().opcode != Opcode::halt)
        return r.fail(s.offset + s.size - kWordBytes,
                      "core " + std::to_string(s.core) + ": the code does not end with halt");
      program.cores.push_back(std::move(core));
    } else if (s.kind == 2) {
      if (have_constants) return r.fail(s.entry_at, "a second constants section");
      have_constants = true;
      const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data() + s.offset);
      program.constants.assign(data, data + s.size);
    } else {
      if (have_tensors) return r.fail(s.entry_at, "a second tensors section");
      have_tensors = true;
    }
  }
  if (program.cores.empty()) return r.fail(8, "the file has no code section");
  for (const Section& s : sections) {
    if (s.kind != 3) continue;
    const std::uint64_t end = s.offset + s.size;
    std::uint64_t at = s.offset;
    if (s.size < 4)
      return r.fail(at, "tensors section: " + std::to_string(s.size) + " bytes cannot hold its 4-byte count");
    const std::uint64_t n = get_le(bytes, at, 4);
    at += 4;
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint64_t start = at;
      const std::string who = "tensor " + std::to_string(i) + ": ";
      if (end - at < 12) return r.fail(at, who + "the entry runs past the end of the tensors section");
      const std::uint64_t name_len = get_le(bytes, at, 1), dtype = get_le(bytes, at + 1, 1),
                          level = get_le(bytes, at + 2, 1), rank = get_le(bytes, at + 3, 1);
      if (end - at < 12 + 8 * rank + name_len)
        return r.fail(at, who + "the entry runs past the end of the tensors section");
      Tensor t;
      t.address = get_le(bytes, at + 4, 8);
      at += 12;
      for (std::uint64_t d = 0; d < rank; ++d, at += 8) t.shape.push_back(get_le(bytes, at, 8));
      t.name = std::string(bytes.substr(at, name_len));
      at += name_len;
      if (dtype >= static_cast<std::uint64_t>(kDTypeCount))
        return r.fail(start + 1, who + "undefined dtype code " + std::to_string(dtype));
      if (level >= static_cast<std::uint64_t>(kLevelCount))
        return r.fail(start + 2,
                      who + "undefined level code " + std::to_string(level) + " (hbm 0, cmem 1, vmem 2, const 3)");
      t.dtype = static_cast<DType>(dtype);
      t.level = static_cast<Space>(level);
      const std::string problem = check_tensor(t, program.constants.size());
      if (!problem.empty()) return r.fail(start, problem);
      for (const Tensor& other : program.tensors)
        if (other.name == t.name) return r.fail(start, "tensor " + quote_value(t.name) + ": defined twice");
      program.tensors.push_back(std::move(t));
    }
    if (at != end) return r.fail(at, "tensors section: " + std::to_string(end - at) + " bytes after its last entry");
  }
  return program;
}

Expected<Program> read_xbin_file(const std::filesystem::path& path, const std::string& label) {
  Expected<std::string> bytes = read_input_file(path, kMaxXbinBytes, label, "program");
  if (!bytes) return bytes.error();
  return read_xbin(*bytes, label);
}

}  // namespace xpusim::isa
