# pam_nsjail — plain GNU Makefile. Distro CFLAGS/LDFLAGS are appended to, never replaced.
VERSION    := 0.1.0
PREFIX     ?= /usr
SBINDIR    ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
MULTIARCH  := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null)
PAMDIR     ?= $(if $(MULTIARCH),/lib/$(MULTIARCH)/security,$(PREFIX)/lib/security)
KEEPER_PATH = $(LIBEXECDIR)/pam_nsjail/nsjail-keeper
SCOPE_PATH  = $(LIBEXECDIR)/pam_nsjail/nsjail-scope
USERMAN_PATH = $(LIBEXECDIR)/pam_nsjail/nsjail-userman
# The drop-in for user@.service that starts the user manager through nsjail-userman.
UNITDIR    ?= $(PREFIX)/lib/systemd/system
USER_DROPIN = $(UNITDIR)/user@.service.d/pam_nsjail.conf
DESTDIR    ?=

CC      ?= cc
B       := build
WERROR  ?= -Werror
WARN    := -Wall -Wextra $(WERROR) -Wformat=2 -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
           -Wpointer-arith -Wwrite-strings -Wundef -Wvla -Wno-unused-parameter
HARDEN  := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIC -fno-strict-aliasing \
           -ffunction-sections -fdata-sections
OPT     ?= -O2 -g
DEFS    := -DNSJ_VERSION='"$(VERSION)"' -DNSJ_KEEPER_PATH='"$(KEEPER_PATH)"' \
           -DNSJ_SCOPE_PATH='"$(SCOPE_PATH)"' \
           -DNSJ_CONFIG_PATH='"$(SYSCONFDIR)/security/pam_nsjail.conf"'
ifeq ($(SANITIZE),1)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
HARDEN  := $(filter-out -D_FORTIFY_SOURCE=2,$(HARDEN))
endif
ALL_CFLAGS  := -std=gnu11 $(OPT) $(WARN) $(HARDEN) $(SAN) $(DEFS) -Ipam_nsjail $(CFLAGS) $(CPPFLAGS)
ALL_LDFLAGS := -Wl,-z,relro -Wl,-z,now -Wl,--as-needed $(SAN) $(LDFLAGS)

CORE_SRC := err ns util config config_parse config_dl cache template policy record keeper_ctl set setup request ctl_core live \
            account scope net netcheck propagation
CORE_OBJ := $(CORE_SRC:%=$(B)/%.o)
# What the keeper links of the core (a link that misses one fails: undefined reference).
KEEPER_SRC := keeper err net ns propagation record request scope setup util
MULTIARCH := $(shell $(CC) -print-multiarch)
MUSL_DIR  ?= /usr/lib/$(subst -gnu,-musl,$(MULTIARCH))
MUSL      ?= $(if $(SAN),0,$(if $(wildcard $(MUSL_DIR)/rcrt1.o $(MUSL_DIR)/musl-gcc.specs),1,0))
LIB      := $(B)/libnsj.a
MODULE   := $(B)/pam_nsjail.so
KEEPER   := $(B)/nsjail-keeper
SCOPE    := $(B)/nsjail-scope
USERMAN  := $(B)/nsjail-userman
CTL      := $(B)/nsjailctl
# nsjailctl: main.c dispatches to one file per command (pam_nsjail/ctl/).
CTL_SRC  := main common print list show enter reset gc check policy
CTL_OBJ  := $(CTL_SRC:%=$(B)/ctl/%.o)
HARNESS  := $(B)/tests/pam-harness $(B)/tests/syslog-catch \
            $(if $(SAN),$(B)/tests/san-preload.so $(B)/tests/pam_san_probe.so)
UNIT     := $(patsubst tests/unit/%.c,$(B)/tests/%,$(wildcard tests/unit/test_*.c))
MANPAGES := man/pam_nsjail.8 man/pam_nsjail.conf.5 man/nsjailctl.8

.PHONY: demo all install uninstall check unit clean deb rpm lint format bench fuzz
all: $(MODULE) $(KEEPER) $(SCOPE) $(USERMAN) $(CTL)
tests: all $(HARNESS) $(UNIT)

$(B) $(B)/tests $(B)/ctl:
	mkdir -p $@

# The flags (and the paths compiled in) of the last build: objects are rebuilt when they change,
# so that "make install PREFIX=/usr/local" after "make" does not install a module that looks for
# its keeper under /usr, and a SANITIZE=1 build never links objects of a plain one.
FLAGS := $(B)/.flags
FLAGS_NOW := $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) MUSL=$(MUSL)
ifneq ($(FLAGS_NOW),$(file <$(FLAGS)))
$(shell mkdir -p $(B))
$(file >$(FLAGS),$(FLAGS_NOW))
endif

