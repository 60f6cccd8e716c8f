// One core's instruction stream as the scheduler builds it: instructions are appended in program order,
// and every VMEM buffer they read or write is named, so that the emitter adds exactly the dependency
// tokens that order the engines (docs/compiler.md, "Scheduling").
//
// Algorithm, for a new instruction on engine c:
//   1. For each other engine p, take the latest instruction of p that c must follow: the last writers of
//      what c reads (read after write), and the last readers and writers of what c writes (write after
//      read, write after write; a partial write, to disjoint columns, skips the writers).
//   2. If c has already waited for that instruction or a later one of p, nothing is needed (engines run
//      their queues in order). Otherwise that instruction signals c and the new one waits for p.
// Since every signal added on (p, c) sits on a later instruction of p than the one before it, and every
// wait is the latest of c, the n-th wait pairs with the n-th signal as docs/isa.md requires, and every
// token added is consumed.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "isa/isa.h"

namespace xpusim::compiler::detail {

inline std::uint64_t memory_operand(isa::Space space, std::uint64_t address) {
  return static_cast<std::uint64_t>(space) << 40 | address;
}

// A DMA box (docs/isa.md, dma.size / dma.sstride / dma.dstride); strides in bytes.
struct Box {
  std::uint64_t n0 = 1, n1 = 1, n2 = 1;
  int esize = 1;  // bytes: 1, 2, 4 or 8
  bool transpose = false;
  std::uint64_t ss1 = 0, ss2 = 0, ds1 = 0, ds2 = 0;
};

class CoreEmitter {
 public:
  explicit CoreEmitter(std::uint32_t core);

  std::uint32_t core() const { return core_; }
  const std::vector<isa::Instruction>& code() const { return code_; }
  std::vector<isa::Instruction> take_code() { return std::move(code_); }
  double macs() const { return macs_; }
  double hbm_bytes() const { return hbm_bytes_; }

  // Starts a kernel whose VMEM buffers are numbered 0..buffers-1.
  void begin_kernel(std::size_t buffers);

  using Ids = std::initializer_list<int>;
  void emit(isa::Instruction ins, Ids reads, Ids writes, bool partial = false);

  void copy(int q, std::uint64_t src, std::uint64_t dst, const Box& box, Ids reads, Ids writes, bool partial = false);
  void ldw(int unit, int slot, isa::DType dtype, std::uint64_t src, std::uint64_t k, std::uint64_t n,
           std::uint64_t stride, Ids reads);
  void mm(int unit, int slot, isa::DType dtype, std::uint64_t src, std::uint64_t m, std::uint64_t stride,
          std::uint64_t acc, bool accumulate, Ids reads);
  void st(int unit, std::uint64_t acc, std::uint64_t m, std::uint64_t n, std::uint64_t dst, std::uint64_t stride,
          int writes);
  // Vector instructions: a binary op (vadd..vmin), a unary op (vexp..vmov), an op with an immediate
  // (vadds, vmuls, vmaxs), a row reduction (vsum, vmaxr) and a conversion.
  void vbinary(isa::Opcode op, isa::DType dtype, std::uint64_t dst, std::uint64_t a, std::uint64_t b, std::uint64_t len,
               bool bcast, Ids reads, int writes);
  void vunary(isa::Opcode op, isa::DType dtype, std::uint64_t dst, std::uint64_t src, std::uint64_t len, int reads,
              int writes);
  void vimmediate(isa::Opcode op, isa::DType dtype, std::uint64_t dst, std::uint64_t src, std::uint64_t len, float imm,
                  int reads, int writes);
  void vreduce(isa::Opcode op, std::uint64_t dst, std::uint64_t src, std::uint64_t rows, std::uint64_t cols, int reads,
               int writes);
  void vconvert(isa::DType from, isa::DType to, std::uint64_t dst, std::uint64_t src, std::uint64_t len, int reads,
                int writes);
  // A chip barrier: every engine of every core has finished what came before; the token bookkeeping
  // restarts.
  void barrier(std::uint64_t id);
  void halt();

 private:
  static constexpr int kEngines = isa::kTokenEngines;
  struct Buffer {
    std::array<std::int64_t, kEngines> last_write, last_read;
  };
  struct DmaState {
    std::uint64_t n0 = 1, n1 = 1, n2 = 1, esize_log2 = 0, transpose = 0;
    std::uint64_t ss1 = 0, ss2 = 0, ds1 = 0, ds2 = 0;
  };

  std::uint32_t core_;
  std::vector<isa::Instruction> code_;
  std::array<std::vector<std::uint32_t>, kEngines> sequence_;  // code index of each engine's instructions
  std::array<std::array<std::int64_t, kEngines>, kEngines> synced_;  // [p][c]: p's latest instruction c waited for
  std::vector<Buffer> buffers_;
  std::array<DmaState, 2> dma_;
  std::array<std::array<std::uint64_t, 2>, 4> slot_cells_{};  // k x n of each unit's weight slots
  double macs_ = 0, hbm_bytes_ = 0;
};

}  // namespace xpusim::compiler::detail
