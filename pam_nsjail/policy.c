/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * policy.c — who a user is (through NSS, so LDAP/SSSD users and groups count) and what the
 * config says for them: the section by precedence (user > first matching group in file order
 * > default), unset keys from default, the min_uid and root rules, templates expanded.
 * Runs in the module (host namespaces, before any set is made or joined) and in nsjailctl.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsj.h"

#define NSS_BUF_START 1024
#define NSS_BUF_MAX   (1u << 20) /* a group with thousands of members needs a big buffer */

/* Not-found as NSS modules report it: glibc says 0, some modules an errno. */
static bool nss_not_found(int r)
{
	return r == 0 || r == ENOENT || r == ESRCH || r == EBADF || r == EPERM;
}

/* getgrnam_r (name set) or getgrgid_r into gr; -ENOENT when there is no such group. */
static int group_get(const char *name, gid_t gid, struct group *gr, char **buf)
{
	struct group *res = NULL;

	for (size_t size = NSS_BUF_START;; size *= 2) {
		char *b = realloc(*buf, size);
		int r;

		if (b == NULL)
			return -ENOMEM;
		*buf = b;
		r = name ? getgrnam_r(name, gr, b, size, &res) : getgrgid_r(gid, gr, b, size, &res);
		if (r == ERANGE && size < NSS_BUF_MAX)
			continue;
		if (res != NULL)
			return 0;
		return nss_not_found(r) ? -ENOENT : -r;
	}
}

static int lookup_pw(const char *name, struct nsj_user *u, struct nsj_err *err)
{
	struct passwd pw, *res = NULL;
	char *buf = NULL, *b;
	size_t size = NSS_BUF_START;
	int r;

	for (;; size *= 2) {
		if ((b = realloc(buf, size)) == NULL) {
			free(buf);
			return nsj_err_set(err, ENOMEM, "user %s: out of memory", name);
		}
		buf = b;
		r = getpwnam_r(name, &pw, buf, size, &res);
		if (r != ERANGE || size >= NSS_BUF_MAX)
			break;
	}
	if (res == NULL && nss_not_found(r))
		r = nsj_err_set(err, ENOENT, "unknown user %s", name);
	else if (res == NULL) /* e.g. SSSD down: ECONNREFUSED */
		r = nsj_err_set(err, r, "user %s: NSS look-up failed (a source unavailable?): %m", name);
	else if ((u->name = strdup(pw.pw_name)) == NULL || (u->home = strdup(pw.pw_dir)) == NULL)
		r = nsj_err_set(err, ENOMEM, "user %s: out of memory", name);
	else
		r = 0;
	if (r == 0) {
		u->uid = pw.pw_uid;
		u->gid = pw.pw_gid;
	}
	free(buf);
	return r;
}

/* Primary and supplementary gids; getgrouplist() says how many when the array is short. */
int nsj_user_groups(struct nsj_user *u, struct nsj_err *err)
{
	if (u->n_groups >= 0)
		return 0;
	int n = 32;

	for (int tries = 0; tries < 8; tries++) {
		int want = n;
		gid_t *g = realloc(u->groups, (size_t)n * sizeof(*g));

		if (g == NULL)
			return nsj_err_set(err, ENOMEM, "user %s: out of memory", u->name);
		u->groups = g;
		if (getgrouplist(u->name, u->gid, g, &want) >= 0) {
			u->n_groups = want;
			return 0;
		}
		n = want > n ? want : n * 2;
	}
	return nsj_err_set(err, EIO, "getgrouplist %s: the group count keeps changing", u->name);
}

/* The primary group's name into *name (malloc'd; "" when the gid has no group entry). */
static int primary_group(gid_t gid, char **name, struct nsj_err *err)
{
	struct group gr;
	char *buf = NULL;
	int r = group_get(NULL, gid, &gr, &buf);

	/* A primary gid without a group entry is legal: %g is then "". */
	*name = r == 0 || r == -ENOENT ? strdup(r == 0 ? gr.gr_name : "") : NULL;
	free(buf);
	if (r < 0 && r != -ENOENT)
		return nsj_err_set(err, -r, "getgrgid_r %u: %m", (unsigned)gid);
	if (*name == NULL)
		return nsj_err_set(err, ENOMEM, "group %u: out of memory", (unsigned)gid);
	return 0;
}

int nsj_user_group_name(struct nsj_user *u, struct nsj_err *err)
{
	return u->group != NULL ? 0 : primary_group(u->gid, &u->group, err);
}

int nsj_user_lookup(const char *name, struct nsj_user *u, struct nsj_err *err)
{
	int r;

	memset(u, 0, sizeof(*u));
	r = lookup_pw(name, u, err);
	/*
	 * The primary group's name (nsj_user_group_name) and the groups (nsj_user_groups) only
	 * when asked: the login path needs them for %g and for group sections only.
	 */
	u->n_groups = -1;
	if (r < 0)
		nsj_user_free(u);
	return r;
}

void nsj_user_free(struct nsj_user *u)
{
	free(u->name);
	free(u->group);
	free(u->home);
	free(u->groups);
	memset(u, 0, sizeof(*u));
}

