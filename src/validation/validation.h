// The validation harness: published measurements of real hardware (data/validation/
// published-results.yaml) set against what xpusim predicts for the same experiment.
//
// Each case of a kind the harness covers (GEMM microbenchmarks, attention kernels, HBM bandwidth,
// LLM inference throughput, NCCL all-reduce bus bandwidth, LLM training throughput, step and layer
// time) is either predicted with the library's chip, system, network, cluster and model specs, or
// declared not expressible with the reason. Cases whose id a chip spec names in its efficiency sources
// (or a network spec in its switch efficiency sources) calibrated that spec: they are shown but kept out of the error
// statistic, which is the median absolute percentage error over the remaining (held-out) predictions of each kind.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/library.h"
#include "support/expected.h"

namespace xpusim::validation {

// The kinds of case the harness predicts, in report order.
inline constexpr std::string_view kCoveredKinds[] = {
    "gemm_microbenchmark",  "attention_kernel",    "memory_bandwidth",   "inference_throughput",
    "collective_bandwidth", "training_throughput", "training_step_time", "layer_time",
    "power_under_load"};

// The rows of the summary: the covered kinds, with training throughput on TPUs as a row of its own
// (training_throughput_tpu: the training_throughput cases whose chip is a TPU, held to their own
// bound; the training_throughput row holds the others).
inline constexpr std::string_view kSummaryRows[] = {
    "gemm_microbenchmark",  "attention_kernel",        "memory_bandwidth",   "inference_throughput",
    "collective_bandwidth", "training_throughput",     "training_throughput_tpu", "training_step_time",
    "layer_time",           "power_under_load"};

// The summary row a case counts in: its kind, or training_throughput_tpu for a TPU training case.
std::string_view summary_row(std::string_view kind, std::string_view chip);

// The median absolute error, in percent, that the held-out predictions of `kind` are held to (the
// test suite enforces it; docs/validation.md shows it). nullopt for kinds the harness does not cover.
std::optional<double> error_bound_pct(std::string_view kind);

enum class CaseStatus : unsigned char {
  predicted,        // held out: counts in the error statistic
  calibration,      // a chip's or network's efficiency was fitted to it: shown, not counted
  not_expressible,  // xpusim cannot state this experiment yet; `reason` says why
};
std::string_view status_name(CaseStatus status);

struct CaseResult {
  std::string id;
  std::string kind;
  std::string accelerator;  // as the case writes it
  std::string chip;         // the chip spec it maps to; empty when none
  std::string metric;       // measured.metric
  double measured = 0;
  std::string unit;
  std::optional<double> predicted;  // in the measured unit; set for predicted and calibration cases
  std::optional<double> error_pct;  // signed: 100 (predicted - measured) / measured
  CaseStatus status = CaseStatus::not_expressible;
  std::string method;  // how the prediction was made: shape, dtype, batch, parallelism
  std::string reason;  // not expressible: why; calibration: the chip or network spec(s) that name the case
};

struct KindSummary {
  std::string kind;
  int cases = 0;
  int held_out = 0;  // predicted and not calibration: the cases the statistic is over
  int calibration = 0;
  int not_expressible = 0;
  std::optional<double> median_abs_error_pct;              // over held-out cases; nullopt when none
  std::optional<double> calibration_median_abs_error_pct;  // over calibration cases (a fit check)
  std::optional<double> bound_pct;                         // error_bound_pct(kind)
  std::string worst_case;                                  // held-out case with the largest |error|
  std::optional<double> worst_error_pct;
};

struct ValidationReport {
  std::string cases_file;  // the cases file's name (no directory, so output does not depend on where it is)
  int schema_version = 0;
  int total_cases = 0;                                   // every case in the file, of any kind
  std::vector<std::pair<std::string, int>> other_kinds;  // kinds not covered, with their counts, by name
  std::vector<CaseResult> cases;                         // the covered kinds, in file order
  std::vector<KindSummary> summary;                      // one per summary row, in kSummaryRows order
};

// Reads the cases file and predicts every case of a covered kind with specs from `library` (the
// built-in library, or a spec::SpecSet with a user's specs over it: chips,
// systems, networks, models). Errors: the file cannot be read, is not YAML, or lacks the structure of
// a cases file (each problem with file:line:col); a case xpusim cannot express is a row, not an error.
Expected<ValidationReport> run_validation(const std::filesystem::path& cases_yaml, const spec::SpecResolver& library);

// Largest cases file read: the published set is about 200 KiB; the cap bounds yaml-cpp's memory.
inline constexpr std::size_t kMaxCasesFileBytes = 2u << 20;

// The same, on the text of a cases file named `file` in diagnostics.
Expected<ValidationReport> run_validation_text(std::string_view text, const std::string& file,
                                               const spec::SpecResolver& library);

// docs/validation.md: what is compared and how, the per-kind summary with its bounds, every case, and
// the cases not yet expressible with their reasons. Deterministic for a given report.
std::string to_markdown(const ValidationReport& report);

// The same report as JSON: {cases_file, schema_version, total_cases, summary: [...], cases: [...],
// other_kinds: {...}}.
nlohmann::ordered_json to_json(const ValidationReport& report);

}  // namespace xpusim::validation
