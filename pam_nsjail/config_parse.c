/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config_parse.c — the parse of pam_nsjail.conf by libconfuse: its option tables, the callbacks
 * that check one value each (and so report the key's own line) or a section as it closes, and the
 * copy of the result into struct nsj_config. The only file that includes <confuse.h>:
 *  - include() is never registered, and the text arrives pre-scanned (config.c): no "${",
 *    comments blanked, the line of every section header known;
 *  - its lexer is global state, so parses are serialised by a mutex;
 *  - everything is copied into struct nsj_config and the cfg_t is freed before returning;
 *  - its functions come from dlopen (config_dl.c): the cfg_* names below stand for them.
 * Runs in any process; no side effects but memory.
 */
#define _GNU_SOURCE
#include <confuse.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

#define N(a)		  (sizeof(a) / sizeof((a)[0]))
#define HOSTNAME_TMPL_MAX 255 /* fits struct nsj_policy.hostname_tmpl */
#define NSJ_KEY_ALL	  (((NSJ_KEY_IDLE_TIMEOUT << 1) - 1) | NSJ_KEY_NETWORK | NSJ_KEY_PROPAGATION_PATHS | \
			   NSJ_KEY_SYSTEM_BUS)

/* libconfuse's lexer and our callbacks' context are process-wide: one parse at a time. */
static pthread_mutex_t confuse_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pctx *cur;
/* Where a normalised path waits until libconfuse copies it (under confuse_lock). */
static char pathbuf[PATH_MAX];

/* libconfuse's functions, from dlopen (config_dl.c), each with its type from <confuse.h>. */
#define CONFUSE(f) ((__typeof__(f) *)nsj_confuse[NSJ_CONFUSE_##f])
#define cfg_error              CONFUSE(cfg_error)
#define cfg_free               CONFUSE(cfg_free)
#define cfg_getbool            CONFUSE(cfg_getbool)
#define cfg_getint             CONFUSE(cfg_getint)
#define cfg_getnint            CONFUSE(cfg_getnint)
#define cfg_getnsec            CONFUSE(cfg_getnsec)
#define cfg_getnstr            CONFUSE(cfg_getnstr)
#define cfg_getopt             CONFUSE(cfg_getopt)
#define cfg_getsec             CONFUSE(cfg_getsec)
#define cfg_getstr             CONFUSE(cfg_getstr)
#define cfg_init               CONFUSE(cfg_init)
#define cfg_opt_getnsec        CONFUSE(cfg_opt_getnsec)
#define cfg_opt_size           CONFUSE(cfg_opt_size)
#define cfg_parse_buf          CONFUSE(cfg_parse_buf)
#define cfg_set_error_function CONFUSE(cfg_set_error_function)
#define cfg_set_validate_func  CONFUSE(cfg_set_validate_func)
#define cfg_size               CONFUSE(cfg_size)
#define cfg_title              CONFUSE(cfg_title)

static void on_confuse_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	if (cur != NULL)
		nsj_config_errv(cur, cfg && cfg->line > 0 ? (unsigned)cfg->line : 0, EINVAL, fmt, ap);
}

/* ---- libconfuse callbacks: one value each, reported at the key's line ------------------- */

static const struct {
	const char *key, *word;
	long value;
} words[] = {
	{ "tmp", "tmpfs", NSJ_TMP_TMPFS },
	{ "tmp", "dir", NSJ_TMP_DIR },
	{ "tmp", "none", NSJ_TMP_NONE },
	{ "propagation", "slave", NSJ_PROP_SLAVE },
	{ "propagation", "private", NSJ_PROP_PRIVATE },
	{ "system_bus", "hidden", NSJ_BUS_HIDDEN },
	{ "system_bus", "host", NSJ_BUS_HOST },
	{ "network", "loopback", NSJ_NET_LOOPBACK },
	{ "network", "outbound", NSJ_NET_OUTBOUND },
};

static int cb_word(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	for (size_t i = 0; i < N(words); i++)
		if (strcmp(words[i].key, opt->name) == 0 && strcmp(words[i].word, value) == 0) {
			*(long *)result = words[i].value;
			return 0;
		}
	cfg_error(cfg, "%s: unknown value \"%s\" (expected %s)", opt->name, value,
		  strcmp(opt->name, "tmp") == 0		 ? "tmpfs, dir or none"
		  : strcmp(opt->name, "system_bus") == 0 ? "hidden or host"
		  : strcmp(opt->name, "network") == 0	 ? "loopback or outbound"
							 : "slave or private");
	return -1;
}

