#!/bin/bash
# Bad input: every class of config error denies the session with a FILE:LINE message; root
# is never locked out; on_error=allow lets the session go on unjailed; threaded callers fail
# closed.
. tests/lib.sh

service nsjail-test
service nsjail-allow on_error=allow
host_mnt=$(readlink /proc/self/ns/mnt)

# denied CONFIG-TEXT MESSAGE-REGEX DESCRIPTION
denied() {
	conf "$1"
	local out rc
	out=$(as alice 'echo RAN' 2>&1)
	rc=$?
	if [ $rc -eq 90 ] && [[ "$out" != *RAN* ]]; then
		ok "$3: session denied"
	else
		not_ok "$3: session denied (rc=$rc out=$out)"
	fi
	like "$(last_log)" "user=alice uid=3001 .*action=failed: $2" "$3: logged with its message"
}

denied 'default { bogus = 1 }' "$CONF:1: .*bogus" "unknown key"
denied 'defaults { }' "$CONF:1: .*defaults" "unknown section"
denied $'min_uid = 1000\ndefault { tmp = ramfs }' "$CONF:2: .*tmp" "bad value"
denied $'default {\n namespaces = {mount, bogus}\n}' "$CONF:[23]: .*bogus" "bad namespace kind"
denied 'default { hostname = "%u-%x" }' "$CONF:1: .*%x" "unknown template sequence"
denied 'default { namespaces = {ipc, uts, pid} }' "$CONF:1: .*pid.*mount" "pid without mount"
denied 'default { namespaces = {mount, ipc, pid} }' "$CONF:1: .*hostname.*uts" "hostname without uts"
denied 'default { hostname = "${HOME}" }' "$CONF:1: .*\\$\\{" "environment expansion attempt"
printf 'default { hostname = "from-include" }\n' >/run/world/inc.conf
denied 'include("/run/world/inc.conf")' "$CONF:1: no such option 'include'" "include attempt"
denied 'default { tmp_size = "lots" }' "$CONF:1: .*tmp_size" "bad size"
denied $'user "alice" { hostname = "%u-0123456789012345678901234567890123456789012345678901234567890123" }' \
	"$CONF:1: user \"alice\": hostname template .* more than 64\)" "expanded hostname too long (file, line and section named)"

conf 'default { }'
chmod 0666 "$CONF"
out=$(as alice 'echo RAN' 2>&1)
is "$?" "90" "a config writable by others is refused"
like "$(last_log)" "action=failed: $CONF: writable by group or others" "...with its reason"
chmod 0664 "$CONF"
out=$(as alice 'echo RAN' 2>&1)
is "$?:$out" "90:pam-harness: open_session: Permission denied" \
	"a config writable by its group is refused"
like "$(last_log)" "action=failed: $CONF: writable by group or others" "...with its reason"
chmod 0644 "$CONF"
ln -s "$CONF" /etc/security/nsjail-link.conf
service nsjail-link config=/etc/security/nsjail-link.conf
out=$(SVC=nsjail-link as alice 'echo RAN' 2>&1)
is "$?" "90" "a config reached through a symlink is refused (not followed)"
like "$(last_log)" "action=failed: /etc/security/nsjail-link.conf: " "...with its reason"
rm -f /etc/security/nsjail-link.conf
chown alice "$CONF"
as alice true 2>/dev/null
like "$(last_log)" "action=failed: $CONF: not owned by root" "a config not owned by root is refused"
chown root "$CONF"
rm -f "$CONF"
out=$(as alice 'echo RAN' 2>&1)
is "$?" "90" "a missing config denies the session"
like "$(last_log)" "action=failed: $CONF: No such file" "...saying the file is missing"

# --- root is never locked out ----------------------------------------------------------
conf 'default { bogus = 1 }'
out=$(session root -r -- readlink /proc/self/ns/mnt 2>&1)
is "$out" "$host_mnt" "root's session goes on (unjailed) with a broken config"
like "$(last_log)" '^<83>.*user=root uid=0 .*action=failed: .*\(root: session goes on unjailed\)$' "...and the error is logged at authpriv.err, saying the session goes on"
is "$(grep -c 'user=root uid=0 .*action=skipped (no set joined)' "$NSJ_LOG")" "1" "...and its close is logged as skipped"
rm -f "$CONF"
is "$(session root -r -- readlink /proc/self/ns/mnt 2>&1)" "$host_mnt" "root's session goes on with a missing config"
conf 'user root { enable = true }'
root_ns=$(session root -r -- readlink /proc/self/ns/mnt 2>&1)
isnt "$root_ns" "$host_mnt" "user root { enable = true } jails root"

# --- on_error=allow --------------------------------------------------------------------
conf 'default { bogus = 1 }'
out=$(SVC=nsjail-allow as alice 'readlink /proc/self/ns/mnt' 2>&1)
is "$out" "$host_mnt" "on_error=allow: the session goes on unjailed"
like "$(last_log)" 'user=alice .*action=failed: ' "on_error=allow: the failure is logged"

# --- a failing set-up (not the config) follows on_error as well ------------------------
conf 'default { tmp = dir  tmp_dir = "/run/world/no-such-parent/x/%U" }'
mkdir -p /run/world/no-such-parent
chmod 0777 /run/world/no-such-parent
out=$(as alice 'echo RAN' 2>&1)
is "$?" "90" "set-up failure (unsafe tmp_dir parent) denies the session"
like "$(last_log)" 'action=failed: set-up: tmp_dir .*writable by others' "...with a readable reason"
check "...and leaves no keeper" test -z "$(pgrep -f -- 'nsjail-keeper --uid 3001')"
check "...and no record" test ! -e $PIN/3001/keeper

# --- the keeper binary missing, or not this build's ---------------------------------------
conf 'default { }'
reset_all
K=${KEEPER_PATH:-/usr/libexec/pam_nsjail/nsjail-keeper}
mv "$K" "$K.moved"
out=$(as alice 'echo RAN' 2>&1)
is "$?" "90" "no keeper binary: the session is denied"
like "$(last_log)" "action=failed: spawn $K: No such file or directory\$" "...with the path and the reason"
check "...and no record" test ! -e $PIN/3001/keeper
is "$(as root 'echo RAN' 2>&1)" "RAN" "...while root (not jailed) still logs in"
cp /bin/true "$K" # a program that is not this build's keeper: it reads no request, says nothing
out=$(as alice 'echo RAN' 2>&1)
is "$?" "90" "a keeper that is not this build's: the session is denied"
like "$(last_log)" 'action=failed: set-up: helper died without a report$' "...with a readable reason"
check "...and no record" test ! -e $PIN/3001/keeper
mv "$K.moved" "$K"
is "$(as alice 'echo RAN' 2>&1)" "RAN" "the keeper back: logins work again"

# --- a multithreaded caller fails closed -----------------------------------------------
conf 'default { }'
out=$(session alice -t -- /bin/sh -c 'echo RAN' 2>&1)
is "$?" "90" "a multithreaded caller is refused"
like "$(last_log)" 'action=failed: .*threads' "...with a clear message"

# --- unknown module arguments are logged -----------------------------------------------
service nsjail-odd frobnicate=1
SVC=nsjail-odd as alice true
check "an unknown module argument is logged" log_has 'unknown or invalid option "frobnicate=1"'

done_testing
