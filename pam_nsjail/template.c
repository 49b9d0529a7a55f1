/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * template.c — the %u %U %g %h %H %% templates of hostname and tmp_dir, and the hostname
 * sanitiser. Pure string work: no allocation, no side effects, runs in any process.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "nsj.h"

/* Room for a hostname template's raw expansion before it is sanitised and measured. */
#define RAW_MAX 1024

/* A copy of s fit for a one-line message: control bytes become '?'. */
static const char *printable(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static bool known_seq(char c)
{
	return c != '\0' && strchr("uUghH%", c) != NULL;
}

int nsj_template_check(const char *tmpl, struct nsj_err *err)
{
	char pr[RAW_MAX];

	for (const char *p = tmpl; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '\0')
			return nsj_err_set(err, EINVAL,
					   "unknown template sequence %% at the end of \"%s\"",
					   printable(tmpl, pr, sizeof(pr)));
		if (!known_seq(p[1])) {
			/* Never print a control byte into a log line. */
			if (isprint((unsigned char)p[1]))
				return nsj_err_set(err, EINVAL,
						   "unknown template sequence %%%c in \"%s\"", p[1],
						   printable(tmpl, pr, sizeof(pr)));
			return nsj_err_set(err, EINVAL,
					   "unknown template sequence %%\\x%02x in \"%s\"",
					   (unsigned char)p[1], printable(tmpl, pr, sizeof(pr)));
		}
		p++;
	}
	return 0;
}

bool nsj_template_uses(const char *tmpl, const char *seqs)
{
	for (const char *p = tmpl; *p; p++) {
		if (*p != '%' || p[1] == '\0')
			continue;
		if (strchr(seqs, p[1]) != NULL)
			return true;
		p++; /* "%%u" is a '%' and a 'u' */
	}
	return false;
}

/* The text that one known sequence stands for; uid goes through numbuf. */
static const char *seq_value(char c, const struct nsj_tvars *v, char *numbuf, size_t size)
{
	const char *s = NULL;

	switch (c) {
	case 'u': s = v->user; break;
	case 'g': s = v->group; break;
	case 'h': s = v->host_short; break;
	case 'H': s = v->host_full; break;
	case '%': s = "%"; break;
	case 'U':
		snprintf(numbuf, size, "%u", (unsigned)v->uid);
		s = numbuf;
		break;
	}
	return s ? s : "";
}

int nsj_template_expand(const char *tmpl, const struct nsj_tvars *v, char *out, size_t size,
			struct nsj_err *err)
{
	char num[24], pr[RAW_MAX];
	size_t len = 0;
	int r = nsj_template_check(tmpl, err);

	if (r < 0)
		return r;
	if (size == 0)
		return nsj_err_set(err, ENAMETOOLONG, "no room to expand template \"%s\"",
				   printable(tmpl, pr, sizeof(pr)));
	for (const char *p = tmpl; *p; p++) {
		const char *s = p;
		size_t n = 1;

		if (*p == '%') {
			s = seq_value(*++p, v, num, sizeof(num));
			n = strlen(s);
		}
		/* Keep one byte for the terminator; a cut path or name would be a different one. */
		if (len + n >= size)
			return nsj_err_set(err, ENAMETOOLONG,
					   "template \"%s\" expands to more than %zu bytes",
					   printable(tmpl, pr, sizeof(pr)), size - 1);
		memcpy(out + len, s, n);
		len += n;
	}
	out[len] = '\0';
	return 0;
}

static bool host_char(char c)
{
	return isascii((unsigned char)c) && (isalnum((unsigned char)c) || c == '-' || c == '.');
}

/*
 * Sanitise in place: foreign bytes become '-', runs of '.' fold to one, no label begins or ends
 * with '-' (RFC 1123: "a.-b" and "a-.b" become "a.b"), leading and trailing '-' and '.' go.
 * Returns the new length.
 */
static size_t host_sanitise(char *s)
{
	size_t len = 0, start = 0;

	for (const char *p = s; *p; p++) {
		char c = host_char(*p) ? *p : '-';

		if (c == '.')
			while (len > 0 && s[len - 1] == '-')
				len--;
		if ((c == '.' || c == '-') && len > 0 && s[len - 1] == '.')
			continue;
		s[len++] = c;
	}
	while (len > 0 && (s[len - 1] == '-' || s[len - 1] == '.'))
		len--;
	while (start < len && (s[start] == '-' || s[start] == '.'))
		start++;
	memmove(s, s + start, len - start);
	len -= start;
	s[len] = '\0';
	return len;
}

int nsj_hostname_expand(const char *tmpl, const struct nsj_tvars *v, char out[NSJ_HOSTNAME_MAX + 1],
			struct nsj_err *err)
{
	char raw[RAW_MAX] = "", pr[RAW_MAX];
	size_t len;
	int r = nsj_template_expand(tmpl, v, raw, sizeof(raw), err);

	if (r < 0)
		return r;
	len = host_sanitise(raw);
	if (len == 0)
		return nsj_err_set(err, EINVAL, "hostname template \"%s\" gives an empty name",
				   printable(tmpl, pr, sizeof(pr)));
	/* Never truncate: two users could end up with the same name. */
	if (len > NSJ_HOSTNAME_MAX)
		return nsj_err_set(
			err, ENAMETOOLONG,
			"hostname template \"%s\" gives \"%s\" (%zu bytes, more than %d)",
			printable(tmpl, pr, sizeof(pr)), raw, len, NSJ_HOSTNAME_MAX);
	memcpy(out, raw, len + 1);
	return 0;
}

void nsj_tvars_host(struct nsj_tvars *v, char *buf, size_t size)
{
	struct utsname u;
	size_t full, shrt;

	v->host_full = v->host_short = "";
	if (size == 0 || uname(&u) < 0)
		return;
	/* buf holds "full\0short\0"; a buffer too small for both gets empty names. */
	full = strlen(u.nodename);
	shrt = strcspn(u.nodename, ".");
	if (full + shrt + 2 > size) {
		buf[0] = '\0';
		return;
	}
	memcpy(buf, u.nodename, full + 1);
	memcpy(buf + full + 1, u.nodename, shrt);
	buf[full + 1 + shrt] = '\0';
	v->host_full = buf;
	v->host_short = buf + full + 1;
}
