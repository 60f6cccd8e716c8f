// Passes 6 and 8 (docs/compiler.md):
//   6. residency: weights stay in VMEM across the step when every core's shards fit; streamed weights
//      held across m chunks when a core's slice fits; activations, then the KV cache, in CMEM.
//   8. allocation: addresses in HBM, CMEM and each core's VMEM; the runtime's tables and the mask.
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

// ----------------------------------------------------------------------------------------- residency

Expected<std::string> decide_residency(Plan& plan) {
  const Target& t = plan.target;
  // Per-core VMEM bytes of every weight used only as a matmul's right operand: each core holds its n
  // columns of every layer's copy.
  std::map<ir::TensorId, std::uint64_t> shard;  // weight root -> bytes per core, all copies
  std::set<ir::TensorId> other_uses;
  for (const Kernel& k : plan.kernels)
    for (std::size_t i = 0; i < k.inputs.size(); ++i) {
      const ir::TensorId in = k.inputs[i];
      if (!is_weight(plan, in)) continue;
      if (k.kind == KernelKind::matmul && i == 1 && !k.mm.b_transposed) continue;
      other_uses.insert(in);
    }
  std::uint64_t per_core = 0;
  bool consistent = true;
  std::map<ir::TensorId, std::pair<std::int64_t, std::int64_t>> shard_shape;  // (k, columns) per core; batch 1
  for (const Kernel& k : plan.kernels) {
    if (k.kind != KernelKind::matmul) continue;
    for (ir::TensorId w : {k.inputs[1], k.up_weight}) {
      if (w < 0 || !is_weight(plan, w) || other_uses.count(w)) continue;
      if (k.mm.batch == 1 && !shard.count(w)) shard_shape[w] = {k.mm.k, k.mm.tiles_per_core * t.tile_n};
      if (k.mm.batch != 1) shard_shape[w] = {0, 0};
      const std::uint64_t bytes = align_up(static_cast<std::uint64_t>(k.mm.batch * k.mm.k * k.mm.tiles_per_core * t.tile_n) *
                                               isa::dtype_bytes(k.mxu_dtype),
                                           64) *
                                  static_cast<std::uint64_t>(tensor(plan, w).copies);
      if (auto it = shard.find(w); it != shard.end()) {
        if (it->second != bytes) consistent = false;
        continue;
      }
      shard[w] = bytes;
      per_core += bytes;
    }
  }
  const std::uint64_t room = t.vmem_bytes - t.vmem_bytes / 4;
  const bool fits = consistent && !shard.empty() && per_core <= room;
  if (plan.options.resident_weights.value_or(false) && !fits)
    return Error("weights cannot stay resident: every core needs " + mib(static_cast<double>(per_core)) +
                 " of matmul weight shards, and " + t.name + "'s VMEM leaves " + mib(static_cast<double>(room)) +
                 " beside the working tiles");
  plan.weights_resident = plan.options.resident_weights.value_or(fits) && fits;
  plan.place.assign(plan.graph->tensors().size(), Placement{});
  if (plan.weights_resident) {
    std::uint64_t at = 0;
    for (const auto& [w, bytes] : shard) {
      Placement& p = plan.place[static_cast<std::size_t>(w)];
      p.space = isa::Space::vmem;
      p.resident = true;
      p.address = at;
      p.copies = tensor(plan, w).copies;
      p.copy_bytes = bytes / static_cast<std::uint64_t>(p.copies);
      at += bytes;
    }
    plan.vmem_resident_bytes = align_up(at, 4096);
  }
  // Streamed, such weights are laid out by core shard in HBM instead (Placement::shard_k).
  if (!plan.weights_resident && consistent)
    for (const auto& [w, shape] : shard_shape) {
      Placement& p = plan.place[static_cast<std::size_t>(w)];
      p.shard_k = shape.first;
      p.shard_cols = shape.second;
      if (p.shard_k > 0) p.shards = ceil_div(tensor(plan, w).shape.back(), p.shard_cols);
    }
  for (Kernel& k : plan.kernels)
    k.resident = k.kind == KernelKind::matmul && plan.place[static_cast<std::size_t>(k.inputs[1])].resident;
  // Activations (reused layer after layer) go to CMEM as long as they fit: first those a matmul reads
  // as A (every core reads all of A, so each is read once per core), then the rest, smallest first in
  // each class. Then the KV cache, whole, if it still fits. Tensors no kernel touches (slices read in
  // place) stay in HBM.
  std::set<ir::TensorId> matmul_a;
  for (const Kernel& k : plan.kernels)
    if (k.kind == KernelKind::matmul) matmul_a.insert(k.inputs[0]);
  std::set<ir::TensorId> used;
  for (const Kernel& k : plan.kernels) {
    used.insert(k.inputs.begin(), k.inputs.end());
    used.insert(k.output);
    for (const OperandLayout& x : k.operands) used.insert(x.root);
    for (std::size_t i : k.ops)
      for (ir::TensorId id : plan.graph->ops()[i].outputs) used.insert(plan.root[static_cast<std::size_t>(id)]);
  }
  std::vector<std::tuple<bool, std::uint64_t, ir::TensorId>> activations;  // (not read as A, bytes, root)
  std::uint64_t kv = 0, activation_bytes = 0, on_chip = 0;
  for (ir::TensorId r : used) {
    const ir::Tensor& tt = tensor(plan, r);
    const std::uint64_t bytes = align_up(tensor_bytes(plan, r), 64) * static_cast<std::uint64_t>(tt.copies);
    if (tt.role == ir::TensorRole::activation) activations.emplace_back(!matmul_a.count(r), bytes, r), activation_bytes += bytes;
    if (tt.role == ir::TensorRole::kv_cache) kv += bytes;
  }
  std::sort(activations.begin(), activations.end());
  std::uint64_t cmem = 0;
  const bool may_use_cmem = plan.options.activations_on_chip.value_or(true);
  for (const auto& [other, bytes, r] : activations) {
    if (!may_use_cmem || cmem + bytes > t.cmem_bytes) continue;
    cmem += bytes;
    on_chip += bytes;
    plan.place[static_cast<std::size_t>(r)].space = isa::Space::cmem;
  }
  plan.kv_on_chip = may_use_cmem && kv > 0 && cmem + kv <= t.cmem_bytes;
  for (ir::TensorId r : used)
    if (plan.kv_on_chip && tensor(plan, r).role == ir::TensorRole::kv_cache)
      plan.place[static_cast<std::size_t>(r)].space = isa::Space::cmem;
  // A matmul whose weights stream keeps its core's slice in VMEM for all its m chunks when it fits
  // beside the working tiles: then prefill reads each weight once, not once per chunk.
  std::size_t held = 0;
  const std::uint64_t hold_room = t.vmem_bytes - plan.vmem_resident_bytes - t.vmem_bytes / 4;
  for (Kernel& k : plan.kernels) {
    if (k.kind != KernelKind::matmul || k.resident || k.mm.batch != 1 || k.mm.m <= k.mm.m_chunk) continue;
    const std::uint64_t bytes = static_cast<std::uint64_t>(k.mm.k * k.mm.tiles_per_core * t.tile_n) *
                                isa::dtype_bytes(k.mxu_dtype) * static_cast<std::uint64_t>(k.mm.acc_sets);
    k.mm.hold_weights = bytes <= hold_room;
    held += k.mm.hold_weights ? 1 : 0;
  }
  return std::string(plan.weights_resident ? "weights resident in VMEM (" : "weights streamed from HBM (") +
         mib(static_cast<double>(per_core)) + " of shards per core" +
         (plan.weights_resident ? ")" : ", " + mib(static_cast<double>(room)) + " room)") + "; " +
         std::to_string(held) + " matmuls hold their slice across m chunks; activations " +
         mib(static_cast<double>(on_chip)) + " of " + mib(static_cast<double>(activation_bytes)) +
         " in CMEM; KV cache in " + (plan.kv_on_chip ? "CMEM" : "HBM");
}

