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
  const double S = 6e8, dim_bw = 300e9 / 3;  // a chip's bandwidth over 3 dimensions
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

}  // namespace
}  // namespace xpusim::network
