// Checks of a compiled program read back from its instructions: what it does (MACs, HBM bytes,
// instructions per engine) and whether its dependency tokens are sound (docs/isa.md's counters).
#include <cstdio>
#include <string>
#include <vector>

#include "compiler/compiler.h"

namespace xpusim::compiler {
namespace {

constexpr int kEngines = isa::kTokenEngines;
constexpr std::uint64_t kAddressBits = 40;
constexpr int kMaxCounter = 255;

isa::Space space_of(std::uint64_t memory) {
  return static_cast<isa::Space>(memory >> kAddressBits);
}

std::string engine_text(int e) {
  return std::string(isa::engine_name(static_cast<isa::Engine>(e)));
}

// One core's code cut at its barriers: each segment's instructions run once the front end reaches them,
// and the barrier (or halt) that ends it drains the core.
struct Segment {
  std::size_t begin = 0, end = 0;  // code indices, end at the barrier or halt
  bool chip = false;               // ends at a chip barrier
  bool halt = false;
  std::uint64_t id = 0;
};

std::vector<Segment> segments_of(const std::vector<isa::Instruction>& code) {
  std::vector<Segment> out;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < code.size(); ++i) {
    const isa::Opcode op = code[i].opcode;
    if (op != isa::Opcode::barrier && op != isa::Opcode::halt) continue;
    Segment s;
    s.begin = begin;
    s.end = i;
    s.halt = op == isa::Opcode::halt;
    if (!s.halt) {
      s.chip = code[i].field("scope") == 1;
      s.id = code[i].field("id");
    }
    out.push_back(s);
    begin = i + 1;
  }
  return out;
}

struct CoreState {
  const isa::CoreCode* core = nullptr;
  std::vector<Segment> segments;
  std::size_t segment = 0;
  int counters[kEngines][kEngines] = {};
};

// Runs one segment until every engine has drained it; "" or why it cannot.
std::string run_segment(CoreState& state) {
  const Segment& s = state.segments[state.segment];
  const auto& code = state.core->code;
  std::vector<std::size_t> queue[kEngines];
  for (std::size_t i = s.begin; i < s.end; ++i) {
    const isa::Engine e = isa::engine_of(code[i]);
    if (e == isa::Engine::ctl) continue;
    queue[static_cast<int>(e)].push_back(i);
  }
  std::size_t next[kEngines] = {};
  bool progress = true;
  while (progress) {
    progress = false;
    for (int e = 0; e < kEngines; ++e) {
      while (next[e] < queue[e].size()) {
        const isa::Instruction& ins = code[queue[e][next[e]]];
        bool ready = true;
        for (int p = 0; p < kEngines; ++p)
          if ((ins.wait >> p & 1) && state.counters[p][e] < 1) ready = false;
        if (!ready) break;
        for (int p = 0; p < kEngines; ++p)
          if (ins.wait >> p & 1) --state.counters[p][e];
        for (int q = 0; q < kEngines; ++q)
          if ((ins.signal >> q & 1) && ++state.counters[e][q] > kMaxCounter)
            return "core " + std::to_string(state.core->core) + ", code index " + std::to_string(queue[e][next[e]]) +
                   ": counter (" + engine_text(e) + ", " + engine_text(q) + ") passes " + std::to_string(kMaxCounter);
        ++next[e];
        progress = true;
      }
    }
  }
  // Report the root of the deadlock: a wait for an engine with nothing left to run, else the first.
  int stuck = -1;
  for (int e = 0; e < kEngines && stuck < 0; ++e) {
    if (next[e] == queue[e].size()) continue;
    for (int p = 0; p < kEngines; ++p)
      if ((code[queue[e][next[e]]].wait >> p & 1) && state.counters[p][e] < 1 && next[p] == queue[p].size()) stuck = e;
  }
  for (int e = 0; e < kEngines && stuck < 0; ++e)
    if (next[e] < queue[e].size()) stuck = e;
  if (stuck >= 0) {
    const int e = stuck;
    const std::size_t at = queue[e][next[e]];
    std::string missing;
    for (int p = 0; p < kEngines; ++p)
      if ((code[at].wait >> p & 1) && state.counters[p][e] < 1) missing += (missing.empty() ? "" : ", ") + engine_text(p);
    return "core " + std::to_string(state.core->core) + ", " + engine_text(e) + " instruction " +
           std::to_string(next[e]) + " of its segment (code index " + std::to_string(at) + ") waits for " + missing +
           " forever";
  }
  return {};
}

}  // namespace

