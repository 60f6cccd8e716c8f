#include "spec/derived.h"

namespace xpusim::spec {
namespace {

using Figures = std::vector<DerivedFigure>;

void chip_figures(const ChipSpec& chip, Figures& out) {
  for (std::string_view dtype : kDtypeNames) {
    const double peak = chip.derived_peak_tflops(dtype);
    if (peak > 0)
      out.push_back({"peak_tflops." + std::string(dtype), peak, "TFLOP/s", "cores x units x MACs/cycle x 2 x clock"});
  }
  const double bf16 = chip.derived_peak_tflops("bf16");
  const double bytes_per_s = chip.hbm.bandwidth_tb_s * 1e12;
  if (bf16 > 0) {
    out.push_back({"ridge_point_flop_per_byte.bf16", bf16 * 1e12 / bytes_per_s, "FLOP/byte",
                   "bf16 peak / HBM bandwidth: arithmetic intensity where a kernel stops being memory-bound"});
    out.push_back({"tflops_per_watt.bf16", bf16 / chip.tdp_w, "TFLOP/s/W", "bf16 peak / TDP"});
  }
  out.push_back({"hbm_bytes_per_flop.bf16", bf16 > 0 ? bytes_per_s / (bf16 * 1e12) : 0, "byte/FLOP",
                 "HBM bandwidth / bf16 peak"});
  out.push_back({"sram_total_mib", chip.total_sram_mib(), "MiB", "core SRAM x cores + shared SRAM"});
  if (chip.has_links)
    out.push_back({"link_bandwidth_gb_s_bidirectional", chip.link_bandwidth_gb_s_bidirectional(), "GB/s",
                   "2 x links x per-link bandwidth"});
}

void system_figures(const SystemSpec& system, const SpecResolver* resolver, Figures& out) {
  const double chips = static_cast<double>(system.chip_count);
  out.push_back(
      {"scale_up_domains", chips / static_cast<double>(system.scale_up_domain_size()), "", "chips / domain size"});
  if (system.has_scale_out)
    out.push_back({"scale_out_gbps", static_cast<double>(system.scale_out.nic_count) * system.scale_out.nic_gbps,
                   "Gb/s", "NICs x NIC speed, one direction"});
  const Document* chip_doc = resolver ? resolver->find(Kind::chip, system.chip) : nullptr;
  if (!chip_doc) return;
  const auto& chip = std::get<ChipSpec>(chip_doc->spec);
  out.push_back(
      {"peak_pflops.bf16", chips * chip.derived_peak_tflops("bf16") / 1000, "PFLOP/s", "chips x chip bf16 peak"});
  out.push_back({"hbm_capacity_gib", chips * chip.hbm.capacity_gib, "GiB", "chips x chip HBM"});
  out.push_back({"hbm_bandwidth_tb_s", chips * chip.hbm.bandwidth_tb_s, "TB/s", "chips x chip HBM bandwidth"});
  out.push_back({"chip_tdp_w", chips * chip.tdp_w, "W", "chips x chip TDP (accelerators only)"});
}

void cluster_figures(const ClusterSpec& cluster, const SpecResolver* resolver, Figures& out) {
  const Document* system_doc = resolver ? resolver->find(Kind::system, cluster.system) : nullptr;
  if (!system_doc) return;
  const auto& system = std::get<SystemSpec>(system_doc->spec);
  const double systems = static_cast<double>(cluster.system_count);
  out.push_back({"chips", systems * static_cast<double>(system.chip_count), "", "systems x chips per system"});
  if (system.has_scale_out)
    out.push_back({"nics", systems * static_cast<double>(system.scale_out.nic_count), "", "systems x NICs per system"});
  const Document* chip_doc = resolver->find(Kind::chip, system.chip);
  if (!chip_doc) return;
  const auto& chip = std::get<ChipSpec>(chip_doc->spec);
  out.push_back({"peak_eflops.bf16",
                 systems * static_cast<double>(system.chip_count) * chip.derived_peak_tflops("bf16") / 1e6, "EFLOP/s",
                 "chips x chip bf16 peak"});
}

void model_figures(const ModelSpec& model, Figures& out) {
  const ParameterCount count = count_parameters(model);
  out.push_back({"params_b", count.total / 1e9, "billion", "counted from the architecture"});
  if (model.has_moe)
    out.push_back({"active_params_b", count.active_per_token / 1e9, "billion", "counted: top-k and shared experts"});
  const double layers = static_cast<double>(model.layers);
  const double kv_values_per_token =
      model.has_mla ? layers * static_cast<double>(model.mla.kv_lora_rank + model.mla.qk_rope_head_dim)
                    : 2.0 * layers * static_cast<double>(model.kv_head_count() * model.head_size());
  out.push_back({"kv_cache_bytes_per_token.bf16", kv_values_per_token * 2, "bytes",
                 model.has_mla ? "layers x (kv_lora_rank + rope dim) x 2 bytes"
                               : "2 (K and V) x layers x kv_heads x head_dim x 2 bytes"});
  out.push_back({"forward_gflop_per_token", 2.0 * count.active_per_token / 1e9, "GFLOP",
                 "2 x active parameters, without attention scores"});
}

void network_figures(const NetworkSpec& network, Figures& out) {
  if (network.has_switch)
    out.push_back({"ports_400g_equivalent", network.switch_asic.capacity_tbps * 1000 / 400, "", "capacity / 400 Gb/s"});
  if (network.has_link)
    out.push_back({"bandwidth_gb_s_per_direction", network.link.bandwidth_gbps_per_direction / 8, "GB/s", "Gb/s / 8"});
}

void datacenter_figures(const DatacenterSpec& dc, Figures& out) {
  const double hours_per_year = 8760;
  out.push_back({"energy_usd_per_it_mw_year", 1000 * hours_per_year * dc.electricity_usd_per_kwh * dc.pue, "USD",
                 "1 MW of IT load for a year, with PUE"});
  out.push_back({"facility_usd_per_it_mw_year", dc.facility_capex_usd_per_mw / dc.facility_depreciation_years, "USD",
                 "facility capex per MW / depreciation years"});
}

void process_figures(const ProcessSpec& p, Figures& out) {
  const double usable_radius = p.wafer_diameter_mm / 2 - p.edge_exclusion_mm;
  out.push_back({"wafer_usd_per_mm2", p.wafer_cost_usd / (3.14159265358979 * usable_radius * usable_radius), "USD/mm2",
                 "wafer cost / usable wafer area"});
}

}  // namespace

std::vector<DerivedFigure> derived_figures(const Document& doc, const SpecResolver* resolver) {
  Figures out;
  std::visit(
      [&](const auto& spec) {
        using T = std::decay_t<decltype(spec)>;
        if constexpr (std::is_same_v<T, ChipSpec>)
          chip_figures(spec, out);
        else if constexpr (std::is_same_v<T, SystemSpec>)
          system_figures(spec, resolver, out);
        else if constexpr (std::is_same_v<T, ClusterSpec>)
          cluster_figures(spec, resolver, out);
        else if constexpr (std::is_same_v<T, ModelSpec>)
          model_figures(spec, out);
        else if constexpr (std::is_same_v<T, NetworkSpec>)
          network_figures(spec, out);
        else if constexpr (std::is_same_v<T, ProcessSpec>)
          process_figures(spec, out);
        else if constexpr (std::is_same_v<T, WorkloadSpec>)
          (void)spec;
        else
          datacenter_figures(spec, out);
      },
      doc.spec);
  return out;
}

}  // namespace xpusim::spec
