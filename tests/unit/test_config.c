/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_config.c — config.c and config_parse.c: a full file with every key, inheritance from
 * default, each kind of error with its exact FILE:LINE, and the owner/mode/type checks of
 * nsj_config_load().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nsj.h"

#define NAME "test.conf"

/* Is there a line in msg that starts with prefix and holds sub? */
static bool has_line(const char *msg, const char *prefix, const char *sub)
{
	for (const char *l = msg; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t n = strcspn(l, "\n");
		char line[2048];

		snprintf(line, sizeof(line), "%.*s", (int)n, l);
		if (strncmp(line, prefix, strlen(prefix)) == 0 && strstr(line, sub))
			return true;
	}
	return false;
}

static struct nsj_config *parse_ok(const char *text)
{
	struct nsj_config *c = NULL;
	struct nsj_err e;
	int r = nsj_config_parse_buf(text, strlen(text), NAME, &c, &e);

	if (r != 0)
		fail_msg("parse failed (%d): %s", r, e.msg);
	assert_non_null(c);
	return c;
}

/* Parse must fail with -EINVAL and a line "PREFIX...SUB...". */
static void parse_bad_n(const char *text, size_t len, const char *prefix, const char *sub)
{
	struct nsj_config *c = (struct nsj_config *)1;
	struct nsj_err e;
	int r = nsj_config_parse_buf(text, len, NAME, &c, &e);

	if (r != -EINVAL)
		fail_msg("expected -EINVAL, got %d for:\n%s\nmsg: %s", r, text, e.msg);
	assert_null(c);
	assert_int_equal(e.code, EINVAL);
	if (!has_line(e.msg, prefix, sub))
		fail_msg("no line \"%s...%s...\" in:\n%s", prefix, sub, e.msg);
}

static void parse_bad(const char *text, const char *prefix, const char *sub)
{
	parse_bad_n(text, strlen(text), prefix, sub);
}

static const char full[] =
	"# pam_nsjail test config\n"			       /* 1 */
	"pin_dir = \"/run/nsj-test//\"  // trailing slashes\n" /* 2 */
	"min_uid = 500\n"				       /* 3 */
	"/* a block comment\n"				       /* 4 */
	"   over two lines */\n"			       /* 5 */
	"default {\n"					       /* 6 */
	"    enable = false\n"				       /* 7 */
	"    namespaces = {mount, ipc, uts, pid, net, cgroup}\n"
	"    hostname = \"%H_%u\"\n"
	"    tmp = dir\n" /* 10 */
	"    tmp_size = \"64k\"\n"
	"    tmp_dir = \"/var/tmp/nsj/%U\"\n"
	"    tmp_paths = {\"/tmp\", \"/var/tmp/\", '/srv//scratch'}\n"
	"    propagation = private\n"
	"    persist = false\n" /* 15 */
	"    idle_timeout = 3600  network = outbound  propagation_paths = {\"/home\", '/srv//nfs/'}\n"
	"}\n"
	"\n"
	"user root { enable = false }\n"	/* 19 */
	"group \"admins\" { enable = false }\n" /* 20 */
	"group lab\n"				/* 21 */
	"{\n"					/* 22: the header's '{' */
	"    hostname = \"lab-%u\"  tmp_size = \"1G\"  system_bus = host\n"
	"}\n"
	"user \"alice\" { namespaces = {mount, uts} tmp = tmpfs tmp_paths = {} tmp = none }\n" /* 25
												*/
	"user bob { namespaces = {mount} hostname = \"\" tmp = none enable = true network = loopback }\n"
	/* 26 */;

