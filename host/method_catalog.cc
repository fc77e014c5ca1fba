#include "host/method_catalog.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "host/json_proto.h"
#include "host/manifest_validate.h"
#include "host/string_view_compat.h"

namespace paddock::host {

namespace pb = google::protobuf;

absl::StatusOr<std::shared_ptr<const MethodCatalog>> MethodCatalog::Create(
    const paddock::v1::PluginManifest& manifest) {
  absl::StatusOr<ManifestServices> built = BuildManifestServices(manifest);
  if (!built.ok()) return built.status();
  std::shared_ptr<MethodCatalog> c(new MethodCatalog());
  c->pool_ = std::move(built->pool);
  c->services_ = std::move(built->services);
  c->factory_ = std::make_unique<pb::DynamicMessageFactory>(c->pool_.get());
  return std::shared_ptr<const MethodCatalog>(std::move(c));
}

std::string MethodCatalog::FullPath(const pb::MethodDescriptor* m) {
  return absl::StrCat("/", m->service()->full_name(), "/", m->name());
}

std::vector<std::string> MethodCatalog::MethodNames() const {
  std::vector<std::string> out;
  for (const auto* s : services_) {
    for (int i = 0; i < s->method_count(); ++i) {
      out.push_back(absl::StrCat(s->full_name(), "/", s->method(i)->name()));
    }
  }
  return out;
}

absl::StatusOr<const pb::MethodDescriptor*> MethodCatalog::Resolve(std::string_view spec,
                                                                   Shape shape) const {
  std::string_view s = spec;
  if (!s.empty() && s[0] == '/') s.remove_prefix(1);
  const pb::MethodDescriptor* found = nullptr;
  size_t slash = s.find('/');
  if (slash != std::string_view::npos) {
    std::string_view svc = s.substr(0, slash), method = s.substr(slash + 1);
    for (const auto* d : services_) {
      if (d->full_name() == svc) found = d->FindMethodByName(std::string(method));
    }
  } else {
    for (const auto* d : services_) {
      const pb::MethodDescriptor* m = d->FindMethodByName(std::string(s));
      if (m == nullptr) continue;
      if (found != nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("method ", ToAbsl(s), " is ambiguous: name it as Service/Method, one of: ",
                         FullPath(found).substr(1), ", ", FullPath(m).substr(1)));
      }
      found = m;
    }
  }
  if (found == nullptr) {
    return absl::NotFoundError(absl::StrCat("no method \"", ToAbsl(spec),
                                            "\"; methods: ", absl::StrJoin(MethodNames(), ", ")));
  }
  if (found->client_streaming()) {
    return absl::FailedPreconditionError(
        absl::StrCat("method ", FullPath(found),
                     " is client-streaming; only unary and server-streaming "
                     "methods can be called"));
  }
  if (found->server_streaming() && shape == Shape::kUnary) {
    return absl::FailedPreconditionError(
        absl::StrCat("method ", FullPath(found),
                     " is server-streaming; use CallStream (paddockctl call "
                     "streams it)"));
  }
  return found;
}

absl::StatusOr<std::string> MethodCatalog::JsonToRequest(const pb::MethodDescriptor* m,
                                                         std::string_view json) const {
  std::unique_ptr<pb::Message> msg(factory_->GetPrototype(m->input_type())->New());
  if (!json.empty()) {
    pb::util::JsonParseOptions opts;
    opts.ignore_unknown_fields = false;
    auto st =
        pb::util::JsonStringToMessage(pb::StringPiece(json.data(), json.size()), msg.get(), opts);
    if (!st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "request JSON for ", m->input_type()->full_name(), ": ", st.message().as_string()));
    }
    if (absl::Status st = CheckMapKeysUnique(*msg); !st.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("request JSON for ", m->input_type()->full_name(), ": ", st.message()));
    }
  }
  std::string out;
  if (!msg->SerializeToString(&out)) return absl::InternalError("cannot serialize request");
  return out;
}

absl::StatusOr<std::string> MethodCatalog::ResponseToJson(const pb::MethodDescriptor* m,
                                                          std::string_view bytes) const {
  std::unique_ptr<pb::Message> msg(factory_->GetPrototype(m->output_type())->New());
  if (!msg->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(
        absl::StrCat("plugin answered bytes that are not a valid ", m->output_type()->full_name()));
  }
  pb::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = false;
  opts.always_print_primitive_fields = true;
  std::string out;
  auto st = pb::util::MessageToJsonString(*msg, &out, opts);
  if (!st.ok()) return absl::InternalError(st.message().as_string());
  return out;
}

}  // namespace paddock::host
