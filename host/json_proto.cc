#include "host/json_proto.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "host/string_view_compat.h"

namespace paddock::host {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::Status Fail(absl::string_view path, const json::Value& v, absl::string_view what) {
  const std::string where = v.Where();
  return absl::InvalidArgumentError(absl::StrCat(path, path.empty() ? "" : ": ", what,
                                                 where.empty() ? "" : " (", where,
                                                 where.empty() ? "" : ")"));
}

std::string Brief(const json::Value& v) {
  switch (v.kind) {
    case json::Value::Kind::kNumber:
      return absl::StrCat("the number ",
                          v.number_text.empty() ? absl::StrCat(v.number) : v.number_text);
    case json::Value::Kind::kString: {
      std::string s = v.string.size() > 40 ? v.string.substr(0, 40) + "..." : v.string;
      std::string quoted;
      json::AppendQuoted(s, &quoted);
      return absl::StrCat("the string ", quoted);
    }
    case json::Value::Kind::kBool:
      return v.boolean ? "true" : "false";
    default:
      return std::string(v.KindName());
  }
}

std::string MapKeyPath(absl::string_view path, absl::string_view key) {
  std::string out(path);
  out.push_back('.');
  json::AppendQuoted(ToStd(key), &out);
  return out;
}

std::string FieldPath(absl::string_view path, absl::string_view name) {
  return path.empty() ? std::string(name) : absl::StrCat(path, ".", name);
}

struct IntRange {
  int64_t min;
  uint64_t max;
};

IntRange RangeOf(FieldDescriptor::CppType t) {
  switch (t) {
    case FieldDescriptor::CPPTYPE_INT32:
      return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
    case FieldDescriptor::CPPTYPE_INT64:
      return {std::numeric_limits<int64_t>::min(),
              static_cast<uint64_t>(std::numeric_limits<int64_t>::max())};
    case FieldDescriptor::CPPTYPE_UINT32:
      return {0, std::numeric_limits<uint32_t>::max()};
    default:
      return {0, std::numeric_limits<uint64_t>::max()};
  }
}

// Reads an integer from a JSON number or decimal string. On success exactly one of
// *negative (value in *s) or !*negative (value in *u) holds.
absl::Status ReadInteger(const json::Value& v, absl::string_view path, IntRange range, int64_t* s,
                         uint64_t* u, bool* negative) {
  const std::string expected =
      absl::StrCat("expected an integer in [", range.min, ", ", range.max, "], got ", Brief(v));
  std::string text;
  if (v.kind == json::Value::Kind::kNumber) {
    text = v.number_text;
    if (text.find_first_of(".eE") != std::string::npos || text.empty()) {
      // 1e3 or 2.0 are integers too, as long as they are exact.
      if (std::floor(v.number) != v.number || std::fabs(v.number) > 9007199254740992.0) {
        return Fail(path, v, expected);
      }
      text = absl::StrCat(static_cast<int64_t>(v.number));
    }
  } else if (v.kind == json::Value::Kind::kString) {
    text = v.string;
    const absl::string_view digits = absl::StripPrefix(text, "-");
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) {
      return Fail(path, v, expected);
    }
  } else {
    return Fail(path, v, expected);
  }
  *negative = !text.empty() && text[0] == '-';
  if (*negative) {
    if (!absl::SimpleAtoi(text, s) || *s < range.min) return Fail(path, v, expected);
    if (*s >= 0) {  // "-0"
      *negative = false;
      *u = 0;
    }
    return absl::OkStatus();
  }
  if (!absl::SimpleAtoi(text, u) || *u > range.max) return Fail(path, v, expected);
  return absl::OkStatus();
}

void ToStructValue(const json::Value& v, google::protobuf::Value* out);

void ToStruct(const json::Value& v, google::protobuf::Struct* out) {
  for (const json::Member& m : v.object) ToStructValue(m.value, &(*out->mutable_fields())[m.key]);
}

void ToStructValue(const json::Value& v, google::protobuf::Value* out) {
  switch (v.kind) {
    case json::Value::Kind::kNull:
      out->set_null_value(google::protobuf::NULL_VALUE);
      return;
    case json::Value::Kind::kBool:
      out->set_bool_value(v.boolean);
      return;
    case json::Value::Kind::kNumber:
      out->set_number_value(v.number);
      return;
    case json::Value::Kind::kString:
      out->set_string_value(v.string);
      return;
    case json::Value::Kind::kArray:
      for (const json::Value& item : v.array) {
        ToStructValue(item, out->mutable_list_value()->add_values());
      }
      out->mutable_list_value();
      return;
    case json::Value::Kind::kObject:
      ToStruct(v, out->mutable_struct_value());
      return;
  }
}

