/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config_dl.c — libconfuse, dlopen()ed at the first parse, not linked: a login that finds its
 * config in the cache (cache.c) neither parses nor loads it (that was a third of a rejoin: make
 * bench). Its functions are looked up by name into nsj_confuse[], through which config_parse.c
 * calls them with the types of <confuse.h> (not included here). Runs under config_parse.c's lock.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

#include "config_int.h"

void (*nsj_confuse[NSJ_CONFUSE_N])(void);
static void *handle;

int nsj_confuse_load(const char **why)
{
	void *h;

	if (handle != NULL)
		return 0;
	/* Kept loaded: a process parses again only when its config changed. */
	h = dlopen(NSJ_CONFUSE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		*why = dlerror();
		return -ELIBACC;
	}
#define CONFUSE_SYM(f)                                                                           \
	if ((*(void **)&nsj_confuse[NSJ_CONFUSE_##f] = dlsym(h, #f)) == NULL) {                  \
		*why = "a function is missing: " #f;                                             \
		dlclose(h);                                                                      \
		return -ELIBACC;                                                                 \
	}
	NSJ_CONFUSE_FUNCS(CONFUSE_SYM)
#undef CONFUSE_SYM
	handle = h;
	return 0;
}
