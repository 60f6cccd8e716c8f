// The compiler's working state between passes (internal to src/compiler): the target's sizes, the
// kernels the graph becomes, where every tensor lives, and each kernel's tiling and VMEM layout.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/compiler.h"

namespace xpusim::compiler::detail {

// What the compiler needs of the chip, checked once (target_of).
struct Target {
  std::string name;
  std::int64_t cores = 1;
  std::int64_t units = 1;      // matrix units per core
  std::int64_t tile_k = 128;   // weight tile rows
  std::int64_t tile_n = 128;   // weight tile columns
  std::int64_t acc_rows = 512; // accumulator rows per matrix unit
  std::uint64_t vmem_bytes = 0;
  std::uint64_t cmem_bytes = 0;
  std::uint64_t hbm_bytes = 0;
  std::vector<std::string> mxu_dtypes;  // macs_per_cycle keys
};

// The emitters are a table in this order (kernels.cpp).
enum class KernelKind { matmul, attention, attention_backward, rowwise, pointwise, rope, gather, copy };
std::string_view kernel_kind_name(KernelKind kind);

enum class Epilogue { none, gelu, silu, add, swiglu };

// A contiguous VMEM range of one kernel, identical on every core.
struct Region {
  std::string name;
  std::uint64_t offset = 0, bytes = 0;
};

struct MatmulShape {
  std::int64_t batch = 1;  // separate weight matrices (B batched); 1 when B is one [k, n] weight
  std::int64_t m = 1;      // rows of A per batch (all leading dims folded in when B is unbatched)
  std::int64_t k = 1, n = 1;
  // Tiling and mapping.
  std::int64_t m_chunk = 1;        // rows streamed per accumulator pass
  std::int64_t k_block = 1;        // rows of A's columns (and W's rows) per VMEM half
  std::int64_t tiles = 1;          // n tiles
  std::int64_t tiles_per_core = 1;
  std::int64_t group_cols = 1;     // columns one group of units covers (units x tile_n, or fewer)
  int acc_sets = 1;                // 2 for swiglu: gate and up
  // Swiglu on an even number of units: gate on the first half, up on the second, for the same columns,
  // so each unit's accumulators hold a whole m chunk of 512 rows (else both sets share a unit's rows).
  bool split_units = false;
  // Few rows and at most half the units with a tile: the k tiles alternate between a tile's unit and a
  // second one (units tiles_per_group..), whose partial sums the vector unit adds.
  bool k_split = false;
  std::int64_t tiles_per_group = 1;  // n tiles one pass over a core's units covers
  // An operand that is a view swapping a matrix's two dims (the builder's transposes: a tied output
  // layer, the backward GEMMs' W^T and X^T) is held as [k, m] or [n, k] and loaded transposed by DMA.
  bool a_transposed = false, b_transposed = false;
  // Streamed weights loaded once into VMEM (the core's slice, as a resident weight is laid out) and
  // used by every m chunk.
  bool hold_weights = false;
};

struct AttentionShape {
  std::int64_t batch = 1, heads = 1, kv_heads = 1, q = 1, s = 1, d = 1, dv = 1;
  std::int64_t rows_block = 1;  // query rows per block (accumulator rows per set)
  std::int64_t keys_block = 1;  // keys per block
  bool causal = false;
};

// Where an attention operand [batch, heads, seq, dim] lives: element (b, h, p, 0) is element
// offset + b batch_stride + h head_stride + p pos_stride of `root`. Head-major (a KV cache) or
// token-major (rows of a [tokens, heads x dim] matrix, as the projections read and write them; Q, K and
// V as column ranges of the fused QKV rows).
struct OperandLayout {
  ir::TensorId root = -1;
  std::int64_t offset = 0, batch_stride = 0, head_stride = 0, pos_stride = 0;
};

struct Kernel {
  KernelKind kind = KernelKind::pointwise;
  std::string name;
  std::vector<std::size_t> ops;  // graph op indices it runs
  std::int64_t repeat = 1;
  ir::Phase phase = ir::Phase::forward;
  std::string region;  // ops sharing a region (and repeat) unroll together, layer by layer
  ir::OpKind op_kind = ir::OpKind::elementwise;
  std::vector<ir::TensorId> inputs;  // roots
  ir::TensorId output = -1;          // root
  Epilogue epilogue = Epilogue::none;
  ir::TensorId up_weight = -1;  // swiglu: the up projection's weight
  ir::TensorId addend = -1;     // add epilogue: the other operand
  double flops = 0;             // the graph's FLOPs of its ops, one execution
  isa::DType mxu_dtype = isa::DType::bf16;
  std::string dataflow, tiling;
  MatmulShape mm;
  AttentionShape at;
  // Attention: Q, K, V, O (decode: and the new token's K and V rows); backward: Q, K, V, O, dO, dQ, dK, dV.
  std::vector<OperandLayout> operands;
  std::int64_t rows = 1, width = 1, chunk = 1;  // vector kernels: rows x width, rows (or elements) per chunk
  std::int64_t rotate_cols = 0, head_dim = 0;   // rope
  std::int64_t pieces = 1;  // rowwise: a row wider than a reduction's 65,536 columns is reduced in pieces
  bool resident = false;
  std::vector<Region> vmem;  // the allocation pass's layout
};

struct Placement {
  isa::Space space = isa::Space::hbm;
  std::uint64_t address = 0;
  std::uint64_t copy_bytes = 0;  // distance between copies (per-layer weights and caches)
  std::int64_t copies = 1;
  bool resident = false;         // a weight held in VMEM: `address` is the VMEM offset of core shards
  // A streamed weight laid out by core shard in HBM, as a resident one is in VMEM: each copy is
  // `shards` (the cores that hold columns) shards of [k, shard_cols] row-major, core c's holding columns
  // [c shard_cols, (c + 1) shard_cols) (the last one padded), so that each core's loads read whole rows
  // of its own shard. 0: row-major [k, n].
  std::int64_t shard_k = 0, shard_cols = 0, shards = 0;
};

struct Plan {
  Target target;
  const ir::Graph* graph = nullptr;
  CompileOptions options;
  std::vector<ir::TensorId> root;  // views alias their source
  std::vector<Kernel> kernels;
  std::vector<std::string> skipped;
  double skipped_flops = 0;
  std::vector<Placement> place;  // by tensor id (roots only are meaningful)
  bool weights_resident = false;
  bool kv_on_chip = false;
  std::uint64_t vmem_resident_bytes = 0;  // per core, from offset 0
  std::uint64_t cmem_used_bytes = 0;
  std::uint64_t hbm_used_bytes = 0;
  std::int64_t head_dim = 0;  // from the graph's attention, for rope
  std::vector<std::uint8_t> constants;
  // The causal mask table in the constants: T[i][c] = 0 where c - i <= mask_keys, else -1e30.
  std::uint64_t mask_offset = 0, mask_cols = 0, mask_rows = 0, mask_keys = 0;
  // Attention backward's per-row statistics (running max, 1 / sum, and D = rowsum(dO o O)), written by
  // its dQ pass and read by its dK, dV pass: three fp32 vectors of scratch_rows.
  std::uint64_t scratch = 0;  // memory operand of the first
  std::uint64_t scratch_rows = 0;
  std::vector<isa::Tensor> tensors;
};

inline std::uint64_t align_up(std::uint64_t value, std::uint64_t to) {
  return (value + to - 1) / to * to;
}
inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

Expected<Target> target_of(const spec::ChipSpec& chip);

// Shared by the passes (plan.cpp).
std::optional<isa::DType> isa_dtype(ir::DType dtype);  // nullopt: the ISA has no such type (fp4, int4)
std::string mib(double bytes);                        // "12.00 MiB"
std::string gib(double bytes);                        // "288.0 GiB"
std::int64_t product(const ir::Shape& shape, std::size_t from, std::size_t to);
const ir::Tensor& tensor(const Plan& plan, ir::TensorId id);
std::uint64_t tensor_bytes(const Plan& plan, ir::TensorId id);
int element_bytes(const Plan& plan, ir::TensorId id);  // of its ISA type
bool is_weight(const Plan& plan, ir::TensorId id);

// The passes, in order. Each returns a one-line summary or the error that stops compilation; each
// verify_* returns "" or what is wrong.
Expected<std::string> legalize(Plan& plan);
std::string verify_legalize(const Plan& plan);
Expected<std::string> fuse(Plan& plan);
std::string verify_fuse(const Plan& plan, double flops_before, std::size_t ops_before);
Expected<std::string> assign_layouts(Plan& plan);
std::string verify_layouts(const Plan& plan);
Expected<std::string> choose_dataflow(Plan& plan);
std::string verify_dataflow(const Plan& plan);
Expected<std::string> tile(Plan& plan);
std::string verify_tiling(const Plan& plan);
Expected<std::string> decide_residency(Plan& plan);
std::string verify_residency(const Plan& plan);
Expected<std::string> map_to_cores(Plan& plan);
std::string verify_mapping(const Plan& plan);
Expected<std::string> allocate(Plan& plan);
std::string verify_allocation(const Plan& plan);

// Scheduling with dependency tokens and emission: the program, and what it does by kernel.
struct Emitted {
  isa::Program program;
  std::vector<OpPlacement> ops;
  double mxu_macs = 0, hbm_bytes = 0;
  double matmul_macs_expected = 0, matmul_macs_emitted = 0;
  std::uint64_t vmem_peak_bytes = 0;
};
Expected<Emitted> emit(const Plan& plan);

}  // namespace xpusim::compiler::detail
