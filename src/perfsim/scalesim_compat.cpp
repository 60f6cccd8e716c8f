#include "perfsim/scalesim_compat.h"

#include <array>
#include <charconv>
#include <optional>

#include "support/checked_math.h"
#include "support/input_file.h"
#include "support/text.h"

namespace xpusim::perfsim {
namespace {

// A field of one CSV line: its text with the spaces around it removed, and its 1-based byte column.
struct Field {
  std::string_view text;
  int column = 0;
};

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return a / b + (a % b != 0); }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

Field trimmed(std::string_view line, std::size_t begin, std::size_t end) {
  while (begin < end && is_space(line[begin])) ++begin;
  while (end > begin && is_space(line[end - 1])) --end;
  return {line.substr(begin, end - begin), static_cast<int>(begin) + 1};
}

std::vector<Field> split_fields(std::string_view line) {
  std::vector<Field> fields;
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == ',') {
      fields.push_back(trimmed(line, begin, i));
      begin = i + 1;
    }
  }
  // SCALE-Sim's rows end with a comma; the empty field after it is not a column.
  if (fields.size() > 1 && fields.back().text.empty()) fields.pop_back();
  return fields;
}

// The names of a conv row's columns, for messages; the ninth (stride width) is optional.
constexpr std::array<std::string_view, 9> kConvColumns = {
    "layer name", "ifmap height", "ifmap width", "filter height", "filter width",
    "channel count", "filter count", "stride", "stride width"};
constexpr std::array<std::string_view, 4> kGemmColumns = {"layer name", "M", "N", "K"};

class LineParser {
 public:
  LineParser(const std::string& file, int line, Diagnostics& out) : file_(file), line_(line), out_(out) {}

  void error(int column, const std::string& message) { out_.error({file_, line_, column}, {}, message); }

  // A size of at least 1, or nullopt after recording why not.
  std::optional<std::int64_t> size(const Field& field, std::string_view column_name) {
    const std::string_view text = field.text;
    if (text.empty()) {
      error(field.column, "the " + std::string(column_name) + " is empty; expected a whole number of at least 1");
      return std::nullopt;
    }
    std::size_t digits_from = text[0] == '+' || text[0] == '-' ? 1 : 0;
    const bool all_digits = digits_from < text.size() &&
                            text.find_first_not_of("0123456789", digits_from) == std::string_view::npos;
    if (!all_digits) {
      error(field.column, "the " + std::string(column_name) + " " + quote_value(text) + " is not a whole number");
      return std::nullopt;
    }
    if (text[0] == '-') {
      const bool zero = text.find_first_not_of('0', 1) == std::string_view::npos;
      error(field.column, "the " + std::string(column_name) + " is " + std::string(zero ? "0" : text) +
                              "; it must be at least 1");
      return std::nullopt;
    }
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data() + digits_from, text.data() + text.size(), value);
    if (ec == std::errc::result_out_of_range) {
      error(field.column, "the " + std::string(column_name) + " " + quote_value(text) + " is too large");
      return std::nullopt;
    }
    if (value < 1) {
      error(field.column, "the " + std::string(column_name) + " is 0; it must be at least 1");
      return std::nullopt;
    }
    return value;
  }

 private:
  const std::string& file_;
  int line_;
  Diagnostics& out_;
};

