#include "identity.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "temp_dir.h"

namespace gc = paddock::gcounter;

TEST_CASE("identity is made once, then its boot count grows", "[gcounter][identity]") {
  gc::testing::TempDir dir;
  auto first = gc::LoadOrCreateIdentity(dir.path());
  REQUIRE(first.ok());
  CHECK(first->created);
  CHECK(first->id != 0);
  CHECK(first->boot == 0);
  auto second = gc::LoadOrCreateIdentity(dir.path());
  REQUIRE(second.ok());
  CHECK_FALSE(second->created);
  CHECK(second->id == first->id);
  CHECK(second->boot == 1);
  CHECK(gc::LoadOrCreateIdentity(dir.path())->boot == 2);
}

TEST_CASE("a lost or unreadable identity starts a new incarnation", "[gcounter][identity]") {
  gc::testing::TempDir dir;
  auto first = gc::LoadOrCreateIdentity(dir.path());
  REQUIRE(first.ok());
  std::ofstream(dir.path() + "/identity") << "gcounter-identity 1\nid zz\nboot 3\n";
  auto after = gc::LoadOrCreateIdentity(dir.path());
  REQUIRE(after.ok());
  CHECK(after->created);
  CHECK(after->id != first->id);
  CHECK(after->reason == "identity file unreadable");
  std::filesystem::remove(dir.path() + "/identity");
  auto lost = gc::LoadOrCreateIdentity(dir.path());
  REQUIRE(lost.ok());
  CHECK(lost->created);
  CHECK(lost->reason == "no identity file");
}

TEST_CASE("an unusable directory is an error", "[gcounter][identity]") {
  auto r = gc::LoadOrCreateIdentity("/nonexistent-gcounter-dir/x");
  CHECK_FALSE(r.ok());
}
