#!/bin/bash
# Group policy at a rejoin: the section comes from the live set's record (no group look-up)
# while the config text is the one the set was made under; a change of group membership
# reaches the user at the next first login of their set (visible in nsjailctl policy at once),
# a change of the config at the next login. Exempt groups, user sections, persist = false,
# repairs, min_uid and root.
. tests/lib.sh

CTL=$NSJAILCTL
W=/run/world
LAB='group "lab" { hostname = "lab-%u" }'
conf "$LAB"
service nsjail-test debug
# NSS as on a Debian host: libnss-systemd after files (the world's own nsswitch.conf).
sed -i 's/^group:.*/group:          files systemd/' /etc/nsswitch.conf
# in_lab USER yes|no: bob and dave are in lab (tests/world); add or remove USER.
in_lab() {
	local m
	m=$(awk -F: '$1 == "lab" { print $4 }' /etc/group | tr ',' '\n' | grep -vx "$1" | paste -sd,)
	[ "$2" = yes ] && m=${m:+$m,}$1
	sed -i "s/^lab:x:3100:.*/lab:x:3100:$m/" /etc/group
}
host_of() { as "$1" 'hostname'; }
# opened USER: the module's last open_session line for USER (not the close).
opened() { log_sync; grep "pam_nsjail.*user=$1 " "$NSJ_LOG" | grep -v 'action=closed\|no set joined' | tail -n 1; }
# login USER: one login of USER, then its open_session line.
login() { as "$1" true; opened "$1"; }
policy_line() { grep '^policy ' "$PIN/$(id -u "$1")/keeper"; }
# opens_group USER: does one login of USER (as root in the set: no initgroups of its own)
# open /etc/group? (strace of the process that runs the module; not -f: the keeper lives on)
opens_group() {
	# (LeakSanitizer cannot run under ptrace: off for the traced harness of a sanitizer build)
	ASAN_OPTIONS=detect_leaks=0 strace -qq -e trace=openat -o $W/st "$HARNESS" -d "$PAMD" -s nsjail-test -u "$1" -r -- true
	grep -q '"/etc/group"' $W/st
}

# --- first login resolves the groups; a rejoin takes the section from the record ----------
check "first login of bob looks his groups up (/etc/group opened)" opens_group bob
is "$(host_of bob)" "lab-bob" "bob gets the lab section"
like "$(cat $PIN/3002/keeper)" $'\npolicy [0-9a-f]{16} g 0(\n|$)' "the record keeps the config's hash and the section"
check "a rejoin of bob does not open /etc/group" eval '! opens_group bob'
check "...and says so in the debug log" log_has 'policy from group "lab" (cached parse, section of the live set)'
like "$(opened bob)" 'user=bob .*action=joined' "...and joins bob's set"
check "a rejoin of alice (default, recorded too) does not open /etc/group either" \
	eval 'opens_group alice; ! opens_group alice'

# --- a user removed from the group: default at the next first login, shown at once --------
in_lab bob no
run() { OUT=$("$@" 2>&1); }
run "$CTL" policy bob
like "$OUT" '^section: default'$'\n' "policy: bob, out of lab, resolves to default at once"
like "$OUT" $'\nlive set: group "lab" \\(logins join it until it ends; then default\\)' \
	"policy: ...and says the live set was made under lab"
is "$(host_of bob)" "lab-bob" "bob's logins join his live set meanwhile"
"$CTL" reset bob >/dev/null
is "$(host_of bob)" "bob-$(hostname -s)" "after a reset, his next first login gets the default"
run "$CTL" policy bob
like "$OUT" $'\nlive set: default$' "policy: the new set is default's"
# A set that went stale is a first login too: the groups decide again.
in_lab bob yes
kill -KILL "$(keeper_pid bob)"
sleep 0.1
is "$(host_of bob)" "lab-bob" "a repaired set resolves the groups again (bob back in lab)"
check "...logged as repaired" log_has 'user=bob .*action=repaired'

# --- the config changes: at the next login, whatever the live set ---------------------------
old=$(policy_line bob)
conf 'group "staff2" { enable = false }'$'\ngroup "lab" { enable = false }'
like "$(login bob)" 'user=bob .*action=skipped \(enable = false in group "lab"\)' \
	"an exempted group is left out at its next login, live set or not"
conf 'group "staff2" { enable = false }'$'\n'"$LAB"
is "$(host_of carol)" "$(hostname)" "carol (staff2, exempt) is left out"
like "$(login bob)" 'user=bob .*action=joined' "bob joins his live set under the new config"
new=$(policy_line bob)
like "$new" '^policy [0-9a-f]{16} g 1$' "a full resolution after a config change records the section anew"
isnt "${new:7:16}" "${old:7:16}" "...with the new config's hash"
check "...so the next rejoin looks no group up" eval '! opens_group bob'
# Membership of an exempt group gained with the config unchanged: at the next first login.
sed -i 's/^staff2:x:3101:.*/staff2:x:3101:carol,bob/' /etc/group
like "$(login bob)" 'user=bob .*action=joined' "bob, now in an exempt group, joins his live set"
"$CTL" reset bob >/dev/null
like "$(login bob)" 'user=bob .*action=skipped \(enable = false in group "staff2"\)' \
	"...and is left out from the next first login on"
sed -i 's/^staff2:x:3101:.*/staff2:x:3101:carol/' /etc/group

# --- a user section added later wins at the next login ------------------------------------
as bob true
conf "$LAB"$'\nuser "bob" { hostname = "ub" }'
as bob true
check "a user section added later decides at the next login" log_has 'policy from user "bob" (parsed)'
is "$(policy_line bob)" "policy $(policy_line bob | cut -d' ' -f2) u 0" "the record names the user section"
"$CTL" reset bob >/dev/null
is "$(host_of bob)" "ub" "bob's next set is his user section's"

# --- persist = false by group: never from a record ------------------------------------------
reset_all
conf "$LAB"
as bob true
conf 'group "lab" { hostname = "lab-%u" persist = false }'
like "$(login bob)" 'user=bob .*action=created' "persist = false by group: a set of the session's own"
as bob 'touch /tmp/mine'
is "$(as bob 'ls /tmp')" "" "persist = false: every login its own set (its own /tmp)"

# --- the peek at the record before the lock: one openat2 of its path -------------------------
reset_all
conf "$LAB"
as bob true
ASAN_OPTIONS=detect_leaks=0 strace -qq -e trace=openat,openat2 -o $W/st "$HARNESS" -d "$PAMD" -s nsjail-test -u bob -r -- true
like "$(cat $W/st)" "openat2\\(AT_FDCWD, \"$PIN/3002/keeper\", .*\\) = [0-9]+" \
	"a rejoin peeks at the record in one openat2 of its path"

# --- min_uid and root are never joined through a record -----------------------------------
reset_all
conf 'min_uid = 3003'$'\n'"$LAB"
like "$(login bob)" 'user=bob .*action=skipped \(uid 3002 below min_uid 3003\)' "min_uid still applies"
is "$(session root -r -- /bin/sh -c 'hostname')" "$(hostname)" "root is left out"

reset_all
done_testing
