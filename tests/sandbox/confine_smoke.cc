#include <catch2/catch.hpp>
#include <iostream>
#include "test_util.h"
namespace paddock::sandbox {
TEST_CASE("smoke") {
  testing::ConfinedProbe p({"status"});
  auto r = testing::LaunchAndWait(std::move(p.spec));
  if (!r.ok()) std::cerr << r.status() << "\n";
  REQUIRE(r.ok());
  std::cerr << r->out << " code " << r->code << " status " << r->status << "\n";
}
}
