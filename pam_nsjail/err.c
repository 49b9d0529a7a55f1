/* SPDX-License-Identifier: BSD-3-Clause */
/* err.c — the error object every core function fills (see nsj.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nsj.h"

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
	if (e->count > 0 && len + 1 < sizeof(e->msg))
		e->msg[len++] = '\n';
	if (len < sizeof(e->msg)) {
		/* %m in fmt expands from errno: make it the error being recorded. */
		errno = errnum;
		va_start(ap, fmt);
		vsnprintf(e->msg + len, sizeof(e->msg) - len, fmt, ap);
		va_end(ap);
	}
	e->count++;
	errno = errnum;
	return -errnum;
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
