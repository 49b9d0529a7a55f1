#!/bin/bash
# bench/net.sh — what network = outbound costs (part of `make bench`; BENCH_NET=0 skips it).
# Runs inside tests/world and re-executes itself in a network namespace of its own, whose
# "outside" is a bridge holding 192.0.2.1 with a socat sink: no traffic leaves it.
#   1. first login: network = outbound against net with loopback only, and against no net;
#   2. memory per set with its provider at 100 and 1000 sets (BENCH_NET_N: the largest step);
#   3. TCP throughput to the outside, a fixed-size bulk transfer timed end to end, from a set
#      (through its slirp4netns) and from the host.
# The table goes to stdout and to $NSJ_BUILD/bench/net-report.txt.
set -euo pipefail
if [ "${NSJ_NET_WORLD:-}" != 1 ]; then
	export NSJ_NET_WORLD=1
	exec unshare --net -- bash "$0" "$@"
fi
. tests/lib.sh

BB=$NSJ_BUILD/bench
REPORT=$BB/net-report.txt
NMAX=${BENCH_NET_N:-1000}
R=${BENCH_NET_ROUNDS:-100}
MB=${BENCH_NET_MB:-512}
W=/run/world/bench-net
OUT=192.0.2.1
T0=$SECONDS
mkdir -p "$W"
renice -n -20 -p $$ >/dev/null 2>&1 || true
say() { printf 'bench-net [%3ds]: %s\n' $((SECONDS - T0)) "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }
. bench/settle.sh
calc() { awk "BEGIN { printf \"%.2f\", $* }"; }
declare -A V
g() { echo "${V[$1]:-0}"; }

# ---- the outside --------------------------------------------------------------------------------
net_outside $OUT
# The sink reads until the sender shuts its side, then answers: the sender's clock stops when
# every byte has arrived, not when the last one left its buffer.
/usr/bin/python3 bench/net-tput.py sink $OUT 7300 </dev/null >/dev/null 2>&1 &
SINK=$!
trap 'kill $SINK 2>/dev/null; reset_all' EXIT
for i in $(seq 50); do ss -Hltn | grep -q " $OUT:7300 " && break; sleep 0.1; done

# ---- users, services, configs -----------------------------------------------------------------
BASE=40000
echo "benchnet:x:$BASE:" >>/etc/group
awk -v b=$BASE -v n=$((NMAX + 3 * R + 10)) 'BEGIN { for (i = 0; i < n; i++)
	printf "bn%d:x:%d:%d:bench user:/nonexistent:/usr/sbin/nologin\n", b + i, b + i, b }' >>/etc/passwd
mkdir -p /etc/security
for k in out lo def; do
	case $k in
	out) body='namespaces = {mount, ipc, uts, pid, net}  network = outbound' ;;
	lo) body='namespaces = {mount, ipc, uts, pid, net}' ;;
	def) body='' ;;
	esac
	printf 'min_uid = 1000\ndefault { %s }\n' "$body" >/etc/security/pam_nsjail-$k.conf
	chmod 0644 /etc/security/pam_nsjail-$k.conf
	printf 'account required %s config=/etc/security/pam_nsjail-%s.conf\naccount required pam_permit.so\nsession required %s config=/etc/security/pam_nsjail-%s.conf\n' \
		"$MODULE" $k "$MODULE" $k >"$PAMD/b-$k"
done
cp /etc/security/pam_nsjail-out.conf "$CONF"
printf 'account required pam_permit.so\nsession required pam_permit.so\n' >"$PAMD/b-permit"
PB=$BB/pam-bench

settle # bench/run.sh's teardown, or an earlier run's, is freed in the background
# ---- 1. first logins ------------------------------------------------------------------------------
# Users: outbound from BASE+NMAX, loopback and no-net after them; pam_permit as a reference.
U=$((BASE + NMAX))
say "first logins: outbound, loopback, no net, pam_permit interleaved ($R each)"
out=$("$PB" -d "$PAMD" -n "$R" -w 0 "out=b-out:bn%d@$U" "lo=b-lo:bn%d@$((U + R))" \
	"def=b-def:bn%d@$((U + 2 * R))" "permit=b-permit:bn$BASE") || die "first logins"
