// TC filter records, and (as root) real clsact filters on lo: attach, query, detach, and
// the owner slots that clean up after an instance that died without detaching.
#include "tc_filter.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bpf_program.h"
#include "tc_owner.h"

namespace {

using paddock::http_sampler::AttachFilter;
using paddock::http_sampler::BpfProgram;
using paddock::http_sampler::DetachFilter;
using paddock::http_sampler::FilterPresent;
using paddock::http_sampler::InterfaceIndex;
using paddock::http_sampler::LookupInterface;
using paddock::http_sampler::TcFilter;
using paddock::http_sampler::TcOwner;
using paddock::http_sampler::TcPrograms;

TcPrograms Programs(const BpfProgram& p) {
  return {p.ingress_fd(), p.egress_fd(), p.loopback_fd()};
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/hs-tc-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

bool Privileged() {
  if (geteuid() == 0) return true;
  WARN("skipped: attaching TC filters needs root (CAP_NET_ADMIN, CAP_BPF)");
  return false;
}

}  // namespace

TEST_CASE("filter records round-trip and reject garbage", "[tc]") {
  TcFilter f{3, false, 49151, 7, 1234};
  auto back = TcFilter::Parse(f.ToString());
  REQUIRE(back.ok());
  CHECK(back->ToString() == "3/egress/49151/7/1234");
  CHECK(back->ingress == false);
  for (const char* bad :
       {"", "1/ingress/1/1", "1/sideways/1/1/1", "0/ingress/1/1/1", "1/ingress/0/1/1",
        "1/ingress/70000/1/1", "x/ingress/1/1/1", "1/ingress/1/1/1/1"}) {
    CHECK(!TcFilter::Parse(bad).ok());
  }
}

TEST_CASE("unknown interfaces are refused by name", "[tc]") {
  auto idx = InterfaceIndex("no-such-if0");
  CHECK(!idx.ok());
  CHECK(idx.status().message().find("no-such-if0") != std::string::npos);
  CHECK(!InterfaceIndex("").ok());
  CHECK(!InterfaceIndex(std::string(40, 'x')).ok());
  CHECK(InterfaceIndex("lo").ok());
  auto lo = LookupInterface("lo");
  REQUIRE(lo.ok());
  CHECK(lo->loopback);
  CHECK(lo->index == *InterfaceIndex("lo"));
  CHECK(!LookupInterface("no-such-if0").ok());
}

TEST_CASE("a filter on lo is attached with its own priority and removed", "[tc][root]") {
  if (!Privileged()) return;
  auto prog = BpfProgram::Load();
  REQUIRE(prog.ok());
  int lo = *InterfaceIndex("lo");
  auto a = AttachFilter(lo, true, (*prog)->ingress_fd());
  INFO(a.status().ToString());
  REQUIRE(a.ok());
  auto b = AttachFilter(lo, true, (*prog)->ingress_fd());
  REQUIRE(b.ok());
  CHECK(a->prog_id == (*prog)->ingress_id());
  CHECK((a->priority != b->priority || a->handle != b->handle));
  CHECK(FilterPresent(*a));
  CHECK(FilterPresent(*b));
  REQUIRE(DetachFilter(*a).ok());
  CHECK(!FilterPresent(*a));
  CHECK(FilterPresent(*b));  // Only its own.
  REQUIRE(DetachFilter(*b).ok());
  CHECK(DetachFilter(*b).ok());  // Already gone is fine.
}

TEST_CASE("owner slots: a dead owner's filters are removed by the next", "[tc][root]") {
  if (!Privileged()) return;
  TempDir dir;
  // A child takes a slot, attaches, and dies without cleaning up.
  int pipefd[2];
  REQUIRE(pipe(pipefd) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto prog = BpfProgram::Load();
    if (!prog.ok()) _exit(2);
    auto owner = TcOwner::Acquire(dir.path);
    if (!owner.ok()) _exit(3);
    if (!(*owner)->SetInterfaces({"lo"}, Programs(**prog)).ok()) _exit(4);
    std::string rec;
    for (const TcFilter& f : (*owner)->filters()) rec += f.ToString() + "\n";
    if (write(pipefd[1], rec.data(), rec.size()) != static_cast<ssize_t>(rec.size())) _exit(5);
    close(pipefd[1]);
    raise(SIGKILL);
  }
  close(pipefd[1]);
  std::string rec;
  char buf[512];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) rec.append(buf, static_cast<size_t>(n));
  close(pipefd[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  std::vector<TcFilter> left;
  std::istringstream lines(rec);
  std::string line;
  while (std::getline(lines, line)) left.push_back(*TcFilter::Parse(line));
  REQUIRE(left.size() == 1);                               // lo: one filter, on ingress.
  for (const TcFilter& f : left) CHECK(FilterPresent(f));  // Left behind by the crash.

  {
    auto prog = BpfProgram::Load();
    REQUIRE(prog.ok());
    auto owner = TcOwner::Acquire(dir.path);
    REQUIRE(owner.ok());
    for (const TcFilter& f : left) CHECK(!FilterPresent(f));
    REQUIRE((*owner)->SetInterfaces({"lo"}, Programs(**prog)).ok());
    // A second live owner takes another slot and leaves the first one's filters alone.
    auto second = TcOwner::Acquire(dir.path);
    REQUIRE(second.ok());
    CHECK((*second)->slot() != (*owner)->slot());
    for (const TcFilter& f : (*owner)->filters()) CHECK(FilterPresent(f));
    // Changing interfaces: an unknown one fails and changes nothing.
    CHECK(!(*owner)->SetInterfaces({"lo", "no-such-if0"}, Programs(**prog)).ok());
    CHECK((*owner)->interfaces() == std::vector<std::string>{"lo"});
    std::vector<TcFilter> mine = (*owner)->filters();
    REQUIRE(mine.size() == 1);
    owner->reset();  // Destruction detaches.
    for (const TcFilter& f : mine) CHECK(!FilterPresent(f));
  }
}

TEST_CASE("two generations overlap: the new attaches first, the old removes only its own",
          "[tc][root]") {
  if (!Privileged()) return;
  TempDir dir;
  auto prog_old = BpfProgram::Load();
  auto prog_new = BpfProgram::Load();
  REQUIRE(prog_old.ok());
  REQUIRE(prog_new.ok());
  auto old_owner = TcOwner::Acquire(dir.path);
  REQUIRE(old_owner.ok());
  REQUIRE((*old_owner)->SetInterfaces({"lo"}, Programs(**prog_old)).ok());
  std::vector<TcFilter> old_filters = (*old_owner)->filters();

  auto new_owner = TcOwner::Acquire(dir.path);  // Must not touch the live old one's.
  REQUIRE(new_owner.ok());
  for (const TcFilter& f : old_filters) CHECK(FilterPresent(f));
  REQUIRE((*new_owner)->SetInterfaces({"lo"}, Programs(**prog_new)).ok());
  std::vector<TcFilter> new_filters = (*new_owner)->filters();
  for (const TcFilter& f : old_filters) CHECK(FilterPresent(f));  // Both run now.
  for (const TcFilter& f : new_filters) CHECK(FilterPresent(f));
  // The new generation runs first (the kernel put it ahead), so it sees every packet the
  // old one did; the program returns TC_ACT_UNSPEC, so the old one still sees them too.
  CHECK(new_filters[0].priority < old_filters[0].priority);

  old_owner->reset();
  for (const TcFilter& f : old_filters) CHECK(!FilterPresent(f));
  for (const TcFilter& f : new_filters) CHECK(FilterPresent(f));
  new_owner->reset();
  for (const TcFilter& f : new_filters) CHECK(!FilterPresent(f));
}

namespace {

// Moves the calling thread into a new network namespace for its lifetime (and back), so a
// test can make interfaces without touching the machine's. `ok` is false where that is
// not possible (no CAP_SYS_ADMIN).
class PrivateNetns {
 public:
  PrivateNetns() : home_(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) {
    ok = home_ >= 0 && ::unshare(CLONE_NEWNET) == 0;
  }
  ~PrivateNetns() {
    // The rest of the suite must not run in the private namespace.
    if (ok && ::setns(home_, CLONE_NEWNET) != 0) std::abort();
    if (home_ >= 0) ::close(home_);
  }
  bool ok = false;

 private:
  int home_;
};

}  // namespace

TEST_CASE("lo gets one ingress filter for both directions; other interfaces two", "[tc][root]") {
  if (!Privileged()) return;
  auto prog = BpfProgram::Load();
  REQUIRE(prog.ok());
  TempDir dir;
  PrivateNetns netns;
  REQUIRE(netns.ok);
  // A veth pair: a real (non-loopback) interface. `ip` runs in this thread's namespace.
  REQUIRE(std::system("ip link add hs-test0 type veth peer name hs-test1") == 0);
  auto veth = LookupInterface("hs-test0");
  REQUIRE(veth.ok());
  CHECK(!veth->loopback);
  int lo = *InterfaceIndex("lo");

  auto owner = TcOwner::Acquire(dir.path);
  REQUIRE(owner.ok());
  REQUIRE((*owner)->SetInterfaces({"lo", "hs-test0"}, Programs(**prog)).ok());
  std::vector<TcFilter> filters = (*owner)->filters();
  REQUIRE(filters.size() == 3);
  int on_lo = 0;
  for (const TcFilter& f : filters) {
    CHECK(FilterPresent(f));
    if (f.ifindex == lo) {
      ++on_lo;
      CHECK(f.ingress);
      CHECK(f.prog_id == (*prog)->loopback_id());
    } else {
      CHECK(f.ifindex == veth->index);
      CHECK(f.prog_id == (f.ingress ? (*prog)->ingress_id() : (*prog)->egress_id()));
    }
  }
  CHECK(on_lo == 1);
  // Dropping an interface removes exactly its filters.
  REQUIRE((*owner)->SetInterfaces({"hs-test0"}, Programs(**prog)).ok());
  for (const TcFilter& f : filters) CHECK(FilterPresent(f) == (f.ifindex != lo));
  owner->reset();
  for (const TcFilter& f : filters) CHECK(!FilterPresent(f));
}
