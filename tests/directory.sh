# tests/directory.sh — a real directory inside tests/world, for t32 and make bench: Debian's
# slapd with a database made here (slapadd of a small LDIF), and SSSD (sssd-ldap, in the
# foreground) as the NSS source for passwd and group in the world's nsswitch.conf. Users and
# groups exist only in the directory. slapd listens on 127.0.0.1 of a network namespace of its
# own, shared with SSSD only (SSSD 2.8 cannot use ldapi://: it takes the socket path for a
# host name; the world shares the host's network): the host's loopback never sees the port.
# The module reaches SSSD through its unix socket under /var/lib/sss, a tmpfs of the world.
# Everything lives under the world's /run, /etc overlay and that tmpfs: nothing reaches the
# host, and dir_stop ends both daemons and the namespace's holder (the world's end would too).
#
# dir_available: 0 when slapd, slapadd and sssd are installed (tools/deps).
# dir_start [USERS]: the directory with lina (uid 5001) and lars (5002), group dirlab (5100,
# member lina) and, with USERS=N, N more users du<6000+i> in N groups dg<i> (5 members each).
# dir_ldap LDIF: ldapmodify as the directory's admin. dir_stop_ldap / dir_start_ldap: slapd
# only. dir_stop: both. DIR_CACHE (seconds, default 2): how long SSSD trusts an entry (its
# entry_cache_timeout and memcache_timeout): short for the tests, which change the directory
# and wait for SSSD to see it (sss_cache is in sssd-tools, not needed otherwise); the bench sets
# SSSD's defaults (5400 and 300) for a warm cache.
DIR=/run/world/dir
LDAPI="ldap://127.0.0.1:3389"
DIR_BASE="dc=nsj,dc=test"
DIR_PW=nsj-test-only

dir_available() { command -v slapd >/dev/null && command -v slapadd >/dev/null && command -v sssd >/dev/null; }

dir_ldif() {
	local n=${1:-0}
	cat <<L
dn: $DIR_BASE
objectClass: dcObject
objectClass: organization
o: nsj
dc: nsj

dn: ou=people,$DIR_BASE
objectClass: organizationalUnit
ou: people

dn: ou=groups,$DIR_BASE
objectClass: organizationalUnit
ou: groups

L
	local u
	for u in lina:5001 lars:5002; do
		printf 'dn: uid=%s,ou=people,%s\nobjectClass: account\nobjectClass: posixAccount\nuid: %s\ncn: %s\nuidNumber: %s\ngidNumber: %s\nhomeDirectory: /home/%s\nloginShell: /bin/sh\n\n' \
			"${u%:*}" "$DIR_BASE" "${u%:*}" "${u%:*}" "${u#*:}" "${u#*:}" "${u%:*}"
		printf 'dn: cn=%s,ou=groups,%s\nobjectClass: posixGroup\ncn: %s\ngidNumber: %s\n\n' \
			"${u%:*}" "$DIR_BASE" "${u%:*}" "${u#*:}"
	done
	printf 'dn: cn=dirlab,ou=groups,%s\nobjectClass: posixGroup\ncn: dirlab\ngidNumber: 5100\nmemberUid: lina\n\n' "$DIR_BASE"
	awk -v n="$n" -v base="$DIR_BASE" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "dn: uid=du%d,ou=people,%s\nobjectClass: account\nobjectClass: posixAccount\nuid: du%d\ncn: du%d\nuidNumber: %d\ngidNumber: 5999\nhomeDirectory: /nonexistent\nloginShell: /bin/sh\n\n", 6000 + i, base, 6000 + i, 6000 + i, 6000 + i
		for (j = 0; j < n; j++) {
			printf "dn: cn=dg%d,ou=groups,%s\nobjectClass: posixGroup\ncn: dg%d\ngidNumber: %d\n", j, base, j, 7000 + j
			for (k = 0; k < 5 && j + k < n; k++) printf "memberUid: du%d\n", 6000 + j + k
			printf "\n"
		}
	}'
}

# wait_for SECONDS CMD...: until CMD succeeds, at most SECONDS.
wait_for() {
	local t=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		t=$((t - 1))
		[ $t -gt 0 ] || return 1
		sleep 0.1
	done
}

# plain CMD...: exec CMD; in a sanitizer build's world, without the world's /etc/ld.so.preload
# (the ASan runtime it preloads into every program cannot run SSSD, whose libldb dlopens its
# modules with RTLD_DEEPBIND). The same pid: $! of "plain sssd ... &" is the daemon.
plain() {
	if [ -n "${NSJ_SANITIZED:-}" ]; then
		exec unshare -m --propagation private -- sh -c 'mount --bind /dev/null /etc/ld.so.preload && exec "$@"' plain "$@"
	fi
	exec "$@"
}

