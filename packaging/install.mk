# make install and make uninstall: the binary, the man pages, bash and
# zsh completion and the documents, under $(DESTDIR)$(PREFIX). Included
# by the Makefile, which sets PREFIX, BINDIR, DESTDIR and BUILD.

DATAROOTDIR ?= $(PREFIX)/share
MANDIR ?= $(DATAROOTDIR)/man
MAN1DIR ?= $(MANDIR)/man1
DOCDIR ?= $(DATAROOTDIR)/doc/image-preflight
# Where bash-completion loads completions on demand.
BASHCOMPDIR ?= $(DATAROOTDIR)/bash-completion/completions
# On zsh's default fpath for a zsh under the same prefix; Debian's
# package uses /usr/share/zsh/vendor-completions.
ZSHCOMPDIR ?= $(DATAROOTDIR)/zsh/site-functions
INSTALL ?= install

PKG_MANPAGES := $(wildcard packaging/man/*.1)
PKG_DOCS := README.md packaging/CHANGELOG.md

.PHONY: install uninstall deb rpm

install: $(BUILD)/image-preflight
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR) \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
		$(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 0755 $(BUILD)/image-preflight $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 $(PKG_MANPAGES) $(DESTDIR)$(MAN1DIR)/
	$(INSTALL) -m 0644 packaging/completion/image-preflight.bash \
		$(DESTDIR)$(BASHCOMPDIR)/image-preflight
	$(INSTALL) -m 0644 packaging/completion/_image-preflight \
		$(DESTDIR)$(ZSHCOMPDIR)/_image-preflight
	$(INSTALL) -m 0644 $(PKG_DOCS) $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/image-preflight \
		$(addprefix $(DESTDIR)$(MAN1DIR)/,$(notdir $(PKG_MANPAGES))) \
		$(DESTDIR)$(BASHCOMPDIR)/image-preflight \
		$(DESTDIR)$(ZSHCOMPDIR)/_image-preflight \
		$(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(PKG_DOCS)))
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true

# A .deb (dpkg-buildpackage) and an .rpm (rpmbuild) in build/packages/.
# make deb ARCH=arm64, or make deb-arm64 (armhf, ppc64el, s390x,
# riscv64): the package for that architecture, cross-built by
# tests/cross.sh. Only an ARCH given on the command line counts: an ARCH
# in the environment often means something else (a kernel build's).
DEB_ARCH := $(if $(filter command line,$(origin ARCH)),$(ARCH))
deb:
ifeq ($(filter-out $(shell dpkg --print-architecture 2>/dev/null),$(DEB_ARCH)),)
	sh packaging/build-deb.sh build/packages
else
	sh tests/cross.sh --deb build/packages $(DEB_ARCH) >/dev/null
endif
deb-%:
	sh tests/cross.sh --deb build/packages $* >/dev/null
rpm:
	sh packaging/build-rpm.sh build/packages