/* ---- precedence ----------------------------------------------------------------------- */

static bool has_gid(const struct nsj_user *u, gid_t g)
{
	for (int i = 0; i < u->n_groups; i++)
		if (u->groups[i] == g)
			return true;
	return false;
}

/*
 * The section for u: user by name, else the first group section in file order that u is in
 * (group names resolved through NSS each time), else default. A group that does not exist
 * matches nobody; an NSS failure is an error, not a silent fall-through to default.
 */
static int pick_section(const struct nsj_config *c, const struct nsj_user *u,
			const struct nsj_section **out, struct nsj_err *err)
{
	struct nsj_user g = *u; /* with its groups looked up, when they were not yet */
	struct group gr;
	char *buf = NULL;
	int r = 0;

	*out = &c->def;
	for (size_t i = 0; i < c->n_users; i++)
		if (strcmp(c->users[i].name, u->name) == 0) {
			*out = &c->users[i];
			return 0;
		}
	/*
	 * Left out whatever their groups (decide()): root and users below min_uid. Their groups
	 * are not looked up, so that a directory that is down or slow never holds up root.
	 */
	if (c->n_groups == 0 || u->uid == 0 || u->uid < c->min_uid)
		return 0;
	if (g.n_groups < 0) {
		g.groups = NULL;
		r = nsj_user_groups(&g, err);
		if (r < 0) {
			free(g.groups); /* what a failed lookup had allocated */
			return r;
		}
	}
	for (size_t i = 0; i < c->n_groups; i++) {
		r = group_get(c->groups[i].name, 0, &gr, &buf);
		if (r == -ENOENT) {
			r = 0;
			continue;
		}
		if (r < 0) {
			r = nsj_err_set(err, r, "getgrnam_r %s: %m", c->groups[i].name);
			break;
		}
		if (has_gid(&g, gr.gr_gid)) {
			*out = &c->groups[i];
			break;
		}
	}
	free(buf);
	if (g.groups != u->groups)
		free(g.groups);
	return r;
}

void nsj_section_label(const struct nsj_section *s, char *buf, size_t size)
{
	if (s->kind == NSJ_SEC_DEFAULT)
		snprintf(buf, size, "default");
	else
		snprintf(buf, size, "%s \"%s\"", s->kind == NSJ_SEC_USER ? "user" : "group",
			 s->name);
}

/* Each key from s when s sets it, else from default (which sets all). */
static int fill(const struct nsj_config *c, const struct nsj_section *s, struct nsj_policy *p,
		struct nsj_err *err)
{
	const struct nsj_section *d = &c->def;
	int n;

#define PICK(bit, field) ((s->set & (bit)) ? s->field : d->field)
	p->enable = PICK(NSJ_KEY_ENABLE, enable);
	p->namespaces = PICK(NSJ_KEY_NAMESPACES, namespaces);
	p->tmp = PICK(NSJ_KEY_TMP, tmp);
	p->tmp_size = PICK(NSJ_KEY_TMP_SIZE, tmp_size);
	p->tmp_paths = PICK(NSJ_KEY_TMP_PATHS, tmp_paths);
	p->n_tmp_paths = PICK(NSJ_KEY_TMP_PATHS, n_tmp_paths);
	p->propagation = PICK(NSJ_KEY_PROPAGATION, propagation);
	p->prop_paths = PICK(NSJ_KEY_PROPAGATION_PATHS, prop_paths);
	p->n_prop_paths = PICK(NSJ_KEY_PROPAGATION_PATHS, n_prop_paths);
	p->persist = PICK(NSJ_KEY_PERSIST, persist);
	p->idle_timeout = PICK(NSJ_KEY_IDLE_TIMEOUT, idle_timeout);
	p->system_bus = PICK(NSJ_KEY_SYSTEM_BUS, system_bus);
	p->network = PICK(NSJ_KEY_NETWORK, network);
	n = snprintf(p->hostname_tmpl, sizeof(p->hostname_tmpl), "%s",
		     PICK(NSJ_KEY_HOSTNAME, hostname));
#undef PICK
	if (n < 0 || (size_t)n >= sizeof(p->hostname_tmpl))
		return nsj_err_set(err, ENAMETOOLONG, "%s: hostname template too long", p->section);
	n = snprintf(p->pin_dir, sizeof(p->pin_dir), "%s", c->pin_dir);
	if (n < 0 || (size_t)n >= sizeof(p->pin_dir))
		return nsj_err_set(err, ENAMETOOLONG, "pin_dir too long");
	return 0;
}

/* Left out: enable = false, root unless its user section says enable = true, min_uid. */
static void decide(const struct nsj_config *c, const struct nsj_user *u,
		   const struct nsj_section *s, struct nsj_policy *p)
{
	p->jailed = false;
	if (!p->enable)
		snprintf(p->reason, sizeof(p->reason), "enable = false in %.100s",
			 (s->set & NSJ_KEY_ENABLE) ? p->section : "default");
	else if (u->uid == 0 && !(s->kind == NSJ_SEC_USER && (s->set & NSJ_KEY_ENABLE)))
		snprintf(p->reason, sizeof(p->reason), "uid 0");
	else if (u->uid < c->min_uid && s->kind != NSJ_SEC_USER)
		snprintf(p->reason, sizeof(p->reason), "uid %u below min_uid %u", (unsigned)u->uid,
			 c->min_uid);
	else
		p->jailed = true;
}

