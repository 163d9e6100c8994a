# mk/deb.mk - the Debian package libapache2-mod-doanra (debian/).
#
#   make deb          build the binary package with dpkg-buildpackage from a
#                     copy of the tree in build/deb/src (dpkg-buildpackage
#                     writes beside the tree it builds, and the build leaves
#                     objects in it); the results land in build/deb/:
#                     libapache2-mod-doanra_VERSION_ARCH.deb, .changes,
#                     .buildinfo
#   make deb-lintian  lintian on the built package (debian/*.lintian-overrides)
#   make test-deb     as root: build, lintian, apt-get install ./...deb,
#                     a2enmod, configtest, one judged submission through
#                     Debian's apache2 config, purge, nothing left
#                     (tests/deb/run); skips itself when not root
#
# Build needs: debhelper, dpkg-dev, fakeroot and the Build-Depends of
# debian/control (apt-get build-dep . as root, or .ci/packages.d/test-deb.txt).

DEB_DIR     := $(BUILD)/deb
DEB_VERSION  = $(shell dpkg-parsechangelog -l debian/changelog -S Version)
DEB_ARCH     = $(shell dpkg-architecture -q DEB_HOST_ARCH)
DEB_FILE     = $(DEB_DIR)/libapache2-mod-doanra_$(DEB_VERSION)_$(DEB_ARCH).deb

.PHONY: deb deb-lintian test-deb

deb:
	@rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src/libapache2-mod-doanra
	@# the files git knows of (tracked, or new and not ignored), as they are
	@# now; without git, everything but build products
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	    git ls-files -z --cached --others --exclude-standard | \
	        xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
	        tar --null -T - -cf - | tar -xf - -C $(DEB_DIR)/src/libapache2-mod-doanra; \
	else \
	    tar --exclude=./build --exclude=./run --exclude=./.git -cf - . | \
	        tar -xf - -C $(DEB_DIR)/src/libapache2-mod-doanra; \
	fi
	cd $(DEB_DIR)/src/libapache2-mod-doanra && \
	    dpkg-buildpackage -us -uc -b >../build.log 2>&1 || { tail -n 60 ../build.log; exit 1; }
	@cp $(DEB_DIR)/src/*.deb $(DEB_DIR)/src/*.changes $(DEB_DIR)/src/*.buildinfo $(DEB_DIR)/
	@echo "built $(DEB_FILE) (log: $(DEB_DIR)/src/build.log)"

deb-lintian:
	lintian --info --display-info --pedantic $(DEB_DIR)/libapache2-mod-doanra_$(DEB_VERSION)_$(DEB_ARCH).changes

test-deb:
	@MAKE="$(MAKE)" tests/deb/run

TEST_SUITES += test-deb
