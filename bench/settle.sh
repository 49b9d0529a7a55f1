# bench/settle.sh — sourced by bench/run.sh and bench/net.sh (after their say()).

# busy_cpus SECONDS: how many CPUs the machine kept busy over SECONDS while this shell slept
# (user, nice, system, irq, softirq and steal time in /proc/stat, which counts every process and
# kernel thread, also those outside the world's PID namespace).
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
busy_cpus() {
	local a b
	a=$(busy_ticks)
	sleep "$1"
	b=$(busy_ticks)
	awk -v a="$a" -v b="$b" -v hz="$(getconf CLK_TCK)" -v s="$1" 'BEGIN { printf "%.2f", (b - a) / (hz * s) }'
}

# settle: wait, up to 120 s, until the machine is quiet before figures are taken: the kernel
# frees ended namespaces in the background (a mount namespace after an RCU grace period, a
# network namespace in a work queue, one at a time), and a run started just after another one
# (or after its own teardown of 10,000 sets) would otherwise measure that work. Quiet: less than
# a quarter of one CPU busy over 2 s. Sets SETTLED to what it saw, for the report.
settle() {
	local t0=$SECONDS busy
	while :; do
		busy=$(busy_cpus 2)
		if awk -v v="$busy" 'BEGIN { exit !(v < 0.25) }'; then
			SETTLED="quiet after $((SECONDS - t0)) s ($busy CPUs busy)"
			break
		fi
		if [ $((SECONDS - t0)) -ge 120 ]; then
			SETTLED="still $busy CPUs busy after $((SECONDS - t0)) s: the figures may be noisy"
			break
		fi
	done
	say "machine $SETTLED"
}
