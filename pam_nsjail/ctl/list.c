/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * list.c — nsjailctl list [--json]: one row per recorded set (user, uid, keeper pid, processes,
 * age, state, namespaces), as a table or a JSON array (print.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "ctl.h"

static int collect_row(int pindir, uid_t uid, struct row *w)
{
	struct nsj_err e = { 0 };
	int ret = nsj_set_lookup(pindir, uid, false, &w->r, &e);

	if (ret == -ENOENT)
		return -ENOENT; /* removed since it was listed */
	w->alive = ret >= 0;
	w->readable = ret >= 0 || ret == -ESRCH;
	w->procs = -1;
	if (ret >= 0)
		close(ret);
	return 0;
}

/* The processes of every live set, from one census of /proc per kind needed (not one per set). */
static void count_rows(struct row *rows, size_t n)
{
	struct nsj_census census[NSJ_NS_COUNT];
	bool taken[NSJ_NS_COUNT] = { false };

	for (size_t i = 0; i < n; i++) {
		enum nsj_ns k;

		if (!rows[i].alive)
			continue;
		k = nsj_census_kind(&rows[i].r);
		if (!taken[k] && nsj_census_take(k, &census[k]) < 0)
			continue;
		taken[k] = true;
		rows[i].procs = nsj_census_count(&census[k], &rows[i].r);
	}
	for (int k = 0; k < NSJ_NS_COUNT; k++)
		if (taken[k])
			nsj_census_free(&census[k]);
}

static int collect_rows(struct ctl *c, struct row **rows, size_t *n)
{
	struct nsj_err e = { 0 };
	uid_t *uids = NULL;
	size_t nuids = 0;
	int pindir;

	*rows = NULL;
	*n = 0;
	if (open_pin_dir(get_pin_dir(c), &pindir) != 0)
		return 1;
	if (pindir < 0)
		return 0;
	if (nsj_record_list(pindir, &uids, &nuids, &e) < 0 ||
	    (nuids && (*rows = calloc(nuids, sizeof(**rows))) == NULL)) {
		close(pindir);
		free(uids);
		return e.count ? fail_err(&e) : fail("out of memory");
	}
	for (size_t i = 0; i < nuids; i++)
		if (collect_row(pindir, uids[i], &(*rows)[*n]) == 0)
			(*n)++;
	count_rows(*rows, *n);
	close(pindir);
	free(uids);
	return 0;
}

int cmd_list(struct ctl *c)
{
	struct row *rows;
	size_t n;
	int ret;

	if (require_root() || collect_rows(c, &rows, &n))
		return 1;
	if (c->json) {
		print_json(rows, n);
		free(rows);
		return 0;
	}
	ret = print_table(rows, n);
	free(rows);
	return ret;
}
