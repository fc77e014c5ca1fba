// The invoke ACL (deny by default, "plugin/Method" resolved against the target's catalog,
// "plugin/*"), the config it is read from, and who the caller is (its certificate's SAN).
#include "host/invoke_acl.h"

#include <catch2/catch.hpp>

#include "google/protobuf/descriptor.pb.h"
#include "host/config.h"
#include "host/invoke_service.h"

namespace paddock::host {
namespace {

namespace pb = google::protobuf;

// A catalog for plugin "ctl" serving paddock.v1.Control (unary: List, Status, Start, ...).
std::shared_ptr<const MethodCatalog> ControlCatalog() {
  paddock::v1::PluginManifest m;
  m.set_name("ctl");
  pb::FileDescriptorProto proto;
  paddock::v1::ListRequest::descriptor()->file()->CopyTo(&proto);
  *m.mutable_descriptors()->add_file() = proto;
  m.add_services()->set_name("paddock.v1.Control");
  auto c = MethodCatalog::Create(m);
  REQUIRE(c.ok());
  return *c;
}

const pb::MethodDescriptor* Method(const MethodCatalog& c, const char* name) {
  auto m = c.Resolve(name);
  REQUIRE(m.ok());
  return *m;
}

TEST_CASE("the invoke ACL allows what it lists and nothing else") {
  auto catalog = ControlCatalog();
  const pb::MethodDescriptor* status = Method(*catalog, "Status");
  const pb::MethodDescriptor* stop = Method(*catalog, "Stop");

  InvokeAcl none({});
  CHECK_FALSE(none.NamesPlugin("ctl"));
  CHECK_FALSE(none.Allows("ctl", *catalog, status));

  InvokeAcl one({"ctl/Status"});
  CHECK(one.NamesPlugin("ctl"));
  CHECK_FALSE(one.NamesPlugin("other"));
  CHECK(one.Allows("ctl", *catalog, status));
  CHECK_FALSE(one.Allows("ctl", *catalog, stop));
  CHECK_FALSE(one.Allows("other", *catalog, status));

  // Entries name a method in any form the catalog resolves.
  CHECK(InvokeAcl({"ctl/paddock.v1.Control/Status"}).Allows("ctl", *catalog, status));
  CHECK(InvokeAcl({"ctl//paddock.v1.Control/Status"}).Allows("ctl", *catalog, status));
  CHECK_FALSE(InvokeAcl({"ctl/Nope"}).Allows("ctl", *catalog, status));
  // A prefix of another plugin's name is not that plugin.
  CHECK_FALSE(InvokeAcl({"ct/*"}).NamesPlugin("ctl"));

  InvokeAcl all({"ctl/*"});
  CHECK(all.Allows("ctl", *catalog, status));
  CHECK(all.Allows("ctl", *catalog, stop));
}

TEST_CASE("a caller's ACL comes from its plugin settings in the host config") {
  auto config = ParseHostConfig(R"({"plugins": {
      "scheduler": {"invoke": ["hello/Greet", "ctl/*"]},
      "hello": {}}})");
  REQUIRE(config.ok());
  CHECK(InvokeAcl::For(*config, "scheduler").entries() ==
        std::vector<std::string>{"hello/Greet", "ctl/*"});
  CHECK(InvokeAcl::For(*config, "hello").entries().empty());
  CHECK(InvokeAcl::For(*config, "unknown").entries().empty());
}

