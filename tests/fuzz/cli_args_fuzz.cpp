// libFuzzer target: any argument list given to xpusim's command line (split at NUL bytes) is parsed by
// the real app, with its commands switched off; it must end in a parse error or success, never in a
// crash, a sanitizer report or an uncaught exception.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "app.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"xpusim"};
  std::string current;
  for (std::size_t i = 0; i < size && args.size() < 64; ++i) {
    if (data[i] == 0) {
      args.push_back(current);
      current.clear();
    } else {
      current.push_back(static_cast<char>(data[i]));
    }
  }
  args.push_back(current);
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());

  static const xpusim::cli::Context context{"xpusim", /*parse_only=*/true};
  int exit_code = 0;
  std::unique_ptr<CLI::App> app = xpusim::cli::build_app(context, exit_code);
  try {
    app->parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError&) {
    // Help, version and usage errors are all answers.
  }
  return 0;
}
