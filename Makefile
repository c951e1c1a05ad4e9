# Build and install logward where a Linux distribution expects its files.
#
#   make                      build target/release/logward
#   make install              install under PREFIX (default /usr/local), as root
#   make install DESTDIR=/tmp/root PREFIX=/usr   stage a package root
#   make uninstall            remove what install put there, except the configuration
#
# An existing $(SYSCONFDIR)/logward/config is never overwritten.

PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR    ?=
CARGO      ?= cargo

BINDIR     := $(PREFIX)/bin
MANDIR     := $(PREFIX)/share/man/man1
DOCDIR     := $(PREFIX)/share/doc/logward
BASHDIR    := $(PREFIX)/share/bash-completion/completions
ZSHDIR     := $(PREFIX)/share/zsh/site-functions
FISHDIR    := $(PREFIX)/share/fish/vendor_completions.d
TMPFILESDIR := $(PREFIX)/lib/tmpfiles.d
CONFDIR    := $(SYSCONFDIR)/logward

TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
BIN := $(TARGET_DIR)/release/logward
GEN := $(TARGET_DIR)/release/generated

.PHONY: all build install uninstall

all: build

# cargo decides what to rebuild; the man pages and completions are made by
# the binary just built, from the same definition that parses its flags.
build:
	$(CARGO) build --release --locked --bin logward
	rm -rf $(GEN) && mkdir -p $(GEN)/man
	$(BIN) man --out-dir $(GEN)/man >/dev/null
	$(BIN) completions bash > $(GEN)/logward.bash
	$(BIN) completions zsh > $(GEN)/_logward
	$(BIN) completions fish > $(GEN)/logward.fish

install: build
	install -Dm755 $(BIN) $(DESTDIR)$(BINDIR)/logward
	install -d -m755 $(DESTDIR)$(MANDIR)
	install -m644 $(GEN)/man/*.1 $(DESTDIR)$(MANDIR)/
	install -Dm644 $(GEN)/logward.bash $(DESTDIR)$(BASHDIR)/logward
	install -Dm644 $(GEN)/_logward $(DESTDIR)$(ZSHDIR)/_logward
	install -Dm644 $(GEN)/logward.fish $(DESTDIR)$(FISHDIR)/logward.fish
	install -Dm644 systemd/logward.tmpfiles.conf $(DESTDIR)$(TMPFILESDIR)/logward.conf
	install -Dm644 systemd/example-service.service $(DESTDIR)$(DOCDIR)/examples/example-service.service
	install -Dm644 systemd/logward-receive.service $(DESTDIR)$(DOCDIR)/examples/logward-receive.service
	install -Dm644 systemd/journald-logward.conf $(DESTDIR)$(DOCDIR)/examples/journald-logward.conf
	install -Dm644 config/logward.conf $(DESTDIR)$(DOCDIR)/examples/logward.conf
	install -Dm644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -d -m755 $(DESTDIR)$(CONFDIR)
	@if [ -e $(DESTDIR)$(CONFDIR)/config ]; then \
		echo "kept existing $(DESTDIR)$(CONFDIR)/config (template: $(DOCDIR)/examples/logward.conf)"; \
	else \
		install -m644 config/logward.conf $(DESTDIR)$(CONFDIR)/config; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/logward
	rm -f $(DESTDIR)$(MANDIR)/logward.1 $(DESTDIR)$(MANDIR)/logward-*.1
	rm -f $(DESTDIR)$(BASHDIR)/logward $(DESTDIR)$(ZSHDIR)/_logward $(DESTDIR)$(FISHDIR)/logward.fish
	rm -f $(DESTDIR)$(TMPFILESDIR)/logward.conf
	rm -rf $(DESTDIR)$(DOCDIR)
	@echo "kept $(DESTDIR)$(CONFDIR)/config"