static void test_full(void **state)
{
	struct nsj_config *c = parse_ok(full);
	const struct nsj_section *d = &c->def, *s;

	assert_string_equal(c->path, NAME);
	assert_string_equal(c->pin_dir, "/run/nsj-test");
	assert_int_equal(c->min_uid, 500);
	assert_int_equal(d->kind, NSJ_SEC_DEFAULT);
	assert_null(d->name);
	assert_int_equal(d->line, 6);
	assert_int_equal(d->set, ((NSJ_KEY_IDLE_TIMEOUT << 1) - 1) | NSJ_KEY_NETWORK | NSJ_KEY_PROPAGATION_PATHS |
			 NSJ_KEY_SYSTEM_BUS);
	assert_false(d->enable);
	assert_int_equal(d->network, NSJ_NET_OUTBOUND);
	assert_int_equal(d->namespaces, (1u << NSJ_NS_COUNT) - 1);
	assert_string_equal(d->hostname, "%H_%u");
	assert_int_equal(d->tmp, NSJ_TMP_DIR);
	assert_int_equal(d->tmp_size, 64 * 1024);
	assert_string_equal(d->tmp_dir, "/var/tmp/nsj/%U");
	assert_int_equal(d->n_tmp_paths, 3);
	assert_string_equal(d->tmp_paths[0], "/tmp");
	assert_string_equal(d->tmp_paths[1], "/var/tmp");
	assert_string_equal(d->tmp_paths[2], "/srv/scratch");
	assert_int_equal(d->propagation, NSJ_PROP_PRIVATE);
	assert_int_equal(d->n_prop_paths, 2);
	assert_string_equal(d->prop_paths[0], "/home");
	assert_string_equal(d->prop_paths[1], "/srv/nfs");
	assert_false(d->persist);
	assert_int_equal(d->idle_timeout, 3600);

	assert_int_equal(c->n_users, 3);
	assert_int_equal(c->n_groups, 2);
	s = &c->users[0];
	assert_int_equal(s->kind, NSJ_SEC_USER);
	assert_string_equal(s->name, "root");
	assert_int_equal(s->line, 19);
	assert_int_equal(s->set, NSJ_KEY_ENABLE);
	assert_false(s->enable);
	s = &c->groups[0];
	assert_int_equal(s->kind, NSJ_SEC_GROUP);
	assert_string_equal(s->name, "admins");
	assert_int_equal(s->line, 20);
	s = &c->groups[1];
	assert_string_equal(s->name, "lab");
	assert_int_equal(s->line, 22);
	assert_int_equal(s->set, NSJ_KEY_HOSTNAME | NSJ_KEY_TMP_SIZE | NSJ_KEY_SYSTEM_BUS);
	assert_string_equal(s->hostname, "lab-%u");
	assert_int_equal(s->tmp_size, 1ull << 30);
	assert_int_equal(s->system_bus, NSJ_BUS_HOST);
	s = &c->users[1];
	assert_string_equal(s->name, "alice");
	assert_int_equal(s->line, 25);
	assert_int_equal(s->set, NSJ_KEY_NAMESPACES | NSJ_KEY_TMP | NSJ_KEY_TMP_PATHS);
	assert_int_equal(s->namespaces, NSJ_NSF(NSJ_NS_MNT) | NSJ_NSF(NSJ_NS_UTS));
	assert_int_equal(s->tmp, NSJ_TMP_NONE); /* the last assignment wins */
	assert_int_equal(s->n_tmp_paths, 0);
	s = &c->users[2];
	assert_string_equal(s->name, "bob");
	assert_int_equal(s->line, 26);
	assert_int_equal(s->set,
			 NSJ_KEY_NAMESPACES | NSJ_KEY_HOSTNAME | NSJ_KEY_TMP | NSJ_KEY_ENABLE |
				 NSJ_KEY_NETWORK);
	assert_int_equal(s->network, NSJ_NET_LOOPBACK);
	assert_int_equal(s->namespaces, NSJ_NSF(NSJ_NS_MNT));
	assert_string_equal(s->hostname, "");
	assert_true(s->enable);
	nsj_config_free(c);
}

static void assert_builtin(const struct nsj_section *d)
{
	assert_int_equal(d->set, ((NSJ_KEY_IDLE_TIMEOUT << 1) - 1) | NSJ_KEY_NETWORK | NSJ_KEY_PROPAGATION_PATHS |
			 NSJ_KEY_SYSTEM_BUS);
	assert_true(d->enable);
	assert_int_equal(d->namespaces, NSJ_NS_DEFAULT);
	assert_string_equal(d->hostname, "%u-%h");
	assert_int_equal(d->tmp, NSJ_TMP_TMPFS);
	assert_int_equal(d->tmp_size, 512ull << 20);
	assert_string_equal(d->tmp_dir, "/var/lib/pam_nsjail/tmp/%U");
	assert_int_equal(d->n_tmp_paths, 2);
	assert_string_equal(d->tmp_paths[0], "/tmp");
	assert_string_equal(d->tmp_paths[1], "/var/tmp");
	assert_int_equal(d->propagation, NSJ_PROP_SLAVE);
	assert_int_equal(d->n_prop_paths, 6);
	assert_string_equal(d->prop_paths[0], "/home");
	assert_string_equal(d->prop_paths[1], "/media");
	assert_string_equal(d->prop_paths[2], "/mnt");
	assert_string_equal(d->prop_paths[3], "/net");
	assert_string_equal(d->prop_paths[4], "/run/media");
	assert_string_equal(d->prop_paths[5], "/run/user");
	assert_true(d->persist);
	assert_int_equal(d->idle_timeout, 0);
	assert_int_equal(d->system_bus, NSJ_BUS_HIDDEN);
}

