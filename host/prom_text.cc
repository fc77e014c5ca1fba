#include "host/prom_text.h"

#include <charconv>
#include <cmath>
#include <map>

#include "host/utf8.h"

namespace paddock::host::prom {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Appends `s` escaped: backslash and newline always, '"' when `quote`; bytes that are not
// well-formed UTF-8 become U+FFFD.
void AppendEscaped(std::string_view s, bool quote, std::string* out) {
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      AppendUtf8(0xFFFD, out);
      ++i;
      continue;
    }
    if (n == 1) {
      char c = s[i];
      if (c == '\\') {
        out->append("\\\\");
      } else if (c == '\n') {
        out->append("\\n");
      } else if (c == '"' && quote) {
        out->append("\\\"");
      } else {
        out->push_back(c);
      }
    } else {
      out->append(s.substr(i, n));
    }
    i += n;
  }
}

// Writes `name{labels,extra="v"} value\n`; labels sorted by name (std::map order), the
// extra pair (`le`) last, as Prometheus client libraries do.
void AppendSample(const std::string& name, const std::map<std::string, std::string>& labels,
                  const char* extra_name, const std::string& extra_value, double value,
                  std::string* out) {
  out->append(name);
  if (!labels.empty() || extra_name != nullptr) {
    out->push_back('{');
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) out->push_back(',');
      first = false;
      out->append(k);
      out->append("=\"");
      AppendEscaped(v, true, out);
      out->push_back('"');
    }
    if (extra_name != nullptr) {
      if (!first) out->push_back(',');
      out->append(extra_name);
      out->append("=\"");
      out->append(extra_value);
      out->push_back('"');
    }
    out->push_back('}');
  }
  out->push_back(' ');
  out->append(FormatValue(value));
  out->push_back('\n');
}

const char* TypeName(paddock::v1::MetricFamily::Kind kind) {
  switch (kind) {
    case paddock::v1::MetricFamily::COUNTER:
      return "counter";
    case paddock::v1::MetricFamily::GAUGE:
      return "gauge";
    case paddock::v1::MetricFamily::HISTOGRAM:
      return "histogram";
    default:
      return "untyped";
  }
}

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = IsAlpha(c) || c == '_' || c == ':' || (i > 0 && IsDigit(c));
    if (!ok) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || name.substr(0, 2) == "__") return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = IsAlpha(c) || c == '_' || (i > 0 && IsDigit(c));
    if (!ok) return false;
  }
  return true;
}

std::string SanitizeName(std::string_view name) {
  std::string out(name.empty() ? std::string_view("_") : name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= 'a' && c <= 'z') || IsDigit(c) || c == '_')) c = '_';
  }
  if (IsDigit(out[0])) out.insert(out.begin(), '_');
  return out;
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  AppendEscaped(value, true, &out);
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  AppendEscaped(help, false, &out);
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Shortest form that round-trips; plain decimals ("0.0005", "268435456") in the range
  // where they read best, as Prometheus client libraries write an `le`.
  const double a = std::fabs(v);
  auto r = (a == 0 || (a >= 1e-4 && a < 1e15))
               ? std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed)
               : std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

void Render(const std::vector<paddock::v1::MetricFamily>& families, std::string* out) {
  for (const auto& f : families) {
    out->append("# HELP ");
    out->append(f.name());
    out->push_back(' ');
    AppendEscaped(f.help(), false, out);
    out->append("\n# TYPE ");
    out->append(f.name());
    out->push_back(' ');
    out->append(TypeName(f.kind()));
    out->push_back('\n');
    for (const auto& s : f.samples()) {
      // Sorted labels: protobuf maps have no order.
      std::map<std::string, std::string> labels(s.labels().begin(), s.labels().end());
      if (f.kind() != paddock::v1::MetricFamily::HISTOGRAM) {
        AppendSample(f.name(), labels, nullptr, "", s.value(), out);
        continue;
      }
      const std::string bucket = f.name() + "_bucket";
      uint64_t total = 0;
      for (int i = 0; i < s.bucket_counts_size(); ++i) {
        bool inf = i >= s.bucket_bounds_size();
        total = s.bucket_counts(i);
        AppendSample(bucket, labels, "le", inf ? "+Inf" : FormatValue(s.bucket_bounds(i)),
                     static_cast<double>(total), out);
      }
      AppendSample(f.name() + "_sum", labels, nullptr, "", s.sum(), out);
      AppendSample(f.name() + "_count", labels, nullptr, "", static_cast<double>(total), out);
    }
  }
}

}  // namespace paddock::host::prom
