/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * common.c — what every nsjailctl command needs: its messages ("nsjailctl: ..." on stderr, exit 1)
 * and its lookups (the config, pin_dir, USER as a name or a uid, a user's set).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

/* ---- messages ------------------------------------------------------------------------- */

int fail(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* The first line of a core error, with a note when there are more. */
int fail_err(const struct nsj_err *e)
{
	char first[600];

	nsj_err_first(e, first, sizeof(first));
	if (e->count > 1)
		return fail("%s (and %u more)", first, e->count - 1);
	return fail("%s", first[0] ? first : strerror(e->code ? e->code : EIO));
}

/* ---- config and users ----------------------------------------------------------------- */

int load_config(const struct ctl *c, struct nsj_config **cfg)
{
	struct nsj_err e = { 0 };
	char first[600];

	if (nsj_config_load(c->config, cfg, &e) == 0)
		return 0;
	*cfg = NULL;
	nsj_err_first(&e, first, sizeof(first));
	if (e.count > 1)
		return fail("%s (and %u more; see '" PROG " check')", first, e.count - 1);
	return fail("%s", first);
}

/* pin_dir from the config, or the default with a warning when the config cannot be loaded. */
const char *get_pin_dir(struct ctl *c)
{
	struct nsj_config *cfg = NULL;
	struct nsj_err e = { 0 };
	char first[600];

	if (c->pin_dir[0])
		return c->pin_dir;
	if (nsj_config_load(c->config, &cfg, &e) == 0) {
		snprintf(c->pin_dir, sizeof(c->pin_dir), "%s", cfg->pin_dir);
		nsj_config_free(cfg);
		return c->pin_dir;
	}
	fprintf(stderr, PROG ": warning: %s; using pin_dir %s\n",
		nsj_err_first(&e, first, sizeof(first)), NSJ_PIN_DIR_DEFAULT);
	snprintf(c->pin_dir, sizeof(c->pin_dir), "%s", NSJ_PIN_DIR_DEFAULT);
	return c->pin_dir;
}

/*
 * USER as a name (through NSS) or, for a user who has since been deleted, a numeric uid.
 * u is filled when the name resolves (u->name non-NULL); the caller frees it.
 */
int resolve_uid(const char *arg, struct nsj_user *u, uid_t *uid)
{
	struct nsj_err e = { 0 };
	char *end;
	unsigned long v;

	*uid = (uid_t)-1;
	memset(u, 0, sizeof(*u));
	if (nsj_user_lookup(arg, u, &e) == 0) {
		*uid = u->uid;
		return 0;
	}
	memset(u, 0, sizeof(*u));
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (arg[0] >= '0' && arg[0] <= '9' && *end == '\0' && errno == 0 && v < (uid_t)-1) {
		*uid = (uid_t)v;
		return 0;
	}
	return e.code == ENOENT ? fail("unknown user %s", arg) : fail_err(&e);
}

int require_root(void)
{
	return geteuid() == 0 ? 0 : fail("must be run as root");
}

/* Open pin_dir; *pindir = -1 (and 0 returned) when it does not exist: there are no sets. */
int open_pin_dir(const char *pin_dir, int *pindir)
{
	struct nsj_err e = { 0 };

	*pindir = nsj_pindir_open(pin_dir, false, &e);
	if (*pindir == -ENOENT)
		return 0;
	return *pindir < 0 ? fail_err(&e) : 0;
}

/*
 * The set of uid, as nsj_set_lookup() says: a pidfd (alive; closed unless keep, then 0; kept,
 * its keeper's idle clock restarted: it is about to be entered),
 * -ESRCH (stale), -ENOENT (none), or another error in e; -EIO when pin_dir failed (reported).
 */
int lookup(struct ctl *c, uid_t uid, struct nsj_record *r, bool keep, struct nsj_err *e)
{
	int pindir, ret;

	if (open_pin_dir(get_pin_dir(c), &pindir) != 0)
		return -EIO;
	if (pindir < 0)
		return -ENOENT;
	ret = nsj_set_lookup(pindir, uid, keep, r, e);
	close(pindir);
	if (ret >= 0 && !keep) {
		close(ret);
		ret = 0;
	}
	return ret;
}

/* Report why USER's set cannot be used (a lookup() result other than alive). */
int no_set(const char *user, int ret, const struct nsj_record *r, const struct nsj_err *e)
{
	char first[600];

	if (ret == -EIO)
		return 1; /* already reported */
	if (ret == -ENOENT)
		return fail("%s has no set", user);
	if (ret == -ESRCH && e->msg[0] == '\0')
		return fail("%s's set is stale (keeper %d is gone); see '" PROG " gc'", user, (int)r->pid);
	if (ret == -ESRCH) /* what the check of the recorded keeper found */
		return fail("%s's set is stale (%s); see '" PROG " gc'", user, nsj_err_first(e, first, sizeof(first)));
	return fail("%s: %s; see '" PROG " gc'", user, nsj_err_first(e, first, sizeof(first)));
}

const char *who(const struct nsj_record *r, char *buf, size_t size)
{
	const struct passwd *pw;

	if (r->user[0])
		return r->user;
	pw = getpwuid(r->uid);
	snprintf(buf, size, "%s", pw ? pw->pw_name : "?");
	return buf;
}
