# paddock_proto_library(<target> ROOT <dir> PROTOS <files...> [DEPS <targets...>])
#
# Generates C++ protobuf and gRPC code for PROTOS (paths relative to ROOT) into the build
# tree and builds it as one static library, so server and client link the same code. Also
# writes <target>.desc, a FileDescriptorSet with all imports, for embedding in manifests.
function(paddock_proto_library target)
  cmake_parse_arguments(P "" "ROOT" "PROTOS;DEPS;IMPORT_DIRS" ${ARGN})
  # Per target, so one proto can be compiled into several plugins in one directory.
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/${target}_gen)
  file(MAKE_DIRECTORY ${gen})
  set(srcs)
  set(abs_protos)
  set(import_args -I${P_ROOT} -I${Protobuf_INCLUDE_DIR})
  foreach(dir ${P_IMPORT_DIRS})
    list(APPEND import_args -I${dir})
  endforeach()
  foreach(proto ${P_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" base ${proto})
    list(APPEND srcs ${gen}/${base}.pb.cc ${gen}/${base}.grpc.pb.cc)
    list(APPEND abs_protos ${P_ROOT}/${proto})
  endforeach()
  set(desc ${CMAKE_CURRENT_BINARY_DIR}/${target}.desc)
  add_custom_command(
    OUTPUT ${srcs} ${desc}
    COMMAND protobuf::protoc ${import_args} --cpp_out=${gen} --grpc_out=${gen}
            --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>
            --include_imports --descriptor_set_out=${desc} ${P_PROTOS}
    WORKING_DIRECTORY ${P_ROOT}
    DEPENDS ${abs_protos} protobuf::protoc
    COMMENT "protoc ${target}"
    VERBATIM)
  add_library(${target} STATIC ${srcs})
  # BUILD_INTERFACE: an installed copy (plugin-sdk/install.cmake) names its own include dir.
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${gen}>)
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf gRPC::grpc++ ${P_DEPS})
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON
                                             PADDOCK_DESCRIPTOR_SET ${desc}
                                             PADDOCK_GENERATED_DIR ${gen})
  add_custom_target(${target}_desc DEPENDS ${desc})
endfunction()
