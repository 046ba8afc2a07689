# SPDX-License-Identifier: GPL-2.0
#
# make                 build vdrep.ko for the running kernel (or KDIR=...) and vdrepctl
# make module          only the module;  make vdrepctl   only the utility
# make install         install both, the udev rules and the man page (DESTDIR, PREFIX)
# make check-generated fail if the generated netlink files are stale
# make dkms-source     copy the module sources to /usr/src/vdrep-VERSION for dkms add
# make check           run the selftests on every kernel of the matrix in QEMU

VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
KDIR    ?= /lib/modules/$(shell uname -r)/build
# The release the module is built for (its vermagic), e.g. 6.1.0-56-amd64.
KREL     = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h)
PREFIX  ?= /usr
DESTDIR ?=
UDEVDIR ?= /lib/udev/rules.d
MANDIR  ?= $(PREFIX)/share/man

all: module vdrepctl

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

vdrepctl:
	$(MAKE) -C userspace

# Into $(DESTDIR)/lib/modules/KREL (extra/ or updates/, as that kernel's kbuild
# does it). Kbuild skips depmod where the build tree has no System.map
# (Debian's headers), so run it here for a live install; a package built with
# DESTDIR runs depmod when it is installed.
module_install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) modules_install
	$(if $(DESTDIR),,depmod -a $(KREL))

install: module_install vdrepctl
	$(MAKE) -C userspace install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
	install -D -m 0644 userspace/udev/60-vdrep.rules $(DESTDIR)$(UDEVDIR)/60-vdrep.rules
	install -D -m 0644 Documentation/vdrepctl.8 $(DESTDIR)$(MANDIR)/man8/vdrepctl.8

# The module's sources as DKMS wants them: $(DESTDIR)/usr/src/vdrep-VERSION
dkms-source:
	install -d $(DESTDIR)/usr/src/vdrep-$(VERSION)
	cp -r Kbuild Makefile dkms.conf kernel uapi $(DESTDIR)/usr/src/vdrep-$(VERSION)/

module_clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

check-generated:
	scripts/ynl-regen.sh --check

check:
	tools/testing/vm/run-all.sh

clean: module_clean
	$(MAKE) -C userspace clean

.PHONY: all module vdrepctl module_install install dkms-source module_clean check-generated check clean