# innet CMD...: CMD in the directory's network namespace.
innet() { nsenter -t "$(cat $DIR/net.pid)" -n "$@"; }

dir_start_ldap() {
	# (not through innet: $! must be the daemon, not a subshell)
	nsenter -t "$(cat $DIR/net.pid)" -n slapd -d 0 -f $DIR/slapd.conf -h "$LDAPI" >$DIR/slapd.log 2>&1 &
	echo $! >$DIR/slapd.pid
	wait_for 10 innet ldapsearch -x -H "$LDAPI" -b "$DIR_BASE" -s base dn
}

dir_start() {
	local n=${1:-0}
	mkdir -p $DIR/db /etc/sssd /var/log/sssd /var/lib/sss
	# SSSD's cache, pipes and memory cache: the world's own.
	mount -t tmpfs -o mode=0755 world-sss /var/lib/sss
	install -d -m 0700 /var/lib/sss/db /var/lib/sss/pipes/private
	install -d -m 0775 /var/lib/sss/mc
	cat >$DIR/slapd.conf <<C
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
pidfile $DIR/slapd.run.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 104857600
suffix "$DIR_BASE"
rootdn "cn=admin,$DIR_BASE"
rootpw $DIR_PW
directory $DIR/db
index uid,memberUid,cn eq
index uidNumber,gidNumber eq
C
	dir_ldif "$n" >$DIR/data.ldif
	slapadd -q -f $DIR/slapd.conf -l $DIR/data.ldif >$DIR/slapadd.log 2>&1 || return 1
	unshare --net sleep 100000 &
	echo $! >$DIR/net.pid
	# (until unshare has made its namespace, nsenter -t would join ours: lo brought up here,
	# and slapd then could not bind 127.0.0.1 in a namespace whose lo is down)
	wait_for 5 eval '[ "$(readlink /proc/$(cat $DIR/net.pid)/ns/net)" != "$(readlink /proc/self/ns/net)" ]' ||
		{ echo "directory: no network namespace of its own" >$DIR/slapd.log; return 1; }
	wait_for 5 innet ip link set lo up || return 1
	dir_start_ldap || return 1
	cat >/etc/sssd/sssd.conf <<S
[sssd]
services = nss
domains = dir

[nss]
filter_users = root
filter_groups = root
memcache_timeout = ${DIR_MC:-${DIR_CACHE:-2}}

[domain/dir]
id_provider = ldap
auth_provider = none
ldap_uri = $LDAPI
ldap_search_base = $DIR_BASE
ldap_schema = rfc2307
ldap_network_timeout = 2
ldap_opt_timeout = 2
ldap_search_timeout = 2
enumerate = false
cache_credentials = false
entry_cache_timeout = ${DIR_CACHE:-2}
S
	chmod 0600 /etc/sssd/sssd.conf
	sed -i 's/^passwd:.*/passwd:         files sss/; s/^group:.*/group:          files sss/' /etc/nsswitch.conf
	(plain nsenter -t "$(cat $DIR/net.pid)" -n sssd -i --logger=stderr -c /etc/sssd/sssd.conf) >$DIR/sssd.log 2>&1 &
	echo $! >$DIR/sssd.pid
	wait_for 15 getent passwd lina
}

dir_ldap() { innet ldapmodify -x -H "$LDAPI" -D "cn=admin,$DIR_BASE" -w "$DIR_PW" >/dev/null <<<"$1"; }
# sss_expired: wait until SSSD's entries have expired (DIR_CACHE) and been fetched again.
sss_expired() { sleep $((${DIR_CACHE:-2} + 1)); }

# stop PIDFILE: SIGTERM, then SIGKILL after 5 s; waits for the end.
dir_kill() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || { rm -f "$1"; return 0; }
	wait_for 5 eval "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true # (its status: 143; the bench runs with set -e)
	rm -f "$1"
}
dir_stop_ldap() { dir_kill $DIR/slapd.pid; }
dir_stop_sssd() { dir_kill $DIR/sssd.pid; }
dir_stop() {
	dir_stop_sssd
	dir_stop_ldap
	dir_kill $DIR/net.pid
	sed -i 's/^passwd:.*/passwd:         files systemd/; s/^group:.*/group:          files systemd/' /etc/nsswitch.conf
	umount /var/lib/sss 2>/dev/null || true
}