static int cb_ns(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	int k = nsj_ns_from_name(value);

	if (k < 0) {
		cfg_error(cfg,
			  "namespaces: unknown namespace \"%s\" "
			  "(expected mount, ipc, uts, pid, net or cgroup)",
			  value);
		return -1;
	}
	*(long *)result = k;
	return 0;
}

/* Decimal digits only: strtol would take "-5", " 7" or "0x10". */
static int cb_uint(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno || v > UINT_MAX) {
		cfg_error(cfg, "%s: \"%s\" is not a whole number from 0 to %u", opt->name, value,
			  UINT_MAX);
		return -1;
	}
	*(long *)result = (long)v;
	return 0;
}

static int cb_size(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	uint64_t v;

	if (value[0] != '\0' && nsj_parse_size(value, &v) < 0) {
		cfg_error(cfg, "%s: \"%s\" is not a size (like \"512M\", \"64k\", \"1G\", or \"\")",
			  opt->name, value);
		return -1;
	}
	*(const char **)result = value;
	return 0;
}

/*
 * An absolute path with no "." or ".." component, into out with duplicate and trailing
 * slashes dropped. NULL on success, else why not.
 */
static const char *path_normalise(const char *in, char *out, size_t size)
{
	size_t len = 0;

	if (in[0] != '/')
		return "is not an absolute path";
	for (const char *p = in; *p;) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return "has a \".\" or \"..\" component";
		if (len + 1 + n >= size)
			return "is too long";
		out[len++] = '/';
		memcpy(out + len, p, n);
		len += n;
		p += n;
	}
	if (len == 0)
		return "is the root directory";
	out[len] = '\0';
	return NULL;
}

