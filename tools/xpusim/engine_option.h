// `--engine analytical|cycle` on `llm serve` and `llm train`: which engine times each op of a step.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "cycle/cycle_model.h"
#include "spec/specs.h"
#include "support/expected.h"

namespace xpusim::cli {

void add_engine_option(CLI::App& command, std::string& engine);

// The cycle engine for `chip` when `engine` is "cycle" (errors: the chip is not one the compiler
// targets); none for "analytical".
Expected<std::optional<cycle::CycleModel>> cycle_engine(const std::string& engine, const spec::ChipSpec& chip);

// What the cycle engine did: the ops it compiled and simulated, their cycles and the time it took.
nlohmann::ordered_json cycle_engine_json(const cycle::CycleModel& model);
void print_cycle_engine(const cycle::CycleModel& model);

}  // namespace xpusim::cli
