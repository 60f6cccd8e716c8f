// The workload kind: what systems are compared on. A serving target for now; training runs come next.
#include "spec/document.h"
#include "support/text.h"

namespace xpusim::spec {
namespace {

constexpr std::string_view kServeDTypes[] = {"bf16", "fp16", "fp8", "int8", "fp4"};
constexpr std::string_view kTrainDTypes[] = {"bf16", "fp16", "fp8"};

}  // namespace

void ServeTarget::describe(SpecVisitor& v) {
  v.text(Field("model", "Model spec to serve"), model);
  v.integer(Field("prompt", "Prompt tokens per request", "tokens").optional().positive(1 << 24), prompt);
  v.integer(Field("gen", "Output tokens per request", "tokens").optional().positive(1 << 24), gen);
  v.number(Field("tpot_ms_max", "Slowest time per output token accepted", "ms").optional().between(0.01, 1e6), tpot_ms_max);
  v.choice(Field("dtype", "Weights and activations").optional(), dtype, kServeDTypes);
}

void TrainTarget::describe(SpecVisitor& v) {
  v.text(Field("model", "Model spec to train"), model);
  v.number(Field("tokens", "Tokens the run trains on", "tokens").between(1, 1e16), tokens);
  v.integer(Field("seq", "Sequence length", "tokens").optional().positive(1 << 24), seq);
  v.integer(Field("global_batch", "Sequences per optimizer step").positive(1 << 24), global_batch);
  v.integer(Field("chips", "Accelerators the run uses").positive(1 << 24), chips);
  v.choice(Field("dtype", "Training precision (fp8: Transformer Engine's recipe)").optional(), dtype, kTrainDTypes);
  v.text(Field("fabric", "Switch spec of the scale-out network joining the systems"), fabric);
}

void WorkloadSpec::describe(SpecVisitor& v) {
  v.text(Field("name", "Name used to refer to this workload"), name);
  v.text(Field("description", "One line for listings").optional(), description);
  v.optional_object(Field("serve", "A serving target (or train)").optional(), serve, has_serve);
  v.optional_object(Field("train", "A training run (or serve)").optional(), train, has_train);
  v.text_map(Field("sources", "Where each published number comes from, by field path").optional(), sources);
}

void check_workload(const WorkloadSpec& workload, const Document& doc, const SpecResolver* resolver,
                    Diagnostics& out) {
  if (workload.has_serve == workload.has_train) {
    out.error(doc.where(workload.has_serve ? "serve" : "name"), "serve", "a workload is a serving target or a training run",
              "exactly one of serve: and train:");
    return;
  }
  if (workload.has_serve) resolve_reference(doc, "serve.model", Kind::model, workload.serve.model, resolver, out);
  if (workload.has_train) {
    resolve_reference(doc, "train.model", Kind::model, workload.train.model, resolver, out);
    if (const Document* fabric =
            resolve_reference(doc, "train.fabric", Kind::network, workload.train.fabric, resolver, out);
        fabric && !std::get<NetworkSpec>(fabric->spec).has_switch)
      out.error(doc.where("train.fabric"), "train.fabric", quote_value(workload.train.fabric) + " is a link",
                "a network spec of type switch");
  }
}

}  // namespace xpusim::spec
