// The network kind: a switch ASIC family or a link family, the parts that fabrics are built from.
//
// Rules: a switch spec carries switch: and a link spec link: (not both); a switch's capacity is its
// radix times its port speed.
#include <cmath>

#include "spec/document.h"
#include "support/text.h"

namespace xpusim::spec {
namespace {
constexpr std::string_view kNetworkTypes[] = {"switch", "link"};
constexpr std::string_view kProtocols[] = {"ethernet",        "infiniband", "nvlink", "ici",
                                           "infinity-fabric", "neuronlink", "ualink"};
constexpr std::string_view kMedia[] = {"copper", "optical", "backplane", "on-package"};
}  // namespace

void SwitchAsic::describe(SpecVisitor& v) {
  v.integer(Field("radix", "Ports at port_speed_gbps").positive(4096), radix);
  v.number(Field("port_speed_gbps", "Speed of one port, one direction", "Gb/s").between(1, 6400), port_speed_gbps);
  v.number(Field("capacity_tbps", "Switching capacity, one direction", "Tb/s").between(0.001, 1000), capacity_tbps);
  v.number(Field("latency_ns", "Port-to-port latency", "ns").optional().between(1, 1e6), latency_ns);
  v.number(Field("power_w", "Typical power of the switch ASIC", "W").optional().between(1, 1e5), power_w);
  v.number(Field("price_usd_per_port", "What one port costs, its share of the switch system included", "USD")
               .optional()
               .between(1, 1e6),
           price_usd_per_port);
  v.flag(Field("in_network_reduction", "Reduces data in the switch (SHARP, NVLS)").optional(), in_network_reduction);
  v.number(Field("serdes_gbps", "Speed of one SerDes lane", "Gb/s").optional().between(1, 1000), serdes_gbps);
  v.text(Field("process_node", "Foundry process of the ASIC").optional(), process_node);
  v.number(Field("collective_efficiency", "Fraction of port bandwidth that ring collectives achieve")
               .optional()
               .between(0.01, 1),
           collective_efficiency);
  v.number(Field("reduction_efficiency", "Fraction of port bandwidth that in-network reductions achieve")
               .optional()
               .between(0.01, 1),
           reduction_efficiency);
}

void Link::describe(SpecVisitor& v) {
  v.number(Field("bandwidth_gbps_per_direction", "Speed of one link, one direction", "Gb/s").between(1, 100000),
           bandwidth_gbps_per_direction);
  v.integer(Field("lanes", "SerDes lanes per link").optional().positive(1024), lanes);
  v.number(Field("latency_ns", "One-way latency of the link and its endpoints", "ns").optional().between(1, 1e6),
           latency_ns);
  v.number(Field("energy_pj_per_bit", "Energy to move one bit", "pJ/bit").optional().between(0.01, 1000), energy_pj_per_bit);
  v.number(Field("reach_m", "Longest supported cable or trace", "m").optional().between(0.001, 1e6), reach_m);
  v.choice(Field("medium", "Physical medium").optional(), medium, kMedia);
  v.number(
      Field("collective_efficiency", "Fraction of link bandwidth that collectives achieve").optional().between(0.01, 1),
      collective_efficiency);
}

void NetworkSpec::describe(SpecVisitor& v) {
  v.text(Field("name", "Name used to refer to this part"), name);
  v.text(Field("vendor", "Who makes it").optional(), vendor);
  v.text(Field("description", "One line for listings").optional(), description);
  v.choice(Field("type", "switch (an ASIC with ports) or link (a point-to-point link family)"), type, kNetworkTypes);
  v.choice(Field("protocol", "Link-layer protocol"), protocol, kProtocols);
  v.optional_object(Field("switch", "Switch ASIC figures (type: switch)").optional(), switch_asic, has_switch);
  v.optional_object(Field("link", "Link figures (type: link)").optional(), link, has_link);
  v.text_map(Field("sources", "Where each published number comes from, by field path").optional(), sources);
}

void check_network(const NetworkSpec& network, const Document& doc, Diagnostics& out) {
  if (network.type == "switch") {
    if (!network.has_switch) out.error(doc.where("type"), "switch", "a network of type switch needs a switch: section");
    if (network.has_link)
      out.error(doc.where("link"), "link", "a network of type switch takes no link: section",
                "did you mean type: link?");
  } else {
    if (!network.has_link) out.error(doc.where("type"), "link", "a network of type link needs a link: section");
    if (network.has_switch)
      out.error(doc.where("switch"), "switch", "a network of type link takes no switch: section",
                "did you mean type: switch?");
  }
  if (network.has_switch) {
    const SwitchAsic& s = network.switch_asic;
    const double implied_tbps = static_cast<double>(s.radix) * s.port_speed_gbps / 1000.0;
    if (std::abs(implied_tbps - s.capacity_tbps) > 0.01 * s.capacity_tbps)
      out.error(doc.where("switch.capacity_tbps"), "switch.capacity_tbps",
                "capacity " + format_number(s.capacity_tbps) + " Tb/s differs from radix x port speed = " +
                    std::to_string(s.radix) + " x " + format_number(s.port_speed_gbps) +
                    " Gb/s = " + format_number(implied_tbps) + " Tb/s; allowed within 1%");
    if (s.serdes_gbps && *s.serdes_gbps > s.port_speed_gbps)
      out.error(doc.where("switch.serdes_gbps"), "switch.serdes_gbps",
                "a " + format_number(*s.serdes_gbps) + " Gb/s lane is faster than the " +
                    format_number(s.port_speed_gbps) + " Gb/s port it belongs to");
  }
}

}  // namespace xpusim::spec
