# paddock_add_plugin(<name> SOURCES <cc...> [MANIFEST <manifest.json>]
#                    [PROTOS <files relative to CMAKE_CURRENT_SOURCE_DIR>] [LIBS <targets...>]
#                    [OUTPUT_DIR <dir>] [SDK_PROTOCOL <semver>])
#
# Builds the plugin executable `<name>` (target plugin_<name>) into OUTPUT_DIR (default
# ${PADDOCK_PLUGIN_OUTPUT_DIR} when set, else the current binary dir). MANIFEST defaults to
# manifest.json in the current source dir. PROTOS become the library plugin_<name>_proto
# (generated protobuf + gRPC code, and a descriptor set). paddock-manifest-gen then combines
# manifest.json (strict proto3 JSON of paddock.v1.PluginManifest, without sdk_protocol,
# services and descriptors) with the descriptor set into a source that embeds the whole
# manifest in the ELF section ".paddock_manifest", which paddockd reads without running the
# binary. Plugin protos may import paddock/v1/*.proto and google/protobuf/*.proto.
#
# SDK_PROTOCOL overrides the SDK protocol version written into the manifest. It exists to
# test hosts' version checks (a plugin claiming a protocol the SDK does not speak); real
# plugins never set it.
#
# Works in this source tree and from an installed SDK (find_package(PaddockSDK)), which
# sets the PADDOCK_SDK_* variables below to its imported targets and directories.
if(NOT DEFINED PADDOCK_SDK_LIBRARY)
  set(PADDOCK_SDK_LIBRARY paddock_sdk)
endif()
if(NOT DEFINED PADDOCK_SDK_PROTO_LIBRARY)
  set(PADDOCK_SDK_PROTO_LIBRARY paddock_proto)
endif()
if(NOT DEFINED PADDOCK_SDK_MANIFEST_GEN)
  set(PADDOCK_SDK_MANIFEST_GEN paddock-manifest-gen)
endif()
if(NOT DEFINED PADDOCK_SDK_PROTO_DIR)
  set(PADDOCK_SDK_PROTO_DIR ${PROJECT_SOURCE_DIR}/proto)
endif()

function(paddock_add_plugin name)
  cmake_parse_arguments(P "" "MANIFEST;OUTPUT_DIR;SDK_PROTOCOL" "SOURCES;PROTOS;LIBS" ${ARGN})
  if(P_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "paddock_add_plugin(${name}): unknown arguments ${P_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT P_SOURCES)
    message(FATAL_ERROR "paddock_add_plugin(${name}): SOURCES is required")
  endif()
  if(NOT P_MANIFEST)
    set(P_MANIFEST manifest.json)
  endif()
  if(NOT name MATCHES "^[a-z][a-z0-9-]*$")
    message(FATAL_ERROR "paddock_add_plugin(${name}): invalid plugin name")
  endif()
  if(NOT P_OUTPUT_DIR AND DEFINED PADDOCK_PLUGIN_OUTPUT_DIR)
    set(P_OUTPUT_DIR ${PADDOCK_PLUGIN_OUTPUT_DIR})
  endif()
  get_filename_component(manifest ${P_MANIFEST} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  if(NOT EXISTS ${manifest})
    message(FATAL_ERROR "paddock_add_plugin(${name}): no manifest at ${manifest}")
  endif()
  set(target plugin_${name})
  set(manifest_cc ${CMAKE_CURRENT_BINARY_DIR}/${target}_manifest.cc)
  set(gen_args --manifest=${manifest} --out=${manifest_cc})
  if(P_SDK_PROTOCOL)
    list(APPEND gen_args --sdk-protocol=${P_SDK_PROTOCOL})
  endif()
  set(gen_depends ${manifest} ${PADDOCK_SDK_MANIFEST_GEN})
  set(proto_lib)

  if(P_PROTOS)
    set(proto_lib ${target}_proto)
    paddock_proto_library(${proto_lib}
      ROOT ${CMAKE_CURRENT_SOURCE_DIR}
      PROTOS ${P_PROTOS}
      IMPORT_DIRS ${PADDOCK_SDK_PROTO_DIR}
      DEPS ${PADDOCK_SDK_PROTO_LIBRARY})
    get_target_property(desc ${proto_lib} PADDOCK_DESCRIPTOR_SET)
    list(APPEND gen_args --descriptor-set=${desc})
    foreach(proto ${P_PROTOS})
      list(APPEND gen_args --proto=${proto})
    endforeach()
    list(APPEND gen_depends ${desc})
  endif()

  add_custom_command(
    OUTPUT ${manifest_cc}
    COMMAND ${PADDOCK_SDK_MANIFEST_GEN} ${gen_args}
    DEPENDS ${gen_depends}
    COMMENT "Embedding the manifest of plugin ${name}"
    VERBATIM)

  add_executable(${target} ${P_SOURCES} ${manifest_cc})
  if(paddock_sanitizers)  # Sanitizer build: options confined plugins need (see the file).
    target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/plugin-sdk/sanitizer_options.cc)
  endif()
  target_compile_options(${target} PRIVATE ${PADDOCK_WARNINGS})
  target_link_libraries(${target} PRIVATE ${PADDOCK_SDK_LIBRARY} ${proto_lib} ${P_LIBS})
  set_target_properties(${target} PROPERTIES OUTPUT_NAME ${name})
  if(P_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${P_OUTPUT_DIR})
  endif()
  # Integration tests depend on every plugin, bundled or test-only.
  set_property(GLOBAL APPEND PROPERTY PADDOCK_PLUGIN_TARGETS ${target})
  # In this source tree, bundled plugins are signed after every link (certs/CMakeLists.txt).
  if(COMMAND paddock_sign_plugin)
    paddock_sign_plugin(${target} ${P_OUTPUT_DIR})
  endif()
endfunction()
