// The build-or-buy table: each system serves a workload at its target, at its best configuration, and
// is costed in a datacenter: throughput, power, capex, TCO per hour, $ per million tokens, and for a
// custom system (chip family xpu) the production volume at which it breaks even with each bought one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "econ/cost.h"
#include "econ/power.h"
#include "econ/tco.h"
#include "spec/document.h"

namespace xpusim::compare {

struct ServingPoint {
  int tp = 1;
  std::int64_t batch = 1;
  double ttft_s = 0, tpot_s = 0;
  double tokens_per_s_per_chip = 0;
  econ::Activity activity;  // one chip over one batch's whole request (prefill and decode)
  std::vector<std::pair<std::string, double>> decode_breakdown;  // where a decode step's time goes
};

// What renting a system's chips costs, from its spec's rent block (published cloud prices), per million
// tokens at the throughput it reaches; a price per chip-hour covers power, facility and operations.
struct RentCost {
  std::string provider, as_of;
  std::optional<double> on_demand_usd_per_chip_hour, committed_usd_per_chip_hour;
  std::optional<std::int64_t> committed_years;
  std::optional<double> on_demand_usd_per_mtoken, committed_usd_per_mtoken;
  // Owning against renting on demand: the share of hours a bought system must be busy for its TCO per
  // busy hour to undercut the on-demand price (none: owning costs more even when always busy).
  std::optional<double> own_cheaper_above_utilization;
  // The cheaper rent price per million tokens, committed where one is published.
  std::optional<double> best_usd_per_mtoken() const {
    return committed_usd_per_mtoken ? committed_usd_per_mtoken : on_demand_usd_per_mtoken;
  }
};

// How a custom system is set against another: bought, or rented at one of its cloud prices.
inline constexpr const char* kBasisBuy = "buy";
inline constexpr const char* kBasisRentOnDemand = "rent on demand";
inline constexpr const char* kBasisRentCommitted = "rent committed";

struct BreakEven {
  std::string against;
  std::optional<double> volume;  // none: cheaper per token at no volume
  std::string basis = kBasisBuy;
  double usd_per_mtoken = 0;  // what the other costs on that basis
};

struct SystemRow {
  std::string system, chip;
  std::int64_t chips = 0;
  bool custom = false;
  std::string problem;  // set when the row has no result: the reason, in a few words
  std::string config;   // the configuration chosen, in words ("tp 2, b 128"; "tp 8, pp 8, dp 16")
  ServingPoint best;    // serving workloads
  double tokens_per_s = 0;  // the whole system, after any TDP cap
  // Where the time of one step goes (a decode step, or a training step), and what the step is.
  std::vector<std::pair<std::string, double>> op_time_s;
  std::string op_time_basis;
  econ::Activity activity;                       // one chip over the measured work
  std::optional<econ::PowerEstimate> chip_power;  // per chip, when the process has an energy model
  double power_w = 0;      // average while working: energy and tokens per joule use it
  double max_power_w = 0;  // nameplate: the datacenter provisions for it
  std::string power_basis;
  double network_capex_usd = 0;   // scale-out switch ports and optics, per system
  double scale_up_capex_usd = 0;  // a built system's scale-up switches (a bought one's are in its price)
  std::int64_t racks_per_system = 0;  // at the datacenter's rack power (0: several systems share a rack)
  std::int64_t systems_per_rack = 0;
  double rack_power_w = 0;  // what one full rack draws at nameplate
  std::optional<double> capex_usd;
  std::string capex_basis;
  std::optional<econ::UnitCost> chip_cost;  // custom systems
  econ::Tco tco;
  std::optional<double> usd_per_mtoken;
  std::optional<RentCost> rent;  // bought systems with published cloud prices
  std::optional<std::int64_t> available_year;  // the system's, else its chip's; a custom one arrives in the year asked
  double tokens_per_joule = 0;
  // What fits in the datacenter's critical power: whole systems, at their maximum power.
  std::int64_t systems_in_datacenter = 0;
  std::int64_t racks_in_datacenter = 0;
  double tokens_per_s_in_datacenter = 0;
  std::vector<BreakEven> break_even;  // custom systems, against each bought system with a price
  // Custom systems: $ per million tokens as the production volume grows (4 points a decade, 1e2 to 1e7
  // chips), the NRE spread over each.
  std::vector<std::pair<double, double>> usd_per_mtoken_by_volume;
  // Training workloads: the systems the run needs, and the whole run.
  std::int64_t systems_used = 1;
  std::int64_t chips_used = 0;  // training: the job's chips (0 for serving: the whole system works)
  std::string placement;        // why the job uses part of each system; empty when it fills them
  double run_hours = 0, run_usd = 0, run_mwh = 0;  // zero for serving
  std::optional<double> run_rent_on_demand_usd, run_rent_committed_usd;  // the chips the run uses, rented
};

struct Comparison {
  std::string workload, datacenter;
  double volume = 0;
  std::optional<std::int64_t> year;  // compare --year: the custom chips arrive then
  std::vector<SystemRow> rows;
};

struct CompareOptions {
  double volume = 100'000;  // custom chips built: spreads their NRE
  int respins = 0;          // extra mask sets in a custom chip's NRE
  // The year the custom chips arrive: a bought system that ships later is a row with that problem.
  std::optional<std::int64_t> year;
};

// The systems a custom chip arriving in `year` meets: for each chip vendor, the systems of its newest
// generation shipping by then (the largest available_year, the system's or else its chip's, not after
// `year`); custom systems (chip family xpu) and systems without a year are left out. In name order.
// `basis` says, in a sentence, what was chosen.
std::vector<const spec::SystemSpec*> newest_systems_of_year(const spec::SpecResolver& specs, std::int64_t year,
                                                           std::string& basis);

// Errors: a workload whose model is missing. Anything a system cannot do is its row's `problem`.
// Serving workloads run one system each; training runs as many systems as its chips need, joined by
// its fabric, with the fastest plan that fits (parallel::search_plans). Both are costed per system
// used, so $ per million tokens compare across the two. Custom chips pay their design partner's margin,
// their program and `respins` extra mask sets in their NRE (econ::unit_cost), and break even against
// each other system bought and rented.
Expected<Comparison> compare_workload(const spec::WorkloadSpec& workload,
                                      const std::vector<const spec::SystemSpec*>& systems,
                                      const spec::DatacenterSpec& datacenter, const spec::SpecResolver& specs,
                                      const CompareOptions& options);
inline Expected<Comparison> compare_workload(const spec::WorkloadSpec& workload,
                                             const std::vector<const spec::SystemSpec*>& systems,
                                             const spec::DatacenterSpec& datacenter, double volume,
                                             const spec::SpecResolver& specs, int respins = 0) {
  return compare_workload(workload, systems, datacenter, specs, CompareOptions{volume, respins, std::nullopt});
}

}  // namespace xpusim::compare
