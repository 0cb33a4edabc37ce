# pkg-lib.sh: what test/pkg/deb.sh and rpm.sh share (sourced after
# tap-lib.sh): skip inside a package build or without the tools, and build
# the packages with `make TARGET` into $scratch/pkgs, bailing out on a
# failure with the build log's tail.
#   pkg_need TOOL...     -- skip it all unless each TOOL is on PATH
#   pkg_build TARGET     -- $scratch, $version, the packages in $scratch/pkgs
pkg_skip_all() { echo "1..0 # SKIP $1"; exit 0; }
[ -z "${HK_IN_PKG_BUILD:-}" ] || pkg_skip_all "inside a package build (this test builds that package)"

pkg_need() {
	for t in "$@"; do
		command -v "$t" >/dev/null || pkg_skip_all "no $t (tools/install-deps.sh installs it)"
	done
}

pkg_build() {
	make_scratch
	version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
	make -C "$top_builddir" "$1" HK_PKG_DIR="$scratch/pkgs" >"$scratch/build.log" 2>&1
	pkg_st=$?
	ok $pkg_st "make $1 built the packages"
	if [ $pkg_st -ne 0 ]; then
		tail -20 "$scratch/build.log" | sed 's/^/# /'
		done_testing
	fi
}
