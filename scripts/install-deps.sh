#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and the quick start need.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libcli11-dev libyaml-cpp-dev libfmt-dev nlohmann-json3-dev doctest-dev
  libmariadb-dev libpq-dev libcurl4-openssl-dev libssl-dev libzstd-dev zlib1g-dev libisal-dev
  libpcre2-dev                    # mapping rules' regular expressions (lib/core/name_pattern.hpp)
  mariadb-server mariadb-client postgresql postgresql-client
  postgresql-server-dev-15        # headers for the tests' Hologres fixture module (tests/harness/hologres)
  clang libclang-rt-14-dev util-linux python3
  percona-toolkit mariadb-test
  python3-prometheus-client       # e2e_metrics_test reads `sync metrics` with Prometheus' own parser
  openssl                         # tests/harness/tls_certs: the TLS tests' CA and certificates
  dpkg-dev fakeroot man-db bash-completion   # tests/package/test_deb.sh: cpack -G DEB (dpkg-shlibdeps), dpkg -i, man, completion
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
# Package installs must not start the system's own servers: the tests start theirs.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
