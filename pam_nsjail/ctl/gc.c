/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gc.c — nsjailctl gc: remove the records of stale sets (ctl_core.c decides, under each user's
 * lock).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctl.h"

static int gc_one(int pindir, uid_t uid, size_t *removed)
{
	struct nsj_err e = { 0 };
	struct nsj_record r;
	char buf[300];
	int ret = nsj_set_collect(pindir, uid, &r, &e);

	if (ret == 1) {
		printf("removed stale set of %s (uid %u)\n", who(&r, buf, sizeof(buf)), (unsigned)uid);
		(*removed)++;
	}
	if (ret < 0 && ret != -ENOENT)
		return fail_err(&e);
	return 0;
}

int cmd_gc(struct ctl *c)
{
	struct nsj_err e = { 0 };
	uid_t *uids = NULL;
	size_t n = 0, removed = 0;
	int pindir, ret = 0;

	if (require_root())
		return 1;
	if (open_pin_dir(get_pin_dir(c), &pindir) != 0)
		return 1;
	if (pindir >= 0 && nsj_record_list(pindir, &uids, &n, &e) < 0)
		ret = fail_err(&e);
	for (size_t i = 0; i < n; i++)
		ret |= gc_one(pindir, uids[i], &removed);
	printf("gc: %zu stale set%s removed\n", removed, removed == 1 ? "" : "s");
	if (pindir >= 0)
		close(pindir);
	free(uids);
	return ret;
}
