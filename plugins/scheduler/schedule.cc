#include "schedule.h"

#include "google/protobuf/util/time_util.h"

namespace paddock::scheduler {

absl::StatusOr<Schedule> Schedule::FromSpec(const v1::TaskSpec& spec) {
  Schedule s;
  switch (spec.schedule_case()) {
    case v1::TaskSpec::kPeriodic:
      s.kind_ = Kind::kPeriodic;
      s.clock_ = ClockId::kMonotonic;
      s.interval_ns_ = static_cast<int64_t>(spec.periodic().interval_us()) * 1000;
      s.phase_ns_ = static_cast<int64_t>(spec.periodic().phase_us()) * 1000;
      if (s.interval_ns_ <= 0) return absl::InvalidArgumentError("periodic: interval_us is 0");
      return s;
    case v1::TaskSpec::kOneShot:
      s.kind_ = Kind::kOneShot;
      s.clock_ = ClockId::kRealtime;
      s.at_ns_ = google::protobuf::util::TimeUtil::TimestampToNanoseconds(spec.one_shot().at());
      return s;
    case v1::TaskSpec::kCron: {
      s.kind_ = Kind::kCron;
      s.clock_ = ClockId::kRealtime;
      auto cron = CronExpr::Parse(spec.cron().expression());
      if (!cron.ok()) return cron.status();
      s.cron_ = std::move(*cron);
      return s;
    }
    case v1::TaskSpec::SCHEDULE_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("task has no schedule: give periodic, one_shot or cron");
}

std::optional<int64_t> Schedule::First(int64_t now) const {
  switch (kind_) {
    case Kind::kPeriodic: {
      // Grid points are T with T mod interval == phase; the first one strictly after now.
      const int64_t base = now - phase_ns_;
      int64_t q = base / interval_ns_;
      if (base % interval_ns_ != 0 && base < 0) --q;  // Floor division.
      return (q + 1) * interval_ns_ + phase_ns_;
    }
    case Kind::kOneShot:
      return at_ns_;
    case Kind::kCron: {
      auto next = cron_->Next(now);
      if (!next.ok()) return std::nullopt;
      return *next;
    }
  }
  return std::nullopt;
}

std::optional<int64_t> Schedule::After(int64_t deadline) const {
  switch (kind_) {
    case Kind::kPeriodic:
      return deadline + interval_ns_;
    case Kind::kOneShot:
      return std::nullopt;
    case Kind::kCron: {
      auto next = cron_->Next(deadline);
      if (!next.ok()) return std::nullopt;
      return *next;
    }
  }
  return std::nullopt;
}

std::pair<int64_t, uint64_t> Schedule::LatestDue(int64_t deadline, int64_t now,
                                                 uint64_t max_scan) const {
  if (now < deadline) return {deadline, 0};
  if (kind_ == Kind::kPeriodic) {
    const int64_t passed = (now - deadline) / interval_ns_;
    return {deadline + passed * interval_ns_, static_cast<uint64_t>(passed)};
  }
  uint64_t skipped = 0;
  int64_t d = deadline;
  for (uint64_t i = 0; i < max_scan; ++i) {
    std::optional<int64_t> n = After(d);
    if (!n || *n > now) return {d, skipped};
    d = *n;
    ++skipped;
  }
  // A huge backlog (the clock jumped years ahead): the count stops at the scan limit.
  return {d, skipped};
}

}  // namespace paddock::scheduler
