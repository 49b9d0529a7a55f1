#!/bin/bash
# valgrind memcheck on the module as PAM callers run it (pamtester: join, deny, skip, root with
# a broken config), on nsjailctl and on the keeper's own life (commit, idle exit as PID 1):
# no error, nothing definitely or possibly lost.
#
# What valgrind cannot follow: valgrind 3.19 (Debian 12) does not know pidfd_open(2) nor
# openat2(2) ("unhandled syscall" 434 and 437: ENOSYS). A login under valgrind therefore cannot
# verify a keeper and fails closed; that run still covers config, policy, record and the error
# path in the caller's process, and must be clean. A set's creation (its child, the keeper-to-be,
# stays under valgrind after fork and needs openat2) and a real join run under ASan+UBSan
# instead (make check SANITIZE=1).
. tests/lib.sh

W=/run/world
if ! command -v valgrind >/dev/null; then
	skip "valgrind is not installed"
	done_testing
fi
if [ "${NSJ_SANITIZED:-}" = 1 ] || ldd "$MODULE" 2>/dev/null | grep -q libasan; then
	skip "a sanitizer build: valgrind and ASan do not mix (see make check SANITIZE=1)"
	done_testing
fi

# vg NAME CMD...: CMD under memcheck, its log in $W/vg.NAME.PID; returns CMD's status (99:
# valgrind found an error). Forked children are silent: only the process itself is judged.
vg() {
	local name=$1
	shift
	valgrind -q --leak-check=full --show-leak-kinds=definite,possible \
		--errors-for-leak-kinds=definite,possible --error-exitcode=99 \
		--child-silent-after-fork=yes --log-file="$W/vg.$name.%p" "$@"
}
# clean NAME DESC: the valgrind logs of NAME report nothing. There must be one (valgrind ran),
# and with -q the only lines it writes are errors ("==PID== ..."), its own fatal messages, and
# "--PID-- WARNING: unhandled syscall" notes (valgrind's own limits, see above): any line but
# those notes is a finding.
clean() {
	local f text="" logs=0
	for f in "$W"/vg."$1".*; do
		[ -e "$f" ] || continue
		logs=$((logs + 1))
		text+=$(grep -v '^--[0-9]*--' "$f")
	done
	[ $logs -gt 0 ] || text="no valgrind log: valgrind did not run"
	if [ -z "$text" ]; then
		ok "$2: valgrind memcheck is clean"
	else
		not_ok "$2: valgrind memcheck is clean"
		printf '%s\n' "$text" | head -n 40 | sed 's/^/#   /'
	fi
}

conf 'min_uid = 1000
default { tmp_size = "1M" }'
service nsjail-test

# --- the login path: join --------------------------------------------------------------
pamtester nsjail-test dave open_session close_session >/dev/null 2>&1
check "dave's set is created (natively)" test -s "$PIN/3004/keeper"
out=$(vg join pamtester -v nsjail-test dave open_session close_session 2>&1)
rc=$?
if grep -q 'unhandled amd64-linux syscall: 434' "$W"/vg.join.*; then
	is "$rc" "1" "a login under valgrind, which lacks pidfd_open: the session is refused (fails closed)"
	like "$(grep 'user=dave' "$NSJ_LOG" | tail -n1)" 'action=failed: pidfd_open [0-9]+: Function not implemented' \
		"...because the keeper cannot be verified"
else
	is "$rc" "0" "pamtester open_session close_session under valgrind: joins"
	like "$(grep 'user=dave' "$NSJ_LOG" | grep -v closed | tail -n1)" 'action=joined' "...by joining dave's set"
fi
clean join "login path (config, policy, record, keeper check, and close or the error path)"

# --- the login path: denied, skipped, root unjailed ------------------------------------
conf 'default { bogus = 1 }'
out=$(vg deny pamtester -v nsjail-test dave open_session 2>&1)
is "$?" "1" "a broken config under valgrind: the session is refused (pamtester exits 1)"
clean deny "config error path"
conf 'default { hostname = "%u-%u-%u-%u-%u-%u-%u-%u-%u-%u-%u-%u-%u" }'
vg deny2 pamtester -v nsjail-test dave open_session >/dev/null 2>&1
is "$?" "1" "a hostname that does not fit under valgrind: the session is refused"
clean deny2 "template error path"
conf 'min_uid = 1000
default { tmp_size = "1M" }'
vg skip pamtester -v nsjail-test sysu open_session close_session >/dev/null 2>&1
is "$?" "0" "a user below min_uid under valgrind: skipped"
clean skip "skip path"
conf 'default { bogus = 1 }'
vg root pamtester -v nsjail-test root open_session close_session >/dev/null 2>&1
is "$?" "0" "root with a broken config under valgrind: goes on unjailed"
clean root "root fallback path"
conf 'min_uid = 1000
default { tmp_size = "1M" }'
# a record that names a process that is not a keeper: verified, refused (then a set is made,
# which valgrind cannot follow: only the module's own process is judged, and it must fail
# cleanly or succeed)
mkdir -p -m 0700 "$PIN/3003"
printf '%s\nstart 1\nuid 3003\nuser carol\ncreated 0\nnsdev 4\nmnt 4026531841\n' "$$" >"$PIN/3003/keeper"
vg stale pamtester -v nsjail-test carol open_session close_session >/dev/null 2>&1
clean stale "stale record path"