std::string verify_residency(const Plan& plan) {
  if (plan.vmem_resident_bytes + plan.target.vmem_bytes / 4 > plan.target.vmem_bytes) return "resident weights leave no working VMEM";
  for (const Kernel& k : plan.kernels)
    if (k.resident && plan.place[static_cast<std::size_t>(k.inputs[1])].space != isa::Space::vmem)
      return "kernel " + k.name + " is resident but its weight is not in VMEM";
  return {};
}


// ---------------------------------------------------------------------------------------- allocation

namespace {

std::string sanitized(const std::string& name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (out.size() > isa::kMaxNameBytes) out = out.substr(0, isa::kMaxNameBytes);
  return out.empty() ? std::string("t") : out;
}

// Each kernel's VMEM regions above the resident weights, in a fixed order the emitter relies on.
std::vector<Region> kernel_regions(const Plan& plan, const Kernel& k) {
  const Target& t = plan.target;
  std::vector<Region> r;
  std::uint64_t at = plan.vmem_resident_bytes;
  auto add = [&](const std::string& name, std::uint64_t bytes) {
    r.push_back({name, at, bytes});
    at = align_up(at + std::max<std::uint64_t>(bytes, 1), 64);
  };
  auto halves = [&](const std::string& name, std::uint64_t bytes) {
    add(name + "0", bytes);
    add(name + "1", bytes);
  };
  // An attention block's sizes (unused by other kernels).
  const auto e = static_cast<std::uint64_t>(isa::dtype_bytes(k.mxu_dtype));
  const auto rows = static_cast<std::uint64_t>(k.at.rows_block), keys = static_cast<std::uint64_t>(k.at.keys_block);
  const auto d = static_cast<std::uint64_t>(k.at.d), dv = static_cast<std::uint64_t>(k.at.dv);
  switch (k.kind) {
    case KernelKind::matmul: {
      const MatmulShape& s = k.mm;
      const auto ab = static_cast<std::uint64_t>(isa::dtype_bytes(k.mxu_dtype));
      const std::uint64_t kb = static_cast<std::uint64_t>(std::min(s.k_block, s.k));
      const std::uint64_t cells = static_cast<std::uint64_t>(s.m_chunk * s.group_cols);
      halves("a", static_cast<std::uint64_t>(s.m_chunk) * kb * ab);
      const bool streamed = !k.resident && !s.hold_weights;
      halves("w", streamed ? kb * static_cast<std::uint64_t>(s.group_cols) * ab : 0);
      halves("w_up", streamed && s.acc_sets > 1 ? kb * static_cast<std::uint64_t>(s.group_cols) * ab : 0);
      const std::uint64_t slice = s.hold_weights ? static_cast<std::uint64_t>(s.k * s.tiles_per_core * t.tile_n) * ab : 0;
      add("wh", slice);
      add("wh_up", s.acc_sets > 1 ? slice : 0);
      halves("o", cells * 4);
      halves("o2", k.epilogue == Epilogue::swiglu || k.epilogue == Epilogue::add || s.k_split ? cells * 4 : 0);
      halves("e", k.epilogue == Epilogue::add ? cells * static_cast<std::uint64_t>(element_bytes(plan, k.addend)) : 0);
      halves("y", cells * static_cast<std::uint64_t>(element_bytes(plan, k.output)));
      break;
    }
    case KernelKind::attention: {
      halves("q", rows * d * e);
      halves("kt", d * keys * e);
      halves("v", keys * dv * e);
      halves("s", rows * keys * 4);
      halves("p", rows * keys * e);
      halves("pv", rows * dv * 4);
      add("mb", rows * keys * 4);
      add("ab", rows * dv * 4);
      add("o", rows * dv * 4);
      halves("ob", rows * dv * static_cast<std::uint64_t>(element_bytes(plan, k.output)));
      for (const char* v : {"m", "l", "bm", "al", "rs"}) add(v, rows * 4);
      break;
    }
    case KernelKind::attention_backward: {
      const std::uint64_t wide = std::max(d, dv);
      halves("q", rows * d * e);
      halves("do", rows * dv * e);
      add("o", rows * dv * e);
      halves("kt", d * keys * e);
      halves("k", keys * d * e);
      halves("vt", dv * keys * e);
      halves("s", rows * keys * 4);
      halves("dp", rows * keys * 4);
      halves("p", rows * keys * e);
      halves("ds", rows * keys * e);
      halves("pt", keys * rows * e);
      halves("dst", keys * rows * e);
      add("mb", rows * keys * 4);
      add("t1", rows * wide * 4);
      add("t2", rows * wide * 4);
      halves("grad", std::max(rows, keys) * wide * 4);
      halves("gradb", std::max(rows, keys) * wide * e);
      for (const char* v : {"m", "l", "rl", "rs", "bm", "al", "dd"}) add(v, rows * 4);
      break;
    }
    case KernelKind::rowwise: {
      const auto cells = static_cast<std::uint64_t>(k.chunk * k.width);
      halves("in", cells * static_cast<std::uint64_t>(element_bytes(plan, k.inputs[0])));
      halves("f", cells * 4);
      halves("t", cells * 4);
      halves("r", static_cast<std::uint64_t>(k.chunk) * 4);
      halves("rp", static_cast<std::uint64_t>(k.chunk * k.pieces) * 4);
      halves("out", cells * static_cast<std::uint64_t>(element_bytes(plan, k.output)));
      break;
    }
    case KernelKind::rope: {
      const auto cells = static_cast<std::uint64_t>(k.chunk * k.rotate_cols);
      halves("x", cells * static_cast<std::uint64_t>(element_bytes(plan, k.inputs[0])));
      halves("xr", cells * static_cast<std::uint64_t>(element_bytes(plan, k.inputs[0])));
      halves("f", cells * 4);
      halves("g", cells * 4);
      halves("cos", cells * 4);
      halves("sin", cells * 4);
      halves("out", cells * static_cast<std::uint64_t>(element_bytes(plan, k.output)));
      break;
    }
    case KernelKind::pointwise: {
      const auto cells = static_cast<std::uint64_t>(k.chunk);
      for (std::size_t i = 0; i < k.inputs.size(); ++i) {
        const std::string index = std::to_string(i);
        halves(std::string("in").append(index), cells * static_cast<std::uint64_t>(element_bytes(plan, k.inputs[i])));
        halves(std::string("f").append(index), cells * 4);
      }
      halves("t", cells * 4);
      halves("out", cells * static_cast<std::uint64_t>(element_bytes(plan, k.output)));
      break;
    }
    case KernelKind::gather:
    case KernelKind::copy:
      break;
  }
  return r;
}

}  // namespace

