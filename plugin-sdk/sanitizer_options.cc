// Sanitizer defaults for plugin executables, compiled into every plugin of a sanitizer
// build (cmake/PaddockSanitize.cmake adds this file through paddock_add_plugin; normal
// builds never see it). A confined plugin gets a fixed environment from the host, so
// ASAN_OPTIONS cannot reach it; the runtime asks these hooks instead.
//
//   detect_leaks=0  LeakSanitizer stops the world with ptrace(2) at exit, which the
//                   sandbox's seccomp policy denies as a violation (the host would report
//                   and kill every exiting plugin). Leaks are checked in the unit tests,
//                   where the same library code runs unconfined.
//   handle_segv=0, handle_sigbus=0, handle_sigfpe=0, handle_abort=0
//                   A plugin that crashes must still die of its signal: the host reports
//                   "killed by SIGSEGV" and the crash-loop tests assert exactly that. ASan's
//                   reports for the errors it detects itself are unaffected.
//   abort_on_error=1  An ASan report ends in SIGABRT, which the host reports as a crash;
//                   the report itself is on the plugin's stderr, which the host logs (the
//                   integration harness fails a test whose host log holds one).
//   quarantine_size_mb=16
//                   Freed memory ASan holds back to catch use-after-free counts against the
//                   plugin's memory cgroup; the default 256 MB would push plugins with
//                   64-128 MB limits into the OOM killer. 16 MB still catches recent frees.
extern "C" const char* __asan_default_options() {
  return "detect_leaks=0:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_abort=0:"
         "abort_on_error=1:quarantine_size_mb=16";
}

extern "C" const char* __ubsan_default_options() { return "print_stacktrace=1"; }
