// A loaded spec together with where each of its fields was written, so that rules checked after
// loading (consistency, references) can still point at file:line:col.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "spec/specs.h"
#include "support/diagnostic.h"

namespace xpusim::spec {

struct Document {
  AnySpec spec;
  SourceLocation location;                                // the start of the document
  std::map<std::string, SourceLocation> field_locations;  // key path -> its value in the file
  std::vector<std::string> number_paths;                  // paths of the numbers written, in file order
  std::string base;                                       // `base:` (the spec this one changes), else empty
  SourceLocation base_at;                                 // where that base spec starts

  Kind kind() const { return kind_of(spec); }
  const std::string& name() const { return name_of(spec); }
  // The location of `path`, else of its closest written parent, else of the document.
  SourceLocation where(std::string_view path) const;
};

// Looks up specs by kind and name, for reference checks (a system naming its chip, ...).
class SpecResolver {
 public:
  virtual ~SpecResolver() = default;
  virtual const Document* find(Kind kind, std::string_view name) const = 0;
  virtual std::vector<std::string> names(Kind kind) const = 0;
};

// Drops from a document derived from a base (`base:`) the published figures that were claims about the
// base and that the fields `written` (the derived document's own paths) change: a chip that writes its
// clock or cores does not inherit the base's peak_tflops (or their sources) unless it writes them too.
void forget_stale_claims(Document& doc, const std::vector<std::string>& written);

// Consistency rules of each kind (what types and ranges cannot express). References are checked only
// when a resolver is given. Findings are appended to `out`.
void check_chip(const ChipSpec& chip, const Document& doc, Diagnostics& out);
void check_system(const SystemSpec& system, const Document& doc, const SpecResolver* resolver, Diagnostics& out);
void check_network(const NetworkSpec& network, const Document& doc, Diagnostics& out);
void check_cluster(const ClusterSpec& cluster, const Document& doc, const SpecResolver* resolver, Diagnostics& out);
void check_datacenter(const DatacenterSpec& datacenter, const Document& doc, Diagnostics& out);
void check_process(const ProcessSpec& process, const Document& doc, Diagnostics& out);
void check_workload(const WorkloadSpec& workload, const Document& doc, const SpecResolver* resolver, Diagnostics& out);
void check_model(const ModelSpec& model, const Document& doc, Diagnostics& out);
// Every `sources:` key must name a field that exists; with `require_sources`, every number given
// must be covered by a source (its own path or a parent path).
void check_sources(const Document& doc, bool require_sources, Diagnostics& out);

// Runs the rules for the document's kind, then check_sources.
void check_document(const Document& doc, const SpecResolver* resolver, bool require_sources, Diagnostics& out);

// A reference from `doc` at `path` to a spec of `kind` named `name`; reports a dangling one.
const Document* resolve_reference(const Document& doc, std::string_view path, Kind kind, std::string_view name,
                                  const SpecResolver* resolver, Diagnostics& out);

}  // namespace xpusim::spec
