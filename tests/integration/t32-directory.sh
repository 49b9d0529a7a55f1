#!/bin/bash
# A real directory: slapd and SSSD in the world (tests/directory.sh), users and groups only in
# the directory. Group policy picks the directory group's section and nsjailctl policy shows
# it; a user removed from the group gets the default at the next first login of their set; a
# directory that is down makes the module follow on_error with a clear line, root never out.
. tests/lib.sh
. tests/directory.sh

if ! dir_available; then
	skip "slapd or sssd is not installed (tools/deps installs them)"
	done_testing
fi
trap 'dir_stop' EXIT
if ! dir_start; then
	not_ok "slapd and SSSD start in the world"
	tail -n 20 $DIR/slapadd.log $DIR/slapd.log $DIR/sssd.log 2>/dev/null | sed 's/^/#   /'
	done_testing
fi
ok "slapd and SSSD start in the world"
CTL=$NSJAILCTL
run() { OUT=$("$@" 2>&1); RC=$?; }
opened() { log_sync; grep "pam_nsjail.*user=$1 " "$NSJ_LOG" | grep -v 'action=closed\|no set joined' | tail -n 1; }
login() { as "$1" true; opened "$1"; }

is "$(getent passwd lina | cut -d: -f3)" "5001" "lina (uid 5001) comes from the directory"
check "...and only from there" eval '! grep -q "^lina:" /etc/passwd'
is "$(getent group dirlab | cut -d: -f4)" "lina" "group dirlab (member lina) too"
install -d -o 5001 -g 5001 /home/lina /home/lars

conf 'group "dirlab" { hostname = "dl-%u" }'
service nsjail-test debug
service nsjail-allow on_error=allow
is "$(as lina hostname)" "dl-lina" "lina's set gets the directory group's section"
run "$CTL" policy lina
like "$OUT" '^section: group "dirlab"'$'\n' "nsjailctl policy lina: the directory group's section"
like "$OUT" $'\nlive set: group "dirlab"$' "nsjailctl policy lina: her live set is dirlab's"
like "$(login lina)" 'user=lina .*action=joined' "a rejoin of lina"
check "...takes dirlab's section from her set's record" \
	log_has 'policy from group "dirlab" (cached parse, section of the live set)'

# --- lina leaves the group in the directory -------------------------------------------------
dir_ldap "dn: cn=dirlab,ou=groups,$DIR_BASE
changetype: modify
delete: memberUid
memberUid: lina"
sss_expired
check "lina's groups (SSSD's initgroups) lose dirlab once SSSD's cache expired" \
	wait_for 10 eval '! id -Gn lina | grep -qw dirlab'
run "$CTL" policy lina
like "$OUT" '^section: default'$'\n' "nsjailctl policy lina: default at once"
like "$OUT" $'\nlive set: group "dirlab" \\(logins join it until it ends; then default\\)' \
	"...and her live set is still dirlab's"
is "$(as lina hostname)" "dl-lina" "her logins join her live set meanwhile"
"$CTL" reset lina >/dev/null
is "$(as lina hostname)" "lina-$(hostname -s)" "her next first login gets the default"

# --- the directory is down ------------------------------------------------------------------
conf 'group "dirlab" { hostname = "dl-%u" }'$'\n''group "nsjt-admins" { enable = false }'
dir_stop_ldap
like "$(login lina)" 'user=lina .*action=joined' "slapd down: lina (in SSSD's cache) still logs in"
dir_stop_sssd
as lars true
is "$?" "90" "lars (never looked up, so in no cache): the session is refused (on_error=deny)"
like "$(opened lars)" 'user=lars uid=\? .*action=failed: user lars: NSS look-up failed \(a source unavailable\?\): Connection refused$' \
	"...with the reason in one line"
SVC=nsjail-allow session lars -r -- true
is "$?" "0" "on_error=allow: lars's session goes on"
like "$(opened lars)" 'action=failed: user lars: NSS look-up failed .*\(on_error=allow: session goes on unjailed\)' \
	"...unjailed, and the log says so"
is "$(session root -r -- /bin/sh -c 'hostname')" "$(hostname)" "root logs in, directory down and group sections set"
like "$(opened root)" 'user=root uid=0 .*action=skipped \(uid 0\)' "...left out as uid 0"

dir_stop
trap - EXIT
check "slapd, SSSD and the directory's namespace are gone" \
	eval '! pgrep -x slapd >/dev/null && ! pgrep '"'"'^sssd'"'"' >/dev/null && [ ! -e $DIR/net.pid ]'
reset_all
done_testing
