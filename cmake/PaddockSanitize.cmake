# Sanitizer and fuzzing builds (tests/fuzz/README.md says how to use them).
#
# -DPADDOCK_SANITIZE=address,undefined
#   Instruments everything the build compiles (libraries, host, plugins, tests) with the
#   listed sanitizers, with either gcc or clang. Every finding aborts (no recovery), so a
#   ctest run in such a build fails on the first report. Use a separate build directory
#   (CI: build-asan).
#
# -DPADDOCK_FUZZ=ON (needs CMAKE_CXX_COMPILER=clang++-14)
#   Adds the libFuzzer targets in tests/fuzz. Every library is compiled with libFuzzer's
#   coverage instrumentation plus ASan and UBSan (-fsanitize=fuzzer-no-link,address,
#   undefined); only the fuzz targets link libFuzzer's main. Use a separate build
#   directory (scripts/fuzz uses build-fuzz) and build only the fuzz targets (`ninja
#   fuzzers`): the rest of the tree configures but is not meant to be built there.
set(PADDOCK_SANITIZE "" CACHE STRING "Sanitizers for the whole build, e.g. address,undefined")
option(PADDOCK_FUZZ "Build the libFuzzer targets in tests/fuzz (needs clang)" OFF)

set(paddock_sanitizers "${PADDOCK_SANITIZE}")
if(PADDOCK_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "PADDOCK_FUZZ needs clang (-DCMAKE_CXX_COMPILER=clang++-14 "
                        "-DCMAKE_C_COMPILER=clang-14), not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  if(NOT paddock_sanitizers)
    set(paddock_sanitizers "address,undefined")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(paddock_sanitizers)
  # -fno-sanitize-recover: a UBSan finding is an error, like an ASan one. vptr is left out
  # of "undefined" by gcc anyway; with clang it needs RTTI on every type, which protobuf's
  # and gRPC's prebuilt libraries do not guarantee, so both compilers drop it.
  add_compile_options(-fsanitize=${paddock_sanitizers} -fno-sanitize=vptr
                      -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${paddock_sanitizers} -fno-sanitize=vptr)
  message(STATUS "Paddock: sanitizers ${paddock_sanitizers}")
endif()
