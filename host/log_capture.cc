#include "host/log_capture.h"

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "host/json.h"
#include "host/utf8.h"

namespace paddock::host {
namespace {

std::string_view StripCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool IsLevel(const std::string& s) {
  return s == "debug" || s == "info" || s == "warn" || s == "error";
}

}  // namespace

LineSplitter::LineSplitter(size_t max_line) : max_line_(std::max<size_t>(max_line, 1)) {}

void LineSplitter::Feed(std::string_view bytes, const Emit& emit) {
  size_t i = 0;
  while (i < bytes.size()) {
    const size_t nl = bytes.find('\n', i);
    if (discarding_) {
      if (nl == std::string_view::npos) return;
      discarding_ = false;
      i = nl + 1;
      continue;
    }
    const size_t end = nl == std::string_view::npos ? bytes.size() : nl;
    if (nl != std::string_view::npos && pending_.empty() && end - i <= max_line_) {
      emit(StripCr(bytes.substr(i, end - i)), false);  // Whole line in this chunk: no copy.
      i = nl + 1;
      continue;
    }
    const size_t take = std::min(end - i, max_line_ - pending_.size());
    pending_.append(bytes.substr(i, take));
    i += take;
    if (i < end) {
      // The line has more than max_line bytes: emit what fits, drop the rest.
      emit(pending_, true);
      pending_.clear();
      discarding_ = true;
      continue;
    }
    if (nl != std::string_view::npos) {
      emit(StripCr(pending_), false);
      pending_.clear();
      i = nl + 1;
    }
  }
}

void LineSplitter::Finish(const Emit& emit) {
  if (!pending_.empty() && !discarding_) emit(StripCr(pending_), false);
  pending_.clear();
  discarding_ = false;
}

paddock::v1::LogEntry ParseLogLine(std::string_view line, std::string_view plugin,
                                   uint64_t generation, std::string_view stream,
                                   int64_t unix_nanos) {
  paddock::v1::LogEntry e;
  e.set_unix_nanos(unix_nanos);
  e.set_plugin(SanitizeText(plugin));
  e.set_generation(generation);
  e.set_stream(SanitizeText(stream));
  const auto raw = [&] {
    e.set_level("raw");
    e.set_message(SanitizeText(line));
    e.clear_fields();
    return e;
  };
  const size_t start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos || line[start] != '{') return raw();
  json::ParseOptions options;
  options.max_depth = 8;
  absl::StatusOr<json::Value> v = json::Parse(line, options);
  if (!v.ok() || v->kind != json::Value::Kind::kObject) return raw();
  const json::Value* level = v->Find("level");
  const json::Value* msg = v->Find("msg");
  const json::Value* fields = v->Find("fields");
  if (level == nullptr || level->kind != json::Value::Kind::kString || !IsLevel(level->string) ||
      msg == nullptr || msg->kind != json::Value::Kind::kString ||
      (fields != nullptr && fields->kind != json::Value::Kind::kObject &&
       fields->kind != json::Value::Kind::kNull)) {
    return raw();
  }
  e.set_level(level->string);
  e.set_message(SanitizeText(msg->string));
  if (fields != nullptr) {
    int kept = 0;
    for (const json::Member& m : fields->object) {
      if (kept++ == kMaxLogFields) break;
      const json::Value& val = m.value;
      (*e.mutable_fields())[SanitizeText(m.key)] =
          SanitizeText(val.kind == json::Value::Kind::kString ? val.string : json::Serialize(val));
    }
  }
  return e;
}

LogSink::LogSink(std::string plugin, uint64_t generation, std::string stream,
                 std::shared_ptr<LogRing> ring, size_t max_line, std::function<absl::Time()> clock,
                 Observer observer)
    : plugin_(std::move(plugin)),
      generation_(generation),
      stream_(std::move(stream)),
      ring_(std::move(ring)),
      clock_(std::move(clock)),
      observer_(std::move(observer)),
      splitter_(max_line) {}

void LogSink::Emit(std::string_view line, bool truncated) {
  paddock::v1::LogEntry e =
      ParseLogLine(line, plugin_, generation_, stream_, absl::ToUnixNanos(clock_()));
  if (truncated) {
    e.mutable_message()->append(" [truncated]");
    (*e.mutable_fields())["truncated"] = "true";
  }
  ++lines_;
  if (observer_) observer_(e);
  ring_->Append(std::move(e));
}

void LogSink::Feed(std::string_view bytes) {
  splitter_.Feed(bytes, [this](std::string_view line, bool truncated) { Emit(line, truncated); });
}

void LogSink::Finish() {
  splitter_.Finish([this](std::string_view line, bool truncated) { Emit(line, truncated); });
}

}  // namespace paddock::host
