#!/bin/bash
# A sanitizer build (make check SANITIZE=1) reports what it finds, in every kind of caller:
# pam_san_probe.so (tests/san-probe.c), stacked before pam_nsjail, leaks, overflows a heap
# buffer or a signed int, and each report must land in the world's report directory, where
# tests/world fails the test — in pam-harness after it has joined a set (LeakSanitizer's
# check at exit), in pamtester, in a setuid su started by a user, in nsjailctl. Then the
# deliberate reports are removed. In a normal build there is nothing to show: every test skips.
. tests/lib.sh

W=/run/world
PROBE=$NSJ_BUILD/tests/pam_san_probe.so
if [ "${NSJ_SANITIZED:-}" != 1 ]; then
	skip "not a sanitizer build (make check SANITIZE=1 runs these)"
	done_testing
fi
SAN=$NSJ_SAN_DIR
conf 'min_uid = 1000
default { tmp_size = "1M" }'

# probe_service NAME WHAT: a service with the probe (WHAT) before pam_nsjail, for pam-harness
# ($PAMD) and for pamtester and su (/etc/pam.d)
probe_service() {
	local text
	text=$(printf 'auth required pam_permit.so\naccount required pam_permit.so\nsession required %s %s\nsession required %s\n' \
		"$PROBE" "$2" "$MODULE")
	printf '%s\n' "$text" >"$PAMD/$1"
	printf '%s\n' "$text" >"/etc/pam.d/$1"
}
# reported DESC REGEX...: exactly one new report, which matches every REGEX; then it is removed
reported() {
	local desc=$1 f n text re bad=
	shift
	sleep 0.2
	n=$(find "$SAN" -type f | wc -l)
	f=$(find "$SAN" -type f | head -n1)
	text=$(cat "$f" 2>/dev/null)
	for re in "$@"; do
		[[ "$text" =~ $re ]] || bad="$bad /$re/"
	done
	if [ "$n" = 1 ] && [ -z "$bad" ]; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "$n reports; not matched:$bad"
		printf '%s\n' "$text" | head -n 20 | sed 's/^/#   /'
	fi
	find "$SAN" -type f -delete
}

# --- every program carries the runtime, with our settings first ---------------------------
is "$(cat /etc/ld.so.preload)" "$W/san-preload.so"$'\n'"$NSJ_SAN_RUNTIME" \
	"the world's /etc/ld.so.preload: san-preload.so, then the module's libasan"
sleep 5 &
sleeper=$!
like "$(grep -c libasan /proc/$sleeper/maps)" '^[1-9]' "an uninstrumented program of the world (sleep) carries the ASan runtime"
kill $sleeper
check "...written to the upper layer of the world's /etc overlay (the host's /etc is untouched)" \
	cmp -s $W/etc-up/ld.so.preload /etc/ld.so.preload

# --- LeakSanitizer in pam-harness, after it joined a set and before -----------------------
probe_service san-leak leak
out=$(SVC=san-leak as alice 'cat /proc/1/comm' 2>/dev/null)
rc=$?
is "$out:$rc" "nsjail-keeper:134" "pam-harness that joined a set and leaked: the session ran in the set, then the leak check aborted it"
reported "...LeakSanitizer reported the leak, in the probe's open_session" \
	'LeakSanitizer: detected memory leaks' '4242 byte\(s\)' 'pam_sm_open_session .*san-probe\.c'
out=$(SVC=san-leak as sysu 'echo skipped' 2>/dev/null)
is "$out:$?" "skipped:134" "pam-harness for a user left out (no set joined) that leaked: aborted at exit"
reported "...LeakSanitizer reported it" 'LeakSanitizer: detected memory leaks' '4242 byte\(s\)'
check "a set joined by a leaking session is left as it was (alice's keeper lives)" kill -0 "$(keeper_pid alice)"

# --- AddressSanitizer and UBSan in the callers ---------------------------------------------
probe_service san-overflow overflow
SVC=san-overflow as alice true 2>/dev/null
is "$?" "134" "pam-harness: a heap overflow in a module aborts the session"
reported "...AddressSanitizer reported it, in the probe" 'AddressSanitizer: heap-buffer-overflow' 'pam_sm_open_session .*san-probe\.c'
pamtester san-overflow alice open_session >/dev/null 2>&1
is "$?" "134" "pamtester (uninstrumented, runtime preloaded): a heap overflow aborts it"
reported "...AddressSanitizer reported it" 'AddressSanitizer: heap-buffer-overflow' 'pamtester'
cp /etc/pam.d/san-overflow /etc/pam.d/su
setpriv --reuid=3001 --regid=3001 --init-groups -- env -i PATH=/usr/bin:/bin su alice -c true >/dev/null 2>&1
isnt "$?" "0" "setuid su started by a user with an empty environment: a heap overflow fails it"
reported "...AddressSanitizer reported it from su (secure-execution mode keeps /etc/ld.so.preload)" \
	'AddressSanitizer: heap-buffer-overflow' 'pam_sm_open_session'
rm -f /etc/pam.d/su
probe_service san-ubsan ubsan
SVC=san-ubsan as alice true 2>/dev/null
is "$?" "134" "pam-harness: signed overflow in a module aborts the session (UBSan)"
reported "...UBSan reported it" 'runtime error: signed integer overflow' 'san-probe\.c'

# --- nsjailctl: LeakSanitizer runs at exit, also after enter joined a set -------------------
out=$("$NSJAILCTL" enter alice -- cat /proc/1/comm 2>&1)
is "$out:$?" "nsjail-keeper:0" "nsjailctl enter (joins the set; LeakSanitizer on): exits 0"
is "$(find "$SAN" -type f | wc -l)" "0" "...nothing in the report directory"

# --- a report fails the world --------------------------------------------------------------
mkdir -p $W/san-demo
printf '==1==ERROR: AddressSanitizer: heap-buffer-overflow (a demonstration)\n' >$W/san-demo/report.1
out=$(tests/san-reports $W/san-demo)
rc=$?
like "$out:$rc" '^not ok - no sanitizer report in this world: 1 found.*heap-buffer-overflow.*:1$' \
	"tests/san-reports (what tests/world runs at the end): a report gives a not ok line and exit 1"
rm -rf $W/san-demo
like "$(tests/san-reports "$SAN"):$?" '^ok - no sanitizer report in this world:0$' "...and an empty directory an ok line and exit 0"

reset_all
done_testing
