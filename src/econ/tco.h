// Total cost of ownership of hardware in a datacenter, per hour: the hardware depreciated over its life,
// the energy it draws (times PUE), its share of the facility (capex per MW of IT power over the building's
// life) and yearly operations as a fraction of the hardware capex.
#pragma once

#include "spec/specs.h"

namespace xpusim::econ {

struct Tco {
  double capex_usd = 0;
  double power_w = 0;
  double hardware_usd_per_hour = 0;
  double energy_usd_per_hour = 0;
  double facility_usd_per_hour = 0;
  double operations_usd_per_hour = 0;
  double total_usd_per_hour() const {
    return hardware_usd_per_hour + energy_usd_per_hour + facility_usd_per_hour + operations_usd_per_hour;
  }
};

inline constexpr double kHoursPerYear = 8760;

// Energy is paid for at the average power the hardware draws; the facility is built for its maximum.
Tco tco_per_hour(double capex_usd, double average_power_w, double max_power_w, const spec::DatacenterSpec& datacenter);

// The scale-out fabric behind `endpoint_gbps` of NIC bandwidth: per Gb/s, 2t - 1 switch ports and 2t
// optical modules of the datacenter's t-tier folded Clos (a leaf's down and up ports, up to the top
// tier's down port; an optic at each end of every link). 0 when the datacenter prices neither.
double scale_out_capex_usd(double endpoint_gbps, const spec::DatacenterSpec& datacenter);

// The capex at which the hardware costs `usd_per_hour` to own: TCO is linear in capex.
double capex_at(double usd_per_hour, double average_power_w, double max_power_w,
                const spec::DatacenterSpec& datacenter);

}  // namespace xpusim::econ