absl::Status FillMessage(const json::Value& v, absl::string_view path, Message* msg);

// Sets (or, for repeated fields, adds) one non-message value of `field`.
absl::Status SetScalar(const json::Value& v, absl::string_view path, const FieldDescriptor* field,
                       Message* msg) {
  const Reflection* r = msg->GetReflection();
  const bool rep = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      if (v.kind != json::Value::Kind::kBool) {
        return Fail(path, v, absl::StrCat("expected true or false, got ", Brief(v)));
      }
      rep ? r->AddBool(msg, field, v.boolean) : r->SetBool(msg, field, v.boolean);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_STRING:
      if (v.kind != json::Value::Kind::kString) {
        return Fail(path, v, absl::StrCat("expected a string, got ", Brief(v)));
      }
      rep ? r->AddString(msg, field, v.string) : r->SetString(msg, field, v.string);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      if (v.kind != json::Value::Kind::kNumber) {
        return Fail(path, v, absl::StrCat("expected a number, got ", Brief(v)));
      }
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
        rep ? r->AddDouble(msg, field, v.number) : r->SetDouble(msg, field, v.number);
      } else {
        if (std::fabs(v.number) > std::numeric_limits<float>::max()) {
          return Fail(path, v, "number is out of range for a float");
        }
        const auto f = static_cast<float>(v.number);
        rep ? r->AddFloat(msg, field, f) : r->SetFloat(msg, field, f);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const google::protobuf::EnumDescriptor* e = field->enum_type();
      const google::protobuf::EnumValueDescriptor* ev = nullptr;
      if (v.kind == json::Value::Kind::kString) {
        ev = e->FindValueByName(v.string);
      } else if (v.kind == json::Value::Kind::kNumber && std::floor(v.number) == v.number &&
                 std::fabs(v.number) < 2147483648.0) {
        ev = e->FindValueByNumber(static_cast<int>(v.number));
      }
      if (ev == nullptr) {
        std::vector<std::string> names;
        for (int i = 0; i < e->value_count(); ++i) {
          names.push_back(absl::StrCat("\"", e->value(i)->name(), "\""));
        }
        return Fail(
            path, v,
            absl::StrCat("expected one of ", absl::StrJoin(names, ", "), ", got ", Brief(v)));
      }
      rep ? r->AddEnum(msg, field, ev) : r->SetEnum(msg, field, ev);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return absl::InternalError("SetScalar called for a message field");
    default: {
      int64_t s = 0;
      uint64_t u = 0;
      bool negative = false;
      if (absl::Status st = ReadInteger(v, path, RangeOf(field->cpp_type()), &s, &u, &negative);
          !st.ok()) {
        return st;
      }
      const int64_t as_signed = negative ? s : static_cast<int64_t>(u);
      switch (field->cpp_type()) {
        case FieldDescriptor::CPPTYPE_INT32:
          rep ? r->AddInt32(msg, field, static_cast<int32_t>(as_signed))
              : r->SetInt32(msg, field, static_cast<int32_t>(as_signed));
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          rep ? r->AddInt64(msg, field, as_signed) : r->SetInt64(msg, field, as_signed);
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          rep ? r->AddUInt32(msg, field, static_cast<uint32_t>(u))
              : r->SetUInt32(msg, field, static_cast<uint32_t>(u));
          break;
        default:
          rep ? r->AddUInt64(msg, field, u) : r->SetUInt64(msg, field, u);
          break;
      }
      return absl::OkStatus();
    }
  }
}

// Fills one element: a message (added or mutable) or a scalar.
absl::Status SetElement(const json::Value& v, absl::string_view path, const FieldDescriptor* field,
                        Message* msg) {
  if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
    return SetScalar(v, path, field, msg);
  }
  const Reflection* r = msg->GetReflection();
  Message* sub = field->is_repeated() ? r->AddMessage(msg, field) : r->MutableMessage(msg, field);
  return FillMessage(v, path, sub);
}

std::string MapKeyText(const Message& entry);