static void test_empty_file_builtin_defaults(void **state)
{
	struct nsj_config *c = parse_ok("");

	assert_string_equal(c->pin_dir, "/run/pam_nsjail");
	assert_int_equal(c->min_uid, 1000);
	assert_int_equal(c->def.line, 0);
	assert_builtin(&c->def);
	assert_int_equal(c->n_users, 0);
	assert_int_equal(c->n_groups, 0);
	nsj_config_free(c);
}

static void test_sections_record_only_their_keys(void **state)
{
	struct nsj_config *c = parse_ok("user alice { tmp = none }\ngroup g { }\n");

	assert_builtin(&c->def);
	assert_int_equal(c->users[0].set, NSJ_KEY_TMP);
	assert_int_equal(c->users[0].tmp, NSJ_TMP_NONE);
	assert_int_equal(c->groups[0].set, 0);
	assert_int_equal(c->groups[0].line, 2);
	nsj_config_free(c);
}

static void test_default_overlays_builtin(void **state)
{
	struct nsj_config *c = parse_ok("default {\n hostname = \"\"\n tmp_size = \"\"\n}\n");

	assert_int_equal(c->def.line, 1);
	assert_int_equal(c->def.set, ((NSJ_KEY_IDLE_TIMEOUT << 1) - 1) | NSJ_KEY_NETWORK | NSJ_KEY_PROPAGATION_PATHS |
			 NSJ_KEY_SYSTEM_BUS);
	assert_string_equal(c->def.hostname, "");
	assert_int_equal(c->def.tmp_size, 0);
	assert_int_equal(c->def.namespaces, NSJ_NS_DEFAULT);
	assert_string_equal(c->def.tmp_paths[0], "/tmp");
	nsj_config_free(c);
}

static void test_unknown_key_and_section(void **state)
{
	parse_bad("user a {\n  bogus = 1\n}\n", NAME ":2: ", "bogus");
	parse_bad("\n\nfoo {\n}\n", NAME ":3: ", "foo");
	parse_bad("enable = true\n", NAME ":1: ", "enable");
	parse_bad("default {\n pin_dir = \"/x\"\n}\n", NAME ":2: ", "pin_dir");
}

static void test_bad_values(void **state)
{
	parse_bad("user a {\n tmp = foo\n}\n", NAME ":2: ", "tmp: unknown value \"foo\"");
	parse_bad("user a {\n\n propagation = x }\n",
		  NAME ":3: ", "propagation: unknown value \"x\"");
	parse_bad("user a {\n system_bus = open }\n", NAME ":2: ",
		  "system_bus: unknown value \"open\" (expected hidden or host)");
	parse_bad("group g { namespaces = {mount, bogus} }\n",
		  NAME ":1: ", "unknown namespace \"bogus\"");
	parse_bad("min_uid = -5\n", NAME ":1: ", "min_uid: \"-5\" is not a whole number");
	parse_bad("\nmin_uid = abc\n", NAME ":2: ", "min_uid: \"abc\"");
	parse_bad("min_uid = 0x10\n", NAME ":1: ", "min_uid");
	parse_bad("min_uid = 99999999999\n", NAME ":1: ", "min_uid");
	parse_bad("user a { idle_timeout = -1 }\n", NAME ":1: ", "idle_timeout");
	parse_bad("user a { enable = maybe }\n", NAME ":1: ", "enable");
	parse_bad("user a { tmp_size = \"12Q\" }\n",
		  NAME ":1: ", "tmp_size: \"12Q\" is not a size");
	parse_bad("user a { tmp_size = \"-1M\" }\n", NAME ":1: ", "tmp_size");
	parse_bad("pin_dir = \"run\"\n", NAME ":1: ", "not an absolute path");
	parse_bad("pin_dir = \"/\"\n", NAME ":1: ", "root directory");
	parse_bad("user a {\n network = nat }\n", NAME ":2: ",
		  "network: unknown value \"nat\" (expected loopback or outbound)");
}

