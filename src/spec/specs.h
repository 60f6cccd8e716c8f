// The spec kinds: chip, system (a node or rack), network (a switch or link family), cluster, datacenter
// and model (a transformer LLM architecture). Plain data; each describes its fields in a SpecVisitor
// (see schema.h), and each kind's consistency rules live beside its description (chip.cpp, ...).
//
// Units are in the field names: _mhz, _w, _mm2, _kib, _mib, _gib (binary), _gb_s and _tb_s (decimal
// bytes per second), _gbps (decimal bits per second), _ns, _usd, _mw (megawatts).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "spec/schema.h"
#include "support/expected.h"

namespace xpusim::spec {

using Sources = std::map<std::string, std::string>;  // field path -> where the published number comes from

// ---------------------------------------------------------------------------------------------- chip

struct MatrixTile final : SpecObject {
  std::int64_t m = 1, n = 1, k = 1;
  void describe(SpecVisitor& v) override;
};

struct MatrixUnit final : SpecObject {
  std::int64_t count = 1;  // per core
  MatrixTile tile;
  std::string dataflow = "output_stationary";
  // A weight-stationary array that loads the next block of weights while the current one computes
  // (TPU v1's weight FIFO and double buffer): a block costs the longer of its streaming and its load.
  bool double_buffered = false;
  std::map<std::string, double> macs_per_cycle;  // per unit, by dtype; dense (no structured sparsity)
  void describe(SpecVisitor& v) override;
};

struct VectorUnit final : SpecObject {
  std::int64_t count = 1;  // per core
  std::int64_t lanes = 1;
  double fp32_flops_per_cycle = 1;  // per unit
  std::optional<double> clock_mhz;  // when it differs from the chip clock
  void describe(SpecVisitor& v) override;
};

struct CoreSram final : SpecObject {
  std::string level;
  double capacity_kib = 0;
  double bandwidth_bytes_per_cycle = 0;
  std::optional<std::int64_t> banks;
  void describe(SpecVisitor& v) override;
};

struct Cores final : SpecObject {
  std::int64_t count = 1;
  MatrixUnit matrix_unit;
  VectorUnit vector_unit;
  std::vector<CoreSram> sram;
  void describe(SpecVisitor& v) override;
};

struct SharedSram final : SpecObject {
  std::string level;
  double capacity_mib = 0;
  std::optional<double> bandwidth_gb_s;
  std::optional<std::int64_t> banks;
  void describe(SpecVisitor& v) override;
};

struct Hbm final : SpecObject {
  std::string generation = "hbm3";
  std::int64_t stacks = 1;
  std::optional<std::int64_t> channels_per_stack;
  double capacity_gib = 0;
  double bandwidth_tb_s = 0;
  void describe(SpecVisitor& v) override;
};

struct ChipLinks final : SpecObject {
  std::string technology;  // nvlink4, ici, infinity-fabric, ethernet, ...
  std::int64_t count = 1;
  double bandwidth_gb_s_per_direction = 0;  // per link
  double lane_gbps = 100;                   // SerDes lane rate, per direction (sizes the PHYs)
  void describe(SpecVisitor& v) override;
};

// I/O dies under or beside the compute dies (MI300X: 8 N5 compute dies on 4 N6 I/O dies): they hold
// the HBM PHYs, the chip-to-chip SerDes, the host interface and `shared_sram_mib` of the shared SRAM,
// on their own, usually older, process.
struct IoDie final : SpecObject {
  std::int64_t count = 1;
  std::string process_node;
  std::optional<double> shared_sram_mib;  // default: all of the chip's shared SRAM
  std::optional<double> area_mm2;         // per I/O die, when published
  void describe(SpecVisitor& v) override;
};

// Units built on the die, including those fused off to raise yield (H100 enables 132 of GH100's 144
// SMs): the area model counts these, the performance model the enabled ones. Default: as enabled.
struct OnDie final : SpecObject {
  std::optional<std::int64_t> cores;
  std::optional<std::int64_t> hbm_phys;
  std::optional<double> shared_sram_mib;
  void describe(SpecVisitor& v) override;
};

// How close the chip's software gets to its peaks: calibrated on measurements for real parts (the
// sources name the cases), derived from the microarchitecture for xpusim's own designs.
struct ChipEfficiency final : SpecObject {
  std::map<std::string, double> matmul;  // by dtype: fraction of peak a large, well-shaped GEMM sustains
  double attention = 1;                  // fraction of the matmul peak a fused attention kernel sustains
  double hbm = 1;                        // fraction of peak HBM bandwidth streaming kernels sustain
  double vector = 1;                     // fraction of the vector peak pointwise kernels sustain
  double kernel_overhead_us = 0;         // fixed cost of every kernel: launch, prologue, tail
  void describe(SpecVisitor& v) override;
};

// What a custom chip's program costs beyond the die's design (the process spec's design_cost_usd):
// the software stack (compiler, kernels, runtime, framework integration) and the silicon and system
// bring-up, as teams paid over the program's years. Part of the NRE (econ::unit_cost).
struct Program final : SpecObject {
  std::int64_t software_engineers = 0;
  std::int64_t bringup_engineers = 0;
  double usd_per_engineer_year = 0;  // fully loaded: pay, benefits, tools, offices, test hardware
  double years = 0;                  // from the start of the work to volume shipments
  double usd() const {
    return static_cast<double>(software_engineers + bringup_engineers) * usd_per_engineer_year * years;
  }
  void describe(SpecVisitor& v) override;
};

struct ChipSpec final : SpecObject {
  std::string name;
  std::string vendor;
  std::string family = "gpu";
  std::string description;
  std::string process_node;
  std::int64_t die_count = 1;
  std::optional<double> die_area_mm2;  // per die
  std::optional<double> transistors_billion;
  double clock_mhz = 0;
  double tdp_w = 0;
  std::optional<std::int64_t> available_year;  // first year it ships in volume
  Cores cores;
  std::vector<SharedSram> shared_sram;
  Hbm hbm;
  bool has_links = false;
  ChipLinks links;
  std::map<std::string, double> peak_tflops;  // published dense peaks, checked against the units
  bool has_efficiency = false;
  ChipEfficiency efficiency;
  bool has_on_die = false;
  OnDie on_die;
  bool has_io_die = false;
  IoDie io_die;
  bool has_program = false;
  Program program;
  Sources sources;
  void describe(SpecVisitor& v) override;

