// The datacenter kind: the facility a cluster is powered and cooled by, and what that costs.
#include "spec/document.h"

namespace xpusim::spec {

void DatacenterSpec::describe(SpecVisitor& v) {
  v.text(Field("name", "Name used to refer to this datacenter"), name);
  v.text(Field("description", "One line for listings").optional(), description);
  v.number(Field("critical_power_mw", "Power available to IT equipment", "MW").between(0.001, 10000), critical_power_mw);
  v.number(Field("pue", "Power usage effectiveness: facility power / IT power").between(1, 3), pue);
  v.number(Field("electricity_usd_per_kwh", "Price of electricity", "USD/kWh").between(0.001, 2), electricity_usd_per_kwh);
  v.number(Field("facility_capex_usd_per_mw", "Cost to build per MW of critical IT power", "USD/MW").between(1000, 1e9),
           facility_capex_usd_per_mw);
  v.number(Field("facility_depreciation_years", "Years the building is depreciated over", "years").between(1, 100),
           facility_depreciation_years);
  v.number(Field("hardware_depreciation_years", "Years IT hardware is depreciated over", "years").between(1, 30),
           hardware_depreciation_years);
  v.number(Field("annual_opex_fraction", "Yearly maintenance and operations, as a fraction of hardware capex")
               .optional()
               .between(0, 1),
           annual_opex_fraction);
  v.number(Field("rack_power_kw", "IT power one rack can be fed and cooled with", "kW").optional().between(1, 2000),
           rack_power_kw);
  v.number(Field("switch_usd_per_gbps", "Price of scale-out switch ports per Gb/s of port speed", "USD/(Gb/s)")
               .optional()
               .between(0, 1000),
           switch_usd_per_gbps);
  v.number(Field("optics_usd_per_gbps", "Price of one optical module per Gb/s of its speed", "USD/(Gb/s)")
               .optional()
               .between(0, 1000),
           optics_usd_per_gbps);
  v.integer(Field("fabric_tiers", "Tiers of the scale-out Clos fabric the network is priced for").optional().between(1, 3),
            fabric_tiers);
  v.text_map(Field("sources", "Where each published number comes from, by field path").optional(), sources);
}

void check_datacenter(const DatacenterSpec& datacenter, const Document& doc, Diagnostics& out) {
  if (datacenter.hardware_depreciation_years > datacenter.facility_depreciation_years)
    out.warning(doc.where("hardware_depreciation_years"), "hardware_depreciation_years",
                "hardware outliving the building it stands in is unusual");
}

}  // namespace xpusim::spec
