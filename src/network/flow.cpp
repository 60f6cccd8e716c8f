#include "network/flow.h"

#include <simgrid/s4u.hpp>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <map>

namespace xpusim::network {
namespace {

constexpr std::int64_t kSwitch = -1;  // the endpoint of an in-network reduction: the switch itself

FlowProgressFn& progress_hook() {
  static FlowProgressFn hook;
  return hook;
}

// SimGrid's time per flow of a phase grows with the flows sharing links (each completion re-solves the
// max-min sharing), so a phase takes about c x flows^2. Measured: the expert all-to-all of deepseek-v3
// with ep 128 on 512 DGX H100 nodes (8 groups x 16,256 = 130,048 flows in one phase) took about 85 s
// of one core of the CI machine, c = 5e-9 s. Only a guide for the first estimate; later ones scale it
// by the time the phases so far took.
double estimated_phase_seconds(double flows) { return 0.01 + 5e-9 * flows * flows; }

struct Flow {
  std::int64_t src = 0, dst = 0;
  double bytes = 0;
};

// Concurrent flows, run `repeat` times one after another, each run `steps` software steps long.
struct Phase {
  std::vector<Flow> flows;
  double repeat = 1;
  double steps = 1;
};

using Groups = std::vector<std::vector<std::int64_t>>;  // the chips of each concurrent group, in order

bool crosses_domains(const Phase& phase, std::int64_t domain) {
  return std::any_of(phase.flows.begin(), phase.flows.end(), [&](const Flow& f) {
    return f.src != kSwitch && f.dst != kSwitch && f.src / domain != f.dst / domain;
  });
}

void ring_phase(const Groups& groups, double chunk, double repeat, std::vector<Phase>& out) {
  Phase p;
  p.repeat = repeat;
  for (const auto& g : groups)
    for (std::size_t i = 0; i < g.size(); ++i) p.flows.push_back({g[i], g[(i + 1) % g.size()], chunk});
  if (repeat > 0) out.push_back(std::move(p));
}

// Sub-groups of each group: ranks in the same scale-up domain (inner) or at the same position in
// their domains (outer), for the hierarchical algorithm.
Groups split(const Groups& groups, std::int64_t domain, bool inner) {
  Groups out;
  for (const auto& g : groups) {
    std::map<std::int64_t, std::vector<std::int64_t>> by_key;
    std::map<std::int64_t, std::int64_t> seen_in_domain;
    for (std::int64_t chip : g) {
      const std::int64_t d = chip / domain;
      const std::int64_t position = seen_in_domain[d]++;
      by_key[inner ? d : position].push_back(chip);
    }
    for (auto& [key, members] : by_key) out.push_back(std::move(members));
  }
  return out;
}

// `ring_size` is the ranks of each group when a ring's groups are a window of it (see
// flow_collective_time); 0: the groups are whole.
Expected<std::vector<Phase>> phases_of(Collective c, double bytes, const Topology& topology, const Groups& groups,
                                       Algorithm algorithm, std::size_t ring_size = 0) {
  const std::size_t n = ring_size > 0 ? ring_size : groups.front().size();
  const double dn = static_cast<double>(n);
  const std::int64_t domain = topology.fabric.chips_per_domain;
  std::vector<Phase> out;
  switch (c) {
    case Collective::send_recv: {
      Phase p;
      for (const auto& g : groups) p.flows.push_back({g.front(), g.back(), bytes});
      out.push_back(std::move(p));
      return out;
    }
    case Collective::broadcast: {
      Phase p;  // a pipelined chain: every link carries the whole buffer, the steps overlap
      p.steps = dn - 1;
      for (const auto& g : groups)
        for (std::size_t i = 0; i + 1 < g.size(); ++i) p.flows.push_back({g[i], g[i + 1], bytes});
      out.push_back(std::move(p));
      return out;
    }
    case Collective::all_to_all: {
      Phase p;  // every pair at once, as NCCL posts them in one group call
      p.steps = dn - 1;
      if (static_cast<double>(groups.size()) * dn * dn > 4e6)
        return Error("flow model: an all-to-all over " + std::to_string(n) + " ranks is too many flows to simulate");
      for (const auto& g : groups)
        for (std::size_t i = 0; i < n; ++i)
          for (std::size_t j = 0; j < n; ++j)
            if (i != j) p.flows.push_back({g[i], g[j], bytes / dn});
      out.push_back(std::move(p));
      return out;
    }
    default:
      break;
  }
  const bool all_reduce = c == Collective::all_reduce;
  switch (algorithm) {
    case Algorithm::in_network: {
      // The switch streams the reduced result back while the inputs still arrive: up and down at once.
      // Links run at the collective efficiency; reductions achieve their own, so the bytes scale.
      const bool across = groups.front().front() / domain != groups.front().back() / domain;
      const Level& level = topology.levels[across ? topology.levels.size() - 1 : 0];
      const double moved = bytes * level.efficiency / level.reduction_efficiency;
      Phase both;
      both.steps = 2;
      for (const auto& g : groups)
        for (std::int64_t chip : g) {
          both.flows.push_back({chip, kSwitch, moved});
          both.flows.push_back({kSwitch, chip, moved});
        }
      out.push_back(std::move(both));
      return out;
    }
    case Algorithm::recursive_halving_doubling: {
      // Halving: exchange half of the live data with the partner n/2 away, then n/4, ...; doubling
      // retraces the steps.
      std::vector<Phase> halving;
      double share = bytes;
      for (std::size_t distance = n / 2; distance >= 1; distance /= 2) {
        share /= 2;
        Phase p;
        for (const auto& g : groups)
          for (std::size_t i = 0; i < n; ++i) p.flows.push_back({g[i], g[i ^ distance], share});
        halving.push_back(std::move(p));
      }
      out = halving;
      for (auto it = halving.rbegin(); it != halving.rend(); ++it) out.push_back(*it);
      return out;
    }
    case Algorithm::double_binary_tree: {
      // Two binary trees, each reducing half of the buffer up and broadcasting it down, pipelined: every
      // tree edge carries its half once each way. The second tree is the first shifted by one rank.
      Phase up, down;
      const double steps = std::ceil(std::log2(dn));
      up.steps = down.steps = steps;
      for (const auto& g : groups)
        for (std::size_t shift = 0; shift < 2; ++shift)
          for (std::size_t i = 1; i < n; ++i) {
            const std::int64_t child = g[(i + shift) % n], parent = g[((i - 1) / 2 + shift) % n];
            up.flows.push_back({child, parent, bytes / 2});
            down.flows.push_back({parent, child, bytes / 2});
          }
      out.push_back(std::move(up));
      out.push_back(std::move(down));
      return out;
    }
    case Algorithm::torus: {
      // A bidirectional ring along each dimension in turn, half the chunk each way.
      const std::vector<std::int64_t>& dims = topology.fabric.torus_dims;
      double data = bytes;
      std::int64_t stride = 1;
      std::vector<Phase> per_dim;
      for (std::size_t d = dims.size(); d-- > 0;) {
        const std::int64_t len = dims[d];
        if (len > 1) {
          Phase p;
          p.repeat = static_cast<double>(len - 1);
          const double chunk = data / static_cast<double>(len) / 2;
          for (const auto& g : groups)
            for (std::int64_t chip : g) {
              const std::int64_t base = chip / domain * domain, local = chip % domain;
              const std::int64_t coord = local / stride % len;
              const std::int64_t next = base + local + ((coord + 1) % len - coord) * stride;
              const std::int64_t prev = base + local + ((coord + len - 1) % len - coord) * stride;
              p.flows.push_back({chip, next, chunk});
              p.flows.push_back({chip, prev, chunk});
            }
          per_dim.push_back(std::move(p));
          data /= static_cast<double>(len);
        }
        stride *= len;
      }
      out = per_dim;
      if (all_reduce)
        for (auto it = per_dim.rbegin(); it != per_dim.rend(); ++it) out.push_back(*it);
      return out;
    }
    case Algorithm::hierarchical: {
      const Groups inner = split(groups, domain, true), outer = split(groups, domain, false);
      const double in = static_cast<double>(inner.front().size()), across = static_cast<double>(outer.front().size());
      if (c != Collective::all_gather) ring_phase(inner, bytes / in, in - 1, out);
      ring_phase(outer, bytes / in / across, (all_reduce ? 2 : 1) * (across - 1), out);
      if (c != Collective::reduce_scatter) ring_phase(inner, bytes / in, in - 1, out);
      return out;
    }
    default:
      ring_phase(groups, bytes / dn, (all_reduce ? 2 : 1) * (dn - 1), out);
      return out;
  }
}

using Routes = std::map<std::pair<std::int64_t, std::int64_t>, std::vector<RouteLink>>;

// The links of every flow's route, worked out before any simulation so that a route the fabric cannot
// give (a dragonfly too small for its chips) is an error, not a flow over no links.
Expected<Routes> routes_of(const Fabric& fabric, const std::vector<Phase>& phases, bool switch_across_domains) {
  // The links between a chip and the switch of an in-network reduction: its first hop out, its last in.
  auto switch_hop = [&](std::int64_t chip, bool outward) -> Expected<std::vector<RouteLink>> {
    const std::int64_t domain = chip / fabric.chips_per_domain;
    const std::int64_t peer = switch_across_domains
                                  ? (domain + 1) % fabric.domains * fabric.chips_per_domain
                                  : domain * fabric.chips_per_domain + (chip + 1) % fabric.chips_per_domain;
    Expected<std::vector<RouteLink>> r = outward ? route(fabric, chip, peer) : route(fabric, peer, chip);
    if (!r.ok()) return r.error();
    if (r->empty()) return Error("flow model: no link joins chip " + std::to_string(chip) + " to its switch");
    return std::vector<RouteLink>{outward ? r->front() : r->back()};
  };
  Routes routes;
  for (const Phase& phase : phases)
    for (const Flow& f : phase.flows) {
      if (f.src == f.dst || routes.count({f.src, f.dst})) continue;
      Expected<std::vector<RouteLink>> path = f.src == kSwitch   ? switch_hop(f.dst, false)
                                              : f.dst == kSwitch ? switch_hop(f.src, true)
                                                                 : route(fabric, f.src, f.dst);
      if (!path.ok()) return path.error();
      routes.emplace(std::pair{f.src, f.dst}, std::move(*path));
    }
  return routes;
}

// Times each phase (one run of it) over `routes` with SimGrid. Runs in the calling process; call it in
// a child process, since an engine can be made once per process.
std::vector<double> simulate(const std::vector<Phase>& phases, const Routes& routes, FlowProgress* progress) {
  namespace s4u = simgrid::s4u;
  std::vector<std::string> args = {"xpusim", "--log=root.thresh:critical", "--cfg=network/model:CM02",
                                   "--cfg=network/crosstraffic:0",
                                   // One actor drives the flows: thread contexts cost nothing here, and unlike
                                   // SimGrid's own stack switching they keep AddressSanitizer exact.
                                   "--cfg=contexts/factory:thread"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  argv.push_back(nullptr);
  s4u::Engine engine(&argc, argv.data());
  s4u::NetZone* zone = s4u::create_full_zone("fabric");

  std::map<std::int64_t, s4u::Host*> hosts;
  std::map<std::uint64_t, s4u::Link*> links;
  auto host = [&](std::int64_t chip) {
    auto [it, fresh] = hosts.try_emplace(chip, nullptr);
    if (fresh) {
      std::string name = "chip";  // built with += : GCC 12 warns falsely on "literal" + std::string&&
      name += chip == kSwitch ? std::string("-switch") : std::to_string(chip);
      it->second = zone->create_host(name, 1e9);
    }
    return it->second;
  };
  for (const auto& [ends, path] : routes) {
    std::vector<s4u::LinkInRoute> hops;
    for (const RouteLink& l : path) {
      auto [it, fresh] = links.try_emplace(l.key, nullptr);
      if (fresh) {
        std::string name = "link";
        name += std::to_string(l.key);
        it->second = zone->create_link(name, l.gb_s * 1e9)->set_latency(l.latency_us * 1e-6)->seal();
      }
      hops.emplace_back(it->second);
    }
    zone->add_route(host(ends.first)->get_netpoint(), host(ends.second)->get_netpoint(), nullptr, nullptr, hops, false);
  }
  zone->seal();

  std::vector<double> seconds;
  const auto wall_start = std::chrono::steady_clock::now();
  s4u::Actor::create("driver", hosts.begin()->second, [&] {
    for (const Phase& phase : phases) {
      const double start = s4u::Engine::get_clock();
      std::vector<s4u::CommPtr> comms;
      for (const Flow& f : phase.flows)
        if (f.bytes >= 1 && f.src != f.dst)
          comms.push_back(s4u::Comm::sendto_async(hosts[f.src], hosts[f.dst], static_cast<std::uint64_t>(f.bytes)));
      s4u::Comm::wait_all(comms);
      seconds.push_back(s4u::Engine::get_clock() - start);
      if (progress_hook() && progress) {
        progress->phases_done = seconds.size();
        progress->elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
        double done_estimate = 0, total_estimate = 0;
        for (std::size_t i = 0; i < phases.size(); ++i) {
          const double e = estimated_phase_seconds(static_cast<double>(phases[i].flows.size()));
          total_estimate += e;
          if (i < seconds.size()) done_estimate += e;
        }
        progress->estimated_s = progress->elapsed_s * total_estimate / std::max(done_estimate, 1e-9);
        progress_hook()(*progress);
      }
    }
  });
  engine.run();
  return seconds;
}

// Runs simulate() in a child process and reads its answer through a pipe.
Expected<std::vector<double>> simulate_in_child(const std::vector<Phase>& phases, const Routes& routes,
                                                FlowProgress* progress) {
  // Buffered output would otherwise be written twice, once by the child.
  std::fflush(stdout);
  std::fflush(stderr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Error("flow model: cannot create a pipe");
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return Error("flow model: cannot start the simulation process");
  }
  if (pid == 0) {
    // The simulation must not outlive the run that asked for it (killed by INT, TERM, HUP or KILL); a
    // parent that died before the request took effect has already re-parented this process.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(4);
    close(fds[0]);
    const std::vector<double> seconds = simulate(phases, routes, progress);
    const char* data = reinterpret_cast<const char*>(seconds.data());
    std::size_t left = seconds.size() * sizeof(double);
    while (left > 0) {
      const ssize_t n = write(fds[1], data, left);
      if (n <= 0) _exit(3);
      data += n;
      left -= static_cast<std::size_t>(n);
    }
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::vector<double> seconds(phases.size());
  char* data = reinterpret_cast<char*>(seconds.data());
  std::size_t left = seconds.size() * sizeof(double);
  while (left > 0) {
    const ssize_t n = read(fds[0], data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (left != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return Error("flow model: the SimGrid simulation failed");
  return seconds;
}

}  // namespace

Expected<CollectiveTime> flow_collective_time(Collective collective, double bytes, const Topology& topology,
                                              int inner_stride, int size, Algorithm algorithm) {
  const Fabric& fabric = topology.fabric;
  if (inner_stride < 1 || size < 1) return Error("flow model: a group needs a stride and a size of at least 1");
  const std::int64_t block = static_cast<std::int64_t>(inner_stride) * size;
  if (block > fabric.chips())
    return Error("flow model: a group of " + std::to_string(size) + " ranks " + std::to_string(inner_stride) +
                 " apart needs " + std::to_string(block) + " chips, the fabric has " + std::to_string(fabric.chips()));
  const Group group = group_of(topology, inner_stride, size);
  // The algorithm the analytical model would pick, so that the two backends time the same flows.
  Expected<CollectiveTime> analytical = collective_time(collective, bytes, topology, group, algorithm);
  if (!analytical.ok()) return analytical.error();
  CollectiveTime result;
  result.algorithm = analytical->algorithm;
  if (size <= 1 || bytes <= 0) return result;
  if (size > kFlowMaxRanks)
    return Error("flow model: a group of " + std::to_string(size) + " ranks is more than the " +
                 std::to_string(kFlowMaxRanks) + " one simulation takes");

  // Inside a torus the torus algorithm needs the whole domain; otherwise a ring goes round it.
  Algorithm simulated = result.algorithm;
  if (simulated == Algorithm::torus && (size != fabric.chips_per_domain || inner_stride != 1))
    simulated = Algorithm::ring;
  if (simulated == Algorithm::recursive_halving_doubling && (size & (size - 1)) != 0) simulated = Algorithm::ring;

  // The groups of one block interleave over the same systems and leaf switches and share their
  // up-links, so none may be left out. When a block is larger than one simulation takes, a ring keeps
  // every group but only a window of each: its first ranks, closed into a ring. A ring step is a shift,
  // so each leaf boundary inside the window carries the flows every boundary of the whole ring does,
  // and the slowest flow, which sets the step, is the same; the chunk and the step count stay those of
  // the whole ring. Other algorithms keep whole groups, as many as fit.
  const std::int64_t window =
      block > kFlowMaxRanks && simulated == Algorithm::ring ? kFlowMaxRanks / inner_stride : size;
  const bool windowed = window >= 2 && window < size;
  const std::int64_t blocks =
      std::max<std::int64_t>(1, std::min(fabric.chips() / block, static_cast<std::int64_t>(kFlowMaxRanks) / block));
  Groups groups;
  for (std::int64_t k = 0; k < blocks; ++k)
    for (int b = 0; b < inner_stride; ++b) {
      if (!windowed && static_cast<std::int64_t>(groups.size() + 1) * size > kFlowMaxRanks) break;
      std::vector<std::int64_t> g;
      for (std::int64_t i = 0; i < (windowed ? window : size); ++i) g.push_back(k * block + b + i * inner_stride);
      groups.push_back(std::move(g));
    }
  Expected<std::vector<Phase>> phases =
      phases_of(collective, bytes, topology, groups, simulated, windowed ? static_cast<std::size_t>(size) : 0);
  if (!phases.ok()) return phases.error();
  // Identical phases (a ring's steps) are simulated once.
  std::vector<Phase> distinct;
  std::vector<std::size_t> index_of;
  for (const Phase& p : *phases) {
    auto same = [&](const Phase& q) {
      if (q.flows.size() != p.flows.size()) return false;
      for (std::size_t i = 0; i < p.flows.size(); ++i)
        if (q.flows[i].src != p.flows[i].src || q.flows[i].dst != p.flows[i].dst || q.flows[i].bytes != p.flows[i].bytes)
          return false;
      return true;
    };
    auto it = std::find_if(distinct.begin(), distinct.end(), same);
    index_of.push_back(static_cast<std::size_t>(it - distinct.begin()));
    if (it == distinct.end()) distinct.push_back(p);
  }
  const bool across_domains = group.ranks_per_level.size() > 1 && group.ranks_per_level[1] > 1;
  Expected<Routes> routes = routes_of(fabric, distinct, across_domains);
  if (!routes.ok()) return routes.error();
  FlowProgress progress;
  FlowProgress* reporting = nullptr;
  if (progress_hook()) {
    progress.collective = std::string(collective_name(collective));
    progress.ranks = size;
    progress.phases = distinct.size();
    for (const Phase& p : distinct) {
      progress.flows += static_cast<std::int64_t>(p.flows.size());
      progress.estimated_s += estimated_phase_seconds(static_cast<double>(p.flows.size()));
    }
    progress_hook()(progress);
    reporting = &progress;
  }
  Expected<std::vector<double>> seconds = simulate_in_child(distinct, *routes, reporting);
  if (!seconds.ok()) return seconds.error();
  double total = 0;
  for (std::size_t i = 0; i < phases->size(); ++i) {
    const Phase& p = (*phases)[i];
    const double step_us = crosses_domains(p, fabric.chips_per_domain) ? kScaleOutStepUs : kScaleUpStepUs;
    total += p.repeat * ((*seconds)[index_of[i]] + p.steps * step_us * 1e-6);
  }
  result.seconds = total;
  result.bus_bandwidth_gb_s = total > 0 ? bytes * bus_factor(collective, size) / total / 1e9 : 0;
  return result;
}

void set_flow_progress(FlowProgressFn hook) { progress_hook() = std::move(hook); }

Expected<CollectiveTime> CollectiveModel::time(Collective collective, double bytes, int inner_stride, int size) const {
  if (model_ == NetModel::analytical)
    return collective_time(collective, bytes, topology_, group_of(topology_, inner_stride, size));
  const Key key{collective, bytes, inner_stride, size};
  for (const auto& [k, t] : cache_)
    if (k == key) return t;
  Expected<CollectiveTime> t = flow_collective_time(collective, bytes, topology_, inner_stride, size);
  if (t.ok()) cache_.emplace_back(key, *t);
  return t;
}

}  // namespace xpusim::network
