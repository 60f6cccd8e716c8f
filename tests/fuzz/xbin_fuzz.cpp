// libFuzzer target: any bytes given to the .xbin reader or to the assembler must come back as a program
// or as an error, never as a crash, a hang, a sanitizer report or an uncaught exception; and whatever
// is accepted must survive the round trips (write and read again; disassemble and assemble again)
// unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "isa/assembler.h"
#include "isa/program.h"

namespace {

void round_trip(const xpusim::isa::Program& program) {
  const std::string bytes = xpusim::isa::write_xbin(program);
  const xpusim::Expected<xpusim::isa::Program> read = xpusim::isa::read_xbin(bytes, "again.xbin");
  if (!read.ok() || !(*read == program)) std::abort();
  const xpusim::Expected<xpusim::isa::Program> text =
      xpusim::isa::assemble(xpusim::isa::disassemble(program), "again.s");
  if (!text.ok() || !(*text == program)) std::abort();
}

void read(const std::string& bytes) {
  const xpusim::Expected<xpusim::isa::Program> program = xpusim::isa::read_xbin(bytes, "fuzz.xbin");
  if (program.ok()) round_trip(*program);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  read(bytes);
  // With the stated size and the checksum repaired, mutations reach the sections and the code.
  if (bytes.size() >= xpusim::isa::kXbinHeaderBytes) {
    const std::uint64_t file_bytes = bytes.size();
    for (int i = 0; i < 8; ++i) bytes[16 + i] = static_cast<char>((file_bytes >> (8 * i)) & 0xff);
    const std::uint32_t crc = xpusim::isa::crc32(std::string_view(bytes).substr(xpusim::isa::kXbinHeaderBytes));
    for (int i = 0; i < 4; ++i) bytes[12 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
    read(bytes);
  }
  // The same bytes as assembly text.
  const xpusim::Expected<xpusim::isa::Program> text =
      xpusim::isa::assemble(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.s");
  if (text.ok()) round_trip(*text);
  return 0;
}
