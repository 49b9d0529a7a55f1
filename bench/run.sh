#!/bin/bash
# bench/run.sh — the body of `make bench`. Runs inside tests/world (a throwaway mount+PID
# namespace with its own /run, /tmp, /etc overlay and /dev): everything it makes, users and sets
# and keepers included, ends with the world.
#
# Environment: BENCH_N (largest number of sets, default 1000; 10000 adds that step),
# BENCH_ROUNDS (samples per latency figure, default 400), BENCH_CALLGRIND=0 skips callgrind.
# The table goes to stdout and to $NSJ_BUILD/bench/report.txt.
set -euo pipefail
. tests/lib.sh

BB=$NSJ_BUILD/bench
KEEPER=${KEEPER_PATH:-/usr/libexec/pam_nsjail/nsjail-keeper}
NMAX=${BENCH_N:-1000}
R=${BENCH_ROUNDS:-400}
W=/run/world/bench
REPORT=$BB/report.txt
BASE=20000 # uid of the first bench user; user bu<uid>
mkdir -p "$W"
rm -f "$BB"/callgrind-*.txt "$REPORT" # this run's only
T0=$SECONDS
# Ahead of whatever else the machine runs (children inherit it): less noise, same work.
renice -n -20 -p $$ >/dev/null 2>&1 || true
declare -A V # V[key.field]: figures, e.g. V[n1.rejoin.med]