ProgramStats program_stats(const isa::Program& program) {
  ProgramStats stats;
  for (const isa::CoreCode& core : program.cores) {
    std::uint64_t box[2] = {1, 1};  // elements x esize of each queue's shape
    std::uint64_t slot_k[4][2] = {}, slot_n[4][2] = {};
    for (const isa::Instruction& ins : core.code) {
      const auto e = static_cast<std::size_t>(isa::engine_of(ins));
      ++stats.engine_instructions[e == static_cast<std::size_t>(isa::Engine::ctl) ? 7 : e];
      switch (ins.opcode) {
        case isa::Opcode::dma_size:
          box[ins.field("q")] = ins.field("n0") * ins.field("n1") * ins.field("n2") * (std::uint64_t{1} << ins.field("esize"));
          break;
        case isa::Opcode::dma_copy: {
          const auto bytes = static_cast<double>(box[ins.field("q")]);
          stats.dma_bytes += bytes;
          if (space_of(ins.field("src")) == isa::Space::hbm) stats.hbm_bytes += bytes;
          if (space_of(ins.field("dst")) == isa::Space::hbm) stats.hbm_bytes += bytes;
          break;
        }
        case isa::Opcode::mxu_ldw:
          slot_k[ins.field("unit")][ins.field("slot")] = ins.field("k");
          slot_n[ins.field("unit")][ins.field("slot")] = ins.field("n");
          break;
        case isa::Opcode::mxu_mm: {
          const auto u = ins.field("unit"), s = ins.field("slot");
          stats.mxu_macs += static_cast<double>(ins.field("m")) * static_cast<double>(slot_k[u][s]) *
                            static_cast<double>(slot_n[u][s]);
          break;
        }
        default:
          break;
      }
    }
  }
  return stats;
}

std::string verify_tokens(const isa::Program& program) {
  std::vector<CoreState> cores(program.cores.size());
  for (std::size_t i = 0; i < cores.size(); ++i) {
    cores[i].core = &program.cores[i];
    cores[i].segments = segments_of(program.cores[i].code);
    if (cores[i].segments.empty() || !cores[i].segments.back().halt)
      return "core " + std::to_string(program.cores[i].core) + " does not end with halt";
  }
  for (;;) {
    // Every core runs to its next chip barrier or its halt.
    for (CoreState& c : cores) {
      for (;;) {
        if (std::string error = run_segment(c); !error.empty()) return error;
        const Segment& s = c.segments[c.segment];
        if (s.halt || s.chip) break;
        ++c.segment;
      }
    }
    const Segment& first = cores[0].segments[cores[0].segment];
    for (const CoreState& c : cores) {
      const Segment& s = c.segments[c.segment];
      if (s.halt != first.halt || s.id != first.id)
        return "core " + std::to_string(c.core->core) + " reaches " +
               (s.halt ? std::string("halt") : "chip barrier " + std::to_string(s.id)) + " while core " +
               std::to_string(cores[0].core->core) + " reaches " +
               (first.halt ? std::string("halt") : "chip barrier " + std::to_string(first.id));
    }
    if (first.halt) break;
    for (CoreState& c : cores) ++c.segment;
  }
  for (const CoreState& c : cores)
    for (int p = 0; p < kEngines; ++p)
      for (int q = 0; q < kEngines; ++q)
        if (c.counters[p][q] != 0)
          return "core " + std::to_string(c.core->core) + " ends with " + std::to_string(c.counters[p][q]) +
                 " token(s) from " + engine_text(p) + " to " + engine_text(q) + " never waited for";
  return {};
}

}  // namespace xpusim::compiler
