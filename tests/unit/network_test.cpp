// Collective costs worked out by hand from the alpha-beta model of each algorithm.
#include <gtest/gtest.h>

#include "network/collectives.h"
#include "spec_test_util.h"

namespace xpusim::network {
namespace {

Level switched(int ranks, double gb_s, double latency_us, double efficiency) {
  Level level;
  level.name = "test";
  level.ranks = ranks;
  level.bandwidth_gb_s = gb_s;
  level.latency_us = latency_us;
  level.efficiency = efficiency;
  return level;
}

TEST(Collectives, RingAllReduceMovesTwiceTheBufferOverTheGroup) {
  Topology t{{switched(8, 300, 1, 0.77)}, {}};
  const Expected<CollectiveTime> c = collective_time(Collective::all_reduce, 8e9, t, Group{{8}}, Algorithm::ring);
  ASSERT_TRUE(c.ok());
  const double expected = 14 * 1e-6 + 2.0 * 7 / 8 * 8e9 / (300e9 * 0.77);
  EXPECT_NEAR(c->seconds, expected, 1e-12);
  // nccl-tests' bus bandwidth of a bandwidth-bound ring equals the achieved link bandwidth.
  EXPECT_NEAR(c->bus_bandwidth_gb_s, 231.0, 0.1);
}

TEST(Collectives, InNetworkReductionSendsEachByteOnce) {
  Level nvls = switched(8, 450, 1, 0.77);
  nvls.in_network_reduction = true;
  nvls.reduction_efficiency = 0.61;
  Topology t{{nvls}, {}};
  const Expected<CollectiveTime> c = collective_time(Collective::all_reduce, 8e9, t, Group{{8}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->algorithm, Algorithm::in_network);
  EXPECT_NEAR(c->seconds, 2e-6 + 8e9 / (450e9 * 0.61), 1e-12);
  EXPECT_NEAR(c->bus_bandwidth_gb_s, 1.75 * 8e9 / (2e-6 + 8e9 / (450e9 * 0.61)) / 1e9, 1e-6);  // about 480
}

TEST(Collectives, SmallMessagesPreferTheLogarithmicTree) {
  Topology t{{switched(64, 50, 5, 0.8)}, {}};
  const Expected<CollectiveTime> c = collective_time(Collective::all_reduce, 1024, t, Group{{64}});
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c->algorithm, Algorithm::ring);
  // 2 log2(64) = 12 latency steps instead of the ring's 2 x 63.
  EXPECT_NEAR(c->seconds, 12 * 5e-6 + 2.0 * 63 / 64 * 1024 / (50e9 * 0.8), 1e-12);
}

TEST(Collectives, HierarchicalAllReduceSplitsTheWorkAcrossLevels) {
  Topology t{{switched(8, 300, 1, 1.0), switched(4, 25, 3, 1.0)}, {}};
  const double S = 1e9;
  const Expected<CollectiveTime> c =
      collective_time(Collective::all_reduce, S, t, Group{{8, 4}}, Algorithm::hierarchical);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->algorithm, Algorithm::hierarchical);
  const double inside = 7 * 1e-6 + 7.0 / 8 * S / 300e9;  // reduce-scatter, then all-gather: same cost
  const double across_ring = 2 * 3 * 3e-6 + 2.0 * 3 / 4 * (S / 8) / 25e9;
  const double across_tree = 2 * 2 * 3e-6 + 2.0 * 3 / 4 * (S / 8) / 25e9;  // 4 ranks: log2 = 2 steps
  EXPECT_NEAR(c->seconds, 2 * inside + std::min(across_ring, across_tree), 1e-12);
}

TEST(Collectives, AcrossNodesARingRunsAtTheSlowestLevel) {
  Topology t{{switched(8, 300, 1, 1.0), switched(4, 25, 3, 1.0)}, {}};
  const double S = 1e9;
  const Expected<CollectiveTime> c = collective_time(Collective::all_gather, S, t, Group{{8, 4}});
  ASSERT_TRUE(c.ok());
  // 32 ranks in one ring: 31 steps at the network's latency, 31/32 of the buffer over the NIC share.
  EXPECT_NEAR(c->seconds, 31 * 3e-6 + 31.0 / 32 * S / 25e9, 1e-12);
}

TEST(Collectives, TorusReducesOneDimensionAtATime) {
  Level ici = switched(64, 300, 1, 1.0);
  ici.torus_dims = {4, 4, 4};
  Topology t{{ici}, {}};
  // A chip's bandwidth over 3 dimensions, each ring on a third of it; the data goes round the three
  // dimensions in three orders at once, so each phase has all three rings' bandwidth.
  const double S = 6e8, dim_bw = 300e9 / 3 * 3;
  double expected = 0, data = S;
  for (int d = 0; d < 3; ++d) {
    expected += 2 * (3 * 1e-6 + 3.0 / 4 * data / dim_bw);
    data /= 4;
  }
  const Expected<CollectiveTime> c = collective_time(Collective::all_reduce, S, t, Group{{64}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->algorithm, Algorithm::torus);
  EXPECT_NEAR(c->seconds, expected, 1e-12);
}

TEST(Collectives, ATorusGroupUsesTheAxesItSpans) {
  // A tensor-parallel group of 4 (stride 1) is one axis of a 4x4x4 torus: one bidirectional ring on 2
  // of the chip's 6 links, a third of its 300 GB/s. The data-parallel group beside it (stride 4, 16
  // ranks) spans the other two axes and runs on both at once.
  EXPECT_EQ(group_torus_dims({4, 4, 4}, 1, 4), (std::vector<std::int64_t>{4}));
  EXPECT_EQ(group_torus_dims({4, 4, 4}, 4, 16), (std::vector<std::int64_t>{4, 4}));
  // Stride 8 on 8x8x16 steps over half of the last axis: 2 of it, then 8 and 4 of the others.
  EXPECT_EQ(group_torus_dims({8, 8, 16}, 8, 64), (std::vector<std::int64_t>{4, 8, 2}));
  Level ici = switched(64, 300, 1, 1.0);
  ici.torus_dims = {4, 4, 4};
  Topology t{{ici}, {}};
  const double S = 8e8;
  Group tp{{4}};
  const Expected<CollectiveTime> ring = collective_time(Collective::all_reduce, S, t, tp);
  ASSERT_TRUE(ring.ok());
  EXPECT_NEAR(ring->seconds, 2 * (3 * 1e-6 + 3.0 / 4 * S / 100e9), 1e-12);
  Group dp{{16}};
  dp.inner_stride = 4;
  const Expected<CollectiveTime> plane = collective_time(Collective::all_reduce, S, t, dp);
  ASSERT_TRUE(plane.ok());
  EXPECT_NEAR(plane->seconds, 2 * (3e-6 + 3.0 / 4 * S / 200e9) + 2 * (3e-6 + 3.0 / 4 * S / 4 / 200e9), 1e-12);
}

TEST(Collectives, RejectsAGroupLargerThanItsLevel) {
  Topology t{{switched(8, 300, 1, 1.0)}, {}};
  const Expected<CollectiveTime> c = collective_time(Collective::all_gather, 1e6, t, Group{{16}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().to_string(), "error: the group has 16 ranks at level test, which has 8");
}

TEST(Topology, BuildsScaleUpAndScaleOutFromSpecs) {
  const spec::Library& lib = spec::testing::builtin_library();
  const auto& system = std::get<spec::SystemSpec>(lib.find(spec::Kind::system, "dgx-h100")->spec);
  const auto& nvswitch = std::get<spec::NetworkSpec>(lib.find(spec::Kind::network, "nvlink4-switch")->spec);
  const auto& quantum = std::get<spec::NetworkSpec>(lib.find(spec::Kind::network, "nvidia-quantum2-ndr")->spec);
  const Topology t = topology_of(system, &nvswitch, 32, &quantum, 2);
  ASSERT_EQ(t.levels.size(), 2u);
  EXPECT_EQ(t.levels[0].ranks, 8);
  EXPECT_EQ(t.levels[0].bandwidth_gb_s, 450);
  EXPECT_TRUE(t.levels[0].in_network_reduction);
  EXPECT_EQ(t.levels[1].ranks, 32);
  EXPECT_DOUBLE_EQ(t.levels[1].bandwidth_gb_s, 8 * 400 / 8.0 / 8);  // one 400 Gb/s NIC per GPU = 50 GB/s
  // A 2:1 oversubscribed leaf halves what leaves it; a single tier has no uplinks to share.
  EXPECT_DOUBLE_EQ(topology_of(system, &nvswitch, 32, &quantum, 2, 2.0).levels[1].bandwidth_gb_s, 25);
  EXPECT_DOUBLE_EQ(topology_of(system, &nvswitch, 8, &quantum, 1, 2.0).levels[1].bandwidth_gb_s, 50);
  // The switch specs' port-to-port latencies: one NVSwitch hop (330 ns) and, on a two-tier Clos,
  // 3 Quantum-2 hops (3 x 330 ns), each beside the fixed per-step software cost.
  EXPECT_DOUBLE_EQ(t.fabric.scale_up_hop_us, 0.33);
  EXPECT_DOUBLE_EQ(t.levels[0].latency_us, 0.33 + kScaleUpStepUs);
  EXPECT_DOUBLE_EQ(t.fabric.switch_hop_us, 0.33);
  EXPECT_NEAR(t.levels[1].latency_us, 3 * 0.33 + kScaleOutStepUs, 1e-12);
}

// A TPU v5p job of 1,024 chips: 16 cubes of 4x4x4 joined by the optical circuit switches into one
// 8x8x16 torus with wraparound links (Google's v5p slice shapes), not 16 systems over the DCN.
TEST(TpuSlices, SixteenCubesFormOneEightByEightBySixteenTorus) {
  const spec::Library& lib = spec::testing::builtin_library();
  const auto& cube = std::get<spec::SystemSpec>(lib.find(spec::Kind::system, "tpu-v5p-4x4x4")->spec);
  const auto* ici = &std::get<spec::NetworkSpec>(lib.find(spec::Kind::network, "tpu-v5p-ici")->spec);
  const Expected<spec::SystemSpec> slice = spec::torus_slice(cube, 16);
  ASSERT_TRUE(slice.ok());
  EXPECT_EQ(slice->chip_count, 1024);
  EXPECT_EQ(slice->scale_up.torus_dims, (std::vector<std::int64_t>{8, 8, 16}));
  EXPECT_EQ(slice->scale_up_domain_size(), 1024);
  EXPECT_EQ(slice->scale_out.nic_count, 16 * 64);
  EXPECT_EQ(spec::torus_slice(cube, 2)->scale_up.torus_dims, (std::vector<std::int64_t>{4, 4, 8}));
  EXPECT_EQ(spec::torus_slice(cube, 8)->scale_up.torus_dims, (std::vector<std::int64_t>{8, 8, 8}));
  const Topology t = topology_of(*slice, ici, 1, nullptr, 1);
  ASSERT_EQ(t.levels.size(), 1u);
  EXPECT_EQ(t.levels[0].ranks, 1024);
  EXPECT_EQ(t.levels[0].torus_dims, (std::vector<std::int64_t>{8, 8, 16}));
  // Wraparound: chip (0,0,0) and chip (0,0,15) are neighbours, one link apart; (0,0,8) is 8 hops
  // either way; (7,7,15) is one hop along each axis.
  EXPECT_EQ(route(t.fabric, 0, 15)->size(), 1u);
  EXPECT_EQ(route(t.fabric, 0, 8)->size(), 8u);
  EXPECT_EQ(route(t.fabric, 0, 7 * 128 + 7 * 16 + 15)->size(), 3u);
  // v5p's largest slice is 6,144 chips (96 cubes); a v6e pod is not a block of a larger torus.
  EXPECT_FALSE(spec::torus_slice(cube, 97).ok());
  const auto& v6e = std::get<spec::SystemSpec>(lib.find(spec::Kind::system, "tpu-v6e-16x16")->spec);
  EXPECT_FALSE(spec::torus_slice(v6e, 2).ok());
}

// Two 1,024-chip slices over the data-center network: each chip has its 50 Gb/s = 6.25 GB/s of DCN
// (Google's v5p figure), at the default 0.8 efficiency and 3 us per step. An all-reduce of 1 GB between
// a chip and its peer in the other slice (a ring of 2): 2 (n - 1) alpha + 2 (n - 1) / n x B / bw =
// 2 x 3 us + 1e9 / 5e9 = 0.200006 s.
TEST(TpuSlices, MultiSliceAllReduceCrossesTheDcnByHand) {
  const spec::Library& lib = spec::testing::builtin_library();
  const auto& cube = std::get<spec::SystemSpec>(lib.find(spec::Kind::system, "tpu-v5p-4x4x4")->spec);
  const auto* ici = &std::get<spec::NetworkSpec>(lib.find(spec::Kind::network, "tpu-v5p-ici")->spec);
  const Topology t = topology_of(*spec::torus_slice(cube, 16), ici, 2, nullptr, 1);
  ASSERT_EQ(t.levels.size(), 2u);
  EXPECT_EQ(t.levels[1].ranks, 2);
  EXPECT_DOUBLE_EQ(t.levels[1].bandwidth_gb_s, 6.25);
  const Expected<CollectiveTime> across = collective_time(Collective::all_reduce, 1e9, t, group_of(t, 1024, 2));
  ASSERT_TRUE(across.ok());
  EXPECT_NEAR(across->seconds, 2 * 3e-6 + 1e9 / (6.25e9 * 0.8), 1e-9);
  // A data-parallel group over both slices (the 256 TP-4 groups of each, stride 4) reduces inside each
  // torus first and sends only its 1/256 shard over the DCN (the hierarchical scheme XLA uses):
  // reduce-scatter over the torus, all-reduce of B / 256 across, all-gather over the torus.
  const Group dp = group_of(t, 4, 512);
  const Expected<CollectiveTime> both = collective_time(Collective::all_reduce, 1e9, t, dp);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->algorithm, Algorithm::hierarchical);
  EXPECT_NEAR(both->seconds - 2 * collective_time(Collective::reduce_scatter, 1e9, Topology{{t.levels[0]}, {}},
                                                  Group{{256}, 4})->seconds,
              2 * 3e-6 + 1e9 / 256 / (6.25e9 * 0.8), 1e-9);
}

}  // namespace
}  // namespace xpusim::network
