#include "host/event_loop.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

using paddock::UniqueFd;
using paddock::host::EventLoop;

TEST_CASE("timers fire in deadline order and cancelled ones never", "[event_loop]") {
  auto loop = EventLoop::Create();
  REQUIRE(loop.ok());
  std::vector<int> order;
  (*loop)->RunAfter(absl::Milliseconds(30), [&] { order.push_back(3); });
  (*loop)->RunAfter(absl::Milliseconds(10), [&] { order.push_back(1); });
  auto cancelled = (*loop)->RunAfter(absl::Milliseconds(20), [&] { order.push_back(2); });
  (*loop)->Cancel(cancelled);
  (*loop)->RunAfter(absl::Milliseconds(40), [&] { (*loop)->Quit(); });
  absl::Time start = absl::Now();
  (*loop)->Run();
  CHECK(order == std::vector<int>{1, 3});
  CHECK(absl::Now() - start >= absl::Milliseconds(40));
}

TEST_CASE("fd callbacks run on readiness and may unwatch themselves", "[event_loop]") {
  auto loop = EventLoop::Create();
  REQUIRE(loop.ok());
  int p[2];
  REQUIRE(pipe(p) == 0);
  UniqueFd r(p[0]), w(p[1]);
  int calls = 0;
  REQUIRE((*loop)
              ->Watch(r.get(), EPOLLIN,
                      [&](uint32_t) {
                        char c;
                        CHECK(read(r.get(), &c, 1) == 1);
                        ++calls;
                        (*loop)->Unwatch(r.get());
                        (*loop)->Quit();
                      })
              .ok());
  REQUIRE(write(w.get(), "xy", 2) == 2);
  (*loop)->Run();
  CHECK(calls == 1);
}

TEST_CASE("Post from other threads runs on the loop thread", "[event_loop]") {
  auto loop = EventLoop::Create();
  REQUIRE(loop.ok());
  std::thread::id loop_thread = std::this_thread::get_id();
  std::atomic<int> ran{0};
  bool same_thread = true;
  std::vector<std::thread> posters;
  for (int i = 0; i < 4; ++i) {
    posters.emplace_back([&] {
      for (int j = 0; j < 100; ++j) {
        (*loop)->Post([&] {
          same_thread = same_thread && std::this_thread::get_id() == loop_thread;
          if (++ran == 400) (*loop)->Quit();
        });
      }
    });
  }
  (*loop)->Run();
  for (auto& t : posters) t.join();
  CHECK(ran == 400);
  CHECK(same_thread);
}
