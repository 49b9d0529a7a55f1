/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_check.h — invariants shared by the fuzz targets. */
#ifndef NSJ_FUZZ_CHECK_H
#define NSJ_FUZZ_CHECK_H

#include <stdbool.h>
#include <string.h>

#include "nsj.h"

/* A hostname as the module may set it: [A-Za-z0-9.-], 1-64 bytes, RFC 1123 labels. */
static inline bool host_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > NSJ_HOSTNAME_MAX)
		return false;
	/* no empty label, and no label that begins or ends with '-' (RFC 1123) */
	if (h[0] == '-' || h[0] == '.' || h[n - 1] == '-' || h[n - 1] == '.' || strstr(h, "..") ||
	    strstr(h, ".-") || strstr(h, "-."))
		return false;
	return strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n;
}

#endif