while read -r label rest; do
	for kv in $rest; do V["first.$label.${kv%%=*}"]=${kv#*=}; done
done <<<"$out"
say "rejoins of one outbound and one loopback set ($R each, interleaved)"
out=$("$PB" -d "$PAMD" -n "$R" -w 5 "rout=b-out:bn$U" "rlo=b-lo:bn$((U + R))" "rpermit=b-permit:bn$BASE") ||
	die "rejoins"
while read -r label rest; do
	for kv in $rest; do V["first.$label.${kv%%=*}"]=${kv#*=}; done
done <<<"$out"
reset_all
for i in $(seq 100); do pgrep -x slirp4netns >/dev/null || break; sleep 0.1; done

# ---- 2. memory per set with its provider -------------------------------------------------------
meminfo() { # MemAvailable Slab Shmem KernelStack PageTables (KiB), medians of 5 readings
	local i
	for i in 1 2 3 4 5; do
		awk '/^MemAvailable:/ { a = $2 } /^Slab:/ { s = $2 } /^Shmem:/ { p = $2 }
			/^KernelStack:/ { k = $2 } /^PageTables:/ { t = $2 } END { print a, s, p, k, t }' /proc/meminfo
		sleep 0.2
	done | sort -n -k1 | sed -n 3p
}
# rollup FIELD PIDS...: mean of a /proc/PID/smaps_rollup field (KiB).
rollup() {
	local f=$1
	shift
	for p in "$@"; do cat "/proc/$p/smaps_rollup" 2>/dev/null; done |
		awk -v f="$f:" '$1 == f { s += $2; n++ } END { printf "%.0f", n ? s / n : 0 }'
}
sleep 1
read -r avail0 slab0 shm0 kstack0 ptab0 < <(meminfo)
steps=()
for n in 100 1000; do [ "$n" -le "$NMAX" ] && steps+=("$n"); done
[ ${#steps[@]} -gt 0 ] && [ "${steps[-1]}" = "$NMAX" ] || steps+=("$NMAX")
prev=0
STOP=
for n in "${steps[@]}"; do
	say "creating outbound sets $((prev + 1))..$n"
	if ! "$PB" -d "$PAMD" -n $((n - prev)) -w 0 -s "$W/create.samples" "c$n=b-out:bn%d@$((BASE + prev))" \
		>/dev/null 2>"$W/create.err"; then
		STOP="stopped before $n sets: $(head -n 1 "$W/create.err")"
		say "$STOP"
		break
	fi
	prev=$n
	sleep 1
	read -r avail slab shm kstack ptab < <(meminfo)
	mapfile -t provs < <(pgrep -x slirp4netns)
	mapfile -t keeps < <(pgrep -x nsjail-keeper)
	V[m$n.n]=${#provs[@]}
	V[m$n.avail]=$(calc "($avail0 - $avail) / $n")
	V[m$n.kern]=$(calc "(($slab - $slab0) + ($shm - $shm0) + ($kstack - $kstack0) + ($ptab - $ptab0)) / $n")
	V[m$n.prss]=$(rollup Rss "${provs[@]}")
	V[m$n.ppss]=$(rollup Pss "${provs[@]}")
	V[m$n.kpss]=$(rollup Pss "${keeps[@]}")
	V[m$n.acct]=$(calc "$(g m$n.kern) + $(g m$n.ppss) + $(g m$n.kpss)")
	V[m$n.create]=$(awk -v l="c$n" '$1 == l { print $2 }' "$W/create.samples" | sort -n |
		awk '{ a[NR] = $1 } END { printf "%.0f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
	say "  $n sets: ${V[m$n.n]} providers, RSS $(g m$n.prss) KiB, PSS $(g m$n.ppss) KiB each; accounted $(g m$n.acct) KiB/set"
done

# ---- 3. throughput -----------------------------------------------------------------------------------
TPUT=$PWD/bench/net-tput.py
user=bn$BASE
[ -e "$PIN/$BASE/keeper" ] || "$PB" -d "$PAMD" -n 1 -w 0 "one=b-out:$user" >/dev/null
say "throughput: $MB MiB to the outside, 3 times from the host and from $user's set"
for i in 1 2 3; do
	echo "host $(/usr/bin/python3 "$TPUT" send $OUT 7300 "$MB")"
	echo "set $("$NSJAILCTL" enter "$user" -- /usr/bin/python3 "$TPUT" send $OUT 7300 "$MB")"
done >"$W/tput"
med3() { awk -v k="$1" '$1 == k { print $2 }' "$W/tput" | sort -n | sed -n 2p; }
V[t.host]=$(med3 host)
V[t.set]=$(med3 set)

# ---- the report -------------------------------------------------------------------------------------
{
	echo "pam_nsjail network = outbound benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) CPUs, $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r); provider: $(slirp4netns --version | head -n 1)"
	echo "before the first figure: the machine $SETTLED"
	echo
	echo "First login, µs (a fresh forked child: pam_start + open + close + pam_end; $R each, interleaved)"
	printf '%-44s %8s %8s %8s %8s\n' case min median p90 "×permit"
	for k in permit def lo out; do
		case $k in
		permit) t="pam_permit" ;;
		def) t="pam_nsjail, namespaces without net" ;;
		lo) t="pam_nsjail, net, network = loopback" ;;
		out) t="pam_nsjail, net, network = outbound" ;;
		esac
		printf '%-44s %8.0f %8.0f %8.0f %8s\n' "$t" "$(g first.$k.min)" "$(g first.$k.med)" "$(g first.$k.p90)" \
			"$(calc "$(g first.$k.med) / $(g first.permit.med)")"
	done
	echo "outbound - loopback: $(calc "$(g first.out.med) - $(g first.lo.med)") µs per first login."
	for k in rpermit rlo rout; do
		case $k in
		rpermit) t="pam_permit (with the rejoins)" ;;
		rlo) t="rejoin, network = loopback" ;;
		rout) t="rejoin, network = outbound" ;;
		esac
		printf '%-44s %8.0f %8.0f %8.0f %8s\n' "$t" "$(g first.$k.min)" "$(g first.$k.med)" "$(g first.$k.p90)" \
			"$(calc "$(g first.$k.med) / $(g first.rpermit.med)")"
	done
	echo
	echo "Memory per outbound set, KiB. kernel: deltas of Slab+Shmem+KernelStack+PageTables since 0 sets, per"
	echo "set; RSS/PSS: means over the providers (smaps_rollup); accounted = kernel + provider PSS + keeper PSS."
	printf '%6s %10s %8s %9s %9s %10s %10s %12s %10s\n' sets providers kernel "prov RSS" "prov PSS" "keeper PSS" accounted MemAvailable "create µs"
	for n in "${steps[@]}"; do
		[ -n "${V[m$n.n]:-}" ] || continue
		printf '%6s %10s %8s %9s %9s %10s %10s %12s %10s\n' "$n" "$(g m$n.n)" "$(g m$n.kern)" "$(g m$n.prss)" \
			"$(g m$n.ppss)" "$(g m$n.kpss)" "$(g m$n.acct)" "$(g m$n.avail)" "$(g m$n.create)"
	done
	[ -z "$STOP" ] || echo "$STOP"
	echo
	echo "TCP throughput to the outside, $MB MiB, median of 3 (timed from connect to the sink's answer)"
	printf '%-30s %8s %10s\n' from seconds "MiB/s"
	printf '%-30s %8s %10s\n' "the host" "$(g t.host)" "$(calc "$MB / $(g t.host)")"
	printf '%-30s %8s %10s\n' "a set, through slirp4netns" "$(g t.set)" "$(calc "$MB / $(g t.set)")"
	echo "a set gets $(calc "$(g t.host) / $(g t.set)")× the host's throughput"
} | tee "$REPORT"
say "done; report in ${REPORT#"$PWD"/}"
