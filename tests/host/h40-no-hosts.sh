#!/bin/bash
# h40-no-hosts.sh — a booted host without /etc/hosts (a minbase system without netbase) still
# lets alice log in over ssh; her set gets a generated /etc/hosts.
. tests/host/lib.sh

host_prepare
rm -f $HOST_ROOT/etc/hosts
host_boot
check "the host has no /etc/hosts" host_run 'test ! -e /etc/hosts'
out=$(host_ssh alice 'hostname; cat /etc/hosts')
is "$?" 0 "alice logs in over ssh"
is "$(head -n1 <<<"$out")" alice-nsjhost "in her set"
like "$out" $'\n127\\.0\\.0\\.1[[:space:]]+localhost' "her /etc/hosts resolves localhost"
like "$out" $'[[:space:]]alice-nsjhost([[:space:]]|$)' "and her set's hostname"
is "$(host_run 'stat -c %s:%U:%a /etc/hosts')" 0:root:644 \
	"the host got an empty root 0644 /etc/hosts for the set's to mount on (pam_nsjail(8))"
is "$(host_journal | grep -c 'pam_nsjail.*/etc/hosts')" 0 "no /etc/hosts error in the journal"
done_testing
