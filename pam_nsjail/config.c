/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config.c — load and validate /etc/security/pam_nsjail.conf (SPEC §4) into plain structs.
 *
 * The only file that includes <confuse.h>, and it uses libconfuse with care:
 *  - libconfuse expands ${VAR} from the environment (under su: the invoking user's), so "${"
 *    is refused before parsing (outside comments), and include() is never registered;
 *  - its line counter goes wrong after comments (3.3 adds lines for each one) and it does not
 *    keep the line of a section header, so a pre-scan blanks comments out before libconfuse
 *    sees the text and records the line of every top-level '{';
 *  - its lexer is global state, so parses are serialised by a mutex;
 *  - everything is copied into struct nsj_config and the cfg_t is freed before returning;
 *  - it is dlopen()ed at the first parse, not linked: a login that finds its config in the
 *    cache (cache.c) neither parses nor loads it (that was a third of a rejoin: make bench).
 * Checks of a single value run as libconfuse callbacks, so they report the key's own line;
 * checks across keys run after the parse on each section merged over default and report the
 * section's header line. Runs in any process; no side effects but memory.
 */
#define _GNU_SOURCE
#include <confuse.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsj.h"

#define N(a)		  (sizeof(a) / sizeof((a)[0]))
#define CONFIG_MAX	  (1u << 20) /* a config larger than 1 MiB is a mistake or an attack */
#define NAME_MAX_LEN	  256	     /* user and group names in section titles */
#define HOSTNAME_TMPL_MAX 255	     /* fits struct nsj_policy.hostname_tmpl */
#define NSJ_KEY_ALL	  (((NSJ_KEY_IDLE_TIMEOUT << 1) - 1) | NSJ_KEY_NETWORK | NSJ_KEY_PROPAGATION_PATHS | \
			   NSJ_KEY_SYSTEM_BUS)

/* One parse: where its messages go, and the section header lines found by the pre-scan. */
struct pctx {
	const char *name;
	struct nsj_err *err;
	unsigned nerr;
	unsigned *hdr;
	size_t n_hdr, next_hdr;
};

/* libconfuse's lexer and our callbacks' context are process-wide: one parse at a time. */
static pthread_mutex_t confuse_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pctx *cur;
/* Where a normalised path waits until libconfuse copies it (under confuse_lock). */
static char pathbuf[PATH_MAX];

#ifndef NSJ_CONFUSE_SONAME
#define NSJ_CONFUSE_SONAME "libconfuse.so.2"
#endif

/* libconfuse's functions, from dlopen (under confuse_lock); the names below stand for them. */
#define CONFUSE_FUNCS(X)                                                                         \
	X(cfg_error) X(cfg_free) X(cfg_getbool) X(cfg_getint) X(cfg_getnint) X(cfg_getnsec)      \
	X(cfg_getnstr) X(cfg_getopt) X(cfg_getsec) X(cfg_getstr) X(cfg_init) X(cfg_opt_getnsec) \
	X(cfg_opt_size) X(cfg_parse_buf) X(cfg_set_error_function) X(cfg_set_validate_func)     \
	X(cfg_size) X(cfg_title)
#define CONFUSE_PTR(f) __typeof__(f) *f; /* NOLINT(bugprone-macro-parentheses): a declarator */
static struct {
	void *handle;
	CONFUSE_FUNCS(CONFUSE_PTR)
} confuse;
#undef CONFUSE_PTR