Expected<std::string> allocate(Plan& plan) {
  const Target& t = plan.target;
  // HBM and CMEM: every root tensor not resident, copies side by side, 64-byte aligned.
  std::uint64_t hbm = 0, cmem = 0;
  std::set<ir::TensorId> roots(plan.root.begin(), plan.root.end());
  std::map<std::string, int> names;
  for (ir::TensorId r : roots) {
    Placement& p = plan.place[static_cast<std::size_t>(r)];
    const ir::Tensor& tt = tensor(plan, r);
    isa::Tensor desc;
    std::string name = sanitized(tt.name);
    if (int n = names[name]++; n > 0) {
      const std::string suffix = std::string(1, '_').append(std::to_string(n));
      name = name.substr(0, std::min(name.size(), isa::kMaxNameBytes - suffix.size())) + suffix;
    }
    desc.name = name;
    desc.dtype = *isa_dtype(tt.dtype);
    if (p.resident) {
      desc.level = isa::Space::vmem;
      desc.address = p.address;
      desc.shape = {p.copy_bytes * static_cast<std::uint64_t>(p.copies) / isa::dtype_bytes(desc.dtype)};
      if (p.address + p.copy_bytes * static_cast<std::uint64_t>(p.copies) > t.vmem_bytes)
        return Error("resident weight " + quote_value(tt.name) + " is past VMEM");
      plan.tensors.push_back(desc);
      continue;
    }
    p.copies = tt.copies;
    p.copy_bytes = align_up(tensor_bytes(plan, r), 64);
    if (p.shard_k > 0)  // whole tiles: every shard's bytes are a multiple of 64
      p.copy_bytes = static_cast<std::uint64_t>(p.shards * p.shard_k * p.shard_cols) * static_cast<std::uint64_t>(element_bytes(plan, r));
    std::uint64_t& at = p.space == isa::Space::cmem ? cmem : hbm;
    p.address = at;
    at += p.copy_bytes * static_cast<std::uint64_t>(p.copies);
    if (at >= (std::uint64_t{1} << 40))
      return Error("tensor " + quote_value(tt.name) + " ends past the ISA's 40-bit addresses (1 TiB)");
    desc.level = p.space;
    desc.address = p.address;
    if (tt.copies > 1) desc.shape.push_back(static_cast<std::uint64_t>(tt.copies));
    if (p.shard_k > 0)
      desc.shape.insert(desc.shape.end(), {static_cast<std::uint64_t>(p.shards), static_cast<std::uint64_t>(p.shard_k),
                                           static_cast<std::uint64_t>(p.shard_cols)});
    else
      for (std::int64_t d : tt.shape) desc.shape.push_back(static_cast<std::uint64_t>(d));
    plan.tensors.push_back(desc);
  }
  if (cmem > t.cmem_bytes) return Error("CMEM placement overflows: a bug in residency");
  plan.hbm_used_bytes = hbm;
  // Tables the runtime fills: rope's cos and signed sin per row, and the token ids' rows for the gather.
  std::int64_t rope_rows = 0, rope_dim = 0;
  for (const Kernel& k : plan.kernels)
    if (k.kind == KernelKind::rope) rope_rows = std::max(rope_rows, k.rows), rope_dim = std::max(rope_dim, k.head_dim);
  if (rope_rows > 0) {
    // On chip when CMEM has room: each row is read once per head.
    const std::uint64_t table = align_up(static_cast<std::uint64_t>(rope_rows * rope_dim) * 4, 64);
    const bool on_chip = cmem + 2 * table <= t.cmem_bytes;
    for (const char* name : {"rope_cos", "rope_sin_signed"}) {
      std::uint64_t& at = on_chip ? cmem : hbm;
      plan.tensors.push_back({name, isa::DType::fp32, on_chip ? isa::Space::cmem : isa::Space::hbm, at,
                              {static_cast<std::uint64_t>(rope_rows), static_cast<std::uint64_t>(rope_dim)}});
      at += table;
    }
    plan.hbm_used_bytes = hbm;
  }
  plan.cmem_used_bytes = cmem;
  if (t.hbm_bytes > 0 && hbm > t.hbm_bytes)
    return Error("the program's tensors need " + gib(static_cast<double>(hbm)) + " of HBM; " + t.name + " has " +
                 gib(static_cast<double>(t.hbm_bytes)) + ": split the model over more chips (--tp)");
  // Attention backward's row statistics, and the causal mask for attention blocks on the diagonal:
  // T[i][c] = 0 where c - i <= keys, else -1e30; the block whose first query sits D positions after
  // its first key reads columns from keys - D (docs/compiler.md). One table serves every block shape:
  // rows and keys are the largest any kernel uses.
  std::int64_t rows = 0, keys = 0, scratch_rows = 0;
  for (const Kernel& k : plan.kernels) {
    if (k.kind == KernelKind::attention_backward)
      scratch_rows = std::max(scratch_rows, k.at.batch * k.at.heads * k.at.q);
    if ((k.kind != KernelKind::attention && k.kind != KernelKind::attention_backward) || !k.at.causal || k.at.q == 1)
      continue;
    rows = std::max(rows, k.at.rows_block);
    keys = std::max(keys, k.at.keys_block);
  }
  if (scratch_rows > 0) {
    const std::uint64_t bytes = align_up(static_cast<std::uint64_t>(scratch_rows) * 4, 64);
    const bool on_chip = cmem + 3 * bytes <= t.cmem_bytes;
    std::uint64_t& at = on_chip ? cmem : hbm;
    plan.scratch = (static_cast<std::uint64_t>(on_chip ? isa::Space::cmem : isa::Space::hbm) << 40) | at;
    plan.scratch_rows = bytes / 4;
    plan.tensors.push_back({"attention_row_stats", isa::DType::fp32, on_chip ? isa::Space::cmem : isa::Space::hbm, at,
                            {3, bytes / 4}});
    at += 3 * bytes;
    plan.cmem_used_bytes = cmem;
    plan.hbm_used_bytes = hbm;
  }
  if (rows > 0) {
    const std::int64_t cols = 2 * keys + rows;
    plan.mask_rows = static_cast<std::uint64_t>(rows);
    plan.mask_cols = static_cast<std::uint64_t>(cols);
    plan.mask_keys = static_cast<std::uint64_t>(keys);
    plan.mask_offset = align_up(plan.constants.size(), 64);
    plan.constants.resize(plan.mask_offset + static_cast<std::size_t>(rows * cols) * 4, 0);
    const float masked = -1e30F;
    std::uint32_t bits = 0;
    std::memcpy(&bits, &masked, 4);
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t c = 0; c < cols; ++c) {
        if (c - i <= keys) continue;
        const std::size_t at = plan.mask_offset + static_cast<std::size_t>(i * cols + c) * 4;
        for (int b = 0; b < 4; ++b) plan.constants[at + static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(bits >> (8 * b));
      }
    plan.tensors.push_back({"causal_mask", isa::DType::fp32, isa::Space::konst, plan.mask_offset,
                            {static_cast<std::uint64_t>(rows), static_cast<std::uint64_t>(cols)}});
  }
  std::uint64_t peak = 0;
  for (Kernel& k : plan.kernels) {
    k.vmem = kernel_regions(plan, k);
    if (!k.vmem.empty()) peak = std::max(peak, k.vmem.back().offset + k.vmem.back().bytes);
  }
  if (peak > t.vmem_bytes)
    return Error("the kernels need " + mib(static_cast<double>(peak)) + " of VMEM per core; " + t.name + " has " +
                 mib(static_cast<double>(t.vmem_bytes)));
  return "HBM " + mib(static_cast<double>(plan.hbm_used_bytes)) + ", CMEM " + mib(static_cast<double>(cmem)) +
         ", VMEM per core up to " + mib(static_cast<double>(peak)) + " (" +
         mib(static_cast<double>(plan.vmem_resident_bytes)) + " resident)";
}

