#!/bin/bash
# The parsed-config cache (cache.c): a login whose config text is unchanged uses the cached
# parse and never loads libconfuse; any edit is seen at the next login; a cache that is not
# root's and private is not trusted.
. tests/lib.sh

CACHE=/run/pam_nsjail-cache
service nsjail-test debug
# parse_kind: "cached parse" or "parsed", from the debug line of the last login.
parse_kind() {
	log_sync
	grep 'pam_nsjail' "$NSJ_LOG" | grep -o 'policy from [^,]*' | tail -n 1 | sed 's/.*(\(.*\))/\1/'
}
entry() { ls "$CACHE"/c-* 2>/dev/null; }

conf 'default { hostname = "%u-aa" }'
out=$(as alice hostname)
is "$out" "alice-aa" "first login: the config's hostname"
is "$(parse_kind)" "parsed" "first login: the config was parsed"
is "$(stat -c '%U:%G %a' $CACHE)" "root:root 700" "the cache directory is root:root 0700"
is "$(entry | wc -l)" "1" "one cache entry for the config"
is "$(stat -c '%U:%G %a %h' "$(entry)")" "root:root 600 1" "the entry is root's, 0600, one link"

as alice true
is "$(parse_kind)" "cached parse" "second login: the cached parse is used"
LD_DEBUG=files "$HARNESS" -d "$PAMD" -s nsjail-test -u alice -- /bin/true 2>/run/world/st.hit
check "a login with a cached parse does not load libconfuse" \
	test -z "$(grep libconfuse /run/world/st.hit)"

# (LD_DEBUG=files, not strace: LeakSanitizer, on in a sanitizer build, cannot run under ptrace.)
# An edit of the same size, in the same second: the text differs, so the cache is not used.
conf 'default { hostname = "%u-bb" }'
reset_all
LD_DEBUG=files "$HARNESS" -d "$PAMD" -s nsjail-test -u alice -- hostname >/run/world/h.out 2>/run/world/st.miss
is "$(cat /run/world/h.out)" "alice-bb" "an edit (same size, same second) is seen at the next login"
is "$(parse_kind)" "parsed" "...which parses the new text"
check "...and loads libconfuse for that" grep -q libconfuse /run/world/st.miss
as alice true
is "$(parse_kind)" "cached parse" "...and the next login uses the new parse"

# A broken edit is reported from a real parse, never hidden behind the cached valid one.
conf $'default {\n hostname = "%u-%x" }'
out=$(as alice 'echo RAN' 2>&1)
rc=$?
is "$rc" "90" "a broken config after a cached one: the session is denied"
check "...without running the command" test "${out#*RAN}" = "$out"
like "$(last_log)" "action=failed: $CONF:2: .*%x" "...with its FILE:LINE message"
conf 'default { hostname = "%u-bb" }'
as alice true
is "$(parse_kind)" "cached parse" "the same valid text again: its cached parse is still there (a broken text is never cached)"

# Tampering: an entry that is not root's private file, or is damaged, is not used.
e=$(entry)
chown alice "$e"
as alice true
is "$(parse_kind)" "parsed" "an entry owned by a user is not used"
is "$(stat -c '%U %a' "$(entry)")" "root 600" "...and is replaced by root's"
chmod 0644 "$(entry)"
as alice true
is "$(parse_kind)" "parsed" "an entry readable by others is not used"
as alice true
head -c 40 "$(entry)" >/run/world/cut && cat /run/world/cut >"$(entry)"
as alice true
is "$(parse_kind)" "parsed" "a cut entry is not used"
out=$(as alice hostname)
is "$out" "alice-bb" "...and the login works with the file's config"
# A valid entry made for another text (the previous config) is a miss, not a wrong config.
cp -p "$(entry)" /run/world/entry.bb
conf 'default { hostname = "%u-cc" }'
as alice true
cp -p /run/world/entry.bb "$(entry)"
reset_all
is "$(as alice hostname)" "alice-cc" "an entry of another text is not used (the file's hostname wins)"
is "$(parse_kind)" "parsed" "...it was parsed"

# The directory: a user's, world-writable, or a symlink: not used, nothing written there.
reset_all
for how in owner mode symlink; do
	rm -rf $CACHE /run/world/elsewhere
	mkdir -m 0700 /run/world/elsewhere
	case $how in
	owner) install -d -m 0700 -o alice $CACHE ;;
	mode) install -d -m 0777 $CACHE ;;
	symlink) ln -s /run/world/elsewhere $CACHE ;;
	esac
	as alice true
	as alice true
	is "$(parse_kind)" "parsed" "cache directory ($how): not used"
	is "$(ls -A $CACHE/ /run/world/elsewhere | grep -c c-)" "0" "cache directory ($how): nothing written"
done
rm -rf $CACHE
as alice true
as alice true
is "$(parse_kind)" "cached parse" "a cache directory removed is made again"
done_testing
