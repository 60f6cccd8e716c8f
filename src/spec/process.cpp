// The process kind: wafers, defects, NRE and advanced packaging of a foundry process.
#include "spec/document.h"
#include "support/text.h"

namespace xpusim::spec {

void ProcessPackaging::describe(SpecVisitor& v) {
  v.number(Field("hbm_usd_per_gib", "Price of HBM", "USD/GiB").between(0.01, 1000), hbm_usd_per_gib);
  v.number(Field("package_usd", "Interposer, substrate and assembly of a package with one compute die", "USD")
               .between(1, 1e5),
           package_usd);
  v.number(Field("package_usd_per_extra_die", "Added for each further compute die in the package", "USD")
               .optional()
               .between(0, 1e5),
           package_usd_per_extra_die);
  v.number(Field("test_assembly_usd", "Final test, burn-in and module assembly per package", "USD").between(0, 1e5),
           test_assembly_usd);
}

void ProcessArea::describe(SpecVisitor& v) {
  v.number(Field("bf16_mac_um2", "One bf16 MAC of a matrix array, with the array's overhead", "um2").between(1, 1e5),
           bf16_mac_um2);
  v.number(Field("sram_bitcell_um2", "High-density 6T SRAM bit cell", "um2").between(0.001, 10), sram_bitcell_um2);
  v.number(Field("sram_array_efficiency", "Bit-cell area over SRAM macro area (periphery, control)").between(0.01, 1),
           sram_array_efficiency);
  v.number(Field("core_control_mm2", "Per core: instruction issue, register files, load/store", "mm2").between(0, 1000),
           core_control_mm2);
  v.number(Field("uncore_fraction", "Fraction of the die for NoC, crossbars, clocking, test and white space")
               .between(0, 0.95),
           uncore_fraction);
  v.number(Field("hbm_phy_mm2", "One HBM stack's controller and PHY", "mm2").between(0, 1000), hbm_phy_mm2);
  v.number(Field("serdes_lane_mm2", "One chip-to-chip SerDes lane, transmit and receive", "mm2").between(0, 100),
           serdes_lane_mm2);
}

void ProcessEnergy::describe(SpecVisitor& v) {
  v.number_map(Field("mac_pj", "One multiply-accumulate by dtype", "pJ").between(0.001, 100), mac_pj, kDtypeNames);
  v.number(Field("sram_pj_per_bit", "On-chip SRAM access plus the wire to the array", "pJ/bit").between(0.01, 100),
           sram_pj_per_bit);
  v.number(Field("hbm_pj_per_bit", "HBM access, DRAM core to PHY", "pJ/bit").between(0.01, 100), hbm_pj_per_bit);
  v.number(Field("link_pj_per_bit", "Off-package chip-to-chip SerDes", "pJ/bit").between(0.01, 100), link_pj_per_bit);
  v.number(Field("static_fraction", "Power of a working chip beyond its operations (leakage, clocks, control), as a fraction of TDP").between(0, 0.9), static_fraction);
}

void ProcessSpec::describe(SpecVisitor& v) {
  v.text(Field("name", "Name chips give as process_node"), name);
  v.text(Field("description", "One line for listings").optional(), description);
  v.number(Field("wafer_diameter_mm", "Wafer diameter", "mm").optional().between(100, 450), wafer_diameter_mm);
  v.number(Field("edge_exclusion_mm", "Unusable rim of the wafer", "mm").optional().between(0, 20), edge_exclusion_mm);
  v.number(Field("scribe_mm", "Saw street between dies", "mm").optional().between(0, 1), scribe_mm);
  v.number(Field("reticle_mm2", "Largest die the lithography field allows", "mm2").optional().between(100, 2000),
           reticle_mm2);
  v.number(Field("wafer_cost_usd", "Price of one processed wafer", "USD").between(100, 1e6), wafer_cost_usd);
  v.number(Field("defect_density_per_cm2", "Killer defects per cm2 (D0)", "1/cm2").between(0.001, 10),
           defect_density_per_cm2);
  v.number(Field("yield_clustering", "Negative-binomial clustering alpha (1: Seeds; large: Poisson)")
               .optional()
               .between(0.1, 100),
           yield_clustering);
  v.number(Field("mask_set_usd", "One full mask set", "USD").between(1000, 1e9), mask_set_usd);
  v.number(Field("design_cost_usd", "Design, verification, IP and software of a new chip on this node", "USD")
               .between(1000, 1e10),
           design_cost_usd);
  v.number(Field("partner_margin",
                 "Gross margin an ASIC design partner takes on the dies, HBM, packages and tests it sells (a fraction "
                 "of its price; 0, the default, for a chip company that buys from the foundry itself)")
               .optional()
               .between(0, 0.9),
           partner_margin);
  v.object(Field("packaging", "Advanced packaging, HBM and test of this node's AI products"), packaging);
  v.optional_object(Field("area", "Block areas on this node, for the die-area model").optional(), area, has_area);
  v.optional_object(Field("energy", "Energy per operation and bit on this node, for the power model").optional(),
                    energy, has_energy);
  v.text_map(Field("sources", "Where each published number comes from, by field path").optional(), sources);
}

void check_process(const ProcessSpec& process, const Document& doc, Diagnostics& out) {
  const double usable = process.wafer_diameter_mm - 2 * process.edge_exclusion_mm;
  if (usable * usable < 4 * process.reticle_mm2)
    out.error(doc.where("reticle_mm2"), "reticle_mm2",
              "a " + format_number(process.reticle_mm2) + " mm2 reticle field does not fit the usable wafer",
              "at most (wafer_diameter_mm - 2 edge_exclusion_mm)^2 / 4 = " + format_number(usable * usable / 4) +
                  " mm2");
}

}  // namespace xpusim::spec
