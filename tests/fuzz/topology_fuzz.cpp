// libFuzzer target: any bytes given to the SCALE-Sim topology parser, in either layout, and any array
// shape the first bytes choose, must come back as a timing or a located error: never a crash, a hang,
// a sanitizer report (signed overflow in a fold or cycle count) or an uncaught exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "perfsim/scalesim_compat.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace xpusim::perfsim;
  if (size < 3) return 0;
  // The first three bytes pick the array (sides 1 to 2^16, as large as the CLI allows is not needed
  // to reach overflow: the sizes in the text can be huge) and the dataflow.
  const ArrayShape array{1 + (std::int64_t{data[0]} << 8 | data[1]) % 65536, 1 + std::int64_t{data[1]} * 257 % 65536};
  const Dataflow dataflow = static_cast<Dataflow>(data[2] % 3);
  const std::string_view text(reinterpret_cast<const char*>(data + 3), size - 3);
  for (TopologyFormat format : {TopologyFormat::conv, TopologyFormat::gemm}) {
    const xpusim::Expected<Topology> topology = parse_topology(text, "fuzz.csv", format);
    if (topology.ok()) (void)run_scalesim(*topology, array, dataflow);
  }
  return 0;
}
