// The report's opening sentence. The comparison's options are collected first (each custom system with
// a price, built; each other priced system, bought and rented), then one of four sentences is written:
//   1. no row with results: nothing to build, buy or rent;
//   2. results but no price: no answer on cost, and which system serves the most tokens per chip;
//   3. the cheapest custom system costs less per token than every alternative: build it, from its
//      break-even volume against the cheapest alternative;
//   4. otherwise: buy or rent the cheapest alternative, and what volume the cheapest custom system would
//      need to match it (or that it never would); without a custom system, the next cheapest instead.
// Ties go to the alternative: building is the riskier choice, so it must be strictly cheaper.
#include "report/answer.h"

#include <cctype>
#include <cmath>
#include <optional>
#include <vector>

#include "support/text.h"

namespace xpusim::report::detail {
namespace {

// One way to get the workload done: a system, built (custom), bought or rented, at a cost per token.
struct Option {
  const Json* row = nullptr;
  std::string system;
  bool custom = false;
  Basis basis = Basis::buy;  // for a custom system: built
  double usd_per_million_tokens = 0;
};

// The options in table order: custom systems with a price; each other system bought and rented (at its
// committed price when it has one, else on demand).
std::vector<Option> options(const std::vector<const Json*>& rows) {
  std::vector<Option> out;
  for (const Json* row : rows) {
    if (!has_result(*row)) continue;
    const std::string system = text(*row, "system");
    if (is_custom(*row)) {
      if (const std::optional<double> usd = number(*row, "usd_per_million_tokens"); usd && *usd > 0)
        out.push_back({row, system, true, Basis::buy, *usd});
      continue;
    }
    std::optional<PricedBasis> rented;
    for (const PricedBasis& p : priced_bases(*row)) {
      if (p.basis == Basis::buy)
        out.push_back({row, system, false, Basis::buy, p.usd_per_million_tokens});
      else
        rented = p;  // on demand first, so committed, when given, replaces it
    }
    if (rented) out.push_back({row, system, false, rented->basis, rented->usd_per_million_tokens});
  }
  return out;
}

// The cheapest of `options` that `take` accepts (the first of equals); nullptr when none.
template <typename Take>
const Option* cheapest(const std::vector<Option>& options, Take take) {
  const Option* best = nullptr;
  for (const Option& o : options)
    if (take(o) && (!best || o.usd_per_million_tokens < best->usd_per_million_tokens)) best = &o;
  return best;
}

std::string provider(const Json& row) {
  const std::optional<Rent> offer = rent(row);
  return offer ? offer->provider : std::string();
}

// How an alternative is paid for, after its name: "bought", "rented on demand, AWS p5.48xlarge".
std::string how(const Option& o) {
  const std::string words = basis_words(o.basis, o.row), from = provider(*o.row);
  return o.basis == Basis::buy || from.empty() ? words : words + ", " + from;
}

// The verb that opens the sentence for an alternative: "buy gb200-nvl72", "rent dgx-h100 on demand
// (AWS p5.48xlarge)".
std::string take_alternative(const Option& o) {
  if (o.basis == Basis::buy) return "buy " + o.system;
  // "rented on demand" -> "rent dgx-h100 on demand"
  const std::string terms = basis_words(o.basis, o.row).substr(std::string_view("rented ").size());
  const std::string from = provider(*o.row);
  return "rent " + o.system + " " + terms + (from.empty() ? "" : " (" + from + ")");
}

// What the whole training run costs with `o`: the row's "run.usd" when bought or built, else its
// $ per million tokens times the run's tokens; nullopt when serving or when neither is known.
std::optional<double> run_usd(const Json& comparison, const Option& o) {
  const Json* train = member(comparison, "train");
  if (!train) return std::nullopt;
  if (o.basis == Basis::buy)
    if (const Json* run = member(*o.row, "run"))
      if (const std::optional<double> usd = number(*run, "usd")) return usd;
  if (const std::optional<double> tokens = number(*train, "tokens"); tokens && *tokens > 0)
    return o.usd_per_million_tokens * *tokens / 1e6;
  return std::nullopt;
}

// "$0.31 per million tokens", or for a training run "$206k ($0.69 per million tokens)"; `short_form`
// drops " per million tokens" after the run's cost, for the second price of a sentence.
std::string cost(const Json& comparison, const Option& o, bool short_form = false) {
  const std::string per_token = usd_per_million_tokens_text(o.usd_per_million_tokens);
  if (const std::optional<double> run = run_usd(comparison, o))
    return format_usd(*run) + " (" + per_token + (short_form ? ")" : " per million tokens)");
  return short_form ? per_token : per_token + " per million tokens";
}

// "4,390 chips", "2.1 million chips": a break-even volume, rounded up as the table does.
std::string chips_text(double volume) {
  const double chips = std::ceil(volume);
  if (chips >= 1e6) return format_significant(chips / 1e6, 2) + " million chips";
  return format_grouped(chips) + (chips == 1 ? " chip" : " chips");
}

// "serves llama3-70b", "trains gpt3-175b", or "runs the workload".
std::string does(const Json& comparison) {
  if (const Json* serve = member(comparison, "serve"); serve && !text(*serve, "model").empty())
    return "serves " + text(*serve, "model");
  if (const Json* train = member(comparison, "train"); train && !text(*train, "model").empty())
    return "trains " + text(*train, "model");
  return "runs the workload";
}

// The custom system's break-even entry against the alternative `o`; nullopt when the document has none.
std::optional<BreakEven> break_even_with(const Option& custom, const Option& o) {
  for (const BreakEven& b : break_evens(*custom.row))
    if (b.against == o.system && b.basis == o.basis) return b;
  return std::nullopt;
}

// "; the custom xpu-1-node has no price (no process spec for tsmc-n2)" for each custom row without an
// option, so the sentence says why building is not on the table.
std::string unpriced_custom(const std::vector<const Json*>& rows) {
  std::string out;
  for (const Json* row : rows) {
    if (!is_custom(*row)) continue;
    const std::optional<double> usd = number(*row, "usd_per_million_tokens");
    if (has_result(*row) && usd && *usd > 0) continue;
    const std::string problem = text(*row, "problem");
    out += "; the custom " + text(*row, "system") + (has_result(*row) ? " has no price" : " cannot run it") +
           (problem.empty() ? "" : " (" + problem + ")");
  }
  return out;
}

std::string build(const Json& comparison, const Option& custom, const Option* alternative) {
  std::string s = "build " + custom.system + ": ";
  if (const std::optional<double> volume = number(comparison, "volume"); volume && *volume > 0)
    s += "at " + format_grouped(*volume) + " chips ";
  s += "it " + does(comparison) + (run_usd(comparison, custom) ? " for " : " at ") + cost(comparison, custom);
  if (!alternative) return s + "; no bought or rented system here has a price to set against it";
  s += " against " + cost(comparison, *alternative, true) + " for the cheapest alternative (" + alternative->system +
       ", " + how(*alternative) + ")";
  const std::optional<BreakEven> b = break_even_with(custom, *alternative);
  if (b && b->volume && *b->volume > 0) s += ", and it pays off from " + chips_text(*b->volume);
  return s;
}

std::string take(const Json& comparison, const std::vector<Option>& all, const Option& best, const Option* custom,
                 const std::vector<const Json*>& rows) {
  std::string s = take_alternative(best) + ": ";
  s += member(comparison, "train") && run_usd(comparison, best) ? "the run costs " + cost(comparison, best)
                                                                : cost(comparison, best);
  if (custom) {
    s += " against " + cost(comparison, *custom, true) + " for " + custom->system;
    if (const std::optional<double> volume = number(comparison, "volume"); volume && *volume > 0)
      s += " at " + format_grouped(*volume) + " chips";
    if (const std::optional<BreakEven> b = break_even_with(*custom, best)) {
      if (!b->volume)
        s += ", which never matches it, even with its NRE paid off";
      else if (*b->volume > 0)
        s += ", which would need " + chips_text(*b->volume) + " to match it";
    }
    return s;
  }
  const Option* next = cheapest(all, [&](const Option& o) { return !o.custom && o.system != best.system; });
  if (!next) next = cheapest(all, [&](const Option& o) { return !o.custom && &o != &best; });
  if (next)
    s += ", against " + cost(comparison, *next, true) + " for the next cheapest (" + next->system + ", " + how(*next) +
         ")";
  else
    s += ", the only priced option here";
  return s + unpriced_custom(rows);
}

// The system with the most tokens per second per chip, for the sentence without prices; "" when none.
std::string fastest_per_chip(const std::vector<const Json*>& rows) {
  std::string best;
  double most = 0;
  for (const Json* row : rows) {
    const std::optional<double> chips = number(*row, "chips");
    if (!has_result(*row) || !chips || *chips <= 0) continue;
    if (const double per_chip = *number(*row, "tokens_per_s") / *chips; per_chip > most) {
      most = per_chip;
      best = text(*row, "system");
    }
  }
  return best;
}

}  // namespace

std::string answer_sentence(const Json& comparison) {
  const std::vector<const Json*> rows = system_rows(comparison);
  const std::vector<Option> all = options(rows);
  const Option* custom = cheapest(all, [](const Option& o) { return o.custom; });
  const Option* alternative = cheapest(all, [](const Option& o) { return !o.custom; });

  std::string s;
  bool any_result = false;
  for (const Json* row : rows) any_result = any_result || has_result(*row);
  if (!any_result) {
    s = "no system here can run the workload, so there is nothing to build, buy or rent";
  } else if (all.empty()) {
    s = "no system here has a price, so cost cannot choose between building, buying and renting";
    if (const std::string fastest = fastest_per_chip(rows); !fastest.empty())
      s += "; per chip, " + fastest + " " + does(comparison) + " fastest";
  } else if (custom && (!alternative || custom->usd_per_million_tokens < alternative->usd_per_million_tokens)) {
    s = build(comparison, *custom, alternative);
  } else {
    s = take(comparison, all, *alternative, custom, rows);
  }

  if (const std::optional<double> year = number(comparison, "year"))
    return "In " + format_number(*year) + ", " + s + ".";
  s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s + ".";
}

}  // namespace xpusim::report::detail