# Every object depends on every header of the tree: few enough that precision is not worth it.
HDRS := $(wildcard pam_nsjail/*.h pam_nsjail/ctl/*.h)
$(B)/%.o: pam_nsjail/%.c $(HDRS) $(FLAGS) | $(B)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/ctl/%.o: pam_nsjail/ctl/%.c $(HDRS) $(FLAGS) | $(B)/ctl
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The config cache's entries are keyed by the parser's sources too (cache.c: NSJ_PARSE_ID).
PARSE_SRC := $(addprefix pam_nsjail/,config.c config_parse.c config_int.h nsj.h cache.c)
PARSE_ID  := $(shell cat $(PARSE_SRC) | sha256sum | cut -c1-8)
$(B)/cache.o: ALL_CFLAGS += -DNSJ_PARSE_ID=0x$(PARSE_ID)u
$(B)/cache.o: $(PARSE_SRC)

$(LIB): $(CORE_OBJ)
	rm -f $@ && $(AR) rcs $@ $^

# Hidden visibility in the module: only the pam_sm_* of the version script are exported.
# --gc-sections drops the core's functions that only nsjailctl and the keeper call: every
# libc function the module imports is one more symbol to bind at each login (make bench).
$(MODULE): $(B)/pam_nsjail.o $(LIB) pam_nsjail/pam_nsjail.map
	$(CC) -shared -fvisibility=hidden -o $@ $(B)/pam_nsjail.o $(LIB) $(ALL_LDFLAGS) \
	  -Wl,--gc-sections -Wl,--no-undefined -Wl,--version-script=pam_nsjail/pam_nsjail.map \
	  -lpam -ldl

# The keeper lives as long as a set: static-pie saves it ~40 KiB of page tables and mappings
# per set (bench/, docs/PERFORMANCE.md). It uses no NSS. Sanitizer builds link it dynamically.
# With musl there (Debian's musl-tools; tools/deps installs it) it is linked -static-pie against
# musl: ~48 KiB less per set again than against glibc (20 KiB of anonymous memory and 20 of page
# tables, against 48 and 40). MUSL=0 links it against glibc. Its objects are built a second
# time for it, under $(B)/musl (libc_compat.h: what musl does not declare); the kernel's uapi
# headers come from the system's linux-libc-dev.
ifneq ($(MUSL),1)
$(KEEPER): $(B)/keeper.o $(LIB)
	$(CC) $(if $(SAN),-pie,-static-pie) -o $@ $^ $(ALL_LDFLAGS)
else
KEEPER_OBJ := $(KEEPER_SRC:%=$(B)/musl/%.o)
$(B)/musl/include:
	mkdir -p $@
	ln -sfn /usr/include/linux /usr/include/asm-generic $@/
	ln -sfn /usr/include/$(MULTIARCH)/asm $@/asm

# glibc's strerror() texts for the keeper's error messages (err.c, tools/errtext.c).
$(B)/musl/errtext.h: tools/errtext.c | $(B)/musl/include
	$(CC) -std=gnu11 -O2 -o $(B)/musl/errtext $<
	$(B)/musl/errtext >$@.tmp && mv $@.tmp $@

$(B)/musl/%.o: pam_nsjail/%.c $(HDRS) $(FLAGS) $(B)/musl/errtext.h | $(B)/musl/include
	$(CC) -specs $(MUSL_DIR)/musl-gcc.specs $(ALL_CFLAGS) -I$(B)/musl -idirafter $(B)/musl/include \
	  -c -o $@ $<

$(KEEPER): $(KEEPER_OBJ)
	$(CC) -nostdlib -static-pie -o $@ $(MUSL_DIR)/rcrt1.o $(MUSL_DIR)/crti.o \
	  $(shell $(CC) -print-file-name=crtbeginS.o) $^ $(MUSL_DIR)/libc.a \
	  $(shell $(CC) -print-libgcc-file-name) $(shell $(CC) -print-file-name=crtendS.o) \
	  $(MUSL_DIR)/crtn.o $(ALL_LDFLAGS) -Wl,--gc-sections
	@# Error texts go through nsj_err_set()'s %m (or libc_compat.h's strerror): never musl's own.
	@! nm -u $(filter-out %/err.o,$^) | grep -w strerror || { rm -f $@; \
	  echo "a keeper object calls musl's strerror(): use %m in nsj_err_set()" >&2; exit 1; }
endif

# The systemd D-Bus call (scope.c) in a program of its own: libsystemd stays out of sshd and
# out of the keepers. Short-lived, started only when a set is created on a systemd host.
$(SCOPE): $(B)/nsjail-scope.o
	$(CC) -pie -o $@ $^ $(ALL_LDFLAGS) -lsystemd

# The ExecStart= of user@.service (its drop-in): the user manager inside the set. Static: it
# starts with ambient capabilities (sys_admin, sys_ptrace), which do not make an exec secure,
# so a dynamic loader would honour an LD_PRELOAD that a module of the stack let the user set.
$(USERMAN): $(B)/nsjail-userman.o
	$(CC) $(if $(SAN),-pie,-static-pie) -o $@ $^ $(ALL_LDFLAGS)

$(CTL): $(CTL_OBJ) $(LIB)
	$(CC) -pie -o $@ $^ $(ALL_LDFLAGS) -lconfuse

$(B)/tests/pam-harness: tests/pam-harness.c $(FLAGS) | $(B)/tests
	$(CC) $(ALL_CFLAGS) -pie -o $@ $< $(ALL_LDFLAGS) -lpam

$(B)/tests/syslog-catch: tests/syslog-catch.c $(FLAGS) | $(B)/tests
	$(CC) $(ALL_CFLAGS) -pie -o $@ $< $(ALL_LDFLAGS)

# SANITIZE=1: what tests/world preloads into every program of a world (no sanitizer flags).
$(B)/tests/san-preload.so: tests/san-preload.c $(FLAGS) | $(B)/tests
	$(CC) -std=gnu11 -O2 $(WARN) -fno-builtin -fno-tree-loop-distribute-patterns -fPIC -shared \
	  -o $@ $<

# SANITIZE=1: a module that makes the sanitizers report (t73-sanitizers.sh), instrumented.
$(B)/tests/pam_san_probe.so: tests/san-probe.c $(FLAGS) | $(B)/tests
	$(CC) $(ALL_CFLAGS) -shared -o $@ $< $(ALL_LDFLAGS) -Wl,--no-undefined -lpam

$(B)/tests/test_%: tests/unit/test_%.c $(LIB) $(FLAGS) | $(B)/tests
	$(CC) $(ALL_CFLAGS) -pie -o $@ $< $(LIB) $(ALL_LDFLAGS) -lcmocka -lconfuse

check: tests
	KEEPER_PATH=$(KEEPER_PATH) tests/run

# Real sessions through the built module, in a throwaway namespace (nothing on the host).
demo: tests
	KEEPER_PATH=$(KEEPER_PATH) tests/world bash tests/demo.sh

install: all
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(LIBEXECDIR)/pam_nsjail $(DESTDIR)$(SBINDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/security $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(MODULE) $(DESTDIR)$(PAMDIR)/pam_nsjail.so
	install -m 0755 $(KEEPER) $(DESTDIR)$(KEEPER_PATH)
	install -m 0755 $(SCOPE) $(DESTDIR)$(SCOPE_PATH)
	install -m 0755 $(USERMAN) $(DESTDIR)$(USERMAN_PATH)
	install -d $(DESTDIR)$(UNITDIR)/user@.service.d
	sed 's|@USERMAN_PATH@|$(USERMAN_PATH)|' conf/user@.service.d/pam_nsjail.conf \
	  >$(DESTDIR)$(USER_DROPIN) && chmod 0644 $(DESTDIR)$(USER_DROPIN)
	install -m 0755 $(CTL) $(DESTDIR)$(SBINDIR)/nsjailctl
	[ -e $(DESTDIR)$(SYSCONFDIR)/security/pam_nsjail.conf ] || \
	  install -m 0644 conf/pam_nsjail.conf $(DESTDIR)$(SYSCONFDIR)/security/pam_nsjail.conf
	for m in $(wildcard $(MANPAGES)); do \
	  install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/; done

uninstall:
	rm -f $(DESTDIR)$(PAMDIR)/pam_nsjail.so $(DESTDIR)$(KEEPER_PATH) $(DESTDIR)$(SCOPE_PATH) \
	  $(DESTDIR)$(USERMAN_PATH) $(DESTDIR)$(USER_DROPIN) $(DESTDIR)$(SBINDIR)/nsjailctl \
	  $(DESTDIR)$(MANDIR)/man8/pam_nsjail.8 $(DESTDIR)$(MANDIR)/man5/pam_nsjail.conf.5 \
	  $(DESTDIR)$(MANDIR)/man8/nsjailctl.8
	-rmdir $(DESTDIR)$(LIBEXECDIR)/pam_nsjail $(DESTDIR)$(UNITDIR)/user@.service.d

clean:
	rm -rf $(B)

# Packaging (make deb, make rpm) lives beside the packaging files.
-include packaging/packaging.mk
# Benchmarks (make bench), fuzzing and lint (make fuzz, make lint) live beside their sources.
-include bench/bench.mk
-include fuzz/fuzz.mk
