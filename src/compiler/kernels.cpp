// Scheduling and emission: each kernel becomes every core's instructions, layer by layer, with a chip
// barrier after each kernel (its outputs are complete in memory before anyone reads them). Within a
// kernel, loads alternate between two VMEM halves and each matrix unit alternates its two weight slots,
// so that the next DMA and the next mxu.ldw overlap the current mxu.mm; CoreEmitter adds the tokens.
#include <algorithm>
#include <cmath>
#include <map>

#include "compiler/emitter.h"
#include "compiler/plan.h"
#include "support/text.h"

namespace xpusim::compiler::detail {
namespace {

using isa::DType;
using isa::Opcode;
using isa::Space;

constexpr std::uint64_t kMaxCount = std::uint64_t{1} << 20;  // DMA and vector counts are 20 bits

int bytes_of(DType d) {
  return isa::dtype_bytes(d);
}

DType dtype_of(const Plan& plan, ir::TensorId id) {
  return isa_dtype(plan.graph->tensor(id).dtype).value_or(DType::fp32);
}

// Memory operand of tensor `id` (a root) in repetition `layer`.
std::uint64_t address_of(const Plan& plan, ir::TensorId id, std::int64_t layer) {
  const Placement& p = plan.place[static_cast<std::size_t>(id)];
  const std::uint64_t copy = p.copies > 1 ? static_cast<std::uint64_t>(layer % p.copies) * p.copy_bytes : 0;
  return memory_operand(p.space, p.address + copy);
}

std::uint64_t vmem(std::uint64_t offset) {
  return memory_operand(Space::vmem, offset);
}

// Region offsets and buffer ids of one kernel, by name.
class Regions {
 public:
  explicit Regions(const Kernel& k) : k_(k) {}
  int id(std::string_view name) const {
    for (std::size_t i = 0; i < k_.vmem.size(); ++i)
      if (k_.vmem[i].name == name) return static_cast<int>(i);
    XPUSIM_ASSERT(false, "the allocation pass laid out every region the emitter names");
    return -1;
  }
  std::uint64_t at(int id) const { return k_.vmem[static_cast<std::size_t>(id)].offset; }

