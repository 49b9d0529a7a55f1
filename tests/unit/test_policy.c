/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_policy.c — policy.c: NSS lookup of the real root user, and section precedence (user >
 * first group in file order > default), key inheritance, min_uid, the root rule, enable =
 * false and template expansion on hand-made users. Group sections name groups every Debian
 * host has (root 0, daemon 1, bin 2, sys 3, adm 4), so getgrnam() finds them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nsj.h"

#define assert_has(hay, needle)                                                                    \
	do {                                                                                       \
		if (strstr((hay), (needle)) == NULL)                                               \
			fail_msg("\"%s\" not in \"%s\"", (needle), (hay));                         \
	} while (0)

static struct nsj_config *conf(const char *text)
{
	struct nsj_config *c = NULL;
	struct nsj_err e;

	if (nsj_config_parse_buf(text, strlen(text), "t.conf", &c, &e) != 0)
		fail_msg("config: %s", e.msg);
	return c;
}

/* A user that NSS need not know: name, uid, primary gid/group, and every gid it is in. */
struct fake {
	char name[80], group[32], home[8];
	gid_t gids[8];
	struct nsj_user u;
};

static struct nsj_user *fake(struct fake *f, const char *name, uid_t uid, int n, const gid_t *gids)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->group, sizeof(f->group), "grp%u", (unsigned)uid);
	memcpy(f->gids, gids, (size_t)n * sizeof(*gids));
	f->u = (struct nsj_user){ .name = f->name,
				  .uid = uid,
				  .gid = n ? gids[0] : uid,
				  .group = f->group,
				  .home = f->home,
				  .groups = f->gids,
				  .n_groups = n };
	return &f->u;
}

static void resolve(const struct nsj_config *c, const struct nsj_user *u, struct nsj_policy *p)
{
	struct nsj_err e = { 0 };
	int r = nsj_policy_resolve(c, u, p, &e);

	if (r != 0)
		fail_msg("resolve %s: %d %s", u->name, r, e.msg);
}

static void test_lookup_root(void **state)
{
	struct nsj_user u;
	struct nsj_err e = { 0 };
	bool has0 = false;

	assert_int_equal(nsj_user_lookup("root", &u, &e), 0);
	assert_string_equal(u.name, "root");
	assert_int_equal(u.uid, 0);
	assert_int_equal(u.gid, 0);
	assert_null(u.group); /* not looked up until asked */
	assert_int_equal(nsj_user_group_name(&u, &e), 0);
	assert_string_equal(u.group, "root");
	assert_non_null(u.home);
	assert_int_equal(u.n_groups, -1); /* not looked up until asked */
	assert_int_equal(nsj_user_groups(&u, &e), 0);
	assert_true(u.n_groups >= 1);
	for (int i = 0; i < u.n_groups; i++)
		has0 |= u.groups[i] == 0;
	assert_true(has0);
	nsj_user_free(&u);
	assert_null(u.name);
	assert_null(u.groups);
}

static void test_lookup_unknown(void **state)
{
	struct nsj_user u;
	struct nsj_err e = { 0 };

	assert_int_equal(nsj_user_lookup("no-such-user-nsjt", &u, &e), -ENOENT);
	assert_string_equal(e.msg, "unknown user no-such-user-nsjt");
	assert_null(u.name);
}

static const char prec[] = "group adm { hostname = \"adm-%u\" }\n"
			   "group bin { hostname = \"bin-%u\" tmp_size = \"1M\" }\n"
			   "group no-such-group-nsjt { hostname = \"none\" }\n"
			   "user alice { hostname = \"al-%u\" }\n"
			   "default { tmp_size = \"64M\" idle_timeout = 30 }\n";

static void test_precedence(void **state)
{
	struct nsj_config *c = conf(prec);
	struct nsj_policy p;
	struct fake f;
	const gid_t bin_adm[] = { 1001, 2, 4 }, bin[] = { 1001, 2 }, own[] = { 1001 };

	/* The user section wins over any group. */
	resolve(c, fake(&f, "alice", 1001, 3, bin_adm), &p);
	assert_string_equal(p.section, "user \"alice\"");
	assert_string_equal(p.hostname, "al-alice");
	/* Among groups the file order decides, not the order of the user's groups. */
	resolve(c, fake(&f, "bob", 1002, 3, bin_adm), &p);
	assert_string_equal(p.section, "group \"adm\"");
	assert_string_equal(p.hostname, "adm-bob");
	resolve(c, fake(&f, "carol", 1003, 2, bin), &p);
	assert_string_equal(p.section, "group \"bin\"");
	assert_int_equal(p.tmp_size, 1 << 20);
	/* No section: default; a group that does not exist matches nobody. */
	resolve(c, fake(&f, "dave", 1004, 1, own), &p);
	assert_string_equal(p.section, "default");
	assert_string_equal(p.hostname_tmpl, "%u-%h");
	nsj_config_free(c);

	c = conf("group bin { hostname = \"bin\" }\ngroup adm { hostname = \"adm\" }\n");
	resolve(c, fake(&f, "bob", 1002, 3, bin_adm), &p);
	assert_string_equal(p.section, "group \"bin\"");
	nsj_config_free(c);
}

