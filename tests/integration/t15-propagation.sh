#!/bin/bash
# propagation = slave with propagation_paths: host mounts under those paths reach a set, host
# mounts elsewhere do not, nothing mounted in a set reaches the host; the host side (each path
# made a mount point of its own, once, never through a symlink); propagation = private.
. tests/lib.sh

conf 'default { tmp_size = "16M" }'
service nsjail-test

# The default paths that the world can have: /home (the world's tmpfs, already a mount point),
# /media and /mnt (directories of the host's "/": the module binds them in the world only),
# /run/media and /run/user (made in the world's /run). /net is one only where the host has it.
mkdir -p /run/media /run/user
paths=(/home /media /mnt /run/media /run/user)
if [ -d /net ] && [ ! -L /net ]; then paths+=(/net); else diag "/net: not on this host, left out"; fi

# mounts_at PATH: how many mounts of this (the world's) namespace are at PATH.
mounts_at() { awk -v p="$1" '$5 == p { n++ } END { print n + 0 }' /proc/self/mountinfo; }
# group_of PATH: the shared:N tag of the topmost mount at PATH ("" when not shared).
group_of() { awk -v p="$1" '$5 == p { g = "" ; for (i = 7; $i != "-"; i++) if ($i ~ /^shared:/) g = $i } END { print g }' /proc/self/mountinfo; }

# below_of PATH: how many mounts are below PATH (any depth).
below_of() { awk -v p="$1/" 'index($5, p) == 1 { n++ } END { print n + 0 }' /proc/self/mountinfo; }
# master_in USER PATH: the master:N tag of the topmost mount at PATH in USER's set.
master_in() { as "$1" 'cat /proc/self/mountinfo' | awk -v p="$2" '$5 == p { g = ""; for (i = 7; $i != "-"; i++) if ($i ~ /^master:/) g = $i } END { print g }'; }

declare -A before below
for p in "${paths[@]}" /srv; do
	before[$p]=$(mounts_at "$p")
	below[$p]=$(below_of "$p")
done
is "${before[/home]}" 1 "/home is a mount point of the world before any login"

# --- the host side: each path a mount point of its own, made once under parallel logins ------
for u in alice bob carol dave; do as "$u" true & done
wait
is "$(ls "$PIN" | wc -l)" 4 "four parallel first logins made four sets"
for p in /media /mnt /run/media /run/user; do
	is "$(mounts_at "$p")" $((before[$p] + 1)) "$p: made a mount point on the host, once"
	like "$(group_of "$p")" '^shared:[0-9]+$' "$p: the host's mount point is shared"
	isnt "$(group_of "$p")" "$(group_of /)" "$p: ...in a peer group of its own, not that of /"
	# This machine's /mnt may hold mounts of its own: copied into the bind, the originals gone.
	[ "${below[$p]}" = 0 ] ||
		is "$(below_of "$p")" "${below[$p]}" "$p: the ${below[$p]} mount(s) below it are there once each, not hidden twice"
done
is "$(mounts_at /home)" 1 "/home, already a mount point, is left as it was"
is "$(mounts_at /srv)" "${before[/srv]}" "/srv, not a propagation path, is not touched"
reset_all

# --- host mounts under each path reach the set; elsewhere they do not ------------------------
as alice true
for p in "${paths[@]}"; do
	t=$p
	[ "$p" = /home ] && t=/home/alice # as autofs mounts a home
	mount -t tmpfs -o size=1M "late-host" "$t"
	touch "$t/from-host"
	check "a host mount on $t after login reaches the set" as alice "test -e $t/from-host"
	umount "$t"
done
if [ -d /srv ] && [ ! -L /srv ]; then
	mount -t tmpfs -o size=1M late-srv /srv
	touch /srv/from-host
	check "a host mount on /srv (not a propagation path) does not reach the set" \
		as alice 'test ! -e /srv/from-host'
	umount /srv
else
	skip "/srv: not a directory on this host"
fi
# Only the propagation paths receive: every other mount of the set is private.
minfo=$(as alice 'cat /proc/self/mountinfo')
leak=$(awk '{ p = $5; tag = ""; for (i = 7; $i != "-"; i++) tag = tag " " $i
	if (p !~ "^/(home|media|mnt|net|run/media|run/user)(/|$)" && tag != "") print p tag }' <<<"$minfo")
is "$leak" "" "the set's mounts outside the propagation paths are private (no shared:/master: tag)"
like "$(awk '$5 == "/home" { for (i = 7; $i != "-"; i++) printf "%s ", $i }' <<<"$minfo")" 'master:[0-9]+' \
	"the set's /home is a slave of the host's"

# --- a mount made in the set never reaches the host ---------------------------------------
mkdir -p /home/alice/inner
as_root_in alice 'mount -t tmpfs inner-set /home/alice/inner && touch /home/alice/inner/x'
check "a mount made inside the set does not reach the host" test ! -e /home/alice/inner/x
check "...and is seen by the user's other sessions" as alice 'test -e /home/alice/inner/x'
as_root_in alice 'mount -t tmpfs inner-media /media && touch /media/y'
check "a mount on /media made inside the set is there in the set" as alice 'test -e /media/y'
check "...and does not reach the host" test ! -e /media/y
reset_all

# --- propagation = private propagates nothing ---------------------------------------------
conf 'default { propagation = private  tmp_size = "16M" }'
as carol true
mount -t tmpfs -o size=1M late-home /home/carol
touch /home/carol/from-host
check "propagation = private: a host mount under /home does not reach the set" \
	as carol 'test ! -e /home/carol/from-host'
