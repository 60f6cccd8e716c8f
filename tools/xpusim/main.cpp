// xpusim: the command-line driver. The CLI lives in app.cpp and each subcommand in its own file.
// Exit codes: 0 success, 2 bad input or usage (one line per problem on stderr).
#include "app.h"

int main(int argc, char** argv) { return xpusim::cli::run_command_line(argc, argv); }