  // Peak dense TFLOP/s for a dtype implied by the units and the clock; 0 when the chip lacks the dtype.
  double derived_peak_tflops(std::string_view dtype) const;
  double core_sram_kib() const;    // per core, all its levels
  double shared_sram_mib() const;  // all shared levels
  double total_sram_mib() const;
  // Chip-to-chip bandwidth, both directions, GB/s.
  double link_bandwidth_gb_s_bidirectional() const;
};

// -------------------------------------------------------------------------------------------- system

struct ScaleUp final : SpecObject {
  std::string network;  // a network spec (switch or link)
  std::string topology = "switched";
  std::optional<std::int64_t> domain_size;  // chips in one scale-up domain; default: all chips
  std::vector<std::int64_t> torus_dims;
  std::optional<std::int64_t> switch_count;  // switch ASICs of a switched fabric, per system
  // A torus system that is a block of a larger torus (TPU v4 / v5p cubes joined by optical circuit
  // switches): the most chips one such slice spans. Unset: the system's torus is used alone.
  std::optional<std::int64_t> max_slice_chips;
  double bandwidth_gb_s_per_direction = 0;  // per chip
  void describe(SpecVisitor& v) override;
};

struct ScaleOut final : SpecObject {
  std::string network;         // a network spec (a link family)
  std::int64_t nic_count = 1;  // per system
  double nic_gbps = 0;         // per NIC, per direction
  void describe(SpecVisitor& v) override;
};

struct Host final : SpecObject {
  std::string cpu;
  std::int64_t cpu_count = 1;
  std::optional<double> memory_gib;
  void describe(SpecVisitor& v) override;
};

// Years a chip or system may say it ships in (available_year): the first accelerators xpusim models
// to the horizon of announced roadmaps.
inline constexpr std::int64_t kFirstYear = 2010;
inline constexpr std::int64_t kLastYear = 2040;

// What renting the system's chips from a cloud costs: a published price per chip-hour, on demand and
// with a commitment. One offering (provider) per system; a user may derive a system (base:) to state another.
struct Rent final : SpecObject {
  std::string provider;  // the offering the prices are for ("AWS p5.48xlarge, us-east-1")
  std::string as_of;     // when they were published or read: YYYY-MM or YYYY-MM-DD
  std::optional<double> on_demand_usd_per_chip_hour;
  std::optional<double> committed_usd_per_chip_hour;
  std::optional<std::int64_t> committed_years;  // the commitment term of the committed price
  void describe(SpecVisitor& v) override;
};

struct SystemSpec final : SpecObject {
  std::string name;
  std::string vendor;
  std::string description;
  std::string chip;
  std::int64_t chip_count = 1;
  ScaleUp scale_up;
  bool has_scale_out = false;
  ScaleOut scale_out;
  bool has_host = false;
  Host host;
  std::optional<double> power_w;
  std::optional<double> price_usd;      // to buy one
  std::optional<double> other_bom_usd;  // to build one, beyond its chips (custom systems)
  std::optional<std::int64_t> available_year;  // first year it ships in volume
  bool has_rent = false;
  Rent rent;
  Sources sources;
  void describe(SpecVisitor& v) override;

