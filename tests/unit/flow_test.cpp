// The flow-level backend: routes worked out by hand on small fabrics, SimGrid's times against the
// alpha-beta formula where no link is shared, and against the analytical model on a grid of sizes,
// topologies and collectives (docs/network.md states the agreement these tests hold).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include "network/flow.h"
#include "spec_test_util.h"

namespace xpusim::network {
namespace {

const spec::SystemSpec& system_named(const std::string& name) {
  return std::get<spec::SystemSpec>(spec::testing::builtin_library().find(spec::Kind::system, name)->spec);
}
const spec::NetworkSpec& network_named(const std::string& name) {
  return std::get<spec::NetworkSpec>(spec::testing::builtin_library().find(spec::Kind::network, name)->spec);
}

// DGX H100 nodes (8 GPUs on NVSwitch, one 400 Gb/s NIC each) on Quantum-2 (64 x 400G ports).
Topology dgx_h100(std::int64_t nodes, int tiers, double oversubscription = 1, std::string_view kind = "fat_tree") {
  return topology_of(system_named("dgx-h100"), &network_named("nvlink4-switch"), nodes,
                     &network_named("nvidia-quantum2-ndr"), tiers, oversubscription, kind);
}

std::size_t hops(const Fabric& f, std::int64_t src, std::int64_t dst) {
  Expected<std::vector<RouteLink>> r = route(f, src, dst);
  EXPECT_TRUE(r.ok());
  return r.ok() ? r->size() : 0;
}

TEST(Fabric, FatTreeRoutesClimbOnlyAsHighAsTheyMust) {
  // 64 ports: a non-blocking leaf gives 32 to chips, so chips 0-31 share leaf 0; pods hold 32 leaves.
  const Fabric f = dgx_h100(2048, 3).fabric;
  EXPECT_EQ(f.radix, 64);
  EXPECT_EQ(hops(f, 0, 7), 2u);        // same node: up to the NVSwitch and down
  EXPECT_EQ(hops(f, 0, 31), 2u);       // same leaf
  EXPECT_EQ(hops(f, 0, 32), 4u);       // leaf, spine, leaf
  EXPECT_EQ(hops(f, 0, 32 * 32), 6u);  // another pod: through the core
  // The up-link is chosen by destination: two chips sending to the same far chip share it.
  const auto a = route(f, 0, 100), b = route(f, 1, 100);
  EXPECT_EQ((*a)[1].key, (*b)[1].key);
  EXPECT_NE((*route(f, 0, 100))[1].key, (*route(f, 0, 101))[1].key);
}

TEST(Fabric, RailOptimizedKeepsSameRailTrafficOnOneLeaf) {
  const Fabric f = dgx_h100(64, 2, 1, "rail_optimized").fabric;
  EXPECT_EQ(hops(f, 3, 8 * 20 + 3), 2u);  // GPU 3 of node 0 to GPU 3 of node 20: the rail-3 leaf
  EXPECT_EQ(hops(f, 3, 8 * 20 + 4), 4u);  // another rail: through a spine
  const Fabric plain = dgx_h100(64, 2).fabric;
  EXPECT_EQ(hops(plain, 3, 8 * 20 + 3), 4u);
}

TEST(Fabric, DragonflyRoutesLocalGlobalLocal) {
  Fabric f = dgx_h100(128, 1, 1, "dragonfly").fabric;
  // k = 64: 16 chips per router, 32 routers per group (512 chips), 16 global links per router.
  EXPECT_EQ(hops(f, 8, 16), 3u);    // two routers of one group: one local hop
  EXPECT_LE(hops(f, 8, 512), 5u);   // another group: local, global, local at most
  EXPECT_GE(hops(f, 8, 512), 3u);
  f.domains = 1'000'000;            // more groups than 32 x 16 global links reach
  EXPECT_FALSE(route(f, 0, 8).ok());
}

TEST(Fabric, TorusRoutesTheShorterWayRoundEachDimension) {
  Fabric f;
  f.chips_per_domain = 64;
  f.torus_dims = {4, 4, 4};
  f.scale_up_gb_s = 300;
  EXPECT_EQ(hops(f, 0, 1), 1u);
  EXPECT_EQ(hops(f, 0, 3), 1u);             // wraps round
  EXPECT_EQ(hops(f, 0, 2), 2u);
  EXPECT_EQ(hops(f, 0, 1 + 4 + 16), 3u);    // one hop in each dimension
  EXPECT_DOUBLE_EQ((*route(f, 0, 1))[0].gb_s, 300 * 0.8 / 6);  // six links share the chip's bandwidth
  EXPECT_FALSE(route(f, 0, 64).ok());
}

TEST(Flow, ARingOnOneSwitchMatchesTheAlphaBetaFormula) {
  // 8 nodes, one GPU each in the group (stride 8): every ring step crosses the single switch.
  const Topology t = dgx_h100(8, 1);
  const Expected<CollectiveTime> c = flow_collective_time(Collective::all_reduce, 1e9, t, 8, 8, Algorithm::ring);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  const double port = 50e9 * t.fabric.scale_out_efficiency;
  const double step = t.fabric.switch_hop_us * 1e-6 + kScaleOutStepUs * 1e-6;
  EXPECT_NEAR(c->seconds, 14 * (1e9 / 8 / port + step), 1e-9 * c->seconds + 1e-9);
}

TEST(Flow, AFabricThatCannotRouteIsAnErrorNotAFreeFlow) {
  // 8-port routers: 2 chips per router, 4 routers per group, 9 groups at most = 72 chips, not 128.
  Topology t = dgx_h100(16, 1, 1, "dragonfly");
  t.fabric.radix = 8;
  const Expected<CollectiveTime> c = flow_collective_time(Collective::all_reduce, 1e9, t, 8, 16, Algorithm::ring);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().to_string(),
            "error: fabric: a dragonfly of 8-port routers joins at most 9 groups of 8 chips, not 16");
}

TEST(Flow, OversubscribedLeavesSlowAllToAllButNotRings) {
  // 32 nodes = 256 GPUs on 2 tiers at 3:1: a leaf holds 48 GPUs, 16 up-links.
  const Topology t = dgx_h100(32, 2, 3);
  const Topology full = dgx_h100(32, 2, 1);
  // The 8 data-parallel rings (one per GPU position) cross leaves only at their ends: few flows share
  // the up-links, so the ring runs at nearly the full port speed, well above the analytical 1/3.
  const auto ring = flow_collective_time(Collective::all_reduce, 1e9, t, 8, 32, Algorithm::ring);
  const auto ring_full = flow_collective_time(Collective::all_reduce, 1e9, full, 8, 32, Algorithm::ring);
  const auto ring_analytical = collective_time(Collective::all_reduce, 1e9, t, group_of(t, 8, 32), Algorithm::ring);
  ASSERT_TRUE(ring.ok() && ring_full.ok() && ring_analytical.ok());
  EXPECT_LT(ring->seconds, 1.1 * ring_full->seconds);
  EXPECT_LT(ring->seconds, 0.5 * ring_analytical->seconds);
  // An all-to-all among 64 GPUs on 8 leaves sends most bytes up: the 3:1 leaf slows it down.
  const auto a2a = flow_collective_time(Collective::all_to_all, 1e9, t, 4, 64);
  const auto a2a_full = flow_collective_time(Collective::all_to_all, 1e9, full, 4, 64);
  ASSERT_TRUE(a2a.ok() && a2a_full.ok());
  EXPECT_GT(a2a->seconds, 1.5 * a2a_full->seconds);
}

TEST(Flow, EveryRailOfABlockLoadsTheSharedUpLinks) {
  // 256 nodes = 2048 GPUs at 16:1: a 64-port leaf gives 60 ports to GPUs and keeps 4 up-links. The 8
  // data-parallel rings (stride 8, 256 ranks each) cross every leaf boundary with one flow each, and
  // the destination-chosen up-link puts the 8 on 4 links, 2 per link: each crossing flow gets half a
  // port and, the slowest flow setting each ring step, the all-reduce takes about twice as long. Once
  // only 4 whole rings (1024 ranks, 1 flow per link) were simulated and 16:1 cost nothing; now all 8
  // run, each as a window of 128 ranks.
  const Topology over = dgx_h100(256, 2, 16);
  const Topology full = dgx_h100(256, 2, 1);
  const auto ring = flow_collective_time(Collective::all_reduce, 1e9, over, 8, 256, Algorithm::ring);
  const auto ring_full = flow_collective_time(Collective::all_reduce, 1e9, full, 8, 256, Algorithm::ring);
  const auto analytical = collective_time(Collective::all_reduce, 1e9, over, group_of(over, 8, 256), Algorithm::ring);
  ASSERT_TRUE(ring.ok() && ring_full.ok() && analytical.ok());
  // Per step 1 GB / 256 at 50 GB/s x efficiency, plus about 4 us of hops and software: the data part
  // doubles, the fixed part does not.
  const double ratio = ring->seconds / ring_full->seconds;
  EXPECT_GT(ratio, 1.8);
  EXPECT_LT(ratio, 2.05);
  // Still well below the analytical model, which divides every rank's bandwidth by 16.
  EXPECT_LT(ring->seconds, 0.25 * analytical->seconds);
}

TEST(Flow, ReportsProgressBeforeAndDuringASimulation) {
  // The hook runs in the parent (the estimate before starting) and in the simulation's child (each
  // phase done), so it records into a file both can append to.
  char path[] = "/tmp/xpusim-flow-progress-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  set_flow_progress([&path](const FlowProgress& p) {
    if (std::FILE* f = std::fopen(path, "a")) {
      std::fprintf(f, "%s %d %lld %zu %zu %.5f\n", p.collective.c_str(), p.ranks, static_cast<long long>(p.flows),
                   p.phases, p.phases_done, p.phases_done == 0 ? p.estimated_s : 0.0);
      std::fclose(f);
    }
  });
  // 16 ranks on two DGX H100s: one all-to-all phase of 16 x 15 flows.
  const auto a2a = flow_collective_time(Collective::all_to_all, 1e9, dgx_h100(2, 1), 1, 16);
  set_flow_progress({});
  ASSERT_TRUE(a2a.ok()) << a2a.error().to_string();
  std::FILE* f = std::fopen(path, "r");
  ASSERT_NE(f, nullptr);
  char text[256] = {};
  const std::size_t n = std::fread(text, 1, sizeof text - 1, f);
  std::fclose(f);
  std::remove(path);
  // Estimate: 0.01 s + 5e-9 s x 240^2 flows.
  EXPECT_EQ(std::string(text, n), "all_to_all 16 240 1 0 0.01029\nall_to_all 16 240 1 1 0.00000\n");
}