bool has_control_bytes(std::string_view text) {
  for (const char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

// Appends the layer on one data line, or records why it cannot.
void parse_line(std::string_view line, int line_number, const std::string& file, TopologyFormat format,
                Topology& topology, Diagnostics& out) {
  LineParser parser(file, line_number, out);
  const std::vector<Field> fields = split_fields(line);
  const bool conv = format == TopologyFormat::conv;
  const std::size_t min_fields = conv ? 8 : 4;
  const std::size_t max_fields = conv ? 9 : 4;
  if (fields.size() < min_fields || fields.size() > max_fields) {
    const std::string expected =
        conv ? "a conv row has 8 or 9 columns: layer name, ifmap height, ifmap width, filter height, filter width, "
               "channels, filters, stride [, stride width]"
             : "a GEMM row has 4 columns: layer name, M, N, K";
    if (fields.size() < min_fields) {
      const std::string_view missing = conv ? kConvColumns[fields.size()] : kGemmColumns[fields.size()];
      const bool looks_gemm = conv && fields.size() == 4;
      parser.error(static_cast<int>(line.size()) + 1,
                   "the " + std::string(missing) + " is missing (" + expected + ")" +
                       (looks_gemm ? "; a GEMM topology needs --gemm" : ""));
    } else {
      parser.error(fields[max_fields].column, "extra column (" + expected + ")" +
                                                  (conv ? "" : "; a conv topology needs no --gemm"));
    }
    return;
  }
  TopologyLayer layer;
  layer.line = line_number;
  layer.name = std::string(fields[0].text);
  if (layer.name.empty()) {
    parser.error(fields[0].column, "the layer name is empty");
    return;
  }
  if (has_control_bytes(layer.name)) {
    parser.error(fields[0].column, "the layer name " + quote_value(layer.name) + " holds a control character");
    return;
  }
  std::vector<std::int64_t> values;
  bool ok = true;
  for (std::size_t i = 1; i < fields.size(); ++i) {
    const std::optional<std::int64_t> value = parser.size(fields[i], conv ? kConvColumns[i] : kGemmColumns[i]);
    ok = ok && value.has_value();
    values.push_back(value.value_or(0));
  }
  if (!ok) return;
  const auto overflow = [&](const std::string& what) {
    parser.error(fields[1].column, what + " overflows a 64-bit count: the sizes are too large");
  };
  if (conv) {
    const std::int64_t ifmap_h = values[0], ifmap_w = values[1], filter_h = values[2], filter_w = values[3];
    const std::int64_t channels = values[4], filters = values[5], stride_h = values[6];
    const std::int64_t stride_w = values.size() > 7 ? values[7] : stride_h;
    if (filter_h > ifmap_h) {
      parser.error(fields[3].column, "the filter height " + std::to_string(filter_h) + " is larger than the ifmap height " +
                                         std::to_string(ifmap_h) + " (SCALE-Sim applies no padding)");
      return;
    }
    if (filter_w > ifmap_w) {
      parser.error(fields[4].column, "the filter width " + std::to_string(filter_w) + " is larger than the ifmap width " +
                                         std::to_string(ifmap_w) + " (SCALE-Sim applies no padding)");
      return;
    }
    // Output pixels with no padding, rounded UP as SCALE-Sim does: ceil((ifmap - filter + stride) / stride),
    // i.e. ceil((ifmap - filter) / stride) + 1 (224, 7, 2 gives 110, where a framework's floor gives 109).
    const std::int64_t ofmap_h = ceil_div(ifmap_h - filter_h, stride_h) + 1;
    const std::int64_t ofmap_w = ceil_div(ifmap_w - filter_w, stride_w) + 1;
    // SCALE-Sim runs a depth-wise layer (one whose name holds "DP") once per channel, with one channel.
    const bool depthwise = layer.name.find("DP") != std::string::npos;
    layer.copies = depthwise ? channels : 1;
    const std::optional<std::int64_t> m = checked_product({ofmap_h, ofmap_w});
    const std::optional<std::int64_t> k = checked_product({filter_h, filter_w, depthwise ? 1 : channels});
    if (!m || !k) return overflow(!m ? "the ofmap's pixel count" : "the filter window (height x width x channels)");
    layer.m = *m;
    layer.n = filters;
    layer.k = *k;
  } else {
    layer.m = values[0];
    layer.n = values[1];
    layer.k = values[2];
  }
  if (!checked_product({layer.m, layer.n, layer.k, layer.copies})) return overflow("the layer's MAC count (M x N x K)");
  topology.layers.push_back(std::move(layer));
}

// Whether a line has a layer's columns, each after the name a whole number.
bool looks_like_layer(std::string_view line, TopologyFormat format) {
  const std::vector<Field> fields = split_fields(line);
  const bool conv = format == TopologyFormat::conv;
  if (fields.size() != 4 && !(conv && (fields.size() == 8 || fields.size() == 9))) return false;
  for (std::size_t i = 1; i < fields.size(); ++i)
    if (fields[i].text.empty() || fields[i].text.find_first_not_of("0123456789") != std::string_view::npos)
      return false;
  return !conv || fields.size() > 4;
}

// Where a dataflow puts the GEMM's dimensions, and what one fold costs.
struct Mapping {
  std::int64_t spatial_rows = 0, spatial_cols = 0, temporal = 0;
};

Mapping map_gemm(const TopologyLayer& layer, Dataflow dataflow) {
  switch (dataflow) {
    case Dataflow::output_stationary: return {layer.m, layer.n, layer.k};
    case Dataflow::weight_stationary: return {layer.k, layer.n, layer.m};
    case Dataflow::input_stationary: return {layer.k, layer.m, layer.n};
  }
  XPUSIM_ASSERT(false, "every dataflow is handled above");
  return {};
}

}  // namespace

std::string_view dataflow_name(Dataflow dataflow) {
  switch (dataflow) {
    case Dataflow::output_stationary: return "os";
    case Dataflow::weight_stationary: return "ws";
    case Dataflow::input_stationary: return "is";
  }
  return "?";
}

Expected<Topology> parse_topology(std::string_view text, const std::string& file, TopologyFormat format) {
  Diagnostics diagnostics;
  if (!check_utf8_text(text, file, diagnostics)) return Error(std::move(diagnostics));
  Topology topology;
  topology.file = file;
  int line_number = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(at, end - at);
    at = end + 1;
    ++line_number;
    // The first line is a header, whatever it holds, and blank lines are skipped, as in SCALE-Sim.
    if (line_number == 1 && looks_like_layer(line, format))
      topology.warnings.warning({file, 1, 1}, {},
                                "the first line is skipped as a header, as SCALE-Sim does, but it reads as a layer; "
                                "put a header line above it to time it");
    if (line_number == 1 || trimmed(line, 0, line.size()).text.empty()) continue;
    parse_line(line, line_number, file, format, topology, diagnostics);
  }
  if (!diagnostics.has_errors() && topology.layers.empty())
    diagnostics.error({file, line_number > 1 ? line_number : 1, 1}, {},
                      "the topology has no layers: the first line is a header, and each line after it is a layer");
  if (diagnostics.has_errors()) return Error(std::move(diagnostics));
  return topology;
}

