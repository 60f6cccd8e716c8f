#include "isa_command.h"

#include <cstdio>
#include <memory>
#include <string>

#include "isa/assembler.h"
#include "isa/program.h"
#include "support/input_file.h"
#include "support/text.h"

namespace xpusim::cli {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::size_t kMaxAssemblyBytes = std::size_t{64} << 20;

// Both commands take one input file, an optional output file and --json.
struct FileArgs {
  std::string input, output;
  bool json = false;
};

std::size_t instruction_count(const isa::Program& program) {
  std::size_t n = 0;
  for (const isa::CoreCode& core : program.cores) n += core.code.size();
  return n;
}

bool write_output(const std::string& path, const std::string& content) {
  std::string error;
  if (write_file_atomically(path, content, error)) return true;
  std::fprintf(stderr, "%s: error: cannot write: %s\n", path.c_str(), error.c_str());
  return false;
}

int run_asm(const FileArgs& args) {
  const Expected<std::string> text = read_input_file(args.input, kMaxAssemblyBytes, args.input, "assembly file");
  if (!text) {
    print_diagnostics(text.error().diagnostics());
    return kExitBadInput;
  }
  const Expected<isa::Program> program = isa::assemble(*text, args.input);
  if (!program) {
    print_diagnostics(program.error().diagnostics());
    return kExitBadInput;
  }
  const std::string bytes = isa::write_xbin(*program);
  if (!args.output.empty() && !write_output(args.output, bytes)) return kExitBadInput;
  const std::size_t instructions = instruction_count(*program);
  if (args.json) {
    Json out;
    out["input"] = args.input;
    out["output"] = args.output.empty() ? Json(nullptr) : Json(args.output);
    out["cores"] = program->cores.size();
    out["instructions"] = instructions;
    out["constant_bytes"] = program->constants.size();
    out["tensors"] = program->tensors.size();
    out["xbin_bytes"] = bytes.size();
    print_json(out);
    return kExitOk;
  }
  std::printf("%s: %s, %s, %s, %s; %s %s\n", args.input.c_str(),
              count_noun(static_cast<long long>(program->cores.size()), "core", "cores").c_str(),
              count_noun(static_cast<long long>(instructions), "instruction", "instructions").c_str(),
              count_noun(static_cast<long long>(program->constants.size()), "constant byte", "constant bytes").c_str(),
              count_noun(static_cast<long long>(program->tensors.size()), "tensor", "tensors").c_str(),
              count_noun(static_cast<long long>(bytes.size()), "byte", "bytes").c_str(),
              args.output.empty() ? "of .xbin (checked only: no -o)" : ("written to " + args.output).c_str());
  return kExitOk;
}

Json engines_json(std::uint8_t mask) {
  Json out = Json::array();
  for (int e = 0; e < isa::kTokenEngines; ++e)
    if (mask & (1u << e)) out.push_back(std::string(isa::engine_name(static_cast<isa::Engine>(e))));
  return out;
}

Json program_json(const isa::Program& program) {
  Json out;
  out["version"] = isa::kXbinVersion;
  Json tensors = Json::array();
  for (const isa::Tensor& t : program.tensors) {
    Json item;
    item["name"] = t.name;
    item["dtype"] = std::string(isa::dtype_name(t.dtype));
    item["shape"] = t.shape;
    item["level"] = std::string(isa::space_name(t.level));
    item["address"] = t.address;
    item["bytes"] = isa::tensor_bytes(t);
    tensors.push_back(item);
  }
  out["tensors"] = tensors;
  out["constant_bytes"] = program.constants.size();
  Json cores = Json::array();
  for (const isa::CoreCode& core : program.cores) {
    Json code = Json::array();
    for (const isa::Instruction& instruction : core.code) {
      const isa::OpcodeInfo& op = isa::info(instruction.opcode);
      const isa::Word word = isa::encode(instruction);
      std::string hex;
      for (std::uint8_t byte : word) {
        char digits[3];
        std::snprintf(digits, sizeof digits, "%02x", byte);
        hex += digits;
      }
      Json fields = Json::object();
      for (std::size_t i = 0; i < op.fields.size(); ++i)
        fields[std::string(op.fields[i].name)] = isa::field_text(op.fields[i], instruction.fields[i]);
      Json item;
      item["text"] = isa::disassemble(instruction);
      item["opcode"] = std::string(op.mnemonic);
      item["engine"] = std::string(isa::engine_name(isa::engine_of(instruction)));
      item["wait"] = engines_json(instruction.wait);
      item["signal"] = engines_json(instruction.signal);
      item["fields"] = fields;
      item["word"] = hex;
      code.push_back(item);
    }
    Json item;
    item["core"] = core.core;
    item["instructions"] = code;
    cores.push_back(item);
  }
  out["cores"] = cores;
  return out;
}

int run_disasm(const FileArgs& args) {
  const Expected<isa::Program> program = isa::read_xbin_file(args.input, args.input);
  if (!program) {
    print_diagnostics(program.error().diagnostics());
    return kExitBadInput;
  }
  const std::string text = isa::disassemble(*program);
  if (!args.output.empty() && !write_output(args.output, text)) return kExitBadInput;
  if (args.json) {
    print_json(program_json(*program));
  } else if (args.output.empty()) {
    std::fputs(text.c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace

void add_isa_commands(CLI::App& app, const Context& context, int& exit_code) {
  auto asm_args = std::make_shared<FileArgs>();
  CLI::App* assemble = app.add_subcommand("asm", "Assemble XPU assembly text into an .xbin program (docs/isa.md)");
  assemble->add_option("input", asm_args->input, "Assembly text (.s)")->required();
  assemble->add_option("-o,--output", asm_args->output, "The .xbin to write (without it, the text is only checked)");
  assemble->add_flag("--json", asm_args->json, "Print a JSON summary");
  assemble->callback([&, asm_args] { exit_code = context.parse_only ? kExitOk : run_asm(*asm_args); });

  auto disasm_args = std::make_shared<FileArgs>();
  CLI::App* disassemble = app.add_subcommand("disasm", "Disassemble an .xbin program into canonical assembly text");
  disassemble->add_option("input", disasm_args->input, "The .xbin program")->required();
  disassemble->add_option("-o,--output", disasm_args->output, "Write the text to this file instead of stdout");
  disassemble->add_flag("--json", disasm_args->json, "Print the program as JSON");
  disassemble->callback([&, disasm_args] { exit_code = context.parse_only ? kExitOk : run_disasm(*disasm_args); });
}

}  // namespace xpusim::cli