  std::int64_t scale_up_domain_size() const { return scale_up.domain_size.value_or(chip_count); }
};

// ------------------------------------------------------------------------------------------- network

struct SwitchAsic final : SpecObject {
  std::int64_t radix = 1;  // ports at port_speed_gbps
  double port_speed_gbps = 0;
  double capacity_tbps = 0;  // one direction
  std::optional<double> latency_ns;
  std::optional<double> power_w;
  std::optional<double> price_usd_per_port;  // what one port costs, the switch's share included
  bool in_network_reduction = false;
  std::optional<double> serdes_gbps;
  std::string process_node;
  double collective_efficiency = 0.8;  // fraction of port bandwidth that ring collectives achieve
  double reduction_efficiency = 0.8;   // fraction of port bandwidth that in-network reductions achieve
  void describe(SpecVisitor& v) override;
};

struct Link final : SpecObject {
  double bandwidth_gbps_per_direction = 0;
  std::optional<std::int64_t> lanes;
  std::optional<double> latency_ns;
  std::optional<double> energy_pj_per_bit;
  std::optional<double> reach_m;
  std::string medium = "copper";
  double collective_efficiency = 0.8;  // fraction of link bandwidth that collectives achieve
  void describe(SpecVisitor& v) override;
};

struct NetworkSpec final : SpecObject {
  std::string name;
  std::string vendor;
  std::string description;
  std::string type = "switch";
  std::string protocol = "ethernet";
  bool has_switch = false;
  SwitchAsic switch_asic;
  bool has_link = false;
  Link link;
  Sources sources;
  void describe(SpecVisitor& v) override;
};

// ------------------------------------------------------------------------------------------- cluster

struct ClusterFabric final : SpecObject {
  std::string topology = "fat_tree";
  std::string switch_name;  // a network spec of type switch
  std::string link;         // a network spec of type link; optional
  std::int64_t tiers = 1;
  double oversubscription = 1;
  void describe(SpecVisitor& v) override;
};

// The least a system draws beyond its chips' TDPs, as a fraction of them: host CPUs and memory, NICs,
// switches, fans and power conversion. Published systems draw far more (DGX H100 82%, DGX B200 79%,
// GB200 NVL72 39%: (10.2 - 5.6) / 5.6, (14.3 - 8) / 8, (120 - 86.4) / 86.4 kW), so 10% is a floor that
// only a figure with the hosts left out falls below. check_system refuses a power_w below it; compare
// takes it for a system without power_w.
inline constexpr double kMinHostShare = 0.10;

// Switch ports a system's switched scale-up fabric needs: every chip's scale-up bandwidth in ports of
// the switch's speed (18 NVLink4 ports per H100), times its chips.
double scale_up_ports(const SystemSpec& system, const SwitchAsic& asic);
// Switch ASICs of that fabric: the system's switch_count, else the fewest whose ports hold scale_up_ports.
double scale_up_switches(const SystemSpec& system, const SwitchAsic& asic);

// Ports at `nic_gbps` that one switch offers: a port faster than the NIC breaks out into several.
double switch_ports_at(const SwitchAsic& asic, double nic_gbps);
// NICs a folded Clos of `tiers` tiers of `ports`-port switches reaches: `ports` with one tier, else
// 2 x (leaf down-ports) x (ports / 2)^(tiers - 1), the leaf giving o / (1 + o) of its ports to NICs at
// oversubscription o (1: half of them).
double clos_reach(double ports, std::int64_t tiers, double oversubscription);
// The fewest tiers (up to 5) of `switch_asic` whose Clos reaches the NICs of `systems` x `system`
// (1 for a system without NICs).
int clos_tiers(const SystemSpec& system, const SwitchAsic& switch_asic, std::int64_t systems, double oversubscription);

// How a job of `chips` chips sits on systems of `system.chip_count`: as many whole systems as it
// fills; else, when some count k that divides the job fills at least half a system, k chips of each of
// chips / k systems (1,024 on 72-chip NVL72 racks: 64 of each of 16, as clusters leave spares); else
// it cannot be placed. A torus system is used whole (part of it is not a torus).
struct Placement {
  std::int64_t systems = 0;
  std::int64_t chips_per_system = 0;
  std::string why;  // empty for whole systems; else "1,024 is not a multiple of 72: 64 of each 72-chip system"
  bool ok() const { return systems > 0; }
};
Placement place_job(const SystemSpec& system, std::int64_t chips);

// `system` with only `chips_used` of its chips (<= chip_count) in use: its scale-up domain, and its NICs
// in proportion (NICs serve their chips), shrink with it; power and price stay those of the whole.
SystemSpec part_of_system(const SystemSpec& system, std::int64_t chips_used);

// One torus slice of `systems` blocks of a torus system whose scale_up.max_slice_chips allows it
// (TPU v4 / v5p: 4x4x4 cubes joined by optical circuit switches into one 3D torus, wraparound links
// included). Each dimension is a whole number of the block's; of the shapes that hold the chips, the
// one with the shortest longest dimension (then the smallest sum), written in ascending order: 2 cubes
// are 4x4x8, 16 are 8x8x16. Chips, NICs, power and price scale with the blocks. Errors: a system that
// is not such a block, or more chips than its largest slice.
Expected<SystemSpec> torus_slice(const SystemSpec& system, std::int64_t systems);

struct ClusterSpec final : SpecObject {
  std::string name;
  std::string description;
  std::string system;
  std::int64_t system_count = 1;
  ClusterFabric scale_out;
  Sources sources;
  void describe(SpecVisitor& v) override;
};

// ---------------------------------------------------------------------------------------- datacenter

struct DatacenterSpec final : SpecObject {
  std::string name;
  std::string description;
  double critical_power_mw = 0;
  double pue = 1;
  double electricity_usd_per_kwh = 0;
  double facility_capex_usd_per_mw = 0;
  double facility_depreciation_years = 0;
  double hardware_depreciation_years = 0;
  std::optional<double> annual_opex_fraction;  // maintenance etc., fraction of hardware capex per year
  std::optional<double> rack_power_kw;          // IT power one rack can be fed and cooled with
  // The scale-out fabric, priced per Gb/s of endpoint bandwidth: switch ports and optical modules of a
  // folded Clos with `fabric_tiers` tiers (2t - 1 switch ports and 2t optics per endpoint).
  std::optional<double> switch_usd_per_gbps;
  std::optional<double> optics_usd_per_gbps;
  std::int64_t fabric_tiers = 2;
  Sources sources;
  void describe(SpecVisitor& v) override;
};

// ------------------------------------------------------------------------------------------- process

// What building chips on one foundry process costs: wafers, defects, NRE, and the advanced packaging
// (HBM, interposer, test) its AI products use. Named as chips' process_node names it.
struct ProcessPackaging final : SpecObject {
  double hbm_usd_per_gib = 0;
  double package_usd = 0;                // interposer and assembly of a one-die package
  double package_usd_per_extra_die = 0;  // each further compute die on the interposer
  double test_assembly_usd = 0;          // final test, burn-in and assembly per package
  void describe(SpecVisitor& v) override;
};

// What the blocks of a chip take on this node, for the area model (econ/area.h). The per-block
// figures are anchored on published floorplans at N7 and scaled to other nodes by logic density
// (MAC arrays, vector lanes, core control) or SRAM bit-cell area; analog I/O does not scale.
struct ProcessArea final : SpecObject {
  double bf16_mac_um2 = 0;           // one bf16 MAC of a matrix array, with the array's own overhead
  double sram_bitcell_um2 = 0;       // high-density 6T bit cell
  double sram_array_efficiency = 0;  // bit cells over macro area (periphery, redundancy, control)
  double core_control_mm2 = 0;       // per core: instruction issue, register files, load/store
  double uncore_fraction = 0;        // of the die: NoC, crossbars, clocking, DFT, white space
  double hbm_phy_mm2 = 0;            // one HBM stack's controller and PHY strip
  double serdes_lane_mm2 = 0;        // one chip-to-chip SerDes lane, transmit and receive
  void describe(SpecVisitor& v) override;
};

// Energy of the work a chip does on this node, for the power model (econ/power.h).
struct ProcessEnergy final : SpecObject {
  std::map<std::string, double> mac_pj;  // by dtype: one multiply-accumulate
  double sram_pj_per_bit = 0;            // an on-chip SRAM access plus the wire to the array
  double hbm_pj_per_bit = 0;             // HBM attached to this node's products
  double link_pj_per_bit = 0;            // off-package chip-to-chip SerDes
  double static_fraction = 0;            // leakage and idle clocking, as a fraction of TDP
  void describe(SpecVisitor& v) override;
};

struct ProcessSpec final : SpecObject {
  std::string name;
  std::string description;
  double wafer_diameter_mm = 300;
  double edge_exclusion_mm = 3;
  double scribe_mm = 0.1;  // saw street between dies
  double reticle_mm2 = 858;
  double wafer_cost_usd = 0;
  double defect_density_per_cm2 = 0;
  double yield_clustering = 2;  // negative-binomial alpha (1: Seeds; large: Poisson)
  double mask_set_usd = 0;
  double design_cost_usd = 0;  // design, verification, IP and software of a new chip
  double partner_margin = 0;   // gross margin of the ASIC design partner on what it sells (fraction of its price)
  ProcessPackaging packaging;
  bool has_area = false;
  ProcessArea area;
  bool has_energy = false;
  ProcessEnergy energy;
  Sources sources;
  void describe(SpecVisitor& v) override;
};

// ------------------------------------------------------------------------------------------ workload

// A serving target: the model, the request shape, and the slowest time per output token a user accepts.
struct ServeTarget final : SpecObject {
  std::string model;
  std::int64_t prompt = 2048;
  std::int64_t gen = 256;
  double tpot_ms_max = 50;
  std::string dtype = "bf16";
  void describe(SpecVisitor& v) override;
};

// A training run: the model, the tokens it sees, its batch, and the machine size it runs at.
struct TrainTarget final : SpecObject {
  std::string model;
  double tokens = 0;
  std::int64_t seq = 2048;
  std::int64_t global_batch = 1;  // sequences per optimizer step
  std::int64_t chips = 1;
  std::string dtype = "bf16";
  std::string fabric;  // the scale-out switch joining the systems
  void describe(SpecVisitor& v) override;
};

// What a system is compared on (`xpusim compare`): a serving target or a training run.
struct WorkloadSpec final : SpecObject {
  std::string name;
  std::string description;
  bool has_serve = false;
  ServeTarget serve;
  bool has_train = false;
  TrainTarget train;
  Sources sources;
  void describe(SpecVisitor& v) override;
};

// --------------------------------------------------------------------------------------------- model

struct MoeConfig final : SpecObject {
  std::int64_t experts = 1;
  std::int64_t top_k = 1;
  std::int64_t shared_experts = 0;
  std::int64_t expert_ffn_hidden = 1;
  std::int64_t dense_layers = 0;                 // the first N layers keep a dense FFN
  std::optional<std::int64_t> dense_ffn_hidden;  // FFN width of those dense layers; default ffn_hidden
  double capacity_factor = 1;
  void describe(SpecVisitor& v) override;
};

// Multi-head latent attention (DeepSeek-V2/V3): low-rank compressed queries and keys/values.
struct MlaConfig final : SpecObject {
  std::int64_t q_lora_rank = 0;  // 0: queries are not compressed
  std::int64_t kv_lora_rank = 1;
  std::int64_t qk_nope_head_dim = 1;
  std::int64_t qk_rope_head_dim = 1;
  std::int64_t v_head_dim = 1;
  void describe(SpecVisitor& v) override;
};

struct ModelSpec final : SpecObject {
  std::string name;
  std::string family;
  std::string description;
  std::int64_t layers = 1;
  std::int64_t hidden = 1;
  std::int64_t heads = 1;
  std::optional<std::int64_t> kv_heads;  // default: heads (multi-head attention)
  std::optional<std::int64_t> head_dim;  // default: hidden / heads
  std::int64_t ffn_hidden = 1;
  std::int64_t vocab = 1;
  std::int64_t max_seq_len = 1;
  std::string activation = "gelu";
  std::string norm = "layernorm";
  std::string positional = "learned";
  bool tied_embeddings = false;
  bool linear_bias = false;
  bool has_moe = false;
  MoeConfig moe;
  bool has_mla = false;
  MlaConfig mla;
  std::optional<double> params_b;         // published total parameters, billions
  std::optional<double> active_params_b;  // published parameters active per token (MoE)
  Sources sources;
  void describe(SpecVisitor& v) override;

