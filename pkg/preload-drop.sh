# preload-drop.sh: the shell function the packages' removal scripts share
# (Debian's prerm and postrm, the RPM's %preun and %postun; debian/rules
# and configure paste it in, so it is written once).  The packages never
# add hakmem to /etc/ld.so.preload (the operator does, with `hakmem
# install --system`), but removing the library while that file still
# names it would leave every new process with a preload that ld.so
# cannot find, so before the library goes its entries are taken out.
#
# hk_preload_drop all|missing: take out of /etc/ld.so.preload each entry
# that names a libhakmem.so* in $libdir (the caller sets it), the directory
# this package ships the library in, also under another name of it such
# as /lib/x86_64-linux-gnu beside /usr/lib/x86_64-linux-gnu on a merged
# /usr (test -ef).  "missing": only entries whose file no longer exists.
# ld.so splits the file at blanks and colons; a line with other entries
# keeps them, a line left empty goes, other lines are copied as they are.
# The old file stays as /etc/ld.so.preload.hakmem-bak and the new one
# replaces it by rename(2), so a process starting meanwhile reads one or
# the other.  Every path is under $DPKG_ROOT, which dpkg sets to the
# root it installs into when it runs the scripts there without chroot
# (dpkg --root --force-script-chrootless, as test/pkg/deb.sh does) and
# leaves empty otherwise (rpm --root chroots).  No % in here: the RPM
# spec would expand it.
hk_preload_drop() {
	hk_root=${DPKG_ROOT:-}
	hk_f=$hk_root/etc/ld.so.preload
	[ -f "$hk_f" ] || return 0
	hk_tmp=$(mktemp "$hk_f.XXXXXX") || return 1
	hk_dropped=0
	hk_ifs=$IFS
	set -f
	while IFS= read -r hk_line || [ -n "$hk_line" ]; do
		hk_kept= hk_ours=0
		IFS=' 	:'
		for hk_e in $hk_line; do
			case $hk_e in
			*/libhakmem.so*)
				if [ "$hk_root$(dirname "$hk_e")" -ef "$hk_root$libdir" ] &&
				   { [ "$1" = all ] || ! [ -e "$hk_root$hk_e" ]; }; then
					if [ "$1" = all ]; then hk_why="is being removed"; else hk_why="no longer exists"; fi
					echo "hakmem: warning: /etc/ld.so.preload names $hk_e, which $hk_why: taking it out (the old file is /etc/ld.so.preload.hakmem-bak)" >&2
					hk_ours=1
					continue
				fi ;;
			esac
			hk_kept="$hk_kept${hk_kept:+ }$hk_e"
		done
		IFS=$hk_ifs
		if [ "$hk_ours" = 0 ]; then
			printf '%s\n' "$hk_line"
		else
			hk_dropped=1
			[ -z "$hk_kept" ] || printf '%s\n' "$hk_kept"
		fi
	done <"$hk_f" >"$hk_tmp"
	IFS=$hk_ifs
	set +f
	if [ "$hk_dropped" = 0 ]; then
		rm -f "$hk_tmp"
		return 0
	fi
	cp -p "$hk_f" "$hk_f.hakmem-bak" &&
	chmod --reference="$hk_f" "$hk_tmp" &&
	chown --reference="$hk_f" "$hk_tmp" &&
	mv -f "$hk_tmp" "$hk_f" || { rm -f "$hk_tmp"; return 1; }
	if command -v restorecon >/dev/null 2>&1; then
		restorecon "$hk_f" || :
	fi
}
