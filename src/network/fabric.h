// The physical structure behind a Topology: which links a byte crosses between two chips. The
// flow-level backend simulates flows over these links; the analytical backend needs only the
// per-level summary in Level.
//
// Scale-up: a switch per domain (each chip one up-link and one down-link) or a torus of direct links
// (dimension-order routing, the shorter way round). Scale-out: each chip has its share of its
// domain's NIC bandwidth as one port, and the ports hang off
//   single_switch   one switch;
//   fat_tree        a folded Clos of 1-3 tiers of `radix`-port switches, ports on leaves in order;
//   rail_optimized  the same Clos with ports on leaves by rail (chip i of every domain on rail i);
//   dragonfly       groups of routers, all-to-all inside a group, one global link per group pair
//                   (Kim et al., ISCA 2008, balanced: a = 2p = 2h), minimal routing.
// Up-links of a Clos are chosen by destination (InfiniBand ftree / d-mod-k routing), which keeps
// shift permutations such as ring steps free of collisions on a non-blocking fabric.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/expected.h"

namespace xpusim::network {

struct Fabric {
  std::int64_t chips_per_domain = 1;
  std::int64_t domains = 1;
  // Scale-up.
  std::vector<std::int64_t> torus_dims;  // empty: switched
  double scale_up_gb_s = 0;              // per chip, per direction
  double scale_up_efficiency = 0.8;
  double scale_up_hop_us = 0;  // switch (or link) latency per hop
  // Scale-out.
  std::string topology = "fat_tree";
  double chip_port_gb_s = 0;   // each chip's share of its domain's NICs, per direction
  double nic_gb_s = 0;         // one NIC port
  std::int64_t radix = 0;      // switch ports at NIC speed; 0: unbounded (one switch)
  int tiers = 1;
  double oversubscription = 1;  // leaf down-link to up-link bandwidth
  double switch_hop_us = 0;
  double scale_out_efficiency = 0.8;

  std::int64_t chips() const { return chips_per_domain * domains; }
};

// One directed link of a route. Equal keys are the same physical link, shared by every flow on it.
struct RouteLink {
  std::uint64_t key = 0;
  double gb_s = 0;        // achievable bandwidth (physical x protocol efficiency)
  double latency_us = 0;  // the switch or wire this link adds
};

// Links from chip `src` to chip `dst` (global indices, domain-major). Errors: indices out of range, or
// a scale-out fabric that cannot hold the chips (too many groups for a dragonfly of this radix).
Expected<std::vector<RouteLink>> route(const Fabric& fabric, std::int64_t src, std::int64_t dst);

}  // namespace xpusim::network
