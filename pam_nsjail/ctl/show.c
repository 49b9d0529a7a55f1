/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * show.c — nsjailctl show USER: one set in detail (print.c), then the user's resolved policy
 * (policy.c). USER may be a uid, for a user who has since been deleted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>

#include "ctl.h"

int cmd_show(struct ctl *c)
{
	struct nsj_err e = { 0 };
	struct nsj_record r;
	struct nsj_user u;
	uid_t uid;
	int ret;

	if (require_root() || resolve_uid(c->args[0], &u, &uid))
		return 1;
	ret = lookup(c, uid, &r, false, &e);
	if (ret == 0 || ret == -ESRCH) {
		char why[600] = "";

		if (ret == -ESRCH)
			nsj_err_first(&e, why, sizeof(why));
		print_set(&r, ret == 0, why, get_pin_dir(c));
		putchar('\n');
		ret = u.name ? show_policy(c, &u) : (puts("section: none (no such user)"), 0);
	} else {
		ret = no_set(c->args[0], ret, &r, &e);
	}
	if (u.name)
		nsj_user_free(&u);
	return ret;
}
