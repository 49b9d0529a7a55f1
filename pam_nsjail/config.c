/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * config.c — load and validate /etc/security/pam_nsjail.conf (SPEC §4) into plain structs.
 *
 * Here: reading the file (doas' rule: root's, not writable by others), the pre-scan, the checks
 * across keys, and the API. The parse itself is config_parse.c (libconfuse's option tables and
 * callbacks; the only file that includes <confuse.h>); libconfuse is dlopen()ed by config_dl.c.
 * What libconfuse must not see or cannot do is seen to here, before it parses:
 *  - libconfuse expands ${VAR} from the environment (under su: the invoking user's), so "${"
 *    is refused before parsing (outside comments), and include() is never registered;
 *  - its line counter goes wrong after comments (3.3 adds lines for each one) and it does not
 *    keep the line of a section header, so a pre-scan blanks comments out before libconfuse
 *    sees the text and records the line of every top-level '{'.
 * Checks of a single value run as libconfuse callbacks, so they report the key's own line;
 * checks across keys run here after the parse on each section merged over default and report
 * the section's header line. Runs in any process; no side effects but memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_int.h"

#define CONFIG_MAX (1u << 20) /* a config larger than 1 MiB is a mistake or an attack */

/* ---- messages ------------------------------------------------------------------------- */

void nsj_config_errv(struct pctx *x, unsigned line, int code, const char *fmt, va_list ap)
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

void nsj_config_err(struct pctx *x, unsigned line, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nsj_config_errv(x, line, code, fmt, ap);
	va_end(ap);
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
			nsj_config_err(x, line, EINVAL, "NUL byte in the file");
			bad++;
		} else if (env && s[i] == '$' && s[i + 1] == '{') {
			nsj_config_err(x, line, EINVAL,
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
		nsj_config_err(x, ps->line, EINVAL,
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
		nsj_config_err(x, ps.start_line, EINVAL, "unterminated string");
	else if (ps.st == P_BLOCK)
		nsj_config_err(x, ps.start_line, EINVAL, "unterminated comment");
	else if (ps.depth > 0)
		nsj_config_err(x, x->n_hdr > 0 ? x->hdr[x->n_hdr - 1] : ps.line, EINVAL,
			"this section is not closed (\"}\" missing)");
	check_bytes(x, s, len, true);
	return x->nerr ? -EINVAL : 0;
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

const char *nsj_tmp_name(enum nsj_tmp t)
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
				nsj_config_err(x, s->line, EINVAL, "%s: %s lists \"%s\" twice", label, key, v[i]);
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
	/* (what a login could not send the keeper: found here, not at every login) */
	if (e.n_tmp_paths > NSJ_MAX_PATHS)
		nsj_config_err(x, s->line, EINVAL, "%s: tmp_paths has %zu paths, more than %d", label,
			       e.n_tmp_paths, NSJ_MAX_PATHS);
	if (e.n_prop_paths > NSJ_MAX_PATHS)
		nsj_config_err(x, s->line, EINVAL, "%s: propagation_paths has %zu paths, more than %d",
			       label, e.n_prop_paths, NSJ_MAX_PATHS);
	if (!e.enable)
		return;
	mnt = e.namespaces & NSJ_NSF(NSJ_NS_MNT);
	if ((e.namespaces & NSJ_NSF(NSJ_NS_PID)) && !mnt)
		nsj_config_err(x, s->line, EINVAL,
			"%s: namespaces%s has pid but not mount (pid needs mount)", label,
			from(s, NSJ_KEY_NAMESPACES));
	if ((e.namespaces & NSJ_NSF(NSJ_NS_IPC)) && !mnt)
		nsj_config_err(x, s->line, EINVAL,
			"%s: namespaces%s has ipc but not mount "
			"(the private /dev/shm needs mount)",
			label, from(s, NSJ_KEY_NAMESPACES));
	if (e.tmp != NSJ_TMP_NONE && !mnt)
		nsj_config_err(x, s->line, EINVAL,
			"%s: tmp = %s%s needs mount in namespaces "
			"(add mount or set tmp = none)",
			label, nsj_tmp_name(e.tmp), from(s, NSJ_KEY_TMP));
	/*
	 * The rest needs no mount namespace, but a set does: a later login, the keeper's idle
	 * count and nsjailctl recognise the set by it (record.c), and the set-owner mark is there.
	 */
	if (!mnt && !(e.namespaces & (NSJ_NSF(NSJ_NS_PID) | NSJ_NSF(NSJ_NS_IPC))) &&
	    e.tmp == NSJ_TMP_NONE)
		nsj_config_err(x, s->line, EINVAL,
			"%s: namespaces%s has no mount: every set has a mount namespace of its own "
			"(add mount, or set enable = false)",
			label, from(s, NSJ_KEY_NAMESPACES));
	if (e.tmp != NSJ_TMP_NONE && e.n_tmp_paths == 0)
		nsj_config_err(x, s->line, EINVAL, "%s: tmp = %s%s but tmp_paths is empty", label,
			nsj_tmp_name(e.tmp), from(s, NSJ_KEY_TMP));
	/* A directory per user (SPEC §5: absent from other users), unless the section is one's. */
	if (e.tmp == NSJ_TMP_DIR && s->kind != NSJ_SEC_USER && !nsj_template_uses(e.tmp_dir, "uU"))
		nsj_config_err(x, s->line, EINVAL,
			"%s: tmp = dir with tmp_dir = \"%s\"%s, which names no user: every user of "
			"the section would share it (add %%U or %%u)",
			label, e.tmp_dir, from(s, NSJ_KEY_TMP_DIR));
	if (e.hostname[0] != '\0' && !(e.namespaces & NSJ_NSF(NSJ_NS_UTS)))
		nsj_config_err(x, s->line, EINVAL,
			"%s: hostname = \"%s\"%s needs uts in namespaces "
			"(add uts or set hostname = \"\")",
			label, e.hostname, from(s, NSJ_KEY_HOSTNAME));
	/* An error, not ignored: an admin who asks for outbound must learn it does nothing. */
	if (e.network == NSJ_NET_OUTBOUND && !(e.namespaces & NSJ_NSF(NSJ_NS_NET)))
		nsj_config_err(x, s->line, EINVAL,
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
		r = nsj_config_parse_text(&x, text, &c);
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
