/* SPDX-License-Identifier: BSD-3-Clause */
/* err.c — the error object every core function fills (see nsj.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nsj.h"

#ifndef __GLIBC__
/*
 * The keeper against musl (libc_compat.h): glibc's texts, generated from the build system's
 * glibc (tools/errtext.c), so that an error the keeper formats reads as the module's and every
 * other program's on the host do.
 */
#include "errtext.h"

const char *nsj_strerror(int errnum)
{
	if (errnum > 0 && (size_t)errnum < sizeof(nsj_errtext) / sizeof(nsj_errtext[0]) &&
	    nsj_errtext[errnum] != NULL)
		return nsj_errtext[errnum];
	return strerror(errnum);
}

/* fmt with each %m replaced by nsj_strerror(errnum) (its '%'s doubled); fmt if it does not fit. */
static const char *expand_m(const char *fmt, int errnum, char *buf, size_t size)
{
	size_t n = 0;

	for (const char *f = fmt; *f; f++) {
		const char *add = f, *t;
		size_t len = 1;

		if (f[0] == '%' && f[1] == '%') {
			len = 2;
			f++;
		} else if (f[0] == '%' && f[1] == 'm') {
			f++;
			for (t = nsj_strerror(errnum); *t; t++) {
				if (n + 2 >= size)
					return fmt;
				if (*t == '%')
					buf[n++] = '%';
				buf[n++] = *t;
			}
			continue;
		}
		if (n + len >= size)
			return fmt;
		memcpy(buf + n, add, len);
		n += len;
	}
	buf[n] = '\0';
	return buf;
}
#endif

void nsj_err_clear(struct nsj_err *e)
{
	e->code = 0;
	e->count = 0;
	e->msg[0] = '\0';
}

int nsj_err_set(struct nsj_err *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (errnum < 0)
		errnum = -errnum;
	if (errnum == 0)
		errnum = EINVAL;
	if (e == NULL)
		return -errnum;
	if (e->count == 0) {
		e->code = errnum;
		e->msg[0] = '\0';
	}
	len = strlen(e->msg);
	if (e->count == 0 || len + 1 < sizeof(e->msg)) {
		char line[sizeof(e->msg)];
		int n;
		/* %m in fmt expands from errno: make it the error being recorded. */
#ifndef __GLIBC__
		char fmt_m[512];

		fmt = expand_m(fmt, errnum, fmt_m, sizeof(fmt_m));
#endif
		errno = errnum;
		va_start(ap, fmt);
		n = vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		/* The first line, cut if it must be; a later one whole or not at (nsj_err_lines). */
		if (e->count == 0) {
			memcpy(e->msg, line, strlen(line) + 1);
		} else if (n >= 0 && len + 1 + (size_t)n < sizeof(e->msg)) {
			e->msg[len] = '\n';
			memcpy(e->msg + len + 1, line, (size_t)n + 1);
		}
	}
	e->count++;
	errno = errnum;
	return -errnum;
}

unsigned nsj_err_lines(const struct nsj_err *e)
{
	unsigned n = e->msg[0] != '\0';

	for (const char *p = e->msg; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	return n;
}

const char *nsj_err_first(const struct nsj_err *e, char *buf, size_t size)
{
	size_t n = strcspn(e->msg, "\n");

	if (size == 0)
		return buf;
	if (n >= size)
		n = size - 1;
	memcpy(buf, e->msg, n);
	buf[n] = '\0';
	return buf;
}
