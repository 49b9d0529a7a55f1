/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config_int.h — what the config's three files share; private to them. config.c reads the file,
 * runs the pre-scan and the checks across keys; config_parse.c holds libconfuse's option tables
 * and callbacks (the only file that includes <confuse.h>); config_dl.c loads libconfuse with
 * dlopen. Nothing here needs <confuse.h>.
 */
#ifndef NSJ_CONFIG_INT_H
#define NSJ_CONFIG_INT_H

#include <stdarg.h>

#include "nsj.h"

#define NAME_MAX_LEN 256 /* user and group names in section titles */

/* One parse: where its messages go, and the section header lines found by the pre-scan. */
struct pctx {
	const char *name;
	struct nsj_err *err;
	unsigned nerr;
	unsigned *hdr;
	size_t n_hdr, next_hdr;
};

/* A message about x's text at line (0: none), counted in x->nerr (config.c). */
void nsj_config_errv(struct pctx *x, unsigned line, int code, const char *fmt, va_list ap);
void nsj_config_err(struct pctx *x, unsigned line, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Parse text (pre-scanned: NUL-terminated, comments blanked, x->hdr filled) with libconfuse into
 * a new *out (config_parse.c). Its values are checked one by one; the checks across keys are the
 * caller's. 0, or -errno with the messages in x.
 */
int nsj_config_parse_text(struct pctx *x, const char *text, struct nsj_config **out);

/* ---- libconfuse, dlopen()ed (config_dl.c) --------------------------------------------- */

#ifndef NSJ_CONFUSE_SONAME
#define NSJ_CONFUSE_SONAME "libconfuse.so.2"
#endif

/* libconfuse's functions that config_parse.c calls, by name. */
#define NSJ_CONFUSE_FUNCS(X)                                                                     \
	X(cfg_error) X(cfg_free) X(cfg_getbool) X(cfg_getint) X(cfg_getnint) X(cfg_getnsec)      \
	X(cfg_getnstr) X(cfg_getopt) X(cfg_getsec) X(cfg_getstr) X(cfg_init) X(cfg_opt_getnsec) \
	X(cfg_opt_size) X(cfg_parse_buf) X(cfg_set_error_function) X(cfg_set_validate_func)     \
	X(cfg_size) X(cfg_title)
#define NSJ_CONFUSE_ENUM(f) NSJ_CONFUSE_##f,
enum { NSJ_CONFUSE_FUNCS(NSJ_CONFUSE_ENUM) NSJ_CONFUSE_N };
#undef NSJ_CONFUSE_ENUM

/*
 * Their addresses once loaded, in that order, as generic function pointers: config_parse.c casts
 * each to its type from <confuse.h>. Filled by nsj_confuse_load(), under config_parse.c's lock.
 */
extern void (*nsj_confuse[NSJ_CONFUSE_N])(void);
/* dlopen NSJ_CONFUSE_SONAME (once: kept loaded) and fill nsj_confuse; -ELIBACC and *why. */
int nsj_confuse_load(const char **why);

#endif