Expected<Topology> load_topology(const std::filesystem::path& path, const std::string& label, TopologyFormat format) {
  Expected<std::string> text = read_input_file(path, kMaxTopologyFileBytes, label, "topology file");
  if (!text.ok()) return text.error();
  return parse_topology(*text, label, format);
}

Expected<LayerTiming> time_layer(const TopologyLayer& layer, ArrayShape array, Dataflow dataflow,
                                 const std::string& file) {
  XPUSIM_ASSERT(array.rows >= 1 && array.cols >= 1 && array.rows <= kMaxArraySide && array.cols <= kMaxArraySide,
                "the caller checks the array's shape");
  const Mapping mapping = map_gemm(layer, dataflow);
  LayerTiming t{.name = layer.name,
                .copies = layer.copies,
                .m = layer.m,
                .n = layer.n,
                .k = layer.k,
                .spatial_rows = mapping.spatial_rows,
                .spatial_cols = mapping.spatial_cols,
                .temporal = mapping.temporal,
                .row_folds = ceil_div(mapping.spatial_rows, array.rows),
                .col_folds = ceil_div(mapping.spatial_cols, array.cols)};
  const std::int64_t r = array.rows, c = array.cols, time = mapping.temporal;
  // Demand lines of one fold (docs/scalesim.md): output stationary streams T operands in, skewed over
  // the rows and columns, then drains; the stationary dataflows first load the array (R lines, skewed
  // over R more), stream T, and drain through the columns.
  const bool os = dataflow == Dataflow::output_stationary;
  t.cycles_per_fold = os ? time + r + c - 2 : 2 * r + c + time - 2;
  // The span SCALE-Sim divides by for a fold's compute utilization, one line per demand row plus skew.
  const std::int64_t utilization_span = os ? t.cycles_per_fold : 2 * r + 2 * c + time - 3;
  const std::optional<std::int64_t> folds = checked_product({t.row_folds, t.col_folds});
  const std::optional<std::int64_t> lines = folds ? checked_product({*folds, t.cycles_per_fold}) : std::nullopt;
  // SCALE-Sim reports the cycle index of the last output write, counted from 0: the lines less one.
  const std::optional<std::int64_t> cycles = lines ? checked_product({*lines - 1, layer.copies}) : std::nullopt;
  const std::optional<std::int64_t> macs = checked_product({layer.m, layer.n, layer.k, layer.copies});
  if (!cycles || !macs) {
    Diagnostics d;
    d.error({file, layer.line, 1}, {},
            "layer " + quote_value(layer.name) + ": its cycle count overflows a 64-bit count on this array");
    return Error(std::move(d));
  }
  t.cycles = *cycles;
  t.macs = *macs;
  const double pes = static_cast<double>(r) * static_cast<double>(c);
  const double mapped = static_cast<double>(mapping.spatial_rows) * static_cast<double>(mapping.spatial_cols);
  // A 1 x 1 output-stationary array on K = 1 takes "0 cycles" by SCALE-Sim's count; call its use 0.
  t.overall_util_pct = t.cycles > 0 ? 100.0 * static_cast<double>(t.macs) / (static_cast<double>(t.cycles) * pes) : 0;
  // Each fold maps a rows-part by a cols-part; the parts over all folds sum to Sr x Sc.
  t.mapping_efficiency_pct = 100.0 * mapped / (static_cast<double>(*folds) * pes);
  t.compute_util_pct = 100.0 * mapped * static_cast<double>(time) /
                       (static_cast<double>(*folds) * pes * static_cast<double>(utilization_span));
  return t;
}

Expected<ScaleSimRun> run_scalesim(const Topology& topology, ArrayShape array, Dataflow dataflow) {
  ScaleSimRun run;
  run.array = array;
  run.dataflow = dataflow;
  run.layers.reserve(topology.layers.size());
  for (const TopologyLayer& layer : topology.layers) {
    Expected<LayerTiming> timing = time_layer(layer, array, dataflow, topology.file);
    if (!timing.ok()) return timing.error();
    if (__builtin_add_overflow(run.total_cycles, timing->cycles, &run.total_cycles) ||
        __builtin_add_overflow(run.total_macs, timing->macs, &run.total_macs)) {
      Diagnostics d;
      d.error({topology.file, layer.line, 1}, {}, "the total cycle count overflows a 64-bit count");
      return Error(std::move(d));
    }
    run.layers.push_back(std::move(*timing));
  }
  if (run.total_cycles > 0)
    run.overall_util_pct = 100.0 * static_cast<double>(run.total_macs) /
                           (static_cast<double>(run.total_cycles) * static_cast<double>(array.rows) *
                            static_cast<double>(array.cols));
  return run;
}

}  // namespace xpusim::perfsim
