# What `cmake --install` puts on a machine that runs Paddock, as the install component
# "Runtime" (the .deb "paddock", see cmake/PaddockPackage.cmake):
#
#   <prefix>/bin/paddockd, paddockctl
#   <prefix>/lib/paddock/plugins/<name>        every bundled plugin, bytes as built
#   /etc/paddock/paddockd.json                 the default config, with absolute paths
#   /lib/systemd/system/paddockd.service       packaging/systemd/paddockd.service.in
#   <prefix>/share/bash-completion/completions/paddockctl
#   <prefix>/share/man/man1/paddockctl.1, man8/paddockd.8
#   <prefix>/share/doc/paddock/README.md
#
# The plugin directory is <prefix>/lib/paddock/plugins, which is also where the embedded
# default config looks ("$ORIGIN/../lib/paddock/plugins" next to <prefix>/bin/paddockd),
# so an installed paddockd finds its plugins with or without --config. The config and unit
# directories are absolute (FHS, what systemd and operators look at); stage an install
# with DESTDIR=..., not with a different prefix. The SDK (headers, library, CMake package)
# installs separately, as its own component.
include(GNUInstallDirs)

set(PADDOCK_INSTALL_PLUGINDIR "lib/paddock/plugins" CACHE STRING
    "Where bundled plugins are installed, relative to the prefix")
set(PADDOCK_INSTALL_CONFDIR "/etc/paddock" CACHE PATH
    "Where paddockd.json is installed (absolute)")
set(PADDOCK_INSTALL_SYSTEMDUNITDIR "/lib/systemd/system" CACHE PATH
    "Where paddockd.service is installed (absolute)")

install(TARGETS paddockd paddockctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        COMPONENT Runtime)

# Bundled plugins: every paddock_add_plugin() target built into the bundled plugin
# directory (test plugins build elsewhere). Installed byte for byte (no strip, no RPATH
# edit: they have none), so a signature made over the built file stays valid.
get_property(_paddock_plugin_targets GLOBAL PROPERTY PADDOCK_PLUGIN_TARGETS)
set(PADDOCK_BUNDLED_PLUGINS)
foreach(_t IN LISTS _paddock_plugin_targets)
  get_target_property(_dir ${_t} RUNTIME_OUTPUT_DIRECTORY)
  if(_dir STREQUAL PADDOCK_PLUGIN_OUTPUT_DIR)
    get_target_property(_name ${_t} OUTPUT_NAME)
    list(APPEND PADDOCK_BUNDLED_PLUGINS ${_name})
    install(PROGRAMS $<TARGET_FILE:${_t}> DESTINATION ${PADDOCK_INSTALL_PLUGINDIR}
            COMPONENT Runtime)
  endif()
endforeach()

# The unit file and the config name the installed paths, which are known only at install
# time (CPack installs with its own prefix): packaging/install_files.cmake writes them then.
install(CODE "
  set(PADDOCK_SOURCE_DIR \"${PROJECT_SOURCE_DIR}\")
  set(PADDOCK_STAGING_DIR \"${CMAKE_BINARY_DIR}/packaging\")
  set(PADDOCK_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
  set(PADDOCK_PLUGINDIR \"${PADDOCK_INSTALL_PLUGINDIR}\")
  set(PADDOCK_CONFDIR \"${PADDOCK_INSTALL_CONFDIR}\")
  set(PADDOCK_SYSTEMDUNITDIR \"${PADDOCK_INSTALL_SYSTEMDUNITDIR}\")
  include(\"${PROJECT_SOURCE_DIR}/packaging/install_files.cmake\")
" COMPONENT Runtime)

install(FILES ${PROJECT_SOURCE_DIR}/packaging/bash-completion/paddockctl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT Runtime)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/man/paddockctl.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT Runtime)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/man/paddockd.8
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT Runtime)
install(FILES ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT Runtime)
