# Install rules for the files beside the binary and the man pages, and the
# CPack configuration of the Debian package (`cpack -G DEB` in a build dir;
# tests/package/test_deb.sh builds and installs it).
#
# The package installs under /usr/local, the layout of `cmake --install`
# with its default prefix: /usr/bin/sync is coreutils' sync(1) (shipped as
# /bin/sync, the same file on a merged-/usr Debian), so a package file there
# would overwrite it without dpkg seeing a conflict, and removing the package
# would delete it. /usr/local/bin comes before /usr/bin in Debian's PATH for
# users, root and systemd services, and man-db and bash-completion search
# /usr/local/share too; cron's PATH is /usr/bin:/bin (see the cron example).
#
# The package is named `sync`: Debian has no package of that name (only the
# file above, in coreutils). Override the fields with -D at configure time.

install(FILES ${PROJECT_SOURCE_DIR}/packaging/bash-completion/sync
        DESTINATION share/bash-completion/completions)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/systemd/sync@.service
              ${PROJECT_SOURCE_DIR}/packaging/cron/sync-check.cron
        DESTINATION share/doc/sync/examples)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/doc/sync)

set(SYNC_DEB_MAINTAINER "sync maintainers <maintainers@users.noreply.r-seed-b89f6bf8.example>"
    CACHE STRING "Maintainer field of the Debian package")
set(SYNC_DEB_HOMEPAGE "" CACHE STRING "Homepage field of the Debian package (left out when empty)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sync)
set(CPACK_PACKAGE_VENDOR "sync maintainers")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${SYNC_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "replicate MySQL/MariaDB into PostgreSQL, Hologres, StarRocks, MaxCompute")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr/local)
set(CPACK_STRIP_FILES ON)  # the RelWithDebInfo binary's debug info stays in the build dir

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # sync_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SYNC_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
if(SYNC_DEB_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${SYNC_DEB_HOMEPAGE}")
endif()
# The Description's extended lines start with a space (deb-control(5)).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION_SUMMARY}
 sync copies whole MySQL or MariaDB databases into an analytical store
 (Hologres, PostgreSQL, StarRocks, MaxCompute), then applies every change
 from the MySQL binlog: schema migration, full initialization and
 real-time synchronization, one task at a time, scriptable (stable exit
 codes, JSON output).
 .
 Installs /usr/local/bin/sync (run without arguments it flushes file
 systems like coreutils sync(1), whose /usr/bin/sync it leaves alone), the
 sync-*(1) man pages, bash completion, and examples of a systemd unit and
 a cron job in /usr/local/share/doc/sync/examples.")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from dpkg-shlibdeps (dpkg-dev)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "bash-completion, man-db")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
