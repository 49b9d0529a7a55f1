#!/bin/bash
# The quick-start demo: real PAM sessions through the built module, in a throwaway world
# (tests/world) that touches nothing on the host. Run with `make demo`.
. tests/lib.sh
conf 'default { tmp_size = "64M" }'
service nsjail-demo
export SVC=nsjail-demo
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say "alice logs in (first login creates her set)"
as alice 'echo "hostname: $(hostname)"; echo "hello from alice" > /tmp/note; nohup sleep 600 >/dev/null 2>&1 & echo "started sleep in the background"'
say "alice logs in again (joins the same set)"
as alice 'echo "hostname: $(hostname)"; echo "/tmp/note: $(cat /tmp/note)"; echo "processes:"; ps -e -o pid,user,comm'
say "bob logs in (a set of his own)"
as bob 'echo "hostname: $(hostname)"; echo "/tmp: $(ls -A /tmp | tr "\n" " ")(empty: alice'"'"'s note is not here)"; echo "processes:"; ps -e -o pid,user,comm'
say "the host's /tmp has no note either"
ls -A /tmp/note 2>&1 || true
say "what the module logged (syslog)"
log_sync
grep -o 'pam_nsjail.*' "$NSJ_LOG"
say "the sets, as nsjailctl lists them"
"$NSJAILCTL" list 2>&1 || true
echo