# --- nsjailctl --------------------------------------------------------------------------
out=$(vg ctl-list "$NSJAILCTL" list 2>&1)
is "$?" "0" "nsjailctl list under valgrind"
clean ctl-list "nsjailctl list"
vg ctl-json "$NSJAILCTL" list --json >/dev/null 2>&1
clean ctl-json "nsjailctl list --json"
vg ctl-show "$NSJAILCTL" show dave >/dev/null 2>&1
clean ctl-show "nsjailctl show"
vg ctl-policy "$NSJAILCTL" policy alice >/dev/null 2>&1
clean ctl-policy "nsjailctl policy"
vg ctl-check "$NSJAILCTL" check >/dev/null 2>&1
is "$?" "0" "nsjailctl check under valgrind"
clean ctl-check "nsjailctl check"
printf 'default {\n  bogus = 1\n  hostname = "%%q"\n}\nuser x { tmp = ramfs }\n' >$W/bad.conf
vg ctl-bad "$NSJAILCTL" check $W/bad.conf >/dev/null 2>&1
is "$?" "1" "nsjailctl check of a bad file under valgrind: exit 1"
clean ctl-bad "nsjailctl check, errors"
vg ctl-reset "$NSJAILCTL" reset dave >/dev/null 2>&1
clean ctl-reset "nsjailctl reset"
vg ctl-gc "$NSJAILCTL" gc >/dev/null 2>&1
clean ctl-gc "nsjailctl gc"

# --- the keeper: commit, idle exit as PID 1 of a PID namespace --------------------------
# The installed keeper is linked -static-pie, which memcheck cannot follow (no malloc of its
# own to replace): link the same objects dynamically for it.
keeper=$W/nsjail-keeper.dyn
if ! cc -pie -o $keeper "$NSJ_BUILD/keeper.o" "$NSJ_BUILD/libnsj.a" 2>$W/keeper-link.err; then
	keeper=$NSJ_BUILD/nsjail-keeper
	diag "could not link a dynamic keeper: $(head -n1 $W/keeper-link.err)"
fi
# valgrind is PID 1 of a fresh PID namespace and runs the keeper there (no record: nothing to
# remove); 'c' on its stdin commits it, --idle 1 ends it.
unshare --pid --fork --mount-proc valgrind -q --leak-check=full --show-leak-kinds=definite,possible \
	--errors-for-leak-kinds=definite,possible --error-exitcode=99 --log-file=$W/vg.keeper.%p \
	"$keeper" --uid 4242 --pin-dir "$PIN" --idle 1 --no-record < <(printf c; sleep 60) &
vpid=$!
for i in $(seq 150); do kill -0 "$vpid" 2>/dev/null || break; sleep 0.1; done
wait "$vpid"
is "$?" "0" "the keeper under valgrind as PID 1: committed, then ends itself after --idle 1"
clean keeper "keeper (PID 1: commit, idle, exit)"
# no commit: EOF on its stdin (the module died before recording the set) ends it at once
valgrind -q --leak-check=full --show-leak-kinds=definite,possible --errors-for-leak-kinds=definite,possible \
	--error-exitcode=99 --log-file=$W/vg.keeper2.%p "$keeper" --uid 4243 --pin-dir "$PIN" </dev/null
is "$?" "1" "the keeper under valgrind: EOF instead of a commit ends it (status 1)"
clean keeper2 "keeper (no commit)"
# committed, not PID 1: SIGTERM ends it
valgrind -q --leak-check=full --show-leak-kinds=definite,possible --errors-for-leak-kinds=definite,possible \
	--error-exitcode=99 --log-file=$W/vg.keeper3.%p "$keeper" --uid 4244 --pin-dir "$PIN" \
	< <(printf c; sleep 60) &
vpid=$!
sleep 3
kill -TERM $vpid
wait $vpid
is "$?" "0" "the keeper under valgrind, committed: SIGTERM ends it with status 0"
clean keeper3 "keeper (commit, SIGTERM)"

done_testing