static void test_paths(void **state)
{
	struct nsj_config *c = parse_ok("default { tmp_paths = {\"//a//b/\", \"/c\"} }\n"
					"pin_dir = /run//nsj/ // a comment after a word\n");

	assert_string_equal(c->def.tmp_paths[0], "/a/b");
	assert_string_equal(c->def.tmp_paths[1], "/c");
	assert_string_equal(c->pin_dir, "/run/nsj");
	nsj_config_free(c);
	parse_bad("default {\n tmp_paths = {\"tmp\"}\n}\n",
		  NAME ":2: ", "tmp_paths: \"tmp\" is not an absolute path");
	parse_bad("default { tmp_paths = {\"/a/../b\"} }\n", NAME ":1: ", "\"..\" component");
	parse_bad("default { tmp_paths = {\"/a/./b\"} }\n", NAME ":1: ", "component");
	parse_bad("default { tmp_paths = {\"/\"} }\n", NAME ":1: ", "root directory");
	/* At the start of a token "//" opens a comment, as libconfuse has it: no value here. */
	parse_bad("pin_dir = //run\nmin_uid = 1\n", NAME ":2: ", "");
	parse_bad("\ngroup g { tmp_paths = {\"/a\", \"/a/\"} }\n",
		  NAME ":2: ", "group \"g\": tmp_paths lists \"/a\" twice");
	/* propagation_paths: the same rules; an empty list is allowed (nothing propagates). */
	c = parse_ok("user u { propagation_paths = {} }\n");
	assert_int_equal(c->users[0].set, NSJ_KEY_PROPAGATION_PATHS);
	assert_int_equal(c->users[0].n_prop_paths, 0);
	nsj_config_free(c);
	parse_bad("default {\n propagation_paths = {\"home\"}\n}\n",
		  NAME ":2: ", "propagation_paths: \"home\" is not an absolute path");
	parse_bad("default { propagation_paths = {\"/a/../b\"} }\n", NAME ":1: ", "\"..\" component");
	parse_bad("default { propagation_paths = {\"/\"} }\n", NAME ":1: ", "root directory");
	parse_bad("\nuser u { propagation_paths = {\"/home\", \"//home\"} }\n",
		  NAME ":2: ", "user \"u\": propagation_paths lists \"/home\" twice");
	/* More than a login can send the keeper (256): an error at the section's line. */
	char big[40000];
	size_t o = (size_t)snprintf(big, sizeof(big), "\ngroup g { propagation_paths = {");
	for (int i = 0; i < 257; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "%s\"/p%d\"", i ? ", " : "", i);
	snprintf(big + o, sizeof(big) - o, "} }\n");
	parse_bad(big, NAME ":2: ", "group \"g\": propagation_paths has 257 paths, more than 256");
	o = (size_t)snprintf(big, sizeof(big), "\ngroup g { tmp_paths = {");
	for (int i = 0; i < 256; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "%s\"/p%d\"", i ? ", " : "", i);
	snprintf(big + o, sizeof(big) - o, "} }\n");
	c = parse_ok(big); /* 256 is fine */
	nsj_config_free(c);
	o = (size_t)snprintf(big, sizeof(big), "\ngroup g { tmp_paths = {\"/q\"");
	for (int i = 0; i < 256; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, ", \"/p%d\"", i);
	snprintf(big + o, sizeof(big) - o, "} }\n");
	parse_bad(big, NAME ":2: ", "group \"g\": tmp_paths has 257 paths, more than 256");
}

static void test_environment_refused(void **state)
{
	parse_bad("user a {\n hostname = \"${HOME}\"\n}\n",
		  NAME ":2: ", "\"${\" is not allowed (no environment expansion)");
	parse_bad("pin_dir = ${X}\n", NAME ":1: ", "\"${\" is not allowed");
	/* Also in a single-quoted string (not expanded there, but refused all the same). */
	parse_bad("\n\npin_dir = '/a${b}'\n", NAME ":3: ", "\"${\"");
	parse_bad("user a { namespaces = {mount, ${X}} }\n", NAME ":1: ", "\"${\"");
	/* A comment never reaches libconfuse: it may mention ${VAR}. */
	nsj_config_free(parse_ok("# ${HOME} is not expanded\n/* ${X} */ min_uid = 5 // ${Y}\n"));
}

