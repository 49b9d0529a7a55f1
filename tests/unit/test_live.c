/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_live.c — live.c: the config text's hash, and when a login takes its section from the
 * record of the user's live set (no group look-up) and when it resolves in full: another text,
 * another user name, a user section, a record without a policy or naming a section that is not
 * there, no group sections; the rules (root, min_uid, enable) still apply to a recorded section.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nsj.h"

static struct nsj_config *conf(const char *text)
{
	struct nsj_config *c = NULL;
	struct nsj_err e;

	if (nsj_config_parse_buf(text, strlen(text), "t.conf", &c, &e) != 0)
		fail_msg("config: %s", e.msg);
	return c;
}

/* A user NSS does not know; n < 0: groups not looked up (a look-up would find only gid). */
struct fake {
	char name[32];
	gid_t gids[4];
	struct nsj_user u;
};

static struct nsj_user *fake(struct fake *f, const char *name, uid_t uid, int n, const gid_t *gids)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	if (n > 0)
		memcpy(f->gids, gids, (size_t)n * sizeof(*gids));
	f->u = (struct nsj_user){ .name = f->name, .uid = uid, .gid = uid, .group = (char *)"",
				  .groups = n >= 0 ? f->gids : NULL, .n_groups = n };
	return &f->u;
}

/* The record a first login under p leaves (what nsj_set_create copies from the policy). */
static void record_of(const struct nsj_policy *p, const struct nsj_user *u, struct nsj_record *r)
{
	memset(r, 0, sizeof(*r));
	r->uid = u->uid;
	snprintf(r->user, sizeof(r->user), "%s", u->name);
	r->conf_hash = p->conf_hash;
	r->sec_kind = p->sec_kind;
	r->sec_index = p->sec_index;
}

static void live(const struct nsj_config *c, const struct nsj_user *u, const struct nsj_record *r,
		 struct nsj_policy *p)
{
	struct nsj_err e = { 0 };

	if (nsj_policy_resolve_live(c, u, r, p, &e) != 0)
		fail_msg("resolve %s: %s", u->name, e.msg);
}

static const char text[] = "group adm { hostname = \"adm-%u\" }\n"
			   "group bin { hostname = \"bin-%u\" persist = true }\n"
			   "user alice { hostname = \"al-%u\" }\n";
static const gid_t in_bin[] = { 3003, 2 };

static void test_hash(void **state)
{
	struct nsj_config *a = conf(text), *b = conf(text), *d = conf("default { }\n");

	assert_true(a->text_hash == nsj_text_hash(text, strlen(text)));
	assert_true(a->text_hash == b->text_hash);
	assert_true(a->text_hash != d->text_hash);
	/* One byte more (a comment, a space) is another text. */
	assert_true(nsj_text_hash(text, strlen(text)) != nsj_text_hash("\n", 1));
	nsj_config_free(a);
	nsj_config_free(b);
	nsj_config_free(d);
}

/* The section of the live set, with no group look-up: carol's groups say default by now. */
static void test_rejoin_takes_recorded_section(void **state)
{
	struct nsj_config *c = conf(text);
	struct nsj_policy p, q;
	struct nsj_record r;
	struct fake f;

	live(c, fake(&f, "carol", 3003, 2, in_bin), NULL, &p);
	assert_string_equal(p.section, "group \"bin\"");
	assert_false(p.from_record);
	assert_int_equal(p.sec_kind, 'g');
	assert_int_equal(p.sec_index, 1);
	assert_true(p.conf_hash == c->text_hash);
	record_of(&p, &f.u, &r);
	assert_true(nsj_record_policy_is(&r, &p));

	live(c, fake(&f, "carol", 3003, -1, NULL), &r, &q);
	assert_string_equal(q.section, "group \"bin\"");
	assert_string_equal(q.hostname, "bin-carol");
	assert_true(q.from_record);
	assert_true(q.jailed);
	assert_true(nsj_record_policy_is(&r, &q));
	assert_null(f.u.groups); /* never looked up */
	/* Without the record the same user resolves in full: default. */
	live(c, fake(&f, "carol", 3003, 0, NULL), NULL, &q);
	assert_string_equal(q.section, "default");
	assert_false(q.from_record);
	nsj_config_free(c);
}

