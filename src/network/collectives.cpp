#include "network/collectives.h"

#include <algorithm>
#include <cmath>

namespace xpusim::network {
namespace {

double log2_ceil(int g) {
  return std::ceil(std::log2(std::max(1, g)));
}

struct LevelCost {
  double seconds = 0;
  Algorithm algorithm = Algorithm::ring;
};

// One collective among `g` ranks of one level moving `bytes` (per the Collective convention).
LevelCost level_time(Collective c, double bytes, const Level& level, int g, Algorithm wanted, int stride = 1) {
  if (g <= 1) return {};
  const double bw = level.bandwidth_gb_s * 1e9 * level.efficiency;
  const double a = level.latency_us * 1e-6;
  const double n = g, share = (n - 1) / n;
  auto ring = [&]() -> double {
    switch (c) {
      case Collective::all_reduce:
        return 2 * (n - 1) * a + 2 * share * bytes / bw;
      case Collective::reduce_scatter:
      case Collective::all_gather:
        return (n - 1) * a + share * bytes / bw;
      case Collective::all_to_all:
        return (n - 1) * a + share * bytes / bw;
      case Collective::broadcast:
        return (n - 1) * a + bytes / bw;
      case Collective::send_recv:
        return a + bytes / bw;
    }
    return 0;
  };
  std::vector<LevelCost> options;
  if (!level.torus_dims.empty()) {
    // One bidirectional ring (wraparound links) per dimension the group spans; a chip's bandwidth is
    // split over its 2k links, and a ring uses two of them. With j dimensions the data is cut in j
    // parts that go round the dimensions in j different orders at once, so each phase has j rings'
    // bandwidth (JAX scaling book: a collective over several axes gets their links together).
    // Reduce-scatter shrinks the data dimension by dimension.
    const std::vector<std::int64_t> dims = group_torus_dims(level.torus_dims, stride, g);
    const double k = static_cast<double>(level.torus_dims.size());
    const double dim_bw = bw / k * static_cast<double>(std::max<std::size_t>(1, dims.size()));
    double t = 0, data = bytes;
    const bool two_phase = c == Collective::all_reduce;
    for (std::int64_t d : dims) {
      const double dn = static_cast<double>(d);
      if (d <= 1) continue;
      t += (two_phase ? 2 : 1) * ((dn - 1) * a + (dn - 1) / dn * data / dim_bw);
      data /= dn;
    }
    return {t, Algorithm::torus};
  }
  options.push_back({ring(), Algorithm::ring});
  if (c == Collective::all_reduce) {
    const double steps = log2_ceil(g);
    options.push_back({2 * steps * a + 2 * share * bytes / bw, Algorithm::double_binary_tree});
    if ((g & (g - 1)) == 0)
      options.push_back({2 * steps * a + 2 * share * bytes / bw, Algorithm::recursive_halving_doubling});
    if (level.in_network_reduction) {
      // Each rank sends its buffer into the switch once and receives the reduced result once.
      const double reduce_bw = level.bandwidth_gb_s * 1e9 * level.reduction_efficiency;
      options.push_back({2 * a + bytes / reduce_bw, Algorithm::in_network});
    }
  }
  if (wanted != Algorithm::automatic) {
    for (const LevelCost& o : options)
      if (o.algorithm == wanted) return o;
    return options.front();
  }
  return *std::min_element(options.begin(), options.end(),
                           [](const LevelCost& x, const LevelCost& y) { return x.seconds < y.seconds; });
}


}  // namespace

std::vector<std::int64_t> group_torus_dims(const std::vector<std::int64_t>& dims, std::int64_t stride,
                                           std::int64_t ranks) {
  std::vector<std::int64_t> out;
  std::int64_t left = std::max<std::int64_t>(1, ranks), step = std::max<std::int64_t>(1, stride);
  for (std::size_t d = dims.size(); d-- > 0 && left > 1;) {
    const std::int64_t n = dims[d];
    if (step >= n) {
      step /= n;
      continue;
    }
    const std::int64_t take = std::min(std::max<std::int64_t>(1, n / step), left);
    step = 1;
    if (take > 1) out.push_back(take);
    left = (left + take - 1) / take;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

double bus_factor(Collective c, int g) {
  const double n = g;
  switch (c) {
    case Collective::all_reduce:
      return 2 * (n - 1) / n;
    case Collective::reduce_scatter:
    case Collective::all_gather:
    case Collective::all_to_all:
      return (n - 1) / n;
    default:
      return 1;
  }
}

std::string_view collective_name(Collective collective) {
  switch (collective) {
    case Collective::all_reduce:
      return "all_reduce";
    case Collective::reduce_scatter:
      return "reduce_scatter";
    case Collective::all_gather:
      return "all_gather";
    case Collective::all_to_all:
      return "all_to_all";
    case Collective::broadcast:
      return "broadcast";
    case Collective::send_recv:
      return "send_recv";
  }
  return "?";
}

std::string_view algorithm_name(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::automatic:
      return "automatic";
    case Algorithm::ring:
      return "ring";
    case Algorithm::double_binary_tree:
      return "double_binary_tree";
    case Algorithm::recursive_halving_doubling:
      return "recursive_halving_doubling";
    case Algorithm::torus:
      return "torus";
    case Algorithm::in_network:
      return "in_network";
    case Algorithm::hierarchical:
      return "hierarchical";
  }
  return "?";
}

int Group::size() const {
  int n = 1;
  for (int r : ranks_per_level) n *= r;
  return n;
}

Topology topology_of(const spec::SystemSpec& system, const spec::NetworkSpec* scale_up_network, std::int64_t nodes,
                     const spec::NetworkSpec* scale_out_switch, int scale_out_tiers, double oversubscription,
                     std::string_view scale_out_topology) {
  Topology t;
  Level up;
  up.name = "scale-up (" + system.scale_up.network + ")";
  up.ranks = static_cast<int>(system.scale_up_domain_size());
  up.bandwidth_gb_s = system.scale_up.bandwidth_gb_s_per_direction;
  up.torus_dims = system.scale_up.torus_dims;
  double fabric_ns = 0;
  if (scale_up_network && scale_up_network->has_switch) {
    const spec::SwitchAsic& s = scale_up_network->switch_asic;
    fabric_ns = s.latency_ns.value_or(0);
    up.efficiency = s.collective_efficiency;
    up.in_network_reduction = s.in_network_reduction;
    up.reduction_efficiency = s.reduction_efficiency;
  } else if (scale_up_network && scale_up_network->has_link) {
    fabric_ns = scale_up_network->link.latency_ns.value_or(0);
    up.efficiency = scale_up_network->link.collective_efficiency;
  }
  up.latency_us = fabric_ns / 1000 + kScaleUpStepUs;
  t.levels.push_back(up);
  Fabric& f = t.fabric;
  f.chips_per_domain = up.ranks;
  f.torus_dims = up.torus_dims;
  f.scale_up_gb_s = up.bandwidth_gb_s;
  f.scale_up_efficiency = up.efficiency;
  f.scale_up_hop_us = fabric_ns / 1000;

  const std::int64_t domains = system.chip_count / system.scale_up_domain_size() * nodes;
  if (domains > 1) {
    Level out;
    out.name = "scale-out";
    out.ranks = static_cast<int>(domains);
    // Each chip's share of its system's NICs.
    out.bandwidth_gb_s = system.has_scale_out
                             ? static_cast<double>(system.scale_out.nic_count) * system.scale_out.nic_gbps / 8 /
                                   static_cast<double>(system.scale_up_domain_size())
                             : 0;
    double switch_ns = 0;
    if (scale_out_switch && scale_out_switch->has_switch) {
      switch_ns = scale_out_switch->switch_asic.latency_ns.value_or(0);
      out.efficiency = scale_out_switch->switch_asic.collective_efficiency;
      out.in_network_reduction = scale_out_switch->switch_asic.in_network_reduction;
      out.reduction_efficiency = scale_out_switch->switch_asic.reduction_efficiency;
    }
    f.domains = domains;
    f.topology = std::string(scale_out_topology);
    f.chip_port_gb_s = out.bandwidth_gb_s;
    f.nic_gb_s = system.has_scale_out ? system.scale_out.nic_gbps / 8 : 0;
    f.radix = scale_out_switch && scale_out_switch->has_switch && system.has_scale_out
                  ? static_cast<std::int64_t>(spec::switch_ports_at(scale_out_switch->switch_asic, system.scale_out.nic_gbps))
                  : 0;
    f.tiers = std::max(1, scale_out_tiers);
    f.oversubscription = oversubscription;
    f.switch_hop_us = switch_ns / 1000;
    f.scale_out_efficiency = out.efficiency;
    if (scale_out_tiers > 1 && oversubscription > 1) out.bandwidth_gb_s /= oversubscription;
    // A path up and down a folded Clos crosses 2 tiers - 1 switches.
    out.latency_us = switch_ns * (2.0 * std::max(1, scale_out_tiers) - 1) / 1000 + kScaleOutStepUs;
    t.levels.push_back(out);
  }
  return t;
}

Group group_of(const Topology& topology, int inner_stride, int size) {
  const int domain = topology.levels.empty() ? 1 : topology.levels[0].ranks;
  Group g;
  if (inner_stride >= domain) {
    g.ranks_per_level = {1, size};
  } else {
    const int inside = std::min(size, std::max(1, domain / inner_stride));
    g.ranks_per_level = {inside, std::max(1, size / inside)};
    g.inner_stride = inner_stride;
  }
  if (topology.levels.size() < 2) g.ranks_per_level.resize(1);
  return g;
}

Expected<CollectiveTime> collective_time(Collective collective, double bytes, const Topology& topology,
                                         const Group& group, Algorithm algorithm) {
  if (group.ranks_per_level.size() > topology.levels.size())
    return Error("a group over " + std::to_string(group.ranks_per_level.size()) + " levels, but the topology has " +
                 std::to_string(topology.levels.size()));
  std::vector<std::pair<const Level*, int>> active;  // levels where the group has more than one rank
  for (std::size_t i = 0; i < group.ranks_per_level.size(); ++i) {
    const int g = group.ranks_per_level[i];
    if (g < 1 || g > topology.levels[i].ranks)
      return Error("the group has " + std::to_string(g) + " ranks at level " + topology.levels[i].name +
                   ", which has " + std::to_string(topology.levels[i].ranks));
    if (g > 1) {
      if (topology.levels[i].bandwidth_gb_s <= 0)
        return Error("level " + topology.levels[i].name + " has no bandwidth (a system without NICs)");
      active.push_back({&topology.levels[i], g});
    }
  }
  CollectiveTime result;
  if (active.empty() || bytes <= 0) return result;
  if (active.size() == 1) {
    const int stride = active[0].first == &topology.levels.front() ? group.inner_stride : 1;
    const LevelCost cost = level_time(collective, bytes, *active[0].first, active[0].second, algorithm, stride);
    result.seconds = cost.seconds;
    result.algorithm = cost.algorithm;
  } else if (algorithm == Algorithm::hierarchical ||
             (algorithm == Algorithm::automatic && !active.front().first->torus_dims.empty())) {
    // Hierarchical (2D): inside the inner level first, across the outer levels on the inner level's
    // share, then back. All-reduce = reduce-scatter inside, all-reduce across, all-gather inside.
    // What XLA does on TPU slices joined by the data-center network (multi-slice): the torus
    // reduces inside each slice, the DCN carries only each chip's shard.
    const Level& inner = *active.front().first;
    const int g_inner = active.front().second;
    const int stride = group.inner_stride;
    double t = 0, share = bytes;
    if (collective == Collective::all_reduce || collective == Collective::reduce_scatter ||
        collective == Collective::all_gather) {
      const Collective inside =
          collective == Collective::all_gather ? Collective::all_gather : Collective::reduce_scatter;
      t += level_time(inside, bytes, inner, g_inner, Algorithm::automatic, stride).seconds;
      share = bytes / g_inner;
      for (std::size_t i = 1; i < active.size(); ++i)
        t += level_time(collective, share, *active[i].first, active[i].second, Algorithm::automatic).seconds;
      if (collective == Collective::all_reduce)
        t += level_time(Collective::all_gather, bytes, inner, g_inner, Algorithm::automatic, stride).seconds;
    } else {
      for (const auto& [level, g] : active) t += level_time(collective, share, *level, g, Algorithm::automatic).seconds;
    }
    result.seconds = t;
    result.algorithm = Algorithm::hierarchical;
  } else {
    // What NCCL does across nodes: one ring (or tree) through every rank of the group. Each rank's
    // traffic then crosses the slowest level it spans, at that level's bandwidth, so intra-node
    // bandwidth does not shrink the inter-node traffic (the hierarchical algorithm, asked for
    // explicitly, models the 2D schemes that do).
    Level flat = *active.back().first;
    flat.ranks = group.size();
    for (const auto& [level, g] : active) {
      (void)g;
      if (level->bandwidth_gb_s * level->efficiency < flat.bandwidth_gb_s * flat.efficiency) {
        flat.bandwidth_gb_s = level->bandwidth_gb_s;
        flat.efficiency = level->efficiency;
      }
      flat.latency_us = std::max(flat.latency_us, level->latency_us);
      flat.in_network_reduction = flat.in_network_reduction && level->in_network_reduction;
    }
    flat.torus_dims.clear();
    const LevelCost cost = level_time(collective, bytes, flat, group.size(), algorithm);
    result.seconds = cost.seconds;
    result.algorithm = cost.algorithm;
  }
  result.bus_bandwidth_gb_s =
      result.seconds > 0 ? bytes * bus_factor(collective, group.size()) / result.seconds / 1e9 : 0;
  return result;
}

}  // namespace xpusim::network
