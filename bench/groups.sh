# bench/groups.sh — the group-policy case of `make bench`, sourced by bench/run.sh (which
# provides pb, record, g, us, calc, verdict, $PAMD, $MODULE, $RB, $W, $R). Runs after the
# scale steps, with sets of its own, so that its users and groups change no other figure.
#
# NSS as on a Debian 12 host (`group: files systemd`, the world's nsswitch.conf), 1000 users
# gu30000.. and 1000 groups gg0..gg999 in /etc/group (group gg<j>: members gu<30000+j>..+4,
# so every user is in 5 groups besides its primary one). Two users of the same shape rejoin
# their sets, interleaved with pam_permit: one under the shipped config (no group section),
# one under the same config with three group sections that the user is not the first match of
# (two it is not in, then one it is in): the case that enumerated every NSS source at each
# login before the sections chosen were recorded with the set (pam_nsjail/live.c).
# Then the same with the users and groups in a real directory (tests/directory.sh: slapd and
# SSSD, 1000 users du6000.. and 1000 groups dg0..dg999 of the same shape, NSS files sss, SSSD's
# cache warm: its default timeouts), against the files case.
GB=30000  # first uid of the group-case users
GN=1000   # users and groups
GCONF=/etc/security/pam_nsjail-groups.conf

groups_setup() {
	sed -i 's/^group:.*/group:          files systemd/' /etc/nsswitch.conf
	# The scale steps' users (their sets are gone by now) would put these users BENCH_N lines
	# down /etc/passwd: the case is the issue's, 1000 users and groups whatever BENCH_N is.
	sed -i '/^b[uq][0-9]*:x:/d' /etc/passwd
	awk -v b=$GB -v n=$GN 'BEGIN { for (i = 0; i < n; i++)
		printf "gu%d:x:%d:%d:group bench user:/nonexistent:/usr/sbin/nologin\n", b + i, b + i, b + i }' >>/etc/passwd
	awk -v b=$GB -v n=$GN 'BEGIN {
		for (i = 0; i < n; i++) printf "gu%d:x:%d:\n", b + i, b + i
		for (j = 0; j < n; j++) {
			m = ""
			for (k = 0; k < 5; k++) if (j + k < n) m = m (k ? "," : "") "gu" (b + j + k)
			printf "gg%d:x:%d:%s\n", j, 40000 + j, m
		}
	}' >>/etc/group
	# gu30500 is in gg496..gg500; the sections: gg10 (not his), gg999 (not his), gg500 (his).
	{
		cat conf/pam_nsjail.conf
		printf 'group "gg10"  { tmp_size = "32M" }\n'
		printf 'group "gg999" { enable = false }\n'
		printf 'group "gg500" { hostname = "g-%%u" tmp_size = "64M" }\n'
	} >"$GCONF"
	chmod 0644 "$GCONF"
	# With the module's account line, as pam-auth-update installs it (pam-bench runs the
	# account phase first, as sshd does).
	printf 'account required %s\naccount required pam_permit.so\nsession required %s\n' \
		"$MODULE" "$MODULE" >"$PAMD/b-g0"
	printf 'account required %s config=%s\naccount required pam_permit.so\nsession required %s config=%s\n' \
		"$MODULE" "$GCONF" "$MODULE" "$GCONF" >"$PAMD/b-g1"
	GU0=gu$((GB + 501)) # the same shape: in gg497..gg501
	GU1=gu$((GB + 500))
}

groups_run() {
	say "group policy: $GN users and groups in /etc/group, NSS group: files systemd"
	groups_setup
	"$RB/pam-bench" -d "$PAMD" -n 1 g0=b-g0:$GU0 g1=b-g1:$GU1 >/dev/null || die "group case: first logins"
	# A build that records no policy (before live.c) still runs the case, for comparison.
	grep -q '^policy ' "$PIN/$((GB + 500))/keeper" || say "  (this build records no policy with a set)"
	! grep -q '^policy ' "$PIN/$((GB + 500))/keeper" || grep -q '^policy [0-9a-f]* g 2$' "$PIN/$((GB + 500))/keeper" ||
		die "group case: $GU1's set is not gg500's"
	pb grp -n "$R" -w 10 permit=b-permit:$GU0 nogroup=b-g0:$GU0 group=b-g1:$GU1
	say "  rejoin, group sections $(us "$(g grp.group.med)") µs; none $(us "$(g grp.nogroup.med)") µs; pam_permit $(us "$(g grp.permit.med)") µs"
	if [ "$SC" = yes ]; then
		syscalls gnogroup b-g0 "$GU0"
		syscalls ggroup b-g1 "$GU1"
	fi
	if [ "$CG" = yes ]; then
		g_callgrind gnogroup b-g0 "$GU0"
		g_callgrind ggroup b-g1 "$GU1"
	fi
}

