// The flow-level backend: a collective becomes the flows its algorithm sends, step by step, over the
// links of the topology's Fabric, and SimGrid (CM02, max-min fair sharing of every link) times them,
// with every group that runs the same collective at the same time (the 8 data-parallel rings of a
// tp-8 plan share the nodes and the leaf switches). So it sees what the analytical model cannot:
// leaf up-links shared under oversubscription, dragonfly global links, torus hops, rails.
//
// A step is a set of concurrent flows; the algorithm's steps that move the same flows (the 2(n-1)
// steps of a ring) are simulated once and counted as often as they run. The software cost of each
// step (kScaleUpStepUs, kScaleOutStepUs) is added as in the analytical model; protocol efficiency
// scales every link's bandwidth. Each simulation runs in a child process, because a SimGrid engine
// lives once per process.
#pragma once

#include <functional>
#include <string>

#include "network/collectives.h"

namespace xpusim::network {

// Largest number of ranks (chips) one flow simulation takes. Further blocks of groups are left out
// (they sit in other leaves or pods); a ring whose block is larger runs every group of the block as a
// window of kFlowMaxRanks / inner_stride ranks, so the shared up-links carry all of their flows.
inline constexpr int kFlowMaxRanks = 1024;

// One collective run by every group of `size` ranks that tiles the first chips: group b holds
// b, b + inner_stride, ..., for b in [0, inner_stride) and as many such blocks as kFlowMaxRanks allows.
// `algorithm` automatic simulates the algorithm the analytical model picks, so the two compare.
Expected<CollectiveTime> flow_collective_time(Collective collective, double bytes, const Topology& topology,
                                              int inner_stride, int size, Algorithm algorithm = Algorithm::automatic);

// Where a flow simulation stands, for a caller that shows long work (a simulation of 100,000s of
// flows takes minutes). Reported once before it starts, with a rough estimate from the flow count, and
// after each distinct phase, with an estimate from the time the phases so far took.
struct FlowProgress {
  std::string collective;            // "all-to-all"
  int ranks = 0;                     // ranks in one group
  std::int64_t flows = 0;            // flows over all distinct phases
  std::size_t phases = 0;            // distinct phases (steps that move different flows)
  std::size_t phases_done = 0;
  double elapsed_s = 0;
  double estimated_s = 0;            // the whole simulation's
};
using FlowProgressFn = std::function<void(const FlowProgress&)>;

// Installs the process-wide progress hook (empty: none). It is called from the simulation's child
// process too, so it may write to an inherited descriptor but must not rely on parent state after fork.
void set_flow_progress(FlowProgressFn hook);

enum class NetModel : unsigned char { analytical, flow };

// Collective times from either backend; remembers flow results (training asks for the same few).
class CollectiveModel {
 public:
  CollectiveModel(const Topology& topology, NetModel model) : topology_(topology), model_(model) {}
  const Topology& topology() const { return topology_; }
  NetModel model() const { return model_; }
  Expected<CollectiveTime> time(Collective collective, double bytes, int inner_stride, int size) const;

 private:
  const Topology& topology_;
  NetModel model_;
  struct Key {
    Collective collective;
    double bytes;
    int inner_stride, size;
    auto operator<=>(const Key&) const = default;
  };
  mutable std::vector<std::pair<Key, CollectiveTime>> cache_;
};

}  // namespace xpusim::network
