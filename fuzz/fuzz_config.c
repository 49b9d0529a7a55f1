/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_config.c — libFuzzer target for the config parser (config.c and config_parse.c, through
 * libconfuse) and the policy resolution that consumes its result (policy.c, templates).
 *
 * The input is the text of a pam_nsjail.conf. Besides what ASan/UBSan catch, it checks what
 * the rest of the module relies on: a parse either fails with at least one message (every line
 * of which is "NAME:LINE: ..." or "NAME: ...", with no control bytes), or succeeds with a
 * complete default section, absolute normalised paths and a consistent section list. A parsed
 * config is then resolved for a few synthetic users, and every resolved hostname must be a
 * valid one.
 *
 * Build: make fuzz (fuzz/fuzz.mk). Run: build/fuzz/fuzz_config fuzz/corpus/config
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsj.h"
#include "fuzz_check.h"

#define NAME "fuzz.conf"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *p)
{
	/* absolute, no "//", no trailing "/", no "." or ".." component */
	if (p == NULL || p[0] != '/' || p[1] == '\0' || strstr(p, "//") != NULL ||
	    p[strlen(p) - 1] == '/' || strstr(p, "/./") != NULL || strstr(p, "/../") != NULL)
		abort();
	size_t n = strlen(p);
	if ((n >= 2 && strcmp(p + n - 2, "/.") == 0) || (n >= 3 && strcmp(p + n - 3, "/..") == 0))
		abort();
	for (const char *q = p; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			abort();
}

static void check_section(const struct nsj_section *s)
{
	if (s->set & NSJ_KEY_TMP_PATHS)
		for (size_t i = 0; i < s->n_tmp_paths; i++)
			check_path(s->tmp_paths[i]);
	if (s->set & NSJ_KEY_PROPAGATION_PATHS)
		for (size_t i = 0; i < s->n_prop_paths; i++)
			check_path(s->prop_paths[i]);
	if ((s->set & NSJ_KEY_NAMESPACES) && (s->namespaces >> NSJ_NS_COUNT) != 0)
		abort();
	if ((s->set & NSJ_KEY_HOSTNAME) && s->hostname == NULL)
		abort();
	if ((s->set & NSJ_KEY_TMP_DIR) && s->tmp_dir == NULL)
		abort();
	if ((s->set & NSJ_KEY_TMP) && s->tmp > NSJ_TMP_NONE)
		abort();
	if (s->kind != NSJ_SEC_DEFAULT && (s->name == NULL || s->name[0] == '\0'))
		abort();
}

_Noreturn static void bad_messages(const struct nsj_err *e, const char *why)
{
	fprintf(stderr, "fuzz_config: %s; code %d, %u lines:\n%s\n", why, e->code, e->count, e->msg);
	abort();
}

/* Every message line starts with the file name and carries no control byte. */
static void check_messages(const struct nsj_err *e)
{
	const char *line = e->msg;

	if (e->count == 0 || e->code <= 0 || e->msg[0] == '\0')
		bad_messages(e, "a failed parse without a message");
	while (line && *line) {
		const char *end = strchr(line, '\n');
		/* the last line may be cut where the buffer is full */
		bool cut = end == NULL && strlen(e->msg) == sizeof(e->msg) - 1;
		if (!cut && strncmp(line, NAME ":", sizeof(NAME)) != 0)
			bad_messages(e, "a message line without the file name");
		for (const char *q = line; q < (end ? end : line + strlen(line)); q++)
			if ((unsigned char)*q < 0x20 && *q != '\t')
				bad_messages(e, "a control byte in a message");
		line = end ? end + 1 : NULL;
	}
}

static void resolve_for(const struct nsj_config *c, const char *name, uid_t uid)
{
	gid_t groups[1] = { 100 };
	struct nsj_user u = {
		.name = (char *)name, .uid = uid, .gid = 100, .group = (char *)"users",
		.home = (char *)"/home/x", .groups = groups, .n_groups = 1,
	};
	struct nsj_policy p;
	struct nsj_err e = { 0 };

	if (nsj_policy_resolve(c, &u, &p, &e) < 0) {
		if (e.count == 0)
			abort();
		return;
	}
	if (!p.jailed)
		return;
	if (p.hostname_tmpl[0] != '\0' && (p.namespaces & NSJ_NSF(NSJ_NS_UTS)) && !host_ok(p.hostname))
		abort();
	if (p.tmp == NSJ_TMP_DIR)
		check_path(p.tmp_dir);
	if (p.pin_dir[0] != '/')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nsj_config *c = NULL;
	struct nsj_err e = { 0 };

	if (size > 64 * 1024)
		return -1; /* the parser copes (1 MiB cap), but big inputs only slow the search */
	int r = nsj_config_parse_buf((const char *)data, size, NAME, &c, &e);
	if (r < 0) {
		if (c != NULL)
			abort();
		check_messages(&e);
		return 0;
	}
	/* default always holds every key */
	if (c == NULL || c->def.set != (((NSJ_KEY_IDLE_TIMEOUT << 1) - 1u) | NSJ_KEY_NETWORK |
					NSJ_KEY_PROPAGATION_PATHS | NSJ_KEY_SYSTEM_BUS))
		abort();
	check_path(c->pin_dir);
	check_section(&c->def);
	for (size_t i = 0; i < c->n_users; i++)
		check_section(&c->users[i]);
	for (size_t i = 0; i < c->n_groups; i++)
		check_section(&c->groups[i]);
	/* Group sections resolve names through NSS: keep that to a handful. */
	if (c->n_groups <= 4) {
		resolve_for(c, "alice", 1001);
		resolve_for(c, "root", 0);
		resolve_for(c, "a.b-C_9", 4294967294u);
		for (size_t i = 0; i < c->n_users && i < 4; i++)
			resolve_for(c, c->users[i].name, 2000);
	}
	nsj_config_free(c);
	return 0;
}
