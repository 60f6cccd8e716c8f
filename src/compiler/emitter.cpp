#include "compiler/emitter.h"

#include <bit>
#include <cstring>

#include "support/assert.h"

namespace xpusim::compiler::detail {

using isa::Opcode;

CoreEmitter::CoreEmitter(std::uint32_t core) : core_(core) {
  for (auto& row : synced_) row.fill(-1);
}

void CoreEmitter::begin_kernel(std::size_t buffers) {
  Buffer none;
  none.last_write.fill(-1);
  none.last_read.fill(-1);
  buffers_.assign(buffers, none);
}

void CoreEmitter::emit(isa::Instruction ins, Ids reads, Ids writes, bool partial) {
  const int c = static_cast<int>(isa::engine_of(ins));
  XPUSIM_ASSERT(c < kEngines, "emit() takes engine instructions; barriers and halt have their own calls");
  std::array<std::int64_t, kEngines> need;
  need.fill(-1);
  for (int r : reads) {
    if (r < 0) continue;
    const Buffer& b = buffers_[static_cast<std::size_t>(r)];
    for (int p = 0; p < kEngines; ++p) need[p] = std::max(need[p], b.last_write[p]);
  }
  for (int w : writes) {
    if (w < 0) continue;
    const Buffer& b = buffers_[static_cast<std::size_t>(w)];
    for (int p = 0; p < kEngines; ++p) {
      need[p] = std::max(need[p], b.last_read[p]);
      if (!partial) need[p] = std::max(need[p], b.last_write[p]);
    }
  }
  for (int p = 0; p < kEngines; ++p) {
    if (p == c || need[p] <= synced_[p][c]) continue;
    code_[sequence_[p][static_cast<std::size_t>(need[p])]].signal |= static_cast<std::uint8_t>(1u << c);
    ins.wait |= static_cast<std::uint8_t>(1u << p);
    synced_[p][c] = need[p];
  }
  const auto position = static_cast<std::int64_t>(sequence_[c].size());
  sequence_[c].push_back(static_cast<std::uint32_t>(code_.size()));
  code_.push_back(ins);
  for (int r : reads)
    if (r >= 0) buffers_[static_cast<std::size_t>(r)].last_read[c] = position;
  for (int w : writes)
    if (w >= 0) buffers_[static_cast<std::size_t>(w)].last_write[c] = position;
}

void CoreEmitter::copy(int q, std::uint64_t src, std::uint64_t dst, const Box& box, Ids reads, Ids writes,
                       bool partial) {
  DmaState& s = dma_[static_cast<std::size_t>(q)];
  const auto esize_log2 = static_cast<std::uint64_t>(std::countr_zero(static_cast<unsigned>(box.esize)));
  if (s.n0 != box.n0 || s.n1 != box.n1 || s.n2 != box.n2 || s.esize_log2 != esize_log2 || s.transpose != box.transpose) {
    isa::Instruction i;
    i.opcode = Opcode::dma_size;
    i.set("q", static_cast<std::uint64_t>(q)).set("n0", box.n0).set("n1", box.n1).set("n2", box.n2);
    i.set("esize", esize_log2).set("transpose", box.transpose ? 1 : 0);
    emit(i, {}, {});
    s.n0 = box.n0, s.n1 = box.n1, s.n2 = box.n2, s.esize_log2 = esize_log2, s.transpose = box.transpose ? 1 : 0;
  }
  // The source and destination strides, each set again only when it changes.
  auto strides = [&](Opcode op, std::uint64_t& s1, std::uint64_t& s2, std::uint64_t want1, std::uint64_t want2) {
    if (s1 == want1 && s2 == want2) return;
    isa::Instruction i;
    i.opcode = op;
    i.set("q", static_cast<std::uint64_t>(q)).set("s1", want1).set("s2", want2);
    emit(i, {}, {});
    s1 = want1, s2 = want2;
  };
  strides(Opcode::dma_sstride, s.ss1, s.ss2, box.ss1, box.ss2);
  strides(Opcode::dma_dstride, s.ds1, s.ds2, box.ds1, box.ds2);
  isa::Instruction i;
  i.opcode = Opcode::dma_copy;
  i.set("q", static_cast<std::uint64_t>(q)).set("src", src).set("dst", dst).set("core", 0);
  emit(i, reads, writes, partial);
  const double bytes = static_cast<double>(box.n0 * box.n1 * box.n2) * box.esize;
  if (src >> 40 == static_cast<std::uint64_t>(isa::Space::hbm)) hbm_bytes_ += bytes;
  if (dst >> 40 == static_cast<std::uint64_t>(isa::Space::hbm)) hbm_bytes_ += bytes;
}

void CoreEmitter::ldw(int unit, int slot, isa::DType dtype, std::uint64_t src, std::uint64_t k, std::uint64_t n,
                      std::uint64_t stride, Ids reads) {
  isa::Instruction i;
  i.opcode = Opcode::mxu_ldw;
  i.set("unit", static_cast<std::uint64_t>(unit)).set("slot", static_cast<std::uint64_t>(slot));
  i.set("dtype", static_cast<std::uint64_t>(dtype)).set("src", src).set("k", k).set("n", n).set("stride", stride);
  emit(i, reads, {});
  slot_cells_[static_cast<std::size_t>(unit)][static_cast<std::size_t>(slot)] = k * n;
}

void CoreEmitter::mm(int unit, int slot, isa::DType dtype, std::uint64_t src, std::uint64_t m, std::uint64_t stride,
                     std::uint64_t acc, bool accumulate, Ids reads) {
  isa::Instruction i;
  i.opcode = Opcode::mxu_mm;
  i.set("unit", static_cast<std::uint64_t>(unit)).set("slot", static_cast<std::uint64_t>(slot));
  i.set("dtype", static_cast<std::uint64_t>(dtype)).set("src", src).set("m", m).set("stride", stride);
  i.set("acc", acc).set("accumulate", accumulate ? 1 : 0);
  emit(i, reads, {});
  macs_ += static_cast<double>(m) *
           static_cast<double>(slot_cells_[static_cast<std::size_t>(unit)][static_cast<std::size_t>(slot)]);
}

void CoreEmitter::st(int unit, std::uint64_t acc, std::uint64_t m, std::uint64_t n, std::uint64_t dst,
                     std::uint64_t stride, int writes) {
  isa::Instruction i;
  i.opcode = Opcode::mxu_st;
  i.set("unit", static_cast<std::uint64_t>(unit)).set("acc", acc).set("m", m).set("n", n);
  i.set("dst", dst).set("stride", stride);
  emit(i, {}, {writes}, true);
}

void CoreEmitter::vbinary(Opcode op, isa::DType dtype, std::uint64_t dst, std::uint64_t a, std::uint64_t b,
                          std::uint64_t len, bool bcast, Ids reads, int writes) {
  isa::Instruction i;
  i.opcode = op;
  i.set("dtype", static_cast<std::uint64_t>(dtype)).set("dst", dst).set("a", a).set("b", b).set("len", len);
  i.set("bcast", bcast ? 1 : 0);
  emit(i, reads, {writes});
}

void CoreEmitter::vunary(Opcode op, isa::DType dtype, std::uint64_t dst, std::uint64_t src, std::uint64_t len,
                         int reads, int writes) {
  isa::Instruction i;
  i.opcode = op;
  i.set("dtype", static_cast<std::uint64_t>(dtype)).set("dst", dst).set("src", src).set("len", len);
  emit(i, {reads}, {writes});
}

void CoreEmitter::vimmediate(Opcode op, isa::DType dtype, std::uint64_t dst, std::uint64_t src, std::uint64_t len,
                             float imm, int reads, int writes) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &imm, sizeof bits);
  isa::Instruction i;
  i.opcode = op;
  i.set("dtype", static_cast<std::uint64_t>(dtype)).set("dst", dst).set("src", src).set("len", len).set("imm", bits);
  emit(i, {reads}, {writes});
}

