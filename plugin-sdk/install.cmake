# Install rules for the plugin SDK (component "sdk"), so that a plugin builds out of tree:
#
#   cmake --install build --component sdk --prefix /opt/paddock-sdk
#   # in the plugin's CMakeLists.txt:
#   find_package(PaddockSDK REQUIRED)          # -DCMAKE_PREFIX_PATH=/opt/paddock-sdk
#   paddock_add_plugin(greeter SOURCES greeter.cc PROTOS greeter.proto)
#
# Layout under the prefix (everything in its own "paddock-sdk" directory, so the generated
# grpc/health/v1 headers never shadow a system gRPC's):
#   include/paddock-sdk/paddock/*.h             the public API (plugin-sdk/include/paddock)
#   include/paddock-sdk/{paddock/v1,grpc/health/v1}/*.pb.h   generated protocol code
#   lib/paddock-sdk/libpaddock_sdk.a, libpaddock_proto.a
#   libexec/paddock-sdk/paddock-manifest-gen   the manifest-embedding build tool
#   share/paddock-sdk/proto/...                 the .proto files plugin protos may import
#   lib/cmake/PaddockSDK/                       PaddockSDKConfig.cmake (+ version, targets,
#                                               PaddockProto.cmake, PaddockPlugin.cmake)
include(CMakePackageConfigHelpers)

set(PADDOCK_SDK_INCLUDE_DIR include/paddock-sdk)
set(PADDOCK_SDK_LIB_DIR lib/paddock-sdk)
set(PADDOCK_SDK_TOOL_DIR libexec/paddock-sdk)
set(PADDOCK_SDK_PROTO_INSTALL_DIR share/paddock-sdk/proto)
set(PADDOCK_SDK_CMAKE_DIR lib/cmake/PaddockSDK)

install(TARGETS paddock_sdk paddock_proto paddock-manifest-gen
  EXPORT PaddockSDKTargets
  ARCHIVE DESTINATION ${PADDOCK_SDK_LIB_DIR} COMPONENT sdk
  RUNTIME DESTINATION ${PADDOCK_SDK_TOOL_DIR} COMPONENT sdk
  INCLUDES DESTINATION ${PADDOCK_SDK_INCLUDE_DIR})

install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/include/paddock
  DESTINATION ${PADDOCK_SDK_INCLUDE_DIR} COMPONENT sdk
  FILES_MATCHING PATTERN "*.h")

get_target_property(paddock_proto_gen_dir paddock_proto PADDOCK_GENERATED_DIR)
install(DIRECTORY ${paddock_proto_gen_dir}/
  DESTINATION ${PADDOCK_SDK_INCLUDE_DIR} COMPONENT sdk
  FILES_MATCHING PATTERN "*.h")

install(DIRECTORY ${PROJECT_SOURCE_DIR}/proto/
  DESTINATION ${PADDOCK_SDK_PROTO_INSTALL_DIR} COMPONENT sdk
  FILES_MATCHING PATTERN "*.proto")

install(EXPORT PaddockSDKTargets
  NAMESPACE PaddockSDK::
  DESTINATION ${PADDOCK_SDK_CMAKE_DIR} COMPONENT sdk)

configure_package_config_file(
  ${CMAKE_CURRENT_SOURCE_DIR}/PaddockSDKConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/PaddockSDKConfig.cmake
  INSTALL_DESTINATION ${PADDOCK_SDK_CMAKE_DIR}
  PATH_VARS PADDOCK_SDK_PROTO_INSTALL_DIR)
# The protocol a plugin speaks is checked by the host (manifest sdk_protocol); the package
# version is the SDK's release, compatible within one major version.
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/PaddockSDKConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
    ${CMAKE_CURRENT_BINARY_DIR}/PaddockSDKConfig.cmake
    ${CMAKE_CURRENT_BINARY_DIR}/PaddockSDKConfigVersion.cmake
    ${PROJECT_SOURCE_DIR}/cmake/PaddockProto.cmake
    ${PROJECT_SOURCE_DIR}/cmake/PaddockPlugin.cmake
  DESTINATION ${PADDOCK_SDK_CMAKE_DIR} COMPONENT sdk)