/* Absolute, no empty, "." or ".." component: a user named ".." must not move tmp_dir. */
static bool clean_path(const char *path)
{
	if (path[0] != '/')
		return false;
	for (const char *p = path + 1;; p++) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '\0')
			return true;
	}
}

/*
 * A template that fails for this user only (a name too long, say) is a config error all the
 * same: its message names the file and the line of the section the key comes from.
 */
static int at_key(const struct nsj_config *c, const struct nsj_section *s, unsigned key, int r,
		  struct nsj_err *err)
{
	const struct nsj_section *from = (s->set & key) ? s : &c->def;
	char label[128], msg[sizeof(err->msg)];

	snprintf(msg, sizeof(msg), "%s", err->msg);
	nsj_section_label(from, label, sizeof(label));
	nsj_err_clear(err);
	return nsj_err_set(err, -r, "%s:%u: %s: %s", c->path, from->line, label, msg);
}

static int expand(const struct nsj_config *c, const struct nsj_section *s, const struct nsj_user *u,
		  struct nsj_policy *p, struct nsj_err *err)
{
	struct nsj_tvars v = { .user = u->name, .uid = u->uid, .group = u->group };
	const char *tmpl = (s->set & NSJ_KEY_TMP_DIR) ? s->tmp_dir : c->def.tmp_dir;
	bool want_host = (p->namespaces & NSJ_NSF(NSJ_NS_UTS)) && p->hostname_tmpl[0] != '\0';
	bool want_dir = p->tmp == NSJ_TMP_DIR;
	char host[2 * (NSJ_HOSTNAME_MAX + 1) + 2], *group = NULL;
	int r = 0;

	/* The primary group (an NSS look-up) only for a template that names it ("%%g" may too). */
	if (v.group == NULL && ((want_host && strstr(p->hostname_tmpl, "%g")) ||
				(want_dir && strstr(tmpl, "%g")))) {
		r = primary_group(u->gid, &group, err);
		v.group = group;
	}
	if (v.group == NULL)
		v.group = "";
	nsj_tvars_host(&v, host, sizeof(host));
	if (r == 0 && want_host && (r = nsj_hostname_expand(p->hostname_tmpl, &v, p->hostname, err)) < 0)
		r = at_key(c, s, NSJ_KEY_HOSTNAME, r, err);
	if (r == 0 && want_dir) {
		r = nsj_template_expand(tmpl, &v, p->tmp_dir, sizeof(p->tmp_dir), err);
		if (r == 0 && !clean_path(p->tmp_dir))
			r = nsj_err_set(err, EINVAL,
					"tmp_dir \"%s\" expands to \"%s\": not a clean "
					"absolute path",
					tmpl, p->tmp_dir);
		if (r < 0)
			r = at_key(c, s, NSJ_KEY_TMP_DIR, r, err);
	}
	free(group);
	return r;
}

/* Which section s is, as a set's record keeps it (live.c): kind and index in file order. */
static void origin(const struct nsj_config *c, const struct nsj_section *s, struct nsj_policy *p)
{
	p->conf_hash = c->text_hash;
	p->sec_kind = s->kind == NSJ_SEC_USER ? 'u' : s->kind == NSJ_SEC_GROUP ? 'g' : 'd';
	p->sec_index = s->kind == NSJ_SEC_USER	  ? (unsigned)(s - c->users)
		       : s->kind == NSJ_SEC_GROUP ? (unsigned)(s - c->groups)
						  : 0;
}

int nsj_policy_for_section(const struct nsj_config *c, const struct nsj_user *u,
			   const struct nsj_section *s, struct nsj_policy *p, struct nsj_err *err)
{
	struct nsj_err scratch = { 0 };
	int r;

	memset(p, 0, sizeof(*p));
	origin(c, s, p);
	nsj_section_label(s, p->section, sizeof(p->section));
	r = fill(c, s, p, err);
	if (r < 0)
		return r;
	decide(c, u, s, p);
	if (p->jailed)
		return expand(c, s, u, p, err);
	/* Shown by "nsjailctl policy" only: a user left out cannot fail on a template. */
	if (expand(c, s, u, p, &scratch) < 0) {
		p->hostname[0] = '\0';
		p->tmp_dir[0] = '\0';
	}
	return 0;
}

int nsj_policy_resolve(const struct nsj_config *c, const struct nsj_user *u, struct nsj_policy *p,
		       struct nsj_err *err)
{
	const struct nsj_section *s;
	int r;

	memset(p, 0, sizeof(*p));
	r = pick_section(c, u, &s, err);
	if (r < 0)
		return r;
	return nsj_policy_for_section(c, u, s, p, err);
}
