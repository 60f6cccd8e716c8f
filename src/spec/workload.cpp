// The workload kind: what systems are compared on. A serving target for now; training runs come next.
#include "spec/document.h"

namespace xpusim::spec {
namespace {

constexpr std::string_view kServeDTypes[] = {"bf16", "fp16", "fp8", "int8", "fp4"};

}  // namespace

void ServeTarget::describe(SpecVisitor& v) {
  v.text(Field("model", "Model spec to serve"), model);
  v.integer(Field("prompt", "Prompt tokens per request", "tokens").optional().positive(1 << 24), prompt);
  v.integer(Field("gen", "Output tokens per request", "tokens").optional().positive(1 << 24), gen);
  v.number(Field("tpot_ms_max", "Slowest time per output token accepted", "ms").optional().positive(1e6), tpot_ms_max);
  v.choice(Field("dtype", "Weights and activations").optional(), dtype, kServeDTypes);
}

void WorkloadSpec::describe(SpecVisitor& v) {
  v.text(Field("name", "Name used to refer to this workload"), name);
  v.text(Field("description", "One line for listings").optional(), description);
  v.object(Field("serve", "A serving target"), serve);
  v.text_map(Field("sources", "Where each published number comes from, by field path").optional(), sources);
}

void check_workload(const WorkloadSpec& workload, const Document& doc, const SpecResolver* resolver,
                    Diagnostics& out) {
  resolve_reference(doc, "serve.model", Kind::model, workload.serve.model, resolver, out);
}

}  // namespace xpusim::spec
