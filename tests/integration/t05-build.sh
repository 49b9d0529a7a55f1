#!/bin/bash
# The build: what the module exports, the hardening of the three binaries, and the layout that
# `make install` (DESTDIR, PREFIX, PAMDIR) and `make uninstall` leave. Installs go under the
# world's /tmp only.
. tests/lib.sh

KEEPER=$NSJ_BUILD/nsjail-keeper
W=/tmp/t05
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
# A sanitizer build (make check SANITIZE=1) has no _FORTIFY_SOURCE and a dynamic keeper.
sanitized=
if ldd "$MODULE" 2>/dev/null | grep -q libasan; then sanitized=1; fi
# make's own view of the default build, whatever the make that runs us was given
mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make SANITIZE= "$@"; }

# --- exports ---------------------------------------------------------------------------
is "$(nm -D --defined-only "$MODULE" | awk '{print $3}' | sort | tr '\n' ' ')" \
	"pam_sm_acct_mgmt pam_sm_authenticate pam_sm_chauthtok pam_sm_close_session pam_sm_open_session pam_sm_setcred " \
	"the module exports only the six pam_sm_* entry points"
# strong undefined symbols: versioned by glibc or libpam, or libconfuse's (cfg_*, unversioned)
if [ -z "$sanitized" ]; then
	others=$(nm -D --undefined-only "$MODULE" | awk '$1 == "U" {print $2}' |
		grep -vE '@(GLIBC|LIBPAM|LIBPAM_EXTENSION)_' | grep -vE '^cfg_' | tr '\n' ' ')
	is "$others" "" "its undefined symbols are libc's, libpam's and libconfuse's only"
else
	skip "undefined symbols: a sanitizer build binds libc's to its runtime, unversioned"
fi

# --- hardening -------------------------------------------------------------------------
dyn() { readelf -d "$1" 2>/dev/null; }
for b in "$MODULE" "$NSJAILCTL" "$KEEPER"; do
	n=$(basename "$b")
	like "$(dyn "$b" | grep -E 'FLAGS')" 'BIND_NOW|NOW' "$n: linked -z now"
	check "$n: has a RELRO segment (-z relro)" bash -c "readelf -lW '$b' | grep -q GNU_RELRO"
	check "$n: no text relocations" bash -c "! readelf -d '$b' | grep -q TEXTREL"
	check "$n: non-executable stack" bash -c "readelf -lW '$b' | grep GNU_STACK | grep -qv RWE"
done
like "$(readelf -h "$NSJAILCTL" | awk '/Type:/ {print $2}')$(dyn "$NSJAILCTL" | grep -o 'PIE')" '^DYNPIE$' "nsjailctl is a PIE"
like "$(readelf -h "$KEEPER" | awk '/Type:/ {print $2}')" '^DYN$' "nsjail-keeper is position independent"
if [ -z "$sanitized" ]; then
	check "nsjail-keeper is static (no program interpreter, no shared libraries)" \
		bash -c "! readelf -lW '$KEEPER' | grep -q INTERP && ! readelf -d '$KEEPER' | grep -q NEEDED"
	# (it starts with ambient capabilities, which leave the loader's LD_* on)
	check "nsjail-userman is static (no program interpreter: no LD_PRELOAD while it has capabilities)" \
		bash -c "! readelf -lW '$NSJ_BUILD/nsjail-userman' | grep -q INTERP && ! readelf -d '$NSJ_BUILD/nsjail-userman' | grep -q NEEDED"
	check "the module uses fortified libc calls (-D_FORTIFY_SOURCE=2)" \
		bash -c "nm -D --undefined-only '$MODULE' | grep -qE '__[a-z]+_chk@'"
else
	skip "static keeper and _FORTIFY_SOURCE: a sanitizer build has neither"
fi
check "the module calls the stack protector (-fstack-protector-strong)" \
	bash -c "nm -D --undefined-only '$MODULE' | grep -q __stack_chk_fail"
