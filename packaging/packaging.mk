# packaging/packaging.mk — included by the top-level Makefile.
#
#   make deb-deps   install what `make deb` needs (Debian/Ubuntu, as root)
#   make deb        build/libpam-nsjail_<version>_<arch>.deb (dpkg-buildpackage -us -uc -b)
#   make deb-lint   run lintian on that .deb
#   make rpm-deps   install rpmbuild (on Debian; on Fedora/RHEL: dnf install rpm-build gcc make
#                   pam-devel libconfuse-devel systemd-devel)
#   make rpm        build/rpm/RPMS/<arch>/pam_nsjail-<version>-1.<arch>.rpm (rpmbuild -bb)
#
# Both build from a copy of the source tree (tracked and untracked-but-not-ignored files when
# this is a git work tree, else everything but build/), so the work tree is left as it was
# apart from build/. Set RPMBUILD_FLAGS= to let rpmbuild check BuildRequires (on an RPM
# distribution); the default --nodeps lets it run on a Debian machine.

DEB_BUILD_DEPS := build-essential dpkg-dev fakeroot debhelper libpam0g-dev libconfuse-dev \
                  libsystemd-dev
DEB_TOOLS      := lintian
RPM_BUILD_DEPS := rpm
RPMBUILD_FLAGS ?= --nodeps
# Debian's rpm runs brp-compress (which needs bash's read -d) with /bin/sh = dash: the man pages
# would stay uncompressed. Run it with bash there.
ifneq ($(wildcard /usr/lib/rpm/brp-compress),)
ifneq ($(shell readlink -f /bin/sh),/usr/bin/bash)
RPMBUILD_FLAGS += --define '__brp_compress /bin/bash /usr/lib/rpm/brp-compress %{_prefix}'
endif
endif
# Debian's rpm keeps its database in ~/.rpmdb, and rpmbuild creates it there: keep it under
# build/ instead (an RPM distribution's own database is left to its rpm).
ifneq ($(wildcard /etc/debian_version),)
RPMBUILD_FLAGS += --define '_dbpath $(abspath $(RPM_TOP))/rpmdb'
endif
DEB_SRCNAME    := pam-nsjail
PKG_TOP        := $(CURDIR)
DEB_WORK       := $(B)/deb
RPM_TOP        := $(B)/rpm

# packaging-tree DIR: copy the source tree (without build/ and .git) into DIR.
define packaging-tree
	rm -rf $(1) && mkdir -p $(1)
	cd $(PKG_TOP) && \
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git ls-files -z --cached --others --exclude-standard; \
	else \
	  find . -path ./$(B) -prune -o -path ./.git -prune -o \( -type f -o -type l \) -printf '%P\0'; \
	fi | grep -zv '^$(B)/' | \
	  tar --null --ignore-failed-read -T - -cf - | tar -xf - -C $(1)
endef

.PHONY: deb deb-deps deb-lint rpm rpm-deps

deb-deps:
	apt-get install -y --no-install-recommends $(DEB_BUILD_DEPS) $(DEB_TOOLS)

deb:
	@command -v dpkg-buildpackage >/dev/null || { echo "make deb: dpkg-buildpackage missing; run 'make deb-deps' as root" >&2; exit 1; }
	$(eval DEB_VERSION := $(shell dpkg-parsechangelog -l packaging/debian/changelog -S Version))
	$(eval DEB_UPSTREAM := $(shell echo '$(DEB_VERSION)' | sed 's/-[^-]*$$//'))
	$(call packaging-tree,$(DEB_WORK)/$(DEB_SRCNAME)-$(DEB_UPSTREAM))
	rm -rf $(DEB_WORK)/$(DEB_SRCNAME)-$(DEB_UPSTREAM)/debian
	cp -a packaging/debian $(DEB_WORK)/$(DEB_SRCNAME)-$(DEB_UPSTREAM)/debian
	cd $(DEB_WORK) && tar --exclude=./$(DEB_SRCNAME)-$(DEB_UPSTREAM)/debian \
	  -czf $(DEB_SRCNAME)_$(DEB_UPSTREAM).orig.tar.gz $(DEB_SRCNAME)-$(DEB_UPSTREAM)
	cd $(DEB_WORK)/$(DEB_SRCNAME)-$(DEB_UPSTREAM) && dpkg-buildpackage -us -uc -b
	rm -f $(B)/*.deb
	cp $(DEB_WORK)/*.deb $(B)/
	@ls -1 $(B)/*.deb

# lintian leaves a temporary file (mldbm-elf-*) behind in $TMPDIR: keep it under build/.
deb-lint: deb
	mkdir -p $(B)/lintian-tmp
	TMPDIR=$(abspath $(B))/lintian-tmp lintian --fail-on error $(B)/libpam-nsjail_*.deb

rpm-deps:
	apt-get install -y --no-install-recommends $(RPM_BUILD_DEPS)

rpm:
	@command -v rpmbuild >/dev/null || { echo "make rpm: rpmbuild missing; run 'make rpm-deps' as root" >&2; exit 1; }
	$(eval RPM_VERSION := $(shell sed -n 's/^Version:[[:space:]]*//p' packaging/rpm/pam_nsjail.spec))
	rm -rf $(RPM_TOP) && mkdir -p $(RPM_TOP)/SOURCES $(RPM_TOP)/SPECS
	$(call packaging-tree,$(RPM_TOP)/tree/pam_nsjail-$(RPM_VERSION))
	tar -C $(RPM_TOP)/tree -czf $(RPM_TOP)/SOURCES/pam_nsjail-$(RPM_VERSION).tar.gz pam_nsjail-$(RPM_VERSION)
	rm -rf $(RPM_TOP)/tree
	cp packaging/rpm/pam_nsjail.spec $(RPM_TOP)/SPECS/
	rpmbuild -bb $(RPMBUILD_FLAGS) --define '_topdir $(abspath $(RPM_TOP))' \
	  $(RPM_TOP)/SPECS/pam_nsjail.spec
	@find $(RPM_TOP)/RPMS -name '*.rpm'
