#!/bin/bash
# The quick-start demo: real logins with su(1) through the built module, in a throwaway world
# (tests/world) that touches nothing on the host. Run with `make demo`.
. tests/lib.sh
conf 'default { tmp_size = "64M" }'
# su's PAM service as Debian ships it, with pam_nsjail last (the world's /etc only).
cat >/etc/pam.d/su <<EOF
auth       sufficient pam_rootok.so
session    required   pam_env.so readenv=1
session    required   pam_limits.so
@include common-auth
@include common-account
@include common-session-noninteractive
session    required   $MODULE
EOF
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
# login USER CMD: show and run a real login of USER through su
login() {
	say "su - $1 -c '$2'"
	su - "$1" -c "$2"
}

echo "alice logs in twice and bob once, with su; pam_nsjail is the last session module of su."
login alice 'hostname; echo "hello from alice" >/tmp/note; nohup sleep 600 >/dev/null 2>&1 & echo "sleep started"'
login alice 'hostname; cat /tmp/note; ps -e -o pid,user,comm'
login bob 'hostname; ls -A /tmp | wc -l; ps -e -o pid,user,comm'
say "ls /tmp/note     # on the host"
ls -A /tmp/note 2>&1 || true
say "what the module logged (syslog)"
log_sync
grep -o 'pam_nsjail(su-l.*' "$NSJ_LOG"
say "nsjailctl list"
"$NSJAILCTL" list 2>&1 || true
echo