/* pin_dir, tmp_paths, propagation_paths and tmp_dir (a template, whose sequences never hold a '/'). */
static int cb_path(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	const char *why = NULL;
	struct nsj_err e = { 0 };

	for (const char *p = value; *p && why == NULL; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			why = "contains a control character";
	if (why == NULL)
		why = path_normalise(value, pathbuf, sizeof(pathbuf));
	if (why != NULL) {
		cfg_error(cfg, "%s: \"%s\" %s", opt->name, value, why);
		return -1;
	}
	if (strcmp(opt->name, "tmp_dir") == 0 && nsj_template_check(pathbuf, &e) < 0) {
		cfg_error(cfg, "tmp_dir: %s", e.msg);
		return -1;
	}
	*(const char **)result = pathbuf;
	return 0;
}

/*
 * A hostname template that no login could expand (SPEC §4): a constant one that gives an
 * empty or too long name, or one with more letters and digits of its own than a name can hold
 * (each is kept, whatever the sequences give). Found here, at its line, not at every login.
 */
static int hostname_never_valid(const char *t, struct nsj_err *e)
{
	const struct nsj_tvars none = { .user = "", .group = "", .host_short = "", .host_full = "" };
	char out[NSJ_HOSTNAME_MAX + 1];
	size_t alnum = 0;

	if (t[0] != '\0' && !nsj_template_uses(t, "uUghH"))
		return nsj_hostname_expand(t, &none, out, e);
	for (const char *p = t; *p; p++) {
		if (p[0] == '%' && p[1] != '\0')
			p++;
		else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
			alnum++;
	}
	if (alnum > NSJ_HOSTNAME_MAX)
		return nsj_err_set(e, ENAMETOOLONG,
				   "template with %zu letters and digits of its own: every name it gives "
				   "is longer than %d bytes", alnum, NSJ_HOSTNAME_MAX);
	return 0;
}

static int cb_hostname(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	struct nsj_err e = { 0 };

	if (strlen(value) > HOSTNAME_TMPL_MAX) {
		cfg_error(cfg, "hostname: template longer than %d bytes", HOSTNAME_TMPL_MAX);
		return -1;
	}
	if (nsj_template_check(value, &e) < 0 || hostname_never_valid(value, &e) < 0) {
		cfg_error(cfg, "hostname: %s", e.msg);
		return -1;
	}
	*(const char **)result = value;
	return 0;
}

/*
 * Called as each section closes, in file order: give it the header line the pre-scan found
 * (libconfuse leaves the closing line there), and refuse a second default and bad titles.
 */
static int cb_section(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned n = cfg_opt_size(opt);
	cfg_t *sec = cfg_opt_getnsec(opt, n - 1);
	unsigned line =
		cur->next_hdr < cur->n_hdr ? cur->hdr[cur->next_hdr++] : (unsigned)cfg->line;
	const char *t = cfg_title(sec);

	sec->line = (int)line;
	if (strcmp(opt->name, "default") == 0 && n > 1) {
		nsj_config_err(cur, line, EINVAL, "a second default section (the first is at line %d)",
			cfg_opt_getnsec(opt, 0)->line);
		return -1;
	}
	if (t != NULL && (t[0] == '\0' || strlen(t) > NAME_MAX_LEN)) {
		nsj_config_err(cur, line, EINVAL, "%s section with an empty or too long name", opt->name);
		return -1;
	}
	for (const char *p = t; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			nsj_config_err(cur, line, EINVAL, "%s section name has a control character",
				opt->name);
			return -1;
		}
	return 0;
}

/* ---- copying the parse into plain structs --------------------------------------------- */

static const struct {
	const char *name;
	unsigned bit;
} keys[] = {
	{ "enable", NSJ_KEY_ENABLE },	    { "namespaces", NSJ_KEY_NAMESPACES },
	{ "hostname", NSJ_KEY_HOSTNAME },   { "tmp", NSJ_KEY_TMP },
	{ "tmp_size", NSJ_KEY_TMP_SIZE },   { "tmp_dir", NSJ_KEY_TMP_DIR },
	{ "tmp_paths", NSJ_KEY_TMP_PATHS }, { "propagation", NSJ_KEY_PROPAGATION },
	{ "persist", NSJ_KEY_PERSIST },	    { "idle_timeout", NSJ_KEY_IDLE_TIMEOUT },
	{ "system_bus", NSJ_KEY_SYSTEM_BUS },
	{ "network", NSJ_KEY_NETWORK },
	{ "propagation_paths", NSJ_KEY_PROPAGATION_PATHS },
};

static void free_paths(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int copy_paths(cfg_t *sec, const char *name, char ***dst, size_t *n_dst)
{
	unsigned n = cfg_size(sec, name);
	char **v = calloc(n + 1, sizeof(*v));

	if (v == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++)
		if ((v[i] = strdup(cfg_getnstr(sec, name, i))) == NULL) {
			free_paths(v, i);
			return -ENOMEM;
		}
	free_paths(*dst, *n_dst);
	*dst = v;
	*n_dst = n;
	return 0;
}

static int copy_str(char **dst, const char *src)
{
	char *d = strdup(src);

	if (d == NULL)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

/* Copy one key that the section sets; values were checked by the callbacks. */
static int copy_key(cfg_t *sec, unsigned bit, const char *name, struct nsj_section *s)
{
	switch (bit) {
	case NSJ_KEY_ENABLE: s->enable = cfg_getbool(sec, name); break;
	case NSJ_KEY_PERSIST: s->persist = cfg_getbool(sec, name); break;
	case NSJ_KEY_TMP: s->tmp = (enum nsj_tmp)cfg_getint(sec, name); break;
	case NSJ_KEY_PROPAGATION: s->propagation = (enum nsj_prop)cfg_getint(sec, name); break;
	case NSJ_KEY_IDLE_TIMEOUT: s->idle_timeout = (unsigned)cfg_getint(sec, name); break;
	case NSJ_KEY_SYSTEM_BUS: s->system_bus = (enum nsj_bus)cfg_getint(sec, name); break;
	case NSJ_KEY_NETWORK: s->network = (enum nsj_net)cfg_getint(sec, name); break;
	case NSJ_KEY_HOSTNAME: return copy_str(&s->hostname, cfg_getstr(sec, name));
	case NSJ_KEY_TMP_DIR: return copy_str(&s->tmp_dir, cfg_getstr(sec, name));
	case NSJ_KEY_TMP_PATHS: return copy_paths(sec, name, &s->tmp_paths, &s->n_tmp_paths);
	case NSJ_KEY_PROPAGATION_PATHS:
		return copy_paths(sec, name, &s->prop_paths, &s->n_prop_paths);
	case NSJ_KEY_TMP_SIZE:
		s->tmp_size = 0;
		if (cfg_getstr(sec, name)[0] != '\0')
			nsj_parse_size(cfg_getstr(sec, name), &s->tmp_size);
		break;
	case NSJ_KEY_NAMESPACES:
		s->namespaces = 0;
		for (unsigned i = 0; i < cfg_size(sec, name); i++)
			s->namespaces |= NSJ_NSF(cfg_getnint(sec, name, i));
		break;
	}
	return 0;
}

/* Overlay the keys sec sets onto s (on the built-in defaults for default, on zero otherwise). */
static int copy_section(cfg_t *sec, struct nsj_section *s)
{
	s->line = (unsigned)sec->line;
	for (size_t i = 0; i < N(keys); i++) {
		cfg_opt_t *o = cfg_getopt(sec, keys[i].name);

		/* CFGF_MODIFIED, not nvalues: "namespaces = {}" sets an empty list. */
		if (o == NULL || !(o->flags & CFGF_MODIFIED))
			continue;
		s->set |= keys[i].bit;
		if (copy_key(sec, keys[i].bit, keys[i].name, s) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Where autofs, removable media, NFS and logind mount what users expect to see. */
static const char *const default_prop_paths[] = { "/home", "/media", "/mnt", "/net", "/run/media",
						  "/run/user" };

static int builtin_defaults(struct nsj_section *d)
{
	*d = (struct nsj_section){
		.kind = NSJ_SEC_DEFAULT,
		.set = NSJ_KEY_ALL,
		.enable = true,
		.namespaces = NSJ_NS_DEFAULT,
		.hostname = strdup("%u-%h"),
		.tmp = NSJ_TMP_TMPFS,
		.tmp_size = 512ull << 20,
		.tmp_dir = strdup("/var/lib/pam_nsjail/tmp/%U"),
		.tmp_paths = calloc(3, sizeof(char *)),
		.n_tmp_paths = 2,
		.propagation = NSJ_PROP_SLAVE,
		.prop_paths = calloc(N(default_prop_paths) + 1, sizeof(char *)),
		.persist = true,
		.system_bus = NSJ_BUS_HIDDEN,
	};
	if (d->tmp_paths != NULL) {
		d->tmp_paths[0] = strdup("/tmp");
		d->tmp_paths[1] = strdup("/var/tmp");
	}
	if (!d->hostname || !d->tmp_dir || !d->tmp_paths || !d->tmp_paths[0] || !d->tmp_paths[1] ||
	    !d->prop_paths)
		return -ENOMEM;
	for (; d->n_prop_paths < N(default_prop_paths); d->n_prop_paths++)
		if ((d->prop_paths[d->n_prop_paths] = strdup(default_prop_paths[d->n_prop_paths])) == NULL)
			return -ENOMEM;
	return 0;
}

static int copy_titled(cfg_t *cfg, const char *opt, enum nsj_sec_kind kind,
		       struct nsj_section **out, size_t *n_out)
{
	unsigned n = cfg_size(cfg, opt);

	*n_out = 0;
	if (n == 0)
		return 0;
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(cfg, opt, i);
		struct nsj_section *s = &(*out)[i];

		(*n_out)++;
		s->kind = kind;
		if ((s->name = strdup(cfg_title(sec))) == NULL || copy_section(sec, s) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int build_config(struct pctx *x, cfg_t *cfg, struct nsj_config **out)
{
	struct nsj_config *c = calloc(1, sizeof(*c));

	*out = c;
	if (c == NULL || (c->path = strdup(x->name)) == NULL ||
	    (c->pin_dir = strdup(cfg_getstr(cfg, "pin_dir"))) == NULL ||
	    builtin_defaults(&c->def) < 0)
		goto oom;
	c->min_uid = (unsigned)cfg_getint(cfg, "min_uid");
	if (cfg_size(cfg, "default") > 0 && copy_section(cfg_getsec(cfg, "default"), &c->def) < 0)
		goto oom;
	c->def.set = NSJ_KEY_ALL;
	if (copy_titled(cfg, "user", NSJ_SEC_USER, &c->users, &c->n_users) < 0 ||
	    copy_titled(cfg, "group", NSJ_SEC_GROUP, &c->groups, &c->n_groups) < 0)
		goto oom;
	return 0;
oom:
	nsj_config_err(x, 0, ENOMEM, "out of memory");
	return -ENOMEM;
}

int nsj_config_parse_text(struct pctx *x, const char *text, struct nsj_config **out)
{
	cfg_opt_t sec_opts[] = {
		CFG_BOOL("enable", cfg_true, CFGF_NODEFAULT),
		CFG_INT_LIST_CB("namespaces", NULL, CFGF_NODEFAULT, cb_ns),
		CFG_STR_CB("hostname", NULL, CFGF_NODEFAULT, cb_hostname),
		CFG_INT_CB("tmp", 0, CFGF_NODEFAULT, cb_word),
		CFG_STR_CB("tmp_size", NULL, CFGF_NODEFAULT, cb_size),
		CFG_STR_CB("tmp_dir", NULL, CFGF_NODEFAULT, cb_path),
		CFG_STR_LIST_CB("tmp_paths", NULL, CFGF_NODEFAULT, cb_path),
		CFG_INT_CB("propagation", 0, CFGF_NODEFAULT, cb_word),
		CFG_STR_LIST_CB("propagation_paths", NULL, CFGF_NODEFAULT, cb_path),
		CFG_BOOL("persist", cfg_true, CFGF_NODEFAULT),
		CFG_INT_CB("idle_timeout", 0, CFGF_NODEFAULT, cb_uint),
		CFG_INT_CB("system_bus", 0, CFGF_NODEFAULT, cb_word),
		CFG_INT_CB("network", 0, CFGF_NODEFAULT, cb_word),
		CFG_END(),
	};
	cfg_opt_t opts[] = {
		CFG_STR_CB("pin_dir", NSJ_PIN_DIR_DEFAULT, CFGF_NONE, cb_path),
		CFG_INT_CB("min_uid", 1000, CFGF_NONE, cb_uint),
		CFG_SEC("default", sec_opts, CFGF_MULTI),
		CFG_SEC("user", sec_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
		CFG_SEC("group", sec_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
		CFG_END(),
	};
	const char *why = "";
	cfg_t *cfg;
	int r = 0;

	pthread_mutex_lock(&confuse_lock);
	cur = x;
	if (nsj_confuse_load(&why) < 0) {
		r = -ELIBACC;
		nsj_config_err(x, 0, ELIBACC, "cannot load %s: %s", NSJ_CONFUSE_SONAME, why);
		goto out;
	}
	cfg = cfg_init(opts, CFGF_NONE);
	if (cfg == NULL) {
		r = -ENOMEM;
		nsj_config_err(x, 0, ENOMEM, "out of memory");
		goto out;
	}
	cfg_set_error_function(cfg, on_confuse_error);
	cfg_set_validate_func(cfg, "default", cb_section);
	cfg_set_validate_func(cfg, "user", cb_section);
	cfg_set_validate_func(cfg, "group", cb_section);
	if (cfg_parse_buf(cfg, text) != CFG_SUCCESS) {
		r = -EINVAL;
		if (x->nerr == 0)
			nsj_config_err(x, 0, EINVAL, "parse error");
	} else {
		r = build_config(x, cfg, out);
	}
	cfg_free(cfg); /* also resets the global lexer */
out:
	cur = NULL;
	pthread_mutex_unlock(&confuse_lock);
	return r;
}

static void free_section(struct nsj_section *s)
{
	free(s->name);
	free(s->hostname);
	free(s->tmp_dir);
	free_paths(s->tmp_paths, s->n_tmp_paths);
	free_paths(s->prop_paths, s->n_prop_paths);
}

void nsj_config_free(struct nsj_config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_users; i++)
		free_section(&c->users[i]);
	for (size_t i = 0; i < c->n_groups; i++)
		free_section(&c->groups[i]);
	free(c->users);
	free(c->groups);
	free_section(&c->def);
	free(c->path);
	free(c->pin_dir);
	free(c);
}
