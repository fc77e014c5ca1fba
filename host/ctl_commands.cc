#include "host/ctl_commands.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "host/ctl_format.h"
#include "host/ctl_sign.h"
#include "paddock/v1/control.grpc.pb.h"

namespace paddock::host {

const char kCtlUsage[] =
    "usage: paddockctl [--socket PATH] [--json] [--timeout SECONDS] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  list                       every plugin: version, generation, pid, state, uptime\n"
    "  status NAME                one plugin in detail, with its confinement\n"
    "  start NAME                 start a stopped or failed plugin\n"
    "  stop NAME                  stop a plugin (graceful, then SIGKILL)\n"
    "  restart NAME               stop and start, clearing a crash loop\n"
    "  reload [NAME]              hot-swap changed plugins (or NAME) to a new generation\n"
    "  logs [-f] [-n N] NAME      a plugin's log lines; -f follows\n"
    "  call NAME METHOD [JSON|-]  call a unary method with a JSON body (- reads stdin)\n"
    "  config show                the host config in force\n"
    "  keygen PREFIX              new Ed25519 signing key: PREFIX.key, PREFIX.pub\n"
    "  sign --key KEY BINARY...   sign plugin binaries (writes BINARY.sig)\n"
    "  verify --key PUB BINARY... check BINARY.sig against a public key (or key dir)\n"
    "\n"
    "--socket defaults to $PADDOCK_SOCKET or /run/paddock/paddockd.sock.\n"
    "Exit codes: 0 ok, 1 refused or failed, 2 usage, 3 cannot reach paddockd.\n";

namespace {

using paddock::v1::Control;

constexpr double kDefaultTimeoutS = 30;
constexpr double kActionTimeoutS = 150;

int Usage(const std::string& why) {
  fprintf(stderr, "paddockctl: %s\n\n%s", why.c_str(), kCtlUsage);
  return 2;
}

class Ctl {
 public:
  explicit Ctl(const CtlOptions& o) : o_(o) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    stub_ = Control::NewStub(
        grpc::CreateCustomChannel("unix:" + o.socket, grpc::InsecureChannelCredentials(), args));
  }

  void Prepare(grpc::ClientContext* ctx, double default_s) const {
    double t = o_.timeout_s > 0 ? o_.timeout_s : default_s;
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(static_cast<int64_t>(t * 1000)));
  }

  // Prints a failed RPC and returns its exit code.
  int Fail(const grpc::Status& s) const {
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE && access(o_.socket.c_str(), F_OK) != 0) {
      fprintf(stderr,
              "paddockctl: cannot reach paddockd at %s: no such socket (is paddockd running? "
              "choose another with --socket or PADDOCK_SOCKET)\n",
              o_.socket.c_str());
      return 3;
    }
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE &&
        s.error_message().find("onnect") != std::string::npos) {
      fprintf(stderr, "paddockctl: cannot reach paddockd at %s: %s\n", o_.socket.c_str(),
              s.error_message().c_str());
      return 3;
    }
    fprintf(stderr, "paddockctl: %s\n", s.error_message().c_str());
    return 1;
  }

  Control::Stub& stub() { return *stub_; }
  const CtlOptions& options() const { return o_; }

 private:
  const CtlOptions& o_;
  std::unique_ptr<Control::Stub> stub_;
};

int PrintInfo(const Ctl& ctl, const paddock::v1::PluginInfo& p, bool want_serving) {
  if (ctl.options().json) {
    std::cout << ToJson(p) << "\n";
  } else {
    std::cout << FormatStatus(p);
  }
  if (want_serving && p.state() != paddock::v1::STATE_SERVING) return 1;
  return 0;
}

int CmdList(Ctl& ctl) {
  grpc::ClientContext ctx;
  ctl.Prepare(&ctx, kDefaultTimeoutS);
  paddock::v1::ListResponse r;
  grpc::Status s = ctl.stub().List(&ctx, paddock::v1::ListRequest(), &r);
  if (!s.ok()) return ctl.Fail(s);
  std::cout << (ctl.options().json ? ToJson(r) + "\n" : FormatList(r));
  return 0;
}

int CmdStatus(Ctl& ctl, const std::string& name) {
  grpc::ClientContext ctx;
  ctl.Prepare(&ctx, kDefaultTimeoutS);
  paddock::v1::PluginRef ref;
  ref.set_name(name);
  paddock::v1::PluginInfo r;
  grpc::Status s = ctl.stub().Status(&ctx, ref, &r);
  if (!s.ok()) return ctl.Fail(s);
  return PrintInfo(ctl, r, false);
}

int CmdAction(Ctl& ctl, const std::string& verb, const std::string& name) {
  grpc::ClientContext ctx;
  ctl.Prepare(&ctx, kActionTimeoutS);
  paddock::v1::PluginRef ref;
  ref.set_name(name);
  paddock::v1::ActionResponse r;
  grpc::Status s = verb == "start"  ? ctl.stub().Start(&ctx, ref, &r)
                   : verb == "stop" ? ctl.stub().Stop(&ctx, ref, &r)
                                    : ctl.stub().Restart(&ctx, ref, &r);
  if (!s.ok()) return ctl.Fail(s);
  return PrintInfo(ctl, r.plugin(), verb != "stop");
}

