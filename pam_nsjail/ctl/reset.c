/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reset.c — nsjailctl reset USER: end USER's set (the keeper and every process in it) and remove
 * its record.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>

#include "ctl.h"

#define RESET_TIMEOUT_MS 5000

int cmd_reset(struct ctl *c)
{
	struct nsj_err e = { 0 };
	struct nsj_record r;
	struct nsj_user u;
	uid_t uid;
	int state, ret;

	if (require_root() || resolve_uid(c->args[0], &u, &uid))
		return 1;
	if (u.name)
		nsj_user_free(&u);
	/* Looked at first only to say what was ended; nsj_set_reset checks again under the lock. */
	state = lookup(c, uid, &r, false, &e);
	if (state == -EIO)
		return 1;
	nsj_err_clear(&e);
	ret = nsj_set_reset(get_pin_dir(c), uid, RESET_TIMEOUT_MS, &e);
	if (ret == -ENOENT)
		return fail("%s has no set", c->args[0]);
	if (ret < 0)
		return fail_err(&e);
	if (state == 0)
		printf("reset: %s (keeper %d ended)\n", c->args[0], (int)r.pid);
	else
		printf("reset: %s (stale record removed)\n", c->args[0]);
	return 0;
}
