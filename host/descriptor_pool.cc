#include "host/descriptor_pool.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "host/json.h"

namespace paddock::host {
namespace {

using google::protobuf::FileDescriptorProto;

std::string Quoted(const std::string& s) {
  std::string out;
  json::AppendQuoted(s.substr(0, 200), &out);
  return out;
}

// Keeps the first error the pool reports, for the status message.
class FirstError : public google::protobuf::DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& filename, const std::string& element_name,
                const google::protobuf::Message*, ErrorLocation,
                const std::string& message) override {
    if (error_.empty()) {
      error_ = absl::StrCat("file ", Quoted(filename), ": ", Quoted(element_name), ": ", message);
    }
  }
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<google::protobuf::DescriptorPool>> BuildDescriptorPool(
    const google::protobuf::FileDescriptorSet& set) {
  if (set.file_size() == 0) return absl::InvalidArgumentError("descriptors: the set is empty");
  if (set.file_size() > kMaxDescriptorFiles) {
    return absl::InvalidArgumentError(absl::StrCat(
        "descriptors: ", set.file_size(), " files, more than the limit of ", kMaxDescriptorFiles));
  }
  absl::flat_hash_map<std::string, const FileDescriptorProto*> by_name;
  for (const FileDescriptorProto& f : set.file()) {
    if (f.name().empty()) return absl::InvalidArgumentError("descriptors: a file has no name");
    if (!by_name.emplace(f.name(), &f).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("descriptors: file ", Quoted(f.name()), " appears twice"));
    }
  }
  for (const FileDescriptorProto& f : set.file()) {
    for (const std::string& dep : f.dependency()) {
      if (!by_name.contains(dep)) {
        return absl::InvalidArgumentError(absl::StrCat("descriptors: file ", Quoted(f.name()),
                                                       ": imports ", Quoted(dep),
                                                       ", which the set does not contain"));
      }
    }
  }
  auto pool = std::make_unique<google::protobuf::DescriptorPool>();
  // Build in dependency order: each round builds every file whose imports are built.
  // A round without progress means an import cycle.
  absl::flat_hash_set<std::string> built;
  std::vector<const FileDescriptorProto*> pending;
  for (const FileDescriptorProto& f : set.file()) pending.push_back(&f);
  while (!pending.empty()) {
    std::vector<const FileDescriptorProto*> next;
    for (const FileDescriptorProto* f : pending) {
      bool ready = true;
      for (const std::string& dep : f->dependency()) ready = ready && built.contains(dep);
      if (!ready) {
        next.push_back(f);
        continue;
      }
      FirstError errors;
      if (pool->BuildFileCollectingErrors(*f, &errors) == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "descriptors: ",
            errors.error().empty() ? "file " + Quoted(f->name()) + " is invalid" : errors.error()));
      }
      built.insert(f->name());
    }
    if (next.size() == pending.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "descriptors: file ", Quoted(next.front()->name()), " is part of an import cycle"));
    }
    pending = std::move(next);
  }
  return pool;
}

}  // namespace paddock::host
