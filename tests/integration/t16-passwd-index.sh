#!/bin/bash
# The passwd index (pwindex.c): with "files" first for passwd, the login path reads the user's
# entry from an index of /etc/passwd instead of scanning the file; it gives NSS's answers,
# follows every change of the file at the next login, and is not trusted unless it is root's.
. tests/lib.sh

CACHE=/run/pam_nsjail-cache
IDX=$CACHE/passwd.idx
conf 'default { tmp_size = "16M" }'
service nsjail-test debug
# user_src: "from the passwd index" or "through NSS", from the debug line of the last login.
user_src() { log_sync; grep 'pam_nsjail' "$NSJ_LOG" | grep -o 'user \(from the passwd index\|through NSS\)$' | tail -n 1 | sed 's/^user //'; }
# uid_logged USER: the uid of USER's last "joined"/"created" line.
uid_logged() { log_sync; grep "user=$1 uid=" "$NSJ_LOG" | grep 'action=\(created\|joined\)' | tail -n 1 | sed 's/.* uid=\([0-9]*\) .*/\1/'; }

sed -i 's/^passwd:.*/passwd:         files systemd/' /etc/nsswitch.conf
# An index is stored only for a file unchanged for over 2 s (tests/world just added users).
as alice true
check "a passwd changed within 2 s: no index is stored" test ! -e $IDX
is "$(user_src)" "from the passwd index" "...but the login is answered from the file just indexed"
sleep 3
as alice true
is "$(user_src)" "from the passwd index" "files first: the user comes from the passwd index"
is "$(stat -c '%U:%G %a %h' $IDX)" "root:root 600 1" "the index is root's, 0600, one link"
is "$(uid_logged alice)" "$(id -u alice)" "...with NSS's uid"
is "$(as alice 'id -un')" "alice" "...and the session is the user's"

# A user added after the index was made: the file changed, so the index is made again.
echo 'erin:x:3005:3005:Erin:/home/erin:/bin/sh' >>/etc/passwd
echo 'erin:x:3005:' >>/etc/group
install -d -o 3005 -g 3005 /home/erin
as erin true
is "$(user_src)" "from the passwd index" "a user added to /etc/passwd: found in the rebuilt index"
is "$(uid_logged erin)" "3005" "...with the uid of the new line"

# Two lines for one name: NSS takes the first, and so does the index.
echo 'alice:x:4444:4444:Second:/home/alice:/bin/sh' >>/etc/passwd
as alice true
is "$(uid_logged alice)" "$(getent passwd alice | cut -d: -f3)" "a name on two lines: the first line's uid, as NSS"

# A user removed: the old index must not let them in.
sleep 3
as alice true # stores the index that still has erin
check "(an index that has erin is stored)" test -e $IDX
sed -i '/^erin:/d' /etc/passwd
out=$(as erin true 2>&1)
like "$(last_log)" 'user=erin uid=\? .*action=failed: unknown user erin$' "a user removed from /etc/passwd is unknown at the next login"
# The same size, written in place, within one clock tick of the index: still seen.
sleep 3
as alice true
cp /etc/passwd /run/world/passwd.before
sed 's/^bob:x:3002:/bob:x:3012:/' /run/world/passwd.before >/run/world/passwd.after
cat /run/world/passwd.after >/etc/passwd # same inode, same size
as bob true
is "$(uid_logged bob)" "3012" "an in-place edit of the same size is seen at the next login"
cat /run/world/passwd.before >/etc/passwd
sleep 3

# An index that is not root's and private, or a symlink, is not trusted; it is made again.
cp $IDX /run/world/idx.copy
chmod 0644 $IDX
as alice true
is "$(stat -c %a $IDX)" "600" "an index others may read is replaced"
is "$(uid_logged alice)" "3001" "...and the login has the right uid"
rm -f $IDX
printf 'nsjpwi01 forged' >/run/world/forged
ln -s /run/world/forged $IDX
as alice true
check "a symlink in the index's place is not followed, but replaced" test ! -L $IDX
is "$(uid_logged alice)" "3001" "...and the login has the right uid"
# A damaged index (cut short) is rebuilt.
truncate -s 100 $IDX
as bob true
is "$(uid_logged bob)" "$(id -u bob)" "a damaged index: the login still has NSS's uid"
isnt "$(stat -c %s $IDX)" "100" "...and the index is made again"

# Another first source: NSS answers, and no index is read or made.
rm -f $IDX
sed -i 's/^passwd:.*/passwd:         systemd files/' /etc/nsswitch.conf
as alice true
is "$(user_src)" "through NSS" "another passwd source first: the user comes through NSS"
check "...and no index is made" test ! -e $IDX
sed -i 's/^passwd:.*/passwd:         compat/' /etc/nsswitch.conf
as alice true
is "$(user_src)" "through NSS" "compat: through NSS"
sed -i 's/^passwd:.*/passwd:         files systemd/' /etc/nsswitch.conf
# compat syntax in the file itself: left to NSS.
echo '+@netgroup' >>/etc/passwd
as alice true
is "$(user_src)" "through NSS" "a +/- line in /etc/passwd: through NSS"
sed -i '/^+@netgroup/d' /etc/passwd
reset_all

done_testing