void CoreEmitter::vreduce(Opcode op, std::uint64_t dst, std::uint64_t src, std::uint64_t rows, std::uint64_t cols,
                          int reads, int writes) {
  isa::Instruction i;
  i.opcode = op;
  i.set("dtype", static_cast<std::uint64_t>(isa::DType::fp32)).set("dst", dst).set("src", src);
  i.set("rows", rows).set("cols", cols);
  emit(i, {reads}, {writes});
}

void CoreEmitter::vconvert(isa::DType from, isa::DType to, std::uint64_t dst, std::uint64_t src, std::uint64_t len,
                           int reads, int writes) {
  isa::Instruction i;
  i.opcode = Opcode::vcvt;
  i.set("from", static_cast<std::uint64_t>(from)).set("to", static_cast<std::uint64_t>(to));
  i.set("dst", dst).set("src", src).set("len", len);
  emit(i, {reads}, {writes});
}

void CoreEmitter::barrier(std::uint64_t id) {
  isa::Instruction i;
  i.opcode = Opcode::barrier;
  i.set("scope", 1).set("id", id & 0xff);
  code_.push_back(i);
  for (int p = 0; p < kEngines; ++p)
    for (int c = 0; c < kEngines; ++c) synced_[p][c] = static_cast<std::int64_t>(sequence_[p].size()) - 1;
  for (Buffer& b : buffers_) {
    b.last_write.fill(-1);
    b.last_read.fill(-1);
  }
}

void CoreEmitter::halt() {
  isa::Instruction i;
  i.opcode = Opcode::halt;
  code_.push_back(i);
}

}  // namespace xpusim::compiler::detail