static void test_include_refused(void **state)
{
	parse_bad("\ninclude(\"/etc/passwd\")\n", NAME ":2: ", "include");
	parse_bad("user a { include(\"/etc/passwd\") }\n", NAME ":1: ", "include");
}

static void test_bad_templates(void **state)
{
	parse_bad("user a {\n hostname = \"a%xb\"\n}\n",
		  NAME ":2: ", "hostname: unknown template sequence %x in \"a%xb\"");
	parse_bad("user a { hostname = \"a%\" }\n", NAME ":1: ", "unknown template sequence");
	parse_bad("user a { tmp_dir = \"/var/%q\" }\n",
		  NAME ":1: ", "tmp_dir: unknown template sequence %q");
	parse_bad("user a { tmp_dir = \"%u/tmp\" }\n", NAME ":1: ", "not an absolute path");
	/* A hostname no login could have is found at its line, not at each login. */
	parse_bad("group g {\n hostname = \"___\"\n}\n", NAME ":2: ",
		  "hostname: hostname template \"___\" gives an empty name");
	parse_bad("user a { hostname = \"" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "\" }\n",
		  NAME ":1: ", "(69 bytes, more than 64)");
	parse_bad("user a { hostname = \"%u-" "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" "\" }\n",
		  NAME ":1: ", "hostname: template with 65 letters and digits of its own: every name it "
		  "gives is longer than 64 bytes");
	nsj_config_free(parse_ok("user a { hostname = \"%%u\" }\n"
				 "user b { hostname = \"%u-" "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" "\" }\n"
				 "user c { hostname = \"\" }\n"));
	parse_bad("user a { tmp_dir = \"/x/../%u\" }\n", NAME ":1: ", "component");
}

static void test_consistency(void **state)
{
	parse_bad("\ngroup \"lab\" {\n namespaces = {pid, uts}\n tmp = none\n}\n",
		  NAME ":2: ", "group \"lab\": namespaces has pid but not mount (pid needs mount)");
	parse_bad("user u {\n namespaces = {uts}\n}\n",
		  NAME ":1: ", "user \"u\": tmp = tmpfs (from default) needs mount in namespaces");
	parse_bad("user u {\n namespaces = {ipc, uts}\n tmp = none\n}\n", NAME ":1: ",
		  "namespaces has ipc but not mount (the private /dev/shm needs mount)");
	parse_bad("\n\nuser u {\n namespaces = {mount}\n}\n", NAME ":3: ",
		  "user \"u\": hostname = \"%u-%h\" (from default) needs uts in namespaces");
	parse_bad("user u { tmp = dir  tmp_paths = {} }\n",
		  NAME ":1: ", "user \"u\": tmp = dir but tmp_paths is empty");
	parse_bad("default {\n namespaces = {mount}\n}\n",
		  NAME ":1: ", "default: hostname = \"%u-%h\" needs uts");
	/* A section inherits a default that only fails in combination with its own keys. */
	parse_bad("default { hostname = \"\" tmp = none namespaces = {net} }\n"
		  "group g { namespaces = {net, uts} hostname = \"x\" tmp = tmpfs }\n",
		  NAME ":2: ", "group \"g\": tmp = tmpfs needs mount");
	/* A set is a mount namespace first: without one it could never be rejoined. */
	parse_bad("\nuser u {\n namespaces = {uts}\n tmp = none\n}\n", NAME ":2: ",
		  "user \"u\": namespaces has no mount: every set has a mount namespace of its own "
		  "(add mount, or set enable = false)");
	parse_bad("group g { namespaces = {} hostname = \"\" tmp = none }\n", NAME ":1: ",
		  "group \"g\": namespaces has no mount");
	parse_bad("default { namespaces = {net, uts} tmp = none }\n", NAME ":1: ",
		  "default: namespaces has no mount");
	parse_bad("default { tmp = none }\nuser u { namespaces = {net} hostname = \"\" }\n", NAME ":2: ",
		  "user \"u\": namespaces has no mount");
	/* tmp = dir: a directory per user, or every user of the section shares one. */
	parse_bad("default {\n tmp = dir\n tmp_dir = \"/var/lib/nsj/shared\"\n}\n", NAME ":1: ",
		  "default: tmp = dir with tmp_dir = \"/var/lib/nsj/shared\", which names no user: "
		  "every user of the section would share it (add %U or %u)");
	parse_bad("default { tmp_dir = \"/t/%%u-%g\" }\ngroup g { tmp = dir }\n", NAME ":2: ",
		  "group \"g\": tmp = dir with tmp_dir = \"/t/%%u-%g\" (from default), which names no user");
	nsj_config_free(parse_ok("default { tmp_dir = \"/t/shared\" }\n"   /* tmpfs: unused */
				 "user a { tmp = dir tmp_dir = \"/srv/a-tmp\" }\n" /* one user's */
				 "group g { tmp = dir tmp_dir = \"/t/%g/%%/%U\" }\n"));
	/* outbound without net would do nothing: an error, not a silent loopback. */
	parse_bad("\ndefault { network = outbound }\n", NAME ":2: ",
		  "default: network = outbound needs net in namespaces "
		  "(add net or set network = loopback)");
	parse_bad("default { namespaces = {mount, uts, net} network = outbound }\n"
		  "user u { namespaces = {mount, uts} }\n",
		  NAME ":2: ", "user \"u\": network = outbound (from default) needs net");
}