TEST_CASE("the live config is the one last applied, and readers keep theirs") {
  auto first = ParseHostConfig(R"({"plugins": {"a": {"invoke": ["b/*"]}}})");
  auto second = ParseHostConfig(R"({"plugins": {"a": {"invoke": ["c/*"]}}})");
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  LiveConfig live(*first);
  std::shared_ptr<const paddock::v1::HostConfig> before = live.Get();
  CHECK(InvokeAcl::For(*before, "a").NamesPlugin("b"));
  live.Set(*second);
  CHECK(InvokeAcl::For(*live.Get(), "a").NamesPlugin("c"));
  CHECK_FALSE(InvokeAcl::For(*live.Get(), "a").NamesPlugin("b"));
  // A reader that took the old config before the change still holds it, intact.
  CHECK(InvokeAcl::For(*before, "a").NamesPlugin("b"));
  live.Set(paddock::v1::HostConfig());
  CHECK(InvokeAcl::For(*live.Get(), "a").entries().empty());
}

TEST_CASE("invoke targets split into a valid plugin name and a method spec") {
  struct Good {
    const char* target;
    const char* plugin;
    const char* method;
  };
  for (const Good& g : {
           Good{"hello/Greet", "hello", "Greet"},
           Good{"hello/paddock.hello.v1.Hello/Greet", "hello", "paddock.hello.v1.Hello/Greet"},
           Good{"hello//paddock.hello.v1.Hello/Greet", "hello", "/paddock.hello.v1.Hello/Greet"},
           Good{"log-aggregator/Query", "log-aggregator", "Query"},
       }) {
    INFO(g.target);
    absl::StatusOr<InvokeTarget> t = ParseInvokeTarget(g.target);
    REQUIRE(t.ok());
    CHECK(t->plugin == g.plugin);
    CHECK(t->method == g.method);
  }
  for (const char* bad : {"", "hello", "hello/", "/Greet", "Hello/Greet", "he llo/Greet", "hello/*",
                          "hello//", "../x/Greet"}) {
    INFO(bad);
    absl::StatusOr<InvokeTarget> t = ParseInvokeTarget(bad);
    REQUIRE_FALSE(t.ok());
    CHECK(t.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(t.status().message()), Catch::Contains("is not \"plugin/Method\""));
  }
}

// An AuthContext with fixed answers.
class FakeAuth final : public grpc::AuthContext {
 public:
  FakeAuth(bool authenticated, std::vector<std::string> sans)
      : authenticated_(authenticated), sans_(std::move(sans)) {}
  bool IsPeerAuthenticated() const override { return authenticated_; }
  std::vector<grpc::string_ref> GetPeerIdentity() const override { return Refs(); }
  std::string GetPeerIdentityPropertyName() const override {
    return "x509_subject_alternative_name";
  }
  std::vector<grpc::string_ref> FindPropertyValues(const std::string& name) const override {
    return name == "x509_subject_alternative_name" ? Refs() : std::vector<grpc::string_ref>{};
  }
  grpc::AuthPropertyIterator begin() const override { return Iter(); }
  grpc::AuthPropertyIterator end() const override { return Iter(); }
  void AddProperty(const std::string&, const grpc::string_ref&) override {}
  bool SetPeerIdentityPropertyName(const std::string&) override { return false; }

 private:
  struct Iter : grpc::AuthPropertyIterator {};
  std::vector<grpc::string_ref> Refs() const {
    std::vector<grpc::string_ref> out;
    for (const std::string& s : sans_) out.emplace_back(s);
    return out;
  }
  bool authenticated_;
  std::vector<std::string> sans_;
};

TEST_CASE("the caller is the plugin its certificate names, and only a plugin") {
  auto caller = CallerPlugin(FakeAuth(true, {"scheduler.g3.plugin.paddock"}));
  REQUIRE(caller.ok());
  CHECK(*caller == "scheduler");
  CHECK(*CallerPlugin(FakeAuth(true, {"log-aggregator.g12.plugin.paddock"})) == "log-aggregator");
  for (const auto& bad : std::vector<std::vector<std::string>>{
           {},
           {"paddockd.host.paddock"},
           {"scheduler.plugin.paddock"},
           {"scheduler.gx.plugin.paddock"},
           {"scheduler.g.plugin.paddock"},
           {"Scheduler.g1.plugin.paddock"},
           {"scheduler.g1.plugin.paddock.evil"},
           {"scheduler.g1.plugin.paddock", "hello.g1.plugin.paddock"},
       }) {
    INFO((bad.empty() ? "(none)" : bad[0]));
    CHECK(CallerPlugin(FakeAuth(true, bad)).status().code() == absl::StatusCode::kUnauthenticated);
  }
  CHECK(CallerPlugin(FakeAuth(false, {"scheduler.g1.plugin.paddock"})).status().code() ==
        absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace paddock::host
