// The serving estimate's KV cache type: the default a user gets without --kv-dtype, and the refusal of
// a cache narrower than 8 bits.
#include "serve/serving.h"

#include <gtest/gtest.h>

#include "spec_test_util.h"

namespace xpusim::serve {
namespace {

using spec::testing::library_spec;

const spec::ChipSpec& chip(const char* name) {
  return library_spec<spec::ChipSpec>(spec::Kind::chip, name);
}

TEST(ServingKvCache, DefaultsToTheWeightsTypeWhereACacheMayTakeIt) {
  EXPECT_EQ(default_kv_dtype(ir::DType::bf16, chip("h100-sxm")), ir::DType::bf16);
  EXPECT_EQ(default_kv_dtype(ir::DType::fp16, chip("a100-sxm-80gb")), ir::DType::fp16);
  EXPECT_EQ(default_kv_dtype(ir::DType::fp8_e4m3, chip("h100-sxm")), ir::DType::fp8_e4m3);
  EXPECT_EQ(default_kv_dtype(ir::DType::int8, chip("a100-sxm-80gb")), ir::DType::int8);
}

TEST(ServingKvCache, Fp4WeightsGetTheNarrowestCacheTheChipComputes) {
  // B200 computes fp8: an fp8 cache, the narrowest --kv-dtype accepts. A100 has no fp8 units: bf16.
  EXPECT_EQ(default_kv_dtype(ir::DType::fp4_e2m1, chip("b200")), ir::DType::fp8_e4m3);
  EXPECT_EQ(default_kv_dtype(ir::DType::fp4_e2m1, chip("a100-sxm-80gb")), ir::DType::bf16);
  EXPECT_FALSE(is_kv_dtype(ir::DType::fp4_e2m1));
  EXPECT_FALSE(is_kv_dtype(ir::DType::int4));
  EXPECT_TRUE(is_kv_dtype(ir::DType::int8));
}

TEST(ServingKvCache, Fp4WeightsWithTheDefaultCacheHoldOneByteAValue) {
  const auto& llama = library_spec<spec::ModelSpec>(spec::Kind::model, "llama3-8b");
  const spec::ChipSpec& b200 = chip("b200");
  ServeOptions o;
  o.batch = 4;
  o.prompt = 1024;
  o.gen = 64;
  o.llm.dtype = ir::DType::fp4_e2m1;
  o.llm.kv_dtype = default_kv_dtype(o.llm.dtype, b200);
  const Expected<ServeResult> r = estimate_serving(llama, b200, interconnect_of(b200, nullptr, nullptr), o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  // Llama 3 8B: 32 layers x (K and V) x 8 KV heads x 128 = 65,536 values per token, one byte each in fp8,
  // for 4 requests of 1024 + 64 - 1 tokens.
  EXPECT_DOUBLE_EQ(r->memory.kv_cache_bytes, 65536.0 * 1 * 4 * (1024 + 63));

  o.llm.kv_dtype = ir::DType::fp4_e2m1;  // what the old default stored, and --kv-dtype refuses
  const Expected<ServeResult> refused = estimate_serving(llama, b200, interconnect_of(b200, nullptr, nullptr), o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().to_string().find("KV cache cannot be stored as fp4_e2m1"), std::string::npos);
}

TEST(ServingPipeline, SendsLeaveTheDomainWhereTheStagesDo) {
  // 4 stages of tp 4 on two 8-GPU DGX H100s: the send from stage 1 to stage 2 crosses the NICs, the
  // other two stay on NVLink.
  const auto& llama = library_spec<spec::ModelSpec>(spec::Kind::model, "llama3-70b");
  const auto& dgx = library_spec<spec::SystemSpec>(spec::Kind::system, "dgx-h100");
  const auto& nvlink = library_spec<spec::NetworkSpec>(spec::Kind::network, dgx.scale_up.network.c_str());
  const auto& fabric = library_spec<spec::NetworkSpec>(spec::Kind::network, "nvidia-quantum2-ndr");
  const network::Topology two = network::topology_of(dgx, &nvlink, 2, &fabric, 1);
  const spec::ChipSpec& h100 = chip("h100-sxm");
  ServeOptions o;
  o.batch = 8;
  o.prompt = 1024;
  o.gen = 16;
  o.llm.tp = 4;
  o.pp = 4;
  o.topology = &two;
  const Expected<ServeResult> r = estimate_serving(llama, h100, interconnect_of(h100, &dgx, &nvlink), o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_TRUE(r->fits);
  // Each TP rank sends its quarter of the prompt's activations: 8 x 1024 tokens x 8192 x 2 bytes / 4.
  const double bytes = 8.0 * 1024 * 8192 * 2 / 4;
  const auto send = [&](int stride) {
    return network::collective_time(network::Collective::send_recv, bytes, two, network::group_of(two, stride, 2))
        ->seconds;
  };
  const double inside = send(4), across = send(8);
  ASSERT_GT(across, inside);
  EXPECT_NEAR(r->prefill_pp_s, 2 * inside + across, 1e-12);
}

}  // namespace
}  // namespace xpusim::serve
