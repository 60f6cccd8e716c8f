// The event loop and the engines of perfsim (docs/perfsim.md): per core a front end dispatching in
// order into per-engine queues, two DMA engines that split copies into HBM-row-sized chunks, four
// matrix units with two weight slots each, a vector unit; VMEM banks per core; CMEM banks, the per-core
// network ports and HBM (hbm.h) shared by all cores.
#include "perfsim/simulator.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <deque>
#include <functional>
#include <optional>
#include <queue>

#include "perfsim/hbm.h"
#include "support/assert.h"

namespace xpusim::perfsim {
namespace {

using isa::Engine;
using isa::Instruction;
using isa::Opcode;
using isa::Space;

constexpr int kEngines = isa::kTokenEngines;
constexpr std::size_t kQueueDepth = 64;        // instructions waiting per engine (docs/perfsim.md)
constexpr double kDispatchCycles = 1;          // the front end dispatches one instruction a cycle
constexpr double kConfigCycles = 1;            // dma.size, dma.sstride, dma.dstride
constexpr double kNocLatencyCycles = 20;       // one way, core to memory controller or core to core
constexpr std::size_t kDmaOutstanding = 2048;  // chunks in flight per DMA engine (2 MiB)
constexpr double kVpuLatencyCycles = 8;        // the vector unit's pipeline depth
constexpr int kMaxTokens = 255;
constexpr double kCounterWindowCycles = 1024;  // HBM bandwidth counter resolution in the trace
// DMA chunks one run may simulate (about 15 s of work): copying all of xpu-1's 288 GiB is 2^28.2
// chunks; a copy of many tiny rows over stride-0 dimensions could ask for 2^40.
constexpr std::uint64_t kMaxChunks = std::uint64_t{1} << 30;

bool is_mxu(Engine e) {
  return e >= Engine::mxu0 && e <= Engine::mxu3;
}
bool is_dma(Engine e) {
  return e == Engine::dma0 || e == Engine::dma1;
}

// Lane-cycles per element of each vector operation (docs/perfsim.md §Vector unit).
double vpu_cost(Opcode op) {
  switch (op) {
    case Opcode::vexp:
    case Opcode::vrsqrt:
    case Opcode::vrecip:
      return 4;
    case Opcode::vsilu:
      return 6;
    case Opcode::vgelu:
      return 8;
    case Opcode::vquant:
    case Opcode::vdequant:
      return 2;
    default:
      return 1;
  }
}

// The first address past base + sum (count_i - 1) * stride_i + tail, or nullopt past 64 bits.
std::optional<std::uint64_t> span_end(std::uint64_t base,
                                      std::initializer_list<std::pair<std::uint64_t, std::uint64_t>> dims,
                                      std::uint64_t tail) {
  std::uint64_t end = base;
  for (const auto& [count, stride] : dims) {
    std::uint64_t step = 0;
    if (count == 0 || __builtin_mul_overflow(count - 1, stride, &step) || __builtin_add_overflow(end, step, &end))
      return std::nullopt;
  }
  if (__builtin_add_overflow(end, tail, &end)) return std::nullopt;
  return end;
}

// A resource that serves one transfer at a time at a fixed rate: returns when `duration` ends.
double serve(double& free_at, double ready, double duration) {
  const double start = std::max(free_at, ready);
  free_at = start + duration;
  return free_at;
}

// 4-ary min-heaps in a vector under `before`, a strict order: half the depth of std::push_heap's
// binary heap, the first of four children chosen with conditional moves rather than branches. Used for
// the event queue and for a DMA engine's chunks in flight (their completion times).
namespace quad_heap {

template <class T, class Before>
std::size_t min_child(const std::vector<T>& h, std::size_t first, std::size_t n, Before before) {
  if (first + 4 <= n) {
    const std::size_t a = first + static_cast<std::size_t>(before(h[first + 1], h[first]));
    const std::size_t b = first + 2 + static_cast<std::size_t>(before(h[first + 3], h[first + 2]));
    return before(h[b], h[a]) ? b : a;
  }
  std::size_t best = first;
  for (std::size_t c = first + 1; c < n; ++c)
    if (before(h[c], h[best])) best = c;
  return best;
}

// Moves `value` down from `i` to its place.
template <class T, class Before>
void sift_down(std::vector<T>& h, std::size_t i, T value, Before before) {
  const std::size_t n = h.size();
  for (std::size_t first = 4 * i + 1; first < n; first = 4 * i + 1) {
    const std::size_t best = min_child(h, first, n, before);
    if (!before(h[best], value)) break;
    h[i] = h[best];
    i = best;
  }
  h[i] = value;
}

template <class T, class Before>
void push(std::vector<T>& h, T value, Before before) {
  std::size_t i = h.size();
  h.push_back(value);
  while (i > 0) {
    const std::size_t parent = (i - 1) / 4;
    if (!before(value, h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = value;
}

template <class T, class Before>
void pop(std::vector<T>& h, Before before) {
  const T last = h.back();
  h.pop_back();
  if (!h.empty()) sift_down(h, 0, last, before);
}

template <class T, class Before>
void make(std::vector<T>& h, Before before) {
  if (h.size() < 2) return;
  for (std::size_t i = (h.size() - 2) / 4 + 1; i-- > 0;) sift_down(h, i, h[i], before);
}

}  // namespace quad_heap

// Completion times: which of two equal times pops first does not matter (only the smallest time and
// the count are read).
constexpr auto kEarlier = [](double x, double y) { return x < y; };

// Stall reasons, in EngineStats::stall_cycles's names.
enum Stall : std::uint8_t { kToken, kBankConflict, kHbm, kBarrier, kDispatch, kStallCount };
constexpr std::array<std::string_view, kStallCount> kStallNames = {"token", "bank_conflict", "hbm", "barrier",
                                                                   "dispatch"};

// Fields the simulator reads, by name; fv() finds them through a table built once from isa's opcode
// table, instead of comparing names on every read.
enum class F : std::uint8_t {
  a,
  b,
  bcast,
  cols,
  core,
  dst,
  dtype,
  esize,
  from,
  id,
  k,
  len,
  m,
  n,
  n0,
  n1,
  n2,
  rows,
  s1,
  s2,
  scale,
  scope,
  slot,
  src,
  stride,
  to,
  transpose,
  count
};
constexpr std::array<std::string_view, static_cast<std::size_t>(F::count)> kFieldNames = {
    "a",  "b",  "bcast", "cols", "core", "dst", "dtype", "esize", "from", "id",  "k",      "len", "m",        "n",
    "n0", "n1", "n2",    "rows", "s1",   "s2",  "scale", "scope", "slot", "src", "stride", "to",  "transpose"};

using FieldTable = std::array<std::array<std::int8_t, static_cast<std::size_t>(F::count)>, 256>;

// Built at static initialisation (isa's opcode table is constant-initialised), so that fv() reads it
// without a guard or a call.
const FieldTable kFieldTable = [] {
  FieldTable t;
  for (auto& row : t) row.fill(-1);
  for (const isa::OpcodeInfo& op : isa::opcodes())
    for (std::size_t i = 0; i < op.fields.size(); ++i)
      for (std::size_t f = 0; f < kFieldNames.size(); ++f)
        if (op.fields[i].name == kFieldNames[f]) t[static_cast<std::size_t>(op.opcode)][f] = static_cast<std::int8_t>(i);
  return t;
}();

// The value of field `f` of `ins` (asserted to exist).
std::uint64_t fv(const Instruction& ins, F f) {
  const std::int8_t i = kFieldTable[static_cast<std::size_t>(ins.opcode)][static_cast<std::size_t>(f)];
  XPUSIM_ASSERT(i >= 0, "perfsim reads a field its opcode lacks");
  return ins.fields[static_cast<std::size_t>(i)];
}

struct Queued {
  std::uint32_t index;
  double arrival;
};

struct InFlight {
  std::uint32_t index;
  double start, end;
  std::uint64_t banks;
  double per_bank;  // bytes per cycle on each of its banks
};

struct Slot {
  bool loaded = false;
  double ready = 0;         // its ldw has finished
  double readers_done = 0;  // the last mm reading it has finished
  std::uint64_t k = 0, n = 0;
  isa::DType dtype = isa::DType::bf16;
};

struct DmaConfig {
  std::uint64_t n0 = 1, n1 = 1, n2 = 1, esize = 1, ss1 = 0, ss2 = 0, ds1 = 0, ds2 = 0;
  bool transpose = false;
};

struct DmaCopy {
  std::uint32_t index = 0;
  double start = 0, last_done = 0;
  Space src_space = Space::hbm, dst_space = Space::vmem;
  std::uint64_t src = 0, dst = 0;
  std::uint32_t remote = 0;  // core slot of an rvmem side
  DmaConfig shape;
  std::uint64_t i1 = 0, i2 = 0, offset = 0;  // the next chunk
  bool issued_all = false;
  std::vector<double> flying;  // completion times of the chunks in flight, a min-heap
  double max_done = 0;         // the latest of them
  double vmem_free = 0, vmem_bytes_per_cycle = 1;
  // A chunk's times on the port, its VMEM side and a CMEM bank, kept for the next chunk of the same
  // size (most of a copy's chunks are 1 KiB): the same quotients, without a division per chunk.
  double chunk_bytes = -1, port_cycles = 0, vmem_cycles = 0, cmem_cycles = 0;
  double bytes = 0, ideal_cycles = 0;
  bool touches_hbm = false;
  std::uint64_t banks = 0;
  double per_bank = 0;
};

struct EngineState {
  std::deque<Queued> queue;
  std::vector<InFlight> flying;
  double free_at = 0;    // DMA, VPU: when the running instruction ends
  double last_done = 0;  // the latest completion
  double last_start = 0;
  double token_wait_from = -1;
  double wake_at = 1e300;  // the pending wake-up event (earlier ones supersede later ones)
  // Matrix unit.
  double ldw_free = 0, stream_free = 0, mm_done = 0, st_free = 0;
  std::array<Slot, 2> slots;
  // DMA engine.
  DmaConfig config;
  bool copying = false;
  DmaCopy copy;
  // Busy time as a union of intervals.
  int active = 0;
  double active_since = 0;
  double busy = 0;
  std::array<double, kStallCount> stalls{};
  EngineStats stats;
  bool used = false;
};

enum class FrontEnd : std::uint8_t { running, queue_full, core_barrier, chip_barrier, halted };

struct CoreState {
  std::uint32_t id = 0;
  const std::vector<Instruction>* code = nullptr;
  std::size_t pc = 0;
  double fe_time = 0;
  FrontEnd fe = FrontEnd::running;
  Engine blocked_on = Engine::ctl;
  double blocked_since = 0;
  double barrier_from = -1, barrier_to = -1;  // the latest barrier wait
  std::uint64_t chip_barrier_id = 0;
  std::array<EngineState, kEngines> engines;
  std::array<std::array<int, kEngines>, kEngines> tokens{};
  std::array<std::array<std::uint32_t, kEngines>, kEngines> last_signal{};
  std::vector<double> bank_load;  // bytes per cycle demanded of each VMEM bank now, besides...
  double uniform_load = 0;        // ... what accesses to every bank demand of each
  double max_load = 0;            // the largest of bank_load, when not stale
  bool max_stale = false;
  double port_in_free = 0, port_out_free = 0;
  bool done = false;
};

enum class EventKind : std::uint8_t { front_end, engine, finish };

struct Event {  // 24 bytes: the event heap moves fewer cache lines
  double time;
  std::uint64_t seq;
  std::uint32_t index;
  std::uint16_t core;  // a slot of cores_ (isa::kMaxCores = 256)
  EventKind kind;
  std::uint8_t engine;
  bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

// The pending events, earliest (time, then sequence number) first, in a 4-ary heap. The order is the
// same as any priority queue's on (time, seq), a total order, so results do not depend on the structure.
class EventQueue {
 public:
  bool empty() const { return heap_.empty(); }
  const Event& top() const { return heap_.front(); }
  void push(const Event& ev) { quad_heap::push(heap_, ev, before); }
  void pop() { quad_heap::pop(heap_, before); }

 private:
  // Without short-circuits, so that the compiler can use conditional moves.
  static bool before(const Event& a, const Event& b) {
    return (a.time < b.time) | ((a.time == b.time) & (a.seq < b.seq));
  }
  std::vector<Event> heap_;
};

std::string dtype_key(isa::DType d) {
  switch (d) {
    case isa::DType::int8:
      return "int8";
    case isa::DType::fp8_e4m3:
    case isa::DType::fp8_e5m2:
      return "fp8";
    case isa::DType::bf16:
      return "bf16";
    case isa::DType::fp16:
      return "fp16";
    case isa::DType::fp32:
      return "fp32";
    case isa::DType::int32:
      return "int32";
  }
  return "bf16";
}

class Simulator {
 public:
  Simulator(const isa::Program& program, const spec::ChipSpec& chip, const SimOptions& options, const HbmPreset& preset)
      : program_(program), chip_(chip), options_(options), hbm_(preset, chip, options.hbm_refresh) {}

  Expected<SimResult> run(const spec::ProcessSpec* process);

 private:
  // Setup and checks.
  bool setup();
  bool fail(const CoreState& core, std::size_t index, const std::string& reason);
  std::string where(const CoreState& core, std::size_t index) const;
  bool check_vmem(const CoreState& core, std::size_t index, std::uint64_t base,
                  std::initializer_list<std::pair<std::uint64_t, std::uint64_t>> dims, std::uint64_t tail,
                  std::string_view what);
  bool check_space(const CoreState& core, std::size_t index, Space space, std::uint64_t base, const DmaConfig& c,
                   bool destination, std::uint32_t remote);

  void schedule(double time, std::uint32_t core, EventKind kind, Engine engine = Engine::ctl, std::uint32_t index = 0);
  void run_front_end(CoreState& core);
  bool drained(const CoreState& core) const;
  void check_chip_barrier();
  void check_core_done(CoreState& core);
  void advance(CoreState& core, Engine e);
  double resource_ready(const CoreState& core, Engine e, const Instruction& ins) const;
  void start(CoreState& core, Engine e, std::uint32_t index);
  double bank_ratio(CoreState& core, std::uint64_t banks, double per_bank) const;
  void add_load(CoreState& core, std::uint64_t banks, double per_bank) const;
  std::uint64_t banks_touched(std::uint64_t base, std::uint64_t rows, std::uint64_t stride,
                              std::uint64_t row_bytes) const;
  void begin(CoreState& core, Engine e, std::uint32_t index, double start, double end, std::uint64_t banks,
             double demand_bytes_per_cycle);
  void finish(CoreState& core, Engine e, std::uint32_t index);
  void start_copy(CoreState& core, Engine e, std::uint32_t index);
  void dma_progress(CoreState& core, Engine e);
  double issue_chunk(CoreState& core, DmaCopy& copy, std::uint64_t src, std::uint64_t dst, double bytes);
  double serve_side(DmaCopy& copy, Space space, std::uint64_t address, double t, double bytes, bool write);
  void note_hbm(double when, double bytes, bool write);
  void account_idle(CoreState& core, EngineState& engine, double arrival);

  const isa::Program& program_;
  const spec::ChipSpec& chip_;
  const SimOptions& options_;
  Hbm hbm_;
  std::vector<CoreState> cores_;
  std::array<int, isa::kMaxCores> slot_of_core_{};
  EventQueue events_;
  std::uint64_t seq_ = 0;
  double now_ = 0;
  std::optional<std::string> error_;
  std::uint64_t chunks_ = 0;
  SimResult result_;
  std::map<isa::DType, double> macs_by_dtype_;
  double vpu_flops_ = 0;
  std::vector<double> counter_read_, counter_write_;
  // Chip parameters in cycles and bytes.
  std::uint64_t vmem_bytes_ = 0, cmem_capacity_ = 0, hbm_capacity_ = 0;
  double vmem_bytes_per_cycle_ = 1, bank_bytes_per_cycle_ = 1, bank_interleave_ = 128;
  int banks_ = 1;
  std::uint64_t all_banks_ = 1;
  std::vector<double> cmem_free_;
  double cmem_bank_bytes_per_cycle_ = 1;
  double port_bytes_per_cycle_ = 1;
  double tile_macs_ = 1;
  int mxu_units_ = 4;
};

std::string Simulator::where(const CoreState& core, std::size_t index) const {
  std::string text = "core " + std::to_string(core.id) + ", instruction " + std::to_string(index);
  if (index < core.code->size()) text += " (" + std::string(isa::info((*core.code)[index].opcode).mnemonic) + ")";
  return text;
}

bool Simulator::fail(const CoreState& core, std::size_t index, const std::string& reason) {
  if (!error_) error_ = where(core, index) + ": " + reason;
  return false;
}

bool Simulator::setup() {
  const auto& mu = chip_.cores.matrix_unit;
  mxu_units_ = static_cast<int>(std::clamp<std::int64_t>(mu.count, 0, 4));
  tile_macs_ = static_cast<double>(std::max<std::int64_t>(1, mu.tile.k * mu.tile.n));
  for (const spec::CoreSram& s : chip_.cores.sram) {
    if (s.level != "vmem") continue;
    vmem_bytes_ = static_cast<std::uint64_t>(s.capacity_kib * 1024);
    vmem_bytes_per_cycle_ = std::max(1.0, s.bandwidth_bytes_per_cycle);
    banks_ = static_cast<int>(std::clamp<std::int64_t>(s.banks.value_or(1), 1, 64));
  }
  bank_bytes_per_cycle_ = vmem_bytes_per_cycle_ / banks_;
  all_banks_ = banks_ >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << banks_) - 1;
  bank_interleave_ = std::max(1.0, bank_bytes_per_cycle_);
  const double clock_hz = chip_.clock_mhz * 1e6;
  double cmem_rate = 0;
  std::int64_t cmem_banks = 1;
  for (const spec::SharedSram& s : chip_.shared_sram) {
    if (s.level != "cmem") continue;
    cmem_capacity_ += static_cast<std::uint64_t>(s.capacity_mib * 1024 * 1024);
    cmem_rate += s.bandwidth_gb_s.value_or(0) * 1e9 / clock_hz;
    cmem_banks = std::max<std::int64_t>(1, s.banks.value_or(1));
  }
  cmem_free_.assign(static_cast<std::size_t>(cmem_banks), 0);
  cmem_bank_bytes_per_cycle_ = std::max(1e-9, cmem_rate / static_cast<double>(cmem_banks));
  hbm_capacity_ = static_cast<std::uint64_t>(chip_.hbm.capacity_gib * 1024 * 1024 * 1024);
  // Each core's port into the network is as wide as HBM: one core alone can stream at the HBM peak.
  port_bytes_per_cycle_ = hbm_.peak_bytes_per_cycle();

  slot_of_core_.fill(-1);
  cores_.resize(program_.cores.size());
  for (std::size_t i = 0; i < program_.cores.size(); ++i) {
    CoreState& c = cores_[i];
    c.id = program_.cores[i].core;
    c.code = &program_.cores[i].code;
    c.bank_load.assign(static_cast<std::size_t>(banks_), 0);
    for (int e = 0; e < kEngines; ++e) {
      c.engines[static_cast<std::size_t>(e)].stats.core = c.id;
      c.engines[static_cast<std::size_t>(e)].stats.engine = static_cast<Engine>(e);
    }
    if (c.id >= chip_.cores.count)
      return fail(c, 0,
                  "the chip " + chip_.name + " has " + std::to_string(chip_.cores.count) + " cores (0-" +
                      std::to_string(chip_.cores.count - 1) + ")");
    slot_of_core_[c.id] = static_cast<int>(i);
    for (std::size_t j = 0; j < c.code->size(); ++j) {
      const Engine e = isa::engine_of((*c.code)[j]);
      if (is_mxu(e) && static_cast<int>(e) - static_cast<int>(Engine::mxu0) >= mxu_units_)
        return fail(c, j, "the chip " + chip_.name + " has " + std::to_string(mxu_units_) + " matrix units per core");
    }
  }
  return true;
}

bool Simulator::check_vmem(const CoreState& core, std::size_t index, std::uint64_t base,
                           std::initializer_list<std::pair<std::uint64_t, std::uint64_t>> dims, std::uint64_t tail,
                           std::string_view what) {
  const std::optional<std::uint64_t> end = span_end(base, dims, tail);
  if (end && *end <= vmem_bytes_) return true;
  return fail(core, index,
              std::string(what) + " at vmem:" + isa::hex_text(base) + " ends past the chip's VMEM of " +
                  std::to_string(vmem_bytes_) + " bytes");
}

bool Simulator::check_space(const CoreState& core, std::size_t index, Space space, std::uint64_t base,
                            const DmaConfig& c, bool destination, std::uint32_t remote) {
  std::optional<std::uint64_t> end;
  if (destination && c.transpose)
    end = span_end(base, {{c.n2, c.ds2}, {c.n0, c.ds1}, {c.n1, c.esize}}, c.esize);
  else if (destination)
    end = span_end(base, {{c.n2, c.ds2}, {c.n1, c.ds1}}, c.n0 * c.esize);
  else
    end = span_end(base, {{c.n2, c.ss2}, {c.n1, c.ss1}}, c.n0 * c.esize);
  std::uint64_t capacity = 0;
  std::string name;
  switch (space) {
    case Space::hbm:
      capacity = hbm_capacity_, name = "HBM";
      break;
    case Space::cmem:
      capacity = cmem_capacity_, name = "CMEM";
      break;
    case Space::vmem:
    case Space::rvmem:
      capacity = vmem_bytes_, name = "VMEM";
      break;
    case Space::konst:
      capacity = program_.constants.size(), name = "constants";
      break;
  }
  if (space == Space::rvmem && (remote >= chip_.cores.count || slot_of_core_[remote] < 0)) {
    return fail(
        core, index,
        remote >= chip_.cores.count
            ? "core " + std::to_string(remote) + " is beyond the chip's " + std::to_string(chip_.cores.count) + " cores"
            : "rvmem names core " + std::to_string(remote) + ", which runs no code in this program");
  }
  if (end && *end <= capacity) return true;
  return fail(core, index,
              std::string(destination ? "destination " : "source ") + std::string(isa::space_name(space)) + ":" +
                  isa::hex_text(base) + " ends past the chip's " + name + " of " + std::to_string(capacity) + " bytes");
}

void Simulator::schedule(double time, std::uint32_t core, EventKind kind, Engine engine, std::uint32_t index) {
  if (kind == EventKind::engine) {
    // One pending wake-up per engine: advance() schedules whatever it needs next when it runs.
    double& pending = cores_[core].engines[static_cast<std::size_t>(engine)].wake_at;
    if (time >= pending) return;
    pending = time;
  }
  events_.push(Event{time, seq_++, index, static_cast<std::uint16_t>(core), kind, static_cast<std::uint8_t>(engine)});
}

bool Simulator::drained(const CoreState& core) const {
  for (const EngineState& e : core.engines)
    if (!e.queue.empty() || !e.flying.empty() || e.copying) return false;
  return true;
}

void Simulator::check_core_done(CoreState& core) {
  if (core.fe == FrontEnd::halted && !core.done && drained(core)) core.done = true;
}

void Simulator::check_chip_barrier() {
  const CoreState* first = nullptr;
  for (const CoreState& c : cores_) {
    if (c.fe != FrontEnd::chip_barrier || !drained(c)) return;
    if (first && first->chip_barrier_id != c.chip_barrier_id) {
      fail(c, c.pc,
           "waits at chip barrier " + std::to_string(c.chip_barrier_id) + " while core " + std::to_string(first->id) +
               " waits at chip barrier " + std::to_string(first->chip_barrier_id));
      return;
    }
    if (!first) first = &c;
  }
  for (std::size_t i = 0; i < cores_.size(); ++i) {
    CoreState& c = cores_[i];
    c.barrier_from = c.blocked_since;
    c.barrier_to = now_;
    c.fe = FrontEnd::running;
    c.fe_time = std::max(c.fe_time, now_) + kDispatchCycles;
    ++c.pc;
    schedule(c.fe_time, static_cast<std::uint32_t>(i), EventKind::front_end);
  }
}

void Simulator::run_front_end(CoreState& core) {
  const auto slot = static_cast<std::uint32_t>(&core - cores_.data());
  if (core.fe == FrontEnd::halted || core.fe == FrontEnd::chip_barrier) return;
  double t = std::max(core.fe_time, now_);
  while (core.pc < core.code->size()) {
    const Instruction& ins = (*core.code)[core.pc];
    if (ins.opcode == Opcode::nop) {
      ++core.pc;
      t += kDispatchCycles;
      continue;
    }
    if (ins.opcode == Opcode::halt) {
      core.fe = FrontEnd::halted;
      core.fe_time = t;
      check_core_done(core);
      return;
    }
    if (ins.opcode == Opcode::barrier) {
      if (core.fe != FrontEnd::core_barrier) core.blocked_since = t;
      if (!drained(core) || t > now_) {
        core.fe = FrontEnd::core_barrier;
        core.fe_time = t;
        if (t > now_ && drained(core)) schedule(t, slot, EventKind::front_end);
        return;
      }
      if (fv(ins, F::scope) == 1) {
        core.fe = FrontEnd::chip_barrier;
        core.chip_barrier_id = fv(ins, F::id);
        core.fe_time = t;
        check_chip_barrier();
        return;
      }
      core.barrier_from = core.blocked_since;
      core.barrier_to = t;
      core.fe = FrontEnd::running;
      ++core.pc;
      t += kDispatchCycles;
      continue;
    }
    const Engine e = isa::engine_of(ins);
    EngineState& engine = core.engines[static_cast<std::size_t>(e)];
    if (engine.queue.size() >= kQueueDepth) {
      core.fe = FrontEnd::queue_full;
      core.blocked_on = e;
      core.fe_time = t;
      return;
    }
    core.fe = FrontEnd::running;
    const bool was_empty = engine.queue.empty();
    engine.queue.push_back({static_cast<std::uint32_t>(core.pc), t});
    engine.used = true;
    if (was_empty) schedule(t, slot, EventKind::engine, e);
    ++core.pc;
    t += kDispatchCycles;
  }
}

double Simulator::resource_ready(const CoreState& core, Engine e, const Instruction& ins) const {
  const EngineState& s = core.engines[static_cast<std::size_t>(e)];
  if (!is_mxu(e)) return s.free_at;
  const bool db = chip_.cores.matrix_unit.double_buffered;
  switch (ins.opcode) {
    case Opcode::mxu_ldw: {
      const Slot& slot = s.slots[fv(ins, F::slot)];
      // Only one load at a time; never into a slot a multiply still reads; without double buffering,
      // not while the array computes at all.
      double ready = std::max({s.ldw_free, slot.readers_done, s.last_start});
      if (!db) ready = std::max(ready, s.mm_done);
      return ready;
    }
    case Opcode::mxu_mm: {
      const Slot& slot = s.slots[fv(ins, F::slot)];
      double ready = std::max({s.stream_free, s.st_free, slot.ready, s.last_start});
      if (!db) ready = std::max(ready, s.ldw_free);
      return ready;
    }
    default:  // mxu.st drains accumulators the multiplies wrote
      return std::max({s.mm_done, s.st_free, s.last_start});
  }
}

std::uint64_t Simulator::banks_touched(std::uint64_t base, std::uint64_t rows, std::uint64_t stride,
                                       std::uint64_t row_bytes) const {
  const auto nbanks = static_cast<std::uint64_t>(banks_);
  const std::uint64_t all = banks_ >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << banks_) - 1;
  const auto interleave = static_cast<std::uint64_t>(bank_interleave_);
  const std::uint64_t cycle = interleave * nbanks;  // bytes after which the banks repeat
  auto span = [&](std::uint64_t from, std::uint64_t bytes) {
    if (bytes >= cycle) return all;
    const std::uint64_t first = (from / interleave) % nbanks;
    const std::uint64_t count = (from + bytes - 1) / interleave - from / interleave + 1;
    const std::uint64_t run = count >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << count) - 1;
    // `count` banks from `first`, wrapping around.
    return ((run << first) | (first == 0 ? 0 : run >> (nbanks - first))) & all;
  };
  if (rows <= 1 || stride % cycle == 0) return span(base, row_bytes);           // every row on the same banks
  if (stride <= row_bytes) return span(base, (rows - 1) * stride + row_bytes);  // one contiguous span
  std::uint64_t mask = 0;
  const std::uint64_t n = std::min<std::uint64_t>(rows, nbanks);  // the pattern repeats within `banks` rows
  for (std::uint64_t r = 0; r < n && mask != all; ++r) mask |= span(base + r * stride, row_bytes);
  return mask;
}

// How much slower than its own rate an access runs on banks others already load: the worst of its
// banks' (load + its demand) / bank bandwidth, at least 1.
double Simulator::bank_ratio(CoreState& core, std::uint64_t banks, double per_bank) const {
  double worst = 0;
  if (banks == all_banks_) {
    if (core.max_stale) {
      core.max_load = 0;
      for (const double load : core.bank_load) core.max_load = std::max(core.max_load, load);
      core.max_stale = false;
    }
    worst = core.max_load;
  } else {
    for (std::uint64_t m = banks; m != 0; m &= m - 1)
      worst = std::max(worst, core.bank_load[static_cast<std::size_t>(std::countr_zero(m))]);
  }
  return std::max(1.0, (core.uniform_load + worst + per_bank) / bank_bytes_per_cycle_);
}

// Adds `per_bank` bytes a cycle (negative: removes them) to each bank in `banks`.
void Simulator::add_load(CoreState& core, std::uint64_t banks, double per_bank) const {
  if (banks == all_banks_) {
    core.uniform_load += per_bank;
    return;
  }
  for (std::uint64_t m = banks; m != 0; m &= m - 1)
    core.bank_load[static_cast<std::size_t>(std::countr_zero(m))] += per_bank;
  core.max_stale = true;
}

void Simulator::begin(CoreState& core, Engine e, std::uint32_t index, double start, double end, std::uint64_t banks,
                      double demand_bytes_per_cycle) {
  EngineState& s = core.engines[static_cast<std::size_t>(e)];
  const double per_bank = banks ? demand_bytes_per_cycle / std::popcount(banks) : 0;
  add_load(core, banks, per_bank);
  s.flying.push_back({index, start, end, banks, per_bank});
  if (s.active++ == 0) s.active_since = start;
  s.last_start = start;
  schedule(end, static_cast<std::uint32_t>(&core - cores_.data()), EventKind::finish, e, index);
}

void Simulator::account_idle(CoreState& core, EngineState& engine, double arrival) {
  // The queue was empty from the engine's last completion to this instruction's arrival: time the
  // front end spent at a barrier, or else dispatching.
  const double idle_from = std::max(engine.last_done, engine.last_start);
  if (arrival > idle_from && engine.active == 0) {
    const double overlap = std::max(0.0, std::min(arrival, core.barrier_to) - std::max(idle_from, core.barrier_from));
    const double barrier = core.barrier_from >= 0 ? overlap : 0;
    if (barrier > 0) engine.stalls[kBarrier] += barrier;
    const double rest = arrival - idle_from - barrier;
    if (rest > 0) engine.stalls[kDispatch] += rest;
  }
}

void Simulator::advance(CoreState& core, Engine e) {
  EngineState& s = core.engines[static_cast<std::size_t>(e)];
  const auto slot = static_cast<std::uint32_t>(&core - cores_.data());
  while (!error_) {
    if (s.copying) {
      dma_progress(core, e);
      return;
    }
    if (s.queue.empty()) return;
    const Queued head = s.queue.front();
    const Instruction& ins = (*core.code)[head.index];
    const double ready = resource_ready(core, e, ins);
    const double earliest = std::max(head.arrival, ready);
    if (earliest > now_) {
      schedule(earliest, slot, EventKind::engine, e);
      return;
    }
    for (int p = 0; p < kEngines; ++p) {
      if ((ins.wait & (1u << p)) && core.tokens[static_cast<std::size_t>(p)][static_cast<std::size_t>(e)] < 1) {
        if (s.token_wait_from < 0) s.token_wait_from = earliest;
        return;  // a signal to this engine wakes it
      }
    }
    for (int p = 0; p < kEngines; ++p)
      if (ins.wait & (1u << p)) --core.tokens[static_cast<std::size_t>(p)][static_cast<std::size_t>(e)];
    account_idle(core, s, head.arrival);
    if (s.token_wait_from >= 0) {
      s.stalls[kToken] += now_ - s.token_wait_from;
      s.token_wait_from = -1;
    }
    s.queue.pop_front();
    const bool unblocks = core.fe == FrontEnd::queue_full && core.blocked_on == e;
    start(core, e, head.index);
    if (unblocks && !error_) {
      core.fe = FrontEnd::running;
      run_front_end(core);  // the queue has room again: dispatch now (run_front_end only schedules)
    }
  }
}

void Simulator::start(CoreState& core, Engine e, std::uint32_t index) {
  EngineState& s = core.engines[static_cast<std::size_t>(e)];
  const Instruction& ins = (*core.code)[index];
  const auto& mu = chip_.cores.matrix_unit;
  switch (ins.opcode) {
    case Opcode::dma_size:
      s.config.n0 = fv(ins, F::n0), s.config.n1 = fv(ins, F::n1), s.config.n2 = fv(ins, F::n2);
      s.config.esize = std::uint64_t{1} << fv(ins, F::esize), s.config.transpose = fv(ins, F::transpose) != 0;
      break;
    case Opcode::dma_sstride:
      s.config.ss1 = fv(ins, F::s1), s.config.ss2 = fv(ins, F::s2);
      break;
    case Opcode::dma_dstride:
      s.config.ds1 = fv(ins, F::s1), s.config.ds2 = fv(ins, F::s2);
      break;
    case Opcode::dma_copy:
      start_copy(core, e, index);
      return;
    default:
      break;
  }
  if (is_dma(e)) {
    s.free_at = now_ + kConfigCycles;
    begin(core, e, index, now_, s.free_at, 0, 0);
    return;
  }
  if (is_mxu(e)) {
    const std::uint64_t slot_index = ins.opcode == Opcode::mxu_st ? 0 : fv(ins, F::slot);
    Slot& slot = s.slots[slot_index];
    if (ins.opcode == Opcode::mxu_ldw) {
      const auto dtype = static_cast<isa::DType>(fv(ins, F::dtype));
      const std::uint64_t k = fv(ins, F::k), n = fv(ins, F::n), stride = fv(ins, F::stride);
      const std::uint64_t row_bytes = n * static_cast<std::uint64_t>(isa::dtype_bytes(dtype));
      if (k > static_cast<std::uint64_t>(mu.tile.k) || n > static_cast<std::uint64_t>(mu.tile.n)) {
        fail(core, index,
             "a " + std::to_string(k) + " x " + std::to_string(n) + " tile does not fit the " +
                 std::to_string(mu.tile.k) + " x " + std::to_string(mu.tile.n) + " array");
        return;
      }
      if (!check_vmem(core, index, fv(ins, F::src), {{k, stride}}, row_bytes, "the weights")) return;
      // k cycles: one row of n weights shifts in per cycle.
      const std::uint64_t banks = banks_touched(fv(ins, F::src), k, stride, row_bytes);
      const double demand = static_cast<double>(row_bytes);
      const double ratio = bank_ratio(core, banks, demand / std::max(1, std::popcount(banks)));
      const double cycles = static_cast<double>(k) * ratio;
      if (ratio > 1) s.stalls[kBankConflict] += cycles - static_cast<double>(k);
      const double end = now_ + cycles;
      s.ldw_free = end;
      slot = Slot{true, end, slot.readers_done, k, n, dtype};
      result_.vmem_bytes += static_cast<double>(k * row_bytes);
      begin(core, e, index, now_, end, banks, demand / ratio);
      return;
    }
    if (ins.opcode == Opcode::mxu_mm) {
      const auto dtype = static_cast<isa::DType>(fv(ins, F::dtype));
      if (!slot.loaded) {
        fail(core, index,
             "weight slot " + std::to_string(slot_index) + " of " + std::string(isa::engine_name(e)) +
                 " holds no weights (no mxu.ldw before)");
        return;
      }
      if (slot.dtype != dtype) {
        fail(core, index,
             "dtype " + std::string(isa::dtype_name(dtype)) + " differs from the slot's weights, " +
                 std::string(isa::dtype_name(slot.dtype)));
        return;
      }
      const std::uint64_t m = fv(ins, F::m), stride = fv(ins, F::stride);
      const std::uint64_t row_bytes = slot.k * static_cast<std::uint64_t>(isa::dtype_bytes(dtype));
      if (!check_vmem(core, index, fv(ins, F::src), {{m, stride}}, row_bytes, "the input rows")) return;
      const auto found = mu.macs_per_cycle.find(dtype_key(dtype));
      if (found == mu.macs_per_cycle.end() || found->second <= 0) {
        fail(core, index, "the chip's matrix unit has no " + dtype_key(dtype) + " rate (macs_per_cycle)");
        return;
      }
      // Rows per cycle: 1 for bf16 on a k x n array of k x n MACs a cycle; 2 for fp8 at twice the rate.
      const double rows_per_cycle = std::max(1.0, std::floor(found->second / tile_macs_));
      const double stream = std::ceil(static_cast<double>(m) / rows_per_cycle);
      const std::uint64_t banks = banks_touched(fv(ins, F::src), m, stride, row_bytes);
      const double demand = static_cast<double>(row_bytes) * rows_per_cycle;
      const double ratio = bank_ratio(core, banks, demand / std::max(1, std::popcount(banks)));
      const double streamed = stream * ratio;
      if (ratio > 1) s.stalls[kBankConflict] += streamed - stream;
      // The last row's results leave the array k + n - 2 cycles after it enters (skew and drain).
      const double fill = static_cast<double>(slot.k + slot.n) - 2;
      const double end = now_ + streamed + fill;
      s.stream_free = now_ + streamed;
      s.mm_done = std::max(s.mm_done, end);
      slot.readers_done = std::max(slot.readers_done, end);
      const double macs = static_cast<double>(m * slot.k * slot.n);
      result_.mxu_macs += macs;
      macs_by_dtype_[dtype] += macs;
      result_.vmem_bytes += static_cast<double>(m * row_bytes);
      begin(core, e, index, now_, end, banks, demand / ratio);
      return;
    }
    // mxu.st: m rows of n 32-bit accumulators, one row a cycle.
    const std::uint64_t m = fv(ins, F::m), n = fv(ins, F::n), stride = fv(ins, F::stride);
    if (!check_vmem(core, index, fv(ins, F::dst), {{m, stride}}, n * 4, "the stored rows")) return;
    const std::uint64_t banks = banks_touched(fv(ins, F::dst), m, stride, n * 4);
    const double demand = static_cast<double>(n * 4);
    const double ratio = bank_ratio(core, banks, demand / std::max(1, std::popcount(banks)));
    const double cycles = static_cast<double>(m) * ratio;
    if (ratio > 1) s.stalls[kBankConflict] += cycles - static_cast<double>(m);
    const double end = now_ + cycles;
    s.st_free = end;
    result_.vmem_bytes += static_cast<double>(m * n * 4);
    begin(core, e, index, now_, end, banks, demand / ratio);
    return;
  }
  // Vector unit.
  const Opcode op = ins.opcode;
  double elements = 0, bytes = 0, latency = kVpuLatencyCycles;
  std::uint64_t banks = 0;
  const auto lanes = static_cast<double>(std::max<std::int64_t>(1, chip_.cores.vector_unit.lanes));
  auto region = [&](std::uint64_t base, std::uint64_t len, int esize, std::string_view what) {
    const std::uint64_t span = len * static_cast<std::uint64_t>(esize);
    if (!check_vmem(core, index, base, {}, span, what)) return false;
    banks |= banks_touched(base, 1, 0, span);
    bytes += static_cast<double>(span);
    return true;
  };
  if (op == Opcode::vsum || op == Opcode::vmaxr) {
    const auto dtype = static_cast<isa::DType>(fv(ins, F::dtype));
    const std::uint64_t rows = fv(ins, F::rows), cols = fv(ins, F::cols);
    const int size = isa::dtype_bytes(dtype);
    if (!region(fv(ins, F::src), rows * cols, size, "the source") || !region(fv(ins, F::dst), rows, size, "the result"))
      return;
    elements = static_cast<double>(rows * cols);
    latency +=
        std::ceil(std::log2(static_cast<double>(std::min<std::uint64_t>(cols, static_cast<std::uint64_t>(lanes))) + 1));
  } else if (op == Opcode::vcvt || op == Opcode::vquant || op == Opcode::vdequant) {
    const auto from = static_cast<isa::DType>(fv(ins, F::from));
    const auto to = static_cast<isa::DType>(fv(ins, F::to));
    const std::uint64_t len = fv(ins, F::len);
    if (!region(fv(ins, F::src), len, isa::dtype_bytes(from), "the source") ||
        !region(fv(ins, F::dst), len, isa::dtype_bytes(to), "the destination"))
      return;
    if (op != Opcode::vcvt && !region(fv(ins, F::scale), 1, 4, "the scale")) return;
    elements = static_cast<double>(len);
  } else {
    const auto dtype = static_cast<isa::DType>(fv(ins, F::dtype));
    const int size = isa::dtype_bytes(dtype);
    const std::uint64_t len = fv(ins, F::len);
    const bool binary = op >= Opcode::vadd && op <= Opcode::vmin;
    if (binary) {
      const bool bcast = fv(ins, F::bcast) != 0;
      if (!region(fv(ins, F::a), len, size, "operand a") || !region(fv(ins, F::b), bcast ? 1 : len, size, "operand b"))
        return;
    } else if (!region(fv(ins, F::src), len, size, "the source")) {
      return;
    }
    if (!region(fv(ins, F::dst), len, size, "the destination")) return;
    elements = static_cast<double>(len);
  }
  const double cost = vpu_cost(op);
  const double compute = std::ceil(elements * cost / lanes);
  const double memory = std::ceil(bytes / vmem_bytes_per_cycle_);
  const double base = std::max(compute, memory);
  const double demand = bytes / std::max(1.0, base);
  const double ratio = bank_ratio(core, banks, demand / std::max(1, std::popcount(banks)));
  const double cycles = base * ratio;
  if (ratio > 1) s.stalls[kBankConflict] += cycles - base;
  vpu_flops_ += elements * cost;
  result_.vmem_bytes += bytes;
  s.free_at = now_ + cycles + latency;
  begin(core, e, index, now_, s.free_at, banks, demand / ratio);
}

void Simulator::start_copy(CoreState& core, Engine e, std::uint32_t index) {
  EngineState& s = core.engines[static_cast<std::size_t>(e)];
  const Instruction& ins = (*core.code)[index];
  const std::uint64_t src = fv(ins, F::src), dst = fv(ins, F::dst);
  DmaCopy& c = s.copy;
  std::vector<double> flying = std::move(c.flying);
  c = DmaCopy{};
  c.flying = std::move(flying);
  c.flying.clear();
  c.index = index;
  c.start = now_;
  c.last_done = now_;
  c.shape = s.config;
  c.src_space = static_cast<Space>(src >> 40);
  c.dst_space = static_cast<Space>(dst >> 40);
  c.src = src & ((std::uint64_t{1} << 40) - 1);
  c.dst = dst & ((std::uint64_t{1} << 40) - 1);
  const auto remote = static_cast<std::uint32_t>(fv(ins, F::core));
  if (!check_space(core, index, c.src_space, c.src, c.shape, false, remote) ||
      !check_space(core, index, c.dst_space, c.dst, c.shape, true, remote))
    return;
  c.remote = (c.src_space == Space::rvmem || c.dst_space == Space::rvmem)
                 ? static_cast<std::uint32_t>(slot_of_core_[remote])
                 : 0;
  c.bytes = static_cast<double>(c.shape.n0 * c.shape.esize) * static_cast<double>(c.shape.n1) *
            static_cast<double>(c.shape.n2);
  c.touches_hbm = c.src_space == Space::hbm || c.src_space == Space::konst || c.dst_space == Space::hbm;
  // The copy's own rate: its network port (or VMEM for a local copy); VMEM banks shared with other
  // engines slow its VMEM side.
  const bool local = (c.src_space == Space::vmem) && (c.dst_space == Space::vmem);
  double rate = local ? vmem_bytes_per_cycle_ : std::min(port_bytes_per_cycle_, vmem_bytes_per_cycle_);
  const bool vmem_side = c.src_space == Space::vmem || c.dst_space == Space::vmem;
  if (vmem_side) {
    const std::uint64_t row_bytes = c.shape.n0 * c.shape.esize;
    const bool src_vmem = c.src_space == Space::vmem;
    c.banks = banks_touched(src_vmem ? c.src : c.dst, c.shape.n1 * c.shape.n2,
                            src_vmem ? c.shape.ss1 : (c.shape.transpose ? c.shape.esize : c.shape.ds1), row_bytes);
    const double ratio = bank_ratio(core, c.banks, rate / std::max(1, std::popcount(c.banks)));
    c.vmem_bytes_per_cycle = rate / ratio;
    c.per_bank = c.vmem_bytes_per_cycle / std::max(1, std::popcount(c.banks));
    add_load(core, c.banks, c.per_bank);
  } else {
    c.vmem_bytes_per_cycle = rate;
  }
  c.ideal_cycles = c.bytes / rate;
  s.copying = true;
  if (s.active++ == 0) s.active_since = now_;
  s.last_start = now_;
  dma_progress(core, e);
}

[[gnu::always_inline]] inline void Simulator::note_hbm(double when, double bytes, bool write) {
  (write ? result_.hbm_write_bytes : result_.hbm_read_bytes) += bytes;
  if (!options_.trace) return;
  const auto bucket = static_cast<std::size_t>(when / kCounterWindowCycles);
  std::vector<double>& v = write ? counter_write_ : counter_read_;
  if (bucket >= v.size()) v.resize(bucket + 1, 0);
  v[bucket] += bytes;
}

// The memory side of a chunk: when `space` has served `bytes` at `address`, for a request that leaves
// the core at `t` (a VMEM side was served at the request; its rate is reserved in issue_chunk).
// Inlined: it runs twice for each of the run's chunks.
[[gnu::always_inline]] inline double Simulator::serve_side(DmaCopy& c, Space space, std::uint64_t address, double t,
                                                           double bytes, bool write) {
  switch (space) {
    case Space::hbm:
    case Space::konst:  // the program's constants are read from HBM
      t = hbm_.access(address, bytes, t + kNocLatencyCycles);
      note_hbm(t, bytes, write);
      return t;
    case Space::cmem:
      result_.cmem_bytes += bytes;
      return serve(cmem_free_[(address / kHbmChunkBytes) % cmem_free_.size()], t + kNocLatencyCycles, c.cmem_cycles);
    case Space::vmem:
      result_.vmem_bytes += bytes;
      return t;
    case Space::rvmem: {
      CoreState& remote = cores_[c.remote];
      result_.vmem_bytes += bytes;
      return serve(write ? remote.port_in_free : remote.port_out_free, t + kNocLatencyCycles, c.port_cycles);
    }
  }
  return t;
}

double Simulator::issue_chunk(CoreState& core, DmaCopy& c, std::uint64_t src, std::uint64_t dst, double bytes) {
  if (bytes != c.chunk_bytes) {
    c.chunk_bytes = bytes;
    c.port_cycles = bytes / port_bytes_per_cycle_;
    c.vmem_cycles = bytes / c.vmem_bytes_per_cycle;
    c.cmem_cycles = bytes / cmem_bank_bytes_per_cycle_;
  }
  const double port = c.port_cycles;
  auto off_core = [](Space space) { return space != Space::vmem; };
  // The engine paces its requests so that neither its core's network port nor its VMEM side is
  // oversubscribed: these rates are reserved in issue order, when the request leaves; the data then
  // comes back whenever the memory serves it, in any order.
  double t = now_;
  if (off_core(c.src_space)) t = serve(core.port_in_free, t, port);
  if (c.src_space == Space::vmem || c.dst_space == Space::vmem)
    t = std::max(t, serve(c.vmem_free, now_, c.vmem_cycles));
  if (off_core(c.dst_space)) t = serve(core.port_out_free, t, port);
  t = serve_side(c, c.src_space, src, t, bytes, false);
  if (off_core(c.src_space)) t += kNocLatencyCycles;  // the data's way back
  return serve_side(c, c.dst_space, dst, t, bytes, true);
}

void Simulator::dma_progress(CoreState& core, Engine e) {
  EngineState& s = core.engines[static_cast<std::size_t>(e)];
  DmaCopy& c = s.copy;
  // Chunks retire in any order: each one that has landed frees a place for the next. `flying` is a
  // min-heap once a copy needs more than one window (a copy issued whole only needs its last chunk).
  while (!c.flying.empty() && c.flying.front() <= now_) quad_heap::pop(c.flying, kEarlier);
  const bool heap_before = !c.flying.empty();
  const std::uint64_t row_bytes = c.shape.n0 * c.shape.esize;
  // Chunks end at the kHbmChunkBytes boundaries of the HBM side (else of the source).
  const bool align_dst = !(c.src_space == Space::hbm || c.src_space == Space::konst) && c.dst_space == Space::hbm;
  while (!c.issued_all && c.flying.size() < kDmaOutstanding) {
    if (++chunks_ > kMaxChunks) {
      fail(core, c.index,
           "the program moves more than 2^30 DMA chunks (rows, or 1 KiB pieces of them): too much to simulate");
      return;
    }
    const std::uint64_t src_row = c.src + c.i2 * c.shape.ss2 + c.i1 * c.shape.ss1;
    const std::uint64_t dst_row = c.dst + c.i2 * c.shape.ds2 + c.i1 * (c.shape.transpose ? c.shape.esize : c.shape.ds1);
    const std::uint64_t src_at = src_row + c.offset, dst_at = dst_row + c.offset;
    const std::uint64_t aligned = align_dst ? dst_at : src_at;
    const std::uint64_t room = kHbmChunkBytes - aligned % kHbmChunkBytes;
    const std::uint64_t bytes = std::min(room, row_bytes - c.offset);
    const double done = issue_chunk(core, c, src_at, dst_at, static_cast<double>(bytes));
    if (heap_before)
      quad_heap::push(c.flying, done, kEarlier);
    else
      c.flying.push_back(done);
    c.max_done = std::max(c.max_done, done);
    c.offset += bytes;
    if (c.offset == row_bytes) {
      c.offset = 0;
      if (++c.i1 == c.shape.n1) {
        c.i1 = 0;
        if (++c.i2 == c.shape.n2) c.issued_all = true;
      }
    }
  }
  const auto slot = static_cast<std::uint32_t>(&core - cores_.data());
  if (!c.flying.empty()) {
    // With everything issued only the last chunk matters; else the next place to free.
    if (c.issued_all) {
      schedule(c.max_done, slot, EventKind::engine, e);
      c.flying.assign(1, c.max_done);
      return;
    }
    if (!heap_before) quad_heap::make(c.flying, kEarlier);
    schedule(c.flying.front(), slot, EventKind::engine, e);
    return;
  }
  // Every chunk has landed: the copy ends now.
  add_load(core, c.banks, -c.per_bank);
  s.copying = false;
  const double duration = now_ - c.start;
  if (c.touches_hbm && duration > c.ideal_cycles) s.stalls[kHbm] += duration - c.ideal_cycles;
  s.free_at = now_;
  s.flying.push_back({c.index, c.start, now_, 0, 0});
  finish(core, e, c.index);
  advance(core, e);
}

void Simulator::finish(CoreState& core, Engine e, std::uint32_t index) {
  EngineState& s = core.engines[static_cast<std::size_t>(e)];
  const auto it = std::find_if(s.flying.begin(), s.flying.end(), [&](const InFlight& f) { return f.index == index; });
  if (it == s.flying.end()) return;
  const InFlight f = *it;
  s.flying.erase(it);
  add_load(core, f.banks, -f.per_bank);
  if (--s.active == 0) s.busy += now_ - s.active_since;
  ++s.stats.instructions;
  s.last_done = std::max(s.last_done, now_);
  if (options_.trace)
    result_.trace.push_back({TraceEvent::Kind::slice, core.id, e, isa::info((*core.code)[index].opcode).mnemonic, index,
                             f.start, f.end - f.start, 0, 0});
  const Instruction& ins = (*core.code)[index];
  const auto slot = static_cast<std::uint32_t>(&core - cores_.data());
  for (int q = 0; q < kEngines; ++q) {
    if (!(ins.signal & (1u << q))) continue;
    int& counter = core.tokens[static_cast<std::size_t>(e)][static_cast<std::size_t>(q)];
    if (++counter > kMaxTokens) {
      fail(core, index,
           "the token counter from " + std::string(isa::engine_name(e)) + " to " +
               std::string(isa::engine_name(static_cast<Engine>(q))) + " passes 255");
      return;
    }
    core.last_signal[static_cast<std::size_t>(e)][static_cast<std::size_t>(q)] = index;
    // Only an engine whose next instruction waits for tokens needs waking; the others wake themselves.
    if (core.engines[static_cast<std::size_t>(q)].token_wait_from >= 0)
      schedule(now_, slot, EventKind::engine, static_cast<Engine>(q));
  }
  if (core.fe == FrontEnd::core_barrier && drained(core)) schedule(now_, slot, EventKind::front_end);
  if (core.fe == FrontEnd::chip_barrier) check_chip_barrier();
  check_core_done(core);
}

Expected<SimResult> Simulator::run(const spec::ProcessSpec* process) {
  if (!setup()) return Error(*error_);
  for (std::size_t i = 0; i < cores_.size(); ++i) schedule(0, static_cast<std::uint32_t>(i), EventKind::front_end);
  const auto max_cycles = static_cast<double>(options_.max_cycles);
  while (!events_.empty() && !error_) {
    const Event ev = events_.top();
    events_.pop();
    if (ev.time > max_cycles) {
      // Name what that core was doing: an instruction running, else one waiting, else the front end's.
      const CoreState& core = cores_[ev.core];
      std::size_t index = core.pc;
      for (const EngineState& e : core.engines) {
        if (e.copying)
          index = e.copy.index;
        else if (!e.flying.empty())
          index = e.flying.front().index;
        else if (!e.queue.empty())
          index = e.queue.front().index;
        else
          continue;
        break;
      }
      fail(core, index, "the program runs past " + std::to_string(options_.max_cycles) + " cycles (max_cycles)");
      return Error(*error_);
    }
    now_ = ev.time;
    CoreState& core = cores_[ev.core];
    const auto engine = static_cast<Engine>(ev.engine);
    switch (ev.kind) {
      case EventKind::front_end:
        run_front_end(core);
        break;
      case EventKind::engine: {
        double& pending = core.engines[static_cast<std::size_t>(engine)].wake_at;
        if (ev.time != pending) break;  // superseded by an earlier wake-up
        pending = 1e300;
        advance(core, engine);
        break;
      }
      case EventKind::finish:
        finish(core, engine, ev.index);
        if (!error_) advance(core, engine);
        break;
    }
  }
  if (error_) return Error(*error_);
  // Nothing left to happen: every core must have halted with its engines drained.
  for (CoreState& core : cores_) {
    if (core.done) continue;
    for (int e = 0; e < kEngines; ++e) {
      const EngineState& s = core.engines[static_cast<std::size_t>(e)];
      if (s.queue.empty()) continue;
      const Instruction& ins = (*core.code)[s.queue.front().index];
      std::string from;
      for (int p = 0; p < kEngines; ++p)
        if ((ins.wait & (1u << p)) && core.tokens[static_cast<std::size_t>(p)][static_cast<std::size_t>(e)] < 1)
          from = std::string(isa::engine_name(static_cast<Engine>(p)));
      fail(core, s.queue.front().index,
           "deadlock: " + std::string(isa::engine_name(static_cast<Engine>(e))) + " waits for a token from " + from +
               " that nothing left to run will signal");
      return Error(*error_);
    }
    if (core.fe == FrontEnd::chip_barrier) {
      for (const CoreState& other : cores_)
        if (other.fe != FrontEnd::chip_barrier) {
          fail(core, core.pc,
               "deadlock: chip barrier " + std::to_string(core.chip_barrier_id) + " is never reached by core " +
                   std::to_string(other.id));
          return Error(*error_);
        }
    }
    fail(core, core.pc, "deadlock: the core never finishes");
    return Error(*error_);
  }
  double end = 0;
  for (CoreState& core : cores_) {
    for (int p = 0; p < kEngines; ++p)
      for (int q = 0; q < kEngines; ++q)
        if (core.tokens[static_cast<std::size_t>(p)][static_cast<std::size_t>(q)] != 0) {
          fail(core, core.last_signal[static_cast<std::size_t>(p)][static_cast<std::size_t>(q)],
               std::to_string(core.tokens[static_cast<std::size_t>(p)][static_cast<std::size_t>(q)]) +
                   " token(s) from " + std::string(isa::engine_name(static_cast<Engine>(p))) + " to " +
                   std::string(isa::engine_name(static_cast<Engine>(q))) + " are never consumed");
          return Error(*error_);
        }
    for (const EngineState& s : core.engines) end = std::max(end, s.last_done);
    end = std::max(end, core.fe_time);
  }
  SimResult& r = result_;
  r.cycles = static_cast<std::uint64_t>(std::ceil(end));
  r.seconds = static_cast<double>(r.cycles) / (chip_.clock_mhz * 1e6);
  const double total = std::max(1.0, static_cast<double>(r.cycles));
  for (CoreState& core : cores_)
    for (EngineState& s : core.engines) {
      if (!s.used) continue;
      s.stats.busy_cycles = static_cast<std::uint64_t>(std::llround(s.busy));
      for (int k = 0; k < kStallCount; ++k) {
        const auto cycles = static_cast<std::uint64_t>(std::llround(s.stalls[static_cast<std::size_t>(k)]));
        if (cycles > 0) s.stats.stall_cycles[std::string(kStallNames[static_cast<std::size_t>(k)])] = cycles;
      }
      s.stats.utilization = s.busy / total;
      r.engines.push_back(s.stats);
    }
  const auto& mu = chip_.cores.matrix_unit;
  double unit_cycles = 0;  // cycles the chip's matrix units would need at peak for these MACs
  for (const auto& [dtype, macs] : macs_by_dtype_) {
    const auto found = mu.macs_per_cycle.find(dtype_key(dtype));
    if (found != mu.macs_per_cycle.end() && found->second > 0) unit_cycles += macs / found->second;
  }
  const double units = static_cast<double>(chip_.cores.count * mu.count);
  r.mxu_utilization = unit_cycles / (units * total);
  if (options_.trace) {
    const double window_s = kCounterWindowCycles / (chip_.clock_mhz * 1e6);
    const std::size_t n = std::max(counter_read_.size(), counter_write_.size());
    for (std::size_t i = 0; i < n; ++i) {
      const double rd = i < counter_read_.size() ? counter_read_[i] : 0;
      const double wr = i < counter_write_.size() ? counter_write_[i] : 0;
      r.trace.push_back({TraceEvent::Kind::counter, 0, Engine::ctl, "HBM GB/s", 0,
                         static_cast<double>(i) * kCounterWindowCycles, kCounterWindowCycles, rd / window_s / 1e9,
                         wr / window_s / 1e9});
    }
    if (n > 0)  // back to zero after the last window, so the counter does not hold its last value
      r.trace.push_back({TraceEvent::Kind::counter, 0, Engine::ctl, "HBM GB/s", 0,
                         static_cast<double>(n) * kCounterWindowCycles, 0, 0, 0});
  }
  if (process) {
    if (!process->has_energy) return Error("process " + process->name + " has no energy: block");
    const spec::ProcessEnergy& en = process->energy;
    double mxu_j = 0;
    for (const auto& [dtype, macs] : macs_by_dtype_) {
      const auto found = en.mac_pj.find(dtype_key(dtype));
      if (found == en.mac_pj.end())
        return Error("process " + process->name + " has no MAC energy for " + dtype_key(dtype));
      mxu_j += macs * found->second * 1e-12;
    }
    const auto fp32 = en.mac_pj.find("fp32");
    if (vpu_flops_ > 0 && fp32 == en.mac_pj.end())
      return Error("process " + process->name + " has no MAC energy for fp32");
    r.energy_j["mxu"] = mxu_j;
    r.energy_j["vpu"] = vpu_flops_ > 0 ? vpu_flops_ / 2 * fp32->second * 1e-12 : 0;  // an FMA is two FLOPs
    r.energy_j["sram"] = (r.vmem_bytes + r.cmem_bytes) * 8 * en.sram_pj_per_bit * 1e-12;
    r.energy_j["hbm"] = (r.hbm_read_bytes + r.hbm_write_bytes) * 8 * en.hbm_pj_per_bit * 1e-12;
    r.energy_j["static"] = en.static_fraction * chip_.tdp_w * r.seconds;
  }
  return std::move(result_);
}

}  // namespace

Expected<SimResult> simulate(const isa::Program& program, const spec::ChipSpec& chip, const SimOptions& options,
                             const spec::ProcessSpec* process) {
  const std::optional<HbmPreset> preset = hbm_preset(chip.hbm.generation);
  if (!preset)
    return Error("chip " + chip.name + ": HBM generation '" + chip.hbm.generation +
                 "' has no timing preset (known: " + std::string(hbm_generations()) + ")");
  if (chip.clock_mhz <= 0 || chip.hbm.bandwidth_tb_s <= 0)
    return Error("chip " + chip.name + " needs a clock and an HBM bandwidth to be simulated");
  const bool has_vmem = std::any_of(chip.cores.sram.begin(), chip.cores.sram.end(),
                                    [](const spec::CoreSram& s) { return s.level == "vmem"; });
  if (!has_vmem)
    return Error("chip " + chip.name +
                 " has no per-core VMEM (a cores.sram entry with level: vmem): XPU programs run on " +
                 "XPU chips such as xpu-1");
  // Every memory the simulator times needs a rate: without one a copy would take forever (a run to
  // max_cycles), so a chip spec that lacks one is refused here, naming the field.
  for (const spec::CoreSram& s : chip.cores.sram)
    if (s.level == "vmem" && !(s.bandwidth_bytes_per_cycle > 0))
      return Error("chip " + chip.name + " cannot be simulated: its VMEM (cores.sram level vmem) has no " +
                   "bandwidth_bytes_per_cycle");
  for (const spec::SharedSram& s : chip.shared_sram)
    if (s.level == "cmem" && !(s.bandwidth_gb_s.value_or(0) > 0))
      return Error("chip " + chip.name + " cannot be simulated: its shared SRAM " + s.level +
                   " (shared_sram level " + s.level + ") has no bandwidth_gb_s");
  Simulator sim(program, chip, options, *preset);
  return sim.run(process);
}

}  // namespace xpusim::perfsim