flags=$(mk -s -n -B build/err.o 2>/dev/null)
for f in -Wall -Wextra -Werror -fstack-protector-strong -D_FORTIFY_SOURCE=2; do
	like "$flags" " $f( |$)" "make compiles with $f"
done
flags=$(mk -s -n -B build/err.o WERROR= CFLAGS=-DNSJ_DISTRO_FLAG 2>/dev/null | tail -n1)
like "$flags" ' -Wall -Wextra +-Wformat=2 .* -fstack-protector-strong .* -DNSJ_DISTRO_FLAG ' \
	"the distribution's CFLAGS are appended to the warning and hardening flags, not put instead"
check "WERROR= drops -Werror (for distribution builds)" test "${flags/-Werror/}" = "$flags"
is "$(strings "$MODULE" | grep -x '/usr/libexec/pam_nsjail/nsjail-keeper' | sort -u)" "/usr/libexec/pam_nsjail/nsjail-keeper" \
	"the module looks for the keeper where make install puts it"

# --- make install ----------------------------------------------------------------------
if [ "$NSJ_BUILD" != "$PWD/build" ]; then
	skip "make install: NSJ_BUILD ($NSJ_BUILD) is not this tree's build/"
	done_testing
fi
# inst DESTDIR [VAR=VALUE...]: make install there; the list of files, modes and links
inst() {
	local d=$1
	shift
	rm -rf "$d"
	make -s install DESTDIR="$d" "$@" >"$W.log" 2>&1 || sed 's/^/#   /' "$W.log"
	(cd "$d" && find . ! -type d -printf '%m %p\n' | sort)
}
mkdir -p "$W"
layout=$(inst $W/a PREFIX=/usr)
is "$layout" "644 ./etc/security/pam_nsjail.conf
644 ./lib/$multiarch/security/pam_nsjail.so
644 ./usr/lib/systemd/system/user@.service.d/pam_nsjail.conf
644 ./usr/share/man/man5/pam_nsjail.conf.5
644 ./usr/share/man/man8/nsjailctl.8
644 ./usr/share/man/man8/pam_nsjail.8
755 ./usr/libexec/pam_nsjail/nsjail-keeper
755 ./usr/libexec/pam_nsjail/nsjail-scope
755 ./usr/libexec/pam_nsjail/nsjail-userman
755 ./usr/sbin/nsjailctl" "make install DESTDIR=... PREFIX=/usr: the module, keeper, helpers, user@ drop-in, nsjailctl, config, man pages"
check "the installed config is conf/pam_nsjail.conf" cmp -s conf/pam_nsjail.conf $W/a/etc/security/pam_nsjail.conf
check "the installed module is the built one" cmp -s "$MODULE" "$W/a/lib/$multiarch/security/pam_nsjail.so"
like "$(inst $W/b PAMDIR=/usr/lib/security)" "644 ./usr/lib/security/pam_nsjail.so" "PAMDIR is honoured"
like "$(inst $W/c PREFIX=/opt/nsj)" "755 ./opt/nsj/sbin/nsjailctl" "PREFIX is honoured (sbin)"
like "$(inst $W/c PREFIX=/opt/nsj)" "644 ./opt/nsj/share/man/man8/nsjailctl.8" "PREFIX is honoured (man pages)"
# an existing config is kept
echo '# mine' >$W/a/etc/security/pam_nsjail.conf
make -s install DESTDIR=$W/a PREFIX=/usr >/dev/null 2>&1
is "$(cat $W/a/etc/security/pam_nsjail.conf)" "# mine" "make install keeps an existing config"
make -s uninstall DESTDIR=$W/a PREFIX=/usr >/dev/null 2>&1
is "$(cd $W/a && find . ! -type d | sort)" "./etc/security/pam_nsjail.conf" \
	"make uninstall removes everything but the (administrator's) config"
rm -rf "$W" "$W.log"

done_testing
