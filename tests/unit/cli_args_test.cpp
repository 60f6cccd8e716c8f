// The command line's numbers, parsed by the real xpusim app with its commands switched off.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "app.h"

namespace xpusim::cli {
namespace {

struct Parsed {
  std::unique_ptr<CLI::App> app;
  std::string error;  // empty when the arguments parsed
};

// Parses `args` (after "xpusim") without running the command they name.
Parsed parse(std::vector<std::string> args) {
  static const Context context{"xpusim", /*parse_only=*/true};
  static int exit_code = 0;
  Parsed p{build_app(context, exit_code), {}};
  args.insert(args.begin(), "xpusim");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  try {
    p.app->parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    p.error = e.what();
  }
  return p;
}

CLI::Option* serve_option(const Parsed& p, const std::string& name) {
  return p.app->get_subcommand("llm")->get_subcommand("serve")->get_option(name);
}

std::vector<std::string> serve_with_batch(const std::string& batch) {
  return {"llm", "serve", "--model", "llama3-8b", "--chip", "h100-sxm", "--batch", batch};
}

TEST(CliNumbers, LeadingZerosAreDecimalNotOctal) {
  const Parsed p = parse(serve_with_batch("010"));
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(serve_option(p, "--batch")->as<int>(), 10);
  const Parsed plus = parse(serve_with_batch("+07"));
  ASSERT_EQ(plus.error, "");
  EXPECT_EQ(serve_option(plus, "--batch")->as<int>(), 7);
}

TEST(CliNumbers, HexExponentsAndWordsAreRefusedAsNumbers) {
  EXPECT_EQ(parse(serve_with_batch("0x10")).error, "--batch: '0x10' is not a whole decimal number");
  EXPECT_EQ(parse(serve_with_batch("1e3")).error, "--batch: '1e3' is not a whole decimal number");
  EXPECT_EQ(parse(serve_with_batch("abc")).error, "--batch: 'abc' is not a number");
  EXPECT_EQ(parse(serve_with_batch("")).error, "--batch: an empty value is not a number");
  // A negative count is a number, out of range.
  EXPECT_EQ(parse(serve_with_batch("-3")).error, "--batch: Value -3 not in range 1 to 1048576");
}

TEST(CliNumbers, RealsMustBeFiniteDecimals) {
  auto train = [](const std::string& value) {
    return parse({"llm", "train", "--model", "llama3-8b", "--system", "dgx-h100", "--nodes", "2", "--oversubscription",
                  value});
  };
  EXPECT_EQ(train("nan").error, "--oversubscription: 'nan' is not a number");
  EXPECT_EQ(train("inf").error, "--oversubscription: 'inf' is not a number");
  EXPECT_EQ(train("1e999").error, "--oversubscription: '1e999' is out of range");
  EXPECT_EQ(train("0x1p2").error, "--oversubscription: '0x1p2' is not a number");
  const Parsed ok = train("2.5");
  ASSERT_EQ(ok.error, "");
  EXPECT_DOUBLE_EQ(ok.app->get_subcommand("llm")->get_subcommand("train")->get_option("--oversubscription")->as<double>(), 2.5);
}

TEST(CliReport, AnEmptyPathIsRefused) {
  EXPECT_EQ(parse({"compare", "--report", ""}).error, "--report: give a file name, or - for standard output");
}

}  // namespace
}  // namespace xpusim::cli
