#include "host/event_loop.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <future>
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

TEST_CASE("after Run returns, ServePostedUntil still serves threads waiting on a post",
          "[event_loop]") {
  auto loop = EventLoop::Create();
  REQUIRE(loop.ok());
  (*loop)->Quit();
  (*loop)->Run();  // Returns at once: the loop is "stopped", as in paddockd's shutdown.

  std::atomic<bool> finished{false};
  std::atomic<int> got{0};
  std::thread waiter([&] {  // No Catch2 macros off the main thread: they are not thread-safe.
    // What a control handler does: post a task and wait for its result.
    std::promise<int> p;
    auto f = p.get_future();
    (*loop)->Post([&] { p.set_value(42); });
    got = f.get();
    finished = true;
    (*loop)->Post([] {});
  });
  (*loop)->ServePostedUntil([&] { return finished.load(); });
  waiter.join();
  CHECK(got == 42);
}

TEST_CASE("ServePostedUntil returns when done becomes true without any post", "[event_loop]") {
  auto loop = EventLoop::Create();
  REQUIRE(loop.ok());
  std::atomic<bool> done{false};
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    done = true;  // No Post: the 50 ms poll bound must notice it.
  });
  (*loop)->ServePostedUntil([&] { return done.load(); });
  t.join();
  CHECK(done);
}
