#include "perfsim/hbm.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace xpusim::perfsim {

std::optional<HbmPreset> hbm_preset(std::string_view generation) {
  // Sources in docs/perfsim.md §HBM presets. Array timings (tRCD, tRP, tRAS) are DRAM-core delays in
  // nanoseconds, which HBM generations have not shortened; the data rate comes from the chip spec.
  HbmPreset p;
  if (generation == "hbm2e" || generation == "hbm2") {
    p.generation = "hbm2e";
    p.default_channels_per_stack = 8;  // JESD235: 8 x 128-bit channels, 2 x 64-bit pseudo-channels
    p.burst_bytes = 32;                // 64 bits x BL4
    p.trfc_ns = 260;                   // DRAMsim3 HBM2_8Gb_x128
    return p;
  }
  if (generation == "hbm3" || generation == "hbm3e") {
    p.generation = generation == "hbm3" ? "hbm3" : "hbm3e";
    p.default_channels_per_stack = 16;  // JESD238: 16 x 64-bit channels, 2 x 32-bit pseudo-channels
    p.burst_bytes = 32;                 // 32 bits x BL8
    p.trfc_ns = 350;                    // Ramulator 2's HBM3 tRFC table, 8 Gb
    return p;
  }
  return std::nullopt;
}

std::string_view hbm_generations() {
  return "hbm2, hbm2e, hbm3, hbm3e";
}

Hbm::Hbm(const HbmPreset& preset, const spec::ChipSpec& chip, bool refresh) : refresh_(refresh) {
  const double clock_ghz = chip.clock_mhz / 1000;
  const std::int64_t channels = chip.hbm.channels_per_stack.value_or(preset.default_channels_per_stack);
  const std::size_t count = static_cast<std::size_t>(
      std::max<std::int64_t>(1, chip.hbm.stacks * channels * preset.pseudo_channels_per_channel));
  const double peak_bytes_per_cycle = chip.hbm.bandwidth_tb_s * 1e12 / (chip.clock_mhz * 1e6);
  pc_bytes_per_cycle_ = peak_bytes_per_cycle / static_cast<double>(count);
  burst_bytes_ = preset.burst_bytes;
  burst_cycles_ = preset.burst_bytes / pc_bytes_per_cycle_;
  ccd_l_cycles_ = burst_cycles_ * preset.ccd_l_over_s;
  trcd_ = preset.trcd_ns * clock_ghz;
  trp_ = preset.trp_ns * clock_ghz;
  tras_ = preset.tras_ns * clock_ghz;
  trefi_ = preset.trefi_ns * clock_ghz;
  trfc_ = preset.trfc_ns * clock_ghz;
  per_trefi_ = 1 / trefi_;
  per_burst_bytes_ = 1 / burst_bytes_;
  per_pc_bytes_per_cycle_ = 1 / pc_bytes_per_cycle_;
  if ((count & (count - 1)) == 0) {
    pc_mask_ = count - 1;
    pc_shift_ = std::countr_zero(count);
  }
  pcs_.resize(count);
  banks_.resize(count * kHbmBankGroups * kHbmBanksPerGroup);
  for (std::size_t i = 0; i < count; ++i) {
    // Staggered so that the channels do not all refresh at once: channel i's refreshes start at
    // tRFC + i / count x tREFI (mod tREFI), so the first channels are not refreshing at time 0.
    pcs_[i].offset = trfc_ + trefi_ * static_cast<double>(i) / static_cast<double>(count);
  }
}

double Hbm::phase(const PseudoChannel& pc, double t) const {
  const double since = t - pc.offset;
  return since - std::floor(since * per_trefi_) * trefi_;
}

namespace {

// The XOR of `value`'s groups of `bits` bits (4 or 8): folds high address bits onto low ones, by
// halving the width log2(64 / bits) times instead of a loop over the groups.
std::uint64_t fold(std::uint64_t value, int bits) {
  value ^= value >> 32;
  value ^= value >> 16;
  value ^= value >> 8;
  if (bits == 4) value ^= value >> 4;
  return value & ((std::uint64_t{1} << bits) - 1);
}

}  // namespace

double Hbm::access(std::uint64_t address, double bytes, double arrival) {
  // Address mapping: consecutive kHbmChunkBytes units go to consecutive pseudo-channels, rotated per
  // block of units by a hash of the block; successive blocks alternate bank groups, and the bank
  // within the group is the block's next bits XOR a fold of its row (permutation-based interleaving),
  // so that streams a power of two apart do not all land on one channel's one bank.
  const std::uint64_t unit = address / kHbmChunkBytes;
  const std::uint64_t n = pcs_.size();
  const std::uint64_t local = pc_mask_ ? unit >> pc_shift_ : unit / n;
  const std::uint64_t rotated = unit + fold(local, 8) * 37;
  const std::uint64_t pc_index = pc_mask_ ? rotated & pc_mask_ : rotated % n;
  PseudoChannel& pc = pcs_[pc_index];
  constexpr std::uint64_t groups = kHbmBankGroups, per_group = kHbmBanksPerGroup, banks = groups * per_group;
  const auto row = static_cast<std::int64_t>(local / banks);
  const std::uint64_t group = local % groups;  // successive visits to a channel alternate bank groups
  const std::uint64_t bank_index =
      group * per_group + ((local / groups) ^ fold(static_cast<std::uint64_t>(row), 4)) % per_group;
  Bank& bank = banks_[pc_index * banks + bank_index];

  double t = std::max(arrival, bank.ready);
  std::int64_t epoch = -1;
  if (refresh_) {
    // The refresh interval `t` falls in, and the end of its refresh when `t` is inside it.
    const double intervals = std::floor((t - pc.offset) * per_trefi_);
    const double phase = t - pc.offset - intervals * trefi_;
    if (phase < trfc_) t += trfc_ - phase;
    epoch = static_cast<std::int64_t>(intervals);
  }
  if (epoch != bank.epoch) {
    bank.open_row = -1;  // refresh precharged every bank
    bank.epoch = epoch;
  }
  double data_ready = t;
  if (bank.open_row != row) {
    double activate = t;
    if (bank.open_row >= 0) activate = std::max(t, bank.activated + tras_) + trp_;
    bank.activated = activate;
    bank.open_row = row;
    data_ready = activate + trcd_;
  }
  if (bytes != last_bytes_) {  // most chunks are a whole kHbmChunkBytes: computed once for them
    const double bursts = std::ceil(bytes * per_burst_bytes_);
    last_bytes_ = bytes;
    last_occupancy_ = (bursts - 1) * ccd_l_cycles_ + burst_cycles_;
    last_transfer_ = bytes * per_pc_bytes_per_cycle_;
  }
  const double occupancy = last_occupancy_, transfer = last_transfer_;
  double bus_start = std::max(data_ready, pc.bus_free);
  double bus_end = bus_start + transfer, done = bus_start + occupancy;
  if (refresh_) {
    // Wait out a refresh the transfer would start in; pause for one it would run into.
    double phase = this->phase(pc, bus_start);
    if (phase < trfc_) bus_start += trfc_ - phase, phase = trfc_;
    bus_end = bus_start + transfer + (phase + transfer > trefi_ ? trfc_ : 0);
    done = bus_start + occupancy + (phase + occupancy > trefi_ ? trfc_ : 0);
  }
  pc.bus_free = bus_end;
  // One bank group issues a column access every tCCD_L, so a chunk's bursts take twice its bus time;
  // the controller interleaves other groups' bursts between them, so the bus stays busy.
  done = std::max(bus_end, done);
  bank.ready = done;
  return done;
}

}  // namespace xpusim::perfsim