static int confuse_load(const char **why)
{
	void *h;

	if (confuse.handle != NULL)
		return 0;
	/* Kept loaded: a process parses again only when its config changed. */
	h = dlopen(NSJ_CONFUSE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		*why = dlerror();
		return -ELIBACC;
	}
#define CONFUSE_SYM(f)                                                                           \
	if ((*(void **)&confuse.f = dlsym(h, #f)) == NULL) {                                     \
		*why = "a function is missing: " #f;                                             \
		dlclose(h);                                                                      \
		return -ELIBACC;                                                                 \
	}
	CONFUSE_FUNCS(CONFUSE_SYM)
#undef CONFUSE_SYM
	confuse.handle = h;
	return 0;
}

#define cfg_error	       (confuse.cfg_error)
#define cfg_free	       (confuse.cfg_free)
#define cfg_getbool	       (confuse.cfg_getbool)
#define cfg_getint	       (confuse.cfg_getint)
#define cfg_getnint	       (confuse.cfg_getnint)
#define cfg_getnsec	       (confuse.cfg_getnsec)
#define cfg_getnstr	       (confuse.cfg_getnstr)
#define cfg_getopt	       (confuse.cfg_getopt)
#define cfg_getsec	       (confuse.cfg_getsec)
#define cfg_getstr	       (confuse.cfg_getstr)
#define cfg_init	       (confuse.cfg_init)
#define cfg_opt_getnsec	       (confuse.cfg_opt_getnsec)
#define cfg_opt_size	       (confuse.cfg_opt_size)
#define cfg_parse_buf	       (confuse.cfg_parse_buf)
#define cfg_set_error_function (confuse.cfg_set_error_function)
#define cfg_set_validate_func  (confuse.cfg_set_validate_func)
#define cfg_size	       (confuse.cfg_size)
#define cfg_title	       (confuse.cfg_title)

/* ---- messages ------------------------------------------------------------------------- */

static void add_errv(struct pctx *x, unsigned line, int code, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One problem is one line: a value holding a newline must not forge another. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (line > 0)
		nsj_err_set(x->err, code, "%s:%u: %s", x->name, line, msg);
	else
		nsj_err_set(x->err, code, "%s: %s", x->name, msg);
	x->nerr++;
}

static void add_err(struct pctx *x, unsigned line, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add_err(struct pctx *x, unsigned line, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_errv(x, line, code, fmt, ap);
	va_end(ap);
}

static void on_confuse_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	if (cur != NULL)
		add_errv(cur, cfg && cfg->line > 0 ? (unsigned)cfg->line : 0, EINVAL, fmt, ap);
}

/* ---- pre-scan: refuse what libconfuse must never see, blank comments, find headers ------ */

enum pstate { P_CODE, P_DQ, P_SQ, P_LINE, P_BLOCK };

struct pscan {
	char *s;
	size_t i;
	unsigned line, start_line; /* start_line: where the open string or comment began */
	enum pstate st;
	bool in_word; /* the previous byte belongs to an unquoted word */
	int depth;
};

/*
 * NUL would end libconfuse's view of the text early (checked on the file as read); "${" would
 * read the environment (checked after comments are blanked, where libconfuse would see it, so
 * a comment may still mention it).
 */
static int check_bytes(struct pctx *x, const char *s, size_t len, bool env)
{
	unsigned line = 1, bad = 0;

	for (size_t i = 0; i < len; i++) {
		if (!env && s[i] == '\0') {
			add_err(x, line, EINVAL, "NUL byte in the file");
			bad++;
		} else if (env && s[i] == '$' && s[i + 1] == '{') {
			add_err(x, line, EINVAL,
				"\"${\" is not allowed (no environment expansion)");
			bad++;
		}
		if (s[i] == '\n')
			line++;
	}
	return bad ? -EINVAL : 0;
}

/* Bytes libconfuse takes into an unquoted word (its lexer's rule, "/" included). */
static bool word_char(char c)
{
	return c != '\0' && strchr(" #\"'\t\n\r={}()+,*", c) == NULL;
}

static int push_header(struct pctx *x, unsigned line)
{
	unsigned *h = realloc(x->hdr, (x->n_hdr + 1) * sizeof(*h));

	if (h == NULL)
		return -ENOMEM;
	h[x->n_hdr++] = line;
	x->hdr = h;
	return 0;
}

static int step_code(struct pctx *x, struct pscan *ps)
{
	char *p = ps->s + ps->i;
	bool was_word = ps->in_word;

	ps->in_word = word_char(*p);
	switch (*p) {
	case '"':
	case '\'':
		ps->st = *p == '"' ? P_DQ : P_SQ;
		ps->start_line = ps->line;
		break;
	case '#':
		ps->st = P_LINE;
		*p = ' ';
		break;
	case '/':
		/* Two slashes or slash-star open a comment at the start of a token only. */
		if (was_word || (p[1] != '*' && p[1] != '/'))
			break;
		ps->st = p[1] == '*' ? P_BLOCK : P_LINE;
		ps->start_line = ps->line;
		*p = ' ';
		if (ps->st == P_BLOCK)
			p[1] = ' ', ps->i++;
		ps->in_word = false;
		break;
	case '+':
		/* A section's list replaces the default's: "+=" would suggest appending. */
		add_err(x, ps->line, EINVAL,
			"\"+=\" is not supported: set the whole list with \"=\"");
		return -EINVAL;
	case '{':
		if (ps->depth++ == 0 && push_header(x, ps->line) < 0)
			return nsj_err_set(x->err, ENOMEM, "%s: out of memory", x->name);
		break;
	case '}':
		if (ps->depth > 0)
			ps->depth--;
		break;
	}
	return 0;
}

static void step_other(struct pscan *ps)
{
	char *p = ps->s + ps->i;

	switch (ps->st) {
	case P_DQ:
	case P_SQ:
		if (*p == '\\' && p[1] != '\0')
			ps->i++; /* the escaped byte cannot end the string */
		else if (*p == (ps->st == P_DQ ? '"' : '\''))
			ps->st = P_CODE;
		break;
	case P_LINE:
		if (*p == '\n')
			ps->st = P_CODE;
		else
			*p = ' ';
		break;
	case P_BLOCK:
		if (p[0] == '*' && p[1] == '/') {
			p[0] = p[1] = ' ';
			ps->i++;
			ps->st = P_CODE;
		} else if (*p != '\n') {
			*p = ' ';
		}
		break;
	case P_CODE: break;
	}
}

/* s is NUL-terminated at len; comments are blanked in place (newlines kept). */
static int prescan(struct pctx *x, char *s, size_t len)
{
	struct pscan ps = { .s = s, .line = 1, .st = P_CODE };
	int r;

	if ((r = check_bytes(x, s, len, false)) < 0)
		return r;
	for (ps.i = 0; ps.i < len; ps.i++) {
		if (ps.st == P_CODE) {
			if ((r = step_code(x, &ps)) < 0)
				return r;
		} else {
			step_other(&ps);
		}
		if (s[ps.i] == '\n')
			ps.line++, ps.in_word = false;
	}
	if (ps.st == P_DQ || ps.st == P_SQ)
		add_err(x, ps.start_line, EINVAL, "unterminated string");
	else if (ps.st == P_BLOCK)
		add_err(x, ps.start_line, EINVAL, "unterminated comment");
	else if (ps.depth > 0)
		add_err(x, x->n_hdr > 0 ? x->hdr[x->n_hdr - 1] : ps.line, EINVAL,
			"this section is not closed (\"}\" missing)");
	check_bytes(x, s, len, true);
	return x->nerr ? -EINVAL : 0;
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

static int cb_hostname(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	struct nsj_err e = { 0 };

	if (strlen(value) > HOSTNAME_TMPL_MAX) {
		cfg_error(cfg, "hostname: template longer than %d bytes", HOSTNAME_TMPL_MAX);
		return -1;
	}
	if (nsj_template_check(value, &e) < 0) {
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
		add_err(cur, line, EINVAL, "a second default section (the first is at line %d)",
			cfg_opt_getnsec(opt, 0)->line);
		return -1;
	}
	if (t != NULL && (t[0] == '\0' || strlen(t) > NAME_MAX_LEN)) {
		add_err(cur, line, EINVAL, "%s section with an empty or too long name", opt->name);
		return -1;
	}
	for (const char *p = t; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			add_err(cur, line, EINVAL, "%s section name has a control character",
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
	add_err(x, 0, ENOMEM, "out of memory");
	return -ENOMEM;
}

static int parse(struct pctx *x, const char *text, struct nsj_config **out)
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
	if (confuse_load(&why) < 0) {
		r = -ELIBACC;
		add_err(x, 0, ELIBACC, "cannot load %s: %s", NSJ_CONFUSE_SONAME, why);
		goto out;
	}
	cfg = cfg_init(opts, CFGF_NONE);
	if (cfg == NULL) {
		r = -ENOMEM;
		add_err(x, 0, ENOMEM, "out of memory");
		goto out;
	}
	cfg_set_error_function(cfg, on_confuse_error);
	cfg_set_validate_func(cfg, "default", cb_section);
	cfg_set_validate_func(cfg, "user", cb_section);
	cfg_set_validate_func(cfg, "group", cb_section);
	if (cfg_parse_buf(cfg, text) != CFG_SUCCESS) {
		r = -EINVAL;
		if (x->nerr == 0)
			add_err(x, 0, EINVAL, "parse error");
	} else {
		r = build_config(x, cfg, out);
	}
	cfg_free(cfg); /* also resets the global lexer */
out:
	cur = NULL;
	pthread_mutex_unlock(&confuse_lock);
	return r;
}

/* ---- checks across keys --------------------------------------------------------------- */

/* s with the keys it does not set taken from d; strings are borrowed. */
static void merge(const struct nsj_section *s, const struct nsj_section *d, struct nsj_section *e)
{
	*e = *s;
	if (!(s->set & NSJ_KEY_ENABLE))
		e->enable = d->enable;
	if (!(s->set & NSJ_KEY_NAMESPACES))
		e->namespaces = d->namespaces;
	if (!(s->set & NSJ_KEY_HOSTNAME))
		e->hostname = d->hostname;
	if (!(s->set & NSJ_KEY_TMP))
		e->tmp = d->tmp;
	if (!(s->set & NSJ_KEY_TMP_SIZE))
		e->tmp_size = d->tmp_size;
	if (!(s->set & NSJ_KEY_TMP_DIR))
		e->tmp_dir = d->tmp_dir;
	if (!(s->set & NSJ_KEY_TMP_PATHS)) {
		e->tmp_paths = d->tmp_paths;
		e->n_tmp_paths = d->n_tmp_paths;
	}
	if (!(s->set & NSJ_KEY_PROPAGATION))
		e->propagation = d->propagation;
	if (!(s->set & NSJ_KEY_PROPAGATION_PATHS)) {
		e->prop_paths = d->prop_paths;
		e->n_prop_paths = d->n_prop_paths;
	}
	if (!(s->set & NSJ_KEY_PERSIST))
		e->persist = d->persist;
	if (!(s->set & NSJ_KEY_IDLE_TIMEOUT))
		e->idle_timeout = d->idle_timeout;
	if (!(s->set & NSJ_KEY_SYSTEM_BUS))
		e->system_bus = d->system_bus;
	if (!(s->set & NSJ_KEY_NETWORK))
		e->network = d->network;
}

static const char *tmp_word(enum nsj_tmp t)
{
	return t == NSJ_TMP_TMPFS ? "tmpfs" : t == NSJ_TMP_DIR ? "dir" : "none";
}

/* " (from default)" when s inherits key: say where an inherited value comes from. */
static const char *from(const struct nsj_section *s, unsigned key)
{
	return s->kind != NSJ_SEC_DEFAULT && !(s->set & key) ? " (from default)" : "";
}

static void check_dupes(struct pctx *x, const struct nsj_section *s, const char *label,
			const char *key, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(v[i], v[j]) == 0)
				add_err(x, s->line, EINVAL, "%s: %s lists \"%s\" twice", label, key, v[i]);
}

static void check_paths(struct pctx *x, const struct nsj_section *s, const char *label)
{
	if (s->set & NSJ_KEY_TMP_PATHS)
		check_dupes(x, s, label, "tmp_paths", s->tmp_paths, s->n_tmp_paths);
	if (s->set & NSJ_KEY_PROPAGATION_PATHS)
		check_dupes(x, s, label, "propagation_paths", s->prop_paths, s->n_prop_paths);
}

/*
 * SPEC §4 consistency on the section as it takes effect. A section that jails nobody
 * (enable = false) is not checked: "user x { enable = false }" must not need more keys.
 */
static void check_section(struct pctx *x, const struct nsj_section *s, const struct nsj_section *d)
{
	struct nsj_section e;
	char label[NAME_MAX_LEN + 16];
	bool mnt;

	merge(s, d, &e);
	nsj_section_label(s, label, sizeof(label));
	check_paths(x, s, label);
	if (!e.enable)
		return;
	mnt = e.namespaces & NSJ_NSF(NSJ_NS_MNT);
	if ((e.namespaces & NSJ_NSF(NSJ_NS_PID)) && !mnt)
		add_err(x, s->line, EINVAL,
			"%s: namespaces%s has pid but not mount (pid needs mount)", label,
			from(s, NSJ_KEY_NAMESPACES));
	if ((e.namespaces & NSJ_NSF(NSJ_NS_IPC)) && !mnt)
		add_err(x, s->line, EINVAL,
			"%s: namespaces%s has ipc but not mount "
			"(the private /dev/shm needs mount)",
			label, from(s, NSJ_KEY_NAMESPACES));
	if (e.tmp != NSJ_TMP_NONE && !mnt)
		add_err(x, s->line, EINVAL,
			"%s: tmp = %s%s needs mount in namespaces "
			"(add mount or set tmp = none)",
			label, tmp_word(e.tmp), from(s, NSJ_KEY_TMP));
	if (e.tmp != NSJ_TMP_NONE && e.n_tmp_paths == 0)
		add_err(x, s->line, EINVAL, "%s: tmp = %s%s but tmp_paths is empty", label,
			tmp_word(e.tmp), from(s, NSJ_KEY_TMP));
	if (e.hostname[0] != '\0' && !(e.namespaces & NSJ_NSF(NSJ_NS_UTS)))
		add_err(x, s->line, EINVAL,
			"%s: hostname = \"%s\"%s needs uts in namespaces "
			"(add uts or set hostname = \"\")",
			label, e.hostname, from(s, NSJ_KEY_HOSTNAME));
	/* An error, not ignored: an admin who asks for outbound must learn it does nothing. */
	if (e.network == NSJ_NET_OUTBOUND && !(e.namespaces & NSJ_NSF(NSJ_NS_NET)))
		add_err(x, s->line, EINVAL,
			"%s: network = outbound%s needs net in namespaces "
			"(add net or set network = loopback)",
			label, from(s, NSJ_KEY_NETWORK));
}

static int check_config(struct pctx *x, const struct nsj_config *c)
{
	check_section(x, &c->def, &c->def);
	for (size_t i = 0; i < c->n_users; i++)
		check_section(x, &c->users[i], &c->def);
	for (size_t i = 0; i < c->n_groups; i++)
		check_section(x, &c->groups[i], &c->def);
	return x->nerr ? -EINVAL : 0;
}

/* ---- API ------------------------------------------------------------------------------ */

int nsj_config_parse_buf(const char *buf, size_t len, const char *name, struct nsj_config **out,
			 struct nsj_err *err)
{
	struct pctx x = { .name = name, .err = err };
	struct nsj_config *c = NULL;
	char *text;
	int r;

	*out = NULL;
	if (err != NULL)
		nsj_err_clear(err);
	if (buf == NULL && len > 0)
		return nsj_err_set(err, EINVAL, "%s: no text", name);
	/* A private, NUL-terminated copy: the pre-scan blanks comments in it. */
	if ((text = malloc(len + 1)) == NULL)
		return nsj_err_set(err, ENOMEM, "%s: out of memory", name);
	if (len > 0)
		memcpy(text, buf, len);
	text[len] = '\0';
	r = prescan(&x, text, len);
	if (r == 0)
		r = parse(&x, text, &c);
	free(text);
	free(x.hdr);
	if (r == 0)
		r = check_config(&x, c);
	if (r < 0) {
		nsj_config_free(c);
		return r;
	}
	c->text_hash = nsj_text_hash(buf, len);
	*out = c;
	return 0;
}

/* doas' rule: only root may have written what decides who is jailed. */
static int check_file(int fd, const char *path, size_t *size, struct nsj_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return nsj_err_set(err, errno, "%s: %m", path);
	if (!S_ISREG(st.st_mode))
		return nsj_err_set(err, EINVAL, "%s: not a regular file", path);
	if (st.st_uid != 0)
		return nsj_err_set(err, EPERM, "%s: not owned by root", path);
	if (st.st_mode & 022)
		return nsj_err_set(err, EPERM, "%s: writable by group or others", path);
	if (st.st_size > CONFIG_MAX)
		return nsj_err_set(err, EFBIG, "%s: larger than %u bytes", path, CONFIG_MAX);
	*size = (size_t)st.st_size;
	return 0;
}

/*
 * Read to EOF into *buf, sized for the file as fstat() saw it (a few pages, not CONFIG_MAX:
 * this runs at every login) and grown if it grew since, up to CONFIG_MAX + 1 bytes.
 */
static int read_all(int fd, const char *path, size_t size, char **buf, size_t *len,
		    struct nsj_err *err)
{
	size_t cap = size + 1;

	*len = 0;
	if ((*buf = malloc(cap)) == NULL)
		return nsj_err_set(err, ENOMEM, "%s: out of memory", path);
	for (;;) {
		if (*len == cap) {
			char *b;

			cap = cap * 2 > CONFIG_MAX + 1 ? CONFIG_MAX + 1 : cap * 2;
			if ((b = realloc(*buf, cap)) == NULL)
				return nsj_err_set(err, ENOMEM, "%s: out of memory", path);
			*buf = b;
		}
		ssize_t n = read(fd, *buf + *len, cap - *len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return nsj_err_set(err, errno, "%s: %m", path);
		if (n == 0)
			return 0;
		*len += (size_t)n;
		/* The file grew after fstat(): still refuse what is too large. */
		if (*len > CONFIG_MAX)
			return nsj_err_set(err, EFBIG, "%s: larger than %u bytes", path,
					   CONFIG_MAX);
	}
}

int nsj_config_read(const char *path, char **text, size_t *len, struct nsj_err *err)
{
	char *buf = NULL;
	size_t size = 0;
	int fd, r;

	*text = NULL;
	/* O_NONBLOCK: a FIFO planted here must not hang the login; fstat() refuses it next. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ELOOP)
		return nsj_err_set(err, ELOOP, "%s: is a symbolic link (refused)", path);
	if (fd < 0)
		return nsj_err_set(err, errno, "%s: %m", path);
	r = check_file(fd, path, &size, err);
	if (r == 0)
		r = read_all(fd, path, size, &buf, len, err);
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	*text = buf;
	return 0;
}

int nsj_config_load(const char *path, struct nsj_config **out, struct nsj_err *err)
{
	char *text;
	size_t len = 0;
	int r;

	*out = NULL;
	if (err != NULL)
		nsj_err_clear(err);
	r = nsj_config_read(path, &text, &len, err);
	if (r == 0)
		r = nsj_config_parse_buf(text, len, path, out, err);
	free(text);
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
