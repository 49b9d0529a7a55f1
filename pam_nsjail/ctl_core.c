/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_core.c — the administrator's view of recorded sets: is a set alive, and collecting the
 * records of dead ones. Every decision is taken under the user's lock (record.c), the same one
 * the login path holds, so a set being created is waited for rather than judged half-made.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "ctl_core.h"

int nsj_set_lookup(int pindir, uid_t uid, bool touch, struct nsj_record *r, struct nsj_err *err)
{
	int udir, ret;

	memset(r, 0, sizeof(*r));
	r->uid = uid;
	udir = nsj_user_lock(pindir, uid, false, err);
	if (udir < 0)
		return udir;
	ret = nsj_record_check(udir, uid, r, err);
	/* Under the lock, as a login does, so that the keeper's idle exit cannot come between. */
	if (ret >= 0 && touch)
		nsj_keeper_touch(ret, r);
	close(udir); /* unlocks */
	return ret;
}

int nsj_set_collect(int pindir, uid_t uid, struct nsj_record *r, struct nsj_err *err)
{
	struct nsj_err why = { 0 };
	int udir, ret;

	memset(r, 0, sizeof(*r));
	r->uid = uid;
	udir = nsj_user_lock(pindir, uid, false, err);
	if (udir < 0)
		return udir;
	ret = nsj_record_check(udir, uid, r, &why);
	if (ret >= 0) {
		close(ret);
		ret = 0;
	} else if (ret == -ESRCH || ret == -ENOENT || ret == -EINVAL || ret == -EPERM) {
		/* Stale, empty (a creation that failed) or malformed: nothing can ever join it. */
		ret = nsj_record_remove(pindir, uid, udir, err);
		if (ret == 0)
			ret = 1;
	} else {
		ret = nsj_err_set(err, -ret, "%s", why.msg);
	}
	close(udir);
	return ret;
}
