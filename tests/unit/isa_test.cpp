// The XPU's instruction set: encodings worked out by hand from docs/isa.md's bit layouts, the round
// trips (binary -> text -> binary bit for bit, text -> binary -> canonical text), and malformed words,
// files and assembly, each with its exact message.
#include "isa/isa.h"

#include <gtest/gtest.h>

#include <bit>
#include <fstream>
#include <sstream>
#include <string>

#include "isa/assembler.h"
#include "isa/program.h"

namespace xpusim::isa {
namespace {

std::string hex_of(const Word& word) {
  std::string out;
  char digits[4];
  for (std::uint8_t byte : word) {
    std::snprintf(digits, sizeof digits, "%02x ", byte);
    out += digits;
  }
  out.pop_back();
  return out;
}

Instruction assembled_one(const std::string& line) {
  const Expected<Program> program = assemble(line + "\nhalt\n", "t.s");
  EXPECT_TRUE(program.ok()) << (program.ok() ? "" : program.error().to_string());
  return program.ok() ? program->cores[0].code[0] : Instruction{};
}

std::string assembly_error(const std::string& text) {
  const Expected<Program> program = assemble(text, "t.s");
  return program.ok() ? "(assembled)" : program.error().to_string();
}

// Bytes worked out bit by bit from the layout tables of docs/isa.md (opcode in bits 0-7, wait 8-15,
// signal 16-23, then the fields from bit 24 up, least significant bit first).
TEST(IsaEncoding, HaltIsItsOpcodeAlone) {
  const Expected<Program> halt = assemble("halt", "t.s");
  ASSERT_TRUE(halt.ok());
  EXPECT_EQ(hex_of(encode(halt->cores[0].code[0])), "03 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
}

struct HandEncoding {
  const char* text;
  const char* bytes;
  Engine engine;
};

// Each case's derivation, bit by bit, is in the comment above it.
constexpr HandEncoding kHandEncodings[] = {
    // scope=chip: bit 24 (byte 3 bit 0); id=5 = 0b101 from bit 25: bits 25 and 27 (byte 3 bits 1, 3).
    {"barrier scope=chip id=5", "02 00 00 0b 00 00 00 00 00 00 00 00 00 00 00 00", Engine::ctl},
    // wait=mxu0 is engine 2 (0x04), signal=dma1 engine 1 (0x02). dtype fp32 = 5 in bits 24-27;
    // dst 0x100 from bit 28: bit 36 (byte 4 = 0x10); src 0x200 from bit 52: bit 61 (byte 7 = 0x20);
    // len 16 is stored as 15 in bits 76-95: byte 9's high nibble.
    {"vexp dtype=fp32 dst=0x100 src=0x200 len=16 wait=mxu0 signal=dma1",
     "38 04 02 05 10 00 00 20 00 f0 00 00 00 00 00 00", Engine::vpu},
    // q=1: bit 24. src hbm:0x1000 from bit 25: bit 37 (byte 4 = 0x20). dst rvmem:0x40 from bit 68:
    // address bit 6 -> bit 74 (byte 9 = 0x04), space 4 in the field's bits 40-42 -> bit 110 (byte 13
    // bit 6). core 3 from bit 111: bits 111 (byte 13 bit 7) and 112 (byte 14 bit 0).
    {"dma.copy q=1 src=hbm:0x1000 dst=rvmem:0x40 core=3", "13 00 00 01 20 00 00 00 00 04 00 00 00 c0 01 00",
     Engine::dma1},
    // unit=3: bits 24-25 (byte 3 = 0x03). slot=1: bit 26 (0x04). dtype int8 = 0 in bits 27-30. src
    // 0x10 from bit 31: bit 35 (byte 4 = 0x08). m=2 stored as 1 from bit 55: byte 6 bit 7 (0x80).
    // stride 0x80 from bit 71: bit 78 (byte 9 = 0x40). acc 1 from bit 95: byte 11 bit 7 (0x80).
    // accumulate from bit 111: byte 13 bit 7 (0x80).
    {"mxu.mm unit=3 slot=1 dtype=int8 src=0x10 m=2 stride=0x80 acc=1 accumulate=1",
     "21 00 00 07 08 00 80 00 00 40 00 80 00 80 00 00", Engine::mxu3},
    // 0.5 is 0x3f000000; imm is bits 96-127, so bytes 12-15 hold it little-endian.
    {"vmuls dtype=fp32 dst=0x0 src=0x0 len=1 imm=0.5", "41 00 00 05 00 00 00 00 00 00 00 00 00 00 00 3f", Engine::vpu},
};

TEST(IsaEncoding, WorkedOutByHand) {
  for (const HandEncoding& c : kHandEncodings) {
    const Instruction instruction = assembled_one(c.text);
    EXPECT_EQ(hex_of(encode(instruction)), c.bytes) << c.text;
    EXPECT_EQ(engine_of(instruction), c.engine) << c.text;
    // Each text gives every field in table order, so it is its own canonical form.
    EXPECT_EQ(disassemble(instruction), c.text);
  }
  EXPECT_EQ(used_bits(info(Opcode::dma_copy)), 119);
}

TEST(IsaAssembler, FieldsLeftOutTakeTheirLeastAllowedValue) {
  EXPECT_EQ(disassemble(assembled_one("vexp")), "vexp dtype=bf16 dst=0x0 src=0x0 len=1");
  EXPECT_EQ(disassemble(assembled_one("vquant")), "vquant from=bf16 to=int8 dst=0x0 src=0x0 scale=0x0 len=1");
  EXPECT_EQ(disassemble(assembled_one("dma.copy")), "dma.copy q=0 src=hbm:0x0 dst=hbm:0x0 core=0");
}

// Every opcode, every field at its least value and at its greatest, every token bit allowed.
Program extremes_program() {
  CoreCode low{0, {}}, high{255, {}};
  for (const OpcodeInfo& op : opcodes()) {
    if (op.opcode == Opcode::halt) continue;
    Instruction lo, hi;
    lo.opcode = hi.opcode = op.opcode;
    for (std::size_t i = 0; i < op.fields.size(); ++i) {
      const FieldInfo& f = op.fields[i];
      std::uint64_t min = f.bias, max = f.bias + ((std::uint64_t{1} << f.width) - 1);
      if (f.kind == FieldKind::dtype) {
        const std::uint32_t allowed = f.allowed == 0 ? (1u << kDTypeCount) - 1 : f.allowed;
        min = static_cast<std::uint64_t>(std::countr_zero(allowed));
        max = static_cast<std::uint64_t>(31 - std::countl_zero(allowed));
      }
      if (f.kind == FieldKind::memory) max = (std::uint64_t{4} << 40) | ((std::uint64_t{1} << 40) - 1);
      lo.fields[i] = min;
      hi.fields[i] = max;
    }
    if (engine_of(hi) != Engine::ctl) {
      const auto own = static_cast<std::uint8_t>(1u << static_cast<int>(engine_of(hi)));
      hi.wait = hi.signal = static_cast<std::uint8_t>(0x7f & ~own);
    }
    EXPECT_EQ(check_instruction(lo), "") << op.mnemonic;
    EXPECT_EQ(check_instruction(hi), "") << op.mnemonic;
    low.code.push_back(lo);
    high.code.push_back(hi);
  }
  Instruction halt;
  halt.opcode = Opcode::halt;
  low.code.push_back(halt);
  high.code.push_back(halt);
  Program program;
  program.cores = {low, high};
  program.constants = {0x00, 0x00, 0x80, 0x3f, 0xff};
  program.tensors = {{"a", DType::int8, Space::hbm, (std::uint64_t{1} << 40) - 1, {1}},
                     {"k", DType::fp32, Space::konst, 0, {1}},
                     {"v_9", DType::bf16, Space::vmem, 0, {2, 3, 4, 5, 6, 7, 8, 9}}};
  return program;
}

TEST(IsaRoundTrip, EveryOpcodeAtItsExtremes) {
  const Program program = extremes_program();
  ASSERT_EQ(check_program(program), "");
  EXPECT_EQ(program.cores[0].code.size(), opcodes().size());
  const std::string bytes = write_xbin(program);
  const Expected<Program> read = read_xbin(bytes, "t.xbin");
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  EXPECT_EQ(*read, program);
  // Binary -> text -> binary, bit for bit.
  const std::string text = disassemble(program);
  const Expected<Program> again = assemble(text, "t.s");
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(*again, program);
  EXPECT_EQ(write_xbin(*again), bytes);
  // The canonical text is a fixed point.
  EXPECT_EQ(disassemble(*again), text);
  // A NaN immediate keeps its bits through the text.
  EXPECT_NE(text.find("imm=0xffffffff"), std::string::npos);
}

TEST(IsaRoundTrip, TextBecomesCanonical) {
  const Expected<Program> program = assemble(
      "# comment\n"
      ".tensor t dtype=fp32 shape=4 level=vmem addr=0x40\n"
      ".const c dtype=bf16 shape=2 values=1,-2.5\n"
      "  vadds  dtype=fp32 dst=t+4 src=t len=0x4 imm=1.50   signal=vpu,mxu0  # trailing comment\r\n"
      "\n"
      ".core 2\n"
      "dma.copy src=c dst=t\n"
      "halt\n"
      ".core 0\n"
      "halt\n",
      "t.s");
  // signal=vpu is the vpu's own engine.
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.error().to_string(), "t.s:4:54: error: signal mask names vpu, the instruction's own engine");
  const Expected<Program> fixed = assemble(
      ".tensor t dtype=fp32 shape=4 level=vmem addr=0x40\n"
      ".const c dtype=bf16 shape=2 values=1,-2.5\n"
      "  vadds  dtype=fp32 dst=t+4 src=t len=0x4 imm=1.50   signal=mxu0  # trailing comment\r\n"
      "halt\n"
      ".core 2\n"
      "dma.copy src=c dst=t\n"
      "halt\n",
      "t.s");
  ASSERT_TRUE(fixed.ok()) << fixed.error().to_string();
  // bf16 1.0 = 0x3f80, -2.5 = 0xc020, little-endian.
  EXPECT_EQ(disassemble(*fixed),
            ".tensor t dtype=fp32 shape=4 level=vmem addr=0x40\n"
            ".tensor c dtype=bf16 shape=2 level=const addr=0x0\n"
            ".bytes 803f20c0\n"
            ".core 0\n"
            "vadds dtype=fp32 dst=0x44 src=0x40 len=4 imm=1.5 signal=mxu0\n"
            "halt\n"
            ".core 2\n"
            "dma.copy q=0 src=const:0x0 dst=vmem:0x40 core=0\n"
            "halt\n");
}

TEST(IsaDecode, RejectsUndefinedOpcodesReservedBitsAndBadCodes) {
  auto decode_error = [](const Word& word) {
    std::string error;
    return decode(word, error) ? std::string("(decoded)") : error;
  };
  Word word{};
  EXPECT_EQ(decode_error(word), "undefined opcode 0x0");
  word[0] = 0x03;
  word[15] = 0x01;
  EXPECT_EQ(decode_error(word), "reserved bit 120 is set (halt uses bits 0-23)");
  word = encode(assembled_one("vexp dtype=fp32 len=1"));
  word[3] = 0x09;  // dtype code 9
  EXPECT_EQ(decode_error(word), "field dtype: undefined dtype code 9");
  word[3] = 0x00;  // int8 is a dtype, but not one vexp takes
  EXPECT_EQ(decode_error(word), "field dtype: int8 is not allowed here (allowed: bf16, fp16, fp32)");
  word[3] = 0x05;
  word[1] = 0x80;
  EXPECT_EQ(decode_error(word), "wait mask bit 7 is reserved");
  word[1] = 0x00;
  word[2] = 0x40;  // vpu to itself
  EXPECT_EQ(decode_error(word), "signal mask names vpu, the instruction's own engine");
  word = encode(assembled_one("nop"));
  word[1] = 0x01;
  EXPECT_EQ(decode_error(word), "nop takes no tokens (wait mask 0x1)");
  // dst=const: the space code 3 in dma.copy's dst field (bits 68-110; the space is bits 108-110).
  word = encode(assembled_one("dma.copy src=hbm:0x0 dst=hbm:0x0"));
  word[13] = 0x30;  // bits 108 and 109: space 3
  EXPECT_EQ(decode_error(word), "field dst: const is read-only");
  word[13] = 0x50;  // bits 108 and 110: space 5
  EXPECT_EQ(decode_error(word), "field dst: undefined memory space code 5");
}

// A one-core program of a single halt: header (32 bytes), one section entry (24), padding to 64,
// then the code.
std::string tiny_xbin() {
  Program program;
  Instruction halt;
  halt.opcode = Opcode::halt;
  program.cores = {{0, {halt}}};
  return write_xbin(program);
}

void fix_checksum(std::string& bytes) {
  const std::uint32_t crc = crc32(std::string_view(bytes).substr(kXbinHeaderBytes));
  for (int i = 0; i < 4; ++i) bytes[12 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
}

// `bytes` with one byte changed and the checksum made to match again.
std::string patched(std::string bytes, std::size_t at, int value) {
  bytes[at] = static_cast<char>(value);
  fix_checksum(bytes);
  return bytes;
}

std::string read_error(const std::string& bytes) {
  const Expected<Program> program = read_xbin(bytes, "t.xbin");
  return program.ok() ? "(read)" : program.error().to_string();
}

TEST(Xbin, LayoutOfTheSmallestProgram) {
  const std::string bytes = tiny_xbin();
  ASSERT_EQ(bytes.size(), 80u);
  EXPECT_EQ(bytes.substr(0, 4), "XBIN");
  EXPECT_EQ(bytes[4], 1);    // version
  EXPECT_EQ(bytes[6], 32);   // header bytes
  EXPECT_EQ(bytes[8], 1);    // sections
  EXPECT_EQ(bytes[16], 80);  // file bytes
  EXPECT_EQ(bytes[32], 1);   // section 0: code
  EXPECT_EQ(bytes[40], 64);  // at byte 64
  EXPECT_EQ(bytes[48], 16);  // 16 bytes long
  EXPECT_EQ(bytes[64], 3);   // halt
  // CRC-32 check value of "123456789" (the standard's test vector).
  EXPECT_EQ(crc32("123456789"), 0xcbf43926u);
}

TEST(Xbin, MalformedFilesSayWhereAndWhy) {
  const std::string good = tiny_xbin();
  const std::string e = "t.xbin: error: at byte ";
  EXPECT_EQ(read_error(good.substr(0, 20)),
            e + "0: the file is 20 bytes, shorter than the 32-byte header (truncated?)");
  EXPECT_EQ(read_error(good.substr(0, 70)), e + "16: the header says the file is 80 bytes, but it is 70 (truncated)");
  std::string bad = good;
  bad[3] = 'M';
  EXPECT_EQ(read_error(bad), e + "0: bad magic 'XBIM' (an .xbin file starts with 'XBIN')");
  bad = good;
  bad[4] = 2;
  EXPECT_EQ(read_error(bad), e + "4: version 2 is not supported (this reader reads version 1)");
  bad = good;
  bad[64] = 0x04;
  EXPECT_EQ(read_error(bad), e + "12: checksum 0x9ed68628 does not match the contents (0x632f7e5d)");
  // From here on the checksum is made to match, so the reader looks further.
  // The code section claims 32 bytes from byte 64: past the end.
  EXPECT_EQ(read_error(patched(good, 48, 32)),
            e + "40: section 0 (code): bytes 64..64+32 are not inside the file after the section table (bytes 56..80)");
  EXPECT_EQ(read_error(patched(good, 64, 0xff)), e + "64: core 0, instruction 0: undefined opcode 0xff");
  EXPECT_EQ(read_error(patched(good, 79, 0x10)),
            e + "64: core 0, instruction 0: reserved bit 124 is set (halt uses bits 0-23)");
  // A nop in place of the halt.
  EXPECT_EQ(read_error(patched(good, 64, 0x01)), e + "64: core 0: the code does not end with halt");
  EXPECT_EQ(read_error(patched(good, 48, 12)), e + "48: code section of core 0 is 12 bytes, not a multiple of 16");
  EXPECT_EQ(read_error(patched(good, 32, 9)),
            e + "32: section 0 (kind 9): undefined section kind (code 1, constants 2, tensors 3)");
  EXPECT_EQ(read_error(patched(good, 8, 0)), e + "8: the file has no code section");
}

TEST(Xbin, MalformedTensorTables) {
  Program program = extremes_program();
  program.tensors = {{"x", DType::fp32, Space::hbm, 0, {4}}};
  std::string bytes = write_xbin(program);
  // The tensors section is the last; its one entry starts with name_len 1, dtype 5, level 0, rank 1.
  const std::size_t at = bytes.rfind(std::string("\x01\x05\x00\x01", 4));
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(read_error(patched(bytes, at + 2, 7)),
            "t.xbin: error: at byte " + std::to_string(at + 2) +
                ": tensor 0: undefined level code 7 (hbm 0, cmem 1, vmem 2, const 3)");
  // Rank 9: the entry now runs past the section.
  EXPECT_EQ(read_error(patched(bytes, at + 3, 9)),
            "t.xbin: error: at byte " + std::to_string(at) +
                ": tensor 0: the entry runs past the end of the tensors section");
}

// Assembly text and the one error it gives.
constexpr std::pair<const char*, const char*> kAssemblyErrors[] = {
    {"nop\nvexpp dtype=fp32\nhalt\n", "t.s:2:1: error: unknown instruction 'vexpp' (did you mean 'vexp'?)"},
    {"vexp lenn=4\n", "t.s:1:6: error: vexp has no field 'lenn' (did you mean 'len'?)"},
    {"vexp len=0\n", "t.s:1:10: error: field len: 0 is out of range 1..1048576"},
    {"vexp dtype=int8\n", "t.s:1:12: error: field dtype: int8 is not allowed here (allowed: bf16, fp16, fp32)"},
    {"mxu.mm unit=4\n", "t.s:1:13: error: field unit: 4 is out of range 0..3"},
    {"dma.copy dst=const:0x0\n", "t.s:1:14: error: field dst: const is read-only"},
    {"dma.copy src=hbm:0x10000000000\n",
     "t.s:1:14: error: field src: address 0x10000000000 is past the 40-bit address range"},
    {"vexp src=x\n", "t.s:1:10: error: unknown tensor 'x' (declare it with .tensor or .const before its use)"},
    {".tensor x dtype=fp32 shape=4 level=hbm\nvexp src=x\n",
     "t.s:2:10: error: field src: tensor 'x' is in hbm, not vmem"},
    {"nop signal=vpu\nhalt\n", "t.s:1:5: error: nop takes no tokens (signal mask 0x40)"},
    {"vexp wait=dma0,gpu\nhalt\n", "t.s:1:16: error: unknown engine 'gpu' (dma0, dma1, mxu0, mxu1, mxu2, mxu3, vpu)"},
    {"vexp len=4 len=5\n", "t.s:1:12: error: 'len' is given twice"},
    {"halt\nnop\n", "t.s:2:1: error: core 0: an instruction after halt never runs"},
    {"nop\n", "t.s:1:1: error: core 0: the code does not end with halt"},
    {"# nothing\n", "t.s: error: the program has no instructions"},
    {".core 256\n", "t.s:1:7: error: core '256' is not a core index 0..255"},
    {".tensor k dtype=fp32 shape=2 level=const\nhalt\n",
     "t.s:1:1: error: tensor 'k': ends past the end of const (the constants are 0 bytes)"},
    {".const k dtype=int8 shape=2 values=1,128\nhalt\n", "t.s:1:38: error: value '128' is not a int8 (-128..127)"},
    {"vmuls imm=1e39\nhalt\n",
     "t.s:1:11: error: field imm: '1e39' is not a finite binary32 number (write other values as 0x bits)"},
};

TEST(IsaAssembler, ErrorsAreLocated) {
  EXPECT_EQ(assembly_error(std::string("halt\nnop \0\n", 10)), "t.s:2:5: error: a NUL byte: this is not assembly text");
  EXPECT_EQ(assembly_error("# caf\xc3\xa9 is fine in a comment\nhalt # \xff\n"),
            "t.s:2:8: error: invalid UTF-8: this is not assembly text");
  for (const auto& [text, message] : kAssemblyErrors) EXPECT_EQ(assembly_error(text), message) << text;
  // Every bad line is reported, not only the first.
  const Expected<Program> two = assemble("vexp len=0\nvexp len=0\nhalt\n", "t.s");
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error().diagnostics().error_count(), 2u);
}

// The example under examples/isa assembles, and its canonical text reads back to the same bytes.
TEST(IsaRoundTrip, TheExampleProgram) {
  std::ifstream in(XPUSIM_SOURCE_DIR "/examples/isa/matmul-gelu.s");
  std::stringstream text;
  text << in.rdbuf();
  const Expected<Program> program = assemble(text.str(), "matmul-gelu.s");
  ASSERT_TRUE(program.ok()) << program.error().to_string();
  EXPECT_EQ(program->cores[0].code.size(), 15u);
  const Expected<Program> again = assemble(disassemble(*program), "again.s");
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(write_xbin(*again), write_xbin(*program));
}

// docs/isa.md's table of opcodes and bit layouts is this table, written out by the code.
TEST(IsaDocs, LayoutTableMatchesTheCode) {
  std::string table;
  for (const OpcodeInfo& op : opcodes()) {
    char code[8];
    std::snprintf(code, sizeof code, "0x%02x", static_cast<unsigned>(op.opcode));
    std::string engine(engine_name(op.engine));
    if (op.engine == Engine::dma0) engine = "dma0 + q";
    if (op.engine == Engine::mxu0) engine = "mxu0 + unit";
    std::string fields;
    int lsb = kOperandLsb;
    for (const FieldInfo& f : op.fields) {
      if (!fields.empty()) fields += ", ";
      fields += std::string(f.name) + " " + std::to_string(lsb);
      if (f.width > 1) fields += "-" + std::to_string(lsb + f.width - 1);
      lsb += f.width;
    }
    table += "| " + std::string(code) + " | `" + std::string(op.mnemonic) + "` | " + engine + " | " +
             (fields.empty() ? "none" : fields) + " | " + (lsb == 128 ? "none" : std::to_string(lsb) + "-127") + " |\n";
  }
  std::ifstream in(XPUSIM_SOURCE_DIR "/docs/isa.md");
  std::stringstream doc;
  doc << in.rdbuf();
  const std::string text = doc.str();
  const std::string begin = "<!-- layout table begin -->\n", end = "<!-- layout table end -->";
  const std::size_t from = text.find(begin), to = text.find(end);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  const std::string rows = text.substr(from + begin.size(), to - from - begin.size());
  const std::string header =
      "| opcode | mnemonic | engine | fields (bits, from bit 24) | reserved |\n|---|---|---|---|---|\n";
  EXPECT_EQ(rows, header + table);
}

}  // namespace
}  // namespace xpusim::isa