groups_dir_run() {
	. tests/directory.sh
	V[dir.ok]=no
	if ! dir_available; then
		say "group policy, directory: skipped (slapd or sssd not installed; tools/deps)"
		return 0
	fi
	say "group policy, directory: slapd + SSSD with $GN users and groups, SSSD's cache warm"
	DIR_CACHE=5400 DIR_MC=300 dir_start $GN || die "the directory did not start (see $DIR/*.log)"
	{
		cat conf/pam_nsjail.conf
		printf 'group "dg10"  { tmp_size = "32M" }\n'
		printf 'group "dg999" { enable = false }\n'
		printf 'group "dg500" { hostname = "d-%%u" tmp_size = "64M" }\n'
	} >"$GCONF.dir"
	chmod 0644 "$GCONF.dir"
	printf 'account required %s config=%s\naccount required pam_permit.so\nsession required %s config=%s\n' \
		"$MODULE" "$GCONF.dir" "$MODULE" "$GCONF.dir" >"$PAMD/b-d1"
	id du6500 >/dev/null && id du6501 >/dev/null || die "directory users unknown to NSS"
	"$RB/pam-bench" -d "$PAMD" -n 1 d0=b-g0:du6501 d1=b-d1:du6500 >/dev/null || die "directory case: first logins"
	! grep -q '^policy ' "$PIN/6500/keeper" || grep -q '^policy [0-9a-f]* g 2$' "$PIN/6500/keeper" ||
		die "directory case: du6500's set is not dg500's"
	pb dir -n "$R" -w 10 permit=b-permit:$GU0 files=b-g1:$GU1 dgroup=b-d1:du6500 dnogroup=b-g0:du6501
	say "  rejoin with group sections: directory $(us "$(g dir.dgroup.med)") µs, files $(us "$(g dir.files.med)") µs; pam_permit $(us "$(g dir.permit.med)") µs"
	V[dir.ok]=yes
	dir_stop
}

# g_callgrind LABEL SERVICE USER: Ir of one in-process rejoin (as callgrind() in run.sh).
g_callgrind() {
	local k
	k=$(keeper_pid "$3")
	"$RB/floor" withpidfd "$k" env "LD_PRELOAD=$RB/cg-shim.so" valgrind --tool=callgrind \
		--callgrind-out-file="$W/cg.$1" "$RB/pam-bench" -1 -d "$PAMD" "$2" "$3" >"$W/cg.$1.log" 2>&1 ||
		die "callgrind $1: $(tail -n 3 "$W/cg.$1.log")"
	callgrind_annotate --inclusive=yes --threshold=100 "$W/cg.$1" >"$W/cg.$1.txt" 2>/dev/null
	cp "$W/cg.$1.txt" "$BB/callgrind-$1.txt"
	V[cg.$1.total]=$(cg_total "$W/cg.$1.txt")
	V[cg.$1.getgrouplist]=$(cg_fn "$W/cg.$1.txt" getgrouplist)
}

groups_report() {
	local r1 r2 r0
	r1=$(calc "$(g grp.group.med) / $(g grp.nogroup.med)")
	r2=$(calc "$(g grp.group.med) / $(g grp.permit.med)")
	r0=$(calc "$(g grp.nogroup.med) / $(g grp.permit.med)")
	echo "Group policy at a rejoin: NSS group: files systemd; $GN users and $GN groups in /etc/group"
	echo "(each user in 5 groups besides its own); $GCONF = the shipped config + 3 group sections,"
	echo "the user in the last one only. Two users of the same shape, each rejoining its own set."
	printf '%-42s %5s %7s %7s %7s %7s %7s %6s %6s %6s\n' case n min median p90 whole cpu faults "×permit" "cpu×"
	lat "pam_permit (with these cases)" grp.permit grp.permit
	lat "rejoin, no group section" grp.nogroup grp.permit
	lat "rejoin, 3 group sections" grp.group grp.permit
	if [ -n "${V[cg.ggroup.total]:-}" ]; then
		echo "instructions (callgrind Ir): group sections $(g cg.ggroup.total), none $(g cg.gnogroup.total)" \
			"($(calc "$(g cg.ggroup.total) / $(g cg.gnogroup.total)")×); getgrouplist: ${V[cg.ggroup.getgrouplist]:-not called}"
	fi
	[ -n "${V[sc.ggroup]:-}" ] && echo "system calls: group sections $(g sc.ggroup), none $(g sc.gnogroup)"
	if [ "${V[dir.ok]:-no}" = yes ]; then
		echo
		echo "The same in a directory: slapd + SSSD (sssd-ldap), $GN users and groups only there,"
		echo "NSS passwd/group: files sss, SSSD's cache warm (default timeouts), interleaved with files."
		printf '%-42s %5s %7s %7s %7s %7s %7s %6s %6s %6s\n' case n min median p90 whole cpu faults "×permit" "cpu×"
		lat "pam_permit (with these cases)" dir.permit dir.permit
		lat "rejoin, 3 group sections, files" dir.files dir.permit
		lat "rejoin, 3 group sections, directory" dir.dgroup dir.permit
		lat "rejoin, no group section, directory" dir.dnogroup dir.permit
	else
		echo "(the directory case was skipped: slapd or sssd not installed)"
	fi
	echo
	echo "Goals (group policy)"
	printf '  %-52s %10s  %s\n' "rejoin with group sections ≤ 1.1× without" "${r1}×" "$(verdict "$r1" 1.1)"
	printf '  %-52s %10s  %s\n' "rejoin with group sections ≤ 1.5× pam_permit" "${r2}×" "$(verdict "$r2" 1.5)"
	printf '  %-52s %10s  %s\n' "rejoin without group sections ≤ 1.5× pam_permit" "${r0}×" "$(verdict "$r0" 1.5)"
	if [ "${V[dir.ok]:-no}" = yes ]; then
		local rd
		rd=$(calc "$(g dir.dgroup.med) / $(g dir.files.med)")
		printf '  %-52s %10s  (%s)\n' "directory rejoin with group sections / files" "${rd}×" "measured, no goal"
	fi
}
