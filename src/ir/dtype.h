// Data types of tensors, with their storage size and the chip-spec key of the units that compute them.
#pragma once

#include <optional>
#include <string_view>

namespace xpusim::ir {

enum class DType : unsigned char { fp32, tf32, bf16, fp16, fp8_e4m3, fp8_e5m2, int8, fp4_e2m1, int4 };

inline constexpr DType kAllDTypes[] = {DType::fp32,     DType::tf32, DType::bf16,     DType::fp16, DType::fp8_e4m3,
                                       DType::fp8_e5m2, DType::int8, DType::fp4_e2m1, DType::int4};

// Bytes per element as stored in memory: tf32 is stored as fp32, int4 packs two per byte.
double dtype_bytes(DType dtype);
std::string_view dtype_name(DType dtype);  // "bf16", "fp8_e4m3", ...
// Accepts the names above, "fp8" (= fp8_e4m3, the inference and forward-pass format) and "fp4" (= fp4_e2m1).
std::optional<DType> parse_dtype(std::string_view text);
// The key in a chip spec's macs_per_cycle / peak_tflops that computes this dtype ("fp8" for both fp8s,
// "fp4" for fp4_e2m1).
std::string_view dtype_compute_key(DType dtype);

}  // namespace xpusim::ir