umount /home/carol
reset_all

# --- an explicit list: only those paths; symlinks and missing paths are left out safely -----
mkdir -p /run/prop-real /run/prop-real/sub
ln -s /run/prop-real /run/prop-link
conf 'default { tmp_size = "16M"  propagation_paths = {"/run/prop-link", "/run/prop-link/sub", "/run/prop-missing", "/run/user"} }'
n_real=$(mounts_at /run/prop-real)
run_as=$(as dave 'echo in-set')
is "$run_as" "in-set" "a symlinked and a missing propagation path do not stop a login"
is "$(mounts_at /run/prop-real)" "$n_real" "a symlinked propagation path is not followed on the host"
is "$(mounts_at /run/prop-real/sub)" 0 "...nor a path under a symlinked directory"
mount -t tmpfs -o size=1M late-real /run/prop-real
touch /run/prop-real/from-host
check "a symlinked propagation path receives nothing" as dave 'test ! -e /run/prop-real/from-host'
umount /run/prop-real
mount -t tmpfs -o size=1M late-media /media
touch /media/from-host
check "a default path left out of the list receives nothing" as dave 'test ! -e /media/from-host'
umount /media
mkdir -p /run/user/3004
mount -t tmpfs -o size=1M late-user /run/user/3004
touch /run/user/3004/from-host
check "a path on the list still receives" as dave 'test -e /run/user/3004/from-host'
umount /run/user/3004
reset_all

# --- a path with mounts below it (logind's /run/user/UID): bound with copies of them, and the
# originals detached, so that nothing stays hidden under the bind -------------------------
mkdir -p /run/prop-busy/3001 /run/prop-busy/3002
mount -t tmpfs -o size=1M early /run/prop-busy/3001
touch /run/prop-busy/3001/made-before
conf 'default { tmp_size = "16M"  propagation_paths = {"/run/prop-busy"} }'
is "$(as dave 'echo in-set')" "in-set" "a propagation path with a mount below it: the login works"
is "$(mounts_at /run/prop-busy)" 1 "...the path is made a mount point on the host"
isnt "$(group_of /run/prop-busy)" "$(group_of /run)" "...in a peer group of its own, not that of /run"
is "$(master_in dave /run/prop-busy)" "master:$(group_of /run/prop-busy | cut -d: -f2)" \
	"...of which the set's copy is a slave (a host mount elsewhere on /run walks no set)"
is "$(mounts_at /run/prop-busy/3001)" 1 "...the mount below it is there once (its copy; the original detached)"
check "...with the same files" test -e /run/prop-busy/3001/made-before
check "...which the set sees" as dave 'test -e /run/prop-busy/3001/made-before'
umount /run/prop-busy/3001
is "$(mounts_at /run/prop-busy/3001)" 0 "...so the host's own umount below it leaves nothing hidden behind"
is "$(as dave 'grep -c " /run/prop-busy/3001 " /proc/self/mountinfo')" 0 \
	"...nor in the set: no private copy of it is kept there, hidden, alive for as long as the set"
mount -t tmpfs -o size=1M late-busy /run/prop-busy/3002
touch /run/prop-busy/3002/from-host
check "...and a later host mount below it still reaches the set" as dave 'test -e /run/prop-busy/3002/from-host'
umount /run/prop-busy/3002
reset_all

# --- stacked mounts below a path: which one is below cannot be named, so it is left as it is
mkdir -p /run/prop-stack/x
mount -t tmpfs -o size=1M stack1 /run/prop-stack/x
mount -t tmpfs -o size=1M stack2 /run/prop-stack/x
conf 'default { tmp_size = "16M"  propagation_paths = {"/run/prop-stack"} }'
is "$(as dave 'echo in-set')" "in-set" "a propagation path with stacked mounts below it: the login works"
is "$(mounts_at /run/prop-stack)" 0 "...the path is left as it is on the host"
is "$(mounts_at /run/prop-stack/x)" 2 "...and so are the mounts below it"
umount /run/prop-stack/x
umount /run/prop-stack/x
reset_all

# --- a mount below a path that mountinfo cannot name in full (each space is 4 bytes there;
# a user's FUSE mount can be named so): left as it is, never a failed login ----------------
sp=$(printf '%*s' 254 '')
long="/run/prop-long/$sp/$sp/$sp/$sp/$sp/x"
mkdir -p "$long"
mount -t tmpfs -o size=1M longm "$long"
conf 'default { tmp_size = "16M"  propagation_paths = {"/run/prop-long"} }'
is "$(as dave 'echo in-set')" "in-set" "a propagation path with a mount below it that mountinfo cuts: the login works"
is "$(mounts_at /run/prop-long)" 0 "...the path is left as it is on the host"
umount "$long"
reset_all

# --- nested paths: the inner one comes with the outer one's tree ---------------------------
mkdir -p /home/dave/nest
conf 'default { tmp_size = "16M"  propagation_paths = {"/home", "/home/dave"} }'
as dave true
is "$(mounts_at /home/dave)" 1 "a nested propagation path is made a mount point of its own on the host"
mount -t tmpfs -o size=1M late-nest /home/dave/nest
touch /home/dave/nest/from-host
check "a host mount under a nested propagation path reaches the set" as dave 'test -e /home/dave/nest/from-host'
umount /home/dave/nest
reset_all

done_testing
