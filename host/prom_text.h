// Prometheus text exposition format 0.0.4 (what `promtool check metrics` and every
// Prometheus server read): names, label escaping, number formatting and the rendering of
// metric families held as paddock.v1.MetricFamily (the same message plugins answer with).
// https://prometheus.io/docs/instrumenting/exposition_formats/
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "paddock/v1/lifecycle.pb.h"

namespace paddock::host::prom {

// The media type of what Render() writes.
inline constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// True for a valid metric name, [a-zA-Z_:][a-zA-Z0-9_:]*.
bool IsValidMetricName(std::string_view name);
// True for a valid label name, [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved
// for Prometheus itself).
bool IsValidLabelName(std::string_view name);

// Makes `name` a lint-clean metric name: upper case lowered, every character outside
// [a-z0-9_] replaced by '_' (':' is for recording rules), a leading digit prefixed by '_'.
// "" becomes "_".
std::string SanitizeName(std::string_view name);

// Escapes a label value: '\' -> "\\", '"' -> "\"", newline -> "\n". Invalid UTF-8 bytes
// become U+FFFD (Prometheus rejects a scrape with invalid UTF-8).
std::string EscapeLabelValue(std::string_view value);
// Escapes HELP text: '\' -> "\\", newline -> "\n"; invalid UTF-8 as above.
std::string EscapeHelp(std::string_view help);
// A sample value as Go's strconv.ParseFloat reads it: shortest round-trip decimal,
// "NaN", "+Inf", "-Inf".
std::string FormatValue(double v);

// Appends `families` to `out` as text: "# HELP", "# TYPE", then one line per sample
// (histograms: cumulative _bucket lines with `le` ending at "+Inf", then _sum and _count).
// Labels are written sorted by name. The caller guarantees what the format requires and
// this function does not re-check: valid, unique family names; valid label names; one
// label set per sample within a family; histogram counts = bounds + 1, non-decreasing.
// plugin_metrics.h and host_metrics.h produce families that hold these properties.
void Render(const std::vector<paddock::v1::MetricFamily>& families, std::string* out);

}  // namespace paddock::host::prom
