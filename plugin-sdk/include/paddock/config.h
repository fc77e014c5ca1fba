// Configuration snapshots. The host pushes a plugin's section of its config as JSON; the SDK
// wraps each version in an immutable ConfigSnapshot and swaps it in whole, so a reader sees
// either the old or the new snapshot and never half of one.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/json_util.h"

namespace paddock {

// One immutable version of the plugin's configuration. Thread-safe (immutable).
class ConfigSnapshot {
 public:
  ConfigSnapshot(uint64_t version, std::string json) : version_(version), json_(std::move(json)) {}

  // Monotonic version assigned by the host (0 = the empty config before any was given).
  uint64_t version() const { return version_; }
  // The plugin's section as a JSON object ("{}" when the host config has none).
  const std::string& json() const { return json_; }

  // Parses the JSON into `T` (a protobuf message) strictly: unknown fields are an error.
  // Returns InvalidArgument naming the problem on malformed input. Thread-safe.
  template <typename T>
  absl::StatusOr<T> As() const {
    T msg;
    google::protobuf::util::JsonParseOptions opts;
    opts.ignore_unknown_fields = false;
    auto st = google::protobuf::util::JsonStringToMessage(json_, &msg, opts);
    if (!st.ok()) {
      return absl::InvalidArgumentError(std::string("config: ") + std::string(st.message()));
    }
    return msg;
  }

 private:
  uint64_t version_;
  std::string json_;
};

// A value swapped as a whole: writers Store() a new immutable value, readers Load() a
// shared_ptr to whichever value is in force and keep it as long as they need it. Readers
// never block on a writer's work (std::atomic<std::shared_ptr> only guards the pointer
// copy). Use it for a plugin's typed settings.
template <typename T>
class AtomicSnapshot {
 public:
  // Starts with a default-constructed T.
  AtomicSnapshot() : value_(std::make_shared<const T>()) {}
  // Starts with `v` (must not be null).
  explicit AtomicSnapshot(std::shared_ptr<const T> v) : value_(std::move(v)) {}

  // Returns the value in force. Thread-safe.
  std::shared_ptr<const T> Load() const { return value_.load(std::memory_order_acquire); }
  // Replaces the value in force. Thread-safe.
  void Store(std::shared_ptr<const T> v) { value_.store(std::move(v), std::memory_order_release); }

 private:
  std::atomic<std::shared_ptr<const T>> value_;
};

}  // namespace paddock
