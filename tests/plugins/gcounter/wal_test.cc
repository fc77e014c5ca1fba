#include "wal.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>

#include "temp_dir.h"

namespace gc = paddock::gcounter;

namespace {

gc::WalEntry E(gc::ReplicaId origin, std::string name, uint64_t p, uint64_t version) {
  return gc::WalEntry{origin, std::move(name), gc::EntryValue{p, 0, version, gc::Kind::kGrowOnly}};
}

// The join of the recovered entries, as the plugin computes it.
std::map<std::pair<gc::ReplicaId, std::string>, uint64_t> Join(const gc::Recovered& r) {
  std::map<std::pair<gc::ReplicaId, std::string>, uint64_t> out;
  for (const auto& e : r.entries) {
    uint64_t& v = out[{e.origin, e.name}];
    v = std::max(v, e.value.p);
  }
  return out;
}

}  // namespace

TEST_CASE("CRC-32C matches the standard check value", "[gcounter][wal]") {
  CHECK(gc::Crc32c("123456789") == 0xe3069283u);
}

TEST_CASE("records survive a reopen; the join is the state", "[gcounter][wal]") {
  gc::testing::TempDir dir;
  {
    gc::Recovered r;
    auto wal = gc::Wal::Open(dir.path(), &r);
    REQUIRE(wal.ok());
    CHECK(r.entries.empty());
    REQUIRE((*wal)->Append({E(1, "a", 1, 1), E(1, "b", 5, 2)}).ok());
    REQUIRE((*wal)->Append({E(1, "a", 3, 3)}).ok());
    REQUIRE((*wal)->Sync().ok());
  }
  gc::Recovered r;
  auto wal = gc::Wal::Open(dir.path(), &r);
  REQUIRE(wal.ok());
  CHECK(r.records == 2);
  CHECK_FALSE(r.cut_tail);
  auto state = Join(r);
  CHECK(state[{1, "a"}] == 3);
  CHECK(state[{1, "b"}] == 5);
}

TEST_CASE("a torn last record is cut off and appending continues", "[gcounter][wal]") {
  gc::testing::TempDir dir;
  {
    gc::Recovered r;
    auto wal = gc::Wal::Open(dir.path(), &r);
    REQUIRE((*wal)->Append({E(1, "a", 1, 1)}).ok());
    REQUIRE((*wal)->Append({E(1, "a", 2, 2)}).ok());
    REQUIRE((*wal)->Sync().ok());
  }
  std::string path = dir.path() + "/wal";
  auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size - 3);  // Crash mid-write of the second record.
  {
    gc::Recovered r;
    auto wal = gc::Wal::Open(dir.path(), &r);
    REQUIRE(wal.ok());
    CHECK(r.cut_tail);
    CHECK(r.records == 1);
    CHECK(Join(r)[{1, "a"}] == 1);
    REQUIRE((*wal)->Append({E(1, "a", 7, 3)}).ok());
  }
  gc::Recovered r;
  REQUIRE(gc::Wal::Open(dir.path(), &r).ok());
  CHECK_FALSE(r.cut_tail);
  CHECK(Join(r)[{1, "a"}] == 7);
}

TEST_CASE("garbage after the good records is cut, never merged", "[gcounter][wal]") {
  gc::testing::TempDir dir;
  {
    gc::Recovered r;
    auto wal = gc::Wal::Open(dir.path(), &r);
    REQUIRE((*wal)->Append({E(1, "a", 1, 1)}).ok());
  }
  std::ofstream(dir.path() + "/wal", std::ios::app) << std::string(100, '\xff');
  gc::Recovered r;
  REQUIRE(gc::Wal::Open(dir.path(), &r).ok());
  CHECK(r.cut_tail);
  CHECK(r.entries.size() == 1);
}

TEST_CASE("checkpoint compacts the log into the snapshot", "[gcounter][wal]") {
  gc::testing::TempDir dir;
  {
    gc::Recovered r;
    auto wal = gc::Wal::Open(dir.path(), &r);
    for (uint64_t v = 1; v <= 100; ++v) REQUIRE((*wal)->Append({E(1, "a", v, v)}).ok());
    CHECK((*wal)->log_bytes() > 0);
    REQUIRE((*wal)->Checkpoint({E(1, "a", 100, 100), E(2, "b", 9, 4)}).ok());
    CHECK((*wal)->log_bytes() == 0);
    REQUIRE((*wal)->Append({E(1, "a", 101, 101)}).ok());
  }
  gc::Recovered r;
  REQUIRE(gc::Wal::Open(dir.path(), &r).ok());
  CHECK(r.records == 2);
  auto state = Join(r);
  CHECK(state[{1, "a"}] == 101);
  CHECK(state[{2, "b"}] == 9);
}

TEST_CASE("a crash between snapshot and log truncation replays harmlessly", "[gcounter][wal]") {
  gc::testing::TempDir dir;
  std::string old_log;
  {
    gc::Recovered r;
    auto wal = gc::Wal::Open(dir.path(), &r);
    REQUIRE((*wal)->Append({E(1, "a", 5, 5)}).ok());
    std::ifstream in(dir.path() + "/wal", std::ios::binary);
    old_log.assign(std::istreambuf_iterator<char>(in), {});
    REQUIRE((*wal)->Checkpoint({E(1, "a", 5, 5)}).ok());
  }
  std::ofstream(dir.path() + "/wal", std::ios::binary) << old_log;  // Truncation "lost".
  gc::Recovered r;
  REQUIRE(gc::Wal::Open(dir.path(), &r).ok());
  CHECK(Join(r)[{1, "a"}] == 5);
}

TEST_CASE("a damaged snapshot is reported", "[gcounter][wal]") {
  gc::testing::TempDir dir;
  {
    gc::Recovered r;
    auto wal = gc::Wal::Open(dir.path(), &r);
    REQUIRE((*wal)->Checkpoint({E(1, "a", 5, 5), E(1, "b", 5, 6)}).ok());
  }
  {
    std::fstream f(dir.path() + "/snapshot", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.put('\x42');
  }
  gc::Recovered r;
  REQUIRE(gc::Wal::Open(dir.path(), &r).ok());
  CHECK(r.damaged);
}