  std::int64_t kv_head_count() const { return kv_heads.value_or(heads); }
  std::int64_t head_size() const { return head_dim.value_or(heads > 0 ? hidden / heads : 0); }
};

struct ParameterCount {
  double total = 0;
  double active_per_token = 0;
};
// Weights counted from the architecture: embeddings, attention, FFN or experts, norms, biases.
ParameterCount count_parameters(const ModelSpec& model);
// The routed experts' weights alone (0 for a dense model): what expert parallelism shards.
double routed_expert_parameters(const ModelSpec& model);

// -------------------------------------------------------------------------------------------- any

enum class Kind { chip, system, network, cluster, datacenter, model, process, workload };
inline constexpr std::string_view kKindNames[] = {"chip",  "system",  "network", "cluster", "datacenter",
                                                  "model", "process", "workload"};
std::string_view kind_name(Kind kind);
std::optional<Kind> parse_kind(std::string_view text);

using AnySpec =
    std::variant<ChipSpec, SystemSpec, NetworkSpec, ClusterSpec, DatacenterSpec, ModelSpec, ProcessSpec, WorkloadSpec>;
Kind kind_of(const AnySpec& spec);
const std::string& name_of(const AnySpec& spec);
const std::string& description_of(const AnySpec& spec);
SpecObject& object_of(AnySpec& spec);
AnySpec make_spec(Kind kind);

}  // namespace xpusim::spec