static void test_inheritance(void **state)
{
	struct nsj_config *c = conf(prec);
	struct nsj_policy p;
	struct fake f;
	const gid_t adm[] = { 1002, 4 };

	resolve(c, fake(&f, "bob", 1002, 2, adm), &p);
	assert_string_equal(p.section, "group \"adm\"");
	assert_true(p.jailed);
	assert_true(p.enable);
	assert_string_equal(p.hostname_tmpl, "adm-%u"); /* from the group */
	assert_int_equal(p.tmp_size, 64 << 20);		/* from the file's default */
	assert_int_equal(p.idle_timeout, 30);		/* from the file's default */
	assert_int_equal(p.namespaces, NSJ_NS_DEFAULT); /* built in */
	assert_int_equal(p.tmp, NSJ_TMP_TMPFS);
	assert_int_equal(p.propagation, NSJ_PROP_SLAVE);
	assert_true(p.persist);
	assert_int_equal(p.n_tmp_paths, 2);
	assert_int_equal(p.system_bus, NSJ_BUS_HIDDEN); /* built in */
	assert_ptr_equal(p.tmp_paths, c->def.tmp_paths); /* borrowed */
	assert_string_equal(p.tmp_paths[0], "/tmp");
	assert_string_equal(p.pin_dir, "/run/pam_nsjail");
	assert_string_equal(p.tmp_dir, ""); /* tmp is not dir */
	nsj_config_free(c);
}

static void test_min_uid(void **state)
{
	struct nsj_config *c = conf("min_uid = 1000\nuser sys1 { tmp = none }\ngroup adm { }\n");
	struct nsj_policy p;
	struct fake f;
	const gid_t adm[] = { 999, 4 };

	resolve(c, fake(&f, "svc", 999, 2, adm), &p);
	assert_false(p.jailed);
	assert_string_equal(p.reason, "uid 999 below min_uid 1000");
	/* A group section does not exempt: left out whatever the groups, which are not looked up. */
	assert_string_equal(p.section, "default");
	resolve(c, fake(&f, "sys1", 500, 2, adm), &p);
	assert_true(p.jailed); /* a user section does */
	assert_int_equal(p.tmp, NSJ_TMP_NONE);
	resolve(c, fake(&f, "new", 1000, 2, adm), &p);
	assert_true(p.jailed);
	nsj_config_free(c);
}

static void test_root_rule(void **state)
{
	struct nsj_user root;
	struct nsj_err e = { 0 };
	struct nsj_policy p;
	struct nsj_config *c;

	assert_int_equal(nsj_user_lookup("root", &root, &e), 0);
	c = conf("default { enable = true }\ngroup root { enable = true }\n");
	resolve(c, &root, &p);
	assert_false(p.jailed);
	assert_string_equal(p.reason, "uid 0");
	nsj_config_free(c);

	c = conf("user root { tmp = none }\n"); /* names root, but enable only inherited */
	resolve(c, &root, &p);
	assert_false(p.jailed);
	assert_string_equal(p.reason, "uid 0");
	assert_string_equal(p.section, "user \"root\"");
	nsj_config_free(c);

	c = conf("min_uid = 1000\nuser root { enable = true }\n");
	resolve(c, &root, &p);
	assert_true(p.jailed);
	assert_string_equal(p.reason, "");
	nsj_config_free(c);

	c = conf("user root { enable = false }\n");
	resolve(c, &root, &p);
	assert_false(p.jailed);
	assert_string_equal(p.reason, "enable = false in user \"root\"");
	nsj_config_free(c);
	nsj_user_free(&root);
}

