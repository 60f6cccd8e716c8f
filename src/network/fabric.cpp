#include "network/fabric.h"

#include <algorithm>
#include <cmath>

namespace xpusim::network {
namespace {

enum class LinkKind : std::uint64_t {
  scale_up_out = 1,  // chip to its domain's switch
  scale_up_in,       // switch to chip
  torus,             // chip to a torus neighbour, (dimension, direction) in b
  port_out,          // chip's scale-out port to its leaf (or router)
  port_in,
  leaf_up,    // leaf a to tier-2 switch b
  leaf_down,  // tier-2 switch b to leaf a
  pod_up,     // tier-2 switch a (pod x up-links + index) to core b
  pod_down,
  group_local,   // dragonfly router a to router b of the same group
  group_global,  // dragonfly group a to group b
};

RouteLink link(LinkKind kind, std::int64_t a, std::int64_t b, double gb_s, double latency_us) {
  const std::uint64_t key = static_cast<std::uint64_t>(kind) << 56 | (static_cast<std::uint64_t>(a) & 0xFFFFFFF) << 28 |
                            (static_cast<std::uint64_t>(b) & 0xFFFFFFF);
  return {key, gb_s, latency_us};
}

Error fabric_error(const std::string& what) {
  return Error("fabric: " + what);
}

void scale_up_route(const Fabric& f, std::int64_t src, std::int64_t dst, std::vector<RouteLink>& out) {
  const double eff = f.scale_up_efficiency;
  if (f.torus_dims.empty()) {
    out.push_back(link(LinkKind::scale_up_out, src, 0, f.scale_up_gb_s * eff, 0));
    out.push_back(link(LinkKind::scale_up_in, dst, 0, f.scale_up_gb_s * eff, f.scale_up_hop_us));
    return;
  }
  // Each chip spreads its bandwidth over 2k links, one each way along each of k dimensions.
  const double per_link = f.scale_up_gb_s * eff / (2.0 * static_cast<double>(f.torus_dims.size()));
  const std::int64_t base = src / f.chips_per_domain * f.chips_per_domain;
  std::int64_t at = src % f.chips_per_domain;
  const std::int64_t to = dst % f.chips_per_domain;
  std::int64_t stride = 1;
  for (std::size_t d = f.torus_dims.size(); d-- > 0;) {
    const std::int64_t n = f.torus_dims[d];
    const std::int64_t from_c = at / stride % n, to_c = to / stride % n;
    const std::int64_t ahead = ((to_c - from_c) % n + n) % n;
    const bool forward = ahead <= n - ahead;
    const std::int64_t hops = forward ? ahead : n - ahead;
    for (std::int64_t h = 0; h < hops; ++h) {
      out.push_back(link(LinkKind::torus, base + at, static_cast<std::int64_t>(2 * d + (forward ? 0 : 1)), per_link,
                         f.scale_up_hop_us));
      const std::int64_t c = at / stride % n;
      const std::int64_t next = forward ? (c + 1) % n : (c + n - 1) % n;
      at += (next - c) * stride;
    }
    stride *= n;
  }
}

Expected<bool> scale_out_route(const Fabric& f, std::int64_t src, std::int64_t dst, std::vector<RouteLink>& out) {
  const double port = f.chip_port_gb_s * f.scale_out_efficiency;
  const double hop = f.switch_hop_us;
  // Ports at the chip's share of bandwidth that one switch offers.
  const std::int64_t k =
      f.radix > 0 ? std::max<std::int64_t>(
                        2, static_cast<std::int64_t>(std::floor(static_cast<double>(f.radix) * f.nic_gb_s /
                                                                std::max(1e-9, f.chip_port_gb_s))))
                  : 0;
  auto port_of = [&](std::int64_t chip) {
    if (f.topology == "rail_optimized")
      return chip % f.chips_per_domain * f.domains + chip / f.chips_per_domain;
    return chip;
  };
  const std::int64_t ps = port_of(src), pd = port_of(dst);
  out.push_back(link(LinkKind::port_out, src, 0, port, 0));
  auto finish = [&] { out.push_back(link(LinkKind::port_in, dst, 0, port, hop)); };

  if (f.topology == "dragonfly" && k > 0) {
    const std::int64_t p = std::max<std::int64_t>(1, k / 4), a = std::max<std::int64_t>(1, k / 2),
                       h = std::max<std::int64_t>(1, k / 4);
    const std::int64_t groups = (f.chips() + p * a - 1) / (p * a);
    if (groups - 1 > a * h)
      return fabric_error("a dragonfly of " + std::to_string(k) + "-port routers joins at most " +
                          std::to_string(a * h + 1) + " groups of " + std::to_string(p * a) + " chips, not " +
                          std::to_string(groups));
    const std::int64_t rs = ps / p, rd = pd / p, gs = rs / a, gd = rd / a;
    auto local = [&](std::int64_t from, std::int64_t to) {
      if (from != to) out.push_back(link(LinkKind::group_local, from, to, port, hop));
    };
    if (gs == gd) {
      local(rs, rd);
    } else {
      // Global links are dealt out to the routers of a group in turn, h per router; with fewer groups
      // than global ports, each group pair gets several links in parallel.
      const std::int64_t parallel = std::max<std::int64_t>(1, a * h / std::max<std::int64_t>(1, groups - 1));
      const std::int64_t exit = gs * a + ((gd - gs - 1 + groups) % groups) % (a * h) / h;
      const std::int64_t entry = gd * a + ((gs - gd - 1 + groups) % groups) % (a * h) / h;
      local(rs, exit);
      out.push_back(link(LinkKind::group_global, gs, gd, port * static_cast<double>(parallel), hop));
      local(entry, rd);
    }
    finish();
    return true;
  }
  if (f.topology == "torus")
    return fabric_error("a scale-out torus needs its dimensions, which a cluster spec does not give; use the "
                        "analytical network model");
  if (f.topology == "single_switch" || f.tiers <= 1 || k == 0) {
    finish();
    return true;
  }
  // Folded Clos: the leaf gives o / (1 + o) of its ports to chips, the rest go up.
  const double o = f.oversubscription;
  const std::int64_t down = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(k * o / (1 + o))), 1, k - 1);
  const std::int64_t up = k - down;
  const std::int64_t ls = ps / down, ld = pd / down;
  if (ls == ld) {
    finish();
    return true;
  }
  const std::int64_t agg = pd % up;  // destination-based choice of the up-link
  const std::int64_t pod_leaves = f.tiers >= 3 ? std::max<std::int64_t>(1, k / 2) : ls + ld + 1;
  const std::int64_t pods = ls / pod_leaves, podd = ld / pod_leaves;
  out.push_back(link(LinkKind::leaf_up, ls, agg, port, hop));
  if (f.tiers >= 3 && pods != podd) {
    const std::int64_t core = pd / up % std::max<std::int64_t>(1, k / 2);
    out.push_back(link(LinkKind::pod_up, pods * up + agg, core, port, hop));
    out.push_back(link(LinkKind::pod_down, podd * up + agg, core, port, hop));
  }
  out.push_back(link(LinkKind::leaf_down, ld, agg, port, hop));
  finish();
  return true;
}

}  // namespace

Expected<std::vector<RouteLink>> route(const Fabric& fabric, std::int64_t src, std::int64_t dst) {
  if (src < 0 || dst < 0 || src >= fabric.chips() || dst >= fabric.chips())
    return fabric_error("chip " + std::to_string(std::max(src, dst)) + " is outside the " +
                        std::to_string(fabric.chips()) + " chips of the fabric");
  std::vector<RouteLink> links;
  if (src == dst) return links;
  if (src / fabric.chips_per_domain == dst / fabric.chips_per_domain) {
    scale_up_route(fabric, src, dst, links);
    return links;
  }
  if (fabric.chip_port_gb_s <= 0) return fabric_error("the chips have no scale-out bandwidth (a system without NICs)");
  if (Expected<bool> ok = scale_out_route(fabric, src, dst, links); !ok.ok()) return ok.error();
  return links;
}

}  // namespace xpusim::network
