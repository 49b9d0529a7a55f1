/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * policy.c — nsjailctl policy USER: the section that applies to USER and every effective key
 * (print.c), and what USER's live set was made under; show prints the same after the set.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "ctl.h"

/* Resolve and print the policy of u; 1 (reported) when the config or the policy fails. */
int show_policy(const struct ctl *c, const struct nsj_user *u)
{
	struct nsj_config *cfg;
	struct nsj_policy p;
	struct nsj_err e = { 0 };
	int ret = 0;

	if (load_config(c, &cfg) || cfg == NULL)
		return 1;
	if (nsj_policy_resolve(cfg, u, &p, &e) < 0) {
		ret = fail_err(&e);
	} else {
		print_policy(&p);
		print_live(cfg, u, &p);
	}
	nsj_config_free(cfg);
	return ret;
}

int cmd_policy(struct ctl *c)
{
	struct nsj_user u;
	struct nsj_err e = { 0 };
	int ret;

	if (nsj_user_lookup(c->args[0], &u, &e) < 0)
		return e.code == ENOENT ? fail("unknown user %s", c->args[0]) : fail_err(&e);
	ret = show_policy(c, &u);
	nsj_user_free(&u);
	return ret;
}
