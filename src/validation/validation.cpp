#include "validation/validation.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <variant>

#include "econ/power.h"
#include "frontend/llm/llm_builder.h"
#include "ir/graph.h"
#include "network/collectives.h"
#include "parallel/training.h"
#include "perfmodel/chip_model.h"
#include "serve/serving.h"
#include "support/input_file.h"
#include "support/text.h"

namespace xpusim::validation {
namespace {

using Json = nlohmann::ordered_json;

constexpr double kGiB = 1024.0 * 1024 * 1024;

// ------------------------------------------------------------------------------------ YAML access

SourceLocation at(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

// The node at a dotted path below `node` ("workload.m"), or nullopt when a step is missing or null.
std::optional<YAML::Node> child(const YAML::Node& node, std::string_view path) {
  // Node::operator= writes through to the node it refers to; reset() rebinds, which is what walking needs.
  YAML::Node current;
  current.reset(node);
  while (!path.empty()) {
    const std::size_t dot = path.find('.');
    const std::string key(path.substr(0, dot));
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
    if (!current.IsMap()) return std::nullopt;
    const YAML::Node next = current[key];
    if (!next.IsDefined() || next.IsNull()) return std::nullopt;
    current.reset(next);
  }
  return current;
}

std::optional<std::string> text_at(const YAML::Node& node, std::string_view path) {
  const std::optional<YAML::Node> n = child(node, path);
  if (!n || !n->IsScalar()) return std::nullopt;
  return n->Scalar();
}

constexpr int kSchemaVersion = 1;
constexpr double kMinMeasured = 1e-6;
constexpr double kMaxMeasured = 1e12;

std::optional<double> number_at(const YAML::Node& node, std::string_view path) {
  const std::optional<YAML::Node> n = child(node, path);
  if (!n || !n->IsScalar()) return std::nullopt;
  try {
    const double value = n->as<double>();
    if (!std::isfinite(value)) return std::nullopt;
    return value;
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
}

// Above any chip count, matrix dimension, batch or sequence length a published case states, and small
// enough that an int holds it and a product of two fits in 64 bits.
constexpr double kMaxCount = 1e8;

// A positive whole number up to kMaxCount, or nullopt (absent, null, fractional, not a number, too large).
std::optional<std::int64_t> count_at(const YAML::Node& node, std::string_view path) {
  const std::optional<double> value = number_at(node, path);
  if (!value || *value < 1 || *value > kMaxCount || std::floor(*value) != *value) return std::nullopt;
  return static_cast<std::int64_t>(*value);
}

std::optional<bool> flag_at(const YAML::Node& node, std::string_view path) {
  const std::optional<YAML::Node> n = child(node, path);
  if (!n || !n->IsScalar()) return std::nullopt;
  try {
    return n->as<bool>();
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string sig(double value) {
  return format_significant(value, 4);
}

// --------------------------------------------------------------------------------- chip mapping

// Accelerator names as published -> chip specs. A row matches when the lower-cased name holds every
// `all` word and no `none` word; the first match wins, so specific rows come first. A row with an
// empty chip is a known part that has no spec, with the reason.
struct ChipRow {
  std::vector<std::string_view> all;
  std::vector<std::string_view> none;
  std::string_view chip;
  std::string_view no_spec_reason;
};

const std::vector<ChipRow>& chip_table() {
  static const std::vector<ChipRow> rows = {
      {{"gb200"}, {}, "gb200", {}},
      {{"gb300"}, {}, {}, "no chip spec for the GB300 (Blackwell Ultra)"},
      {{"b200"}, {}, "b200", {}},
      {{"h200", "cts"}, {}, {}, "the H200 CTS runs at 1000 W; h200-sxm describes the 700 W part"},
      {{"h200", "1000 w"}, {}, {}, "the 1000 W H200 has no chip spec; h200-sxm describes the 700 W part"},
      {{"h200"}, {"nvl"}, "h200-sxm", {}},
      {{"h100"}, {"pcie", "nvl"}, "h100-sxm", {}},
      {{"a100"}, {"pcie", "40gb", "40 gb"}, "a100-sxm-80gb", {}},
      {{"mi300x"}, {}, "mi300x", {}},
      {{"tpu", "v4"}, {}, "tpu-v4", {}},
      {{"tpu", "v5p"}, {}, "tpu-v5p", {}},
      {{"tpu", "v5e"}, {}, "tpu-v5e", {}},
      {{"tpu", "v6e"}, {}, "tpu-v6e", {}},
      {{"trillium"}, {}, "tpu-v6e", {}},
      {{"trainium2"}, {}, "trainium2", {}},
      {{"trn2"}, {}, "trainium2", {}},
  };
  return rows;
}

struct ChipMatch {
  std::string chip;    // empty: none
  std::string reason;  // why none
};

ChipMatch map_accelerator(const std::string& accelerator, const spec::SpecResolver& library) {
  const std::string name = lower(accelerator);
  for (const ChipRow& row : chip_table()) {
    const bool all = std::all_of(row.all.begin(), row.all.end(), [&](std::string_view w) { return contains(name, w); });
    const bool none =
        std::none_of(row.none.begin(), row.none.end(), [&](std::string_view w) { return contains(name, w); });
    if (!all || !none) continue;
    if (row.chip.empty()) return {{}, std::string(row.no_spec_reason)};
    if (!library.find(spec::Kind::chip, row.chip))
      return {{}, "accelerator maps to chip spec " + std::string(row.chip) + ", which the library lacks"};
    return {std::string(row.chip), {}};
  }
  return {{}, "unknown accelerator " + quote_value(accelerator) + ": no chip spec maps to it"};
}

// The scale-up system each chip is measured in (the clouds' VMs are these boards).
std::string_view system_of(std::string_view chip) {
  static const std::map<std::string_view, std::string_view> systems = {
      {"a100-sxm-80gb", "dgx-a100"}, {"h100-sxm", "dgx-h100"}, {"h200-sxm", "hgx-h200"},
      {"b200", "dgx-b200"},          {"gb200", "gb200-nvl72"}, {"mi300x", "mi300x-platform"}};
  const auto it = systems.find(chip);
  return it == systems.end() ? std::string_view{} : it->second;
}

// The TPU system a slice of each TPU chip is built from: a 4x4x4 cube (v4, v5p) or a 16x16 pod (v5e, v6e).
std::string_view tpu_system_of(std::string_view chip) {
  static const std::map<std::string_view, std::string_view> systems = {{"tpu-v4", "tpu-v4-4x4x4"},
                                                                       {"tpu-v5p", "tpu-v5p-4x4x4"},
                                                                       {"tpu-v5e", "tpu-v5e-16x16"},
                                                                       {"tpu-v6e", "tpu-v6e-16x16"}};
  const auto it = systems.find(chip);
  return it == systems.end() ? std::string_view{} : it->second;
}

// ---------------------------------------------------------------------------------- calibration

bool id_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// Whether `text` names `id` as a case it was fitted to: the id appears as a whole word (not as part of
// a longer id) and is not followed by "held out".
bool names_as_calibration(std::string_view text, std::string_view id) {
  for (std::size_t at = text.find(id); at != std::string_view::npos; at = text.find(id, at + 1)) {
    const std::size_t end = at + id.size();
    if (at > 0 && (id_char(text[at - 1]) || text[at - 1] == '.')) continue;
    if (end < text.size() && id_char(text[end])) continue;
    if (end + 1 < text.size() && text[end] == '.' && std::isalnum(static_cast<unsigned char>(text[end + 1]))) continue;
    std::size_t next = end;
    while (next < text.size() && text[next] == ' ') ++next;
    if (text.substr(next).starts_with("held out")) continue;
    return true;
  }
  return false;
}

// Spec name -> the text of its efficiency sources: each chip's sources.efficiency and each network's
// switch efficiency sources (switch.collective_efficiency, switch.reduction_efficiency).
std::vector<std::pair<std::string, std::string>> efficiency_sources(const spec::SpecResolver& library) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& name : library.names(spec::Kind::chip)) {
    const spec::Document* doc = library.find(spec::Kind::chip, name);
    if (!doc) continue;
    const auto& chip = std::get<spec::ChipSpec>(doc->spec);
    if (auto it = chip.sources.find("efficiency"); it != chip.sources.end()) out.emplace_back(name, it->second);
  }
  for (const std::string& name : library.names(spec::Kind::network)) {
    const spec::Document* doc = library.find(spec::Kind::network, name);
    if (!doc) continue;
    const auto& network = std::get<spec::NetworkSpec>(doc->spec);
    std::string text;
    for (const char* key : {"switch.collective_efficiency", "switch.reduction_efficiency"})
      if (auto it = network.sources.find(key); it != network.sources.end()) text += it->second + "\n";
    if (!text.empty()) out.emplace_back(name, text);
  }
  // A process's energy figures fitted to power cases (energy.static_fraction) name them the same way.
  for (const std::string& name : library.names(spec::Kind::process)) {
    const spec::Document* doc = library.find(spec::Kind::process, name);
    if (!doc) continue;
    const auto& process = std::get<spec::ProcessSpec>(doc->spec);
    std::string text;
    for (const auto& [key, source] : process.sources)
      if (key.starts_with("energy.")) text += source + "\n";
    if (!text.empty()) out.emplace_back(name, text);
  }
  return out;
}

// ------------------------------------------------------------------------------------ predictors

struct Prediction {
  std::optional<double> value;
  std::string method;
  std::string reason;  // when there is no value
};

Prediction not_expressible(std::string reason, std::string method = {}) {
  return {std::nullopt, std::move(method), std::move(reason)};
}

const spec::ChipSpec& chip_spec(const spec::SpecResolver& library, const std::string& name) {
  return std::get<spec::ChipSpec>(library.find(spec::Kind::chip, name)->spec);
}

Prediction predict_gemm(const YAML::Node& c, const spec::ChipSpec& chip) {
  const auto m = count_at(c, "workload.m"), n = count_at(c, "workload.n"), k = count_at(c, "workload.k");
  if (!m || !n || !k) return not_expressible("the case gives no GEMM shape (workload.m, n, k)");
  const std::optional<std::string> dtype_text = text_at(c, "workload.dtype");
  if (!dtype_text) return not_expressible("the case gives no workload.dtype");
  const std::optional<ir::DType> dtype = ir::parse_dtype(lower(*dtype_text));
  if (!dtype) return not_expressible("unknown dtype " + quote_value(*dtype_text));
  // Narrow formats accumulate in fp32 and write bf16 (cuBLASLt's fp8 and fp4 GEMMs); others write
  // their own type.
  const bool narrow = ir::dtype_bytes(*dtype) < 2;
  const ir::DType out_dtype = narrow ? ir::DType::bf16 : *dtype;
  ir::Graph graph;
  const ir::TensorId a = graph.add_tensor("A", {*m, *k}, *dtype, ir::TensorRole::activation);
  const ir::TensorId b = graph.add_tensor("B", {*k, *n}, *dtype, ir::TensorRole::weight);
  const ir::TensorId out = graph.add_op(ir::OpKind::matmul, "gemm", {a, b});
  graph.tensor(out).dtype = out_dtype;
  std::string method = "C[" + std::to_string(*m) + "," + std::to_string(*n) + "] = A[" + std::to_string(*m) + "," +
                       std::to_string(*k) + "] B[" + std::to_string(*k) + "," + std::to_string(*n) + "], " +
                       std::string(ir::dtype_name(*dtype)) + " in, " + std::string(ir::dtype_name(out_dtype)) +
                       " out; 2mnk / time";
  const perfmodel::ChipModel model(chip);
  Expected<perfmodel::GraphTime> time = perfmodel::evaluate(model, graph, perfmodel::Interconnect{});
  if (!time.ok()) return not_expressible(time.error().to_string(), method);
  const double flops = 2.0 * static_cast<double>(*m) * static_cast<double>(*n) * static_cast<double>(*k);
  return {flops / time->seconds / 1e12,
          method + " (" + std::string(perfmodel::bound_name(time->ops[0].bound)) + "-bound)",
          {}};
}

Prediction predict_memory(const YAML::Node& c, const spec::ChipSpec& chip) {
  const std::string metric = lower(text_at(c, "measured.metric").value_or(""));
  if (!contains(metric, "stream") && !contains(metric, "triad") && !contains(metric, "copy") &&
      !contains(metric, "bandwidth"))
    return not_expressible("metric " + quote_value(metric) + " is not a streaming bandwidth");
  const double predicted = chip.hbm.bandwidth_tb_s * chip.efficiency.hbm;
  return {predicted,
          "HBM peak " + format_number(chip.hbm.bandwidth_tb_s) + " TB/s x efficiency.hbm " +
              format_number(chip.efficiency.hbm) +
              "; a triad's 3 arrays (2 read, 1 written) over its time, as STREAM counts them, is the achieved "
              "streaming bandwidth",
          {}};
}

// Why a case cannot be stated whatever the chip: the experiment itself is outside what xpusim models.
std::optional<std::string> experiment_reason(std::string_view kind, const YAML::Node& c) {
  if (kind == "attention_kernel") {
    const std::string kernel = lower(text_at(c, "workload.kernel").value_or(""));
    const std::string shape = lower(text_at(c, "workload.shape").value_or(""));
    if (contains(kernel, "flashattention-3") || contains(kernel, "flash_attn 3") || contains(kernel, "fa3"))
      return "FlashAttention-3 (Hopper warp specialization, wgmma/TMA pipelining, fp8) is a different kernel "
             "generation from the FlashAttention-2-class kernels that efficiency.attention is calibrated on";
    if (contains(shape, "peak over") || !count_at(c, "workload.batch") || !count_at(c, "workload.seq_len") ||
        !count_at(c, "workload.head_dim"))
      return "the source reports the peak over a sweep of shapes; the shape of the peak point (batch, sequence "
             "length, head dim) is not recorded";
  }
  if (kind == "inference_throughput") {
    const std::string benchmark = lower(text_at(c, "workload.benchmark").value_or(""));
    if (child(c, "workload.scenario") || contains(benchmark, "mlperf"))
      return "MLPerf runs are set by a request scheduler (offline: as many queries as the engine takes; server: "
             "Poisson arrivals held to TTFT <= 2 s and TPOT <= 200 ms) over OpenOrca's length distribution, with "
             "instances of their own parallelism; xpusim's serving estimate is one static batch of fixed lengths";
  }
  if (kind == "power_under_load") {
    const std::string phase = lower(text_at(c, "workload.phase").value_or(""));
    const std::string metric = lower(text_at(c, "measured.metric").value_or(""));
    if (phase == "fleet")
      return "a mean over a fleet's whole mix of production workloads: no one workload, batch or parallelism to "
             "state";
    if (contains(metric, "max"))
      return "the largest instantaneous draw, not the average over a workload that the power model gives; the "
             "training configuration (framework, parallelism, batch) is not published with it";
  }
  return std::nullopt;
}

Prediction predict_attention(const YAML::Node& c, const spec::ChipSpec& chip) {
  const auto batch = count_at(c, "workload.batch"), seq = count_at(c, "workload.seq_len"),
             head_dim = count_at(c, "workload.head_dim");
  if (!batch || !seq || !head_dim) return not_expressible("the case gives no batch, seq_len and head_dim");
  // flash-attention's benchmarks/benchmark_flash_attention.py, which the Azure guide runs: model width
  // 2048 (heads = 2048 / head_dim), fp16, forward and backward timed separately; FLOPs 4 b h s^2 d
  // forward and 2.5x that backward; fwd+bwd TFLOP/s = 3.5 x forward FLOPs / (fwd time + bwd time).
  constexpr std::int64_t kWidth = 2048;
  const std::int64_t heads = count_at(c, "workload.heads").value_or(kWidth / *head_dim);
  if (heads < 1) return not_expressible("head_dim " + std::to_string(*head_dim) + " exceeds the model width");
  const bool causal = flag_at(c, "workload.causal").value_or(false);
  const ir::DType dtype = ir::DType::fp16;
  ir::Graph graph;
  const ir::Shape qkv{*batch, heads, *seq, *head_dim};
  const ir::TensorId q = graph.add_tensor("Q", qkv, dtype, ir::TensorRole::activation);
  const ir::TensorId k = graph.add_tensor("K", qkv, dtype, ir::TensorRole::activation);
  const ir::TensorId v = graph.add_tensor("V", qkv, dtype, ir::TensorRole::activation);
  ir::OpAttrs attrs;
  attrs.causal = causal;
  const ir::TensorId o = graph.add_op(ir::OpKind::attention, "attention", {q, k, v}, attrs);
  const ir::TensorId d_o = graph.add_tensor("dO", qkv, dtype, ir::TensorRole::gradient);
  graph.add_op_multi(ir::OpKind::attention_backward, "attention_backward", {q, k, v, o, d_o}, attrs, 1,
                     ir::Phase::backward);
  const std::string method = "FlashAttention-2 fwd+bwd, batch " + std::to_string(*batch) + ", " +
                             std::to_string(heads) + " heads x head_dim " + std::to_string(*head_dim) + ", seq " +
                             std::to_string(*seq) + (causal ? ", causal" : ", non-causal") +
                             ", fp16; (4bhs^2d + 2.5x) / (fwd + bwd time)";
  const perfmodel::ChipModel model(chip);
  Expected<perfmodel::GraphTime> time = perfmodel::evaluate(model, graph, perfmodel::Interconnect{});
  if (!time.ok()) return not_expressible(time.error().to_string(), method);
  return {time->flops / time->seconds / 1e12, method, {}};
}

// "Llama 3.1 8B" -> "llama3.1-8b", the library's naming.
std::string model_spec_name(std::string_view published) {
  std::string name = lower(published);
  if (name.starts_with("llama ")) name.erase(5, 1);
  std::replace(name.begin(), name.end(), ' ', '-');
  return name;
}

// Differences between the case's stated architecture and the spec's, as "layers 80 vs 126; ...".
std::string shape_mismatch(const YAML::Node& c, const spec::ModelSpec& model) {
  std::string out;
  auto check = [&](std::string_view path, std::int64_t spec_value) {
    const auto value = count_at(c, path);
    if (value && *value != spec_value) {
      if (!out.empty()) out += "; ";
      out += std::string(path.substr(path.find('.') + 1)) + " " + std::to_string(*value) + " in the case, " +
             std::to_string(spec_value) + " in the spec";
    }
  };
  check("model.layers", model.layers);
  check("model.hidden", model.hidden);
  check("model.heads", model.heads);
  check("model.kv_heads", model.kv_head_count());
  check("model.ffn", model.ffn_hidden);
  check("model.vocab", model.vocab);
  return out;
}

Prediction predict_inference(const YAML::Node& c, const spec::ChipSpec& chip, const spec::SpecResolver& library) {
  const std::optional<std::string> model_name = text_at(c, "model.name");
  if (!model_name) return not_expressible("the case names no model");
  const std::string spec_name = model_spec_name(*model_name);
  const spec::Document* model_doc = library.find(spec::Kind::model, spec_name);
  if (!model_doc) return not_expressible("no model spec " + spec_name + " for " + quote_value(*model_name));
  const auto& model = std::get<spec::ModelSpec>(model_doc->spec);
  if (std::string mismatch = shape_mismatch(c, model); !mismatch.empty())
    return not_expressible("model spec " + spec_name + " differs from the case: " + mismatch);

  const auto prompt = count_at(c, "workload.input_len"), gen = count_at(c, "workload.output_len");
  if (!prompt || !gen) return not_expressible("the case gives no input_len and output_len");
  if (const auto pp = count_at(c, "parallelism.pp"); pp && *pp > 1)
    return not_expressible("pipeline parallelism is not part of the serving estimate");

  serve::ServeOptions options;
  options.prompt = *prompt;
  options.gen = *gen;
  // Tensor parallel over the world size; an unstated world size is one GPU (the guide's configuration
  // runs the 8B models with tp_sizes [1]).
  const std::int64_t tp = count_at(c, "workload.world_size").value_or(count_at(c, "parallelism.tp").value_or(1));
  options.llm.tp = static_cast<int>(tp);
  const std::string precision = lower(text_at(c, "hardware.precision").value_or(""));
  if (contains(precision, "fp8")) {
    options.llm.dtype = ir::DType::fp8_e4m3;
    options.llm.kv_dtype = ir::DType::fp8_e4m3;  // trtllm-bench forces an fp8 KV cache with fp8 quantization
  } else if (contains(precision, "fp16") && !contains(precision, "bf16")) {
    options.llm.dtype = options.llm.kv_dtype = ir::DType::fp16;
  } else if (precision.empty() || contains(precision, "bf16")) {
    options.llm.dtype = options.llm.kv_dtype = ir::DType::bf16;
  } else {
    return not_expressible("precision " + quote_value(precision) + " is not one the serving estimate runs");
  }

  const std::string_view system_name = system_of(chip.name);
  const spec::Document* system_doc = system_name.empty() ? nullptr : library.find(spec::Kind::system, system_name);
  const spec::SystemSpec* system = system_doc ? &std::get<spec::SystemSpec>(system_doc->spec) : nullptr;
  const spec::Document* network_doc = system ? library.find(spec::Kind::network, system->scale_up.network) : nullptr;
  const spec::NetworkSpec* network = network_doc ? &std::get<spec::NetworkSpec>(network_doc->spec) : nullptr;
  if (tp > 1 && !system) return not_expressible("tp " + std::to_string(tp) + " needs a system spec for " + chip.name);
  const perfmodel::Interconnect link = serve::interconnect_of(chip, system, network);

  const auto requests = count_at(c, "workload.num_requests");
  const auto batch = count_at(c, "workload.batch");
  std::string method = spec_name + ", tp " + std::to_string(tp) + (system ? " on " + system->name : "") + ", " +
                       std::string(ir::dtype_name(options.llm.dtype)) + " weights, " +
                       std::string(ir::dtype_name(options.llm.kv_dtype)) + " KV, " + std::to_string(*prompt) +
                       " in / " + std::to_string(*gen) + " out";
  if (batch) {
    // A static batch through prefill and gen decode steps (TensorRT-LLM's benchmarks/python
    // benchmark.py): batch x output_len / latency of the whole generate call.
    options.batch = *batch;
    method += ", batch " + std::to_string(*batch) + "; output tokens / (prefill + (gen - 1) decode steps)";
    Expected<serve::ServeResult> result = serve::estimate_serving(model, chip, link, options);
    if (!result.ok()) return not_expressible(result.error().to_string(), method);
    if (!result->fits)
      return not_expressible("does not fit: " + std::string(ir::dtype_name(options.llm.dtype)) + " needs " +
                                 fixed(result->memory.total() / kGiB, 1) + " GiB per GPU (weights " +
                                 fixed(result->memory.weight_bytes / kGiB, 1) + " GiB) of " +
                                 fixed(chip.hbm.capacity_gib, 0) + " GiB" +
                                 (model.params_b && *model.params_b > 200
                                      ? "; the run must have used narrower weights (the guide's configuration names "
                                        "the FP8 checkpoint of this model)"
                                      : ""),
                             method);
    return {result->output_tokens_per_s, method, {}};
  }
  if (requests) {
    // trtllm-bench throughput: in-flight batching of num_requests requests at a concurrency (max batch
    // size, max tokens per iteration) that the engine picks and the case does not state. Guessing it
    // (e.g. waves of the largest batch that fits) is a free parameter, not a prediction.
    return not_expressible("in-flight batching of " + std::to_string(*requests) +
                               " requests at a concurrency the case does not state; xpusim models static batches "
                               "only (the scheduler model is future work)",
                           method);
  }
  return not_expressible("the case gives neither a batch nor a request count");
}

// ------------------------------------------------------------------------- collectives and training

const spec::NetworkSpec* network_spec(const spec::SpecResolver& library, const std::string& name) {
  const spec::Document* doc = library.find(spec::Kind::network, name);
  return doc ? &std::get<spec::NetworkSpec>(doc->spec) : nullptr;
}

const spec::SystemSpec* system_spec(const spec::SpecResolver& library, std::string_view name) {
  const spec::Document* doc = name.empty() ? nullptr : library.find(spec::Kind::system, name);
  return doc ? &std::get<spec::SystemSpec>(doc->spec) : nullptr;
}

// nccl-tests all_reduce_perf's bus bandwidth at 8 GB inside one scale-up domain: the chip's system
// (one node; for GB200 one NVL72 rack, of whose 72 GPUs the group uses the case's 4), its scale-up
// network spec, a group of `ranks` at level 0.
Prediction predict_collective(const YAML::Node& c, const spec::ChipSpec& chip, const spec::SpecResolver& library) {
  const std::string collective = lower(text_at(c, "workload.collective").value_or(""));
  if (!contains(collective, "all_reduce") && !contains(collective, "allreduce"))
    return not_expressible("collective " + quote_value(collective) + " is not an all-reduce");
  const std::string metric = lower(text_at(c, "measured.metric").value_or(""));
  if (!contains(metric, "busbw") || !contains(metric, "8gb"))
    return not_expressible("metric " + quote_value(metric) + " is not the all-reduce bus bandwidth at 8 GB");
  const std::int64_t ranks = count_at(c, "workload.ranks").value_or(count_at(c, "hardware.count").value_or(0));
  if (ranks < 2) return not_expressible("the case gives no rank count (workload.ranks or hardware.count)");
  const spec::SystemSpec* system = system_spec(library, system_of(chip.name));
  if (!system) return not_expressible("no system spec for " + chip.name);
  const spec::NetworkSpec* scale_up = network_spec(library, system->scale_up.network);
  const network::Topology topology = network::topology_of(*system, scale_up, 1, nullptr, 1);
  if (topology.levels.empty()) return not_expressible("system " + system->name + " has no scale-up level");
  network::Group group;
  group.ranks_per_level.assign(topology.levels.size(), 1);
  group.ranks_per_level[0] = static_cast<int>(ranks);
  constexpr double kBytes = 8e9;
  std::string method = "all-reduce of 8e9 bytes over " + std::to_string(ranks) + " of the " +
                       std::to_string(topology.levels[0].ranks) + " GPUs of one " + system->name + " (" +
                       system->scale_up.network + "); nccl-tests bus bandwidth";
  Expected<network::CollectiveTime> time =
      network::collective_time(network::Collective::all_reduce, kBytes, topology, group);
  if (!time.ok()) return not_expressible(time.error().to_string(), method);
  method += ", " + std::string(network::algorithm_name(time->algorithm));
  return {time->bus_bandwidth_gb_s, method, {}};
}

// Published training model names -> model specs; the first whose shape agrees with the case wins (the
// NeMo GPT-3 175B uses OpenAI's 50,257 vocabulary, Megatron's papers a padded 51,200).
std::vector<std::string> training_model_candidates(const std::string& published, std::int64_t seq) {
  const std::string name = lower(published);
  const std::vector<std::pair<std::string_view, std::vector<std::string>>> table = {
      {"gpt 1.7b", {"megatron-gpt-1.7b"}},
      {"gpt 3.6b", {"megatron-gpt-3.6b"}},
      {"gpt 7.5b", {"megatron-gpt-7.5b"}},
      {"gpt 18.4b", {"megatron-gpt-18b"}},
      {"gpt 39.1b", {"megatron-gpt-39b"}},
      {"gpt 76.1b", {"megatron-gpt-76b"}},
      {"gpt 145.6b", {"megatron-gpt-145b"}},
      {"gpt 310.1b", {"megatron-gpt-310b"}},
      {"gpt 529.6b", {"megatron-gpt-530b"}},
      {"gpt 530b", {"megatron-gpt-530b"}},
      {"mt-nlg 530b", {"megatron-gpt-530b"}},
      {"gpt 1008.0b", {"megatron-gpt-1t"}},
      {"gpt 1t", {"megatron-gpt-1t"}},
      {"gpt 22b", {"megatron-gpt-22b"}},
      {"gpt3-5b", {"megatron-gpt-5b"}},
      {"gpt3-20b", {"megatron-gpt-20b"}},
      {"gpt-3 175b", {"megatron-gpt-175b", "gpt3-175b"}},
      {"gpt3-175b", {"gpt3-175b", "megatron-gpt-175b"}},
      {"nemotron-4 340b", {"nemotron4-340b"}},
      {"nemotron-8b", {"nemotron-8b"}},
      {"nemotron-22b", {"nemotron-22b"}},
      {"gpt3-1.3b", {seq > 2048 ? "gpt3-1.3b-8k" : "gpt3-1.3b"}},
      {"gpt3-2.7b", {seq > 2048 ? "gpt3-2.7b-8k" : "gpt3-2.7b"}},
  };
  for (const auto& [prefix, specs] : table)
    if (name.starts_with(prefix)) return specs;
  return {model_spec_name(published)};  // "Llama 2 7B" -> llama2-7b
}

struct TrainingSetup {
  const spec::ModelSpec* model = nullptr;
  std::string model_name;
  const spec::ChipSpec* chip = nullptr;
  const spec::SystemSpec* system = nullptr;
  std::shared_ptr<spec::SystemSpec> slice;  // a TPU torus slice built for the case (system points to it)
  network::Topology topology;
  std::int64_t nodes = 0;
  int gpus = 0;  // the case's count (the chips the plan uses)
  parallel::TrainPlan plan;
  std::string method;
};

frontend::Recompute recompute_of(const std::string& text) {
  if (contains(text, "selective")) return frontend::Recompute::selective;
  if (contains(text, "full")) return frontend::Recompute::full;
  return frontend::Recompute::none;
}

// States a training case as a plan on the library's machines. Returns a reason when it cannot.
std::variant<TrainingSetup, std::string> training_setup(const YAML::Node& c, const spec::ChipSpec& chip,
                                                        const spec::SpecResolver& library) {
  TrainingSetup s;
  s.chip = &chip;
  const std::string source = text_at(c, "source.ref").value_or("");
  const bool megatron21 = source == "S1";
  const std::optional<std::string> model_name = text_at(c, "model.name");
  if (!model_name) return std::string("the case names no model");
  const std::int64_t seq =
      count_at(c, "model.seq_len").value_or(count_at(c, "workload.seq_len").value_or(megatron21 ? 2048 : 0));
  if (seq == 0) return std::string("the case gives no sequence length");
  std::string mismatch;
  for (const std::string& name : training_model_candidates(*model_name, seq)) {
    const spec::Document* doc = library.find(spec::Kind::model, name);
    if (!doc) {
      if (mismatch.empty()) mismatch = "no model spec " + name + " for " + quote_value(*model_name);
      continue;
    }
    const auto& model = std::get<spec::ModelSpec>(doc->spec);
    if (std::string m = shape_mismatch(c, model); !m.empty()) {
      if (mismatch.empty()) mismatch = "model spec " + name + " differs from the case: " + m;
      continue;
    }
    s.model = &model;
    s.model_name = name;
    break;
  }
  if (!s.model) return mismatch;

  const std::int64_t count = count_at(c, "hardware.count").value_or(0);
  if (count < 1) return std::string("the case gives no GPU count");
  s.gpus = static_cast<int>(count);
  std::string machine;
  if (chip.family == "tpu") {
    // A TPU job: `slices` torus slices of count / slices chips (for v4 / v5p a whole number of 4x4x4
    // cubes joined into one torus), data parallel across the slices over the data-center network,
    // as `xpusim llm train --system S --nodes N --slices K` builds it.
    const spec::SystemSpec* block = system_spec(library, tpu_system_of(chip.name));
    if (!block) return "no TPU system spec for " + chip.name;
    const std::int64_t slices = count_at(c, "hardware.slices").value_or(1);
    if (slices < 1 || count % slices != 0 || (count / slices) % block->chip_count != 0)
      return std::to_string(count) + " chips in " + std::to_string(slices) + " slices is no whole number of " +
             block->name + " per slice";
    Expected<spec::SystemSpec> slice = spec::torus_slice(*block, count / slices / block->chip_count);
    if (!slice.ok()) return slice.error().diagnostics().items().front().message;
    s.slice = std::make_shared<spec::SystemSpec>(*slice);
    s.system = s.slice.get();
    s.nodes = slices;
    s.topology = network::topology_of(*s.system, network_spec(library, s.system->scale_up.network), slices, nullptr, 1);
    std::string shape;
    for (std::int64_t d : s.system->scale_up.torus_dims) shape += (shape.empty() ? "" : "x") + std::to_string(d);
    machine = std::to_string(slices) + " x " + shape + " torus slice" + (slices > 1 ? "s" : "") + " of " + block->name +
              (slices > 1 ? " (data-center network between slices)" : "");
  } else {
    // The machine: A100 runs on Selene (DGX A100 nodes, the cluster's fabric), H100 runs on DGX H100
    // nodes on Eos's NDR fabric; as many nodes as the case's GPUs fill.
    std::string_view cluster_name;
    if (chip.name == "a100-sxm-80gb") cluster_name = "selene-a100-3072";
    if (chip.name == "h100-sxm") cluster_name = "eos-h100-1452";
    const spec::Document* cluster_doc =
        cluster_name.empty() ? nullptr : library.find(spec::Kind::cluster, cluster_name);
    if (!cluster_doc) return "no training cluster for " + chip.name;
    const auto& cluster = std::get<spec::ClusterSpec>(cluster_doc->spec);
    s.system = system_spec(library, cluster.system);
    if (!s.system || s.system->chip != chip.name) return "cluster " + cluster.name + " is not built of " + chip.name;
    const spec::NetworkSpec* fabric = network_spec(library, cluster.scale_out.switch_name);
    s.nodes = (count + s.system->chip_count - 1) / s.system->chip_count;
    s.topology = network::topology_of(*s.system, network_spec(library, s.system->scale_up.network), s.nodes, fabric,
                                      static_cast<int>(cluster.scale_out.tiers));
    machine = std::to_string(s.nodes) + " x " + s.system->name + " (" + cluster.name + " fabric)";
  }

  parallel::TrainPlan& p = s.plan;
  const std::string zero_text = lower(text_at(c, "parallelism.zero_or_fsdp").value_or(""));
  const bool zero3 = contains(zero_text, "stage 3") || contains(zero_text, "zero-3") || contains(zero_text, "zero3") ||
                     contains(zero_text, "fsdp");
  const auto tp = count_at(c, "parallelism.tp"), pp = count_at(c, "parallelism.pp");
  if (!zero3 && (!tp || !pp))
    return std::string("the case does not state the tensor/pipeline split of its ") + std::to_string(count) + " GPUs";
  const std::int64_t cp = count_at(c, "parallelism.cp").value_or(1);
  if (static_cast<double>(tp.value_or(1)) * static_cast<double>(pp.value_or(1)) * static_cast<double>(cp) >
      static_cast<double>(count))
    return "tp x pp x cp exceeds the case's " + std::to_string(count) + " GPUs";
  p.tp = static_cast<int>(tp.value_or(1));
  p.pp = static_cast<int>(pp.value_or(1));
  p.cp = static_cast<int>(cp);
  p.dp = static_cast<int>(count_at(c, "parallelism.dp").value_or(count / (p.tp * p.pp * p.cp)));
  if (std::int64_t{p.tp} * p.pp * p.cp * p.dp != count)
    return "tp " + std::to_string(p.tp) + " x pp " + std::to_string(p.pp) + " x dp " + std::to_string(p.dp) + " x cp " +
           std::to_string(p.cp) + " is not the case's " + std::to_string(count) + " GPUs";
  if (zero3) p.zero = 3;
  p.vp = static_cast<int>(count_at(c, "parallelism.vp").value_or(1));
  const std::string schedule = lower(text_at(c, "parallelism.schedule").value_or(""));
  std::string schedule_note;
  if (p.vp > 1) {
    p.schedule = parallel::Schedule::interleaved;
  } else {
    p.schedule = parallel::Schedule::one_f_one_b;
    if (contains(schedule, "interleaved") && p.pp > 1)
      schedule_note = " (the case says interleaved but gives no vp: 1F1B with vp 1)";
  }
  p.micro_batch = count_at(c, "parallelism.microbatch").value_or(1);
  const auto global = count_at(c, "parallelism.global_batch");
  if (!global)
    return std::string(
        "the case gives no global batch (the sequences per optimizer step set the "
        "gradient accumulation and so the pipeline bubble and the exposed gradient sync)");
  p.global_batch = *global;
  p.seq = seq;
  // Recompute: as the case says; Megatron 2021 (Table 1 and 2, whose FLOP count includes the
  // recompute forward pass) used full recomputation.
  const std::string recompute_text = lower(text_at(c, "parallelism.recompute").value_or(""));
  p.recompute = !recompute_text.empty() ? recompute_of(recompute_text)
                : megatron21            ? frontend::Recompute::full
                                        : frontend::Recompute::none;
  // NeMo's performance recipes turn sequence parallelism on with tensor parallelism; the others say so.
  p.sequence_parallel = flag_at(c, "parallelism.sequence_parallel").value_or(source == "S10" && p.tp > 1);
  // Megatron-LM 2021 and Korthikanti et al. 2022 predate FlashAttention: their attention materialises
  // the scores (Korthikanti's activation formula stores them), so the plan models it unfused.
  p.flash_attention = !(megatron21 || source == "S2");
  // TPU runs are XLA programs: collective matmuls hide the tensor-parallel traffic under the matmuls.
  p.overlap_tp_comm = chip.family == "tpu";
  const std::string precision = lower(text_at(c, "hardware.precision").value_or(""));
  // fp8 runs use Transformer Engine: fp8 GEMMs in the linear layers, bf16 everywhere else.
  p.dtype = contains(precision, "fp16") && !contains(precision, "bf16") && !contains(precision, "fp8")
                ? ir::DType::fp16
                : ir::DType::bf16;
  if (contains(precision, "fp8")) p.gemm_dtype = ir::DType::fp8_e4m3;
  s.method = s.model_name + " on " + machine + "; tp " + std::to_string(p.tp) + ", pp " + std::to_string(p.pp) + ", dp " + std::to_string(p.dp) +
             (p.cp > 1 ? ", cp " + std::to_string(p.cp) : "") + (p.vp > 1 ? ", vp " + std::to_string(p.vp) : "") +
             ", " + std::string(parallel::schedule_name(p.schedule)) + schedule_note + ", ZeRO-" +
             std::to_string(p.zero) + ", micro batch " + std::to_string(p.micro_batch) + ", global batch " +
             std::to_string(p.global_batch) + ", seq " + std::to_string(p.seq) + ", " +
             std::string(frontend::recompute_name(p.recompute)) + " recompute" +
             (p.sequence_parallel ? ", sequence parallel" : "") + (p.flash_attention ? "" : ", unfused attention") +
             ", " + std::string(ir::dtype_name(p.dtype));
  return s;
}

std::string does_not_fit(const parallel::TrainResult& r) {
  return "does not fit: the plan needs " + fixed(r.memory.total() / kGiB, 1) + " GiB per GPU (weights " +
         fixed(r.memory.weight_bytes / kGiB, 1) + ", gradients " + fixed(r.memory.gradient_bytes / kGiB, 1) +
         ", optimizer " + fixed(r.memory.optimizer_bytes / kGiB, 1) + ", activations " +
         fixed(r.memory.activation_bytes / kGiB, 1) + ", workspace " + fixed(r.memory.workspace_bytes / kGiB, 1) +
         " GiB) of " + fixed(r.capacity_bytes / kGiB, 1) + " GiB";
}

Prediction predict_training(const YAML::Node& c, const spec::ChipSpec& chip, const spec::SpecResolver& library) {
  const std::string metric = lower(text_at(c, "measured.metric").value_or(""));
  if (metric == "model_tflops_per_gpu")
    return not_expressible(
        "FlashAttention-2 Table 1 counts model FLOPs as 6 x seqlen x params + 12 x layers x hidden x seqlen^2 per "
        "sequence, but the case gives neither the micro batch nor the global batch of the repo's runs, nor whether "
        "params counts the embeddings; its \"no FlashAttention\" and FlashAttention-1 rows time other attention "
        "kernels than the one xpusim models");
  auto setup_or = training_setup(c, chip, library);
  if (auto* why = std::get_if<std::string>(&setup_or)) return not_expressible(*why);
  TrainingSetup& s = std::get<TrainingSetup>(setup_or);
  std::string method = s.method;
  Expected<parallel::TrainResult> result = parallel::estimate_training(*s.model, chip, s.topology, s.plan);
  if (!result.ok())
    return not_expressible("the training estimator rejects the plan: " + result.error().to_string(), method);
  if (!result->fits) return not_expressible(does_not_fit(*result), method);
  const double step = result->step_s;
  const double gpus = s.gpus;
  if (metric == "iteration_time") return {step, method + "; step time", {}};
  if (metric == "model_tflops_per_chip")
    return {result->model_tflops_per_chip, method + "; model FLOPs (6N + attention, no recompute) / step / chips", {}};
  if (metric == "tokens_per_s_per_gpu")
    return {static_cast<double>(s.plan.global_batch * s.plan.seq) / step / gpus,
            method + "; global batch x seq / step / GPUs",
            {}};
  if (metric == "achieved_tflops_per_gpu") {
    // Narayanan et al. 2021's count (recompute included): 96 B s l h^2 (1 + s/6h + V/16lh) per step.
    const double B = static_cast<double>(s.plan.global_batch), sq = static_cast<double>(s.plan.seq);
    const double l = static_cast<double>(s.model->layers), h = static_cast<double>(s.model->hidden);
    const double V = static_cast<double>(s.model->vocab);
    const double flops = 96 * B * sq * l * h * h * (1 + sq / (6 * h) + V / (16 * l * h));
    return {flops / step / gpus / 1e12, method + "; 96Bslh^2(1 + s/6h + V/16lh) / step / GPUs", {}};
  }
  return not_expressible("metric " + quote_value(metric) + " has no conversion from the training estimate", method);
}

// Korthikanti et al. Table 4: one transformer layer's forward + backward time (22B, tp 8). The
// configuration is in the case id: baseline (no recompute), sequence parallel, full or selective
// recompute, selective + sequence parallel. One layer's time = the stage's microbatch time of the
// model cut to two layers minus that of the model cut to one (embedding, logits and loss cancel).
Prediction predict_layer(const YAML::Node& c, const spec::ChipSpec& chip, const spec::SpecResolver& library) {
  const std::string metric = lower(text_at(c, "measured.metric").value_or(""));
  if (metric != "layer_fwd_plus_bwd_time")
    return not_expressible("metric " + quote_value(metric) + " is not a layer's forward + backward time");
  auto setup_or = training_setup(c, chip, library);
  if (auto* why = std::get_if<std::string>(&setup_or)) return not_expressible(*why);
  TrainingSetup& s = std::get<TrainingSetup>(setup_or);
  if (s.plan.pp != 1) return not_expressible("a layer's time is taken from a single-stage plan (pp 1)");
  const std::string id = lower(text_at(c, "id").value_or(""));
  s.plan.recompute = contains(id, "full-recompute") ? frontend::Recompute::full
                     : contains(id, "selective")    ? frontend::Recompute::selective
                                                    : frontend::Recompute::none;
  s.plan.sequence_parallel = contains(id, "sequence-parallel") || contains(id, "plus-sp");
  s.plan.global_batch = s.plan.micro_batch * s.plan.dp;
  // The setup's method names the case's recompute and sequence parallelism; the id overrides them.
  const std::string method =
      s.model_name + ", tp " + std::to_string(s.plan.tp) + " on one " + s.system->name + ", micro batch " +
      std::to_string(s.plan.micro_batch) + ", seq " + std::to_string(s.plan.seq) + ", " +
      std::string(frontend::recompute_name(s.plan.recompute)) + " recompute" +
      (s.plan.sequence_parallel ? ", sequence parallel" : "") + ", " + std::string(ir::dtype_name(s.plan.dtype)) +
      "; fwd + bwd of the model cut to 2 layers - the same cut to 1";
  // A layer's time does not depend on the depth of the model around it: the difference is taken between
  // the model cut to two layers and to one, so that the no-recompute rows (whose whole 48-layer model
  // does not fit in 80 GB; the paper times one layer) are stated too.
  spec::ModelSpec two = *s.model;
  two.layers = 2;
  Expected<parallel::TrainResult> full = parallel::estimate_training(two, chip, s.topology, s.plan);
  if (!full.ok())
    return not_expressible("the training estimator rejects the plan: " + full.error().to_string(), method);
  if (!full->fits) return not_expressible(does_not_fit(*full), method);
  spec::ModelSpec shorter = *s.model;
  shorter.layers = 1;
  Expected<parallel::TrainResult> less = parallel::estimate_training(shorter, chip, s.topology, s.plan);
  if (!less.ok())
    return not_expressible("the training estimator rejects the plan: " + less.error().to_string(), method);
  if (!less->fits) return not_expressible(does_not_fit(*less), method);
  return {(full->stage_microbatch_s - less->stage_microbatch_s) * 1e3, method, {}};
}

// ------------------------------------------------------------------------------- power under load

// The model spec a published model name maps to: the library's naming ("Llama 3.1 8B" -> llama3.1-8b),
// or the spec of the same architecture under an earlier release's name (Llama 3.1 405B is the only
// Llama 3 405B, kept as llama3-405b).
const spec::ModelSpec* power_model(const std::string& published, const spec::SpecResolver& library, std::string& name) {
  name = model_spec_name(published);
  const spec::Document* doc = library.find(spec::Kind::model, name);
  if (!doc && name == "llama3.1-405b") {
    name = "llama3-405b";
    doc = library.find(spec::Kind::model, name);
  }
  return doc ? &std::get<spec::ModelSpec>(doc->spec) : nullptr;
}

// The GPUs' average power while a serving engine runs a model at a steady batch (ML.ENERGY's
// benchmark: vLLM at max_num_seqs, GPU energy from NVML over the steady state). The engine's running
// batch is stated as a static batch of that size through the prefill of `input_len` tokens and
// `output_len` decode steps (continuous batching keeps the batch full, and a static batch's contexts
// average the same prompt + output / 2); the chips' activity over that time goes through the power
// model (econ::chip_power, as compare uses it). Predicted = the GPUs' count x one chip's average watts.
Prediction predict_power(const YAML::Node& c, const spec::ChipSpec& chip, const spec::SpecResolver& library) {
  const std::string metric = lower(text_at(c, "measured.metric").value_or(""));
  if (metric != "gpu_power_w")
    return not_expressible("metric " + quote_value(metric) +
                           " is not the GPUs' average power (gpu_power_w): system power needs the hosts', "
                           "switches' and fans' draw under load, which no system spec states yet");
  const std::string phase = lower(text_at(c, "workload.phase").value_or(""));
  if (phase != "serving") return not_expressible("phase " + quote_value(phase) + " has no power prediction yet");
  const std::optional<std::string> model_name = text_at(c, "model.name");
  if (!model_name) return not_expressible("the case names no model");
  std::string spec_name;
  const spec::ModelSpec* model = power_model(*model_name, library, spec_name);
  if (!model) return not_expressible("no model spec " + spec_name + " for " + quote_value(*model_name));
  if (std::string mismatch = shape_mismatch(c, *model); !mismatch.empty())
    return not_expressible("model spec " + spec_name + " differs from the case: " + mismatch);
  const auto batch = count_at(c, "workload.batch"), prompt = count_at(c, "workload.input_len"),
             gen = count_at(c, "workload.output_len"), gpus = count_at(c, "hardware.count");
  if (!batch || !prompt || !gen || !gpus)
    return not_expressible("the case gives no batch, input_len, output_len and GPU count");
  const std::int64_t tp = count_at(c, "parallelism.tp").value_or(1);
  if (tp != *gpus)
    return not_expressible("the engine's " + std::to_string(*gpus) + " GPUs are not one tensor-parallel group of " +
                           std::to_string(tp));

  serve::ServeOptions options;
  options.batch = *batch;
  options.prompt = *prompt;
  options.gen = *gen;
  options.llm.tp = static_cast<int>(tp);
  const std::string precision = lower(text_at(c, "hardware.precision").value_or(""));
  options.llm.dtype = contains(precision, "fp8") ? ir::DType::fp8_e4m3 : ir::DType::bf16;
  options.llm.kv_dtype = ir::DType::bf16;  // vLLM keeps the KV cache in the activations' bf16 unless told
  const spec::SystemSpec* system = system_spec(library, system_of(chip.name));
  const spec::NetworkSpec* network = system ? network_spec(library, system->scale_up.network) : nullptr;
  if (tp > 1 && !system) return not_expressible("tp " + std::to_string(tp) + " needs a system spec for " + chip.name);
  const perfmodel::Interconnect link = serve::interconnect_of(chip, system, network);
  std::string method = spec_name + ", tp " + std::to_string(tp) + (system ? " on " + system->name : "") + ", " +
                       std::string(ir::dtype_name(options.llm.dtype)) + " weights, bf16 KV, batch " +
                       std::to_string(*batch) + ", " + std::to_string(*prompt) + " in / " + std::to_string(*gen) +
                       " out";
  Expected<serve::ServeResult> result = serve::estimate_serving(*model, chip, link, options);
  if (!result.ok()) return not_expressible(result.error().to_string(), method);
  if (!result->fits) return not_expressible("does not fit in HBM", method);
  const econ::Activity activity = serve::request_activity(*result, *gen);
  const std::optional<econ::PowerEstimate> p = econ::chip_power(library, chip, activity);
  if (!p) return not_expressible("process " + chip.process_node + " has no energy model for this work", method);
  method += "; per GPU " + fixed(p->total_w(), 0) + " W = static " + fixed(p->static_w, 0) + " + compute " +
            fixed(p->compute_w, 0) + " + SRAM " + fixed(p->sram_w, 0) + " + HBM " + fixed(p->hbm_w, 0) + " + links " +
            fixed(p->links_w, 0) + (p->slowdown > 1 ? " (at the TDP cap)" : "") + "; x " + std::to_string(*gpus) +
            " GPUs";
  return {p->total_w() * static_cast<double>(*gpus), method, {}};
}

// ---------------------------------------------------------------------------------------- summary

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

KindSummary summarize(std::string_view kind, const std::vector<CaseResult>& cases) {
  KindSummary s;
  s.kind = std::string(kind);
  s.bound_pct = error_bound_pct(kind);
  std::vector<double> held_out, calibration;
  for (const CaseResult& c : cases) {
    if (summary_row(c.kind, c.chip) != kind) continue;
    ++s.cases;
    switch (c.status) {
      case CaseStatus::predicted:
        ++s.held_out;
        held_out.push_back(std::abs(*c.error_pct));
        if (!s.worst_error_pct || std::abs(*c.error_pct) > std::abs(*s.worst_error_pct)) {
          s.worst_error_pct = c.error_pct;
          s.worst_case = c.id;
        }
        break;
      case CaseStatus::calibration:
        ++s.calibration;
        calibration.push_back(std::abs(*c.error_pct));
        break;
      case CaseStatus::not_expressible:
        ++s.not_expressible;
        break;
    }
  }
  if (!held_out.empty()) s.median_abs_error_pct = median(held_out);
  if (!calibration.empty()) s.calibration_median_abs_error_pct = median(calibration);
  return s;
}

bool covered(std::string_view kind) {
  return std::find(std::begin(kCoveredKinds), std::end(kCoveredKinds), kind) != std::end(kCoveredKinds);
}

// ------------------------------------------------------------------------------------- markdown

std::string cell(std::string_view text) {
  std::string out;
  for (char ch : text) {
    if (ch == '|')
      out += "\\|";
    else if (ch == '\n')
      out += ' ';
    else
      out += ch;
  }
  return out;
}

std::string pct(const std::optional<double>& value, bool sign) {
  if (!value) return "—";
  return (sign && *value >= 0 ? "+" : "") + fixed(*value, 1) + "%";
}

}  // namespace

std::string_view summary_row(std::string_view kind, std::string_view chip) {
  if (kind == "training_throughput" && chip.starts_with("tpu-")) return "training_throughput_tpu";
  return kind;
}

std::optional<double> error_bound_pct(std::string_view kind) {
  if (kind == "gemm_microbenchmark") return 10.0;
  if (kind == "memory_bandwidth") return 10.0;
  if (kind == "attention_kernel") return 15.0;
  if (kind == "inference_throughput") return 15.0;
  if (kind == "collective_bandwidth") return 15.0;
  // Training throughput misses the 10% aim (14.3% measured): NeMo's fp8 runs of small models are
  // 20-35% optimistic (docs/validation.md). The bound guards against regressions.
  if (kind == "training_throughput") return 15.0;
  // TPU training (MaxText's published v5p and v5e tables): the 10% aim, met with one case per chip
  // fitting its matmul efficiency.
  if (kind == "training_throughput_tpu") return 10.0;
  if (kind == "training_step_time") return 10.0;
  if (kind == "layer_time") return 10.0;
  // GPU power under load (ML.ENERGY v3.0 serving on H100 and B200): 5.3% measured; the floor of a
  // working chip is fitted to one case per process.
  if (kind == "power_under_load") return 10.0;
  return std::nullopt;
}

std::string_view status_name(CaseStatus status) {
  switch (status) {
    case CaseStatus::predicted:
      return "predicted";
    case CaseStatus::calibration:
      return "calibration";
    case CaseStatus::not_expressible:
      return "not expressible";
  }
  return "?";
}

Expected<ValidationReport> run_validation(const std::filesystem::path& cases_yaml, const spec::SpecResolver& library) {
  const std::string file = cases_yaml.string();
  Expected<std::string> text = read_input_file(cases_yaml, kMaxCasesFileBytes, file, "cases file");
  if (!text) return text.error();
  return run_validation_text(*text, file, library);
}

Expected<ValidationReport> run_validation_text(std::string_view text, const std::string& file,
                                               const spec::SpecResolver& library) {
  {
    Diagnostics d;
    if (!check_utf8_text(text, file, d)) return Error(std::move(d));
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    Diagnostics d;
    d.error(at(file, e.mark), "", "YAML syntax error: " + e.msg);
    return Error(std::move(d));
  }

  Diagnostics problems;
  ValidationReport report;
  report.cases_file = std::filesystem::path(file).filename().string();
  try {
    if (!root.IsMap()) {
      problems.error(at(file, root.Mark()), "", "a cases file is a mapping with schema_version and cases");
      return Error(std::move(problems));
    }
    if (const YAML::Node version = root["schema_version"]; version.IsDefined()) {
      const std::optional<double> number = number_at(root, "schema_version");
      if (!number || *number != kSchemaVersion) {
        problems.error(at(file, version.Mark()), "schema_version",
                       "this xpusim reads cases files of schema version " + std::to_string(kSchemaVersion));
        return Error(std::move(problems));
      }
      report.schema_version = kSchemaVersion;
    }
    const YAML::Node cases = root["cases"];
    if (!cases.IsDefined() || !cases.IsSequence()) {
      problems.error(at(file, cases.IsDefined() ? cases.Mark() : root.Mark()), "cases", "expected a list of cases");
      return Error(std::move(problems));
    }

    const auto sources = efficiency_sources(library);
    std::map<std::string, int> other;
    std::map<std::string, int> seen_ids;
    int index = 0;
    for (const YAML::Node& c : cases) {
      const std::string path = "cases[" + std::to_string(index++) + "]";
      if (!c.IsMap()) {
        problems.error(at(file, c.Mark()), path, "a case is a mapping with id, kind, hardware and measured");
        continue;
      }
      const std::optional<std::string> id = text_at(c, "id"), kind = text_at(c, "kind");
      if (!id || !kind) {
        problems.error(at(file, c.Mark()), path, "a case needs an id and a kind");
        continue;
      }
      if (seen_ids[*id]++ > 0)
        problems.error(at(file, c.Mark()), path + ".id", "duplicate case id " + quote_value(*id));
      ++report.total_cases;
      if (!covered(*kind)) {
        ++other[*kind];
        continue;
      }
      CaseResult r;
      r.id = *id;
      r.kind = *kind;
      r.accelerator = text_at(c, "hardware.accelerator").value_or("");
      r.metric = text_at(c, "measured.metric").value_or("");
      r.unit = text_at(c, "measured.unit").value_or("");
      const std::optional<double> measured = number_at(c, "measured.value");
      // Every metric a case can measure (TFLOP/s, GB/s, tokens/s, ms, s) lies far inside this range; a
      // value outside it is a typo or a unit slip, and a tiny one would make the error percentage inf.
      if (!measured || *measured < kMinMeasured || *measured > kMaxMeasured) {
        const auto node = child(c, "measured.value");
        problems.error(at(file, node ? node->Mark() : c.Mark()), path + ".measured.value",
                       "case " + *id + ": the measured value must be a positive number in [" + format_number(kMinMeasured) +
                           ", " + format_number(kMaxMeasured) + "]" +
                           (measured ? ", got " + format_number(*measured) : ""));
        continue;
      }
      r.measured = *measured;

      const ChipMatch match = map_accelerator(r.accelerator, library);
      Prediction p;
      if (std::optional<std::string> why = experiment_reason(r.kind, c)) {
        r.chip = match.chip;
        p = not_expressible(*why + (match.chip.empty() ? "; and " + match.reason : ""));
      } else if (match.chip.empty()) {
        p = not_expressible(match.reason);
      } else {
        r.chip = match.chip;
        const spec::ChipSpec& chip = chip_spec(library, match.chip);
        if (r.kind == "gemm_microbenchmark")
          p = predict_gemm(c, chip);
        else if (r.kind == "memory_bandwidth")
          p = predict_memory(c, chip);
        else if (r.kind == "attention_kernel")
          p = predict_attention(c, chip);
        else if (r.kind == "inference_throughput")
          p = predict_inference(c, chip, library);
        else if (r.kind == "collective_bandwidth")
          p = predict_collective(c, chip, library);
        else if (r.kind == "layer_time")
          p = predict_layer(c, chip, library);
        else if (r.kind == "power_under_load")
          p = predict_power(c, chip, library);
        else
          p = predict_training(c, chip, library);
      }
      r.method = p.method;
      if (!p.value || !std::isfinite(*p.value) || *p.value <= 0) {
        r.status = CaseStatus::not_expressible;
        r.reason = p.reason.empty() ? "the model gave no finite prediction" : p.reason;
      } else {
        r.predicted = p.value;
        r.error_pct = 100.0 * (*p.value - r.measured) / r.measured;
      }
      if (r.error_pct && !std::isfinite(*r.error_pct)) {
        r.predicted.reset();
        r.error_pct.reset();
        r.status = CaseStatus::not_expressible;
        r.reason = "the prediction is out of all proportion to the measured value";
      } else if (r.predicted) {
        std::vector<std::string> named;
        for (const auto& [chip_name, source_text] : sources)
          if (names_as_calibration(source_text, r.id)) named.push_back(chip_name);
        if (named.empty()) {
          r.status = CaseStatus::predicted;
        } else {
          r.status = CaseStatus::calibration;
          std::string list;
          for (const std::string& n : named) list += (list.empty() ? "" : ", ") + n;
          r.reason = "named in the efficiency sources of " + list;
        }
      }
      report.cases.push_back(std::move(r));
    }
    for (const auto& [kind, count] : other) report.other_kinds.emplace_back(kind, count);
  } catch (const YAML::Exception& e) {
    problems.error(at(file, e.mark), "", "malformed cases file: " + e.msg);
  }
  if (problems.has_errors()) return Error(std::move(problems));
  for (std::string_view row : kSummaryRows) report.summary.push_back(summarize(row, report.cases));
  return report;
}

std::string to_markdown(const ValidationReport& report) {
  std::string md;
  auto line = [&](std::string_view text = {}) {
    md += text;
    md += '\n';
  };
  line("# Validation against published results");
  line();
  line("Generated by `scripts/gen-validation-doc` from `data/validation/" + report.cases_file +
       "` and the built-in specs; do not edit by hand.");
  line();
  line(
      "This page sets xpusim's predictions against published measurements of real hardware. The cases file "
      "holds " +
      count_noun(report.total_cases, "case", "cases") + " (schema version " + std::to_string(report.schema_version) +
      "), each citing its source: the accelerator, the experiment and the measured figure. For the kinds below, "
      "xpusim states the same experiment with the library's chip, system, network, cluster and model specs and "
      "predicts the same figure with the analytical per-op model (src/perfmodel), the serving estimate "
      "(src/serve), the collective model (src/network), the training estimate (src/parallel) and the power model "
      "(src/econ/power). "
      "The error is signed, 100 (predicted - measured) / measured: positive means xpusim is optimistic.");
  line();
  line(
      "**Calibration.** Each GPU chip spec has an `efficiency:` section (the achieved fraction of the matmul peak, "
      "attention's fraction of that, the HBM fraction, a per-kernel overhead) fitted to a few of these cases, "
      "which its `sources.efficiency` names; likewise each NVLink switch spec's `collective_efficiency` and "
      "`reduction_efficiency`, fitted to the NCCL all-reduce cases its sources name. Those cases are marked "
      "*calibration*: they are shown, and their "
      "errors check that the fit is reproduced, but they do not count. A case a source names as \"held out\" is "
      "not calibration. The statistic of each kind is the median absolute percentage error (MdAPE) over the "
      "held-out predictions; the bound is what tests/unit/validation_test.cpp holds it to.");
  line();
  line("**How each kind is stated.**");
  line();
  line(
      "- *GEMM* (`gemm_microbenchmark`, cuBLASLt): a one-op graph C[m,n] = A[m,k] B[k,n] in the case's dtype; "
      "fp8 (e4m3) and fp4 (e2m1) inputs write a bf16 C. Predicted TFLOP/s = 2mnk / modelled time (tiles, waves, "
      "HBM traffic and the per-kernel overhead included).");
  line(
      "- *Attention* (`attention_kernel`): the Azure guide runs flash-attention's "
      "`benchmarks/benchmark_flash_attention.py` and reports its FlashAttention-2 \"fwd + bwd\" figure (the "
      "results file does not say which of fwd, bwd and fwd + bwd; the guide's script reads the fwd + bwd one) "
      "for batch 2, sequence 8192, non-causal (the line the guide's original script selects; a later version "
      "reports the causal one): model width 2048, so heads = 2048 / head_dim, fp16. The graph is one "
      "`attention` and one `attention_backward` op; TFLOP/s counts as the benchmark does: forward 4bhs^2d, "
      "backward 2.5x that, over the sum of the two times. Peaks over a paper's sweep (no shape recorded) and "
      "FlashAttention-3 are not expressible.");
  line(
      "- *Memory* (`memory_bandwidth`, STREAM triad on the GPU): predicted = HBM peak x the chip's "
      "`efficiency.hbm`. STREAM counts the triad's three arrays (two read, one written) over its time, which "
      "is the bandwidth a streaming kernel achieves, so the two compare directly.");
  line(
      "- *Inference* (`inference_throughput`): the Azure guide's end-to-end runs are TensorRT-LLM's "
      "`benchmarks/python/benchmark.py`, whose \"tokens per second\" is batch x output_len / the latency of the "
      "whole generate call (prefill and every decode step): output tokens only, though the results file does "
      "not say so. xpusim's `estimate_serving` gives the same ratio: batch x gen / (TTFT + (gen - 1) TPOT), tp = "
      "world size (one GPU when unstated, as the guide configures the 8B models), bf16 (fp16 where the case "
      "says so; the results files do not state the H100 and H200 precision, and one version of the guide's "
      "configuration quantizes the 8B and 70B models to fp8, so those runs may be faster than bf16), on the "
      "chip's system (dgx-a100, dgx-h100, hgx-h200) for the all-reduces. The GB200 "
      "TensorRT-LLM runs (`trtllm-bench throughput`, 1000 requests) and the MLPerf runs are set by a request "
      "scheduler (in-flight batching at a concurrency the engine picks; MLPerf adds latency limits) and are not "
      "expressible until xpusim models one: any batch size chosen for them would be a fitted parameter.");
  line(
      "- *Collectives* (`collective_bandwidth`): nccl-tests `all_reduce_perf` bus bandwidth at 8 GB inside one "
      "scale-up domain. The topology is the chip's system (dgx-a100, dgx-h100, hgx-h200, gb200-nvl72) with its "
      "scale-up network spec, one node; the group is the case's ranks at level 0 (for GB200, 4 of the NVL72 "
      "rack's 72 GPUs, one ND GB200 v6 VM). `collective_time(all_reduce, 8e9 bytes)` picks the fastest "
      "algorithm the level supports (ring, or NVLS in-switch reduction on NVLink4/5) and reports nccl-tests' "
      "bus bandwidth. The switch specs' `collective_efficiency` and `reduction_efficiency` are fitted to some "
      "of these cases, which their sources name: those are calibration, as for the chips.");
  line(
      "- *Training* (`training_throughput`, `training_step_time`): the case's model maps to a model spec "
      "(checked against the case's layers, hidden, heads, FFN and vocabulary); A100 runs are Selene's DGX "
      "A100 nodes and H100 runs DGX H100 nodes, both with their cluster's fabric (selene-a100-3072, "
      "eos-h100-1452: Quantum-2 switch, three tiers), as many nodes as the case's GPUs fill. The plan is the "
      "case's tp, pp, dp, cp, vp (interleaved schedule when vp > 1; Megatron 2021 writes \"interleaved\" "
      "but gives no vp, so those run 1F1B with vp 1), micro batch (1 when unstated), global batch and "
      "sequence length (2048 for Megatron 2021), recompute as the case says (Megatron 2021: full, which its "
      "FLOP count includes; unstated elsewhere: none), sequence parallelism as the case says (NeMo, when "
      "unstated: on with tp > 1, as its recipes set it), ZeRO-3 where "
      "`zero_or_fsdp` says stage 3 (otherwise the estimator's default, ZeRO-1), bf16 (fp16 where the case "
      "says fp16, the same speed; fp8 GEMMs with bf16 elsewhere for the NeMo fp8 runs). `parallel::estimate_training` gives the step "
      "time, converted with each source's own convention: Megatron 2021 `achieved_tflops_per_gpu` = "
      "96 B s l h^2 (1 + s/6h + V/16lh) / (step x GPUs) from the model spec and the global batch B (not "
      "xpusim's executed FLOPs); Korthikanti `iteration_time` = the step time; NeMo `tokens_per_s_per_gpu` = "
      "global batch x seq / step / GPUs. Plans that xpusim says do not fit in HBM, and plans the estimator "
      "rejects, are not expressible with the numbers or the message.");
  line(
      "- *TPU training* (`training_throughput` cases on a TPU, summarised apart as `training_throughput_tpu`): "
      "MaxText's published tables (v5p: 32B-1,024B on 64-2,048 chips, one and two slices; v5e: 16B-128B on 1-32 "
      "pods of 256). Cloud TPU names count TensorCores, so v5p-128 is 64 chips. Each run is `hardware.slices` "
      "torus slices of the case's chips, as `llm train --system S --nodes N --slices K` builds them (v5p: "
      "4x4x4 cubes joined into one torus, 8x8x16 for 1,024 chips; v5e: 16x16 pods), data parallel across "
      "slices over the data-center network. The plan is MaxText's benchmark script: ici_tensor_parallelism "
      "as tp, FSDP over the rest of each slice as ZeRO-3 sharded inside the slice, per_device_batch_size "
      "sequences of 2048 per chip (a TP group's tp x per-device batch stated as tp microbatches), remat "
      "`minimal` as selective and `full` (or `qkv_proj_offloaded`) as full recompute, tensor-parallel "
      "collectives under the matmuls (XLA's collective matmul). Predicted = the estimate's model TFLOP/s per "
      "chip (6N + attention, no recompute, over the step), MaxText's own convention. The v5p and v5e "
      "matmul efficiencies are fitted to one of these cases each, which the chip spec names (calibration). "
      "MaxText's tiering page adds Llama 2 70B on a v6e-256 pod (tokens/s per chip): v6e's efficiencies are "
      "not fitted (ideal), and that case shows it, about 30% optimistic. The measured MFU falls 3-17% from "
      "one slice to 2-32 slices; the modelled data-center traffic (each chip's shard, once per step) hides "
      "under the compute, so the predictions do not fall with the slice count.");
  line(
      "- *Power under load* (`power_under_load`): the GPUs' average draw while a named workload runs. The ML.ENERGY "
      "Benchmark v3.0 cases (Dec 2025) serve Llama 3.1 8B, 70B and 405B on vLLM at a steady batch (max_num_seqs) "
      "on H100 and B200, with GPU energy read from NVML over the steady state: xpusim states the measured average "
      "running batch as a static batch through the prefill of 256 prompt tokens (the prompts' mean length is not "
      "published; the prefill is a few percent of the time) and the measured mean output length, tp as the case "
      "(the engine's GPUs), on the chip's system for the all-reduces, and passes one chip's activity over that "
      "time through the power model (`econ::chip_power`, as compare does): the floor of a working chip "
      "(`static_fraction` x TDP) plus the energy of its MACs, SRAM, HBM and link bits, capped at TDP. Predicted = "
      "the GPUs x one chip's watts (a positive error here is more watts than measured). The floor of 4N and 4NP is fitted to one batch-8 case each, which the process "
      "sources name (calibration); the others are held out. A fleet's mean over its production mix (TPU v4) and "
      "an instantaneous maximum of a node (Latif et al.) are not the average over one workload: not expressible. "
      "System power (hosts, switches, fans under load) has no case that xpusim can state yet.");
  line(
      "- *Layer time* (`layer_time`, Korthikanti Table 4, 22B at tp 8, micro batch 4): the configuration "
      "(baseline, sequence parallel, full or selective recompute, selective + sequence parallel) is read from "
      "the case id. One layer's forward + backward time is the slowest stage's microbatch time of the model "
      "cut to two layers minus that of the model cut to one, so embedding, logits and loss cancel (the paper "
      "times one layer; the whole 48-layer model without recompute would not fit in 80 GB).");
  line();
  line(
      "**Known gaps in training.** Megatron-LM 2021 and Korthikanti et al. 2022 ran before FlashAttention: "
      "their plans model attention unfused (scores, softmax and dropout through HBM, masked scores computed), "
      "which is what brings their layer and step times within 10%. Training throughput misses the 10% aim "
      "(see the summary): Megatron 2021's TFLOP/s remain 5-20% optimistic. NeMo's fp8 runs are modelled as "
      "Transformer Engine runs them: the linear layers' GEMMs (and their gradient GEMMs) compute in fp8 while "
      "tensors, attention, norms and communication stay bf16, and the GEMM inputs saved for the backward "
      "pass are fp8 (activation memory 27 instead of 34 sbh per layer with sequence parallelism, which NeMo's "
      "recipes turn on with tensor parallelism); the distributed optimizer shards over dp x cp. The large "
      "models land within 10%; the small ones (5-22B on 8-64 GPUs) stay 20-35% optimistic, and gpt3-20b is "
      "25% pessimistic: the casts and amax reductions Transformer Engine adds are not modelled. ZeRO-3's parameter gathers cross the network in NCCL's flat ring, whose "
      "InfiniBand share bounds them; their exposure beyond compute is what the DeepSpeed rows measure.");
  line();

  line("## Summary");
  line();
  line(
      "| kind | cases | held out | MdAPE (held out) | bound | worst held-out case | calibration (MdAPE) | not "
      "expressible |");
  line("|---|---:|---:|---:|---:|---|---:|---:|");
  for (const KindSummary& s : report.summary) {
    const std::string worst =
        s.worst_case.empty() ? "—" : "`" + s.worst_case + "` (" + pct(s.worst_error_pct, true) + ")";
    line("| " + s.kind + " | " + std::to_string(s.cases) + " | " + std::to_string(s.held_out) + " | " +
         pct(s.median_abs_error_pct, false) + " | " +
         (s.bound_pct ? "<= " + fixed(*s.bound_pct, std::floor(*s.bound_pct) == *s.bound_pct ? 0 : 1) + "%" : "—") +
         " | " + worst + " | " + std::to_string(s.calibration) + " (" + pct(s.calibration_median_abs_error_pct, false) +
         ") | " + std::to_string(s.not_expressible) + " |");
  }
  if (!report.other_kinds.empty()) {
    std::string others;
    for (const auto& [kind, count] : report.other_kinds)
      others += (others.empty() ? "" : ", ") + kind + " (" + std::to_string(count) + ")";
    line();
    line("Kinds this harness does not cover yet: " + others + ".");
  }
  line();

  line("## All cases");
  line();
  line("| case | kind | chip | measured | predicted | error | status | setup |");
  line("|---|---|---|---:|---:|---:|---|---|");
  for (const CaseResult& c : report.cases) {
    const std::string measured = format_number(c.measured) + " " + c.unit;
    line("| `" + c.id + "` | " + c.kind + " | " + (c.chip.empty() ? "—" : c.chip) + " | " + cell(measured) + " | " +
         (c.predicted ? sig(*c.predicted) : "—") + " | " + pct(c.error_pct, true) + " | " +
         std::string(status_name(c.status)) + " | " + cell(c.method.empty() ? "—" : c.method) + " |");
  }
  line();

  line("## Not yet expressible");
  line();
  bool any = false;
  for (const CaseResult& c : report.cases) {
    if (c.status != CaseStatus::not_expressible) continue;
    any = true;
    line("- `" + c.id + "` (" + c.kind + (c.chip.empty() ? "" : ", " + c.chip) + "): " + c.reason);
  }
  if (!any) line("None.");
  return md;
}

nlohmann::ordered_json to_json(const ValidationReport& report) {
  auto optional = [](const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); };
  Json summary = Json::array();
  for (const KindSummary& s : report.summary) {
    summary.push_back(Json{{"kind", s.kind},
                           {"cases", s.cases},
                           {"held_out", s.held_out},
                           {"calibration", s.calibration},
                           {"not_expressible", s.not_expressible},
                           {"median_abs_error_pct", optional(s.median_abs_error_pct)},
                           {"calibration_median_abs_error_pct", optional(s.calibration_median_abs_error_pct)},
                           {"bound_pct", optional(s.bound_pct)},
                           {"worst_case", s.worst_case.empty() ? Json(nullptr) : Json(s.worst_case)},
                           {"worst_error_pct", optional(s.worst_error_pct)}});
  }
  Json cases = Json::array();
  for (const CaseResult& c : report.cases) {
    cases.push_back(Json{{"id", c.id},
                         {"kind", c.kind},
                         {"accelerator", c.accelerator},
                         {"chip", c.chip.empty() ? Json(nullptr) : Json(c.chip)},
                         {"metric", c.metric},
                         {"measured", c.measured},
                         {"unit", c.unit},
                         {"predicted", optional(c.predicted)},
                         {"error_pct", optional(c.error_pct)},
                         {"status", std::string(status_name(c.status))},
                         {"method", c.method},
                         {"reason", c.reason}});
  }
  Json other = Json::object();
  for (const auto& [kind, count] : report.other_kinds) other[kind] = count;
  return Json{{"cases_file", report.cases_file},   {"schema_version", report.schema_version},
              {"total_cases", report.total_cases}, {"summary", std::move(summary)},
              {"cases", std::move(cases)},         {"other_kinds", std::move(other)}};
}

}  // namespace xpusim::validation
