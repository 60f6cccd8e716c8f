// The system kind: a node or rack of chips that share a scale-up fabric, with NICs for scale-out.
//
// Rules: the chip and networks it names exist and are of the right kind; a torus's dimensions
// multiply to its domain; a chip cannot inject more scale-up bandwidth than its links carry; the
// system's power covers its chips' TDPs plus a share for hosts, NICs and fans; a switched domain fits
// its switches (one tier: every chip has a port on every switch, so a domain holds at most a radix of
// chips, and the switches hold every chip's ports).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "spec/document.h"
#include "support/text.h"

namespace xpusim::spec {
namespace {
constexpr std::string_view kScaleUpTopologies[] = {"switched", "torus", "mesh", "fully_connected", "ring"};
constexpr std::int64_t kMaxTorusDim = 1 << 20;  // the most chips a system may hold
}  // namespace

double scale_up_ports(const SystemSpec& system, const SwitchAsic& asic) {
  const double per_chip = std::ceil(system.scale_up.bandwidth_gb_s_per_direction * 8 / asic.port_speed_gbps - 1e-9);
  return per_chip * static_cast<double>(system.chip_count);
}

double scale_up_switches(const SystemSpec& system, const SwitchAsic& asic) {
  if (system.scale_up.switch_count) return static_cast<double>(*system.scale_up.switch_count);
  return std::ceil(scale_up_ports(system, asic) / static_cast<double>(asic.radix) - 1e-9);
}

namespace {
// A switched scale-up fabric of one tier: each chip reaches every other through one switch, so each
// switch needs a port for every chip of the domain, and the switches together hold every chip's ports.
void check_scale_up_switches(const SystemSpec& system, const NetworkSpec& network, const Document& doc,
                             Diagnostics& out) {
  const bool switched = system.scale_up.topology == "switched" && network.type == "switch" && network.has_switch;
  if (!switched) {
    if (system.scale_up.switch_count)
      out.error(doc.where("scale_up.switch_count"), "scale_up.switch_count",
                "switch_count is given but the scale-up fabric is not switched (topology " +
                    system.scale_up.topology + ", network '" + network.name + "' is a " + network.type + ")");
    return;
  }
  const SwitchAsic& asic = network.switch_asic;
  const std::int64_t domain = system.scale_up_domain_size();
  if (domain > asic.radix) {
    const std::string_view at = system.scale_up.domain_size ? "scale_up.domain_size" : "chip_count";
    out.error(doc.where(at), std::string(at),
              "a one-tier switched domain of " + std::to_string(domain) + " chips needs " + std::to_string(domain) +
                  " ports on each switch, but '" + network.name + "' has " + std::to_string(asic.radix) +
                  "; allowed at most " + std::to_string(asic.radix) + " chips per scale-up domain",
              "split the system into domains (scale_up.domain_size) or use a larger switch");
    return;
  }
  if (!system.scale_up.switch_count) return;
  const double ports = scale_up_ports(system, asic);
  const double have = static_cast<double>(*system.scale_up.switch_count) * static_cast<double>(asic.radix);
  if (ports > have) {
    const double per_chip = ports / static_cast<double>(system.chip_count);
    out.error(doc.where("scale_up.switch_count"), "scale_up.switch_count",
              std::to_string(system.chip_count) + " chips x " + format_number(per_chip) + " ports of " +
                  format_number(asic.port_speed_gbps) + " Gb/s = " + format_number(ports) + " ports, but " +
                  std::to_string(*system.scale_up.switch_count) + " x " + std::to_string(asic.radix) +
                  "-port switches ('" + network.name + "') give " + format_number(have) +
                  "; allowed switch_count >= " +
                  format_number(std::ceil(ports / static_cast<double>(asic.radix))));
  }
}

bool is_date(const std::string& text) {
  const auto digits = [&](std::size_t from, std::size_t count) {
    for (std::size_t i = from; i < from + count; ++i)
      if (i >= text.size() || text[i] < '0' || text[i] > '9') return false;
    return true;
  };
  if (!digits(0, 4) || text.size() < 7 || text[4] != '-' || !digits(5, 2)) return false;
  const int month = std::stoi(text.substr(5, 2));
  if (month < 1 || month > 12) return false;
  if (text.size() == 7) return true;
  if (text.size() != 10 || text[7] != '-' || !digits(8, 2)) return false;
  const int day = std::stoi(text.substr(8, 2));
  return day >= 1 && day <= 31;
}

// A rent offering states a price, says when, and a committed price comes with its term and undercuts
// the on-demand one (a commitment that costs more is a swapped pair or a per-instance price).
void check_rent(const Rent& rent, const Document& doc, Diagnostics& out) {
  if (!is_date(rent.as_of))
    out.error(doc.where("rent.as_of"), "rent.as_of",
              "'" + rent.as_of + "' is not a date; allowed YYYY-MM or YYYY-MM-DD, e.g. 2025-06 or 2025-06-01");
  if (!rent.on_demand_usd_per_chip_hour && !rent.committed_usd_per_chip_hour)
    out.error(doc.where("rent"), "rent", "a rent offering without a price",
              "give on_demand_usd_per_chip_hour, committed_usd_per_chip_hour or both");
  if (rent.committed_usd_per_chip_hour && !rent.committed_years)
    out.error(doc.where("rent.committed_usd_per_chip_hour"), "rent.committed_years",
              "a committed price needs the term it commits to", "add committed_years: 1 (or 3)");
  if (rent.committed_years && !rent.committed_usd_per_chip_hour)
    out.error(doc.where("rent.committed_years"), "rent.committed_years",
              "a commitment term without a committed_usd_per_chip_hour");
  if (rent.committed_usd_per_chip_hour && rent.on_demand_usd_per_chip_hour &&
      *rent.committed_usd_per_chip_hour > *rent.on_demand_usd_per_chip_hour)
    out.error(doc.where("rent.committed_usd_per_chip_hour"), "rent.committed_usd_per_chip_hour",
              "committed price $" + format_number(*rent.committed_usd_per_chip_hour) +
                  " per chip-hour is more than the on-demand $" + format_number(*rent.on_demand_usd_per_chip_hour) +
                  "; allowed <= " + format_number(*rent.on_demand_usd_per_chip_hour));
}
}  // namespace

void ScaleUp::describe(SpecVisitor& v) {
  v.text(Field("network", "Network spec (switch or link) the scale-up fabric is built from"), network);
  v.choice(Field("topology", "How the chips of a domain are connected"), topology, kScaleUpTopologies);
  v.integer(Field("domain_size", "Chips in one scale-up domain (default: all chips of the system)")
                .optional()
                .positive(1 << 20),
            domain_size);
  v.integer_list(Field("torus_dims", "Torus or mesh dimensions; their product is the domain size")
                     .optional()
                     .between(1, kMaxTorusDim),
                 torus_dims, 6);
  v.number(
      Field("bandwidth_gb_s_per_direction", "Scale-up bandwidth of one chip in one direction", "GB/s").between(1, 100000),
      bandwidth_gb_s_per_direction);
  v.integer(Field("switch_count", "Switch ASICs of a switched fabric in the system (default: the fewest that hold its ports)")
                .optional()
                .positive(1 << 20),
            switch_count);
  v.integer(Field("max_slice_chips",
                  "Most chips of one torus slice built of these systems, joined by optical circuit switches into "
                  "one larger torus (TPU v4 / v5p cubes; default: the system's torus is used alone)")
                .optional()
                .positive(1 << 20),
            max_slice_chips);
}

void ScaleOut::describe(SpecVisitor& v) {
  v.text(Field("network", "Network spec (link) of the NICs").optional(), network);
  v.integer(Field("nic_count", "Scale-out NICs in the system").positive(4096), nic_count);
  v.number(Field("nic_gbps", "Speed of one NIC in one direction", "Gb/s").between(1, 6400), nic_gbps);
}

void Host::describe(SpecVisitor& v) {
  v.text(Field("cpu", "Host processor model"), cpu);
  v.integer(Field("cpu_count", "Host processors in the system").optional().positive(1024), cpu_count);
  v.number(Field("memory_gib", "Host memory", "GiB").optional().between(0.1, 1 << 22), memory_gib);
}

void Rent::describe(SpecVisitor& v) {
  v.text(Field("provider", "The cloud offering the prices are for (instance type, region)"), provider);
  v.text(Field("as_of", "When the prices were published or read: YYYY-MM or YYYY-MM-DD"), as_of);
  v.number(Field("on_demand_usd_per_chip_hour", "On-demand price of one chip for an hour", "USD").optional().between(0.01, 1000),
           on_demand_usd_per_chip_hour);
  v.number(Field("committed_usd_per_chip_hour", "Price of one chip for an hour under a commitment", "USD")
               .optional()
               .between(0.01, 1000),
           committed_usd_per_chip_hour);
  v.integer(Field("committed_years", "Term of the commitment the committed price needs", "years").optional().between(1, 5),
            committed_years);
}

void SystemSpec::describe(SpecVisitor& v) {
  v.text(Field("name", "Name used to refer to this system"), name);
  v.text(Field("vendor", "Who builds it").optional(), vendor);
  v.text(Field("description", "One line for listings").optional(), description);
  v.text(Field("chip", "Chip spec of its accelerators"), chip);
  v.integer(Field("chip_count", "Accelerators in the system").positive(1 << 20), chip_count);
  v.object(Field("scale_up", "The fabric that joins its chips"), scale_up);
  v.optional_object(Field("scale_out", "NICs to the cluster network").optional(), scale_out, has_scale_out);
  v.optional_object(Field("host", "Host processors and memory").optional(), host, has_host);
  v.number(Field("power_w", "Maximum power of the whole system", "W").optional().between(1, 1e7), power_w);
  v.number(Field("price_usd", "What buying one system costs", "USD").optional().between(1, 1e9), price_usd);
  v.number(Field("other_bom_usd", "What building one costs beyond its chips: host, NICs, switches, chassis", "USD")
               .optional()
               .between(0, 1e9),
           other_bom_usd);
  v.integer(Field("available_year", "First year the system ships in volume").optional().between(kFirstYear, kLastYear),
            available_year);
  v.optional_object(Field("rent", "Published cloud prices per chip-hour").optional(), rent, has_rent);
  v.text_map(Field("sources", "Where each published number comes from, by field path").optional(), sources);
}

void check_system(const SystemSpec& system, const Document& doc, const SpecResolver* resolver, Diagnostics& out) {
  const std::int64_t domain = system.scale_up_domain_size();
  if (domain > system.chip_count)
    out.error(doc.where("scale_up.domain_size"), "scale_up.domain_size",
              "domain of " + std::to_string(domain) + " chips is larger than the system's " +
                  std::to_string(system.chip_count) + "; allowed [1, " + std::to_string(system.chip_count) + "]");
  else if (system.chip_count % domain != 0)
    out.error(doc.where("scale_up.domain_size"), "scale_up.domain_size",
              "domain of " + std::to_string(domain) + " chips does not divide the system's " +
                  std::to_string(system.chip_count) + " chips");

  const bool grid = system.scale_up.topology == "torus" || system.scale_up.topology == "mesh";
  if (grid && system.scale_up.torus_dims.empty())
    out.error(doc.where("scale_up.topology"), "scale_up.torus_dims",
              "a " + system.scale_up.topology + " needs its dimensions", "add scale_up.torus_dims, e.g. [4, 4, 4]");
  if (!system.scale_up.torus_dims.empty()) {
    double product = 1;  // a double cannot overflow on six dimensions of at most 2^20
    std::string shape;
    for (std::int64_t d : system.scale_up.torus_dims) {
      if (d < 1 || d > kMaxTorusDim) {
        out.error(
            doc.where("scale_up.torus_dims"), "scale_up.torus_dims",
            "dimension " + std::to_string(d) + " is not a size; allowed [1, " + std::to_string(kMaxTorusDim) + "]");
        return;
      }
      product *= static_cast<double>(d);
      if (!shape.empty()) shape += 'x';
      shape += std::to_string(d);
    }
    if (!grid)
      out.error(doc.where("scale_up.torus_dims"), "scale_up.torus_dims",
                "dimensions are given but the topology is " + system.scale_up.topology, "use topology: torus or mesh");
    else if (product != static_cast<double>(domain))
      out.error(
          doc.where("scale_up.torus_dims"), "scale_up.torus_dims",
          shape + " holds " + format_number(product) + " chips but the scale-up domain has " + std::to_string(domain));
  }

  if (system.scale_up.max_slice_chips) {
    const std::int64_t most = *system.scale_up.max_slice_chips;
    if (system.scale_up.torus_dims.empty() || system.scale_up.topology != "torus")
      out.error(doc.where("scale_up.max_slice_chips"), "scale_up.max_slice_chips",
                "a slice of several systems needs a torus to join", "use topology: torus with torus_dims");
    else if (most < system.chip_count || most % system.chip_count != 0)
      out.error(doc.where("scale_up.max_slice_chips"), "scale_up.max_slice_chips",
                std::to_string(most) + " is not a whole number of the system's " + std::to_string(system.chip_count) +
                    " chips");
  }

  if (system.has_rent) check_rent(system.rent, doc, out);

  const Document* chip_doc = resolve_reference(doc, "chip", Kind::chip, system.chip, resolver, out);
  if (chip_doc) {
    const auto& chip = std::get<ChipSpec>(chip_doc->spec);
    const double link_gb_s =
        chip.has_links ? static_cast<double>(chip.links.count) * chip.links.bandwidth_gb_s_per_direction : 0.0;
    if (chip.has_links && system.scale_up.bandwidth_gb_s_per_direction > link_gb_s * 1.001)
      out.error(doc.where("scale_up.bandwidth_gb_s_per_direction"), "scale_up.bandwidth_gb_s_per_direction",
                format_number(system.scale_up.bandwidth_gb_s_per_direction) + " GB/s per chip is more than chip '" +
                    chip.name + "' has in links (" + std::to_string(chip.links.count) + " x " +
                    format_number(chip.links.bandwidth_gb_s_per_direction) + " GB/s); allowed (0, " +
                    format_number(link_gb_s) + "]");
    if (system.available_year && chip.available_year && *system.available_year < *chip.available_year)
      out.error(doc.where("available_year"), "available_year",
                "the system ships in " + std::to_string(*system.available_year) + ", before its chip '" + chip.name +
                    "' (" + std::to_string(*chip.available_year) + "); allowed >= " +
                    std::to_string(*chip.available_year));
    // The system's power feeds its chips and their hosts: less than that is a typo, a unit slip (kW
    // for W) or the hosts left out, and would fit impossibly many systems into a datacenter's power.
    const double chips_w = static_cast<double>(system.chip_count) * chip.tdp_w;
    const double least_w = chips_w * (1 + kMinHostShare);
    if (system.power_w && *system.power_w < least_w * (1 - 1e-12))
      out.error(doc.where("power_w"), "power_w",
                "system power " + format_number(*system.power_w) + " W is less than its " +
                    std::to_string(system.chip_count) + " chips and their hosts draw (" +
                    std::to_string(system.chip_count) + " x " + format_number(chip.tdp_w) + " W TDP of '" +
                    chip.name + "' = " + format_number(chips_w) + " W, plus " +
                    format_number(kMinHostShare * 100) + "% for hosts, NICs and fans); allowed >= " +
                    format_significant(least_w, 9));
  }
  if (const Document* up =
          resolve_reference(doc, "scale_up.network", Kind::network, system.scale_up.network, resolver, out))
    check_scale_up_switches(system, std::get<NetworkSpec>(up->spec), doc, out);
  if (system.has_scale_out && !system.scale_out.network.empty()) {
    const Document* net =
        resolve_reference(doc, "scale_out.network", Kind::network, system.scale_out.network, resolver, out);
    if (net) {
      const auto& network = std::get<NetworkSpec>(net->spec);
      if (network.type != "link")
        out.error(doc.where("scale_out.network"), "scale_out.network",
                  "'" + network.name + "' is a " + network.type + "; a NIC's network must be a link spec");
      else if (std::abs(network.link.bandwidth_gbps_per_direction - system.scale_out.nic_gbps) >
               1e-6 * system.scale_out.nic_gbps)
        out.error(doc.where("scale_out.nic_gbps"), "scale_out.nic_gbps",
                  "NIC speed " + format_number(system.scale_out.nic_gbps) + " Gb/s differs from link '" + network.name +
                      "' (" + format_number(network.link.bandwidth_gbps_per_direction) + " Gb/s)");
    }
  }
}

Placement place_job(const SystemSpec& system, std::int64_t chips) {
  Placement p;
  const std::int64_t per_system = system.chip_count;
  if (chips < 1 || per_system < 1) return p;
  if (chips % per_system == 0) {
    p.systems = chips / per_system;
    p.chips_per_system = per_system;
    return p;
  }
  const std::string job = format_grouped(static_cast<double>(chips));
  if (!system.scale_up.torus_dims.empty()) {
    p.why = job + " is not a multiple of " + std::to_string(per_system) + " and a torus system is used whole";
    return p;
  }
  for (std::int64_t k = std::min(per_system - 1, chips); 2 * k >= per_system || k == chips; --k) {
    if (k < 1) break;
    if (chips % k != 0) continue;
    p.systems = chips / k;
    p.chips_per_system = k;
    p.why = chips < per_system ? job + " of one " + std::to_string(per_system) + "-chip system"
                               : job + " is not a multiple of " + std::to_string(per_system) + ": " + std::to_string(k) +
                                     " of each " + std::to_string(per_system) + "-chip system";
    return p;
  }
  p.why = job + " chips fill no whole number of " + std::to_string(per_system) +
          "-chip systems, nor half of each of some number of them";
  return p;
}

namespace {

// Factors of `n` over `dims` dimensions, each factor multiplying one block dimension; keeps the
// shape whose longest dimension is shortest, then whose sum is smallest.
void best_shape(const std::vector<std::int64_t>& block, std::size_t at, std::int64_t left,
                std::vector<std::int64_t>& shape, std::vector<std::int64_t>& best) {
  if (at + 1 == block.size()) {
    shape[at] = block[at] * left;
    auto longest = [](const std::vector<std::int64_t>& d) { return *std::max_element(d.begin(), d.end()); };
    auto sum = [](const std::vector<std::int64_t>& d) { return std::accumulate(d.begin(), d.end(), std::int64_t{0}); };
    if (best.empty() || longest(shape) < longest(best) || (longest(shape) == longest(best) && sum(shape) < sum(best)))
      best = shape;
    return;
  }
  for (std::int64_t f = 1; f <= left; ++f) {
    if (left % f != 0) continue;
    shape[at] = block[at] * f;
    best_shape(block, at + 1, left / f, shape, best);
  }
}

}  // namespace

Expected<SystemSpec> torus_slice(const SystemSpec& system, std::int64_t systems) {
  if (systems == 1) return system;
  if (!system.scale_up.max_slice_chips || system.scale_up.torus_dims.empty())
    return Error(system.name + " is not a block of a larger torus (its scale_up gives no max_slice_chips): " +
                 std::to_string(systems) + " of them form no one slice");
  const std::int64_t most = *system.scale_up.max_slice_chips;
  if (systems < 1 || systems > most / system.chip_count)
    return Error(std::to_string(systems) + " x " + system.name + " = " +
                 format_grouped(static_cast<double>(systems) * static_cast<double>(system.chip_count)) +
                 " chips; one slice holds at most " + format_grouped(static_cast<double>(most)) + " (" +
                 std::to_string(most / system.chip_count) + " systems)");
  std::vector<std::int64_t> shape(system.scale_up.torus_dims.size()), best;
  best_shape(system.scale_up.torus_dims, 0, systems, shape, best);
  std::sort(best.begin(), best.end());
  SystemSpec slice = system;
  slice.chip_count = system.chip_count * systems;
  slice.scale_up.torus_dims = best;
  slice.scale_up.domain_size = slice.chip_count;
  if (system.has_scale_out) slice.scale_out.nic_count = system.scale_out.nic_count * systems;
  if (system.power_w) slice.power_w = *system.power_w * static_cast<double>(systems);
  if (system.price_usd) slice.price_usd = *system.price_usd * static_cast<double>(systems);
  return slice;
}

SystemSpec part_of_system(const SystemSpec& system, std::int64_t chips_used) {
  SystemSpec part = system;
  if (chips_used >= system.chip_count || chips_used < 1) return part;
  part.chip_count = chips_used;
  if (part.scale_up.domain_size) part.scale_up.domain_size = std::min(*part.scale_up.domain_size, chips_used);
  if (system.has_scale_out && system.scale_out.nic_count > 0)
    part.scale_out.nic_count =
        std::max<std::int64_t>(1, system.scale_out.nic_count * chips_used / system.chip_count);
  return part;
}

}  // namespace xpusim::spec