std::string verify_allocation(const Plan& plan) {
  const Target& t = plan.target;
  // Global tensors: inside their level and disjoint within it.
  for (isa::Space space : {isa::Space::hbm, isa::Space::cmem, isa::Space::vmem}) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> spans;
    for (const isa::Tensor& d : plan.tensors)
      if (d.level == space) spans.emplace_back(d.address, d.address + isa::tensor_bytes(d));
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i)
      if (spans[i].first < spans[i - 1].second) return std::string(isa::space_name(space)) + " tensors overlap";
    const std::uint64_t cap = space == isa::Space::cmem ? t.cmem_bytes : space == isa::Space::vmem ? plan.vmem_resident_bytes : std::uint64_t{1} << 40;
    if (!spans.empty() && spans.back().second > cap) return std::string(isa::space_name(space)) + " tensors past capacity";
  }
  // Each kernel's VMEM regions: above the resident weights, disjoint, inside VMEM.
  for (const Kernel& k : plan.kernels) {
    std::uint64_t end = plan.vmem_resident_bytes;
    for (const Region& r : k.vmem) {
      if (r.offset < end) return "kernel " + k.name + ": VMEM region " + r.name + " overlaps the one before it";
      end = r.offset + r.bytes;
    }
    if (end > t.vmem_bytes) return "kernel " + k.name + ": VMEM regions end past capacity";
  }
  return {};
}

}  // namespace xpusim::compiler::detail
