#include "sample_hub.h"

#include <algorithm>
#include <numeric>
#include <optional>

#include "absl/strings/match.h"

namespace paddock::http_sampler {

bool Matches(const v1::SamplesRequest& f, const v1::Sample& s) {
  if (!f.method().empty() && f.method() != s.method()) return false;
  if (!f.host().empty() && f.host() != s.host()) return false;
  if (!f.path_prefix().empty() && !absl::StartsWith(s.path(), f.path_prefix())) return false;
  if (f.server_port() != 0 && f.server_port() != s.server_port()) return false;
  if (f.status() != 0 && f.status() != s.status()) return false;
  return true;
}

namespace {

// The filter fields a raw record answers without building its Sample.
bool MayMatch(const v1::SamplesRequest& f, const Completed& c) {
  if (f.server_port() != 0 && f.server_port() != c.request.tuple.dport) return false;
  if (f.status() != 0 && f.status() != c.status) return false;
  if (!f.method().empty() && f.method() != MethodName(c.request.method)) return false;
  return true;
}

}  // namespace

bool SampleHub::Subscription::Next(v1::Sample* out, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || closed_; });
  if (queue_.empty()) return false;
  *out = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

bool SampleHub::Subscription::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_ && queue_.empty();
}

uint64_t SampleHub::Subscription::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

std::shared_ptr<SampleHub::Subscription> SampleHub::Subscribe(const v1::SamplesRequest& filter) {
  std::shared_ptr<Subscription> sub(new Subscription(filter));
  std::lock_guard<std::mutex> lock(mu_);
  size_t want = std::min<size_t>(filter.backlog(), kRecent);
  std::vector<v1::Sample> picked;  // Newest first, then oldest request first.
  for (size_t back = 1; back <= recent_.size() && picked.size() < want; ++back) {
    const Completed& c = recent_[(next_ - back) % kRecent];
    if (!MayMatch(filter, c)) continue;
    v1::Sample s = ToSample(c, mono_to_unix_ns_);
    if (Matches(filter, s)) picked.push_back(std::move(s));
  }
  // Oldest request first. (The history is in completion order, and the rings of different
  // CPUs are read one after the other: a drain may complete a later request first.) Equal
  // times keep the history's order.
  std::reverse(picked.begin(), picked.end());
  std::stable_sort(picked.begin(), picked.end(), [](const v1::Sample& a, const v1::Sample& b) {
    return a.unix_nanos() < b.unix_nanos();
  });
  {
    std::lock_guard<std::mutex> sub_lock(sub->mu_);
    for (v1::Sample& s : picked) sub->queue_.push_back(std::move(s));
    sub->closed_ = closed_;
  }
  if (!closed_) subs_.push_back(sub);
  return sub;
}

void SampleHub::Unsubscribe(const std::shared_ptr<Subscription>& sub) {
  std::lock_guard<std::mutex> lock(mu_);
  subs_.erase(std::remove(subs_.begin(), subs_.end(), sub), subs_.end());
}

void SampleHub::Publish(const std::vector<Completed>& batch) {
  std::lock_guard<std::mutex> lock(mu_);
  // Without subscribers only the history takes samples, and of a batch longer than the
  // history only its last kRecent would stay: the others are skipped, not copied in to be
  // overwritten (at 100% sampling a busy drain holds ~4,000-9,000 samples).
  size_t first = 0;
  if (subs_.empty() && batch.size() > kRecent) {
    first = batch.size() - kRecent;
    if (recent_.size() < kRecent) {
      recent_.assign(batch.begin() + static_cast<long>(first), batch.end());
      next_ = 0;  // Full now: recent_[0] is the oldest.
      return;
    }
    next_ += first;
  }
  // With subscribers, the batch goes out in the order its requests were seen (it is in
  // completion order, ring after ring); without, order does not matter until a backlog,
  // which Subscribe sorts, so the hot path sorts nothing.
  std::vector<uint32_t> order;
  if (!subs_.empty()) {
    order.resize(batch.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&batch](uint32_t a, uint32_t b) {
      return batch[a].request.ts_ns < batch[b].request.ts_ns;
    });
  }
  for (size_t i = first; i < batch.size(); ++i) {
    const Completed& c = order.empty() ? batch[i] : batch[order[i]];
    if (recent_.size() < kRecent) {
      recent_.push_back(c);
    } else {
      recent_[next_ % kRecent] = c;
    }
    ++next_;
    if (subs_.empty()) continue;
    std::optional<v1::Sample> sample;  // Built for the first subscriber that may want it.
    for (const std::shared_ptr<Subscription>& sub : subs_) {
      if (!MayMatch(sub->filter_, c)) continue;
      if (!sample) sample = ToSample(c, mono_to_unix_ns_);
      if (!Matches(sub->filter_, *sample)) continue;
      {
        std::lock_guard<std::mutex> sub_lock(sub->mu_);
        if (sub->queue_.size() >= kQueue) {
          sub->queue_.pop_front();
          ++sub->dropped_;
        }
        sub->queue_.push_back(*sample);
      }
      sub->cv_.notify_one();
    }
  }
}

void SampleHub::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  for (const std::shared_ptr<Subscription>& sub : subs_) {
    {
      std::lock_guard<std::mutex> sub_lock(sub->mu_);
      sub->closed_ = true;
    }
    sub->cv_.notify_all();
  }
  subs_.clear();
}

size_t SampleHub::subscribers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return subs_.size();
}

}  // namespace paddock::http_sampler
