# `cpack -G DEB` (run in the build directory, after building): the Debian package
# "paddock" from the install component "Runtime" (cmake/PaddockInstall.cmake), for the
# FHS: /usr/bin, /usr/lib/paddock/plugins, /lib/systemd/system, /etc/paddock.
#
# Other components (the SDK's) are not in this package; to ship one, append it to
# CPACK_COMPONENTS_ALL before this file is included and name its package
# (CPACK_DEBIAN_<COMPONENT>_PACKAGE_NAME), e.g. "paddock-dev".
set(CPACK_PACKAGE_NAME paddock)
set(CPACK_PACKAGE_VENDOR "Paddock")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "out-of-process plugin host for Linux")
set(CPACK_PACKAGE_DESCRIPTION
    "paddockd runs each capability as its own process, fenced in by the kernel\n(namespaces, seccomp, cgroups, no capabilities, its own uid) and talks to it only\nover mutually authenticated TLS gRPC; SIGUSR2 hot-swaps plugin binaries with no failed\ncall. paddockctl steers it over an owner-only control socket. Bundled plugins: hello,\nlog-aggregator, http-sampler, gcounter, scheduler.")
set(CPACK_PACKAGE_CONTACT "Paddock maintainers <paddock@localhost>")

# Install into a staging DESTDIR with the real prefix, so the absolute paths (/etc,
# /lib/systemd/system) land inside the package and the generated unit and config name
# /usr/bin/paddockd and /usr/lib/paddock/plugins.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES OFF)
# CPack and `ninja install` install what is built; they do not first build every target
# (tests included) themselves.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)  # Plugins stay byte-identical to the build (signatures).

# One package from the components a machine needs: Runtime (cmake/PaddockInstall.cmake)
# and what certs/ installs without a component (the bundled plugins' .sig files and the
# public key the default config trusts). The SDK's component "sdk" is not in it.
set(CPACK_DEB_COMPONENT_INSTALL ON)
list(APPEND CPACK_COMPONENTS_ALL Runtime Unspecified)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_DEBIAN_PACKAGE_NAME paddock)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME paddock)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # paddock_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from the binaries themselves (dpkg-shlibdeps, package dpkg-dev).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "bash-completion")

# The config is a conffile (an operator's edits survive upgrades; purge removes it);
# maintainer scripts reload systemd and stop the service on removal.
set(_paddock_deb ${CMAKE_BINARY_DIR}/packaging/debian)
file(MAKE_DIRECTORY ${_paddock_deb})
file(WRITE ${_paddock_deb}/conffiles "${PADDOCK_INSTALL_CONFDIR}/paddockd.json\n")
foreach(_script postinst prerm postrm)
  configure_file(${PROJECT_SOURCE_DIR}/packaging/debian/${_script} ${_paddock_deb}/${_script}
                 COPYONLY)
endforeach()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_paddock_deb}/conffiles ${_paddock_deb}/postinst ${_paddock_deb}/prerm
    ${_paddock_deb}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
