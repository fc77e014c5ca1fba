// Strict conversion between json::Value and protobuf messages (proto3 JSON mapping, by
// reflection), with errors that name the field path: `plugins."hello".grant.max_pids:
// expected an integer in [0, 4294967295], got -1 (line 4, column 20)`.
//
// Differences from protobuf's own JSON parser, on purpose: unknown fields are errors,
// duplicate keys are errors (json::Parse), a repeated field needs an array (not a bare
// value), and an integer given as a number must be integral.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "host/json.h"

namespace paddock::host {

// Clears `msg` and fills it from `v`. Field names may be the proto name ("plugin_dirs") or
// the JSON name ("pluginDirs"), not both. Integers may also be given as decimal strings
// (as proto3 JSON writes 64-bit ones), enums by name or number, google.protobuf.Struct /
// Value / ListValue as any JSON. null leaves a field at its default. Returns
// InvalidArgument naming the path and the source position on any mismatch.
absl::Status JsonToMessage(const json::Value& v, google::protobuf::Message* msg);

// Returns InvalidArgument naming the first map in `msg` (at any depth) that holds one key
// twice, which protobuf's own JSON parser lets through when the key is spelled two ways
// ({"80": 1, "0080": 0} for an integer key); OK otherwise.
absl::Status CheckMapKeysUnique(const google::protobuf::Message& msg);

// Returns every field of `msg` under its proto name: scalars and lists even when they hold
// their defaults (so the output shows the effective values), submessages and fields with
// presence (proto3 `optional`, oneof members) only when set, map entries sorted by key, 64-bit
// integers as exact JSON numbers, enums by name.
json::Value MessageToJson(const google::protobuf::Message& msg);

}  // namespace paddock::host
