#include "syslog_parser.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "syslog_time.h"
#include "test_util.h"

namespace paddock::logagg {
namespace {

using testing::Utc;

const int64_t kRecv = Utc(2024, 3, 15, 12, 0, 0);

struct Fields {
  ParsedLine p;
  std::string line;
  std::string Get(Span s) const { return line.substr(s.off, s.len); }
  std::string host() const { return Get(p.host); }
  std::string app() const { return Get(p.app); }
  std::string procid() const { return Get(p.procid); }
  std::string msgid() const { return Get(p.msgid); }
  std::string sd() const { return Get(p.sd); }
  std::string msg() const { return Get(p.msg); }
};

Fields Parse(const std::string& line, int64_t recv = kRecv) {
  Fields f;
  f.line = line;
  ParseClock clock{recv, YearOf(recv)};
  ParseSyslog(f.line.data(), f.line.size(), clock, &f.p);
  return f;
}

}  // namespace

TEST_CASE("RFC 5424 example 1 (section 6.5): no structured data, BOM", "[parser]") {
  auto f = Parse(
      "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
      "\xEF\xBB\xBF'su root' failed for lonvick on /dev/pts/8");
  REQUIRE(f.p.format == LineFormat::kRfc5424);
  REQUIRE(f.p.has_pri);
  REQUIRE(f.p.facility == 4);
  REQUIRE(f.p.severity == 2);
  REQUIRE(f.p.has_time);
  REQUIRE(f.p.time_ns == Utc(2003, 10, 11, 22, 14, 15, 3'000'000));
  REQUIRE(f.host() == "mymachine.example.com");
  REQUIRE(f.app() == "su");
  REQUIRE(f.procid().empty());
  REQUIRE(f.msgid() == "ID47");
  REQUIRE(f.sd().empty());
  REQUIRE(f.msg() == "'su root' failed for lonvick on /dev/pts/8");
}

TEST_CASE("RFC 5424 example 2: time zone offset, procid, no msgid", "[parser]") {
  auto f = Parse(
      "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make "
      "the do-nuts.");
  REQUIRE(f.p.format == LineFormat::kRfc5424);
  REQUIRE(f.p.facility == 20);
  REQUIRE(f.p.severity == 5);
  REQUIRE(f.p.time_ns == Utc(2003, 8, 24, 12, 14, 15, 3'000));
  REQUIRE(f.host() == "192.0.2.1");
  REQUIRE(f.app() == "myproc");
  REQUIRE(f.procid() == "8710");
  REQUIRE(f.msgid().empty());
  REQUIRE(f.msg() == "%% It's time to make the do-nuts.");
}

TEST_CASE("RFC 5424 examples 3 and 4: structured data", "[parser]") {
  auto f = Parse(
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
      "iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] \xEF\xBB\xBF"
      "An application event log entry...");
  REQUIRE(f.p.format == LineFormat::kRfc5424);
  REQUIRE(f.app() == "evntslog");
  REQUIRE(f.sd() == "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]");
  REQUIRE(f.msg() == "An application event log entry...");

  auto g = Parse(
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 "
      "iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 "
      "class=\"high\"]");
  REQUIRE(g.p.format == LineFormat::kRfc5424);
  REQUIRE(g.sd() ==
          "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
          "[examplePriority@32473 class=\"high\"]");
  REQUIRE(g.msg().empty());
}

TEST_CASE("RFC 5424 from logger(1), systemd and docker", "[parser]") {
  // util-linux logger --rfc5424.
  auto f = Parse(
      "<13>1 2024-01-02T03:04:05.123456+00:00 build01 alice 4242 - [timeQuality tzKnown=\"1\" "
      "isSynced=\"1\" syncAccuracy=\"123456\"] deploy finished\n");
  REQUIRE(f.p.format == LineFormat::kRfc5424);
  REQUIRE(f.p.time_ns == Utc(2024, 1, 2, 3, 4, 5, 123'456'000));
  REQUIRE(f.host() == "build01");
  REQUIRE(f.app() == "alice");
  REQUIRE(f.procid() == "4242");
  REQUIRE(f.msg() == "deploy finished");  // Trailing LF trimmed.
  // Escaped quote and bracket inside a param value.
  auto g = Parse("<30>1 2024-01-02T03:04:05Z h app - - [x@1 a=\"q\\\"b\\]c\"] m");
  REQUIRE(g.p.format == LineFormat::kRfc5424);
  REQUIRE(g.sd() == "[x@1 a=\"q\\\"b\\]c\"]");
  REQUIRE(g.msg() == "m");
  // Docker's syslog driver (rfc5424micro).
  auto d = Parse("<30>1 2024-05-06T07:08:09.123456Z dockerhost web 1234 abcdef123456 - GET / 200");
  REQUIRE(d.p.format == LineFormat::kRfc5424);
  REQUIRE(d.app() == "web");
  REQUIRE(d.msgid() == "abcdef123456");
  REQUIRE(d.msg() == "GET / 200");
  // NILVALUE timestamp.
  auto n = Parse("<14>1 - - - - - -");
  REQUIRE(n.p.format == LineFormat::kRfc5424);
  REQUIRE_FALSE(n.p.has_time);
  REQUIRE(n.host().empty());
}

TEST_CASE("RFC 5424 header fields at their length limits", "[parser]") {
  std::string host(255, 'h'), app(48, 'a'), procid(128, 'p'), msgid(32, 'm');
  auto f =
      Parse("<1>1 2024-01-01T00:00:00Z " + host + " " + app + " " + procid + " " + msgid + " - x");
  REQUIRE(f.p.format == LineFormat::kRfc5424);
  REQUIRE(f.host() == host);
  REQUIRE(f.app() == app);
  REQUIRE(f.procid() == procid);
  REQUIRE(f.msgid() == msgid);
  // One byte more in any field: not RFC 5424 (kept raw, PRI still decoded).
  for (auto line : {"<1>1 2024-01-01T00:00:00Z " + host + "h a p m - x",
                    "<1>1 2024-01-01T00:00:00Z h " + app + "a p m - x",
                    "<1>1 2024-01-01T00:00:00Z h a " + procid + "p m - x",
                    "<1>1 2024-01-01T00:00:00Z h a p " + msgid + "m - x"}) {
    auto g = Parse(line);
    REQUIRE(g.p.format == LineFormat::kRaw);
    REQUIRE(g.p.has_pri);
    REQUIRE(g.p.severity == 1);
  }
  // SD-NAME of 32 is fine, 33 is not.
  REQUIRE(Parse("<1>1 - h a p m [" + std::string(32, 'n') + "] x").p.format ==
          LineFormat::kRfc5424);
  REQUIRE(Parse("<1>1 - h a p m [" + std::string(33, 'n') + "] x").p.format == LineFormat::kRaw);
}

TEST_CASE("RFC 3164 examples", "[parser]") {
  // RFC 3164 section 5.4.
  auto f = Parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8");
  REQUIRE(f.p.format == LineFormat::kRfc3164);
  REQUIRE(f.p.facility == 4);
  REQUIRE(f.p.severity == 2);
  REQUIRE(f.p.time_ns == Utc(2023, 10, 11, 22, 14, 15));  // Oct 11 is > 31 days ahead: 2023.
  REQUIRE(f.host() == "mymachine");
  REQUIRE(f.app() == "su");
  REQUIRE(f.msg() == "'su root' failed for lonvick on /dev/pts/8");

  auto g = Parse("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!");
  REQUIRE(g.p.format == LineFormat::kRfc3164);
  REQUIRE(g.p.time_ns == Utc(2024, 2, 5, 17, 32, 18));
  REQUIRE(g.host() == "10.0.0.99");
  REQUIRE(g.app().empty());
  REQUIRE(g.msg() == "Use the BFG!");

  auto h = Parse(
      "<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%  "
      "Ingredients: Mix=OK, Jelly=OK # Devices: Mixer=OK, Jelly_Injector=OK, Frier=OK # "
      "Transport: Conveyer1=OK, Conveyer2=OK # %%");
  REQUIRE(h.p.format == LineFormat::kRfc3164);
  REQUIRE(h.host() == "CST");
  REQUIRE(h.app().empty());  // "1987" is not followed by ':'.
  REQUIRE(h.msg().substr(0, 15) == "1987 mymachine ");

  // A relay's output without a valid TIMESTAMP: kept raw, PRI decoded.
  auto r = Parse(
      "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All "
      "Folks!");
  REQUIRE(r.p.format == LineFormat::kRaw);
  REQUIRE(r.p.has_pri);
  REQUIRE(r.p.severity == 0);
  REQUIRE(r.msg() ==
          "1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All "
          "Folks!");
}

TEST_CASE("RFC 3164 lines from common daemons", "[parser]") {
  auto sshd = Parse(
      "<38>Mar 15 08:01:02 bastion sshd[4242]: Accepted publickey for alice from 10.0.0.5 port "
      "51234 ssh2: ED25519 SHA256:Zm9vYmFy");
  REQUIRE(sshd.p.format == LineFormat::kRfc3164);
  REQUIRE(sshd.p.facility == 4);
  REQUIRE(sshd.p.severity == 6);
  REQUIRE(sshd.host() == "bastion");
  REQUIRE(sshd.app() == "sshd");
  REQUIRE(sshd.procid() == "4242");
  REQUIRE(sshd.msg().rfind("Accepted publickey for alice", 0) == 0);

  auto cron =
      Parse("<78>Mar  1 00:00:01 web01 CRON[1234]: (root) CMD (run-parts /etc/cron.hourly)");
  REQUIRE(cron.p.facility == 9);
  REQUIRE(cron.app() == "CRON");
  REQUIRE(cron.procid() == "1234");
  REQUIRE(cron.msg() == "(root) CMD (run-parts /etc/cron.hourly)");

  auto postfix =
      Parse("<22>Mar 15 10:00:00 mx1 postfix/smtpd[2211]: connect from unknown[192.0.2.7]");
  REQUIRE(postfix.app() == "postfix/smtpd");
  REQUIRE(postfix.procid() == "2211");
  REQUIRE(postfix.msg() == "connect from unknown[192.0.2.7]");

  auto kernel =
      Parse("<4>Mar 15 10:00:00 node7 kernel: [12345.678901] Out of memory: Killed process 1");
  REQUIRE(kernel.host() == "node7");
  REQUIRE(kernel.app() == "kernel");
  REQUIRE(kernel.procid().empty());
  REQUIRE(kernel.msg() == "[12345.678901] Out of memory: Killed process 1");

  auto nginx = Parse(
      "<190>Mar 15 13:07:01 web01 nginx: 127.0.0.1 - - [15/Mar/2024:13:07:01 +0000] \"GET / "
      "HTTP/1.1\" 200 612");
  REQUIRE(nginx.p.facility == 23);
  REQUIRE(nginx.p.severity == 6);
  REQUIRE(nginx.app() == "nginx");
  REQUIRE(nginx.msg().rfind("127.0.0.1 - - [15/Mar/2024", 0) == 0);

  auto systemd = Parse("<30>Mar 15 12:49:06 host1 systemd[1]: Started Session 5 of user root.\n");
  REQUIRE(systemd.app() == "systemd");
  REQUIRE(systemd.msg() == "Started Session 5 of user root.");

  // Local /dev/log style: no HOSTNAME.
  auto local = Parse("<13>Mar 15 11:00:00 myapp[77]: hello");
  REQUIRE(local.host().empty());
  REQUIRE(local.app() == "myapp");
  REQUIRE(local.procid() == "77");
  REQUIRE(local.msg() == "hello");

  // rsyslog's high-precision forwarding format (RFC 3339 time in an RFC 3164 line).
  auto precise = Parse("<13>2024-03-15T11:00:00.123456+01:00 host1 app: m");
  REQUIRE(precise.p.format == LineFormat::kRfc3164);
  REQUIRE(precise.p.time_ns == Utc(2024, 3, 15, 10, 0, 0, 123'456'000));
  REQUIRE(precise.host() == "host1");
  REQUIRE(precise.app() == "app");

  // Cisco IOS sequence-numbered lines are not RFC 3164: raw with the PRI.
  auto cisco = Parse("<189>52: *Mar  1 00:05:39.123: %SYS-5-CONFIG_I: Configured from console");
  REQUIRE(cisco.p.format == LineFormat::kRaw);
  REQUIRE(cisco.p.facility == 23);
  REQUIRE(cisco.p.severity == 5);
}

TEST_CASE("Absurd PRI values and garbage are raw, never a crash", "[parser]") {
  for (const char* s : {"<999>1 - - - - - -", "<192>Mar 15 11:00:00 h a: m", "<-1>x", "<>x",
                        "<1234>x", "<12", "<", "", "no pri at all", "<0001>x"}) {
    INFO(s);
    auto f = Parse(s);
    REQUIRE(f.p.format == LineFormat::kRaw);
    REQUIRE_FALSE(f.p.has_pri);
    REQUIRE(f.msg() == std::string(s));
  }
  auto max = Parse("<191>garbage");
  REQUIRE(max.p.has_pri);
  REQUIRE(max.p.facility == 23);
  REQUIRE(max.p.severity == 7);
  REQUIRE(max.msg() == "garbage");
}

TEST_CASE("Random bytes never read outside the line", "[parser]") {
  // Runs under the address sanitizer in a sanitizer build; here it checks spans stay inside.
  std::mt19937 rng(42);
  const std::string alphabet = "<>0123456789 -[]=\"\\:TZ.+JanFebMar\n\r\x00\xef\xbb\xbf";
  for (int iter = 0; iter < 20000; ++iter) {
    std::string line;
    size_t len = rng() % 200;
    if (iter % 3 == 0) line = "<13>1 2024-01-01T00:00:00Z h a p m ";
    if (iter % 3 == 1) line = "<13>Mar 15 11:00:00 ";
    for (size_t i = 0; i < len; ++i) {
      line +=
          (rng() % 4 == 0) ? static_cast<char>(rng() & 0xff) : alphabet[rng() % alphabet.size()];
    }
    auto f = Parse(line);
    for (Span s : {f.p.host, f.p.app, f.p.procid, f.p.msgid, f.p.sd, f.p.msg}) {
      REQUIRE(size_t{s.off} + s.len <= line.size());
    }
  }
}

TEST_CASE("A 64 KiB line of NULs and invalid UTF-8 parses as raw", "[parser]") {
  std::string line(kMaxLineBytes, '\0');
  for (size_t i = 0; i < line.size(); i += 3) line[i] = '\xff';
  auto f = Parse(line);
  REQUIRE(f.p.format == LineFormat::kRaw);
  REQUIRE(size_t{f.p.msg.off} + f.p.msg.len <= line.size());
}

}  // namespace paddock::logagg
