// paddockd: the Paddock plugin host. See `paddockd --help`.
#include <cstdio>
#include <cstring>
#include <string>

#include "host/config.h"
#include "host/daemon.h"

namespace {

constexpr char kUsage[] =
    "usage: paddockd [options]\n"
    "\n"
    "Runs the Paddock plugin host in the foreground until SIGINT/SIGTERM.\n"
    "\n"
    "options:\n"
    "  --config PATH       host config (JSON); default: the embedded default config\n"
    "  --plugin-dir DIR    scan DIR for plugins instead of the config's plugin_dirs\n"
    "                      (repeatable)\n"
    "  --socket PATH       control socket path (default /run/paddock/paddockd.sock)\n"
    "  --runtime-dir DIR   where instance sockets and roots live\n"
    "  --data-dir DIR      where plugins' persistent data dirs live\n"
    "  --log-level LEVEL   debug | info | warn | error\n"
    "  --unconfined        run plugins without the sandbox (development only)\n"
    "  --check-config      load and validate the config (--config, else the embedded\n"
    "                      default), print its source and SHA-256, and exit: 0 valid,\n"
    "                      2 invalid (with the reason)\n"
    "  --print-default-config\n"
    "                      print the embedded default config and exit\n"
    "  --version, --help\n"
    "\n"
    "signals:\n"
    "  SIGUSR2             hot reload: rescan the plugin directories, move changed plugins\n"
    "                      to a new generation (systemctl reload / paddockctl reload)\n"
    "  SIGHUP              re-read the config file now (it is also watched)\n"
    "  SIGTERM, SIGINT     stop every plugin gracefully, then exit\n"
    "\n"
    "Under systemd (Type=notify) it reports READY=1, RELOADING=1, STOPPING=1 and STATUS=.\n";

// --check-config: what paddockd would load, without starting anything.
int CheckConfig(const paddock::host::DaemonOptions& o) {
  auto loaded = o.config_path.empty() ? paddock::host::LoadEmbeddedDefaultConfig()
                                      : paddock::host::LoadHostConfigFile(o.config_path);
  if (!loaded.ok()) {
    fprintf(stderr, "paddockd: config: %s\n", std::string(loaded.status().message()).c_str());
    return 2;
  }
  printf("config OK: %s (sha256 %s)\n", loaded->source.c_str(), loaded->sha256_hex.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  paddock::host::DaemonOptions o;
  bool check_config = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) {
        fprintf(stderr, "paddockd: %s needs a value\n%s", flag, kUsage);
        exit(2);
      }
      return argv[++i];
    };
    if (a == "--config") {
      o.config_path = value("--config");
    } else if (a == "--plugin-dir") {
      o.plugin_dirs.push_back(value("--plugin-dir"));
    } else if (a == "--socket") {
      o.control_socket = value("--socket");
    } else if (a == "--runtime-dir") {
      o.runtime_dir = value("--runtime-dir");
    } else if (a == "--data-dir") {
      o.data_dir = value("--data-dir");
    } else if (a == "--log-level") {
      o.log_level = value("--log-level");
    } else if (a == "--unconfined") {
      o.unconfined = true;
    } else if (a == "--check-config") {
      check_config = true;
    } else if (a == "--print-default-config") {
      auto json = paddock::host::EmbeddedDefaultConfigJson();
      fwrite(json.data(), 1, json.size(), stdout);
      return 0;
    } else if (a == "--version") {
      printf("paddockd 0.1.0\n");
      return 0;
    } else if (a == "--help" || a == "-h") {
      fputs(kUsage, stdout);
      return 0;
    } else {
      fprintf(stderr, "paddockd: unknown option %s\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (check_config) return CheckConfig(o);
  return paddock::host::RunDaemon(o);
}
