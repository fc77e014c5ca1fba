# paddock_add_plugin(<name> MANIFEST <manifest.json> SOURCES <cc...>
#                    [PROTOS <files relative to CMAKE_CURRENT_SOURCE_DIR>] [LIBS <targets...>]
#                    [OUTPUT_DIR <dir>])
#
# Builds the plugin executable `<name>` (target plugin_<name>) into OUTPUT_DIR (default
# ${PADDOCK_PLUGIN_OUTPUT_DIR}). PROTOS become the library plugin_<name>_proto (generated
# protobuf + gRPC code, and a descriptor set). paddock-manifest-gen then combines
# manifest.json (strict proto3 JSON of paddock.v1.PluginManifest, without sdk_protocol,
# services and descriptors) with the descriptor set into a source that embeds the whole
# manifest in the ELF section ".paddock_manifest", which paddockd reads without running the
# binary. Plugin protos may import paddock/v1/*.proto and google/protobuf/*.proto.
function(paddock_add_plugin name)
  cmake_parse_arguments(P "" "MANIFEST;OUTPUT_DIR" "SOURCES;PROTOS;LIBS" ${ARGN})
  if(P_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "paddock_add_plugin(${name}): unknown arguments ${P_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT P_MANIFEST OR NOT P_SOURCES)
    message(FATAL_ERROR "paddock_add_plugin(${name}): MANIFEST and SOURCES are required")
  endif()
  if(NOT name MATCHES "^[a-z][a-z0-9-]*$")
    message(FATAL_ERROR "paddock_add_plugin(${name}): invalid plugin name")
  endif()
  if(NOT P_OUTPUT_DIR)
    set(P_OUTPUT_DIR ${PADDOCK_PLUGIN_OUTPUT_DIR})
  endif()
  get_filename_component(manifest ${P_MANIFEST} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  set(target plugin_${name})
  set(manifest_cc ${CMAKE_CURRENT_BINARY_DIR}/${target}_manifest.cc)
  set(gen_args --manifest=${manifest} --out=${manifest_cc})
  set(gen_depends ${manifest} paddock-manifest-gen)
  set(proto_lib)

  if(P_PROTOS)
    set(proto_lib ${target}_proto)
    paddock_proto_library(${proto_lib}
      ROOT ${CMAKE_CURRENT_SOURCE_DIR}
      PROTOS ${P_PROTOS}
      IMPORT_DIRS ${PROJECT_SOURCE_DIR}/proto
      DEPS paddock_proto)
    get_target_property(desc ${proto_lib} PADDOCK_DESCRIPTOR_SET)
    list(APPEND gen_args --descriptor-set=${desc})
    foreach(proto ${P_PROTOS})
      list(APPEND gen_args --proto=${proto})
    endforeach()
    list(APPEND gen_depends ${desc})
  endif()

  add_custom_command(
    OUTPUT ${manifest_cc}
    COMMAND paddock-manifest-gen ${gen_args}
    DEPENDS ${gen_depends}
    COMMENT "Embedding the manifest of plugin ${name}"
    VERBATIM)

  add_executable(${target} ${P_SOURCES} ${manifest_cc})
  target_compile_options(${target} PRIVATE ${PADDOCK_WARNINGS})
  target_link_libraries(${target} PRIVATE paddock_sdk ${proto_lib} ${P_LIBS})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME ${name}
    RUNTIME_OUTPUT_DIRECTORY ${P_OUTPUT_DIR})
  # Integration tests depend on every plugin, bundled or test-only.
  set_property(GLOBAL APPEND PROPERTY PADDOCK_PLUGIN_TARGETS ${target})
endfunction()
