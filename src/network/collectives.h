// Collective communication over a hierarchical topology: the scale-up fabric of a node or rack, then
// the scale-out network between them. Analytical costs per algorithm (ring, double binary tree,
// recursive halving-doubling, hierarchical, torus, in-network reduction), from link bandwidth, latency,
// per-hop switch latency and protocol efficiency.
#pragma once

#include <string>
#include <vector>

#include "network/fabric.h"
#include "spec/specs.h"
#include "support/expected.h"

namespace xpusim::network {

enum class Collective : unsigned char { all_reduce, reduce_scatter, all_gather, all_to_all, broadcast, send_recv };
std::string_view collective_name(Collective collective);

enum class Algorithm : unsigned char {
  automatic,  // the fastest that the level supports; across levels, NCCL's flat ring or tree
  ring,
  double_binary_tree,
  recursive_halving_doubling,
  torus,        // a ring along each torus dimension in turn (TPU ICI)
  in_network,   // the switch reduces (NVLink SHARP, InfiniBand SHARP)
  hierarchical  // across levels, when asked: reduce-scatter inside, all-reduce across, all-gather inside
};
std::string_view algorithm_name(Algorithm algorithm);

// One level of the hierarchy, seen from one rank.
struct Level {
  std::string name;
  int ranks = 1;              // ranks that share this level (a node's chips; the nodes of a cluster)
  double bandwidth_gb_s = 0;  // per rank, per direction
  double latency_us = 0;      // one step: links, switch hops and the software's post/wait
  double efficiency = 0.8;    // achieved fraction of link bandwidth for large messages
  bool in_network_reduction = false;
  double reduction_efficiency = 0.8;     // achieved fraction of link bandwidth for in-network reductions
  std::vector<std::int64_t> torus_dims;  // a torus or mesh instead of a switch
};

struct Topology {
  std::vector<Level> levels;  // innermost first
  Fabric fabric;              // the links behind the levels, for the flow-level backend
};

// Builds the topology of `nodes` systems. The scale-up level comes from the system (and its network
// spec's latency); the scale-out level from the system's NICs and, when given, the cluster fabric's
// switch (latency per hop, tiers). With more than one tier, traffic leaves the leaf switches through
// 1 / `oversubscription` of their down-link bandwidth, which bounds what each rank gets across them.
// `scale_out_topology` is a cluster's scale_out.topology (fat_tree, rail_optimized, single_switch,
// dragonfly); it shapes the Fabric, not the analytical levels.
Topology topology_of(const spec::SystemSpec& system, const spec::NetworkSpec* scale_up_network, std::int64_t nodes,
                     const spec::NetworkSpec* scale_out_switch, int scale_out_tiers, double oversubscription = 1,
                     std::string_view scale_out_topology = "fat_tree");

// A communicating group: how many of its ranks sit at each level (a TP group of 8 inside one node is
// {8, 1}; a DP group spread one per node over 64 nodes is {1, 64}).
struct Group {
  std::vector<int> ranks_per_level;
  int inner_stride = 1;  // chips between neighbouring ranks inside the innermost level (a torus's axes)
  int size() const;
};

// The torus dimensions a group of `ranks` spans whose neighbours are `stride` chips apart on a torus of
// `dims` (the last dimension varies fastest): dimensions the stride steps over are skipped, the rest
// taken whole or in part. {4, 4, 4}, stride 4, 16 ranks: {4, 4}.
std::vector<std::int64_t> group_torus_dims(const std::vector<std::int64_t>& dims, std::int64_t stride, std::int64_t ranks);

// The group of `size` ranks at global positions b, b + inner_stride, b + 2 inner_stride, ... (chips
// numbered domain by domain), seen level by level.
Group group_of(const Topology& topology, int inner_stride, int size);

// Software cost of one step of a collective (post, signal, wait) in NCCL-class libraries, on top of
// the wire and switch latency: about a microsecond inside a node, a few across the network (the NIC,
// its doorbell and completion).
inline constexpr double kScaleUpStepUs = 1.0;
inline constexpr double kScaleOutStepUs = 3.0;

struct CollectiveTime {
  double seconds = 0;
  double bus_bandwidth_gb_s = 0;  // nccl-tests' bus bandwidth: algorithm bytes x factor / time
  Algorithm algorithm = Algorithm::ring;
};

// nccl-tests' bus-bandwidth factor: what each rank must move per byte of the buffer.
double bus_factor(Collective collective, int ranks);

// Time of one collective of `bytes` (the buffer each rank holds: for all-gather the gathered output,
// for reduce-scatter the input). Errors: a group that does not fit the topology.
Expected<CollectiveTime> collective_time(Collective collective, double bytes, const Topology& topology,
                                         const Group& group, Algorithm algorithm = Algorithm::automatic);

}  // namespace xpusim::network
