#include "ir/dtype.h"

namespace xpusim::ir {

double dtype_bytes(DType dtype) {
  switch (dtype) {
    case DType::fp32:
    case DType::tf32:
      return 4;
    case DType::bf16:
    case DType::fp16:
      return 2;
    case DType::fp8_e4m3:
    case DType::fp8_e5m2:
    case DType::int8:
      return 1;
    case DType::fp4_e2m1:
    case DType::int4:
      return 0.5;
  }
  return 0;
}

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::fp32:
      return "fp32";
    case DType::tf32:
      return "tf32";
    case DType::bf16:
      return "bf16";
    case DType::fp16:
      return "fp16";
    case DType::fp8_e4m3:
      return "fp8_e4m3";
    case DType::fp8_e5m2:
      return "fp8_e5m2";
    case DType::int8:
      return "int8";
    case DType::fp4_e2m1:
      return "fp4_e2m1";
    case DType::int4:
      return "int4";
  }
  return "?";
}

std::optional<DType> parse_dtype(std::string_view text) {
  if (text == "fp8") return DType::fp8_e4m3;
  if (text == "fp4") return DType::fp4_e2m1;
  for (DType d : kAllDTypes)
    if (dtype_name(d) == text) return d;
  return std::nullopt;
}

std::string_view dtype_compute_key(DType dtype) {
  switch (dtype) {
    case DType::fp8_e4m3:
    case DType::fp8_e5m2:
      return "fp8";
    case DType::fp4_e2m1:
      return "fp4";
    default:
      return dtype_name(dtype);
  }
}

}  // namespace xpusim::ir
