// The XPU's assembly text (docs/isa.md): one instruction or directive per line, `key=value` operands,
// `#` comments, tensors and constants by name. disassemble() writes the canonical text, which
// assemble() reads back into the same program, bit for bit.
#pragma once

#include <string>
#include <string_view>

#include "isa/program.h"
#include "support/expected.h"

namespace xpusim::isa {

// The program that `text` describes. Every problem is a diagnostic at `file`:line:col; assembly
// continues past a bad line to report the others.
Expected<Program> assemble(std::string_view text, const std::string& file);

// The canonical text of a valid program: its tensors (.tensor), its constants (.bytes, 32 per line),
// then each core's code (.core N, then one instruction per line with every field written).
std::string disassemble(const Program& program);

// A field's value as the assembly writes it: "0x1000", "bf16", "hbm:0x40", "0.125".
std::string field_text(const FieldInfo& field, std::uint64_t value);

// One instruction's canonical text, e.g. "vexp dtype=fp32 dst=0x0 src=0x0 len=1".
std::string disassemble(const Instruction& instruction);

}  // namespace xpusim::isa