static void test_all_problems_reported(void **state)
{
	struct nsj_config *c = NULL;
	struct nsj_err e;
	const char *t = "user a { namespaces = {pid, uts} tmp = none }\n"
			"user b { namespaces = {mount} }\n";

	assert_int_equal(nsj_config_parse_buf(t, strlen(t), NAME, &c, &e), -EINVAL);
	assert_int_equal(e.count, 2);
	assert_true(has_line(e.msg, NAME ":1: ", "user \"a\": namespaces has pid"));
	assert_true(has_line(e.msg, NAME ":2: ", "user \"b\": hostname"));
}

static void test_disabled_section_not_checked(void **state)
{
	struct nsj_config *c = parse_ok("user x { enable = false namespaces = {} }\n"
					"default { enable = false namespaces = {pid} }\n"
					"user y { enable = true tmp = none hostname = \"\" "
					"namespaces = {mount, pid} }\n");

	assert_int_equal(c->n_users, 2);
	nsj_config_free(c);
	/* ...but a section that enables itself over a disabled default is checked. */
	parse_bad("default { enable = false namespaces = {pid} }\nuser z { enable = true }\n",
		  NAME ":2: ", "user \"z\": namespaces (from default) has pid but not mount");
}

static void test_duplicates(void **state)
{
	parse_bad("user alice {}\n\nuser \"alice\" {}\n", NAME ":3: ", "duplicate");
	parse_bad("group g {}\ngroup g {}\n", NAME ":2: ", "duplicate");
	parse_bad("default {}\n# x\ndefault {}\n",
		  NAME ":3: ", "a second default section (the first is at line 1)");
	parse_bad("user \"\" {}\n", NAME ":1: ", "empty");
	/* A user and a group may share a name. */
	nsj_config_free(parse_ok("user lab {}\ngroup lab {}\n"));
}

static void test_syntax(void **state)
{
	parse_bad("user a {\n tmp = none\n", NAME ":1: ", "not closed");
	parse_bad("user a {\n hostname = \"abc\n}\n", NAME ":2: ", "unterminated string");
	parse_bad("\n/* open\n", NAME ":2: ", "unterminated comment");
	parse_bad("user a {\n namespaces += {net}\n}\n", NAME ":2: ", "\"+=\" is not supported");
	parse_bad("}\n", NAME ":1: ", "closing brace");
	parse_bad_n("user a {}\n\0\n", 12, NAME ":2: ", "NUL byte");
}

/* libconfuse 3.3 miscounts lines after comments: the pre-scan must make them right. */
static void test_lines_after_comments(void **state)
{
	parse_bad("# one\n// two\n/* three\n four */ # five\n\nuser a {\n bogus = 1\n}\n",
		  NAME ":7: ", "bogus");
	parse_bad("user a { hostname = \"a#\" }  # c\nuser b {\n x = 1 }\n", NAME ":3: ", "'x'");
	parse_bad("user a { hostname = \"a\\\n b\" }\nuser b { x = 1 }\n", NAME ":3: ", "'x'");
}