int CmdReload(Ctl& ctl, const std::string& name) {
  grpc::ClientContext ctx;
  ctl.Prepare(&ctx, kActionTimeoutS);
  paddock::v1::ReloadRequest req;
  req.set_name(name);
  req.set_wait(true);
  paddock::v1::ReloadResponse r;
  grpc::Status s = ctl.stub().Reload(&ctx, req, &r);
  if (!s.ok()) return ctl.Fail(s);
  if (ctl.options().json) {
    std::cout << ToJson(r) << "\n";
  } else if (r.outcomes().empty()) {
    std::cout << "nothing to reload: no plugin binary changed\n";
  }
  int rc = 0;
  for (const auto& [plugin, o] : r.outcomes()) {
    if (!o.succeeded()) rc = 1;
    if (ctl.options().json) continue;
    if (o.succeeded()) {
      printf("%s: generation %lu serving (%.1f ms)\n", plugin.c_str(),
             static_cast<unsigned long>(o.generation()), o.duration_ms());
    } else {
      printf("%s: reload to generation %lu FAILED: %s\n", plugin.c_str(),
             static_cast<unsigned long>(o.generation()), o.error().c_str());
    }
  }
  return rc;
}

int CmdLogs(Ctl& ctl, const std::vector<std::string>& args) {
  paddock::v1::LogsRequest req;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "-f" || args[i] == "--follow") {
      req.set_follow(true);
    } else if (args[i] == "-n" || args[i] == "--tail") {
      uint32_t n;
      if (i + 1 >= args.size() || !absl::SimpleAtoi(args[i + 1], &n)) {
        return Usage("logs: -n needs a number");
      }
      req.set_tail(n);
      ++i;
    } else if (req.name().empty()) {
      req.set_name(args[i]);
    } else {
      return Usage("logs: unexpected argument " + args[i]);
    }
  }
  if (req.name().empty()) return Usage("logs: which plugin?");
  grpc::ClientContext ctx;
  if (!req.follow()) ctl.Prepare(&ctx, kDefaultTimeoutS);
  auto reader = ctl.stub().Logs(&ctx, req);
  paddock::v1::LogEntry e;
  while (reader->Read(&e)) {
    std::cout << (ctl.options().json ? ToJson(e) : FormatLogEntry(e)) << std::endl;
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) return ctl.Fail(s);
  return 0;
}

int CmdCall(Ctl& ctl, const std::vector<std::string>& args) {
  if (args.size() < 3 || args.size() > 4) return Usage("call: NAME METHOD [JSON|-]");
  paddock::v1::CallRequest req;
  req.set_plugin(args[1]);
  req.set_method(args[2]);
  if (args.size() == 4) {
    if (args[3] == "-") {
      req.set_json(std::string(std::istreambuf_iterator<char>(std::cin), {}));
    } else {
      req.set_json(args[3]);
    }
  }
  // Streams print one JSON answer per line as they arrive; unary calls print one. Without
  // --timeout a stream runs until the plugin ends it or Ctrl-C.
  grpc::ClientContext ctx;
  if (ctl.options().timeout_s > 0) {
    ctl.Prepare(&ctx, kDefaultTimeoutS);
    req.set_timeout_ms(static_cast<uint32_t>(ctl.options().timeout_s * 1000));
  }
  auto reader = ctl.stub().CallStream(&ctx, req);
  paddock::v1::CallResponse r;
  while (reader->Read(&r)) {
    std::cout << (ctl.options().json ? ToJson(r) : r.json()) << std::endl;
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) return ctl.Fail(s);
  return 0;
}

int CmdConfig(Ctl& ctl, const std::vector<std::string>& args) {
  if (args.size() != 2 || args[1] != "show") return Usage("config: only `config show`");
  grpc::ClientContext ctx;
  ctl.Prepare(&ctx, kDefaultTimeoutS);
  paddock::v1::ConfigInfo r;
  grpc::Status s = ctl.stub().GetConfig(&ctx, paddock::v1::GetConfigRequest(), &r);
  if (!s.ok()) return ctl.Fail(s);
  if (ctl.options().json) {
    std::cout << ToJson(r) << "\n";
    return 0;
  }
  printf("# version %lu, sha256 %s, from %s\n", static_cast<unsigned long>(r.version()),
         r.sha256().c_str(), r.source().c_str());
  if (!r.last_error().empty()) printf("# last rejected change: %s\n", r.last_error().c_str());
  std::cout << r.json() << "\n";
  return 0;
}

}  // namespace

std::string DefaultControlSocket() {
  const char* env = getenv("PADDOCK_SOCKET");
  return env != nullptr && *env != '\0' ? env : "/run/paddock/paddockd.sock";
}

int RunCtlCommand(const CtlOptions& options, const std::vector<std::string>& args) {
  if (args.empty()) return Usage("which command?");
  if (IsSignCommand(args[0])) return RunSignCommand(args);  // Offline: no paddockd needed.
  Ctl ctl(options);
  const std::string& cmd = args[0];
  auto one_name = [&](const char* what) -> const std::string* {
    if (args.size() != 2) return nullptr;
    (void)what;
    return &args[1];
  };
  if (cmd == "list" && args.size() == 1) return CmdList(ctl);
  if (cmd == "status") {
    if (auto* n = one_name("status")) return CmdStatus(ctl, *n);
    return Usage("status: which plugin?");
  }
  if (cmd == "start" || cmd == "stop" || cmd == "restart") {
    if (auto* n = one_name(cmd.c_str())) return CmdAction(ctl, cmd, *n);
    return Usage(cmd + ": which plugin?");
  }
  if (cmd == "reload" && args.size() <= 2) return CmdReload(ctl, args.size() == 2 ? args[1] : "");
  if (cmd == "logs") return CmdLogs(ctl, args);
  if (cmd == "call") return CmdCall(ctl, args);
  if (cmd == "config") return CmdConfig(ctl, args);
  return Usage("unknown command or wrong arguments: " + cmd);
}

}  // namespace paddock::host
