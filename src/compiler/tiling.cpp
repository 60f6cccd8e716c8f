// Passes 5 and 7 (docs/compiler.md):
//   5. tiling: m rows per accumulator pass and k rows per VMEM half, two halves to double buffer.
//   7. mapping: matmul n tiles split over cores, then units; attention query blocks over cores and units.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "compiler/plan.h"
#include "support/text.h"

namespace xpusim::compiler::detail {

using ir::OpKind;

// -------------------------------------------------------------------------------------------- tiling

namespace {

constexpr std::int64_t kFewRows = 64;                  // rows of A up to which weights bound a matmul
constexpr std::int64_t kStreamBlockBytes = 1 << 20;  // weight bytes per block for those

// VMEM bytes a matmul's working set needs per core at (m_chunk, k_block): two halves of A and W, two of
// the fp32 outputs, the addend and the converted outputs.
std::uint64_t matmul_working_bytes(const Plan& plan, const Kernel& k, std::int64_t mc, std::int64_t kb, bool resident) {
  const MatmulShape& s = k.mm;
  const auto ab = static_cast<std::uint64_t>(isa::dtype_bytes(k.mxu_dtype));
  const std::uint64_t weights = resident ? 0 : static_cast<std::uint64_t>(kb * s.group_cols) * ab * s.acc_sets;
  const std::uint64_t a = static_cast<std::uint64_t>(mc * kb) * ab;
  const std::uint64_t out_cells = static_cast<std::uint64_t>(mc * s.group_cols);
  const std::uint64_t addend = k.epilogue == Epilogue::add ? out_cells * element_bytes(plan, k.addend) : 0;
  const std::uint64_t outs = out_cells * (4 * (k.epilogue == Epilogue::add || s.k_split ? 2 : s.acc_sets) +
                                          static_cast<std::uint64_t>(element_bytes(plan, k.output))) +
                             addend;
  return 2 * (align_up(weights, 64) + align_up(a, 64) + align_up(outs, 64) + 4 * 64);
}

}  // namespace

Expected<std::string> tile(Plan& plan) {
  const Target& t = plan.target;
  // The working area is all of VMEM until residency claims part of it; tiles are chosen against a quarter
  // of VMEM so that weights up to three quarters can stay resident.
  const std::uint64_t budget = t.vmem_bytes / 4;
  for (Kernel& k : plan.kernels) {
    if (k.kind == KernelKind::matmul) {
      MatmulShape& s = k.mm;
      s.acc_sets = k.epilogue == Epilogue::swiglu ? 2 : 1;
      s.split_units = s.acc_sets == 2 && t.units % 2 == 0;
      s.tiles = ceil_div(s.n, t.tile_n);
      s.tiles_per_core = ceil_div(s.tiles, t.cores);
      s.tiles_per_group = std::min(s.tiles_per_core, s.split_units ? t.units / 2 : t.units);
      s.group_cols = std::min(s.n, s.tiles_per_group * t.tile_n);
      s.k_split = !s.split_units && s.acc_sets == 1 && s.m <= kFewRows && 2 * s.tiles_per_group <= t.units &&
                  ceil_div(s.k, t.tile_k) >= 2;
      const std::int64_t k_max = ceil_div(s.k, t.tile_k) * t.tile_k;
      s.m_chunk = std::min<std::int64_t>(s.m, t.acc_rows / (s.split_units ? 1 : s.acc_sets));
      if (s.m > 65536 * static_cast<std::int64_t>(1) << 20)
        return Error("matmul " + quote_value(k.name) + ": " + std::to_string(s.m) + " rows are more than the ISA's fields reach");
      for (;;) {
        s.k_block = 0;
        // A block is one DMA box: its k rows are a 20-bit count.
        for (std::int64_t kb = std::min(k_max, (std::int64_t{1} << 20) / t.tile_k * t.tile_k); kb >= t.tile_k; kb -= t.tile_k)
          if (matmul_working_bytes(plan, k, s.m_chunk, kb, false) <= budget) {
            s.k_block = kb;
            break;
          }
        if (s.k_block > 0 || s.m_chunk == 1) break;
        s.m_chunk = std::max<std::int64_t>(1, s.m_chunk / 2);
      }
      if (s.k_block == 0)
        return Error("matmul " + quote_value(k.name) + " does not fit " + t.name + "'s VMEM even one tile at a time");
      // A few rows of A (decode's GEMVs): the weights are the traffic. Blocks of at most kStreamBlockBytes
      // of weights keep the DMA engine one block ahead of the matrix units (two halves) instead of the
      // units waiting for one large block; A, reloaded per block, is small beside them.
      if (s.m <= kFewRows) {
        const std::int64_t row_bytes = s.group_cols * isa::dtype_bytes(k.mxu_dtype) * s.acc_sets;
        s.k_block = std::min(s.k_block, std::max<std::int64_t>(t.tile_k, kStreamBlockBytes / row_bytes / t.tile_k * t.tile_k));
      }
      // DMA counts are 20 bits: a block of A is m_chunk rows of k_block elements.
      k.tiling = "m " + std::to_string(s.m_chunk) + " x k " + std::to_string(std::min(s.k_block, s.k)) + " x n " +
                 std::to_string(s.group_cols) + " per step, 2 VMEM halves, 2 weight slots";
    } else if (k.kind == KernelKind::attention) {
      AttentionShape& a = k.at;
      if (a.heads % a.kv_heads != 0)
        return Error("attention " + quote_value(k.name) + ": " + std::to_string(a.kv_heads) + " KV heads do not divide " +
                     std::to_string(a.heads) + " query heads");
      a.keys_block = std::min<std::int64_t>(4 * t.tile_n, ceil_div(a.s, t.tile_n) * t.tile_n);
      const std::int64_t sets = ceil_div(a.keys_block, t.tile_n) + ceil_div(a.dv, t.tile_n);
      a.rows_block = std::max<std::int64_t>(1, std::min<std::int64_t>(t.acc_rows / sets, 64));
      k.tiling = std::to_string(a.rows_block) + " query rows x " + std::to_string(a.keys_block) +
                 " keys per block, online softmax";
    } else if (k.kind == KernelKind::attention_backward) {
      // Accumulators hold S and dP (rows each) and dV, dK over a key block (keys rows per tile of dv and d).
      AttentionShape& a = k.at;
      const std::int64_t tiles = ceil_div(a.d, t.tile_n) + ceil_div(a.dv, t.tile_n);
      a.keys_block = std::min<std::int64_t>(t.tile_k, (t.acc_rows * 3 / 4) / tiles / 8 * 8);
      a.rows_block = std::min<std::int64_t>({64, t.tile_k, (t.acc_rows - tiles * a.keys_block) / 2,
                                             t.acc_rows / (2 + ceil_div(a.d, t.tile_n))});
      if (a.keys_block < 8 || a.rows_block < 1 || a.heads % a.kv_heads != 0)
        return Error("attention backward " + quote_value(k.name) + ": head dims " + std::to_string(a.d) + " and " +
                     std::to_string(a.dv) + " leave no room in the accumulators");
      k.tiling = std::to_string(a.rows_block) + " query rows x " + std::to_string(a.keys_block) +
                 " keys per block; dQ pass over query blocks, then dK, dV pass over key blocks";
    } else if (k.kind == KernelKind::rowwise || k.kind == KernelKind::rope) {
      // Per row and VMEM half: the input, two fp32 scratch rows and the output (rope: its tables too).
      const std::int64_t element = element_bytes(plan, k.inputs[0]) + element_bytes(plan, k.output);
      const std::int64_t per_row = k.width * (k.kind == KernelKind::rope ? element * 2 + 16 : element + 8);
      if (static_cast<std::uint64_t>(per_row) * 2 > budget || k.width >= (std::int64_t{1} << 20))
        return Error(std::string(kernel_kind_name(k.kind)) + " " + quote_value(k.name) + ": a row of " +
                     std::to_string(k.width) + " elements does not fit VMEM twice");
      if (k.kind == KernelKind::rope && k.head_dim % 2 != 0)
        return Error("rope " + quote_value(k.name) + ": an odd head_dim " + std::to_string(k.head_dim));
      // vsum and vmaxr reduce at most 65,536 columns: a wider row is reduced as equal pieces, then again.
      constexpr std::int64_t kMaxColumns = 65536;
      if (k.kind == KernelKind::rowwise && k.width > kMaxColumns) {
        k.pieces = 0;
        for (std::int64_t p = ceil_div(k.width, kMaxColumns); p <= 256 && k.pieces == 0; ++p)
          if (k.width % p == 0) k.pieces = p;
        if (k.pieces == 0)
          return Error("rowwise " + quote_value(k.name) + ": a row of " + std::to_string(k.width) +
                       " elements has no split into equal pieces of at most 65,536 for the vector unit's reductions");
      }
      k.chunk = std::max<std::int64_t>(1, std::min<std::int64_t>(ceil_div(k.rows, t.cores),
                                                                  static_cast<std::int64_t>(budget) / (2 * per_row)));
      k.chunk = std::min<std::int64_t>({k.chunk, ((std::int64_t{1} << 20) - 1) / k.width, kMaxColumns / k.pieces});
      k.tiling = std::to_string(k.chunk) + " rows of " + std::to_string(k.width) + " per VMEM half";
    } else if (k.kind == KernelKind::pointwise) {
      // Per element and VMEM half: each input and its fp32 copy, the fp32 scratch and the output.
      std::int64_t per_element = 4 + element_bytes(plan, k.output);
      for (ir::TensorId in : k.inputs) per_element += element_bytes(plan, in) + 4;
      k.chunk = std::max<std::int64_t>(1, std::min<std::int64_t>(ceil_div(k.rows, t.cores),
                                                                  static_cast<std::int64_t>(budget) / (2 * per_element)));
      k.chunk = std::min<std::int64_t>(k.chunk, std::int64_t{1} << 20);
      k.tiling = std::to_string(k.chunk) + " elements per VMEM half";
    } else {
      k.chunk = std::int64_t{1} << 20;
      if (k.kind == KernelKind::gather && k.width > k.chunk)
        return Error("embedding " + quote_value(k.name) + ": rows of " + std::to_string(k.width) +
                     " elements are more than one DMA box's 1,048,576 (the ISA's 20-bit counts)");
      k.tiling = k.kind == KernelKind::gather ? "one DMA per row" : "DMA boxes of up to 1M bytes";
    }
  }
  return "VMEM working set per core at most " + mib(static_cast<double>(budget)) + ", double-buffered";
}

std::string verify_tiling(const Plan& plan) {
  const std::uint64_t budget = plan.target.vmem_bytes / 4;
  for (const Kernel& k : plan.kernels) {
    if (k.kind != KernelKind::matmul) continue;
    const MatmulShape& s = k.mm;
    if (s.m_chunk * (s.split_units ? 1 : s.acc_sets) > plan.target.acc_rows) return "matmul " + k.name + ": accumulators overflow";
    if (s.tiles_per_group * (s.split_units || s.k_split ? 2 : 1) > plan.target.units) return "matmul " + k.name + ": more tiles than units";
    if (matmul_working_bytes(plan, k, s.m_chunk, s.k_block, false) > budget) return "matmul " + k.name + ": over the VMEM budget";
    if (s.k_block % plan.target.tile_k != 0) return "matmul " + k.name + ": k block not whole tiles";
  }
  return {};
}


// ------------------------------------------------------------------------------------------- mapping

Expected<std::string> map_to_cores(Plan& plan) {
  const Target& t = plan.target;
  std::int64_t busiest = 0;
  for (const Kernel& k : plan.kernels) {
    if (k.kind == KernelKind::matmul) busiest = std::max(busiest, std::min(t.cores, k.mm.tiles));
    if (k.kind == KernelKind::attention) {
      const AttentionShape& a = k.at;
      const std::int64_t blocks = a.q == 1 ? 1 : a.heads / a.kv_heads * ceil_div(a.q, a.rows_block);
      busiest = std::max(busiest, std::min(t.cores, a.batch * a.kv_heads * blocks));
    }
  }
  return "matmul n tiles: tiles_per_core = ceil(tiles / " + std::to_string(t.cores) + ") to each core, then round-robin over " +
         std::to_string(t.units) + " units, k accumulated within a unit; attention query blocks (decode: (batch, KV head) pairs) round-robin over cores, units in turn; "
         "vector work split by rows; up to " + std::to_string(busiest) + " cores busy";
}

std::string verify_mapping(const Plan& plan) {
  const Target& t = plan.target;
  for (const Kernel& k : plan.kernels) {
    if (k.kind != KernelKind::matmul) continue;
    const MatmulShape& s = k.mm;
    // Every column tile exactly once: cores take consecutive runs of tiles_per_core.
    std::vector<int> owner(static_cast<std::size_t>(s.tiles), 0);
    for (std::int64_t c = 0; c < t.cores; ++c)
      for (std::int64_t j = c * s.tiles_per_core; j < std::min(s.tiles, (c + 1) * s.tiles_per_core); ++j)
        ++owner[static_cast<std::size_t>(j)];
    for (std::int64_t j = 0; j < s.tiles; ++j)
      if (owner[static_cast<std::size_t>(j)] != 1) return "matmul " + k.name + ": n tile " + std::to_string(j) + " mapped " + std::to_string(owner[static_cast<std::size_t>(j)]) + " times";
    std::int64_t cols = 0;
    for (std::int64_t j = 0; j < s.tiles; ++j) cols += std::min(t.tile_n, s.n - j * t.tile_n);
    if (cols != s.n) return "matmul " + k.name + ": tiles cover " + std::to_string(cols) + " of " + std::to_string(s.n) + " columns";
  }
  return {};
}

}  // namespace xpusim::compiler::detail