absl::Status FillMap(const json::Value& v, absl::string_view path, const FieldDescriptor* field,
                     Message* msg) {
  if (v.kind != json::Value::Kind::kObject) {
    return Fail(path, v, absl::StrCat("expected an object, got ", Brief(v)));
  }
  const Descriptor* entry_type = field->message_type();
  const FieldDescriptor* key_field = entry_type->map_key();
  const FieldDescriptor* value_field = entry_type->map_value();
  // json::Parse refuses repeated keys as written; this catches different spellings of one
  // value ("80" and "0080" for an integer key), which would otherwise reach the wire as two
  // entries and leave the receiver to keep whichever came last.
  absl::flat_hash_map<std::string, std::string> written_as;
  for (const json::Member& m : v.object) {
    const std::string entry_path = MapKeyPath(path, m.key);
    Message* entry = msg->GetReflection()->AddMessage(msg, field);
    json::Value key = json::Value::String(m.key);
    key.line = m.value.line;
    key.column = m.value.column;
    if (key_field->cpp_type() == FieldDescriptor::CPPTYPE_BOOL) {
      if (m.key != "true" && m.key != "false") {
        return Fail(entry_path, key, "map key must be \"true\" or \"false\"");
      }
      key = json::Value::Bool(m.key == "true");
    }
    if (absl::Status s = SetScalar(key, entry_path, key_field, entry); !s.ok()) return s;
    auto [it, inserted] = written_as.emplace(MapKeyText(*entry), m.key);
    if (!inserted) {
      std::string first;
      json::AppendQuoted(it->second, &first);
      return Fail(entry_path, key, absl::StrCat("the same key as ", first));
    }
    if (m.value.kind == json::Value::Kind::kNull &&
        value_field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      return Fail(entry_path, m.value, "map values must not be null");
    }
    if (absl::Status s = SetElement(m.value, entry_path, value_field, entry); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status FillField(const json::Value& v, absl::string_view path, const FieldDescriptor* field,
                       Message* msg) {
  const bool is_value_type =
      field->message_type() != nullptr &&
      field->message_type()->full_name() == google::protobuf::Value::descriptor()->full_name();
  if (v.kind == json::Value::Kind::kNull && !is_value_type) return absl::OkStatus();
  if (field->is_map()) return FillMap(v, path, field, msg);
  if (!field->is_repeated()) return SetElement(v, path, field, msg);
  if (v.kind != json::Value::Kind::kArray) {
    return Fail(path, v, absl::StrCat("expected an array, got ", Brief(v)));
  }
  for (size_t i = 0; i < v.array.size(); ++i) {
    const std::string item_path = absl::StrCat(path, "[", i, "]");
    if (v.array[i].kind == json::Value::Kind::kNull && !is_value_type) {
      return Fail(item_path, v.array[i], "list elements must not be null");
    }
    if (absl::Status s = SetElement(v.array[i], item_path, field, msg); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status FillWellKnown(const json::Value& v, absl::string_view path, Message* msg,
                           bool* handled) {
  *handled = true;
  if (auto* st = google::protobuf::DynamicCastToGenerated<google::protobuf::Struct>(msg)) {
    if (v.kind != json::Value::Kind::kObject) {
      return Fail(path, v, absl::StrCat("expected an object, got ", Brief(v)));
    }
    ToStruct(v, st);
    return absl::OkStatus();
  }
  if (auto* val = google::protobuf::DynamicCastToGenerated<google::protobuf::Value>(msg)) {
    ToStructValue(v, val);
    return absl::OkStatus();
  }
  if (auto* list = google::protobuf::DynamicCastToGenerated<google::protobuf::ListValue>(msg)) {
    if (v.kind != json::Value::Kind::kArray) {
      return Fail(path, v, absl::StrCat("expected an array, got ", Brief(v)));
    }
    for (const json::Value& item : v.array) ToStructValue(item, list->add_values());
    return absl::OkStatus();
  }
  *handled = false;
  return absl::OkStatus();
}

absl::Status FillMessage(const json::Value& v, absl::string_view path, Message* msg) {
  bool handled = false;
  if (absl::Status s = FillWellKnown(v, path, msg, &handled); handled || !s.ok()) return s;
  if (v.kind != json::Value::Kind::kObject) {
    return Fail(path, v, absl::StrCat("expected an object, got ", Brief(v)));
  }
  const Descriptor* d = msg->GetDescriptor();
  std::vector<const FieldDescriptor*> seen;
  for (const json::Member& m : v.object) {
    const FieldDescriptor* field = d->FindFieldByName(m.key);
    if (field == nullptr) {
      for (int i = 0; i < d->field_count() && field == nullptr; ++i) {
        if (d->field(i)->json_name() == m.key) field = d->field(i);
      }
    }
    const std::string field_path = FieldPath(path, field ? field->name() : m.key);
    if (field == nullptr) {
      std::vector<std::string> names;
      for (int i = 0; i < d->field_count(); ++i) names.push_back(d->field(i)->name());
      std::string quoted;
      json::AppendQuoted(m.key, &quoted);
      return Fail(path, m.value,
                  absl::StrCat("unknown field ", quoted,
                               " (known fields: ", absl::StrJoin(names, ", "), ")"));
    }
    if (std::find(seen.begin(), seen.end(), field) != seen.end()) {
      return Fail(field_path, m.value,
                  absl::StrCat("given twice (as \"", field->name(), "\" and \"", field->json_name(),
                               "\")"));
    }
    seen.push_back(field);
    if (absl::Status s = FillField(m.value, field_path, field, msg); !s.ok()) return s;
  }
  return absl::OkStatus();
}

json::Value SignedNumber(int64_t i) {
  json::Value v = json::Value::Number(static_cast<double>(i));
  v.number_text = absl::StrCat(i);
  return v;
}

json::Value FromStructValue(const google::protobuf::Value& v);

json::Value FromStruct(const google::protobuf::Struct& s) {
  std::vector<std::pair<std::string, const google::protobuf::Value*>> sorted;
  for (const auto& [k, val] : s.fields()) sorted.emplace_back(k, &val);
  std::sort(sorted.begin(), sorted.end());
  json::Value out = json::Value::Object();
  for (const auto& [k, val] : sorted) out.object.push_back({k, FromStructValue(*val)});
  return out;
}

json::Value FromStructValue(const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kBoolValue:
      return json::Value::Bool(v.bool_value());
    case google::protobuf::Value::kNumberValue:
      return json::Value::Number(v.number_value());
    case google::protobuf::Value::kStringValue:
      return json::Value::String(v.string_value());
    case google::protobuf::Value::kListValue: {
      json::Value out = json::Value::Array();
      for (const auto& item : v.list_value().values()) out.array.push_back(FromStructValue(item));
      return out;
    }
    case google::protobuf::Value::kStructValue:
      return FromStruct(v.struct_value());
    default:
      return json::Value::Null();
  }
}

json::Value ScalarToJson(const Message& msg, const FieldDescriptor* f, int index) {
  const Reflection* r = msg.GetReflection();
  const bool rep = index >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_BOOL:
      return json::Value::Bool(rep ? r->GetRepeatedBool(msg, f, index) : r->GetBool(msg, f));
    case FieldDescriptor::CPPTYPE_STRING:
      return json::Value::String(rep ? r->GetRepeatedString(msg, f, index) : r->GetString(msg, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return json::Value::Number(rep ? r->GetRepeatedDouble(msg, f, index) : r->GetDouble(msg, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return json::Value::Number(rep ? r->GetRepeatedFloat(msg, f, index) : r->GetFloat(msg, f));
    case FieldDescriptor::CPPTYPE_ENUM: {
      // A number the enum does not name (an open proto3 enum, e.g. from a newer peer) prints
      // as that number, as proto3 JSON says; reflection's GetEnum would hand back a made-up
      // "UNKNOWN_ENUM_VALUE_<Enum>_<n>" that no parser takes back.
      const int number = rep ? r->GetRepeatedEnumValue(msg, f, index) : r->GetEnumValue(msg, f);
      const auto* ev = f->enum_type()->FindValueByNumber(number);
      return ev != nullptr ? json::Value::String(ev->name()) : SignedNumber(number);
    }
    case FieldDescriptor::CPPTYPE_INT32:
      return SignedNumber(rep ? r->GetRepeatedInt32(msg, f, index) : r->GetInt32(msg, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return SignedNumber(rep ? r->GetRepeatedInt64(msg, f, index) : r->GetInt64(msg, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return json::Value::Integer(rep ? r->GetRepeatedUInt32(msg, f, index) : r->GetUInt32(msg, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return json::Value::Integer(rep ? r->GetRepeatedUInt64(msg, f, index) : r->GetUInt64(msg, f));
    default:
      return json::Value::Null();
  }
}

json::Value ElementToJson(const Message& msg, const FieldDescriptor* f, int index) {
  if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return ScalarToJson(msg, f, index);
  const Reflection* r = msg.GetReflection();
  return MessageToJson(index >= 0 ? r->GetRepeatedMessage(msg, f, index) : r->GetMessage(msg, f));
}

std::string MapKeyText(const Message& entry) {
  const json::Value k = ScalarToJson(entry, entry.GetDescriptor()->map_key(), -1);
  if (k.kind == json::Value::Kind::kString) return k.string;
  if (k.kind == json::Value::Kind::kBool) return k.boolean ? "true" : "false";
  return k.number_text;
}

absl::Status CheckMapKeysUnique(const Message& msg, const std::string& path) {
  const Reflection* r = msg.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(msg, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string field_path = FieldPath(path, f->name());
    if (!f->is_repeated()) {
      if (absl::Status s = CheckMapKeysUnique(r->GetMessage(msg, f), field_path); !s.ok()) return s;
      continue;
    }
    absl::flat_hash_set<std::string> keys;
    for (int i = 0; i < r->FieldSize(msg, f); ++i) {
      const Message& item = r->GetRepeatedMessage(msg, f, i);
      if (f->is_map()) {
        std::string key = MapKeyText(item);
        if (!keys.insert(key).second) {
          return absl::InvalidArgumentError(
              absl::StrCat(field_path, ": key ", key, " is given twice (written two ways)"));
        }
        // The entry's own reflection: `r` is the outer message's (protobuf aborts on a
        // mismatch, which a plugin's message-valued map in a request would have triggered).
        const Reflection* entry = item.GetReflection();
        const FieldDescriptor* value = item.GetDescriptor()->map_value();
        if (value->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && entry->HasField(item, value)) {
          if (absl::Status s =
                  CheckMapKeysUnique(entry->GetMessage(item, value), MapKeyPath(field_path, key));
              !s.ok()) {
            return s;
          }
        }
      } else if (absl::Status s = CheckMapKeysUnique(item, absl::StrCat(field_path, "[", i, "]"));
                 !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status JsonToMessage(const json::Value& v, google::protobuf::Message* msg) {
  msg->Clear();
  return FillMessage(v, "", msg);
}

absl::Status CheckMapKeysUnique(const google::protobuf::Message& msg) {
  return CheckMapKeysUnique(msg, "");
}

json::Value MessageToJson(const google::protobuf::Message& msg) {
  if (const auto* st = google::protobuf::DynamicCastToGenerated<google::protobuf::Struct>(&msg)) {
    return FromStruct(*st);
  }
  if (const auto* val = google::protobuf::DynamicCastToGenerated<google::protobuf::Value>(&msg)) {
    return FromStructValue(*val);
  }
  if (const auto* list =
          google::protobuf::DynamicCastToGenerated<google::protobuf::ListValue>(&msg)) {
    json::Value out = json::Value::Array();
    for (const auto& item : list->values()) out.array.push_back(FromStructValue(item));
    return out;
  }
  const Descriptor* d = msg.GetDescriptor();
  const Reflection* r = msg.GetReflection();
  json::Value out = json::Value::Object();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_map()) {
      std::vector<std::pair<std::string, json::Value>> entries;
      for (int j = 0; j < r->FieldSize(msg, f); ++j) {
        const Message& entry = r->GetRepeatedMessage(msg, f, j);
        entries.emplace_back(MapKeyText(entry),
                             ElementToJson(entry, entry.GetDescriptor()->map_value(), -1));
      }
      std::sort(entries.begin(), entries.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      json::Value obj = json::Value::Object();
      for (auto& [k, val] : entries) obj.object.push_back({k, std::move(val)});
      out.object.push_back({f->name(), std::move(obj)});
    } else if (f->is_repeated()) {
      json::Value arr = json::Value::Array();
      for (int j = 0; j < r->FieldSize(msg, f); ++j) arr.array.push_back(ElementToJson(msg, f, j));
      out.object.push_back({f->name(), std::move(arr)});
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (r->HasField(msg, f)) out.object.push_back({f->name(), ElementToJson(msg, f, -1)});
    } else if (f->has_presence() && !r->HasField(msg, f)) {
      // proto3 `optional` and oneof members: unset is not the same as the default (an
      // unset `optional int32 cpu` means "not pinned", 0 means CPU 0), so leave it out.
      continue;
    } else {
      out.object.push_back({f->name(), ScalarToJson(msg, f, -1)});
    }
  }
  return out;
}

}  // namespace paddock::host
