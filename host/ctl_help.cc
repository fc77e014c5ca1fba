#include "host/ctl_help.h"

#include "absl/strings/str_cat.h"
#include "host/ctl_commands.h"

namespace paddock::host {
namespace {

struct CommandHelp {
  const char* name;
  const char* text;
};

// Kept in the order of kCtlUsage. Options common to every command (--socket, --json,
// --timeout) are described once, in kCommon.
constexpr CommandHelp kHelp[] = {
    {"list",
     "usage: paddockctl [--json] list\n"
     "\n"
     "Lists every plugin the host knows: valid plugins by name, and files in its plugin\n"
     "directories that are not valid plugins (state \"invalid\", with the reason).\n"
     "Columns: NAME VERSION GEN (generation serving) PID STATE UPTIME RESTARTS ERROR.\n"
     "States: starting, serving, backoff (restart pending), failed (crash loop or refused\n"
     "grant; `restart` clears it), invalid, stopped, draining.\n"
     "\n"
     "examples:\n"
     "  paddockctl list\n"
     "  paddockctl list --json | jq -r '.plugins[] | select(.state != \"STATE_SERVING\") "
     "| .name'\n"},
    {"status",
     "usage: paddockctl [--json] status NAME\n"
     "\n"
     "One plugin in detail: version, generation, pid, binary and its SHA-256, services,\n"
     "sockets, config version, last exit and last reload, and its confinement as applied:\n"
     "namespaces, root, uid/gid, capabilities, seccomp groups, cgroups and limits, current\n"
     "memory and CPU use, OOM kills, and every refused syscall with a count.\n"
     "\n"
     "examples:\n"
     "  paddockctl status gcounter\n"
     "  paddockctl status http-sampler --json | jq .confinement.violations\n"},
    {"start",
     "usage: paddockctl start NAME\n"
     "\n"
     "Starts a stopped or failed plugin and waits until it serves or gives up (exit 1 with\n"
     "the reason). A plugin that is already serving is left alone.\n"
     "\n"
     "example:\n"
     "  paddockctl start log-aggregator\n"},
    {"stop",
     "usage: paddockctl stop NAME\n"
     "\n"
     "Stops a plugin: it is asked to drain and exit, and gets SIGKILL after the host's\n"
     "shutdown_grace_ms. It stays stopped until `start` or `restart`.\n"
     "\n"
     "example:\n"
     "  paddockctl stop http-sampler\n"},
    {"restart",
     "usage: paddockctl restart NAME\n"
     "\n"
     "Stops the plugin, clears its failure history (a crash loop parks a plugin as failed)\n"
     "and starts it again; waits until it serves or gives up.\n"
     "\n"
     "example:\n"
     "  paddockctl restart scheduler\n"},
    {"reload",
     "usage: paddockctl reload [NAME]\n"
     "\n"
     "Hot reload. Without NAME, does what SIGUSR2 (`systemctl reload paddockd`) does:\n"
     "rescans the plugin directories, starts new plugins, stops removed ones and moves\n"
     "every plugin whose binary changed to a new generation. With NAME, moves that plugin\n"
     "to a new generation of its binary even if unchanged. The new generation starts\n"
     "beside the old one; calls switch over only once it is healthy, and the old one\n"
     "drains. Prints one line per plugin reloaded; exit 1 if any reload failed (the old\n"
     "generation then keeps serving).\n"
     "\n"
     "examples:\n"
     "  install -m 755 build/lib/paddock/plugins/gcounter /usr/lib/paddock/plugins/\n"
     "  paddockctl reload\n"
     "  paddockctl reload hello\n"},
    {"logs",
     "usage: paddockctl [--json] logs [-f|--follow] [-n|--tail N] NAME\n"
     "\n"
     "A plugin's recent log lines (stdout and stderr, kept in a ring of log_ring_bytes per\n"
     "plugin), oldest first, across generations. -n N shows only the last N; -f keeps\n"
     "the stream open and prints new lines as they come (Ctrl-C ends it).\n"
     "\n"
     "examples:\n"
     "  paddockctl logs -n 50 gcounter\n"
     "  paddockctl logs -f log-aggregator\n"
     "  paddockctl logs --json hello | jq -r .message\n"},
    {"call",
     "usage: paddockctl [--timeout SECONDS] call NAME METHOD [JSON|-]\n"
     "\n"
     "Calls METHOD of plugin NAME through the host with a JSON request body (proto3 JSON\n"
     "of the method's request message; default {}; - reads it from stdin) and prints the\n"
     "JSON answer. METHOD is \"Method\" when unique among the plugin's services, else\n"
     "\"package.Service/Method\". Server-streaming methods print one JSON object per line\n"
     "until the plugin ends the stream, Ctrl-C, or --timeout. Works for any plugin: the\n"
     "host reads the method's types from the plugin's manifest.\n"
     "\n"
     "examples:\n"
     "  paddockctl call hello Greet '{\"name\":\"ada\"}'\n"
     "  echo '{\"name\":\"visits\",\"delta\":5}' | paddockctl call gcounter Increment -\n"
     "  paddockctl --timeout 10 call scheduler Subscribe '{}'\n"},
    {"config",
     "usage: paddockctl [--json] config show\n"
     "\n"
     "The host config in force, with every default filled in, preceded by its version,\n"
     "SHA-256 and source file, and the reason the last change was rejected, if one was.\n"
     "paddockd watches its config file: a valid change applies by itself, an invalid one\n"
     "is rejected and the old config stays.\n"
     "\n"
     "example:\n"
     "  paddockctl config show\n"},
};

constexpr char kCommon[] =
    "\n"
    "common options (before the command; --json also after it):\n"
    "  --socket PATH      control socket (default $PADDOCK_SOCKET, else\n"
    "                     /run/paddock/paddockd.sock)\n"
    "  --json             machine-readable output (proto3 JSON)\n"
    "  --timeout SECONDS  deadline of the request\n"
    "exit codes: 0 ok, 1 refused or failed, 2 usage, 3 cannot reach paddockd\n";

}  // namespace

std::optional<std::string> CtlCommandHelp(std::string_view command) {
  for (const CommandHelp& h : kHelp) {
    if (command == h.name) return absl::StrCat(h.text, kCommon);
  }
  return std::nullopt;
}

std::vector<std::string> CtlCommandNames() {
  std::vector<std::string> names;
  for (const CommandHelp& h : kHelp) names.emplace_back(h.name);
  return names;
}

std::string CtlUsageWithHint() {
  return absl::StrCat(kCtlUsage,
                      "\n`paddockctl help COMMAND` (or `paddockctl COMMAND --help`) shows a "
                      "command's options and examples; `man paddockctl` has them all.\n");
}

}  // namespace paddock::host
