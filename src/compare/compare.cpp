#include "compare/compare.h"

#include <cmath>
#include <algorithm>
#include <functional>
#include <map>

#include "ir/dtype.h"
#include "parallel/training.h"
#include "serve/serving.h"
#include "support/text.h"

namespace xpusim::compare {
namespace {

template <class T>
const T* find(const spec::SpecResolver& specs, spec::Kind kind, const std::string& name) {
  const spec::Document* doc = specs.find(kind, name);
  return doc ? &std::get<T>(doc->spec) : nullptr;
}

// An error as a row's reason: its text without the "error: " prefix.
std::string reason(const Error& error) {
  std::string text = error.to_string();
  if (text.starts_with("error: ")) text.erase(0, 7);
  return text;
}

ServingPoint serving_point(const serve::ServeResult& r, int tp, std::int64_t batch, const spec::ServeTarget& target) {
  ServingPoint p{tp, batch, r.ttft_s, r.tpot_s, r.output_tokens_per_s / tp, {}, {}};
  p.activity = serve::request_activity(r, target.gen);
  for (std::size_t c = 0; c < perfmodel::kTimeCategories; ++c)
    if (r.decode.category_s[c] > 0)
      p.decode_breakdown.emplace_back(perfmodel::time_category_name(static_cast<perfmodel::TimeCategory>(c)),
                                      r.decode.category_s[c]);
  if (r.decode_pp_s > 0) p.decode_breakdown.emplace_back("pipeline transfers", r.decode_pp_s);
  if (r.decode_ep_s > 0) p.decode_breakdown.emplace_back("expert all-to-all", r.decode_ep_s);
  return p;
}

// The configuration that serves the most tokens per chip within the target: tp a power of two inside
// the scale-up domain (dividing the system's chips), batch a power of two up to 1024.
std::optional<ServingPoint> best_serving(const spec::ModelSpec& model, const spec::ChipSpec& chip,
                                         const spec::SystemSpec& system, const perfmodel::Interconnect& link,
                                         const spec::ServeTarget& target, std::string& why_not) {
  std::optional<ServingPoint> best;
  why_not.clear();
  bool fits_somewhere = false;
  for (int tp = 1; tp <= system.scale_up_domain_size(); tp *= 2) {
    if (system.chip_count % tp != 0) continue;
    for (std::int64_t batch = 1; batch <= 1024; batch *= 2) {
      serve::ServeOptions o;
      o.batch = batch;
      o.prompt = target.prompt;
      o.gen = target.gen;
      o.llm.tp = tp;
      o.llm.dtype = *ir::parse_dtype(target.dtype);
      o.llm.kv_dtype = serve::default_kv_dtype(o.llm.dtype, chip);
      const Expected<serve::ServeResult> r = serve::estimate_serving(model, chip, link, o);
      if (!r.ok()) {
        if (why_not.empty()) why_not = reason(r.error());
        break;
      }
      if (!r->fits) break;  // a larger batch needs more memory still
      fits_somewhere = true;
      if (r->tpot_s * 1e3 > target.tpot_ms_max) break;  // and is slower per token
      const double per_chip = r->output_tokens_per_s / tp;
      if (!best || per_chip > best->tokens_per_s_per_chip) best = serving_point(*r, tp, batch, target);
    }
  }
  // A configuration that failed (tp 8 not dividing 12 heads) says nothing once another one serves.
  if (best) {
    why_not.clear();
  } else if (why_not.empty()) {
    why_not = fits_somewhere ? "misses the time-per-token target at every size" : "the model does not fit";
  }
  return best;
}

// A row for `system`, with its chip; nullptr (and the row's problem said) when the chip is not known.
const spec::ChipSpec* start_row(SystemRow& row, const spec::SystemSpec& system, const spec::SpecResolver& specs) {
  row.system = system.name;
  row.chip = system.chip;
  row.chips = system.chip_count;
  const auto* chip = find<spec::ChipSpec>(specs, spec::Kind::chip, system.chip);
  if (!chip) {
    row.problem = "chip " + system.chip + " is not known";
    return nullptr;
  }
  row.custom = chip->family == "xpu";
  return chip;
}

// What a built system's switched scale-up fabric costs: its switches, whole, at the switch's price
// per port. nullopt (and `problem` said) when the switch has no price; 0 for a fabric without switches.
std::optional<double> scale_up_switch_capex(const spec::SystemSpec& system, const spec::SpecResolver& specs,
                                            std::string& problem) {
  const auto* network = find<spec::NetworkSpec>(specs, spec::Kind::network, system.scale_up.network);
  if (!network || !network->has_switch || system.scale_up.topology != "switched") return 0.0;
  const spec::SwitchAsic& asic = network->switch_asic;
  if (!asic.price_usd_per_port) {
    problem = "scale-up switch " + network->name + " has no price_usd_per_port";
    return std::nullopt;
  }
  return spec::scale_up_switches(system, asic) * static_cast<double>(asic.radix) * *asic.price_usd_per_port;
}

// "estimate..." sources mark a figure that no seller published.
bool is_estimate(const spec::SystemSpec& system, const std::string& field) {
  const auto it = system.sources.find(field);
  return it != system.sources.end() && it->second.starts_with("estimate");
}

// The first year a system ships: its own available_year, else its chip's.
std::optional<std::int64_t> ships_in(const spec::SystemSpec& system, const spec::ChipSpec& chip) {
  return system.available_year ? system.available_year : chip.available_year;
}

// Power, capacity in the datacenter, capex (price or, for a custom system, the cost model), TCO and $
// per million tokens of one system, given its tokens per second.
void cost_row(SystemRow& row, const spec::SystemSpec& system, const spec::ChipSpec& chip,
              const spec::DatacenterSpec& datacenter, double volume, int respins, const spec::SpecResolver& specs) {
  const double chips = static_cast<double>(row.chips);
  // Without a power_w, the least that specs check accepts: the chips' TDPs and a share for their hosts.
  row.max_power_w = system.power_w.value_or(chip.tdp_w * chips * (1 + spec::kMinHostShare));
  row.power_w = row.max_power_w;
  row.power_basis = system.power_w ? "the system's power_w (nameplate)"
                                   : "chips x TDP + " + format_number(spec::kMinHostShare * 100) +
                                         "% for hosts, NICs and fans (no power_w: an estimate)";
  // The loader keeps power in range, but a spec built in code is not checked: a power near zero would
  // fit more systems in the datacenter than an int64 counts and print a negative number of them.
  const double fitting_systems = datacenter.critical_power_mw * 1e6 / row.max_power_w;
  if (!(row.max_power_w >= 1) || !std::isfinite(fitting_systems) || fitting_systems > 1e15) {
    row.problem = "system power " + format_significant(row.max_power_w, 3) + " W is not a plausible figure";
    return;
  }
  // Average power from the work the chips do, when their process has an energy model: the chips at
  // their modelled power, the rest of the system (hosts, NICs, fans) at its nameplate share. A chip
  // that would exceed its TDP is slowed to fit, and so is the system's throughput.
  if (row.activity.seconds > 0) row.chip_power = econ::chip_power(specs, chip, row.activity);
  if (const std::optional<econ::PowerEstimate>& p = row.chip_power) {
    // Chips a job leaves unused in a system idle at their static power.
    const double working = row.chips_used > 0 ? static_cast<double>(row.chips_used / row.systems_used) : chips;
    row.power_w = working * p->total_w() + (chips - working) * p->static_w +
                  std::max(0.0, row.max_power_w - chips * chip.tdp_w);
    row.power_basis = "modelled: chips at their average power on the workload (" + chip.process_node +
                      " energy model), the rest of the system at its nameplate share";
    if (p->slowdown > 1) {
      row.tokens_per_s /= p->slowdown;
      row.run_hours *= p->slowdown;
      row.best.tpot_s *= p->slowdown;
      row.best.ttft_s *= p->slowdown;
    }
  }
  row.tokens_per_joule = row.tokens_per_s / row.power_w;
  row.systems_in_datacenter = static_cast<std::int64_t>(std::floor(fitting_systems));
  row.tokens_per_s_in_datacenter = static_cast<double>(row.systems_in_datacenter) * row.tokens_per_s;
  if (datacenter.rack_power_kw) {
    const double rack_w = *datacenter.rack_power_kw * 1e3;
    if (row.max_power_w > rack_w) {
      row.racks_per_system = static_cast<std::int64_t>(std::ceil(row.max_power_w / rack_w));
      row.racks_in_datacenter = row.systems_in_datacenter * row.racks_per_system;
      row.rack_power_w = row.max_power_w / static_cast<double>(row.racks_per_system);
    } else {
      row.systems_per_rack = static_cast<std::int64_t>(std::floor(rack_w / row.max_power_w));
      row.racks_in_datacenter =
          (row.systems_in_datacenter + row.systems_per_rack - 1) / row.systems_per_rack;
      row.rack_power_w = static_cast<double>(row.systems_per_rack) * row.max_power_w;
    }
  }
  // The scale-out fabric each system plugs into: bought with the system either way.
  if (system.has_scale_out)
    row.network_capex_usd = econ::scale_out_capex_usd(
        static_cast<double>(system.scale_out.nic_count) * system.scale_out.nic_gbps, datacenter);
  if (system.price_usd) {
    row.capex_usd = *system.price_usd + row.network_capex_usd;
    row.capex_basis = is_estimate(system, "price_usd")
                          ? "the system's price_usd (an estimate: its sources say how it was made) + its scale-out "
                            "ports and optics"
                          : "the system's price_usd + its scale-out ports and optics";
  } else if (row.custom) {
    const auto* process = find<spec::ProcessSpec>(specs, spec::Kind::process, chip.process_node);
    const std::optional<double> switches_usd = scale_up_switch_capex(system, specs, row.problem);
    if (!switches_usd) {
      // the row's problem names the switch without a price
    } else if (!process) {
      row.problem = "no process spec for " + chip.process_node;
    } else if (Expected<econ::UnitCost> cost =
                   econ::unit_cost(chip, *process, volume, std::nullopt,
                                   chip.has_io_die ? find<spec::ProcessSpec>(specs, spec::Kind::process,
                                                                             chip.io_die.process_node)
                                                   : nullptr,
                                   respins);
               !cost.ok()) {
      row.problem = reason(cost.error());
    } else {
      row.chip_cost = *cost;
      row.scale_up_capex_usd = *switches_usd;
      row.capex_usd = system.other_bom_usd.value_or(0) + chips * cost->total_per_unit_usd + row.scale_up_capex_usd +
                      row.network_capex_usd;
      row.capex_basis =
          "built: chips x unit cost with NRE share + other_bom_usd + scale-up switches + scale-out ports and optics";
    }
  } else if (system.has_rent) {
    row.capex_basis = "not sold: rented only (its rent block)";  // Google's TPUs, for one
  } else {
    row.problem = "no price (give the system a price_usd or a rent)";
  }
  if (row.capex_usd) {
    row.tco = econ::tco_per_hour(*row.capex_usd, row.power_w, row.max_power_w, datacenter);
    row.usd_per_mtoken = row.tco.total_usd_per_hour() / (row.tokens_per_s * 3600 / 1e6);
  }
}

// The system's cloud prices per million tokens at the throughput it reached, and the utilization above
// which owning it (its TCO per hour, paid whether busy or not) undercuts renting it on demand.
void rent_row(SystemRow& row, const spec::SystemSpec& system) {
  if (!system.has_rent || row.custom || row.tokens_per_s <= 0) return;
  const spec::Rent& offer = system.rent;
  RentCost rent{offer.provider, offer.as_of, offer.on_demand_usd_per_chip_hour, offer.committed_usd_per_chip_hour,
                offer.committed_years, std::nullopt, std::nullopt, std::nullopt};
  const double chips = static_cast<double>(row.chips);
  const double mtokens_per_hour = row.tokens_per_s * 3600 / 1e6;
  // A training run rents only the chips it uses, for its hours.
  const double rented_chip_hours =
      static_cast<double>(row.chips_used > 0 ? row.chips_used : row.chips) * row.run_hours;
  const auto per_mtoken = [&](const std::optional<double>& usd_per_chip_hour) -> std::optional<double> {
    if (!usd_per_chip_hour) return std::nullopt;
    return *usd_per_chip_hour * chips / mtokens_per_hour;
  };
  const auto for_run = [&](const std::optional<double>& usd_per_chip_hour) -> std::optional<double> {
    if (!usd_per_chip_hour || row.run_hours <= 0) return std::nullopt;
    return *usd_per_chip_hour * rented_chip_hours;
  };
  rent.on_demand_usd_per_mtoken = per_mtoken(offer.on_demand_usd_per_chip_hour);
  rent.committed_usd_per_mtoken = per_mtoken(offer.committed_usd_per_chip_hour);
  row.run_rent_on_demand_usd = for_run(offer.on_demand_usd_per_chip_hour);
  row.run_rent_committed_usd = for_run(offer.committed_usd_per_chip_hour);
  if (offer.on_demand_usd_per_chip_hour && row.capex_usd) {
    const double utilization = row.tco.total_usd_per_hour() / (*offer.on_demand_usd_per_chip_hour * chips);
    if (utilization <= 1) rent.own_cheaper_above_utilization = utilization;
  }
  row.rent = std::move(rent);
}

// Break-even volumes: the volume at which a custom system's $ per million tokens falls to another
// system's, bought or rented.
void add_break_even(Comparison& out, const spec::DatacenterSpec& datacenter) {
  for (SystemRow& custom : out.rows) {
    if (!custom.custom || !custom.chip_cost || !custom.usd_per_mtoken) continue;
    const double nre = custom.chip_cost->nre_usd;
    const double fixed = custom.capex_usd.value() - static_cast<double>(custom.chips) * custom.chip_cost->nre_per_unit_usd;
    const double mtokens_per_hour = custom.tokens_per_s * 3600 / 1e6;
    for (int i = 0; i <= 20; ++i) {
      const double volume = 1e2 * std::pow(10.0, i / 4.0);
      const double capex = fixed + static_cast<double>(custom.chips) * nre / volume;
      custom.usd_per_mtoken_by_volume.emplace_back(
          volume,
          econ::tco_per_hour(capex, custom.power_w, custom.max_power_w, datacenter).total_usd_per_hour() /
              mtokens_per_hour);
    }
    const auto against = [&](const SystemRow& other, const char* basis, double usd_per_mtoken) {
      const double target_capex =
          econ::capex_at(usd_per_mtoken * mtokens_per_hour, custom.power_w, custom.max_power_w, datacenter);
      const double room = target_capex - fixed;  // what the NRE share may add over the whole system
      BreakEven be{other.system, std::nullopt, basis, usd_per_mtoken};
      if (room > 0) be.volume = static_cast<double>(custom.chips) * nre / room;
      custom.break_even.push_back(be);
    };
    for (const SystemRow& other : out.rows) {
      if (other.custom) continue;
      if (other.usd_per_mtoken) against(other, kBasisBuy, *other.usd_per_mtoken);
      if (!other.rent) continue;
      if (other.rent->on_demand_usd_per_mtoken) against(other, kBasisRentOnDemand, *other.rent->on_demand_usd_per_mtoken);
      if (other.rent->committed_usd_per_mtoken) against(other, kBasisRentCommitted, *other.rent->committed_usd_per_mtoken);
    }
  }
}

// What one system achieves on the workload: it fills the row's config and tokens per second (one
// system's share) and, for a training run, its systems and hours; false with the row's problem said.
using Measure = std::function<bool(SystemRow&, const spec::SystemSpec&, const spec::ChipSpec&)>;

// The table: each system measured, then costed, then the custom ones set against the bought ones.
Comparison table_of(const spec::WorkloadSpec& workload, const std::vector<const spec::SystemSpec*>& systems,
                    const spec::DatacenterSpec& datacenter, const CompareOptions& options,
                    const spec::SpecResolver& specs, const Measure& measure) {
  Comparison out{workload.name, datacenter.name, options.volume, options.year, {}};
  for (const spec::SystemSpec* system : systems) {
    SystemRow row;
    const spec::ChipSpec* chip = start_row(row, *system, specs);
    if (chip) row.available_year = row.custom && options.year ? options.year : ships_in(*system, *chip);
    if (chip && options.year && !row.custom && row.available_year && *row.available_year > *options.year) {
      row.problem = "ships in " + std::to_string(*row.available_year) + ", after " + std::to_string(*options.year);
    } else if (chip && measure(row, *system, *chip)) {
      cost_row(row, *system, *chip, datacenter, options.volume, options.respins, specs);
      const double systems_used = static_cast<double>(row.systems_used);
      row.run_mwh = row.power_w * systems_used * datacenter.pue * row.run_hours / 1e6;  // average power
      if (row.capex_usd) row.run_usd = row.tco.total_usd_per_hour() * systems_used * row.run_hours;
      rent_row(row, *system);
    }
    out.rows.push_back(std::move(row));
  }
  add_break_even(out, datacenter);
  return out;
}

Expected<Comparison> compare_serving(const spec::WorkloadSpec& workload,
                                     const std::vector<const spec::SystemSpec*>& systems,
                                     const spec::DatacenterSpec& datacenter, const CompareOptions& options,
                                     const spec::SpecResolver& specs) {
  const auto* model = find<spec::ModelSpec>(specs, spec::Kind::model, workload.serve.model);
  if (!model) return Error("workload " + workload.name + " serves model " + workload.serve.model + ", which is not known");
  return table_of(workload, systems, datacenter, options, specs,
                  [&](SystemRow& row, const spec::SystemSpec& system, const spec::ChipSpec& chip) {
                    const auto* network = find<spec::NetworkSpec>(specs, spec::Kind::network, system.scale_up.network);
                    const perfmodel::Interconnect link = serve::interconnect_of(chip, &system, network);
                    std::optional<ServingPoint> best =
                        best_serving(*model, chip, system, link, workload.serve, row.problem);
                    if (!best) return false;
                    row.best = *best;
                    row.activity = best->activity;
                    row.op_time_s = best->decode_breakdown;
                    row.op_time_basis = "seconds per decode step";
                    row.config = "tp " + std::to_string(best->tp) + ", b " + std::to_string(best->batch);
                    row.tokens_per_s = best->tokens_per_s_per_chip * static_cast<double>(row.chips);
                    return true;
                  });
}

Expected<Comparison> compare_training(const spec::WorkloadSpec& workload,
                                      const std::vector<const spec::SystemSpec*>& systems,
                                      const spec::DatacenterSpec& datacenter, const CompareOptions& options,
                                      const spec::SpecResolver& specs) {
  const spec::TrainTarget& t = workload.train;
  const auto* model = find<spec::ModelSpec>(specs, spec::Kind::model, t.model);
  const auto* fabric = find<spec::NetworkSpec>(specs, spec::Kind::network, t.fabric);
  if (!model) return Error("workload " + workload.name + " trains model " + t.model + ", which is not known");
  if (!fabric || !fabric->has_switch) return Error("workload " + workload.name + " needs a switch spec as its fabric");
  parallel::TrainPlan base;
  base.global_batch = t.global_batch;
  base.seq = t.seq;
  const ir::DType dtype = *ir::parse_dtype(t.dtype);
  if (ir::dtype_bytes(dtype) < 2)
    base.gemm_dtype = dtype;
  else
    base.dtype = dtype;
  return table_of(workload, systems, datacenter, options, specs,
                  [&](SystemRow& row, const spec::SystemSpec& system, const spec::ChipSpec& chip) {
                    // Any job size on any system: whole systems, or the same part of each (the row says).
                    const spec::Placement placement = spec::place_job(system, t.chips);
                    if (!placement.ok()) {
                      row.problem = placement.why;
                      return false;
                    }
                    row.systems_used = placement.systems;
                    row.chips_used = placement.systems * placement.chips_per_system;
                    row.placement = placement.why;
                    const spec::SystemSpec used = spec::part_of_system(system, placement.chips_per_system);
                    const auto* scale_up = find<spec::NetworkSpec>(specs, spec::Kind::network, system.scale_up.network);
                    const int tiers = spec::clos_tiers(used, fabric->switch_asic, row.systems_used, 1.0);
                    const network::Topology topology = network::topology_of(used, scale_up, row.systems_used, fabric, tiers);
                    const parallel::SearchResult found = parallel::search_plans(*model, chip, topology, base, 1);
                    if (found.best.empty()) {
                      row.problem = "none of " + std::to_string(found.evaluated) +
                                    " plans runs: " + parallel::rejection_summary(found, 2);
                      return false;
                    }
                    const auto& [plan, result] = found.best.front();
                    row.config = "tp " + std::to_string(plan.tp) + ", pp " + std::to_string(plan.pp) + ", dp " +
                                 std::to_string(plan.dp) + (plan.cp > 1 ? ", cp " + std::to_string(plan.cp) : "");
                    // Costed per system, like serving: each system's share of the run's throughput.
                    row.tokens_per_s = result.tokens_per_s / static_cast<double>(row.systems_used);
                    row.run_hours = t.tokens / result.tokens_per_s / 3600;
                    row.activity = result.activity;
                    for (const auto& [part, seconds] : parallel::step_breakdown(result))
                      row.op_time_s.emplace_back(std::string(part), seconds);
                    row.op_time_basis = "seconds per training step";
                    return true;
                  });
}

}  // namespace

Expected<Comparison> compare_workload(const spec::WorkloadSpec& workload,
                                      const std::vector<const spec::SystemSpec*>& systems,
                                      const spec::DatacenterSpec& datacenter, const spec::SpecResolver& specs,
                                      const CompareOptions& options) {
  if (!(options.volume >= 1)) return Error("the volume must be at least 1 unit");
  if (workload.has_train) return compare_training(workload, systems, datacenter, options, specs);
  return compare_serving(workload, systems, datacenter, options, specs);
}

std::vector<const spec::SystemSpec*> newest_systems_of_year(const spec::SpecResolver& specs, std::int64_t year,
                                                           std::string& basis) {
  struct Candidate {
    const spec::SystemSpec* system;
    std::string vendor;
    std::int64_t year;
  };
  std::vector<Candidate> candidates;
  std::map<std::string, std::int64_t> newest;  // by chip vendor
  for (const std::string& name : specs.names(spec::Kind::system)) {
    const auto* system = find<spec::SystemSpec>(specs, spec::Kind::system, name);
    const auto* chip = system ? find<spec::ChipSpec>(specs, spec::Kind::chip, system->chip) : nullptr;
    if (!chip || chip->family == "xpu") continue;
    const std::optional<std::int64_t> ships = ships_in(*system, *chip);
    if (!ships || *ships > year) continue;
    candidates.push_back({system, chip->vendor, *ships});
    std::int64_t& best = newest[chip->vendor];
    best = std::max(best, *ships);
  }
  std::vector<const spec::SystemSpec*> out;
  for (const Candidate& c : candidates)
    if (c.year == newest[c.vendor]) out.push_back(c.system);
  std::sort(out.begin(), out.end(),
            [](const spec::SystemSpec* a, const spec::SystemSpec* b) { return a->name < b->name; });
  basis = "each vendor's newest systems shipping by " + std::to_string(year) + ":";
  for (const auto& [vendor, ships] : newest) basis += " " + vendor + " " + std::to_string(ships) + ",";
  if (newest.empty()) basis = "no system in the library ships by " + std::to_string(year);
  else basis.pop_back();
  return out;
}

}  // namespace xpusim::compare
