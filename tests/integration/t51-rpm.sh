#!/bin/bash
# t51-rpm.sh — the RPM: `make rpm` (when the .rpm is missing or older than the sources) and what
# the package holds: %{_libdir}/security, the config as %config(noreplace), the keeper, nsjailctl,
# the man pages and the tmpfiles.d entry. Nothing is installed: this is a Debian machine.
# rpmbuild writes under build/rpm only (its %_tmppath is the world's /var/tmp).
. tests/lib.sh

if ! command -v rpmbuild >/dev/null || ! command -v rpm >/dev/null; then
	skip "rpmbuild is not installed (make rpm-deps)"
	done_testing
fi
w=/run/world
mkdir -p "$w/var-up" "$w/var-work"
mount -t overlay world-var -o "lowerdir=/var,upperdir=$w/var-up,workdir=$w/var-work" /var || {
	echo "Bail out! cannot overlay /var"
	exit 1
}

# rpm and rpmbuild keep their database and read macros under $HOME: the world's, not root's.
export HOME=$w/home-root
mkdir -p "$HOME"

rpm_file() { find build/rpm/RPMS -name 'pam_nsjail-[0-9]*.rpm' 2>/dev/null | head -n1; }
r=$(rpm_file)
if stale "$r"; then
	make_package rpm "$w/make-rpm.log"
	r=$(rpm_file)
fi
check "make rpm builds a .rpm ($r)" test -f "$r"
[ -f "$r" ] || done_testing

version=$(sed -n 's/^Version:[[:space:]]*//p' packaging/rpm/pam_nsjail.spec)
is "$(rpm -qp --qf '%{NAME} %{VERSION}' "$r" 2>/dev/null)" "pam_nsjail $version" "package name and version"
libdir=$(rpm --eval '%{_libdir}')
files=$(rpm -qp --qf '[%{FILEMODES:perms} %{FILEFLAGS:fflags} %{FILENAMES}\n]' "$r" 2>/dev/null | grep -v '/\.build-id')
like "$files" "-rw-r--r--  $libdir/security/pam_nsjail.so"$'\n' "the module in %{_libdir}/security ($libdir/security), 0644"
like "$files" "-rwxr-xr-x  /usr/libexec/pam_nsjail/nsjail-keeper"$'\n' "the keeper in /usr/libexec/pam_nsjail, 0755"
like "$files" "-rwxr-xr-x  /usr/libexec/pam_nsjail/nsjail-scope"$'\n' "nsjail-scope in /usr/libexec/pam_nsjail, 0755"
like "$files" "-rwxr-xr-x  /usr/libexec/pam_nsjail/nsjail-userman"$'\n' "nsjail-userman in /usr/libexec/pam_nsjail, 0755"
like "$files" "-rw-r--r--  /usr/lib/systemd/system/user@.service.d/pam_nsjail.conf"$'\n' \
	"the user@.service drop-in in %{_unitdir}, 0644 (not %config: the package's, not the admin's)"
like "$files" "-rwxr-xr-x  /usr/sbin/nsjailctl"$'\n' "nsjailctl in /usr/sbin, 0755"
like "$files" "-rw-r--r-- cn /etc/security/pam_nsjail.conf"$'\n' "the config is %config(noreplace), 0644"
like "$files" "/usr/lib/tmpfiles.d/pam_nsjail.conf" "the tmpfiles.d entry"
for m in man/*.[58]; do
	b=$(basename "$m")
	like "$files" "/usr/share/man/man${b##*.}/$b" "man page $b"
done
is "$(grep -c . <<<"$files")" "13" "nothing else but the directories of the helpers and of the drop-in ($(grep -c . <<<"$files") entries)"
like "$(rpm -qp --scripts "$r" 2>/dev/null)" 'systemd-tmpfiles --create' "%post creates /run/pam_nsjail through tmpfiles"
like "$(rpm -qp --requires "$r" 2>/dev/null)" '(^|'$'\n'')pam('$'\n''|$)' "requires pam"
like "$(rpm -qp --requires "$r" 2>/dev/null)" '(^|'$'\n'')libconfuse' "requires libconfuse (dlopen()ed)"
digest=$(rpm -qp --qf '[%{FILEDIGESTS} %{FILENAMES}\n]' "$r" 2>/dev/null | awk '$2 == "/etc/security/pam_nsjail.conf" {print $1}')
is "$digest" "$(sha256sum conf/pam_nsjail.conf | cut -d' ' -f1)" "the packaged config is conf/pam_nsjail.conf"

done_testing