 private:
  const Kernel& k_;
};

// Fills a [rows, cols] fp32 buffer with each row's value from a [rows] vector: a VMEM-to-VMEM DMA that
// reads every element `cols` times (source stride 0).
void broadcast_rows(CoreEmitter& e, std::uint64_t dst, int dst_id, std::uint64_t src, int src_id, std::uint64_t rows,
                    std::uint64_t cols) {
  Box b;
  b.n0 = 1, b.n1 = cols, b.n2 = rows, b.esize = 4;
  b.ss1 = 0, b.ss2 = 4, b.ds1 = 4, b.ds2 = cols * 4;
  e.copy(1, vmem(src), vmem(dst), b, {src_id}, {dst_id});
}

// In place on a [rows, cols] fp32 buffer x: x op= v broadcast along each row, v a [rows] fp32 vector: one
// vector instruction per row whose b operand is v's element (bcast), for rows wide enough that the
// instruction's fixed cost is small beside its data (a broadcast by DMA moves rows x cols 4-byte chunks).
void apply_rows(CoreEmitter& e, Opcode op, std::uint64_t x, int x_id, std::uint64_t v, int v_id, std::uint64_t rows,
                std::uint64_t cols) {
  for (std::uint64_t i = 0; i < rows; ++i)
    e.vbinary(op, DType::fp32, x + i * cols * 4, x + i * cols * 4, v + i * 4, cols, true, {x_id, v_id}, x_id);
}

Box contiguous(std::uint64_t elements, int esize) {
  Box b;
  b.n0 = elements;
  b.esize = esize;
  return b;
}

Box rows_box(std::uint64_t cols, std::uint64_t rows, int esize, std::uint64_t src_stride, std::uint64_t dst_stride) {
  Box b;
  b.n0 = cols, b.n1 = rows, b.esize = esize, b.ss1 = src_stride, b.ds1 = dst_stride;
  return b;
}

// ------------------------------------------------------------------------------------------- matmul

void emit_matmul(CoreEmitter& e, const Plan& plan, const Kernel& k, std::int64_t core, std::int64_t layer) {
  const Target& t = plan.target;
  const MatmulShape& s = k.mm;
  const std::int64_t j0 = core * s.tiles_per_core, j1 = std::min(s.tiles, j0 + s.tiles_per_core);
  if (j0 >= j1) return;
  const Regions r(k);
  const int a[2] = {r.id("a0"), r.id("a1")}, w[2] = {r.id("w0"), r.id("w1")}, wu[2] = {r.id("w_up0"), r.id("w_up1")};
  const int o[2] = {r.id("o0"), r.id("o1")}, o2[2] = {r.id("o20"), r.id("o21")}, ee[2] = {r.id("e0"), r.id("e1")};
  const int y[2] = {r.id("y0"), r.id("y1")}, hold[2] = {r.id("wh"), r.id("wh_up")};
  const DType dt = k.mxu_dtype, out_dt = dtype_of(plan, k.output);
  const auto ab = static_cast<std::uint64_t>(bytes_of(dt)), ob = static_cast<std::uint64_t>(bytes_of(out_dt));
  const auto K = static_cast<std::uint64_t>(s.k), N = static_cast<std::uint64_t>(s.n);
  const std::uint64_t kb = std::min<std::uint64_t>(static_cast<std::uint64_t>(s.k_block), K);
  const std::uint64_t blocks = (K + kb - 1) / kb;
  const std::uint64_t A = address_of(plan, k.inputs[0], layer), C = address_of(plan, k.output, layer);
  const ir::TensorId weights[2] = {k.inputs[1], k.up_weight};
  const auto shard_cols = static_cast<std::uint64_t>(s.tiles_per_core * t.tile_n);
  const auto Tn = static_cast<std::uint64_t>(t.tile_n), Tk = static_cast<std::uint64_t>(t.tile_k);
  int a_half = 0, w_half = 0, o_half = 0;
  int slot[4] = {0, 0, 0, 0};
  for (std::int64_t bi = 0; bi < s.batch; ++bi) {
    for (std::int64_t m0 = 0; m0 < s.m; m0 += s.m_chunk) {
      const auto rows = static_cast<std::uint64_t>(std::min(s.m_chunk, s.m - m0));
      const auto row0 = static_cast<std::uint64_t>(bi * s.m + m0);  // row of A (and C) as [batch * m, .]
      bool a_loaded = false;
      for (std::int64_t g0 = j0; g0 < j1; g0 += s.tiles_per_group) {
        const std::int64_t units = std::min(s.tiles_per_group, j1 - g0);  // tiles in this group
        const auto c0 = static_cast<std::uint64_t>(g0) * Tn;
        const std::uint64_t cols = std::min(N, static_cast<std::uint64_t>(g0 + units) * Tn) - c0;
        for (std::uint64_t b = 0; b < blocks; ++b) {
          const std::uint64_t k0 = b * kb, krows = std::min(kb, K - k0);
          if (blocks > 1 || !a_loaded) {
            a_half ^= 1;
            if (s.a_transposed) {  // A is held as [k, m]
              Box box = rows_box(rows, krows, static_cast<int>(ab), static_cast<std::uint64_t>(s.m) * ab, krows * ab);
              box.transpose = true;
              e.copy(0, A + (k0 * static_cast<std::uint64_t>(s.m) + row0) * ab, vmem(r.at(a[a_half])), box, {}, {a[a_half]});
            } else {
              e.copy(0, A + (row0 * K + k0) * ab, vmem(r.at(a[a_half])),
                     rows_box(krows, rows, static_cast<int>(ab), K * ab, krows * ab), {}, {a[a_half]});
            }
            a_loaded = true;
          }
          // Streamed weights go to the next VMEM half; held ones once, on the first m chunk, into the slice.
          const bool load = !k.resident && (!s.hold_weights || m0 == 0);
          if (load && !s.hold_weights) w_half ^= 1;
          for (int set = 0; set < s.acc_sets && load; ++set) {
            const std::uint64_t W = address_of(plan, weights[set], layer);
            // A weight laid out by core shard (Placement::shard_k): this core's rows of shard_cols.
            const bool sharded = plan.place[static_cast<std::size_t>(weights[set])].shard_k > 0;
            const std::uint64_t in_shard = c0 - static_cast<std::uint64_t>(j0) * Tn;
            const std::uint64_t shard_at = W + (static_cast<std::uint64_t>(core) * K * shard_cols + k0 * shard_cols + in_shard) * ab;
            if (s.hold_weights) {
              const std::uint64_t at = r.at(hold[set]) + (k0 * shard_cols + in_shard) * ab;
              Box box = s.b_transposed ? rows_box(krows, cols, static_cast<int>(ab), K * ab, shard_cols * ab)
                                       : rows_box(cols, krows, static_cast<int>(ab), sharded ? shard_cols * ab : N * ab, shard_cols * ab);
              box.transpose = s.b_transposed;
              e.copy(0, sharded ? shard_at : W + (s.b_transposed ? c0 * K + k0 : k0 * N + c0) * ab, vmem(at), box, {}, {hold[set]},
                     true);
              continue;
            }
            {
              const int id = set == 0 ? w[w_half] : wu[w_half];
              if (s.b_transposed) {  // W is held as [n, k]
                Box box = rows_box(krows, cols, static_cast<int>(ab), K * ab, cols * ab);
                box.transpose = true;
                e.copy(0, W + (c0 * K + k0) * ab, vmem(r.at(id)), box, {}, {id});
              } else if (sharded) {
                // The group spans the whole shard: its block is contiguous, one row of whole 1 KiB pieces.
                const bool whole = cols == shard_cols && krows * cols < (std::uint64_t{1} << 20);
                e.copy(0, shard_at, vmem(r.at(id)),
                       whole ? contiguous(krows * cols, static_cast<int>(ab))
                             : rows_box(cols, krows, static_cast<int>(ab), shard_cols * ab, cols * ab),
                       {}, {id});
              } else {
                e.copy(0, W + ((static_cast<std::uint64_t>(bi) * K + k0) * N + c0) * ab, vmem(r.at(id)),
                       rows_box(cols, krows, static_cast<int>(ab), N * ab, cols * ab), {}, {id});
              }
            }
          }
          for (std::int64_t u = 0; u < units; ++u) {
            const std::uint64_t tc0 = static_cast<std::uint64_t>(u) * Tn;
            const std::uint64_t wt = std::min(Tn, cols - tc0);
            for (std::uint64_t kt = 0; kt < krows; kt += Tk) {
              const std::uint64_t kr = std::min(Tk, krows - kt);
              for (int set = 0; set < s.acc_sets; ++set) {
                std::uint64_t src, stride;
                int id = s.hold_weights ? hold[set] : -1;
                if (k.resident || s.hold_weights) {
                  const std::uint64_t base = s.hold_weights ? r.at(hold[set])
                                                            : address_of(plan, weights[set], layer) & ((std::uint64_t{1} << 40) - 1);
                  src = base + ((static_cast<std::uint64_t>(bi) * K + k0 + kt) * shard_cols + (c0 - static_cast<std::uint64_t>(j0) * Tn) + tc0) * ab;
                  stride = shard_cols * ab;
                } else {
                  id = set == 0 ? w[w_half] : wu[w_half];
                  src = r.at(id) + (kt * cols + tc0) * ab;
                  stride = cols * ab;
                }
                // k split: even k tiles on unit u, odd ones on unit u + tiles_per_group.
                const std::uint64_t gk = (k0 + kt) / Tk;
                const std::int64_t half = s.k_split ? static_cast<std::int64_t>(gk % 2) : 0;
                const int unit = static_cast<int>(s.split_units ? u + set * s.tiles_per_group : u + half * s.tiles_per_group);
                const int sl = slot[unit];
                slot[unit] ^= 1;
                e.ldw(unit, sl, dt, src, kr, wt, stride, {id});
                e.mm(unit, sl, dt, r.at(a[a_half]) + kt * ab, rows, krows * ab,
                     static_cast<std::uint64_t>(s.split_units ? 0 : set * s.m_chunk), s.k_split ? gk >= 2 : k0 + kt > 0,
                     {a[a_half]});
              }
            }
          }
        }
        o_half ^= 1;
        const std::uint64_t O = r.at(o[o_half]), O2 = r.at(o2[o_half]);
        for (std::int64_t u = 0; u < units; ++u) {
          const std::uint64_t tc0 = static_cast<std::uint64_t>(u) * Tn;
          const std::uint64_t wt = std::min(Tn, cols - tc0);
          e.st(static_cast<int>(u), 0, rows, wt, O + tc0 * 4, cols * 4, o[o_half]);
          if (s.k_split) e.st(static_cast<int>(u + s.tiles_per_group), 0, rows, wt, O2 + tc0 * 4, cols * 4, o2[o_half]);
          if (s.acc_sets > 1) {
            const auto unit = static_cast<int>(s.split_units ? u + s.tiles_per_group : u);
            e.st(unit, s.split_units ? 0 : static_cast<std::uint64_t>(s.m_chunk), rows, wt, O2 + tc0 * 4, cols * 4, o2[o_half]);
          }
        }
        const std::uint64_t len = rows * cols;
        if (s.k_split) e.vbinary(Opcode::vadd, DType::fp32, O, O, O2, len, false, {o[o_half], o2[o_half]}, o[o_half]);
        switch (k.epilogue) {
          case Epilogue::gelu:
            e.vunary(Opcode::vgelu, DType::fp32, O, O, len, o[o_half], o[o_half]);
            break;
          case Epilogue::silu:
            e.vunary(Opcode::vsilu, DType::fp32, O, O, len, o[o_half], o[o_half]);
            break;
          case Epilogue::swiglu:
            e.vunary(Opcode::vsilu, DType::fp32, O, O, len, o[o_half], o[o_half]);
            e.vbinary(Opcode::vmul, DType::fp32, O, O, O2, len, false, {o[o_half], o2[o_half]}, o[o_half]);
            break;
          case Epilogue::add: {
            const DType add_dt = dtype_of(plan, k.addend);
            const auto eb = static_cast<std::uint64_t>(bytes_of(add_dt));
            e.copy(0, address_of(plan, k.addend, layer) + (row0 * N + c0) * eb, vmem(r.at(ee[o_half])),
                   rows_box(cols, rows, static_cast<int>(eb), N * eb, cols * eb), {}, {ee[o_half]});
            e.vconvert(add_dt, DType::fp32, O2, r.at(ee[o_half]), len, ee[o_half], o2[o_half]);
            e.vbinary(Opcode::vadd, DType::fp32, O, O, O2, len, false, {o[o_half], o2[o_half]}, o[o_half]);
            break;
          }
          case Epilogue::none:
            break;
        }
        int stored = o[o_half];
        if (out_dt != DType::fp32) {
          e.vconvert(DType::fp32, out_dt, r.at(y[o_half]), O, len, o[o_half], y[o_half]);
          stored = y[o_half];
        }
        e.copy(1, vmem(r.at(stored)), C + (row0 * N + c0) * ob, rows_box(cols, rows, static_cast<int>(ob), cols * ob, N * ob),
               {stored}, {});
      }
    }
  }
}

// ---------------------------------------------------------------------------------------- attention

// A block of query rows of one (batch, KV head): decode (q = 1) stacks the group's heads as rows, all
// at the last position; prefill and training take up to rows_block positions of one head.
struct QueryBlock {
  std::uint64_t row, rows;  // first row of Q (as [batch * heads * q, d]) and how many
  std::int64_t pos0;        // position of the first row among the keys
  bool same_position;       // every row at pos0: the rows are heads
  std::int64_t batch, head, q0;  // the first row's indices in Q
};

// Memory operand of element (b, h, p, 0) of an attention operand.
std::uint64_t element(const Plan& plan, const OperandLayout& x, std::int64_t layer, std::int64_t b, std::int64_t h,
                      std::int64_t p, std::uint64_t esize) {
  const std::int64_t at = x.offset + b * x.batch_stride + h * x.head_stride + p * x.pos_stride;
  return address_of(plan, x.root, layer) + static_cast<std::uint64_t>(at) * esize;
}

// Elements between a query block's rows in an operand: heads (decode) or positions.
std::uint64_t block_stride(const OperandLayout& x, const QueryBlock& b) {
  return static_cast<std::uint64_t>(b.same_position ? x.head_stride : x.pos_stride);
}

// A query block's rows of operand x, `cols` elements each, to or from `rows x cols` packed in VMEM.
void load_rows(CoreEmitter& e, const Plan& plan, const OperandLayout& x, std::int64_t layer, const QueryBlock& b,
               std::uint64_t cols, std::uint64_t esize, std::uint64_t dst, int dst_id) {
  e.copy(0, element(plan, x, layer, b.batch, b.head, b.q0, esize), vmem(dst),
         rows_box(cols, b.rows, static_cast<int>(esize), block_stride(x, b) * esize, cols * esize), {}, {dst_id});
}
void store_rows(CoreEmitter& e, const Plan& plan, const OperandLayout& x, std::int64_t layer, const QueryBlock& b,
                std::uint64_t cols, std::uint64_t esize, std::uint64_t src, int src_id) {
  e.copy(1, vmem(src), element(plan, x, layer, b.batch, b.head, b.q0, esize),
         rows_box(cols, b.rows, static_cast<int>(esize), cols * esize, block_stride(x, b) * esize), {src_id}, {});
}

// `keys` rows of operand x from key s0 of (b, head) into VMEM: packed, or transposed (dim x keys).
void load_keys(CoreEmitter& e, const Plan& plan, const OperandLayout& x, std::int64_t layer, std::int64_t b,
               std::int64_t head, std::int64_t s0, std::uint64_t keys, std::uint64_t cols, std::uint64_t esize,
               bool transpose, std::uint64_t dst, int dst_id) {
  Box box = rows_box(cols, keys, static_cast<int>(esize), static_cast<std::uint64_t>(x.pos_stride) * esize,
                     (transpose ? keys : cols) * esize);
  box.transpose = transpose;
  e.copy(0, element(plan, x, layer, b, head, s0, esize), vmem(dst), box, {}, {dst_id});
}

std::vector<QueryBlock> query_blocks(const AttentionShape& s, std::int64_t bi, std::int64_t head) {
  const std::int64_t group = s.heads / s.kv_heads;
  std::vector<QueryBlock> blocks;
  if (s.q == 1) {
    for (std::int64_t r0 = 0; r0 < group; r0 += s.rows_block)
      blocks.push_back({static_cast<std::uint64_t>(bi * s.heads + head * group + r0),
                        static_cast<std::uint64_t>(std::min(s.rows_block, group - r0)), s.s - 1, true, bi,
                        head * group + r0, 0});
    return blocks;
  }
  for (std::int64_t hh = 0; hh < group; ++hh)
    for (std::int64_t p0 = 0; p0 < s.q; p0 += s.rows_block)
      blocks.push_back({static_cast<std::uint64_t>((bi * s.heads + head * group + hh) * s.q + p0),
                        static_cast<std::uint64_t>(std::min(s.rows_block, s.q - p0)), s.s - s.q + p0, false, bi,
                        head * group + hh, p0});
  return blocks;
}

// The last key a block's rows see (all keys without a causal mask).
std::int64_t last_key(const AttentionShape& s, const QueryBlock& b) {
  if (!s.causal) return s.s - 1;
  return b.same_position ? b.pos0 : b.pos0 + static_cast<std::int64_t>(b.rows) - 1;
}

// Adds the causal mask to S (rows x keys fp32) when the key block [s0, s0 + keys) reaches past the
// block's first position; the table's columns start at mask_keys - D (D: first position - s0).
void mask_scores(CoreEmitter& e, const Plan& plan, const AttentionShape& s, const QueryBlock& b, std::int64_t s0,
                 std::uint64_t keys, std::uint64_t scores, int scores_id, std::uint64_t scratch, int scratch_id) {
  if (!s.causal || b.same_position || s0 + static_cast<std::int64_t>(keys) - 1 <= b.pos0) return;
  const auto x = static_cast<std::uint64_t>(static_cast<std::int64_t>(plan.mask_keys) - (b.pos0 - s0));
  e.copy(0, memory_operand(Space::konst, plan.mask_offset + x * 4), vmem(scratch),
         rows_box(keys, b.rows, 4, plan.mask_cols * 4, keys * 4), {}, {scratch_id});
  e.vbinary(Opcode::vadd, DType::fp32, scores, scores, scratch, b.rows * keys, false, {scores_id, scratch_id}, scores_id);
}

// One block of the online softmax over scores S (rows x keys fp32, in buffer `scores`): the block's row
// max, the running max m (and al = exp(m_old - m_new), which rescales what came before), S = exp(S - m)
// in place, and the running sum l = al l + rowsum(S). Buffers by name: m, l, bm, al, rs and mb.
void online_softmax(CoreEmitter& e, const Regions& r, int scores, std::uint64_t rows, std::uint64_t keys, bool first) {
  const int m = r.id("m"), l = r.id("l"), bm = r.id("bm"), al = r.id("al"), rs = r.id("rs"), mb = r.id("mb");
  const std::uint64_t S = r.at(scores), len = rows * keys;
  e.vreduce(Opcode::vmaxr, r.at(bm), S, rows, keys, scores, bm);
  if (first) {
    e.vunary(Opcode::vmov, DType::fp32, r.at(m), r.at(bm), rows, bm, m);
  } else {
    e.vbinary(Opcode::vmax, DType::fp32, r.at(bm), r.at(m), r.at(bm), rows, false, {m, bm}, bm);
    e.vbinary(Opcode::vsub, DType::fp32, r.at(al), r.at(m), r.at(bm), rows, false, {m, bm}, al);
    e.vunary(Opcode::vexp, DType::fp32, r.at(al), r.at(al), rows, al, al);
    e.vunary(Opcode::vmov, DType::fp32, r.at(m), r.at(bm), rows, bm, m);
  }
  broadcast_rows(e, r.at(mb), mb, r.at(m), m, rows, keys);
  e.vbinary(Opcode::vsub, DType::fp32, S, S, r.at(mb), len, false, {scores, mb}, scores);
  e.vunary(Opcode::vexp, DType::fp32, S, S, len, scores, scores);
  e.vreduce(Opcode::vsum, r.at(rs), S, rows, keys, scores, rs);
  if (first) {
    e.vunary(Opcode::vmov, DType::fp32, r.at(l), r.at(rs), rows, rs, l);
  } else {
    e.vbinary(Opcode::vmul, DType::fp32, r.at(l), r.at(l), r.at(al), rows, false, {l, al}, l);
    e.vbinary(Opcode::vadd, DType::fp32, r.at(l), r.at(l), r.at(rs), rows, false, {l, rs}, l);
  }
}

void emit_attention(CoreEmitter& e, const Plan& plan, const Kernel& k, std::int64_t core, std::int64_t layer) {
  const Target& t = plan.target;
  const AttentionShape& s = k.at;
  const Regions r(k);
  const int q[2] = {r.id("q0"), r.id("q1")}, kt[2] = {r.id("kt0"), r.id("kt1")}, v[2] = {r.id("v0"), r.id("v1")};
  const int sc[2] = {r.id("s0"), r.id("s1")}, p[2] = {r.id("p0"), r.id("p1")}, pv[2] = {r.id("pv0"), r.id("pv1")};
  const int ob[2] = {r.id("ob0"), r.id("ob1")};
  const int mb = r.id("mb"), abuf = r.id("ab"), o = r.id("o"), l = r.id("l"), al = r.id("al");
  const DType dt = k.mxu_dtype, out_dt = dtype_of(plan, k.output);
  const auto eb = static_cast<std::uint64_t>(bytes_of(dt)), outb = static_cast<std::uint64_t>(bytes_of(out_dt));
  const auto d = static_cast<std::uint64_t>(s.d), dv = static_cast<std::uint64_t>(s.dv);
  const auto Tn = static_cast<std::uint64_t>(t.tile_n), Tk = static_cast<std::uint64_t>(t.tile_k);
  const OperandLayout &Q = k.operands[0], &Kc = k.operands[1], &V = k.operands[2], &Out = k.operands[3];
  const std::int64_t key_tiles = (s.keys_block + t.tile_n - 1) / t.tile_n;
  const float scale = 1.0F / std::sqrt(static_cast<float>(s.d));
  int qh = 0, kh = 0, sh = 0, oh = 0;
  int slot[4] = {0, 0, 0, 0};
  // Work items over the cores, the matrix units in turn on each core. Decode, which appends the new
  // token's K and V rows before reading them, deals whole (batch, KV head) pairs round-robin; otherwise
  // each query block goes to the core with the least work so far (rows x keys it sees), largest first,
  // so that causal blocks, whose keys grow with their position, balance.
  const bool append = k.operands.size() > 4;
  std::vector<std::int64_t> owner;  // by query block, in emission order
  if (!append) {
    std::vector<std::pair<std::int64_t, std::size_t>> work;  // (-rows x keys, block)
    for (std::int64_t pair = 0; pair < s.batch * s.kv_heads; ++pair)
      for (const QueryBlock& blk : query_blocks(s, pair / s.kv_heads, pair % s.kv_heads))
        work.emplace_back(-static_cast<std::int64_t>(blk.rows) * (last_key(s, blk) + 1), work.size());
    std::stable_sort(work.begin(), work.end());
    std::vector<std::int64_t> load(static_cast<std::size_t>(t.cores), 0);
    owner.resize(work.size());
    for (const auto& [neg, i] : work) {
      const auto c = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
      load[c] -= neg;
      owner[i] = static_cast<std::int64_t>(c);
    }
  }
  std::size_t item = 0;
  std::int64_t local = 0;
  for (std::int64_t pair = 0; pair < s.batch * s.kv_heads; ++pair) {
    const std::int64_t bi = pair / s.kv_heads, head = pair % s.kv_heads;
    if (append) {
      if (pair % t.cores != core) continue;
      // The new token's K and V rows into the caches at the last position: on dma0, before the loads
      // that read them (one queue runs in order).
      for (const auto& [row, cache] : {std::pair{&k.operands[4], &Kc}, std::pair{&k.operands[5], &V}})
        e.copy(0, element(plan, *row, layer, bi, head, 0, eb), element(plan, *cache, layer, bi, head, s.s - 1, eb),
               contiguous(d, static_cast<int>(eb)), {}, {});
    }
    const std::vector<QueryBlock> blocks = query_blocks(s, bi, head);
    for (const QueryBlock& blk : blocks) {
      if (!append && owner[item++] != core) continue;
      const int u = static_cast<int>(local++ % t.units);
      const std::uint64_t rows = blk.rows;
      qh ^= 1;
      load_rows(e, plan, Q, layer, blk, d, eb, r.at(q[qh]), q[qh]);
      const std::int64_t keys = last_key(s, blk) + 1;
      bool first = true;
      for (std::int64_t s0 = 0; s0 < keys; s0 += s.keys_block) {
        const auto bk = static_cast<std::uint64_t>(std::min(s.keys_block, keys - s0));
        kh ^= 1;
        load_keys(e, plan, Kc, layer, bi, head, s0, bk, d, eb, true, r.at(kt[kh]), kt[kh]);
        load_keys(e, plan, V, layer, bi, head, s0, bk, dv, eb, false, r.at(v[kh]), v[kh]);
        // S = Q K^T: key tiles are the weights' columns, head_dim their rows.
        for (std::uint64_t tt = 0; tt * Tn < bk; ++tt) {
          const std::uint64_t wt = std::min(Tn, bk - tt * Tn);
          for (std::uint64_t d0 = 0; d0 < d; d0 += Tk) {
            const int sl = slot[u];
            slot[u] ^= 1;
            e.ldw(u, sl, dt, r.at(kt[kh]) + (d0 * bk + tt * Tn) * eb, std::min(Tk, d - d0), wt, bk * eb, {kt[kh]});
            e.mm(u, sl, dt, r.at(q[qh]) + d0 * eb, rows, d * eb, tt * static_cast<std::uint64_t>(s.rows_block), d0 > 0,
                 {q[qh]});
          }
        }
        sh ^= 1;
        const std::uint64_t S = r.at(sc[sh]);
        for (std::uint64_t tt = 0; tt * Tn < bk; ++tt)
          e.st(u, tt * static_cast<std::uint64_t>(s.rows_block), rows, std::min(Tn, bk - tt * Tn), S + tt * Tn * 4, bk * 4,
               sc[sh]);
        const std::uint64_t len = rows * bk;
        e.vimmediate(Opcode::vmuls, DType::fp32, S, S, len, scale, sc[sh], sc[sh]);
        mask_scores(e, plan, s, blk, s0, bk, S, sc[sh], r.at(mb), mb);
        online_softmax(e, r, sc[sh], rows, bk, first);
        e.vconvert(DType::fp32, dt, r.at(p[sh]), S, len, sc[sh], p[sh]);
        // PV: the block's values are the weights (keys as rows, head_dim as columns).
        for (std::uint64_t c0 = 0; c0 < dv; c0 += Tn) {
          const std::uint64_t w2 = std::min(Tn, dv - c0);
          const std::uint64_t acc = (static_cast<std::uint64_t>(key_tiles) + c0 / Tn) * static_cast<std::uint64_t>(s.rows_block);
          for (std::uint64_t k0 = 0; k0 < bk; k0 += Tk) {
            const int sl = slot[u];
            slot[u] ^= 1;
            e.ldw(u, sl, dt, r.at(v[kh]) + (k0 * dv + c0) * eb, std::min(Tk, bk - k0), w2, dv * eb, {v[kh]});
            e.mm(u, sl, dt, r.at(p[sh]) + k0 * eb, rows, bk * eb, acc, k0 > 0, {p[sh]});
          }
          e.st(u, acc, rows, w2, r.at(pv[sh]) + c0 * 4, dv * 4, pv[sh]);
        }
        const std::uint64_t lenv = rows * dv;
        if (first) {
          e.vunary(Opcode::vmov, DType::fp32, r.at(o), r.at(pv[sh]), lenv, pv[sh], o);
        } else {
          broadcast_rows(e, r.at(abuf), abuf, r.at(al), al, rows, dv);
          e.vbinary(Opcode::vmul, DType::fp32, r.at(o), r.at(o), r.at(abuf), lenv, false, {o, abuf}, o);
          e.vbinary(Opcode::vadd, DType::fp32, r.at(o), r.at(o), r.at(pv[sh]), lenv, false, {o, pv[sh]}, o);
        }
        first = false;
      }
      e.vunary(Opcode::vrecip, DType::fp32, r.at(l), r.at(l), rows, l, l);
      broadcast_rows(e, r.at(abuf), abuf, r.at(l), l, rows, dv);
      e.vbinary(Opcode::vmul, DType::fp32, r.at(o), r.at(o), r.at(abuf), rows * dv, false, {o, abuf}, o);
      oh ^= 1;
      e.vconvert(DType::fp32, out_dt, r.at(ob[oh]), r.at(o), rows * dv, o, ob[oh]);
      store_rows(e, plan, Out, layer, blk, dv, outb, r.at(ob[oh]), ob[oh]);
    }
  }
}

// Flash attention backward in two passes (docs/compiler.md). The graph keeps no row statistics of the
// forward pass, so the dQ pass, over query blocks, first sweeps the keys for each row's max m and sum l
// (S only), then sweeps them again: P = exp(S - m) / l, dP = dO V^T, dS = P o (dP - D) / sqrt(d) with
// D = rowsum(dO o O), and dQ = dS K accumulating in the matrix unit. It leaves m, 1 / l and D in scratch
// memory for the dK, dV pass, over key blocks: for every query block that sees the keys, P and dS
// again, and dV += P^T dO, dK += dS^T Q accumulating in the unit (P and dS transposed by DMA).
void emit_attention_backward(CoreEmitter& e, const Plan& plan, const Kernel& k, std::int64_t core,
                             std::int64_t layer) {
  const Target& t = plan.target;
  const AttentionShape& s = k.at;
  const Regions r(k);
  auto halves = [&](std::string name) {
    name += '0';
    std::array<int, 2> ids{};
    ids[0] = r.id(name);
    name.back() = '1';
    ids[1] = r.id(name);
    return ids;
  };
  const auto q = halves("q"), dob = halves("do"), kt = halves("kt"), kk = halves("k"), vt = halves("vt");
  const auto sc = halves("s"), dp = halves("dp"), p = halves("p"), ds = halves("ds"), pt = halves("pt"),
             dst = halves("dst"), grad = halves("grad"), gradb = halves("gradb");
  const int o = r.id("o"), mb = r.id("mb"), t1 = r.id("t1"), t2 = r.id("t2"), m = r.id("m"), l = r.id("l"),
            rl = r.id("rl"), dd = r.id("dd");
  const int stats = static_cast<int>(k.vmem.size());  // the scratch statistics in memory
  const DType dt = k.mxu_dtype, out_dt = dtype_of(plan, k.output);
  const auto eb = static_cast<std::uint64_t>(bytes_of(dt)), ob = static_cast<std::uint64_t>(bytes_of(out_dt));
  const auto d = static_cast<std::uint64_t>(s.d), dv = static_cast<std::uint64_t>(s.dv);
  const auto Tn = static_cast<std::uint64_t>(t.tile_n), Tk = static_cast<std::uint64_t>(t.tile_k);
  const auto R = static_cast<std::uint64_t>(s.rows_block), KB = static_cast<std::uint64_t>(s.keys_block);
  const OperandLayout &Q = k.operands[0], &Kc = k.operands[1], &V = k.operands[2], &O = k.operands[3],
                      &dO = k.operands[4], &dQ = k.operands[5], &dK = k.operands[6], &dV = k.operands[7];
  const std::uint64_t stat_m = plan.scratch, stat_rl = plan.scratch + plan.scratch_rows * 4,
                      stat_d = plan.scratch + 2 * plan.scratch_rows * 4;
  const float scale = 1.0F / std::sqrt(static_cast<float>(s.d));
  const std::uint64_t dv_tiles = (dv + Tn - 1) / Tn;
  int qh = 0, kh = 0, sh = 0, gh = 0;
  int slot[4] = {0, 0, 0, 0};
  // One product on unit u: weights (rows k x n, row stride) by activations (m rows, row stride).
  auto product = [&](int u, std::uint64_t w, int w_id, std::uint64_t kr, std::uint64_t n, std::uint64_t w_stride,
                     std::uint64_t x, int x_id, std::uint64_t rows, std::uint64_t x_stride, std::uint64_t acc, bool accumulate) {
    const int sl = slot[u];
    slot[u] ^= 1;
    e.ldw(u, sl, dt, w, kr, n, w_stride, {w_id});
    e.mm(u, sl, dt, x, rows, x_stride, acc, accumulate, {x_id});
  };
  // S = Q K^T for a block: rows x keys fp32 in sc[sh], scaled and masked.
  auto scores = [&](int u, const QueryBlock& blk, std::int64_t s0, std::uint64_t bk) {
    for (std::uint64_t d0 = 0; d0 < d; d0 += Tk)
      product(u, r.at(kt[kh]) + d0 * bk * eb, kt[kh], std::min(Tk, d - d0), bk, bk * eb, r.at(q[qh]) + d0 * eb, q[qh],
              blk.rows, d * eb, 0, d0 > 0);
    sh ^= 1;
    e.st(u, 0, blk.rows, bk, r.at(sc[sh]), bk * 4, sc[sh]);
    e.vimmediate(Opcode::vmuls, DType::fp32, r.at(sc[sh]), r.at(sc[sh]), blk.rows * bk, scale, sc[sh], sc[sh]);
    mask_scores(e, plan, s, blk, s0, bk, r.at(sc[sh]), sc[sh], r.at(mb), mb);
  };
  // In place on a rows x keys fp32 buffer: x op= the row vector v broadcast along the row.
  auto by_rows = [&](Opcode opc, int x, int v, std::uint64_t rows, std::uint64_t bk) {
    broadcast_rows(e, r.at(mb), mb, r.at(v), v, rows, bk);
    e.vbinary(opc, DType::fp32, r.at(x), r.at(x), r.at(mb), rows * bk, false, {x, mb}, x);
  };
  // P (fp32, in sc[sh]) and dS (dt, in ds[sh]) of a block whose m, rl and dd are in VMEM.
  auto probabilities_and_ds = [&](int u, const QueryBlock& blk, std::uint64_t bk) {
    const std::uint64_t rows = blk.rows, len = rows * bk;
    by_rows(Opcode::vsub, sc[sh], m, rows, bk);
    e.vunary(Opcode::vexp, DType::fp32, r.at(sc[sh]), r.at(sc[sh]), len, sc[sh], sc[sh]);
    by_rows(Opcode::vmul, sc[sh], rl, rows, bk);
    for (std::uint64_t d0 = 0; d0 < dv; d0 += Tk)
      product(u, r.at(vt[kh]) + d0 * bk * eb, vt[kh], std::min(Tk, dv - d0), bk, bk * eb, r.at(dob[qh]) + d0 * eb,
              dob[qh], rows, dv * eb, R, d0 > 0);
    e.st(u, R, rows, bk, r.at(dp[sh]), bk * 4, dp[sh]);
    by_rows(Opcode::vsub, dp[sh], dd, rows, bk);
    e.vbinary(Opcode::vmul, DType::fp32, r.at(dp[sh]), r.at(dp[sh]), r.at(sc[sh]), len, false, {dp[sh], sc[sh]}, dp[sh]);
    e.vimmediate(Opcode::vmuls, DType::fp32, r.at(dp[sh]), r.at(dp[sh]), len, scale, dp[sh], dp[sh]);
    e.vconvert(DType::fp32, dt, r.at(ds[sh]), r.at(dp[sh]), len, dp[sh], ds[sh]);
  };
  // Stores the accumulator tiles of `rows` rows (at acc0, acc0 + step, ...) as rows x cols, converted, to
  // `to` with rows `stride` elements apart.
  auto store_accumulators = [&](int u, std::uint64_t acc0, std::uint64_t step, std::uint64_t rows, std::uint64_t cols,
                                std::uint64_t to, std::uint64_t stride) {
    gh ^= 1;
    for (std::uint64_t c0 = 0; c0 < cols; c0 += Tn)
      e.st(u, acc0 + (c0 / Tn) * step, rows, std::min(Tn, cols - c0), r.at(grad[gh]) + c0 * 4, cols * 4, grad[gh]);
    e.vconvert(DType::fp32, out_dt, r.at(gradb[gh]), r.at(grad[gh]), rows * cols, grad[gh], gradb[gh]);
    e.copy(1, vmem(r.at(gradb[gh])), to, rows_box(cols, rows, static_cast<int>(ob), cols * ob, stride * ob),
           {gradb[gh]}, {});
  };

  std::int64_t local = 0;
  for (std::int64_t item = core; item < s.batch * s.kv_heads; item += t.cores, ++local) {
    const int u = static_cast<int>(local % t.units);
    const std::int64_t bi = item / s.kv_heads, head = item % s.kv_heads;
    const std::vector<QueryBlock> blocks = query_blocks(s, bi, head);
    // dQ pass.
    for (const QueryBlock& blk : blocks) {
      const std::uint64_t rows = blk.rows;
      const std::int64_t keys = last_key(s, blk) + 1;
      qh ^= 1;
      load_rows(e, plan, Q, layer, blk, d, eb, r.at(q[qh]), q[qh]);
      load_rows(e, plan, dO, layer, blk, dv, eb, r.at(dob[qh]), dob[qh]);
      load_rows(e, plan, O, layer, blk, dv, eb, r.at(o), o);
      e.vconvert(dt, DType::fp32, r.at(t1), r.at(dob[qh]), rows * dv, dob[qh], t1);
      e.vconvert(dt, DType::fp32, r.at(t2), r.at(o), rows * dv, o, t2);
      e.vbinary(Opcode::vmul, DType::fp32, r.at(t1), r.at(t1), r.at(t2), rows * dv, false, {t1, t2}, t1);
      e.vreduce(Opcode::vsum, r.at(dd), r.at(t1), rows, dv, t1, dd);
      for (std::int64_t s0 = 0; s0 < keys; s0 += s.keys_block) {
        const auto bk = static_cast<std::uint64_t>(std::min(s.keys_block, keys - s0));
        kh ^= 1;
        load_keys(e, plan, Kc, layer, bi, head, s0, bk, d, eb, true, r.at(kt[kh]), kt[kh]);
        scores(u, blk, s0, bk);
        online_softmax(e, r, sc[sh], rows, bk, s0 == 0);
      }
      e.vunary(Opcode::vrecip, DType::fp32, r.at(rl), r.at(l), rows, l, rl);
      for (const auto& [from, to] : {std::pair{m, stat_m}, std::pair{rl, stat_rl}, std::pair{dd, stat_d}})
        e.copy(1, vmem(r.at(from)), to + blk.row * 4, contiguous(rows, 4), {from}, {stats}, true);
      for (std::int64_t s0 = 0; s0 < keys; s0 += s.keys_block) {
        const auto bk = static_cast<std::uint64_t>(std::min(s.keys_block, keys - s0));
        kh ^= 1;
        load_keys(e, plan, Kc, layer, bi, head, s0, bk, d, eb, true, r.at(kt[kh]), kt[kh]);
        load_keys(e, plan, V, layer, bi, head, s0, bk, dv, eb, true, r.at(vt[kh]), vt[kh]);
        load_keys(e, plan, Kc, layer, bi, head, s0, bk, d, eb, false, r.at(kk[kh]), kk[kh]);
        scores(u, blk, s0, bk);
        probabilities_and_ds(u, blk, bk);
        for (std::uint64_t c0 = 0; c0 < d; c0 += Tn)
          product(u, r.at(kk[kh]) + c0 * eb, kk[kh], bk, std::min(Tn, d - c0), d * eb, r.at(ds[sh]), ds[sh], rows, bk * eb,
                  (2 + c0 / Tn) * R, s0 > 0);
      }
      store_accumulators(u, 2 * R, R, rows, d, element(plan, dQ, layer, blk.batch, blk.head, blk.q0, ob),
                         block_stride(dQ, blk));
    }
    // dK, dV pass.
    for (std::int64_t s0 = 0; s0 < s.s; s0 += s.keys_block) {
      const auto bk = static_cast<std::uint64_t>(std::min(s.keys_block, s.s - s0));
      kh ^= 1;
      load_keys(e, plan, Kc, layer, bi, head, s0, bk, d, eb, true, r.at(kt[kh]), kt[kh]);
      load_keys(e, plan, V, layer, bi, head, s0, bk, dv, eb, true, r.at(vt[kh]), vt[kh]);
      bool first = true;
      for (const QueryBlock& blk : blocks) {
        if (last_key(s, blk) < s0) continue;  // every score masked
        const std::uint64_t rows = blk.rows;
        qh ^= 1;
        load_rows(e, plan, Q, layer, blk, d, eb, r.at(q[qh]), q[qh]);
        load_rows(e, plan, dO, layer, blk, dv, eb, r.at(dob[qh]), dob[qh]);
        for (const auto& [to, from] : {std::pair{m, stat_m}, std::pair{rl, stat_rl}, std::pair{dd, stat_d}})
          e.copy(0, from + blk.row * 4, vmem(r.at(to)), contiguous(rows, 4), {stats}, {to});
        scores(u, blk, s0, bk);
        probabilities_and_ds(u, blk, bk);
        e.vconvert(DType::fp32, dt, r.at(p[sh]), r.at(sc[sh]), rows * bk, sc[sh], p[sh]);
        for (const auto& [from, to] : {std::pair{p[sh], pt[sh]}, std::pair{ds[sh], dst[sh]}}) {
          Box b = rows_box(bk, rows, static_cast<int>(eb), bk * eb, rows * eb);
          b.transpose = true;
          e.copy(0, vmem(r.at(from)), vmem(r.at(to)), b, {from}, {to});
        }
        for (std::uint64_t c0 = 0; c0 < dv; c0 += Tn)
          product(u, r.at(dob[qh]) + c0 * eb, dob[qh], rows, std::min(Tn, dv - c0), dv * eb, r.at(pt[sh]), pt[sh], bk,
                  rows * eb, 2 * R + (c0 / Tn) * KB, !first);
        for (std::uint64_t c0 = 0; c0 < d; c0 += Tn)
          product(u, r.at(q[qh]) + c0 * eb, q[qh], rows, std::min(Tn, d - c0), d * eb, r.at(dst[sh]), dst[sh], bk,
                  rows * eb, 2 * R + (dv_tiles + c0 / Tn) * KB, !first);
        first = false;
      }
      if (first) continue;  // no query sees these keys: nothing to store (training has q = s, so never)
      store_accumulators(u, 2 * R, KB, bk, dv, element(plan, dV, layer, bi, head, s0, ob),
                         static_cast<std::uint64_t>(dV.pos_stride));
      store_accumulators(u, 2 * R + dv_tiles * KB, KB, bk, d, element(plan, dK, layer, bi, head, s0, ob),
                         static_cast<std::uint64_t>(dK.pos_stride));
    }
  }
}

// ---------------------------------------------------------------------------------- vector kernels

// Rows [first, end) of `total` that `core` handles.
std::pair<std::int64_t, std::int64_t> core_rows(std::int64_t total, std::int64_t cores, std::int64_t core) {
  const std::int64_t per = (total + cores - 1) / cores;
  return {std::min(total, core * per), std::min(total, (core + 1) * per)};
}

void emit_rowwise(CoreEmitter& e, const Plan& plan, const Kernel& k, std::int64_t core, std::int64_t layer) {
  const Regions r(k);
  const int in[2] = {r.id("in0"), r.id("in1")}, f[2] = {r.id("f0"), r.id("f1")}, tt[2] = {r.id("t0"), r.id("t1")};
  const int rv[2] = {r.id("r0"), r.id("r1")}, out[2] = {r.id("out0"), r.id("out1")};
  const int rp[2] = {r.id("rp0"), r.id("rp1")};
  const DType in_dt = dtype_of(plan, k.inputs[0]), out_dt = dtype_of(plan, k.output);
  const auto ib = static_cast<std::uint64_t>(bytes_of(in_dt)), ob = static_cast<std::uint64_t>(bytes_of(out_dt));
  const auto W = static_cast<std::uint64_t>(k.width);
  const std::uint64_t X = address_of(plan, k.inputs[0], layer), Y = address_of(plan, k.output, layer);
  const auto [begin, end] = core_rows(k.rows, plan.target.cores, core);
  const float inv_width = 1.0F / static_cast<float>(k.width), eps = 1e-5F;
  int h = 0;
  for (std::int64_t r0 = begin; r0 < end; r0 += k.chunk) {
    const auto rows = static_cast<std::uint64_t>(std::min(k.chunk, end - r0));
    const std::uint64_t len = rows * W;
    h ^= 1;
    const std::uint64_t F = r.at(f[h]), T = r.at(tt[h]), R = r.at(rv[h]);
    e.copy(0, X + static_cast<std::uint64_t>(r0) * W * ib, vmem(r.at(in[h])), contiguous(len, static_cast<int>(ib)), {}, {in[h]});
    // A row reduction into r (in pieces, then over the pieces, when the row is wider than a reduction).
    auto reduce = [&](Opcode op, std::uint64_t src, int src_id) {
      if (k.pieces == 1) return e.vreduce(op, R, src, rows, W, src_id, rv[h]);
      const auto pieces = static_cast<std::uint64_t>(k.pieces);
      e.vreduce(op, r.at(rp[h]), src, rows * pieces, W / pieces, src_id, rp[h]);
      e.vreduce(op, R, r.at(rp[h]), rows, pieces, rp[h], rv[h]);
    };
    e.vconvert(in_dt, DType::fp32, F, r.at(in[h]), len, in[h], f[h]);
    auto normalize = [&]() {  // f /= sqrt(mean(f^2) + eps)
      e.vbinary(Opcode::vmul, DType::fp32, T, F, F, len, false, {f[h]}, tt[h]);
      reduce(Opcode::vsum, T, tt[h]);
      e.vimmediate(Opcode::vmuls, DType::fp32, R, R, rows, inv_width, rv[h], rv[h]);
      e.vimmediate(Opcode::vadds, DType::fp32, R, R, rows, eps, rv[h], rv[h]);
      e.vunary(Opcode::vrsqrt, DType::fp32, R, R, rows, rv[h], rv[h]);
      apply_rows(e, Opcode::vmul, F, f[h], R, rv[h], rows, W);
    };
    switch (k.op_kind) {
      case ir::OpKind::rmsnorm:
        normalize();
        break;
      case ir::OpKind::layernorm:
        reduce(Opcode::vsum, F, f[h]);
        e.vimmediate(Opcode::vmuls, DType::fp32, R, R, rows, inv_width, rv[h], rv[h]);
        apply_rows(e, Opcode::vsub, F, f[h], R, rv[h], rows, W);
        normalize();
        break;
      default:  // softmax
        reduce(Opcode::vmaxr, F, f[h]);
        apply_rows(e, Opcode::vsub, F, f[h], R, rv[h], rows, W);
        e.vunary(Opcode::vexp, DType::fp32, F, F, len, f[h], f[h]);
        reduce(Opcode::vsum, F, f[h]);
        e.vunary(Opcode::vrecip, DType::fp32, R, R, rows, rv[h], rv[h]);
        apply_rows(e, Opcode::vmul, F, f[h], R, rv[h], rows, W);
        break;
    }
    e.vconvert(DType::fp32, out_dt, r.at(out[h]), F, len, f[h], out[h]);
    e.copy(1, vmem(r.at(out[h])), Y + static_cast<std::uint64_t>(r0) * W * ob, contiguous(len, static_cast<int>(ob)), {out[h]}, {});
  }
}

void emit_pointwise(CoreEmitter& e, const Plan& plan, const Kernel& k, std::int64_t core, std::int64_t layer) {
  const Regions r(k);
  const std::size_t n = k.inputs.size();
  std::vector<std::array<int, 2>> in(n), f(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string index = std::to_string(i);
    for (int h = 0; h < 2; ++h) {
      std::string name = "in";
      name += index;
      name += static_cast<char>('0' + h);
      in[i][static_cast<std::size_t>(h)] = r.id(name);
      name[0] = 'f';
      name.erase(1, 1);
      f[i][static_cast<std::size_t>(h)] = r.id(name);
    }
  }
  const int tt[2] = {r.id("t0"), r.id("t1")}, out[2] = {r.id("out0"), r.id("out1")};
  const DType out_dt = dtype_of(plan, k.output);
  const auto ob = static_cast<std::uint64_t>(bytes_of(out_dt));
  const auto [begin, end] = core_rows(k.rows, plan.target.cores, core);
  int h = 0;
  for (std::int64_t e0 = begin; e0 < end; e0 += k.chunk) {
    const auto len = static_cast<std::uint64_t>(std::min(k.chunk, end - e0));
    const auto first = static_cast<std::uint64_t>(e0);
    h ^= 1;
    for (std::size_t i = 0; i < n; ++i) {
      const DType dt = dtype_of(plan, k.inputs[i]);
      const auto b = static_cast<std::uint64_t>(bytes_of(dt));
      e.copy(0, address_of(plan, k.inputs[i], layer) + first * b, vmem(r.at(in[i][h])), contiguous(len, static_cast<int>(b)),
             {}, {in[i][h]});
      e.vconvert(dt, DType::fp32, r.at(f[i][h]), r.at(in[i][h]), len, in[i][h], f[i][h]);
    }
    const std::uint64_t F0 = r.at(f[0][h]), T = r.at(tt[h]);
    auto fi = [&](std::size_t i) { return r.at(f[i][h]); };
    switch (k.op_kind) {
      case ir::OpKind::gelu:
        e.vunary(Opcode::vgelu, DType::fp32, F0, F0, len, f[0][h], f[0][h]);
        break;
      case ir::OpKind::silu:
        e.vunary(Opcode::vsilu, DType::fp32, F0, F0, len, f[0][h], f[0][h]);
        break;
      case ir::OpKind::swiglu:
        e.vunary(Opcode::vsilu, DType::fp32, F0, F0, len, f[0][h], f[0][h]);
        e.vbinary(Opcode::vmul, DType::fp32, F0, F0, fi(1), len, false, {f[0][h], f[1][h]}, f[0][h]);
        break;
      case ir::OpKind::optimizer_update: {
        // Adam (beta1 0.9, beta2 0.999, eps 1e-8, lr 1e-4; bias correction folded into lr by the runtime):
        // inputs gradient g, master weights w, moments m and v.
        const int g = f[0][h], w = f[1][h], m = f[2][h], v = f[3][h];
        e.vimmediate(Opcode::vmuls, DType::fp32, T, F0, len, 0.1F, g, tt[h]);
        e.vimmediate(Opcode::vmuls, DType::fp32, fi(2), fi(2), len, 0.9F, m, m);
        e.vbinary(Opcode::vadd, DType::fp32, fi(2), fi(2), T, len, false, {m, tt[h]}, m);
        e.vbinary(Opcode::vmul, DType::fp32, T, F0, F0, len, false, {g}, tt[h]);
        e.vimmediate(Opcode::vmuls, DType::fp32, T, T, len, 0.001F, tt[h], tt[h]);
        e.vimmediate(Opcode::vmuls, DType::fp32, fi(3), fi(3), len, 0.999F, v, v);
        e.vbinary(Opcode::vadd, DType::fp32, fi(3), fi(3), T, len, false, {v, tt[h]}, v);
        e.vimmediate(Opcode::vadds, DType::fp32, T, fi(3), len, 1e-8F, v, tt[h]);
        e.vunary(Opcode::vrsqrt, DType::fp32, T, T, len, tt[h], tt[h]);
        e.vbinary(Opcode::vmul, DType::fp32, T, T, fi(2), len, false, {tt[h], m}, tt[h]);
        e.vimmediate(Opcode::vmuls, DType::fp32, T, T, len, -1e-4F, tt[h], tt[h]);
        e.vbinary(Opcode::vadd, DType::fp32, fi(1), fi(1), T, len, false, {w, tt[h]}, w);
        for (std::size_t i = 1; i < 4; ++i)
          e.copy(1, vmem(fi(i)), address_of(plan, k.inputs[i], layer) + first * 4, contiguous(len, 4), {f[i][h]}, {});
        e.vconvert(DType::fp32, out_dt, r.at(out[h]), fi(1), len, w, out[h]);
        e.copy(1, vmem(r.at(out[h])), address_of(plan, k.output, layer) + first * ob, contiguous(len, static_cast<int>(ob)),
               {out[h]}, {});
        continue;
      }
      default:  // elementwise: a sum of its inputs, or relu of one
        if (n == 1) e.vimmediate(Opcode::vmaxs, DType::fp32, F0, F0, len, 0.0F, f[0][h], f[0][h]);
        for (std::size_t i = 1; i < n; ++i)
          e.vbinary(Opcode::vadd, DType::fp32, F0, F0, fi(i), len, false, {f[0][h], f[i][h]}, f[0][h]);
        break;
    }
    e.vconvert(DType::fp32, out_dt, r.at(out[h]), F0, len, f[0][h], out[h]);
    e.copy(1, vmem(r.at(out[h])), address_of(plan, k.output, layer) + first * ob, contiguous(len, static_cast<int>(ob)),
           {out[h]}, {});
  }
}

std::uint64_t tensor_address(const Plan& plan, std::string_view name) {
  for (const isa::Tensor& t : plan.tensors)
    if (t.name == name) return memory_operand(t.level, t.address);
  XPUSIM_ASSERT(false, "the allocation pass declared the table");
  return 0;
}

void emit_rope(CoreEmitter& e, const Plan& plan, const Kernel& k, std::int64_t core, std::int64_t layer) {
  const Regions r(k);
  const int x[2] = {r.id("x0"), r.id("x1")}, xr[2] = {r.id("xr0"), r.id("xr1")}, f[2] = {r.id("f0"), r.id("f1")};
  const int g[2] = {r.id("g0"), r.id("g1")}, cs[2] = {r.id("cos0"), r.id("cos1")}, sn[2] = {r.id("sin0"), r.id("sin1")};
  const int out[2] = {r.id("out0"), r.id("out1")};
  const DType dt = dtype_of(plan, k.inputs[0]);
  const auto b = static_cast<std::uint64_t>(bytes_of(dt));
  const auto W = static_cast<std::uint64_t>(k.width), rot = static_cast<std::uint64_t>(k.rotate_cols);
  const auto hd = static_cast<std::uint64_t>(k.head_dim), half = hd / 2, heads = rot / hd;
  const std::uint64_t X = address_of(plan, k.inputs[0], layer), Y = address_of(plan, k.output, layer);
  const std::uint64_t cos_table = tensor_address(plan, "rope_cos"), sin_table = tensor_address(plan, "rope_sin_signed");
  const auto [begin, end] = core_rows(k.rows, plan.target.cores, core);
  int h = 0;
  for (std::int64_t r0 = begin; r0 < end; r0 += k.chunk) {
    const auto rows = static_cast<std::uint64_t>(std::min(k.chunk, end - r0));
    const auto row0 = static_cast<std::uint64_t>(r0);
    const std::uint64_t len = rows * rot;
    h ^= 1;
    e.copy(0, X + row0 * W * b, vmem(r.at(x[h])), rows_box(rot, rows, static_cast<int>(b), W * b, rot * b), {}, {x[h]});
    // rotate_half: each head's halves swapped (the sign lives in the sin table).
    const Box halves = rows_box(half, rows * heads, static_cast<int>(b), hd * b, hd * b);
    e.copy(0, vmem(r.at(x[h]) + half * b), vmem(r.at(xr[h])), halves, {x[h]}, {xr[h]}, true);
    e.copy(0, vmem(r.at(x[h])), vmem(r.at(xr[h]) + half * b), halves, {x[h]}, {xr[h]}, true);
    Box table;
    table.n0 = hd, table.n1 = heads, table.n2 = rows, table.esize = 4;
    table.ss1 = 0, table.ss2 = hd * 4, table.ds1 = hd * 4, table.ds2 = rot * 4;
    e.copy(0, cos_table + row0 * hd * 4, vmem(r.at(cs[h])), table, {}, {cs[h]});
    e.copy(0, sin_table + row0 * hd * 4, vmem(r.at(sn[h])), table, {}, {sn[h]});
    const std::uint64_t F = r.at(f[h]), G = r.at(g[h]);
    e.vconvert(dt, DType::fp32, F, r.at(x[h]), len, x[h], f[h]);
    e.vconvert(dt, DType::fp32, G, r.at(xr[h]), len, xr[h], g[h]);
    e.vbinary(Opcode::vmul, DType::fp32, F, F, r.at(cs[h]), len, false, {f[h], cs[h]}, f[h]);
    e.vbinary(Opcode::vmul, DType::fp32, G, G, r.at(sn[h]), len, false, {g[h], sn[h]}, g[h]);
    e.vbinary(Opcode::vadd, DType::fp32, F, F, G, len, false, {f[h], g[h]}, f[h]);
    e.vconvert(DType::fp32, dt, r.at(out[h]), F, len, f[h], out[h]);
    e.copy(1, vmem(r.at(out[h])), Y + row0 * W * b, rows_box(rot, rows, static_cast<int>(b), rot * b, W * b), {out[h]}, {});
    if (rot < W)  // V is not rotated: copied as it is
      e.copy(1, X + (row0 * W + rot) * b, Y + (row0 * W + rot) * b, rows_box(W - rot, rows, static_cast<int>(b), W * b, W * b), {}, {});
  }
}

// The gather: one DMA per token row, alternating between the two DMA engines so that two rows are in
// flight. The ISA has no indirect DMA, so the runtime rewrites each copy's source row from token_ids
// before launch (docs/compiler.md, limits); the placeholder is row t mod vocabulary for token t, so that
// the rows, like real tokens', spread over HBM's channels rather than all reading one.
void emit_gather(CoreEmitter& e, const Plan& plan, const Kernel& k, std::int64_t core, std::int64_t layer) {
  const DType dt = dtype_of(plan, k.output);
  const auto b = static_cast<std::uint64_t>(bytes_of(dt));
  const auto W = static_cast<std::uint64_t>(k.width);
  const std::uint64_t table = address_of(plan, k.inputs[1], layer), Y = address_of(plan, k.output, layer);
  const auto vocab = static_cast<std::uint64_t>(std::max(1.0, tensor(plan, k.inputs[1]).elements() / static_cast<double>(k.width)));
  const auto [begin, end] = core_rows(k.rows, plan.target.cores, core);
  for (std::int64_t t = begin; t < end; ++t) {
    const auto row = static_cast<std::uint64_t>(t);
    e.copy(static_cast<int>(t & 1), table + row % vocab * W * b, Y + row * W * b, contiguous(W, static_cast<int>(b)), {}, {});
  }
}

// Data movement of a permute (MoE dispatch and combine): the output filled from its first input,
// wrapping around it, in boxes of up to 1 MiB.
void emit_copy(CoreEmitter& e, const Plan& plan, const Kernel& k, std::int64_t core, std::int64_t layer) {
  const ir::Tensor& in = plan.graph->tensor(k.inputs[0]);
  const ir::Tensor& out = plan.graph->tensor(k.output);
  const auto in_bytes = static_cast<std::int64_t>(in.bytes()), out_bytes = static_cast<std::int64_t>(out.bytes());
  const std::uint64_t src = address_of(plan, k.inputs[0], layer), dst = address_of(plan, k.output, layer);
  const auto [begin, end] = core_rows(out_bytes, plan.target.cores, core);
  for (std::int64_t at = begin; at < end;) {
    const std::int64_t from = at % in_bytes;
    const std::int64_t n = std::min({end - at, in_bytes - from, static_cast<std::int64_t>(kMaxCount)});
    e.copy(0, src + static_cast<std::uint64_t>(from), dst + static_cast<std::uint64_t>(at), contiguous(static_cast<std::uint64_t>(n), 1),
           {}, {});
    at += n;
  }
}

// The emitter of each kernel kind, in KernelKind's order.
using KernelEmitter = void (*)(CoreEmitter&, const Plan&, const Kernel&, std::int64_t core, std::int64_t layer);
constexpr KernelEmitter kEmitters[] = {emit_matmul, emit_attention, emit_attention_backward, emit_rowwise,
                                       emit_pointwise, emit_rope, emit_gather, emit_copy};

void emit_kernel(CoreEmitter& e, const Plan& plan, const Kernel& k, std::int64_t core, std::int64_t layer) {
  e.begin_kernel(k.vmem.size() + 1);  // the regions, and one more for memory a kernel writes and reads back
  kEmitters[static_cast<std::size_t>(k.kind)](e, plan, k, core, layer);
}

// Runs of kernels that unroll together: consecutive kernels of one region with the same repeat.
std::vector<std::pair<std::size_t, std::size_t>> unroll_groups(const Plan& plan) {
  std::vector<std::pair<std::size_t, std::size_t>> groups;
  for (std::size_t i = 0; i < plan.kernels.size();) {
    std::size_t j = i + 1;
    const Kernel& a = plan.kernels[i];
    while (j < plan.kernels.size() && a.repeat > 1 && plan.kernels[j].repeat == a.repeat &&
           plan.kernels[j].region == a.region && plan.kernels[j].phase == a.phase)
      ++j;
    groups.emplace_back(i, j);
    i = j;
  }
  return groups;
}

}  // namespace

Expected<Emitted> emit(const Plan& plan) {
  Emitted out;
  const Target& t = plan.target;
  const auto groups = unroll_groups(plan);
  std::vector<double> kernel_macs;  // per kernel instance, summed over cores
  for (std::int64_t core = 0; core < t.cores; ++core) {
    CoreEmitter e(static_cast<std::uint32_t>(core));
    std::uint64_t barrier_id = 0;
    std::size_t instance = 0;
    for (const auto& [first, last] : groups) {
      const std::int64_t repeat = plan.options.unroll_repeats ? plan.kernels[first].repeat : 1;
      for (std::int64_t layer = 0; layer < repeat; ++layer)
        for (std::size_t i = first; i < last; ++i, ++instance) {
          const Kernel& k = plan.kernels[i];
          const std::size_t start = e.code().size();
          const double macs_before = e.macs();
          emit_kernel(e, plan, k, core, layer);
          e.barrier(barrier_id++);
          if (instance >= kernel_macs.size()) kernel_macs.push_back(0);
          kernel_macs[instance] += e.macs() - macs_before;
          if (core == 0) {
            OpPlacement p;
            p.op = k.name;
            p.first_instruction = start;
            p.end_instruction = e.code().size();
            p.dataflow = k.dataflow;
            p.tiling = k.tiling;
            p.resident = k.resident || (k.kind == KernelKind::attention && plan.kv_on_chip);
            p.layer = layer;
            out.ops.push_back(std::move(p));
          }
        }
    }
    e.halt();
    out.mxu_macs += e.macs();
    out.hbm_bytes += e.hbm_bytes();
    out.program.cores.push_back({e.core(), e.take_code()});
  }
  // Every MAC of every matmul exactly once: the MACs each instance issued against its shape.
  std::size_t instance = 0;
  for (const auto& [first, last] : groups) {
    const std::int64_t repeat = plan.options.unroll_repeats ? plan.kernels[first].repeat : 1;
    for (std::int64_t layer = 0; layer < repeat; ++layer)
      for (std::size_t i = first; i < last; ++i, ++instance) {
        const Kernel& k = plan.kernels[i];
        if (k.kind != KernelKind::matmul) continue;
        const double expected = static_cast<double>(k.mm.batch) * static_cast<double>(k.mm.m) *
                                static_cast<double>(k.mm.n) * static_cast<double>(k.mm.k) * k.mm.acc_sets;
        out.matmul_macs_expected += expected;
        out.matmul_macs_emitted += kernel_macs[instance];
        if (kernel_macs[instance] != expected)
          return Error("internal: matmul " + k.name + " issued " + format_grouped(kernel_macs[instance]) + " MACs, not " +
                       format_grouped(expected));
      }
  }
  out.program.constants = plan.constants;
  out.program.tensors = plan.tensors;
  for (const Kernel& k : plan.kernels)
    if (!k.vmem.empty()) out.vmem_peak_bytes = std::max(out.vmem_peak_bytes, k.vmem.back().offset + k.vmem.back().bytes);
  out.vmem_peak_bytes = std::max(out.vmem_peak_bytes, plan.vmem_resident_bytes);
  return out;
}

}  // namespace xpusim::compiler::detail
