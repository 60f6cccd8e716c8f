#include "econ/tco.h"

namespace xpusim::econ {

Tco tco_per_hour(double capex_usd, double average_power_w, double max_power_w, const spec::DatacenterSpec& dc) {
  Tco t;
  t.capex_usd = capex_usd;
  t.power_w = average_power_w;
  t.hardware_usd_per_hour = capex_usd / (dc.hardware_depreciation_years * kHoursPerYear);
  t.energy_usd_per_hour = average_power_w / 1000 * dc.pue * dc.electricity_usd_per_kwh;
  t.facility_usd_per_hour = max_power_w / 1e6 * dc.facility_capex_usd_per_mw / (dc.facility_depreciation_years * kHoursPerYear);
  t.operations_usd_per_hour = dc.annual_opex_fraction.value_or(0) * capex_usd / kHoursPerYear;
  return t;
}

double capex_at(double usd_per_hour, double average_power_w, double max_power_w, const spec::DatacenterSpec& dc) {
  const Tco power_only = tco_per_hour(0, average_power_w, max_power_w, dc);
  const double per_capex_usd = 1 / (dc.hardware_depreciation_years * kHoursPerYear) +
                               dc.annual_opex_fraction.value_or(0) / kHoursPerYear;
  return (usd_per_hour - power_only.total_usd_per_hour()) / per_capex_usd;
}

double scale_out_capex_usd(double endpoint_gbps, const spec::DatacenterSpec& dc) {
  if (!dc.switch_usd_per_gbps || !dc.optics_usd_per_gbps) return 0;
  const double tiers = static_cast<double>(dc.fabric_tiers);
  return endpoint_gbps * ((2 * tiers - 1) * *dc.switch_usd_per_gbps + 2 * tiers * *dc.optics_usd_per_gbps);
}

}  // namespace xpusim::econ
