// The cluster kind: many systems joined by a scale-out fabric built from network specs.
//
// Rules: the system, switch and link it names exist and are of the right kind, and the switches can
// reach every NIC: a non-blocking folded Clos of t tiers of radix-k switches connects 2 (k/2)^t
// endpoints (k/2 ports down, k/2 up at every tier but the top); oversubscription stretches the leaf tier.
#include <cmath>

#include "spec/document.h"
#include "support/text.h"

namespace xpusim::spec {
namespace {
constexpr std::string_view kClusterTopologies[] = {"single_switch", "fat_tree", "rail_optimized", "torus", "dragonfly"};
}

void ClusterFabric::describe(SpecVisitor& v) {
  v.choice(Field("topology", "Shape of the scale-out network"), topology, kClusterTopologies);
  v.text(Field("switch", "Network spec (switch) of every switch in the fabric"), switch_name);
  v.text(Field("link", "Network spec (link) of the cables").optional(), link);
  v.integer(Field("tiers", "Switch tiers (leaf = 1)").optional().positive(5), tiers);
  v.number(Field("oversubscription", "Down-link to up-link bandwidth at the leaf tier").optional().between(1, 64),
           oversubscription);
}

void ClusterSpec::describe(SpecVisitor& v) {
  v.text(Field("name", "Name used to refer to this cluster"), name);
  v.text(Field("description", "One line for listings").optional(), description);
  v.text(Field("system", "System spec of its nodes"), system);
  v.integer(Field("system_count", "Systems in the cluster").positive(1 << 20), system_count);
  v.object(Field("scale_out", "The network that joins the systems"), scale_out);
  v.text_map(Field("sources", "Where each published number comes from, by field path").optional(), sources);
}

double switch_ports_at(const SwitchAsic& asic, double nic_gbps) {
  return std::floor(static_cast<double>(asic.radix) * std::max(1.0, asic.port_speed_gbps / nic_gbps));
}

double clos_reach(double ports, std::int64_t tiers, double oversubscription) {
  if (tiers <= 1) return ports;
  const double down_ports_at_leaf = ports * oversubscription / (1.0 + oversubscription);
  return 2.0 * down_ports_at_leaf * std::pow(ports / 2.0, static_cast<double>(tiers - 1));
}

int clos_tiers(const SystemSpec& system, const SwitchAsic& switch_asic, std::int64_t systems, double oversubscription) {
  if (!system.has_scale_out) return 1;
  const double ports = switch_ports_at(switch_asic, system.scale_out.nic_gbps);
  const double nics = static_cast<double>(systems * system.scale_out.nic_count);
  int tiers = 1;
  while (clos_reach(ports, tiers, oversubscription) < nics && tiers < 5) ++tiers;
  return tiers;
}

void check_cluster(const ClusterSpec& cluster, const Document& doc, const SpecResolver* resolver, Diagnostics& out) {
  const Document* system_doc = resolve_reference(doc, "system", Kind::system, cluster.system, resolver, out);
  const Document* switch_doc =
      resolve_reference(doc, "scale_out.switch", Kind::network, cluster.scale_out.switch_name, resolver, out);
  if (!cluster.scale_out.link.empty()) {
    if (const Document* link_doc =
            resolve_reference(doc, "scale_out.link", Kind::network, cluster.scale_out.link, resolver, out)) {
      const auto& link = std::get<NetworkSpec>(link_doc->spec);
      if (link.type != "link")
        out.error(doc.where("scale_out.link"), "scale_out.link",
                  "'" + link.name + "' is a " + link.type + "; scale_out.link must name a link spec");
    }
  }
  if (!switch_doc) return;
  const auto& network = std::get<NetworkSpec>(switch_doc->spec);
  if (network.type != "switch") {
    out.error(doc.where("scale_out.switch"), "scale_out.switch",
              "'" + network.name + "' is a " + network.type + "; scale_out.switch must name a switch spec");
    return;
  }
  if (!system_doc) return;
  const auto& system = std::get<SystemSpec>(system_doc->spec);
  if (!system.has_scale_out) {
    if (cluster.system_count > 1)
      out.error(doc.where("system"), "system",
                "system '" + system.name + "' has no scale_out NICs, so " + std::to_string(cluster.system_count) +
                    " of them cannot be joined");
    return;
  }
  const double ports_per_switch = switch_ports_at(network.switch_asic, system.scale_out.nic_gbps);
  const double endpoints = static_cast<double>(cluster.system_count * system.scale_out.nic_count);
  double reachable = ports_per_switch;
  if (cluster.scale_out.topology == "fat_tree" || cluster.scale_out.topology == "rail_optimized") {
    reachable = clos_reach(ports_per_switch, cluster.scale_out.tiers, cluster.scale_out.oversubscription);
  } else if (cluster.scale_out.topology != "single_switch") {
    return;  // torus and dragonfly sizes are not bounded by tiers
  }
  if (endpoints > reachable)
    out.error(doc.where("system_count"), "system_count",
              format_number(endpoints) + " NICs cannot be reached by " + std::to_string(cluster.scale_out.tiers) +
                  " tier(s) of " + format_number(ports_per_switch) + "-port switches ('" + network.name +
                  "'); allowed at most " + format_number(std::floor(reachable)) + " NICs",
              "add a tier or use a larger switch");
}

}  // namespace xpusim::spec
