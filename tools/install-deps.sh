#!/bin/sh
# Install what building, testing and benchmarking hakmem needs on
# Debian 12, as root, when any of it is missing.  Idempotent and quiet
# when everything is present.  qemu-system-x86, busybox-static and
# linux-image-cloud-amd64 are for test/vm (real kernels under TCG);
# debhelper, dpkg-dev and rpm for make deb and make rpm (test/pkg),
# lintian to check the .deb by hand (README.md, Packages).
set -e
pkgs="autoconf automake libtool pkg-config make gcc g++ libcap-ng-dev
      python3 perl git procps util-linux libcap-ng-utils
      libmimalloc2.0 libjemalloc2 libtcmalloc-minimal4 gnuplot-nox valgrind
      clang libclang-rt-14-dev
      qemu-system-x86 busybox-static linux-image-cloud-amd64 cpio
      debhelper dpkg-dev rpm lintian"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$missing (run as root to install)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
