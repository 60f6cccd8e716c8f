// Helpers every pass shares, and the target the compiler reads from a chip spec.
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

std::optional<isa::DType> isa_dtype(ir::DType d) {
  switch (d) {
    case ir::DType::fp32:
    case ir::DType::tf32:
      return isa::DType::fp32;
    case ir::DType::bf16:
      return isa::DType::bf16;
    case ir::DType::fp16:
      return isa::DType::fp16;
    case ir::DType::fp8_e4m3:
      return isa::DType::fp8_e4m3;
    case ir::DType::fp8_e5m2:
      return isa::DType::fp8_e5m2;
    case ir::DType::int8:
      return isa::DType::int8;
    default:
      return std::nullopt;
  }
}


std::string mib(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f MiB", bytes / (1024.0 * 1024.0));
  return text;
}

std::string gib(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return text;
}


std::int64_t product(const ir::Shape& shape, std::size_t from, std::size_t to) {
  std::int64_t p = 1;
  for (std::size_t i = from; i < to; ++i) p *= shape[i];
  return p;
}

const ir::Tensor& tensor(const Plan& plan, ir::TensorId id) {
  return plan.graph->tensor(id);
}

std::uint64_t tensor_bytes(const Plan& plan, ir::TensorId id) {
  const ir::Tensor& t = tensor(plan, id);
  return static_cast<std::uint64_t>(std::ceil(t.elements() * ir::dtype_bytes(t.dtype)));
}

int element_bytes(const Plan& plan, ir::TensorId id) {
  return isa::dtype_bytes(*isa_dtype(tensor(plan, id).dtype));
}

bool is_weight(const Plan& plan, ir::TensorId id) {
  return tensor(plan, id).role == ir::TensorRole::weight;
}

std::string_view kernel_kind_name(KernelKind kind) {
  switch (kind) {
    case KernelKind::matmul:
      return "matmul";
    case KernelKind::attention:
      return "attention";
    case KernelKind::attention_backward:
      return "attention_backward";
    case KernelKind::rowwise:
      return "rowwise";
    case KernelKind::pointwise:
      return "pointwise";
    case KernelKind::rope:
      return "rope";
    case KernelKind::gather:
      return "gather";
    case KernelKind::copy:
      return "copy";
  }
  return "?";
}

Expected<Target> target_of(const spec::ChipSpec& chip) {
  const spec::MatrixUnit& mu = chip.cores.matrix_unit;
  if (mu.dataflow != "weight_stationary")
    return Error(chip.name + " is not a systolic XPU the compiler targets: its matrix units are " + mu.dataflow +
                 " (cores.matrix_unit.dataflow must be weight_stationary)");
  Target t;
  t.name = chip.name;
  t.cores = chip.cores.count;
  t.units = mu.count;
  t.tile_k = mu.tile.k;
  t.tile_n = mu.tile.n;
  if (t.cores < 1 || t.cores > static_cast<std::int64_t>(isa::kMaxCores))
    return Error(chip.name + " has " + std::to_string(t.cores) + " cores; the ISA addresses 1 to 256");
  if (t.units < 1 || t.units > 4)
    return Error(chip.name + " has " + std::to_string(t.units) + " matrix units per core; the ISA has 1 to 4");
  if (t.tile_k < 8 || t.tile_k > 256 || t.tile_n < 8 || t.tile_n > 256)
    return Error(chip.name + "'s matrix unit tile is " + std::to_string(t.tile_k) + " x " + std::to_string(t.tile_n) +
                 " (k x n); the compiler needs a systolic array of 8 to 256 on each side (cores.matrix_unit.tile)");
  for (const spec::CoreSram& s : chip.cores.sram)
    if (s.level == "vmem") t.vmem_bytes = static_cast<std::uint64_t>(s.capacity_kib * 1024);
  if (t.vmem_bytes == 0)
    return Error(chip.name + " has no per-core VMEM (cores.sram level vmem): the compiler stages tiles there");
  // VMEM addresses are 24 bits in the ISA: a larger VMEM is used up to 16 MiB.
  t.vmem_bytes = std::min<std::uint64_t>(t.vmem_bytes, std::uint64_t{1} << 24);
  for (const spec::SharedSram& s : chip.shared_sram)
    if (s.level == "cmem") t.cmem_bytes = static_cast<std::uint64_t>(s.capacity_mib * 1024 * 1024);
  t.hbm_bytes = static_cast<std::uint64_t>(chip.hbm.capacity_gib * 1024 * 1024 * 1024);
  // The accumulators: 512 rows of tile_n 32-bit values per unit (docs/xpu-1.md §3), 256 KiB for 128 columns.
  t.acc_rows = 512;
  for (const auto& [key, macs] : mu.macs_per_cycle)
    if (macs > 0) t.mxu_dtypes.push_back(key);
  return t;
}

}  // namespace xpusim::compiler::detail
