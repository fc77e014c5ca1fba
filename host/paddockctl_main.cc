// paddockctl: steers paddockd over its control socket. See `paddockctl --help`.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "host/ctl_commands.h"
#include "host/ctl_help.h"

int main(int argc, char** argv) {
  paddock::host::CtlOptions o;
  o.socket = paddock::host::DefaultControlSocket();
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (!args.empty()) {  // Everything after the command belongs to it.
      args.push_back(a);
    } else if (a == "--socket" && i + 1 < argc) {
      o.socket = argv[++i];
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--timeout" && i + 1 < argc) {
      if (!absl::SimpleAtod(argv[++i], &o.timeout_s) || o.timeout_s <= 0) {
        fprintf(stderr, "paddockctl: --timeout needs a positive number of seconds\n");
        return 2;
      }
    } else if (a == "--help" || a == "-h") {
      fputs(paddock::host::CtlUsageWithHint().c_str(), stdout);
      return 0;
    } else if (a == "--version") {
      printf("paddockctl 0.1.0\n");
      return 0;
    } else if (a.rfind("--", 0) == 0) {
      fprintf(stderr, "paddockctl: unknown option %s\n\n%s", a.c_str(), paddock::host::kCtlUsage);
      return 2;
    } else {
      args.push_back(a);
    }
  }
  // `help [COMMAND]` and `COMMAND --help`: per-command help with examples.
  if (!args.empty() && args[0] == "help") {
    if (args.size() == 1) {
      fputs(paddock::host::CtlUsageWithHint().c_str(), stdout);
      return 0;
    }
    auto help = paddock::host::CtlCommandHelp(args[1]);
    if (!help || args.size() > 2) {
      fprintf(stderr, "paddockctl: help: no command \"%s\"\n\n%s", args[1].c_str(),
              paddock::host::kCtlUsage);
      return 2;
    }
    fputs(help->c_str(), stdout);
    return 0;
  }
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] != "--help" && args[i] != "-h") continue;
    if (auto help = paddock::host::CtlCommandHelp(args[0])) {
      fputs(help->c_str(), stdout);
      return 0;
    }
  }
  // `--json` is also accepted after the command (e.g. `paddockctl status hello --json`).
  for (auto it = args.begin(); it != args.end();) {
    if (*it == "--json") {
      o.json = true;
      it = args.erase(it);
    } else {
      ++it;
    }
  }
  return paddock::host::RunCtlCommand(o, args);
}