static void test_enable_false(void **state)
{
	struct nsj_config *c = conf("group adm { enable = false }\n");
	struct nsj_policy p;
	struct fake f;
	const gid_t adm[] = { 1001, 4 }, own[] = { 1001 };

	resolve(c, fake(&f, "admin", 1001, 2, adm), &p);
	assert_false(p.jailed);
	assert_false(p.enable);
	assert_string_equal(p.reason, "enable = false in group \"adm\"");
	resolve(c, fake(&f, "user", 1001, 1, own), &p);
	assert_true(p.jailed);
	nsj_config_free(c);

	c = conf("default { enable = false }\nuser on { enable = true }\ngroup adm { }\n");
	resolve(c, fake(&f, "admin", 1001, 2, adm), &p);
	assert_false(p.jailed);
	assert_string_equal(p.reason, "enable = false in default"); /* inherited: say from where */
	resolve(c, fake(&f, "on", 1001, 2, adm), &p);
	assert_true(p.jailed);
	nsj_config_free(c);
}

static void test_expansion(void **state)
{
	struct nsj_config *c =
		conf("default { tmp = dir tmp_dir = \"/var/lib/t/%U-%g\" hostname = \"%u.x_y\" }\n"
		     "user nouts { namespaces = {mount} hostname = \"\" }\n"
		     "user keep { hostname = \"\" }\n");
	struct nsj_policy p;
	struct fake f;
	const gid_t own[] = { 1001 };

	resolve(c, fake(&f, "alice", 1001, 1, own), &p);
	assert_true(p.jailed);
	assert_string_equal(p.hostname, "alice.x-y");
	assert_string_equal(p.tmp_dir, "/var/lib/t/1001-grp1001");
	resolve(c, fake(&f, "nouts", 1001, 1, own), &p);
	assert_string_equal(p.hostname, "");
	resolve(c, fake(&f, "keep", 1001, 1, own), &p);
	assert_string_equal(p.hostname, "");
	nsj_config_free(c);
}

/* A user as the module sees one (group name not looked up yet): %g is looked up for the template. */
static void test_expansion_lazy_group(void **state)
{
	struct nsj_config *c = conf("min_uid = 0\n"
				    "user root { enable = true hostname = \"%g-%u\" tmp = dir "
				    "tmp_dir = \"/var/lib/t/%g\" }\n");
	struct nsj_policy p;
	struct nsj_user u;
	struct nsj_err e = { 0 };

	assert_int_equal(nsj_user_lookup("root", &u, &e), 0);
	assert_null(u.group);
	resolve(c, &u, &p);
	assert_string_equal(p.hostname, "root-root");
	assert_string_equal(p.tmp_dir, "/var/lib/t/root");
	nsj_user_free(&u);
	nsj_config_free(c);
}

static void test_expansion_errors(void **state)
{
	struct nsj_config *c = conf("min_uid = 1000\ndefault { hostname = \"%u-%u\" tmp = dir }\n");
	struct nsj_policy p;
	struct nsj_err e = { 0 };
	struct fake f;
	const gid_t own[] = { 1001 };
	char name[41];

	memset(name, 'n', 40);
	name[40] = '\0';
	assert_int_equal(nsj_policy_resolve(c, fake(&f, name, 1001, 1, own), &p, &e),
			 -ENAMETOOLONG);
	assert_has(e.msg, "hostname template \"%u-%u\"");
	/* Left out (uid below min_uid): the same template is no error. */
	nsj_err_clear(&e);
	assert_int_equal(nsj_policy_resolve(c, fake(&f, name, 999, 1, own), &p, &e), 0);
	assert_false(p.jailed);
	assert_string_equal(p.hostname, "");
	nsj_config_free(c);

	/* A user named ".." must not move tmp_dir out of its parent. */
	c = conf("default { tmp = dir tmp_dir = \"/var/lib/t/%u\" }\n");
	nsj_err_clear(&e);
	assert_int_equal(nsj_policy_resolve(c, fake(&f, "..", 1001, 1, own), &p, &e), -EINVAL);
	assert_has(e.msg, "not a clean absolute path");
	nsj_config_free(c);
}

static void test_not_jailed_still_shows(void **state)
{
	struct nsj_config *c = conf("pin_dir = /run/x\ndefault { hostname = \"h-%u\" }\n");
	struct nsj_policy p;
	struct fake f;
	const gid_t own[] = { 10 };

	resolve(c, fake(&f, "low", 10, 1, own), &p);
	assert_false(p.jailed);
	assert_string_equal(p.hostname, "h-low"); /* for nsjailctl policy */
	assert_string_equal(p.pin_dir, "/run/x");
	nsj_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_root),
		cmocka_unit_test(test_lookup_unknown),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_inheritance),
		cmocka_unit_test(test_min_uid),
		cmocka_unit_test(test_root_rule),
		cmocka_unit_test(test_enable_false),
		cmocka_unit_test(test_expansion),
		cmocka_unit_test(test_expansion_lazy_group),
		cmocka_unit_test(test_expansion_errors),
		cmocka_unit_test(test_not_jailed_still_shows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
