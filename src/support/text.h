// Small text helpers shared by the spec loader and the CLI.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace xpusim {

// Levenshtein distance, used for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, or "" when none is close enough to be a plausible typo.
std::string closest_match(std::string_view word, std::span<const std::string> candidates);

// Shortest decimal text that reads back as the same double ("0.1", "989.4", "1e+400" never occurs:
// callers only format finite values).
std::string format_number(double value);

// A value from the user's input, fit to be echoed in a one-line message: in single quotes, control
// characters escaped (\n, \xNN), and cut to about 60 bytes (on a UTF-8 boundary) with "..." when longer.
std::string quote_value(std::string_view value);

// "1 stack", "2 stacks"
std::string count_noun(long long count, std::string_view singular, std::string_view plural);

// `value` rounded to `digits` significant digits, then as format_number ("0.064", "989.4", "2517").
std::string format_significant(double value, int digits);

// A whole number with thousands separators: "16,988", "-1,250", "100,000".
std::string format_grouped(double value);

// Dollars to three or four significant figures: "$3.10M", "$151k", "$5,965", "$7.77"; two below ten
// cents: "$0.014".
std::string format_usd(double usd);

// "a, b or c"
std::string join_alternatives(std::span<const std::string> items);

}  // namespace xpusim
