/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * live.c — group policy at no cost at a rejoin. A set's policy was resolved, the user's groups
 * included, when the set was made; its record keeps what that decision came from (the config
 * text's hash and the section chosen). A later login under the same text, while the set lives,
 * takes that section again instead of enumerating the user's groups through every NSS source
 * (getgrouplist() and a getgrnam_r() per group section). A first login, a repair, or a login
 * under another config text resolves in full. So a change of group membership reaches a user
 * at the next first login of their set; a change of the config at their next login.
 * Runs in the module (host namespaces, before joining) and in nsjailctl.
 */
#define _GNU_SOURCE
#include <string.h>

#include "nsj.h"

/* The section the record names, when it is still the same section of the same text. */
static const struct nsj_section *recorded(const struct nsj_config *c, const struct nsj_record *r)
{
	if (r->conf_hash != c->text_hash)
		return NULL;
	if (r->sec_kind == 'd')
		return &c->def;
	if (r->sec_kind == 'g' && r->sec_index < c->n_groups)
		return &c->groups[r->sec_index];
	return NULL; /* a user section, or none recorded: resolved in full (cheap then) */
}

static bool has_user_section(const struct nsj_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_users; i++)
		if (strcmp(c->users[i].name, name) == 0)
			return true;
	return false;
}

int nsj_policy_resolve_live(const struct nsj_config *c, const struct nsj_user *u,
			    const struct nsj_record *live, struct nsj_policy *p, struct nsj_err *err)
{
	const struct nsj_section *s = NULL;
	int r;

	/*
	 * Only the group look-up is skipped: with no group section it costs nothing, and a user
	 * section (added since, too) always wins. The record must be this uid's under this name
	 * (a renamed user may match other sections).
	 */
	if (live != NULL && c->n_groups > 0 && live->uid == u->uid &&
	    strcmp(live->user, u->name) == 0 && !has_user_section(c, u->name))
		s = recorded(c, live);
	if (s == NULL)
		return nsj_policy_resolve(c, u, p, err);
	r = nsj_policy_for_section(c, u, s, p, err);
	p->from_record = r == 0;
	return r;
}

bool nsj_record_policy_is(const struct nsj_record *r, const struct nsj_policy *p)
{
	return r->sec_kind != 0 && r->conf_hash == p->conf_hash && r->sec_kind == p->sec_kind &&
	       r->sec_index == p->sec_index;
}
