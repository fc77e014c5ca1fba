// How paddockctl prints what the host answers, for people (tables) and for programs (JSON).
#pragma once

#include <string>

#include "google/protobuf/message.h"
#include "paddock/v1/control.pb.h"

namespace paddock::host {

// "serving", "backoff", ... for a state.
std::string StateName(paddock::v1::PluginState s);
// "3m12s", "4h2m", "-" for a duration in seconds.
std::string ShortDuration(double seconds);
// The `list` table.
std::string FormatList(const paddock::v1::ListResponse& r);
// The `status` block.
std::string FormatStatus(const paddock::v1::PluginInfo& p);
// One log line: "<time> <plugin> g<gen> <level> <message> k=v ...".
std::string FormatLogEntry(const paddock::v1::LogEntry& e);
// Any message as JSON with proto field names and every field present.
std::string ToJson(const google::protobuf::Message& m);

}  // namespace paddock::host
