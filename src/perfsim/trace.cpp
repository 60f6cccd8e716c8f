// The simulator's trace as Chrome trace-event JSON, which ui.perfetto.dev and chrome://tracing open:
// a process per core (pid = core + 1), a thread per engine (tid = engine number), complete events
// ("X") for instructions and counter events ("C") for HBM bandwidth, times in microseconds.
#include <nlohmann/json.hpp>

#include "perfsim/simulator.h"

namespace xpusim::perfsim {

std::string perfetto_json(const SimResult& result, const spec::ChipSpec& chip) {
  using Json = nlohmann::ordered_json;
  const double us_per_cycle = 1 / chip.clock_mhz;
  Json events = Json::array();
  std::map<std::uint32_t, std::uint8_t> engines_seen;  // core -> bit per engine with a track
  for (const EngineStats& e : result.engines)
    engines_seen[e.core] |= static_cast<std::uint8_t>(1u << static_cast<int>(e.engine));
  const int hbm_pid = 1000;
  for (const auto& [core, mask] : engines_seen) {
    events.push_back({{"ph", "M"},
                      {"name", "process_name"},
                      {"pid", core + 1},
                      {"args", {{"name", "core " + std::to_string(core)}}}});
    events.push_back(
        {{"ph", "M"}, {"name", "process_sort_index"}, {"pid", core + 1}, {"args", {{"sort_index", core}}}});
    for (int e = 0; e < isa::kTokenEngines; ++e)
      if (mask & (1u << e))
        events.push_back({{"ph", "M"},
                          {"name", "thread_name"},
                          {"pid", core + 1},
                          {"tid", e},
                          {"args", {{"name", std::string(isa::engine_name(static_cast<isa::Engine>(e)))}}}});
  }
  events.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", hbm_pid}, {"args", {{"name", "HBM"}}}});
  for (const TraceEvent& t : result.trace) {
    if (t.kind == TraceEvent::Kind::slice) {
      events.push_back({{"ph", "X"},
                        {"name", std::string(t.name)},
                        {"pid", t.core + 1},
                        {"tid", static_cast<int>(t.engine)},
                        {"ts", t.start_cycle * us_per_cycle},
                        {"dur", t.duration_cycles * us_per_cycle},
                        {"args", {{"instruction", t.instruction}, {"cycles", t.duration_cycles}}}});
    } else {
      events.push_back({{"ph", "C"},
                        {"name", std::string(t.name)},
                        {"pid", hbm_pid},
                        {"ts", t.start_cycle * us_per_cycle},
                        {"args", {{"read", t.value}, {"write", t.value2}}}});
    }
  }
  Json doc;
  doc["traceEvents"] = events;
  doc["displayTimeUnit"] = "ns";
  doc["otherData"] = {{"chip", chip.name}, {"cycles", result.cycles}, {"clock_mhz", chip.clock_mhz}};
  return doc.dump() + "\n";
}

}  // namespace xpusim::perfsim