say() { printf 'bench [%3ds]: %s\n' $((SECONDS - T0)) "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }
. bench/settle.sh
# calc EXPR: EXPR to two decimals, rounded up (a hundredth less a rounding error of the float's):
# a figure printed as 1.10 is at most 1.10, so a goal judged on it ("≤ 1.1×") is never passed
# by rounding down.
calc() { awk "BEGIN { v = $*; printf \"%.2f\", (v >= 0 ? int(v * 100 + 1 - 1e-9) : -int(-v * 100)) / 100 }"; }
# record PREFIX: read "LABEL n=.. min=.. ..." lines on stdin into V[PREFIX.LABEL.FIELD].
record() {
	local prefix=$1 label rest kv
	while read -r label rest; do
		for kv in $rest; do V["$prefix.$label.${kv%%=*}"]=${kv#*=}; done
	done
}
# pb PREFIX ARGS...: run pam-bench, record its figures.
pb() {
	local prefix=$1 out
	shift
	out=$("$RB/pam-bench" -d "$PAMD" "$@") || die "pam-bench $* (see the messages above)"
	record "$prefix" <<<"$out"
}
# fl PREFIX [-pin] ARGS...: run floor, record its figures. -pin: on one CPU, the last (see
# mount_pairs), the samples and their references alike.
fl() {
	local prefix=$1 out pin=()
	shift
	[ "$1" = -pin ] && shift && pin=(taskset -c "$(($(nproc) - 1))")
	out=$("${pin[@]}" "$RB/floor" "$@") || die "floor $*"
	record "$prefix" <<<"$out"
}
# sstats FILE LABEL: the same figures from a samples file ("LABEL in whole cpu flt" lines).
med_of() { sort -n | awk '{ a[NR] = $1 } END { print NR == 0 ? 0 : NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
sstats() {
	local wm cm fm
	wm=$(awk -v l="$2" '$1 == l { print $3 }' "$1" | med_of)
	cm=$(awk -v l="$2" '$1 == l { print $4 }' "$1" | med_of)
	fm=$(awk -v l="$2" '$1 == l { print $5 }' "$1" | med_of)
	awk -v l="$2" '$1 == l { print $2 }' "$1" | sort -n | awk -v l="$2" -v wm="$wm" -v cm="$cm" -v fm="$fm" '
		{ a[NR] = $1; s += $1 }
		END {
			n = NR; if (n == 0) { print l, "n=0 min=0 med=0 p90=0 mean=0 wmed=0 cpu=0 flt=0"; exit }
			k = int(0.9 * n + 0.999999); if (k < 1) k = 1
			med = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
			printf "%s n=%d min=%.1f med=%.1f p90=%.1f mean=%.1f wmed=%.1f cpu=%.1f flt=%d\n", l, n, a[1], med, a[k], s / n, wm, cm, fm
		}'
}
# meminfo: MemAvailable Slab Shmem KernelStack PageTables (KiB), each the median of 5 readings.
meminfo() {
	local i
	for i in 1 2 3 4 5; do
		awk '/^MemAvailable:/ { a = $2 } /^Slab:/ { s = $2 } /^Shmem:/ { p = $2 }
			/^KernelStack:/ { k = $2 } /^PageTables:/ { t = $2 } END { print a, s, p, k, t }' /proc/meminfo
		sleep 0.2
	done | awk '{ for (i = 1; i <= NF; i++) v[i, NR] = $i }
		END {
			for (i = 1; i <= 5; i++) {
				for (r = 1; r <= NR; r++) x[r] = v[i, r]
				for (a = 2; a <= NR; a++) { t = x[a]; b = a - 1; while (b > 0 && x[b] > t) { x[b + 1] = x[b]; b-- } x[b + 1] = t }
				printf "%s%s", x[int((NR + 1) / 2)], i < 5 ? " " : "\n"
			}
		}'
}
keepers() { for d in "$PIN"/*/keeper; do head -n1 "$d"; done; }
# newest_keeper PID: whether no recorded keeper started after PID (/proc/PID/stat's starttime).
newest_keeper() {
	local t
	t=$(awk '{ print $22 }' "/proc/$1/stat") || return 1
	keepers | sed 's|.*|/proc/&/stat|' | xargs awk -v t="$t" '$22 > t { bad = 1 } END { exit bad }'
}
pss_avg() { # mean Pss (KiB) of every recorded keeper
	keepers | while read -r p; do cat "/proc/$p/smaps_rollup" 2>/dev/null; done |
		awk '/^Pss:/ { s += $2; n++ } END { printf "%.0f", n ? s / n : 0 }'
}
# A time in µs for the table: one decimal below 100.
us() { awk -v x="$1" 'BEGIN { printf (x < 100 ? "%.1f" : "%.0f"), x }'; }
g() { echo "${V[$1]:-0}"; }
# PASS/MISS of figure $1 against goal $2 (at most). n/a: no figure. A difference of two medians
# (the account line's share) can come out below zero: a cost too small to see, within the goal.
verdict() { awk -v x="$1" -v g="$2" 'BEGIN { print (x !~ /^-?[0-9.]+$/ || x == 0 ? "n/a" : x + 0 <= g + 0 ? "PASS" : "MISS") }'; }

# ---- host mount events (propagation_paths) ---------------------------------------------------
# The host's cost of one mount(2) + umount(2) of a tmpfs (bench/floor.c mountpair), outside the
# propagation paths (on /srv, a directory of "/", or else the world's /run) and under one
# (/home), at 0 sets and at each scale step. Outside, the kernel copies the event into no set;
# under a propagation path, into every set: that one grows by design.
MP_OUT=/srv
if [ ! -d /srv ] || [ -L /srv ]; then MP_OUT=$W/mnt-out; mkdir -p "$MP_OUT"; fi
MP_IN=/home/bench-mnt
mkdir -p "$MP_IN"
# Meanwhile a SCHED_IDLE spinner on every CPU keeps the CPUs from halting, and gives way to
# anything else at once: on a VM, a umount's RCU synchronisation waits for a halted vCPU to be
# woken by the hypervisor (here ~280 µs more per pair whenever the other vCPU was idle, 80 against
# 360 µs with it busy), which came and went from one step to the next and hid the per-set cost.
# With them, on this VM, the pair costs ~48 µs on one vCPU and ~78 µs on the other, and which is
# which changes from one minute to the next, sets or none: a step's median was the one or the
# other. So floor runs on one CPU, and each sample is followed by the same pair in a private mount
# namespace of floor's own (-r: V[PREFIX.mout.mountpairref.*]), where nothing propagates
# whatever the number of sets, and which moves with the machine (each sample and its reference
# in the same mode at 96-100 % of the samples; their ratio 1.01-1.06 in batches that jumped).
# The goal is judged on the median of the per-sample ratios (mountpairnorm), the growth per set
# under /home on the median of the per-sample excesses over the reference (mountpairexcess).
mount_pairs() { # PREFIX: V[PREFIX.mout.mountpair.*] and V[PREFIX.min.mountpair.*]
	local spin=() i
	for i in $(seq "$(nproc)"); do
		chrt --idle 0 sh -c 'while :; do :; done' &
		spin+=($!)
	done
	fl "$1.mout" -pin mountpair -d "$MP_OUT" -r -n "$R"
	fl "$1.min" -pin mountpair -d "$MP_IN" -r -n $((R / 4))
	kill "${spin[@]}"
	wait "${spin[@]}" 2>/dev/null || true
}
# ---- the NSS cache case: nscd in the world ----------------------------------------------------
# With accounts in /etc/passwd, glibc's files source reads the file line by line at every look-up
# (sshd's, pam_unix's and this module's alike): the newest set's user is the last line. A node
# with many accounts runs a cache for that: nscd (or SSSD). At each step the rejoins are measured
# again with Debian's nscd running in the world (its socket and databases in the world's /run;
# /etc/nscd.conf in the world's /etc), then it is stopped, so that every other figure is files'.
NSCD=$(command -v nscd || true)
nscd_on() {
	mkdir -p /run/nscd
	cat >/etc/nscd.conf <<-'EOC'
	# bench/run.sh: passwd and group cached, nothing written outside the world's /run
	enable-cache passwd yes
	positive-time-to-live passwd 3600
	persistent passwd no
	shared passwd yes
	enable-cache group yes
	positive-time-to-live group 3600
	persistent group no
	shared group yes
	enable-cache hosts no
	enable-cache services no
	enable-cache netgroup no
	EOC
	"$NSCD" || die "nscd did not start"
	for _ in $(seq 50); do [ -S /run/nscd/socket ] && break; sleep 0.1; done
	[ -S /run/nscd/socket ] || die "nscd has no socket"
	getent passwd "$U1" >/dev/null
}
nscd_off() {
	"$NSCD" -K 2>/dev/null || true
	for _ in $(seq 50); do [ -S /run/nscd/socket ] || break; sleep 0.1; done
	pkill -x nscd 2>/dev/null || true
	rm -rf /run/nscd
}
# ---- the NSS database case: libnss-db in the world --------------------------------------------
# The other way to a flat look-up, with no daemon: Debian's libnss-db, NSS `passwd: db files`,
# reads a Berkeley DB of /etc/passwd made by the package's Makefile (`make -C /var/lib/misc`, as an
# administrator runs after each change of the file). At each step the rejoins are measured again
# with it; its database is on a tmpfs of the world's own over /var/lib/misc.
NSSDB=$([ -f /var/lib/misc/Makefile ] && command -v makedb || true)
nssdb_make() {
	cp /var/lib/misc/Makefile "$W/nssdb.mk"
	mount -t tmpfs -o mode=0755 world-nssdb /var/lib/misc
	make -s -f "$W/nssdb.mk" /var/lib/misc/passwd.db >/dev/null || die "libnss-db: make passwd.db"
	cp -a /etc/nsswitch.conf "$W/nsswitch.files"
}
nssdb_on() {
	sed 's/^passwd:.*/passwd:         db files/' "$W/nsswitch.files" >/etc/nsswitch.conf
	[ "$(getent passwd "$U1" | cut -d: -f3)" = "$BASE" ] || die "libnss-db: $U1 not found"
}
nssdb_off() { cp "$W/nsswitch.files" /etc/nsswitch.conf; }
# nss_rejoins PREFIX SOURCE: at step n, the two rejoins again with SOURCE (nscd, nssdb) on.
nss_rejoins() {
	"$2_on"
	pb "$1$n" -n "$R" -w 10 permit=b-permit:$U1 rejoin=b-nsjail:$U1 newest=b-nsjail:bu$((BASE + n - 1))
	"$2_off"
}
# nss_goals PREFIX LABEL TOP: the scale goals of those rejoins.
nss_goals() {
	goal "  with $2: rejoin of set #1 at $3 sets ≤ 1.1× at 1 set" "$(calc "$(g $1$3.rejoin.med) / $(g ${1}1.rejoin.med)")" 1.1
	goal "  with $2: the newest set at $3 sets ≤ 1.1× at 1 set" "$(calc "$(g $1$3.newest.med) / $(g ${1}1.newest.med)")" 1.1
	alt $1$3.newest ${1}1.newest $1$3.permit ${1}1.permit
}
# nss_ratio PREFIX LABEL: the rejoin at 1 set over pam_permit, against the 1.5× goal.
nss_ratio() {
	local r
	r=$(calc "$(g ${1}1.rejoin.med) / $(g ${1}1.permit.med)")
	printf '  %-52s %10s  %s\n' "  $2" "${r}×" "$(verdict "$r" 1.5)"
}
# nss_table PREFIX: their figures at every step.
nss_table() {
	printf '%6s %15s %5s %15s %5s %7s\n' sets rejoin "×@1" newest "×@1" permit
	for n in "${cps[@]}"; do
		printf '%6s %15s %5s %15s %5s %7s\n' "$n" \
			"$(us "$(g $1$n.rejoin.med)") [$(us "$(g $1$n.rejoin.p90)")]" "$(calc "$(g $1$n.rejoin.med) / $(g ${1}1.rejoin.med)")" \
			"$(us "$(g $1$n.newest.med)") [$(us "$(g $1$n.newest.p90)")]" "$(calc "$(g $1$n.newest.med) / $(g ${1}1.newest.med)")" \
			"$(us "$(g $1$n.permit.med)")"
	done
}
# mount_norm N: at N sets, the pair outside over its reference, against the same at 0 sets.
mount_norm() {
	calc "$(g n$1.mout.mountpairnorm.med) / $(g n0.mout.mountpairnorm.med)"
}
# mount_per_set N: what each set adds to a pair under /home: its excess over the reference,
# at N sets against 0, per set.
mount_per_set() {
	calc "($(g n$1.min.mountpairexcess.med) - $(g n0.min.mountpairexcess.med)) / $1"
}
# mount_table: the report's rows for the host mount events.
mount_table() {
	echo "Host mount events, µs: one mount(2) + umount(2) of a tmpfs by the host (bench/floor.c), outside"
	echo "the propagation paths ($MP_OUT) and under one ($MP_IN): ×@0 over the figure with no set;"
	echo "ref: the same pair right after each, in a private mount namespace (nothing propagates there);"
	echo "norm: ×@0 of the median of each pair over its ref; µs per set: the growth of the median of"
	echo "each pair's excess over its ref."
	printf '%6s %17s %6s %7s %6s %17s %6s %12s\n' sets "outside" "×@0" "ref" "norm" "under /home" "×@0" "µs per set"
	for n in 0 "${cps[@]}"; do
		printf '%6s %17s %6s %7s %6s %17s %6s %12s\n' "$n" \
			"$(us "$(g n$n.mout.mountpair.med)") [$(us "$(g n$n.mout.mountpair.p90)")]" \
			"$(calc "$(g n$n.mout.mountpair.med) / $(g n0.mout.mountpair.med)")" \
			"$(us "$(g n$n.mout.mountpairref.med)")" "$(mount_norm "$n")" \
			"$(us "$(g n$n.min.mountpair.med)") [$(us "$(g n$n.min.mountpair.p90)")]" \
			"$(calc "$(g n$n.min.mountpair.med) / $(g n0.min.mountpair.med)")" \
			"$([ "$n" = 0 ] && echo - || mount_per_set "$n")"
	done
}
# list_time KEY: the median of 5 runs of `nsjailctl list` (every set verified and its processes
# counted), in µs, into V[KEY.list]; its output must have a row per set.
list_time() {
	local i t0 rows samples=()
	for i in 1 2 3 4 5; do
		t0=$(date +%s%N)
		rows=$("$NSJAILCTL" list | wc -l)
		samples+=($((($(date +%s%N) - t0) / 1000)))
	done
	[ "$rows" = $(($(ls "$PIN" | wc -l) + 1)) ] || die "nsjailctl list: $rows lines for $(ls "$PIN" | wc -l) sets"
	V[$1.list]=$(printf '%s\n' "${samples[@]}" | sort -n | sed -n 3p)
}
# list_table: the report's rows for nsjailctl list; per set: what each set beyond the first adds
# (the program's start and config load are most of a list of one set).
list_table() {
	echo "nsjailctl list (every set's keeper verified, its processes counted), median of 5 runs;"
	echo "per set: (ms at N - ms at 1) / (N - 1), what each set beyond the first adds."
	printf '%6s %12s %12s\n' sets "ms" "µs per set"
	for n in "${cps[@]}"; do
		printf '%6s %12s %12s\n' "$n" "$(calc "$(g n$n.list) / 1000")" \
			"$([ "$n" = 1 ] && echo - || calc "($(g n$n.list) - $(g n1.list)) / ($n - 1)")"
	done
}
# scale_goals: the goals at the largest step (BENCH_N=10000 in the documented run) against 1 set.
scale_goals() {
	local top=$NTOP r
	awk '$1 ~ /^c/ { c[++nc] = $0 } $1 ~ /^p/ { p[++np] = $0 }
		END { for (i = (nc > 100 ? nc - 99 : 1); i <= nc; i++) { split(c[i], f, " "); print "last", f[2], f[3], f[4], f[5] }
		      for (i = (np > 100 ? np - 99 : 1); i <= np; i++) { split(p[i], f, " "); print "lpermit", f[2], f[3], f[4], f[5] } }' \
		"$W/create.samples" >"$W/last.samples"
	record last < <(sstats "$W/last.samples" last; sstats "$W/last.samples" lpermit)
	goal() { printf '  %-52s %10s  %s\n' "$1" "$2×" "$(verdict "$2" "$3")"; }
	# cpu: the same ratio of the logins' CPU time; norm: of their ratios to the pam_permit
	# sessions interleaved with them. Neither is inflated by waiting for a busy machine's CPUs.
	alt() { printf '  %s\n' "  (cpu $(calc "$(g "$1.cpu") / $(g "$2.cpu")")×, norm $(calc "($(g "$1.med") / $(g "$3.med")) / ($(g "$2.med") / $(g "$4.med"))")×)"; }
	goal "rejoin of set #1 at $top sets ≤ 1.1× at 1 set" "$(calc "$(g n$top.rejoin.med) / $(g n1.rejoin.med)")" 1.1
	alt n$top.rejoin n1.rejoin n$top.permit n1.permit
	goal "rejoin of the newest set, $((top + QN)) sets ≤ 1.1× at 1 set (same line)" "$(calc "$(g qnew.newest.med) / $(g n1.newest.med)")" 1.1
	alt qnew.newest n1.newest qnew.permit n1.permit
	printf '  %-52s %10s\n' "  (over set #1's rejoin, interleaved with it:" "$(calc "$(g qnew.newest.med) / $(g qnew.rejoin.med)")×)"
	goal "  set $top, the newest of $top (user at the end of /etc/passwd)" "$(calc "$(g n$top.newest.med) / $(g n1.newest.med)")" 1.1
	alt n$top.newest n1.newest n$top.permit n1.permit
	if [ -n "$NSCD" ]; then
		nss_goals c nscd "$top"
		goal "  with nscd: first login, sets $((top + QN + 1))-$((top + QN + NX)) ≤ 1.1× sets 1-$first_n" "$(calc "$(g cfirst.first.med) / $(g first.first.med)")" 1.1
		alt cfirst.first first.first cfirst.permit first.fpermit
	fi
	[ -z "$NSSDB" ] || nss_goals d libnss-db "$top"
	goal "first login, sets $((top + 1))-$((top + QN)) ≤ 1.1× sets 1-$first_n (same lines)" "$(calc "$(g qfirst.first.med) / $(g first.first.med)")" 1.1
	alt qfirst.first first.first qfirst.permit first.fpermit
	r=$(calc "$(g last.last.med) / $(g first.first.med)")
	goal "  sets $((top > 100 ? top - 99 : 1))-$top (users at the end of /etc/passwd)" "$r" 1.1
	alt last.last first.first last.lpermit first.fpermit
	goal "host unshare(CLONE_NEWNS) at $top sets ≤ 1.1× at 1 set" "$(calc "$(g n$top.unshare.med) / $(g n1.unshare.med)")" 1.1
	# The kernel's share: an unshare from floor's private copy of the same mounts, interleaved.
	printf '  %-52s %10s\n' "  (from a private copy of the host's mounts:" \
		"$(calc "$(g n$top.unshareref.med) / $(g n1.unshareref.med)")×;"
	printf '  %-52s %10s\n' "   the host's over that copy's, sample by sample:" \
		"$(calc "$(g n$top.unsharenorm.med) / $(g n1.unsharenorm.med)")×)"
	goal "host mount+umount outside, $top sets ≤ 1.1× at 0 (norm)" "$(mount_norm "$top")" 1.1
	# The raw medians as well: on a VM they jump between two modes from one batch to the next
	# (see mount_pairs), which the reference follows.
	printf '  %-52s %10s\n' "  (medians: $(us "$(g n0.mout.mountpair.med)") -> $(us "$(g n$top.mout.mountpair.med)") µs," \
		"$(calc "$(g n$top.mout.mountpair.med) / $(g n0.mout.mountpair.med)")×)"
	printf '  %-52s %10s\n' "  (minimum: $(us "$(g n0.mout.mountpair.min)") -> $(us "$(g n$top.mout.mountpair.min)") µs," \
		"$(calc "$(g n$top.mout.mountpair.min) / $(g n0.mout.mountpair.min)")×)"
	printf '  %-52s %10s\n' "  (under /home: $(calc "$(g n$top.min.mountpair.med) / $(g n0.min.mountpair.med)")× at $top sets, by design:" \
		"$(mount_per_set "$top") µs/set)"
	printf '  %-52s %10s  %s\n' "memory per set ≤ 200 KiB (accounted, $top sets)" "$mem_set KiB" "$(verdict "$mem_set" 200)"
	r=$([ "$top" -gt 1 ] && calc "($(g n$top.list) - $(g n1.list)) / ($top - 1)" || echo -)
	printf '  %-52s %10s  %s\n' "nsjailctl list at $top sets ≤ 100 µs per set (beyond 1)" "$r µs" "$(verdict "$r" 100)"
}

# ---- the world: users, services, configs ---------------------------------------------------
say "setting up $NMAX bench users, PAM services and configs (rounds per figure: $R)"
# Private copies: a rebuild of the tree while the bench runs must not swap the module under it.
mkdir -p "$W/bin"
cp "$MODULE" "$NSJAILCTL" "$BB/pam-bench" "$BB/floor" "$BB/cg-shim.so" "$W/bin/"
MODULE=$W/bin/pam_nsjail.so
NSJAILCTL=$W/bin/nsjailctl
RB=$W/bin
echo "bench:x:$BASE:" >>/etc/group
# NX more users than sets: the first logins with nscd at the largest step (below). And QN users
# bq<QB..QB+QN-1> whose lines are between those of sets 1..QN, in reverse (bu<BASE>, bq<QB+QN-1>,
# bu<BASE+1>, bq<QB+QN-2>, ...): their first logins at the largest step cost what those of sets
# 1..QN cost in the user look-up (files reads /etc/passwd up to the user's line), so that what the
# sets add is all they show; and the last of them, the newest set, has the line after user #1's,
# so that its rejoin does the look-up of the newest set at 1 set (user #1's).
NX=100
QB=19000
QN=$((NMAX < NX ? NMAX : NX)) # as many as the first logins they are measured against
QL=bq$((QB + QN - 1))         # the user of the newest set at the largest step
awk -v b=$BASE -v n=$((NMAX + NX)) -v q=$QB -v qn=$QN 'BEGIN { for (i = 0; i < n; i++) {
	printf "bu%d:x:%d:%d:bench user:/nonexistent:/usr/sbin/nologin\n", b + i, b + i, b
	if (i < qn) printf "bq%d:x:%d:%d:bench user:/nonexistent:/usr/sbin/nologin\n", q + qn - 1 - i, q + qn - 1 - i, b } }' >>/etc/passwd
U1=bu$BASE
[ -z "$NSSDB" ] || nssdb_make
conf "$(cat conf/pam_nsjail.conf)" # the shipped defaults
NPCONF=/etc/security/pam_nsjail-np.conf
printf 'default { persist = false }\n' >"$NPCONF"
chmod 0644 "$NPCONF"
# Every login runs the account phase first (pam-bench), as sshd, su and sudo do: pam_nsjail's
# own account line where the module is used, as pam-auth-update installs it (common-account ends
# with pam_permit: a stack of nothing but PAM_IGNORE fails).
printf 'account required pam_permit.so\nsession required pam_permit.so\n' >"$PAMD/b-permit"
printf 'account required %s\naccount required pam_permit.so\nsession required %s\n' "$MODULE" "$MODULE" >"$PAMD/b-nsjail"
printf 'account required pam_permit.so\nsession required %s\n' "$MODULE" >"$PAMD/b-nsjail-noacct"
printf 'account required %s config=%s\naccount required pam_permit.so\nsession required %s config=%s\n' "$MODULE" "$NPCONF" "$MODULE" "$NPCONF" >"$PAMD/b-nsjail-np"
printf 'account required pam_permit.so\nsession required pam_namespace.so\n' >"$PAMD/b-ns"
printf 'account required pam_permit.so\nsession required pam_unix.so\n' >"$PAMD/b-unix"
install -d -m 000 /run/world/tmp-inst # instance parent (unused by the tmpfs method, but checked)
# The host's mounts but those at and under the propagation paths (their own mount points are
# made once, at the first login, recursively).
host_mounts() { awk '$5 !~ "^/(home|media|mnt|net|run/media|run/user)(/|$)"' /proc/self/mountinfo | wc -l; }
mounts0=$(host_mounts)

# ---- no sets yet: the baselines and the floor ----------------------------------------------
settle
SETTLED0=$SETTLED
# The host's own figures first, before any session has made (and left the kernel to free) a
# namespace: the mount namespaces of ended sessions are freed after an RCU grace period, in
# work items, and a host mount(2) or unshare(2) measured meanwhile pays for some of it.
say "floor: unshare(CLONE_NEWNS) with no set"
fl n0 -pin unshare -r -n "$R"
say "floor: a host mount(2) + umount(2) outside and under the propagation paths, no set"
mount_pairs n0
say "pam_namespace, tmpfs /tmp, noinit (interleaved with pam_permit)"
echo '/tmp /run/world/tmp-inst/ tmpfs:noinit:mntopts=size=512M root,adm' >/etc/security/namespace.conf
pb ns0 -n "$R" -w 10 permit=b-permit:$U1 ns=b-ns:$U1
say "pam_namespace, tmpfs /tmp, with /etc/security/namespace.init"
echo '/tmp /run/world/tmp-inst/ tmpfs:mntopts=size=512M root,adm' >/etc/security/namespace.conf
pb ns1 -n $((R / 2)) -w 5 permit=b-permit:$U1 ns=b-ns:$U1
say "pam_nsjail first login with persist=false (a set made and torn down per session)"
pb np -n $((R / 4)) -w 5 permit=b-permit:$U1 np=b-nsjail-np:$U1
[ "$(host_mounts)" = "$mounts0" ] || die "a session left a mount in the host's namespace"
[ -z "$(ls -A "$PIN" 2>/dev/null)" ] || die "persist=false left a record behind"
say "floor: clone(4 namespaces) + mounts + hostname + exec of the keeper"
sleep 2 # the persist=false sets' namespaces are freed in the background: not on the floor's clock
fl floor create -k "$KEEPER" -n $((R / 4))
V[n0.bg]=$(busy_cpus 2)
read -r avail0 slab0 shm0 kstack0 ptab0 < <(meminfo)

# callgrind_annotate FILE FUNC: inclusive Ir of the first entry for FUNC.
cg_fn() {
	awk -v f="$2" '{ for (i = 2; i <= NF; i++) if ($i ~ (":" f "$")) { gsub(",", "", $1); print $1; exit } }' "$1"
}
cg_total() { awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }' "$1"; }
# callgrind LABEL SERVICE USER: one session in-process under callgrind (pam-bench -1).
callgrind() {
	local label=$1 svc=$2 user=$3 k pre=()
	if [ "$svc" = b-nsjail ] || [ "$svc" = b-nsjail-noacct ]; then
		# valgrind 3.19 answers ENOSYS to pidfd_open/pidfd_send_signal: bench/cg-shim.c
		k=$(keeper_pid "$user")
		pre=("$RB/floor" withpidfd "$k" env "LD_PRELOAD=$RB/cg-shim.so")
	fi
	"${pre[@]}" valgrind --tool=callgrind --callgrind-out-file="$W/cg.$label" \
		"$RB/pam-bench" -1 -d "$PAMD" "$svc" "$user" >"$W/cg.$label.log" 2>&1 ||
		die "callgrind $label: $(tail -n 3 "$W/cg.$label.log")"
	callgrind_annotate --inclusive=yes --threshold=100 "$W/cg.$label" >"$W/cg.$label.txt" 2>/dev/null
	cp "$W/cg.$label.txt" "$BB/callgrind-$label.txt"
	V[cg.$label.total]=$(cg_total "$W/cg.$label.txt")
	for f in pam_sm_open_session pam_sm_acct_mgmt pam_start_confdir nsj_user_lookup getgrouplist nsj_config_load_cached \
		nsj_session_open; do
		V[cg.$label.$f]=$(cg_fn "$W/cg.$label.txt" "$f")
	done
}
# syscalls LABEL SERVICE USER: system calls of one whole in-process session (strace -c).
syscalls() {
	strace -c -o "$W/sc.$1" "$RB/pam-bench" -1 -d "$PAMD" "$2" "$3" >/dev/null 2>&1 || die "strace $1"
	V[sc.$1]=$(awk '$NF == "total" { print $4 }' "$W/sc.$1")
}
CG=no
SC=no
if [ "${BENCH_CALLGRIND:-1}" != 0 ] && command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
	CG=yes
fi
command -v strace >/dev/null && SC=yes
# counts LABEL: the stable figures of a rejoin of user #1 (and at 1 set, of pam_permit): Ir and
# system calls. Fails when the counted session did anything but rejoin.
counts() {
	: >"$NSJ_LOG"
	if [ "$SC" = yes ]; then
		[ "$1" = rejoin1 ] && syscalls permit b-permit "$U1"
		syscalls "$1" b-nsjail "$U1"
	fi
	if [ "$CG" = yes ]; then
		if [ "$1" = rejoin1 ]; then
			callgrind permit b-permit "$U1"
			callgrind rejoin1b b-nsjail "$U1" # the same once more: how stable the count is
			callgrind noacct b-nsjail-noacct "$U1" # without the account line
		fi
		callgrind "$1" b-nsjail "$U1"
	fi
	log_sync
	! grep -q 'action=\(created\|repaired\|failed\)' "$NSJ_LOG" || die "a counted session did not rejoin: $(grep pam_nsjail "$NSJ_LOG" | tail -n 1)"
}

# ---- scale: 1, 10, 100, 1000 (10000) sets ---------------------------------------------------
cps=()
for n in 1 10 100 1000 10000; do [ "$n" -le "$NMAX" ] && cps+=("$n"); done
[ "${cps[-1]}" = "$NMAX" ] || cps+=("$NMAX")
prev=0
for n in "${cps[@]}"; do
	say "creating sets $((prev + 1))..$n (first logins, interleaved with pam_permit)"
	"$RB/pam-bench" -d "$PAMD" -n $((n - prev)) -b $((BASE + prev)) -s "$W/create.samples" \
		"c$n=b-nsjail:bu%d" "p$n=b-permit:$U1" >/dev/null || die "first logins $((prev + 1))..$n"
	record "n$n" < <(sstats "$W/create.samples" "c$n"; sstats "$W/create.samples" "p$n")
	say "  first logins: median $(us "$(g n$n.c$n.med)") µs (cpu $(us "$(g n$n.c$n.cpu)")), pam_permit $(us "$(g n$n.p$n.med)") µs"
	have=$(ls "$PIN" | wc -l)
	[ "$have" = "$n" ] || die "$have sets recorded, $n expected"
	prev=$n
	: >"$NSJ_LOG" # the log is on a tmpfs: keep it out of the memory figures
	V[n$n.bg]=$(busy_cpus 2) # and what the machine does meanwhile without the bench
	read -r avail slab shm kstack ptab < <(meminfo)
	V[n$n.mem.avail]=$(calc "($avail0 - $avail) / $n")
	V[n$n.mem.slab]=$(calc "($slab - $slab0) / $n")
	V[n$n.mem.shm]=$(calc "($shm - $shm0) / $n")
	V[n$n.mem.kstack]=$(calc "($kstack - $kstack0) / $n")
	V[n$n.mem.ptab]=$(calc "($ptab - $ptab0) / $n")
	V[n$n.mem.pss]=$(pss_avg)
	V[n$n.mem.acct]=$(calc "$(g n$n.mem.slab) + $(g n$n.mem.shm) + $(g n$n.mem.kstack) + $(g n$n.mem.ptab) + $(g n$n.mem.pss)")
	say "at $n sets: rejoin (user #1 and the newest, interleaved with pam_permit), floor join, unshare"
	pb "n$n" -n "$R" -w 10 permit=b-permit:$U1 rejoin=b-nsjail:$U1 newest=b-nsjail:bu$((BASE + n - 1))
	k1=$(keeper_pid "$U1")
	fl "n$n" join -p "$k1" -n "$R"
	[ "$n" = 1 ] && fl n1 joinproc -p "$k1" -n "$R"
	if [ "$n" = 1 ]; then
		# What the config cache saves: the same rejoin with the cache directory unusable (a
		# directory others may read is ignored), so that every login loads libconfuse and parses.
		say "  rejoin with the config parsed at every login (cache directory made unusable)"
		chmod 0755 /run/pam_nsjail-cache
		pb nocache -n $((R / 2)) -w 5 permit=b-permit:$U1 rejoin=b-nsjail:$U1
		chmod 0700 /run/pam_nsjail-cache
		# What the account line costs: the same rejoin with pam_permit in its place.
		say "  rejoin with and without pam_nsjail's account line"
		pb acct -n "$R" -w 10 permit=b-permit:$U1 rejoin=b-nsjail:$U1 noacct=b-nsjail-noacct:$U1
		# For scale: Debian's pam_unix session line (in every stack: a look-up and two log
		# lines), and the rejoin in a cold child (pam-bench -c: no caller state, see there).
		say "  pam_unix's session line, and the rejoin in a cold child"
		pb ref -n "$R" -w 10 permit=b-permit:$U1 unix=b-unix:$U1 rejoin=b-nsjail:$U1
		pb cold -c -n "$R" -w 10 permit=b-permit:$U1 rejoin=b-nsjail:$U1
		# On a kernel without pidfs (before 6.9: Debian 12's own, 6.1) the record names no
		# pidfd inode, and a rejoin recognises the keeper through /proc (its stat and status,
		# four namespace links): the same rejoin with set #1's record as such a kernel writes
		# it, then put back. (/proc's cost is this kernel's.)
		say "  the rejoin with its keeper checked through /proc (the record as Linux < 6.9 writes it)"
		rec=$PIN/$(id -u "$U1")/keeper
		cp -p "$rec" "$W/keeper.rec"
		sed -i '/^pidfs /d; /^pidfsdev /d; /^boot /d' "$rec"
		pb proc -n "$R" -w 10 permit=b-permit:$U1 rejoin=b-nsjail:$U1
		cp -p "$W/keeper.rec" "$rec"
	fi
	if [ -n "$NSCD" ]; then
		say "  the same rejoins with nscd caching passwd and group"
		nss_rejoins c nscd
	fi
	if [ -n "$NSSDB" ]; then
		say "  the same rejoins with libnss-db (passwd: db files)"
		nss_rejoins d nssdb
	fi
	fl "n$n" -pin unshare -r -n "$R"
	list_time "n$n"
	mount_pairs "n$n"
	say "  host mount+umount: outside $(us "$(g n$n.mout.mountpair.med)") µs, under /home $(us "$(g n$n.min.mountpair.med)") µs"
	say "  rejoin median $(us "$(g n$n.rejoin.med)") µs, pam_permit $(us "$(g n$n.permit.med)") µs, unshare $(us "$(g n$n.unshare.med)") µs"
	V[n$n.keepers]=$(pgrep -c -x nsjail-keeper || true)
	if [ "$n" = 1 ] || [ "$n" = "$NMAX" ]; then
		say "  instruction and system-call counts of a rejoin at $n sets (callgrind, strace)"
		counts "rejoin$n"
	fi
	# Last, so that no other figure of the step sees them: NX first logins of the bq users (at
	# the lines of sets 1..NX), then NX more with nscd.
	if [ "$n" = "$NMAX" ]; then
		say "  $QN more first logins (sets $((n + 1))..$((n + QN))), users at the lines of sets 1..$QN"
		pb qfirst -n "$QN" -b $QB "first=b-nsjail:bq%d" "permit=b-permit:$U1"
		newest_keeper "$(keeper_pid "$QL")" || die "the set of $QL is not the newest"
		say "  rejoin of the newest set ($((n + QN)), user $QL at the line after user #1's) and of set #1"
		pb qnew -n "$R" -w 10 permit=b-permit:$U1 rejoin=b-nsjail:$U1 newest=b-nsjail:$QL
	fi
	if [ -n "$NSCD" ] && [ "$n" = "$NMAX" ]; then
		say "  $NX more first logins (sets $((n + QN + 1))..$((n + QN + NX))) with nscd caching passwd and group"
		nscd_on
		pb cfirst -n "$NX" -b $((BASE + n)) "first=b-nsjail:bu%d" "permit=b-permit:$U1"
		nscd_off
	fi
done
NTOP=${cps[-1]}
NGOAL=$NTOP

# ---- memory given back when every set ends (a short window: little drift from the rest of the machine)
say "tearing down every set (SIGKILL to every keeper) and measuring the memory given back"
: >"$NSJ_LOG"
sleep 1
read -r avail slab shm kstack ptab < <(meminfo)
pss_top=$(pss_avg)
NDOWN=$(keepers | wc -l) # NTOP, the QN of the bq users and the NX of the nscd first logins
keepers | xargs -r kill -KILL
for i in $(seq 100); do pgrep -x nsjail-keeper >/dev/null || break; sleep 0.1; done
pgrep -x nsjail-keeper >/dev/null && die "keepers still alive after SIGKILL"
sleep 2 # namespaces and mounts are freed after an RCU grace period and in work items
read -r avail2 slab2 shm2 kstack2 ptab2 < <(meminfo)
V[ndown.mem.avail]=$(calc "($avail2 - $avail) / $NDOWN")
V[ndown.mem.slab]=$(calc "($slab - $slab2) / $NDOWN")
V[ndown.mem.shm]=$(calc "($shm - $shm2) / $NDOWN")
V[ndown.mem.pss]=$pss_top
V[ndown.mem.kstack]=$(calc "($kstack - $kstack2) / $NDOWN")
V[ndown.mem.ptab]=$(calc "($ptab - $ptab2) / $NDOWN")
V[ndown.mem.acct]=$(calc "$(g ndown.mem.slab) + $(g ndown.mem.shm) + $(g ndown.mem.kstack) + $(g ndown.mem.ptab) + $(g ndown.mem.pss)")

# ---- group policy at a rejoin (bench/groups.sh: users, groups and sets of its own) ----------
. bench/groups.sh
settle # the teardown above is still being freed
groups_run
groups_dir_run

# ---- the report -----------------------------------------------------------------------------
# lat LABEL KEY PERMITKEY [GOAL]: one latency row; ratios against the pam_permit run with it.
lat() {
	local k=$2 p=$3 r
	r=$(calc "$(g "$k.med") / $(g "$p.med")")
	printf '%-42s %5s %7s %7s %7s %7s %7s %6s %6s %6s' "$1" "$(g "$k.n")" "$(us "$(g "$k.min")")" \
		"$(us "$(g "$k.med")")" "$(us "$(g "$k.p90")")" "$(us "$(g "$k.wmed")")" "$(us "$(g "$k.cpu")")" \
		"$(g "$k.flt")" "$r" "$(calc "$(g "$k.cpu") / $(g "$p.cpu")")"
	if [ $# -ge 4 ]; then printf '  ≤ %-4s %s\n' "$4" "$(verdict "$r" "$4")"; else echo; fi
}
mem_total=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
debian=$(cat /etc/debian_version 2>/dev/null || echo "?")
r_rejoin=$(calc "$(g n1.rejoin.med) / $(g n1.permit.med)")
first_n=$((NTOP < 100 ? NTOP : 100)) # the first logins of the goal: sets 1..100
awk -v m=$first_n '$1 ~ /^c/ && ++c <= m { print "first", $2, $3, $4, $5 }
	$1 ~ /^p/ && ++p <= m { print "fpermit", $2, $3, $4, $5 }' "$W/create.samples" >"$W/first.samples"
record first < <(sstats "$W/first.samples" first; sstats "$W/first.samples" fpermit)
r_first=$(calc "$(g first.first.med) / $(g first.fpermit.med)")
# The account line's share of a login: (rejoin with it - rejoin without) / rejoin with it.
r_acct=$(calc "100 * ($(g acct.rejoin.med) - $(g acct.noacct.med)) / $(g acct.rejoin.med)")
r_acct_cpu=$(calc "100 * ($(g acct.rejoin.cpu) - $(g acct.noacct.cpu)) / $(g acct.rejoin.cpu)")
r_rejoin_norm=$(calc "($(g n$NGOAL.rejoin.med) / $(g n$NGOAL.permit.med)) / ($(g n1.rejoin.med) / $(g n1.permit.med))")
# The goal's figure: the larger of the two accounted figures at the largest step.
mem_set=$(awk -v a="$(g n$NTOP.mem.acct)" -v b="$(g ndown.mem.acct)" 'BEGIN { printf "%.0f", (a + 0 > b + 0 ? a : b) }')

{
	echo "pam_nsjail benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) CPUs, $mem_total, kernel $(uname -r), Debian $debian; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "$R rounds per latency figure; largest scale step $NTOP sets; nice -20; run time $((SECONDS - T0)) s"
	echo "before the first figure: the machine $SETTLED0"
	echo
	echo "PAM session latency, µs: pam_start_confdir + open_session + close_session + pam_end in a fresh"
	echo "forked child. whole: fork to reaped; cpu: the child's CPU time (user + system, with the children"
	echo "it reaped), which waiting for a CPU does not inflate; faults: its minor page faults. Every case ran"
	echo "interleaved with pam_permit sessions, in an order shuffled every round; ×permit: its median over"
	echo "theirs (cpu×: the same for cpu). All figures are medians but min and p90."
	printf '%-42s %5s %7s %7s %7s %7s %7s %6s %6s %6s  %s\n' case n min median p90 whole cpu faults "×permit" "cpu×" goal
	lat "pam_permit (baseline, at 1 set)" n1.permit n1.permit
	lat "pam_nsjail rejoin (1 set)" n1.rejoin n1.permit 1.5
	lat "pam_nsjail rejoin, no config cache" nocache.rejoin nocache.permit
	lat "pam_nsjail rejoin, account line pam_permit" acct.noacct acct.permit
	lat "pam_nsjail rejoin, cold child (**)" cold.rejoin cold.permit
	lat "pam_nsjail rejoin, keeper via /proc (***)" proc.rejoin proc.permit
	[ -n "$NSCD" ] && lat "pam_nsjail rejoin, nscd caching passwd" c1.rejoin c1.permit 1.5
	[ -n "$NSSDB" ] && lat "pam_nsjail rejoin, libnss-db passwd" d1.rejoin d1.permit 1.5
	lat "pam_unix session line (Debian's)" ref.unix ref.permit
	lat "pam_nsjail first login (sets 1-$first_n)" first.first first.fpermit 8
	lat "pam_nsjail first login, persist=false (*)" np.np np.permit
	lat "pam_namespace, tmpfs /tmp, noinit" ns0.ns ns0.permit
	lat "pam_namespace, tmpfs /tmp, namespace.init" ns1.ns ns1.permit
	echo "(*) the set is made at open_session and torn down (keeper stopped, waited for) at close_session."
	echo "(**) every other row's child has looked the user up and has its syslog socket open before its"
	echo "     clock starts, as sshd, su, login and cron have when they open a session; this one has not."
	echo "(***) the record as a kernel without pidfs writes it (before 6.9: Debian 12's own 6.1): the keeper"
	echo "     recognised by its start time, owner and namespaces in /proc instead of its pidfd's inode."
	echo
	echo "Floor: the same kernel work done directly in C, µs (bench/floor.c), against the module's figure."
	printf '%-57s %5s %8s %8s %8s  %9s %13s\n' "operation" n min median p90 "ours/floor" "(ours-permit)/floor"
	printf '%-57s %5s %8s %8s %8s  %9s %13s\n' "pidfd_open + setns(pidfd, mnt|ipc|uts|pid)  vs rejoin" \
		"$(g n1.join.n)" "$(us "$(g n1.join.min)")" "$(us "$(g n1.join.med)")" "$(us "$(g n1.join.p90)")" \
		"$(calc "$(g n1.rejoin.med) / $(g n1.join.med)")" "$(calc "($(g n1.rejoin.med) - $(g n1.permit.med)) / $(g n1.join.med)")"
	printf '%-57s %5s %8s %8s %8s\n' "open 4 /proc/PID/ns files + 4 setns (pre-5.8 fallback)" \
		"$(g n1.joinproc.n)" "$(us "$(g n1.joinproc.min)")" "$(us "$(g n1.joinproc.med)")" "$(us "$(g n1.joinproc.p90)")"
	printf '%-57s %5s %8s %8s %8s  %9s %13s\n' "clone(4 ns)+rslave /+proc+tmpfs /tmp+hostname+exec keeper" \
		"$(g floor.create.n)" "$(us "$(g floor.create.min)")" "$(us "$(g floor.create.med)")" "$(us "$(g floor.create.p90)")" \
		"$(calc "$(g first.first.med) / $(g floor.create.med)")" "$(calc "($(g first.first.med) - $(g first.fpermit.med)) / $(g floor.create.med)")"
	printf '%-57s %5s %8s %8s %8s\n' "unshare(CLONE_NEWNS), no set" \
		"$(g n0.unshare.n)" "$(us "$(g n0.unshare.min)")" "$(us "$(g n0.unshare.med)")" "$(us "$(g n0.unshare.p90)")"
	echo
	echo "Scale, µs (medians; p90 in brackets). rejoin: user #1's set; newest: the last set made; ×@1: over"
	echo "the figure at 1 set; norm: the same with each rejoin divided by the pam_permit median measured"
	echo "with it; cpu: the same for the rejoin's CPU time. unshare(NS): the host's unshare(CLONE_NEWNS);"
	echo "ref×@1: ×@1 of an unshare right after each from a private copy of the same mounts, which shares"
	echo "nothing with a set: what the kernel's own state adds (every mount namespace on the machine)."
	echo "bg: the CPUs the machine kept busy (kernel threads included) while the bench slept 2 s at"
	echo "that step (at 0 sets: $(g n0.bg))."
	printf '%6s %15s %15s %5s %5s %5s %15s %7s %13s %5s %5s %6s %5s\n' sets "create" "rejoin" "×@1" "norm" "cpu" newest permit \
		"unshare(NS)" "×@1" "×@0" "ref×@1" bg
	for n in "${cps[@]}"; do
		printf '%6s %15s %15s %5s %5s %5s %15s %7s %13s %5s %5s %6s %5s\n' "$n" \
			"$(us "$(g n$n.c$n.med)") [$(us "$(g n$n.c$n.p90)")]" \
			"$(us "$(g n$n.rejoin.med)") [$(us "$(g n$n.rejoin.p90)")]" \
			"$(calc "$(g n$n.rejoin.med) / $(g n1.rejoin.med)")" \
			"$(calc "($(g n$n.rejoin.med) / $(g n$n.permit.med)) / ($(g n1.rejoin.med) / $(g n1.permit.med))")" \
			"$(calc "$(g n$n.rejoin.cpu) / $(g n1.rejoin.cpu)")" \
			"$(us "$(g n$n.newest.med)") [$(us "$(g n$n.newest.p90)")]" \
			"$(us "$(g n$n.permit.med)")" \
			"$(us "$(g n$n.unshare.med)") [$(us "$(g n$n.unshare.p90)")]" \
			"$(calc "$(g n$n.unshare.med) / $(g n1.unshare.med)")" \
			"$(calc "$(g n$n.unshare.med) / $(g n0.unshare.med)")" \
			"$(calc "$(g n$n.unshareref.med) / $(g n1.unshareref.med)")" "$(g n$n.bg)"
	done
	echo "(create at N: the first logins that took the count from the previous step to N.)"
	echo "first logins of sets $((NTOP + 1))-$((NTOP + QN)), users at the lines of sets 1-$first_n: $(us "$(g qfirst.first.med)")" \
		"[$(us "$(g qfirst.first.p90)")] µs, pam_permit $(us "$(g qfirst.permit.med)") µs (sets 1-$first_n: $(us "$(g first.first.med)") µs)"
	echo "then the rejoin of set $((NTOP + QN)), the newest, user $QL at the line after user #1's: $(us "$(g qnew.newest.med)")" \
		"[$(us "$(g qnew.newest.p90)")] µs; set #1's $(us "$(g qnew.rejoin.med)") µs, pam_permit $(us "$(g qnew.permit.med)") µs (at 1 set: $(us "$(g n1.newest.med)") µs)"
	if [ -n "$NSCD" ]; then
		echo
		echo "The same rejoins with Debian's nscd caching passwd and group (started in the world for these"
		echo "rows only): the user look-up no longer reads /etc/passwd up to the user's line."
		nss_table c
		echo "first logins of sets $((NTOP + QN + 1))-$((NTOP + QN + NX)) with nscd: $(us "$(g cfirst.first.med)") [$(us "$(g cfirst.first.p90)")] µs," \
			"pam_permit $(us "$(g cfirst.permit.med)") µs (sets 1-$first_n, files: $(us "$(g first.first.med)") µs)"
	fi
	if [ -n "$NSSDB" ]; then
		echo
		echo "The same rejoins with Debian's libnss-db (passwd: db files; the database made from /etc/passwd"
		echo "by its Makefile): a look-up by name in a hashed file, with no daemon."
		nss_table d
	fi
	echo
	mount_table
	echo
	list_table
	echo
	echo "Memory per set, KiB: deltas of /proc/meminfo (medians of 5 readings) since 0 sets, divided by the"
	echo "number of sets; the last row: what the kernel gave back when all sets were torn down at once."
	echo "Keeper PSS: /proc/PID/smaps_rollup, mean over all keepers. accounted = Slab + Shmem + KernelStack"
	echo "+ PageTables + keeper PSS: the memory a set demonstrably holds. MemAvailable covers everything"
	echo "but moves by ±100 KiB/set with whatever else the machine runs meanwhile. Steps below 100 sets"
	echo "are left out: there the rest of the machine is most of the delta."
	printf '%-18s %12s %8s %7s %11s %10s %10s %10s %8s\n' sets MemAvailable Slab Shmem KernelStack PageTables "keeper PSS" accounted keepers
	for n in "${cps[@]}" down; do
		# Below 100 sets a per-set figure is mostly the noise of the rest of the machine.
		[ "$n" = down ] || [ "$n" -ge 100 ] || [ "$n" = "$NTOP" ] || continue
		printf '%-18s %12s %8s %7s %11s %10s %10s %10s %8s\n' "$([ $n = down ] && echo "freed at teardown" || echo "$n")" \
			"$(g n$n.mem.avail)" "$(g n$n.mem.slab)" "$(g n$n.mem.shm)" "$(g n$n.mem.kstack)" \
			"$(g n$n.mem.ptab)" "$(g n$n.mem.pss)" "$(g n$n.mem.acct)" "$([ $n = down ] && echo - || g n$n.keepers)"
	done
	echo
	echo "Stable counts of one whole session in-process (pam-bench -1): callgrind's Ir (user-space"
	echo "instructions, inclusive per function) and strace's system calls. The same on any machine"
	echo "with the same binaries, so they show what the latency figures cannot on a noisy machine."
	printf '%-30s %10s %8s %10s %10s %10s %9s %9s %9s %9s\n' "" "Ir total" syscalls "acct_mgmt" "open_sess" "pam_start" "NSS user" "getgrlst" "config" "set join"
	for l in permit rejoin1 rejoin1b noacct "rejoin$NTOP"; do
		[ -n "${V[cg.$l.total]:-}${V[sc.$l]:-}" ] || continue
		case $l in
		permit) t="pam_permit session" ;;
		rejoin1b) t="  the same, again" ;;
		noacct) t="  account line pam_permit" ;;
		rejoin1) t="pam_nsjail rejoin (1 set)" ;;
		*) t="pam_nsjail rejoin (${l#rejoin} sets)" ;;
		esac
		printf '%-30s %10s %8s %10s %10s %10s %9s %9s %9s %9s\n' "$t" "${V[cg.$l.total]:--}" "${V[sc.$l]:--}" \
			"${V[cg.$l.pam_sm_acct_mgmt]:--}" "${V[cg.$l.pam_sm_open_session]:--}" "${V[cg.$l.pam_start_confdir]:--}" "${V[cg.$l.nsj_user_lookup]:--}" \
			"${V[cg.$l.getgrouplist]:--}" "${V[cg.$l.nsj_config_load_cached]:--}" "${V[cg.$l.nsj_session_open]:--}"
	done
	[ "$CG" = yes ] || echo "(callgrind skipped: valgrind not installed, or BENCH_CALLGRIND=0)"
	[ "$SC" = yes ] || echo "(system calls not counted: strace not installed)"
	if [ "$CG" = yes ]; then
		echo "rejoin / pam_permit: $(calc "$(g cg.rejoin1.total) / $(g cg.permit.total)")× the instructions, $(calc "$(g sc.rejoin1) / $(g sc.permit)")× the system calls."
		echo "(Profiles: build/bench/callgrind-*.txt. The rejoin runs preload bench/cg-shim.so: valgrind 3.19"
		echo " lacks pidfd_open/pidfd_send_signal. pam_start includes loading the module; config: reading it and its cached parse.)"
	fi
	echo
	echo "Goals"
	printf '  %-52s %10s  %s\n' "rejoin ≤ 1.5× a pam_permit session" "${r_rejoin}×" "$(verdict "$r_rejoin" 1.5)"
	[ -z "$NSCD" ] || nss_ratio c "with nscd caching passwd"
	[ -z "$NSSDB" ] || nss_ratio d "with libnss-db"
	printf '  %-52s %10s\n' "  (pam_unix's session line: $(calc "$(g ref.unix.med) / $(g ref.permit.med)")×; the rejoin with it:" "$(calc "$(g ref.rejoin.med) / $(g ref.permit.med)")×)"
	printf '  %-52s %10s  %s\n' "first login ≤ 8× a pam_permit session" "${r_first}×" "$(verdict "$r_first" 8)"
	printf '  %-52s %10s  %s\n' "account line ≤ 3 % of a rejoin (median; cpu $r_acct_cpu %)" "$r_acct %" "$(verdict "$r_acct" 3)"
	[ "$CG" = yes ] && printf '  %-52s %10s  %s\n' "  (instructions: $(($(g cg.rejoin1.total) - $(g cg.noacct.total))) Ir," \
		"$(calc "100 * ($(g cg.rejoin1.total) - $(g cg.noacct.total)) / $(g cg.rejoin1.total)") %)" "$(verdict "$(calc "100 * ($(g cg.rejoin1.total) - $(g cg.noacct.total)) / $(g cg.rejoin1.total)")" 3)"
	scale_goals
	printf '  %-52s %10s\n' "  (rejoin #1 norm ${r_rejoin_norm}×, cpu $(calc "$(g n$NGOAL.rejoin.cpu) / $(g n1.rejoin.cpu)")×; instructions at $NTOP sets:" \
		"$([ -n "${V[cg.rejoin$NTOP.total]:-}" ] && calc "$(g cg.rejoin$NTOP.total) / $(g cg.rejoin1.total)" || echo -)×)"
	echo
	groups_report
} | tee "$REPORT"
say "done; report in ${REPORT#"$PWD"/}"