/* Comments are blanked before libconfuse, which would take one in a list for a value. */
static void test_comments_anywhere(void **state)
{
	struct nsj_config *c = parse_ok("default { namespaces = { mount, # the first\n"
					"  uts /* the second */ , ipc, pid // and more\n"
					"} hostname = \"a#b//c\" tmp_dir = '/x/*y' }\n");

	assert_int_equal(c->def.namespaces, NSJ_NS_DEFAULT);
	assert_string_equal(c->def.hostname, "a#b//c");
	assert_string_equal(c->def.tmp_dir, "/x/*y");
	nsj_config_free(c);
}

static void test_message_is_one_line(void **state)
{
	struct nsj_config *c = NULL;
	struct nsj_err e;
	const char *t = "user a { tmp = \"a\nb\" }\n";

	assert_int_equal(nsj_config_parse_buf(t, strlen(t), NAME, &c, &e), -EINVAL);
	assert_int_equal(e.count, 1);
	assert_null(strchr(e.msg, '\n'));
	/* libconfuse reports the line where the value ends. */
	assert_true(has_line(e.msg, NAME ":2: ", "tmp: unknown value \"a?b\""));
}

/* ---- nsj_config_load ------------------------------------------------------------------ */

static char dir[64];

static int make_dir(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/nsj-test-config.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void load_bad(const char *path, int code, const char *sub)
{
	struct nsj_config *c = (struct nsj_config *)1;
	struct nsj_err e;
	char prefix[PATH_MAX + 8];

	assert_int_equal(nsj_config_load(path, &c, &e), -code);
	assert_null(c);
	snprintf(prefix, sizeof(prefix), "%s: ", path);
	if (!has_line(e.msg, prefix, sub))
		fail_msg("no line \"%s%s\" in:\n%s", prefix, sub, e.msg);
}

static void test_load(void **state)
{
	char p[PATH_MAX], q[PATH_MAX + 8];
	struct nsj_config *c = NULL;
	struct nsj_err e;

	if (geteuid() != 0)
		skip(); /* files must be owned by root */
	snprintf(p, sizeof(p), "%s/ok.conf", dir);
	write_file(p, "min_uid = 42\n", 0644);
	assert_int_equal(nsj_config_load(p, &c, &e), 0);
	assert_int_equal(c->min_uid, 42);
	assert_string_equal(c->path, p);
	nsj_config_free(c);

	write_file(p, "min_uid = 42\n", 0600);
	assert_int_equal(nsj_config_load(p, &c, &e), 0);
	nsj_config_free(c);

	/* A parse error names the file. */
	write_file(p, "\nbogus = 1\n", 0644);
	snprintf(q, sizeof(q), "%s:2: ", p);
	assert_int_equal(nsj_config_load(p, &c, &e), -EINVAL);
	assert_true(has_line(e.msg, q, "bogus"));
}

static void test_load_refuses(void **state)
{
	char p[PATH_MAX], l[PATH_MAX];
	struct nsj_config *c = NULL;
	struct nsj_err e;
	int fd;

	if (geteuid() != 0)
		skip();
	snprintf(p, sizeof(p), "%s/bad.conf", dir);
	write_file(p, "min_uid = 42\n", 0644);
	assert_int_equal(chown(p, 1, 0), 0);
	load_bad(p, EPERM, "not owned by root");
	assert_int_equal(chown(p, 0, 0), 0);
	assert_int_equal(chmod(p, 0666), 0);
	load_bad(p, EPERM, "writable by group or others");
	assert_int_equal(chmod(p, 0624), 0);
	load_bad(p, EPERM, "writable by group or others");
	assert_int_equal(chmod(p, 0000), 0);
	assert_int_equal(nsj_config_load(p, &c, &e), 0); /* root reads a 0000 file */
	nsj_config_free(c);

	snprintf(l, sizeof(l), "%s/link.conf", dir);
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(symlink(p, l), 0);
	load_bad(l, ELOOP, "symbolic link");
	load_bad(dir, EINVAL, "not a regular file");
	snprintf(l, sizeof(l), "%s/fifo", dir);
	assert_int_equal(mkfifo(l, 0600), 0);
	load_bad(l, EINVAL, "not a regular file"); /* and does not hang */
	snprintf(l, sizeof(l), "%s/missing.conf", dir);
	load_bad(l, ENOENT, "No such file");

	snprintf(l, sizeof(l), "%s/big.conf", dir);
	fd = open(l, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (1 << 20) + 1), 0);
	close(fd);
	load_bad(l, EFBIG, "larger than");
}

