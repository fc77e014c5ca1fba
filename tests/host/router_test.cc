#include "host/router.h"

#include <catch2/catch.hpp>

using paddock::host::Route;
using paddock::host::RouteCall;
using paddock::host::Router;

namespace {
std::shared_ptr<Route> MakeRoute(const std::string& plugin, uint64_t gen) {
  auto r = std::make_shared<Route>();
  r->plugin = plugin;
  r->generation = gen;
  return r;
}
}  // namespace

TEST_CASE("a flip replaces the route and returns the old one", "[router]") {
  Router router;
  CHECK(router.Get("hello") == nullptr);
  CHECK(router.Set(MakeRoute("hello", 1)) == nullptr);
  auto old = router.Set(MakeRoute("hello", 2));
  REQUIRE(old != nullptr);
  CHECK(old->generation == 1);
  CHECK(router.Get("hello")->generation == 2);
}

TEST_CASE("Remove only removes the generation it names", "[router]") {
  Router router;
  router.Set(MakeRoute("hello", 2));
  router.Remove("hello", 1);
  CHECK(router.Get("hello") != nullptr);
  router.Remove("hello", 2);
  CHECK(router.Get("hello") == nullptr);
}

TEST_CASE("calls in flight keep counting on the route they started on", "[router]") {
  Router router;
  router.Set(MakeRoute("hello", 1));
  auto r1 = router.Get("hello");
  {
    RouteCall call(r1);
    router.Set(MakeRoute("hello", 2));
    CHECK(r1->inflight.load() == 1);
    CHECK(call->generation == 1);
    CHECK(router.Get("hello")->inflight.load() == 0);
  }
  CHECK(r1->inflight.load() == 0);
}
