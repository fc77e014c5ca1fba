// Shared pieces of the hostile test plugin: the attempt registry and the helpers that turn
// what the kernel answered into an AttemptReply.
//
// Rule for every attempt: it must be harmless if it SUCCEEDS (the point of the suite is
// to find out whether it does). Arguments are chosen so that an unconfined root process
// would get a harmless answer too: invalid magic for reboot, no write after an open that
// should have failed, metadata "changes" that set the current value, and so on.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>

#include "hostile.pb.h"

namespace hostile {

using paddock::test::hostile::v1::AttemptReply;
using paddock::test::hostile::v1::AttemptRequest;

using AttemptFn = std::function<AttemptReply(const AttemptRequest&)>;
using Registry = std::map<std::string, AttemptFn>;

// Each file registers its attempts.
void AddFileSystemAttempts(Registry& r);
void AddKernelAttempts(Registry& r);
void AddMountAttempts(Registry& r);
void AddProcessAttempts(Registry& r);
void AddNetworkAttempts(Registry& r);
void AddLimitAttempts(Registry& r);

// "refused" with `err` (an errno value).
AttemptReply Refused(int err, const std::string& detail = "");
// "escaped": the attempt reached something it must not.
AttemptReply Escaped(const std::string& detail);
// "contained": the attempt ran and saw only the sandbox.
AttemptReply Contained(const std::string& detail);
// "signaled" with `sig`.
AttemptReply Signaled(int sig, const std::string& detail = "");

// For one syscall whose failure is the expected outcome: Refused(errno) when rc < 0,
// Escaped("<what> succeeded") otherwise.
AttemptReply Expect(long rc, const std::string& what);

// "EPERM" for EPERM, "errno 1234" when glibc has no name.
std::string ErrnoName(int err);

// What a forked child reported.
struct ChildReport {
  bool exited = false;  // Exited normally (see status), else killed by `sig`.
  int status = 0;
  int sig = 0;
  long rc = -1;  // The rc and errno the child wrote before exiting (if it did).
  int err = 0;
  bool reported = false;
};

// Runs `fn` in a forked child and waits for it. `fn` gets nothing but must only make
// raw, async-signal-safe calls (the plugin is multi-threaded); its return value is the
// syscall result and errno is read right after it returns. The child then _exits(0).
ChildReport InChild(const std::function<long()>& fn);

// The whole text of a small file (e.g. under /proc), or "" with errno set.
std::string ReadSmallFile(const std::string& path);

}  // namespace hostile
