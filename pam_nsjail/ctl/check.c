/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check.c — nsjailctl check [CONFIG]: validate the config (CONFIG, else --config, else the
 * default path), and say where network = outbound cannot work (netcheck.c).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "ctl.h"

int cmd_check(struct ctl *c)
{
	const char *path = c->nargs > 0 ? c->args[0] : c->config;
	struct nsj_config *cfg = NULL;
	struct nsj_err e = { 0 };

	if (nsj_config_load(path, &cfg, &e) == 0 && nsj_config_check_network(cfg, &e) == 0) {
		printf("%s: OK\n", path);
		nsj_config_free(cfg);
		return 0;
	}
	nsj_config_free(cfg);
	/* Every line is already "FILE:LINE: message". */
	fprintf(stderr, "%s\n", e.msg[0] ? e.msg : strerror(e.code));
	if (e.count > nsj_err_lines(&e))
		fprintf(stderr, "%s: and %u more errors\n", path, e.count - nsj_err_lines(&e));
	return 1;
}
