# Runs at install time (from cmake/PaddockInstall.cmake): writes paddockd.service and
# paddockd.json for the prefix being installed to, then installs them (DESTDIR applies).
# Inputs: PADDOCK_SOURCE_DIR, PADDOCK_STAGING_DIR, PADDOCK_BINDIR, PADDOCK_PLUGINDIR
# (relative to CMAKE_INSTALL_PREFIX), PADDOCK_CONFDIR, PADDOCK_SYSTEMDUNITDIR (absolute).
cmake_policy(PUSH)
cmake_policy(VERSION 3.25)  # Install scripts run with old policies; "@X@" must stay literal.
set(_prefix "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/$" "" _prefix "${_prefix}")
set(_config_file "${PADDOCK_CONFDIR}/paddockd.json")

file(READ "${PADDOCK_SOURCE_DIR}/packaging/systemd/paddockd.service.in" _unit)
string(REPLACE "@PADDOCK_BINDIR@" "${_prefix}/${PADDOCK_BINDIR}" _unit "${_unit}")
string(REPLACE "@PADDOCK_CONFIG_FILE@" "${_config_file}" _unit "${_unit}")
if(_unit MATCHES "@[A-Z_]+@")
  message(FATAL_ERROR "paddockd.service.in: unreplaced ${CMAKE_MATCH_0}")
endif()
file(WRITE "${PADDOCK_STAGING_DIR}/paddockd.service" "${_unit}")

# The default config, the same as the one compiled into paddockd, with the plugin
# directory written out instead of "$ORIGIN/..." (what an operator reads and edits).
file(READ "${PADDOCK_SOURCE_DIR}/host/default_config.json" _config)
string(REPLACE "\"$ORIGIN/../lib/paddock/plugins\"" "\"${_prefix}/${PADDOCK_PLUGINDIR}\""
       _config "${_config}")
if(NOT _config MATCHES "\"${_prefix}/${PADDOCK_PLUGINDIR}\"")
  message(FATAL_ERROR "host/default_config.json: plugin_dirs is no longer "
                      "[\"$ORIGIN/../lib/paddock/plugins\"]; update packaging/install_files.cmake")
endif()
# Likewise the trusted signing keys, if the config names them relative to paddockd.
string(REPLACE "\"$ORIGIN/../share/paddock/keys\"" "\"${_prefix}/share/paddock/keys\""
       _config "${_config}")
file(WRITE "${PADDOCK_STAGING_DIR}/paddockd.json" "${_config}")

file(INSTALL DESTINATION "${PADDOCK_SYSTEMDUNITDIR}" TYPE FILE
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
     FILES "${PADDOCK_STAGING_DIR}/paddockd.service")
# The config may name sockets and grants: readable by root only.
file(INSTALL DESTINATION "${PADDOCK_CONFDIR}" TYPE FILE
     PERMISSIONS OWNER_READ OWNER_WRITE
     FILES "${PADDOCK_STAGING_DIR}/paddockd.json")
cmake_policy(POP)