/* ---- the cache's serialisation (cache.c) ----------------------------------------------- */

static void assert_str_eq_or_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_section_eq(const struct nsj_section *a, const struct nsj_section *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_str_eq_or_null(a->name, b->name);
	assert_int_equal(a->line, b->line);
	assert_int_equal(a->set, b->set);
	assert_int_equal(a->enable, b->enable);
	assert_int_equal(a->namespaces, b->namespaces);
	assert_str_eq_or_null(a->hostname, b->hostname);
	assert_int_equal(a->tmp, b->tmp);
	assert_int_equal(a->tmp_size, b->tmp_size);
	assert_str_eq_or_null(a->tmp_dir, b->tmp_dir);
	assert_int_equal(a->n_tmp_paths, b->n_tmp_paths);
	for (size_t i = 0; i < a->n_tmp_paths; i++)
		assert_string_equal(a->tmp_paths[i], b->tmp_paths[i]);
	assert_int_equal(a->propagation, b->propagation);
	assert_int_equal(a->n_prop_paths, b->n_prop_paths);
	for (size_t i = 0; i < a->n_prop_paths; i++)
		assert_string_equal(a->prop_paths[i], b->prop_paths[i]);
	assert_int_equal(a->persist, b->persist);
	assert_int_equal(a->idle_timeout, b->idle_timeout);
	assert_int_equal(a->system_bus, b->system_bus);
	assert_int_equal(a->network, b->network);
}

/* What the cache stores reads back as the very same config, for every key and section. */
static void test_serialize_roundtrip(void **state)
{
	struct nsj_config *c = parse_ok(full), *d = NULL;
	char *data;
	size_t len;

	assert_int_equal(nsj_config_serialize(c, &data, &len), 0);
	assert_int_equal(nsj_config_deserialize(data, len, "other.conf", &d), 0);
	assert_string_equal(d->path, "other.conf");
	assert_string_equal(d->pin_dir, c->pin_dir);
	assert_int_equal(d->min_uid, c->min_uid);
	assert_section_eq(&d->def, &c->def);
	assert_int_equal(d->n_users, c->n_users);
	for (size_t i = 0; i < c->n_users; i++)
		assert_section_eq(&d->users[i], &c->users[i]);
	assert_int_equal(d->n_groups, c->n_groups);
	for (size_t i = 0; i < c->n_groups; i++)
		assert_section_eq(&d->groups[i], &c->groups[i]);
	nsj_config_free(d);
	free(data);
	nsj_config_free(c);
}

/* A cut, grown or bit-flipped entry is refused or read as some valid config: never a crash. */
static void test_deserialize_damaged(void **state)
{
	struct nsj_config *c = parse_ok(full), *d;
	char *data, *copy;
	size_t len;

	assert_int_equal(nsj_config_serialize(c, &data, &len), 0);
	for (size_t n = 0; n < len; n++) {
		copy = malloc(n + 1);
		memcpy(copy, data, n);
		d = (struct nsj_config *)1;
		assert_int_equal(nsj_config_deserialize(copy, n, NAME, &d), -EINVAL);
		assert_null(d);
		free(copy);
	}
	copy = malloc(len + 1);
	memcpy(copy, data, len);
	copy[len] = 'x';
	assert_int_equal(nsj_config_deserialize(copy, len + 1, NAME, &d), -EINVAL);
	for (size_t i = 0; i < len; i++) {
		memcpy(copy, data, len);
		copy[i] ^= (char)0xa5;
		if (nsj_config_deserialize(copy, len, NAME, &d) == 0)
			nsj_config_free(d);
	}
	free(copy);
	free(data);
	nsj_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_serialize_roundtrip),
		cmocka_unit_test(test_deserialize_damaged),
		cmocka_unit_test(test_empty_file_builtin_defaults),
		cmocka_unit_test(test_sections_record_only_their_keys),
		cmocka_unit_test(test_default_overlays_builtin),
		cmocka_unit_test(test_unknown_key_and_section),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_environment_refused),
		cmocka_unit_test(test_include_refused),
		cmocka_unit_test(test_bad_templates),
		cmocka_unit_test(test_consistency),
		cmocka_unit_test(test_all_problems_reported),
		cmocka_unit_test(test_disabled_section_not_checked),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_lines_after_comments),
		cmocka_unit_test(test_comments_anywhere),
		cmocka_unit_test(test_message_is_one_line),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_refuses),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
