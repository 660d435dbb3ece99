# cmake/DialPackaging.cmake: Debian packages through CPack (the `deb` workflow preset;
# scripts/deb-test.sh installs and tests them). Included from CMakeLists.txt when DIAL_INSTALL.
#   libdial0.1  libdial.so.0.1.0 (shared builds only: BUILD_SHARED_LIBS=ON)
#   libdial-dev headers, libdial.a (or the libdial.so link), dialConfig.cmake, dial.pc
#   dial        the dial CLI (when DIAL_BUILD_TOOLS)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dial)
set(CPACK_PACKAGE_VENDOR dial)
set(CPACK_PACKAGE_CONTACT "dial maintainers <dial@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS OFF)

# The runtime library: its name carries the SONAME's version, as Debian's policy asks.
set(dial_runtime_package libdial${DIAL_SOVERSION})
set(CPACK_DEBIAN_LIBDIAL_PACKAGE_NAME ${dial_runtime_package})
set(CPACK_DEBIAN_LIBDIAL_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_LIBDIAL_DESCRIPTION "dial: socket connect with exact, closed error sets (library)")

# The development package. A static libdial.a needs, at its user's link, what it was built
# with: those -dev packages come along (dial.pc's Requires.private names their .pc files).
set(CPACK_DEBIAN_LIBDIAL-DEV_PACKAGE_NAME libdial-dev)
set(CPACK_DEBIAN_LIBDIAL-DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_LIBDIAL-DEV_DESCRIPTION "dial: socket connect with exact, closed error sets (development files)")
set(dial_dev_depends "g++ (>= 4:12) | c++-compiler")
if(DIAL_SHARED)
  string(APPEND dial_dev_depends ", ${dial_runtime_package} (= ${PROJECT_VERSION})")
else()
  if(DIAL_HAS_CARES)
    string(APPEND dial_dev_depends ", libc-ares-dev")
  endif()
  if(DIAL_HAS_IO_URING)
    string(APPEND dial_dev_depends ", liburing-dev")
  endif()
  string(APPEND dial_dev_depends ", pkg-config")
endif()
set(CPACK_DEBIAN_LIBDIAL-DEV_PACKAGE_DEPENDS "${dial_dev_depends}")

# The CLI: dpkg-shlibdeps finds what it loads (libfmt9, libc-ares2, liburing2, libstdc++6, ...);
# a shared build adds the library package of this same version.
set(CPACK_DEBIAN_DIAL_PACKAGE_NAME dial)
set(CPACK_DEBIAN_DIAL_PACKAGE_SECTION net)
set(CPACK_DEBIAN_DIAL_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_DIAL_DESCRIPTION "dial: probe and scan TCP and Unix endpoints with exact error names")
if(DIAL_SHARED)
  set(CPACK_DEBIAN_DIAL_PACKAGE_DEPENDS "${dial_runtime_package} (= ${PROJECT_VERSION})")
  # The library is in this same set of packages, not yet installed: let dpkg-shlibdeps find it.
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR})
endif()

set(CPACK_COMPONENTS_ALL libdial-dev)
if(DIAL_SHARED)
  list(APPEND CPACK_COMPONENTS_ALL libdial)
endif()
if(DIAL_BUILD_TOOLS)
  list(APPEND CPACK_COMPONENTS_ALL dial)
endif()
include(CPack)
