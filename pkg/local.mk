# pkg/: the packages.  `make deb` builds hakmem and libhakmem-dev with
# dpkg-buildpackage (debian/), `make rpm` hakmem and hakmem-devel with
# rpmbuild (hakmem.spec, made by configure); both from a copy of the
# distribution (make distdir) in HK_PKG_DIR, so the tree stays clean, and
# both leave the packages in HK_PKG_DIR.  Neither runs the suite: it runs
# on its own (test/pkg/ builds the packages and checks them).
HK_PKG_DIR = $(abs_top_builddir)/packages
HK_PKG_SRC = $(PACKAGE)-$(VERSION)
EXTRA_DIST += pkg/preload-drop.sh hakmem.spec.in hakmem.spec \
	debian/changelog debian/control debian/copyright debian/rules \
	debian/source/format debian/not-installed \
	debian/hakmem.install debian/hakmem.prerm debian/hakmem.postrm \
	debian/hakmem.lintian-overrides \
	debian/libhakmem-dev.install

deb:
	rm -rf '$(HK_PKG_DIR)/deb' && mkdir -p '$(HK_PKG_DIR)/deb'
	$(MAKE) $(AM_MAKEFLAGS) distdir distdir='$(HK_PKG_DIR)/deb/$(HK_PKG_SRC)'
	cd '$(HK_PKG_DIR)/deb/$(HK_PKG_SRC)' && \
		DEB_BUILD_OPTIONS="nocheck $(DEB_BUILD_OPTIONS)" dpkg-buildpackage -us -uc -b -jauto
	mv '$(HK_PKG_DIR)'/deb/*.deb '$(HK_PKG_DIR)/'
	rm -rf '$(HK_PKG_DIR)/deb'

# rpmbuild wants the tarball `make dist` makes (hakmem.spec's Source0);
# BuildRequires name RHEL's packages, hence --nodeps on Debian.
rpm: hakmem.spec
	rm -rf '$(HK_PKG_DIR)/rpmbuild' && mkdir -p '$(HK_PKG_DIR)/rpmbuild/SOURCES'
	$(MAKE) $(AM_MAKEFLAGS) distdir distdir='$(HK_PKG_DIR)/rpmbuild/SOURCES/$(HK_PKG_SRC)'
	cd '$(HK_PKG_DIR)/rpmbuild/SOURCES' && tar -cJf $(HK_PKG_SRC).tar.xz $(HK_PKG_SRC)
	rpmbuild --define '_topdir $(HK_PKG_DIR)/rpmbuild' --nodeps --nocheck \
		-bb hakmem.spec
	mv '$(HK_PKG_DIR)'/rpmbuild/RPMS/*/*.rpm '$(HK_PKG_DIR)/'
	rm -rf '$(HK_PKG_DIR)/rpmbuild'

clean-local: clean-pkg
clean-pkg:
	rm -rf '$(HK_PKG_DIR)'
.PHONY: deb rpm clean-pkg

# The packages built, installed into a throwaway root and checked.
TESTS += test/pkg/deb.sh test/pkg/rpm.sh
EXTRA_DIST += test/pkg/deb.sh test/pkg/rpm.sh test/pkg/pkg-lib.sh
