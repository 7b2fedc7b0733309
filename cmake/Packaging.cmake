# CPack settings for `cpack -G DEB` in the build directory: a Debian package
# of what `cmake --install` installs, under /usr. dpkg-shlibdeps (dpkg-dev)
# and file(1) compute its Depends from the shared libraries the binary
# links, so the package names the runtime libraries of the system it was
# built on.
# NOTE: the default address is a placeholder (the .invalid domain): set
# OCICAP_PACKAGE_MAINTAINER to a real one before publishing a package.
set(OCICAP_PACKAGE_MAINTAINER "ocicap maintainers <maintainers@ocicap.invalid>"
  CACHE STRING "Maintainer field of the Debian package: NAME <EMAIL>")

set(CPACK_PACKAGE_NAME ocicap)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${OCICAP_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "set Linux file capabilities in OCI container images")
# The lines of the long description, each at most 72 columns wide.
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
  "ocicap gives files inside a built container image Linux file"
  "capabilities (the security.capability extended attribute), as setcap"
  "does on a host, without root, a container runtime or a rebuild. It"
  "reads OCI image layouts, OCI archives and docker save archives, and"
  "adds one layer that carries each file with the attribute. It also"
  "prints the capabilities of an image's files, as getcap does, and what"
  "a container runtime must allow for them to take effect.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${OCICAP_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "skopeo, umoci")

include(CPack)