/* Anything the decision depended on that is not the same: resolved in full. */
static void test_full_when_changed(void **state)
{
	struct nsj_config *c = conf(text), *c2;
	struct nsj_policy p, q;
	struct nsj_record r, x;
	struct fake f;

	live(c, fake(&f, "carol", 3003, 2, in_bin), NULL, &p);
	record_of(&p, &f.u, &r);
	/* Another text: an admin exempting a group, or any edit at all. */
	c2 = conf("group bin { enable = false }\n");
	live(c2, fake(&f, "carol", 3003, 2, in_bin), &r, &q);
	assert_false(q.from_record);
	assert_false(q.jailed);
	assert_string_equal(q.reason, "enable = false in group \"bin\"");
	nsj_config_free(c2);
	/* A user section for her, added since (another text): it wins. */
	c2 = conf("group bin { hostname = \"bin-%u\" }\nuser carol { hostname = \"c\" }\n");
	x = r;
	x.conf_hash = c2->text_hash; /* even were the hash the same */
	live(c2, fake(&f, "carol", 3003, 2, in_bin), &x, &q);
	assert_string_equal(q.section, "user \"carol\"");
	assert_false(q.from_record);
	nsj_config_free(c2);
	/* Another name on the uid's record (a renamed user), or another uid. */
	live(c, fake(&f, "carla", 3003, 0, NULL), &r, &q);
	assert_string_equal(q.section, "default");
	live(c, fake(&f, "carol", 3004, 0, NULL), &r, &q);
	assert_string_equal(q.section, "default");
	/* A record without a policy (an older one), of a user section, or out of range. */
	x = r;
	x.sec_kind = 0;
	live(c, fake(&f, "carol", 3003, 0, NULL), &x, &q);
	assert_false(q.from_record);
	x.sec_kind = 'u';
	x.sec_index = 0;
	live(c, fake(&f, "carol", 3003, 0, NULL), &x, &q);
	assert_false(q.from_record);
	x.sec_kind = 'g';
	x.sec_index = 2;
	live(c, fake(&f, "carol", 3003, 0, NULL), &x, &q);
	assert_false(q.from_record);
	assert_string_equal(q.section, "default");
	/* Another section of the same text is not this record's. */
	x = r;
	x.sec_index = 0;
	assert_false(nsj_record_policy_is(&x, &p));
	nsj_config_free(c);
}

/* The default section is recorded too: a user in no group section skips the look-up as well. */
static void test_default_recorded(void **state)
{
	struct nsj_config *c = conf(text);
	struct nsj_policy p, q;
	struct nsj_record r;
	struct fake f;

	live(c, fake(&f, "dave", 3004, 0, NULL), NULL, &p);
	assert_string_equal(p.section, "default");
	assert_int_equal(p.sec_kind, 'd');
	record_of(&p, &f.u, &r);
	live(c, fake(&f, "dave", 3004, -1, NULL), &r, &q);
	assert_true(q.from_record);
	assert_string_equal(q.section, "default");
	nsj_config_free(c);
}

/* No group section: nothing to save, always in full (cheap). The rules still hold. */
static void test_no_groups_and_rules(void **state)
{
	struct nsj_config *c = conf("user alice { }\n"), *g = conf("min_uid = 1000\n" "group bin { }\n");
	struct nsj_policy p, q;
	struct nsj_record r;
	struct fake f;

	live(c, fake(&f, "dave", 3004, 0, NULL), NULL, &p);
	record_of(&p, &f.u, &r);
	live(c, fake(&f, "dave", 3004, 0, NULL), &r, &q);
	assert_false(q.from_record);
	/* A recorded section is still subject to the root and min_uid rules. */
	live(g, fake(&f, "x", 3005, 2, in_bin), NULL, &p);
	record_of(&p, &f.u, &r);
	r.uid = 0;
	live(g, fake(&f, "x", 0, -1, NULL), &r, &q);
	assert_true(q.from_record);
	assert_false(q.jailed);
	assert_string_equal(q.reason, "uid 0");
	r.uid = 500;
	live(g, fake(&f, "x", 500, -1, NULL), &r, &q);
	assert_false(q.jailed);
	assert_string_equal(q.reason, "uid 500 below min_uid 1000");
	nsj_config_free(c);
	nsj_config_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_rejoin_takes_recorded_section),
		cmocka_unit_test(test_full_when_changed),
		cmocka_unit_test(test_default_recorded),
		cmocka_unit_test(test_no_groups_and_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
