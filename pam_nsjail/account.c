/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * account.c — what the account phase (pam_sm_acct_mgmt) can know before the session opens.
 *
 * Some callers go on when pam_open_session fails (sudo ignores PAM_SESSION_ERR); none goes on
 * when account management refuses. So the account phase refuses what open_session is certain
 * to refuse and can be known this early: here, a caller inside another user's set (a PID
 * namespace cannot be left, so that user's set cannot be entered from there). The glue adds
 * the other certain case, a config that cannot be loaded. Nothing here is costly when the
 * caller is not in a set: one open() of the set-owner mark, which exists only inside a set.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsj.h"
#include "setup.h"

int nsj_set_owner(const char *pin_dir, uid_t *owner)
{
	char path[4200], buf[32];
	struct stat st;
	ssize_t n;

	/*
	 * The mark is a symlink whose target is the owner's uid, on a root-only read-only tmpfs that
	 * covers pin_dir inside a set (setup.c); on the host pin_dir is root 0700, so no user can
	 * plant one there, nor change it between the two calls.
	 */
	snprintf(path, sizeof(path), "%s/%s", pin_dir, NSJ_INSIDE_MARK);
	if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode) ||
	    st.st_uid != 0)
		return 0;
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	*owner = (uid_t)strtoul(buf, NULL, 10);
	return 1;
}

int nsj_account_check(const struct nsj_config *c, const struct nsj_user *u, struct nsj_err *err)
{
	struct nsj_policy p;
	uid_t owner;
	int r;

	if (!nsj_set_owner(c->pin_dir, &owner) || owner == u->uid)
		return 0;
	/* Inside another user's set: refused only if the policy would jail u at all. */
	r = nsj_policy_resolve(c, u, &p, err);
	if (r < 0)
		return r;
	if (!p.jailed)
		return 0;
	return nsj_err_set(err, EPERM,
			   "the caller is inside the set of uid %u, and a PID namespace cannot be "
			   "left: the set of %s cannot be entered from there", (unsigned)owner, u->name);
}
