#!/bin/bash
# t50-package.sh — the Debian package: build (when missing or older than the sources), install
# with dpkg, enable with pam-auth-update, log in with pamtester, remove, purge.
# Run as: tests/world bash tests/integration/t50-package.sh
# dpkg writes to /usr, /var and /etc: all three are overlays of this world, so nothing of the
# host changes except build/ (where `make deb` leaves the .deb).
set -u
# shellcheck source=tests/lib.sh
. tests/lib.sh

PKG=libpam-nsjail
export DEBIAN_FRONTEND=noninteractive   # dpkg and pam-auth-update (debconf) never ask
w=/run/world

# --- a throwaway /usr and /var (and /lib, /lib64 where they are not symlinks into /usr) --------
for d in /usr /var /lib /lib64 /bin /sbin; do
	[ -d "$d" ] && [ ! -L "$d" ] || continue
	n=${d#/}
	mkdir -p "$w/$n-up" "$w/$n-work"
	if ! mount -t overlay "world-$n" -o "lowerdir=$d,upperdir=$w/$n-up,workdir=$w/$n-work" "$d"; then
		echo "Bail out! cannot overlay $d; refusing to let dpkg write to the host"
		exit 1
	fi
done
# The world's common-* are written by hand (tests/world); an administrator's are
# pam-auth-update's, which leaves files it did not write alone: made by it, as on a host.
pam-auth-update --package --force
# The world's /etc overlay already holds its own /etc; a host-installed config would make
# dpkg ask about a conffile it does not own.
rm -f /etc/security/pam_nsjail.conf

# --- the package ------------------------------------------------------------------------------
deb=$(ls -t build/${PKG}_*.deb 2>/dev/null | head -n1)
if stale "$deb"; then
	make_package deb "$w/make-deb.log"
	deb=$(ls -t build/${PKG}_*.deb 2>/dev/null | head -n1)
fi
check "a .deb is built ($deb)" test -f "$deb"
[ -f "$deb" ] || done_testing

arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
like "$(basename "$deb")" "^${PKG}_[0-9][^_]*_${arch}\.deb$" "package name and architecture"
is "$(dpkg-deb -f "$deb" Package)" "$PKG" "binary package is $PKG"
like "$(dpkg-deb -f "$deb" Depends)" "libpam-runtime" "depends on libpam-runtime"
like "$(dpkg-deb -f "$deb" Depends)" "libconfuse2" "depends on libconfuse2 (dlopen()ed, so shlibdeps cannot see it)"

if command -v lintian >/dev/null; then
	# (its temporary files go to the world's /tmp; HOME is the world's too)
	out=$(HOME=$w TMPDIR=/tmp lintian --fail-on error "$deb" 2>&1)
	rc=$?
	is "$rc:$(grep -c '^E:' <<<"$out")" "0:0" "lintian reports no error"
	grep -E '^[EW]:' <<<"$out" | sed 's/^/# lintian: /'
else
	skip "lintian is not installed"
fi

# --- install ----------------------------------------------------------------------------------
out=$(dpkg -i "$deb" 2>&1)
rc=$?
is "$rc" 0 "dpkg -i installs it"
[ $rc -eq 0 ] || { echo "$out" | sed 's/^/#   /'; done_testing; }
is "$(dpkg-query -W -f='${db:Status-Abbrev}' $PKG)" "ii " "package state is installed"

# mode_of PATH: "MODE OWNER:GROUP" of PATH
mode_of() { stat -c '%a %U:%G' "$1" 2>/dev/null; }
is "$(mode_of /lib/"$multiarch"/security/pam_nsjail.so)" "644 root:root" "module in /lib/$multiarch/security, 0644"
is "$(mode_of /usr/libexec/pam_nsjail/nsjail-keeper)" "755 root:root" "keeper in /usr/libexec/pam_nsjail, 0755"
is "$(mode_of /usr/libexec/pam_nsjail/nsjail-scope)" "755 root:root" "nsjail-scope in /usr/libexec/pam_nsjail, 0755"
is "$(mode_of /usr/libexec/pam_nsjail/nsjail-userman)" "755 root:root" "nsjail-userman in /usr/libexec/pam_nsjail, 0755"
dropin=/usr/lib/systemd/system/user@.service.d/pam_nsjail.conf
is "$(mode_of $dropin)" "644 root:root" "a drop-in for user@.service, 0644"
is "$(grep -E '^(ExecStart|AmbientCapabilities)=' $dropin 2>/dev/null)" \
	"ExecStart="$'\n'"ExecStart=/usr/libexec/pam_nsjail/nsjail-userman /lib/systemd/systemd --user"$'\n'"AmbientCapabilities=CAP_SYS_ADMIN CAP_SYS_CHROOT CAP_SYS_PTRACE" \
	"...that starts the user manager through nsjail-userman"
like "$(dpkg-query -W -f='${Depends}' $PKG)" "libsystemd0" "depends on libsystemd0 (nsjail-scope)"
is "$(mode_of /usr/sbin/nsjailctl)" "755 root:root" "nsjailctl in /usr/sbin, 0755"
is "$(mode_of /etc/security/pam_nsjail.conf)" "644 root:root" "config in /etc/security, root 0644"
like "$(dpkg-query -W -f='${Conffiles}' $PKG)" "/etc/security/pam_nsjail.conf [0-9a-f]{32}" \
	"the config is a conffile"
check "the installed config is the shipped one" cmp -s conf/pam_nsjail.conf /etc/security/pam_nsjail.conf
is "$(mode_of /usr/lib/tmpfiles.d/pam_nsjail.conf)" "644 root:root" "tmpfiles.d entry installed"
like "$(grep -v '^#' /usr/lib/tmpfiles.d/pam_nsjail.conf)" "^d /run/pam_nsjail 0700 root root -$" \
	"tmpfiles.d creates /run/pam_nsjail root 0700, never cleaned"
is "$(mode_of /usr/share/pam-configs/nsjail)" "644 root:root" "pam-auth-update profile installed"
check "copyright file installed" test -s /usr/share/doc/$PKG/copyright
for m in man/*.[58]; do
	[ -f "$m" ] || continue
	b=$(basename "$m")
	check "man page $b installed" test -f "/usr/share/man/man${b##*.}/$b.gz"
done
if [ -x "$(command -v systemd-tmpfiles)" ]; then
	is "$(mode_of /run/pam_nsjail)" "700 root:root" "postinst created /run/pam_nsjail (tmpfiles)"
fi
check "nsjailctl runs and validates the shipped config" /usr/sbin/nsjailctl check
check "profile is not enabled by default" \
	bash -c '! grep -q pam_nsjail /etc/pam.d/common-session /etc/pam.d/common-session-noninteractive /etc/pam.d/common-account'
check "pam-auth-update knows the profile" grep -qx nsjail /var/lib/pam/seen

# --- enable -----------------------------------------------------------------------------------
# last_session FILE: the last "session" line of FILE, whitespace squeezed.
last_session() { grep -E '^[[:space:]]*session[[:space:]]' "$1" | tail -n1 | tr -s ' \t' ' ' | sed 's/ *$//'; }
check "pam-auth-update --enable nsjail" pam-auth-update --enable nsjail
is "$(last_session /etc/pam.d/common-session)" "session required pam_nsjail.so" \
	"common-session: pam_nsjail is the last session line"
is "$(last_session /etc/pam.d/common-session-noninteractive)" "session required pam_nsjail.so" \
	"common-session-noninteractive (cron, su -c): pam_nsjail is the last session line"
last_account() { grep -E '^[[:space:]]*account[[:space:]]' "$1" | tail -n1 | tr -s ' \t' ' ' | sed 's/ *$//'; }
is "$(last_account /etc/pam.d/common-account)" "account required pam_nsjail.so" \
	"common-account: the account line is installed too (refusals that sudo enforces)"
if grep -q pam_systemd /etc/pam.d/common-session; then
	sys=$(grep -n pam_systemd /etc/pam.d/common-session | tail -n1 | cut -d: -f1)
	nsj=$(grep -n pam_nsjail /etc/pam.d/common-session | cut -d: -f1)
	check "pam_nsjail comes after pam_systemd" test "$nsj" -gt "$sys"
fi
# Another "Additional" profile of the lowest stock priority (0) must still come before it.
if [ -f /usr/share/pam-configs/mkhomedir ]; then
	pam-auth-update --enable mkhomedir
	is "$(last_session /etc/pam.d/common-session)" "session required pam_nsjail.so" \
		"still last with pam_mkhomedir (priority 0) enabled too"
	pam-auth-update --disable mkhomedir
fi

# --- a login lands in a set -------------------------------------------------------------------
cat >/etc/pam.d/nsjail-pkg <<'EOF'
auth     required  pam_permit.so
account  required  pam_permit.so
@include common-session
EOF
uid=$(id -u alice)
out=$(pamtester -v nsjail-pkg alice open_session close_session 2>&1)
rc=$?
is "$rc" 0 "pamtester: alice opens and closes a session through common-session"
[ $rc -eq 0 ] || echo "$out" | sed 's/^/#   /'
check "a record /run/pam_nsjail/$uid/keeper exists" test -f "$PIN/$uid/keeper"
kpid=$(keeper_pid alice)
# alive PID: PID is a number and that process exists
alive() { [[ "${1:-}" =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null; }
check "alice's keeper is alive (pid ${kpid:-none})" alive "$kpid"
kns=$(readlink "/proc/${kpid:-none}/ns/pid" 2>/dev/null)
check "the set has a PID namespace of its own" test -n "$kns" -a "$kns" != "$(readlink /proc/self/ns/pid)"
like "$(readlink "/proc/${kpid:-none}/exe" 2>/dev/null)" "^/usr/libexec/pam_nsjail/nsjail-keeper" \
	"the keeper is the packaged one"
check "the login is logged" log_has "alice"
out=$(pamtester -v nsjail-pkg alice open_session close_session 2>&1)
is "$?" 0 "a second login of alice"
is "$(keeper_pid alice)" "$kpid" "the second login joins the same set"

# --- upgrade (reinstall): the administrator's choice and the live set stay ---------------------
out=$(dpkg -i "$deb" 2>&1)
is "$?" 0 "dpkg -i again (an upgrade: prerm upgrade, postinst configure)"
is "$(last_session /etc/pam.d/common-session)" "session required pam_nsjail.so" \
	"after the upgrade the profile is still enabled, still last"
check "pam-auth-update still knows the profile" grep -qx nsjail /var/lib/pam/seen
check "alice's keeper survives the upgrade" alive "$kpid"
out=$(pamtester -v nsjail-pkg alice open_session close_session 2>&1)
is "$(keeper_pid alice)" "$kpid" "after the upgrade a login joins the same set"

# --- remove: the PAM line goes, live sets stay ------------------------------------------------
files=$(dpkg -L $PKG)
conffile=/etc/security/pam_nsjail.conf
out=$(dpkg -r $PKG 2>&1)
rc=$?
is "$rc" 0 "dpkg -r removes it"
[ $rc -eq 0 ] || echo "$out" | sed 's/^/#   /'
check "common-session no longer has pam_nsjail" bash -c '! grep -q pam_nsjail /etc/pam.d/common-session'
check "common-session-noninteractive no longer has pam_nsjail" \
	bash -c '! grep -q pam_nsjail /etc/pam.d/common-session-noninteractive'
check "common-account no longer has pam_nsjail" bash -c '! grep -q pam_nsjail /etc/pam.d/common-account'
check "pam-auth-update forgot the profile" bash -c '! grep -qx nsjail /var/lib/pam/seen'
check "the module is gone" test ! -e "/lib/$multiarch/security/pam_nsjail.so"
check "the user@ drop-in is gone: user@ is stock again" test ! -e $dropin
check "alice's keeper survives the removal" alive "$kpid"
check "alice's record survives the removal" test -f "$PIN/$uid/keeper"
check "the conffile stays after remove" test -f $conffile
is "$(dpkg-query -W -f='${db:Status-Abbrev}' $PKG 2>/dev/null)" "rc " "package state is config-files"
out=$(pamtester -v nsjail-pkg alice open_session close_session 2>&1)
is "$?" 0 "logins still work after removal (common-session without the module)"

# --- purge: nothing of the package is left ----------------------------------------------------
out=$(dpkg -P $PKG 2>&1)
rc=$?
is "$rc" 0 "dpkg -P purges it"
[ $rc -eq 0 ] || echo "$out" | sed 's/^/#   /'
check "the conffile is gone" test ! -e $conffile
check "dpkg no longer knows the package" bash -c "! dpkg-query -W $PKG >/dev/null 2>&1"
left=()
while IFS= read -r f; do
	[ -n "$f" ] && [ "$f" != /. ] || continue
	if [ -d "$f" ]; then
		# directories that other packages own (or symlinks to them: /lib) stay; ours must go
		case "$f" in
		/usr/libexec/pam_nsjail | "/usr/share/doc/$PKG") [ -e "$f" ] && left+=("$f") ;;
		esac
	elif [ -e "$f" ] || [ -L "$f" ]; then
		left+=("$f")
	fi
done <<<"$files"
is "${left[*]}" "" "no file of the package is left (of $(echo "$files" | wc -l) listed)"
check "no maintainer scripts left" bash -c "! ls /var/lib/dpkg/info/$PKG.* /var/lib/dpkg/info/$PKG:* 2>/dev/null | grep -q ."
check "alice's keeper survives the purge" alive "$kpid"

reset_all
done_testing
