// `paddockctl call` against a plugin the host was never compiled with (the echo test
// plugin): unary and server-streaming methods, and what happens when the caller goes away.
#include <catch2/catch.hpp>
#include <thread>

#include "integration/harness.h"

using paddock::testing::CmdResult;
using paddock::testing::Host;
using paddock::testing::TestPlugin;
namespace v1 = paddock::v1;

TEST_CASE("call drives unary and server-streaming methods of any plugin", "[call]") {
  Host host(paddock::testing::kEchoGrant);
  host.AddPlugin(TestPlugin("echo-v1"), "echo");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("echo", v1::STATE_SERVING, 10));

  CmdResult unary = host.Ctl({"call", "echo", "Echo", R"({"text":"hi"})"});
  REQUIRE(unary.exit_code == 0);
  CHECK(unary.out.find(R"("text":"hi")") != std::string::npos);
  CHECK(unary.out.find(R"("version":"1.0.0")") != std::string::npos);

  CmdResult stream = host.Ctl({"call", "echo", "Count", R"({"n":5,"intervalMs":1})"});
  REQUIRE(stream.exit_code == 0);
  int lines = 0;
  for (char c : stream.out) lines += c == '\n';
  CHECK(lines == 5);
  CHECK(stream.out.find(R"("i":5)") != std::string::npos);

  CmdResult json = host.Ctl({"--json", "call", "echo", "Count", R"({"n":2})"});
  REQUIRE(json.exit_code == 0);
  CHECK(json.out.find(R"("method":"/paddock.test.v1.Echo/Count")") != std::string::npos);
}

TEST_CASE("a stream ends when its caller's deadline passes and the host keeps serving", "[call]") {
  Host host(paddock::testing::kEchoGrant);
  host.AddPlugin(TestPlugin("echo-v1"), "echo");
  REQUIRE(host.Start());
  REQUIRE(host.WaitForState("echo", v1::STATE_SERVING, 10));
  auto start = std::chrono::steady_clock::now();
  CmdResult cut =
      host.Ctl({"--timeout", "0.5", "call", "echo", "Count", R"({"n":1000,"intervalMs":100})"});
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(cut.exit_code == 1);
  CHECK(cut.out.find(R"("i":1)") != std::string::npos);
  CHECK(took < 5);
  // The plugin's stream was cancelled, not left running: the plugin still answers at once.
  CHECK(host.Ctl({"call", "echo", "Echo", R"({"text":"x"})"}).exit_code == 0);
  CHECK(host.Status("echo").state() == v1::STATE_SERVING);
}