TEST(Flow, AgreesWithTheAnalyticalModelOnNonBlockingFabrics) {
  // 16 DGX H100 nodes (128 GPUs); small switch radices make the 2- and 3-tier fabrics span them.
  struct Case {
    int tiers;
    std::int64_t radix;
    std::string_view kind;
  };
  const Case fabrics[] = {{1, 0, "single_switch"}, {2, 16, "fat_tree"}, {3, 8, "fat_tree"}, {2, 16, "rail_optimized"}};
  const Collective collectives[] = {Collective::all_reduce, Collective::all_gather, Collective::all_to_all,
                                    Collective::send_recv};
  double worst = 0;
  int cases = 0;
  for (const Case& fc : fabrics) {
    Topology t = dgx_h100(16, fc.tiers, 1, fc.kind);
    t.fabric.radix = fc.radix;
    for (Collective c : collectives)
      for (int size : {2, 8, 64})
        for (int stride : {1, 8})
          for (double bytes : {1e9}) {
            if (size * stride > t.fabric.chips() || (c == Collective::all_to_all && size * stride > 64)) continue;
            if (c == Collective::send_recv && size != 2) continue;
            const auto flow = flow_collective_time(c, bytes, t, stride, size);
            const auto analytical = collective_time(c, bytes, t, group_of(t, stride, size), flow->algorithm);
            ASSERT_TRUE(flow.ok() && analytical.ok());
            const double ratio = flow->seconds / analytical->seconds;
            worst = std::max(worst, std::abs(ratio - 1));
            ++cases;
            std::printf("%-14s %d tier(s) radix %2lld %-14s %4d ranks stride %d %6.0e B %-18s flow/analytical %.3f\n",
                        std::string(fc.kind).c_str(), fc.tiers, static_cast<long long>(fc.radix), std::string(collective_name(c)).c_str(), size, stride,
                        bytes, std::string(algorithm_name(flow->algorithm)).c_str(), ratio);
          }
  }
  // The worst case is the all-to-all among 64 GPUs in 8 nodes: the flow model sends the in-node
  // eighth over NVLink, the analytical one sends every byte at the slowest level (flow/analytical 0.89).
  std::printf("%d cases, worst |flow / analytical - 1| = %.3f\n", cases, worst);
  EXPECT_LT(worst, 0.12);
}

}  // namespace
}  // namespace xpusim::network
