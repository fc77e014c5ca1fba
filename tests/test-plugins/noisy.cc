// A plugin that floods stderr with 10 MB of binary garbage (NULs, invalid UTF-8, huge
// lines) before serving: the host must stay bounded and keep serving everyone.
#include <unistd.h>

#include <random>
#include <string>

#include "paddock/plugin.h"

class Noisy final : public paddock::Plugin {
 public:
  absl::Status Init(paddock::Context&) override {
    std::mt19937 rng(42);
    std::string chunk(1 << 16, '\0');
    for (int i = 0; i < 160; ++i) {  // 160 x 64 KiB = 10 MiB
      for (auto& c : chunk) c = static_cast<char>(rng());
      if (i % 2 == 0) chunk[100] = '\n';  // some lines, some endless
      for (size_t off = 0; off < chunk.size();) {
        ssize_t n = write(2, chunk.data() + off, chunk.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
      }
    }
    (void)!write(2, "\n", 1);  // End the last garbage line, so the next line is whole.
    paddock::log::Info("noisy: done flooding");
    return absl::OkStatus();
  }
};

PADDOCK_PLUGIN(Noisy)
