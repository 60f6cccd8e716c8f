// HBM as perfsim sees it (docs/perfsim.md §HBM): pseudo-channels, each with bank groups and banks that
// keep one row open (open-page policy), a data bus whose rate makes the chip's peak equal the spec's
// bandwidth_tb_s, and all-bank refresh every tREFI for tRFC, staggered over the pseudo-channels.
// Timing parameters come from a preset per HBM generation, in nanoseconds, with their sources.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "spec/specs.h"

namespace xpusim::perfsim {

// One HBM generation's organisation and timing (nanoseconds), docs/perfsim.md cites each.
struct HbmPreset {
  std::string_view generation;
  int pseudo_channels_per_channel = 2;
  int default_channels_per_stack = 16;
  double burst_bytes = 32;  // one column access of a pseudo-channel
  double ccd_l_over_s = 2;  // tCCD_L / tCCD_S: the column rate inside one bank group, relative to the bus
  double trcd_ns = 14, trp_ns = 14, tras_ns = 34;
  double trefi_ns = 3900, trfc_ns = 260;
};

// The preset of "hbm2e", "hbm3" or "hbm3e" (also "hbm2", read as hbm2e); nullopt for others.
std::optional<HbmPreset> hbm_preset(std::string_view generation);
// The generations hbm_preset knows, for error messages.
std::string_view hbm_generations();

// Every preset's organisation: 4 bank groups of 4 banks per pseudo-channel (JESD235 pseudo-channel
// mode, JESD238), fixed so that the address arithmetic is shifts and masks.
inline constexpr std::uint64_t kHbmBankGroups = 4, kHbmBanksPerGroup = 4;

// Bytes one request covers at most: a row-buffer visit, the unit of interleaving over pseudo-channels.
inline constexpr std::uint64_t kHbmChunkBytes = 1024;

class Hbm {
 public:
  // `clock_ghz`: the chip clock, the unit of every time here (cycles, fractional).
  Hbm(const HbmPreset& preset, const spec::ChipSpec& chip, bool refresh);

  // When `bytes` (inside one kHbmChunkBytes-aligned unit) at `address` are transferred, for a request
  // arriving at `arrival` cycles. Reservations are first come, first served.
  double access(std::uint64_t address, double bytes, double arrival);

  double peak_bytes_per_cycle() const { return pc_bytes_per_cycle_ * static_cast<double>(pcs_.size()); }
  std::size_t pseudo_channels() const { return pcs_.size(); }
  double refresh_share() const { return refresh_ ? trfc_ / trefi_ : 0; }

 private:
  struct Bank {
    std::int64_t open_row = -1;
    std::int64_t epoch = -1;  // refresh interval of the last access (a refresh closes every row)
    double ready = 0, activated = -1e30;
  };
  struct PseudoChannel {
    double bus_free = 0;
    double offset = 0;  // start of its refresh schedule
  };
  // Cycles since the start of the latest refresh interval at `t`.
  double phase(const PseudoChannel& pc, double t) const;

  std::vector<PseudoChannel> pcs_;
  std::vector<Bank> banks_;  // pseudo-channel i's banks at [i x banks per channel, (i + 1) x banks per channel)
  std::uint64_t pc_mask_ = 0;  // count - 1 when the pseudo-channels are a power of two, else 0
  int pc_shift_ = 0;
  double pc_bytes_per_cycle_ = 1, burst_bytes_ = 32, burst_cycles_ = 1, ccd_l_cycles_ = 2;
  double trcd_ = 0, trp_ = 0, tras_ = 0, trefi_ = 1, per_trefi_ = 1, trfc_ = 0;
  double per_burst_bytes_ = 1.0 / 32, per_pc_bytes_per_cycle_ = 1;
  bool refresh_ = true;
  double last_bytes_ = -1, last_occupancy_ = 0, last_transfer_ = 0;  // the latest chunk size's times
};

}  // namespace xpusim::perfsim
