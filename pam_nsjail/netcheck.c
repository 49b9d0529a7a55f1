/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netcheck.c — nsjailctl check's word on network = outbound: every section that asks for it,
 * where the provider (net.c) is missing. A file of its own: net.c is linked into the static
 * keeper, which must bring nothing of NSS (policy.c) along, and the fuzz targets link
 * policy.c without net.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>

#include "nsj.h"

int nsj_config_check_network(const struct nsj_config *c, struct nsj_err *err)
{
	const struct nsj_section *d = &c->def;
	struct nsj_err why = { 0 };
	char label[300];
	int ret = 0;

	if (nsj_net_provider_check(&why) == 0)
		return 0;
	for (size_t i = 0; i < 1 + c->n_users + c->n_groups; i++) {
		const struct nsj_section *s = i == 0 ? d
					    : i <= c->n_users ? &c->users[i - 1]
							      : &c->groups[i - 1 - c->n_users];
#define PICK(bit, field) ((s->set & (bit)) ? s->field : d->field)
		if (!PICK(NSJ_KEY_ENABLE, enable) || PICK(NSJ_KEY_NETWORK, network) != NSJ_NET_OUTBOUND ||
		    !(PICK(NSJ_KEY_NAMESPACES, namespaces) & NSJ_NSF(NSJ_NS_NET)))
			continue;
#undef PICK
		nsj_section_label(s, label, sizeof(label));
		if (s->line > 0)
			ret = nsj_err_set(err, why.code, "%s:%u: %s: %s", c->path, s->line, label, why.msg);
		else
			ret = nsj_err_set(err, why.code, "%s: %s: %s", c->path, label, why.msg);
	}
	return ret;
}
