/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_template.c — libFuzzer target for template.c: nsj_template_check,
 * nsj_template_expand (with every output size from 0 up) and nsj_hostname_expand.
 *
 * Input layout: byte 0 is the output size for nsj_template_expand (0..255), bytes 1..4 the uid,
 * then NUL-separated strings: template, user, group, host short name, host full name (missing
 * ones are ""). Invariants checked besides what ASan/UBSan catch:
 *  - check, expand and hostname agree on which templates are valid;
 *  - an expansion that succeeds fits the buffer and equals the one into a large buffer; one that
 *    fails for room never wrote past the buffer (ASan) and says ENAMETOOLONG;
 *  - a hostname that succeeds is 1..64 bytes of [A-Za-z0-9.-], with no empty label and no
 *    label that begins or ends with '-', and is never a truncation: it keeps every letter and
 *    digit of the raw expansion (one that would need more than 64 bytes is refused).
 *
 * Build: make fuzz (fuzz/fuzz.mk). Run: build/fuzz/fuzz_template fuzz/corpus/template
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nsj.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next NUL-terminated field of buf (len bytes, NUL-terminated at len), or "". */
static const char *field(char **p, const char *end)
{
	char *s = *p;

	if (s >= end)
		return "";
	*p = s + strlen(s) + 1;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char big[8192], host[NSJ_HOSTNAME_MAX + 1];
	struct nsj_err e1 = { 0 }, e2 = { 0 }, e3 = { 0 }, e4 = { 0 };
	struct nsj_tvars v;
	char *buf, *p;
	size_t outsize;
	int rc, rb, rs, rh;

	if (size < 5 || size > 4096)
		return -1;
	outsize = data[0];
	buf = malloc(size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data + 5, size - 5);
	buf[size - 5] = '\0';
	p = buf;
	const char *end = buf + (size - 5);
	const char *tmpl = field(&p, end);
	v.user = field(&p, end);
	v.group = field(&p, end);
	v.host_short = field(&p, end);
	v.host_full = field(&p, end);
	v.uid = (uid_t)data[1] | (uid_t)data[2] << 8 | (uid_t)data[3] << 16 | (uid_t)data[4] << 24;

	rc = nsj_template_check(tmpl, &e1);
	rb = nsj_template_expand(tmpl, &v, big, sizeof(big), &e2);
	/* An exact-size heap buffer, so that ASan sees any write past it. */
	char *small = malloc(outsize ? outsize : 1);
	if (small == NULL) {
		free(buf);
		return 0;
	}
	rs = nsj_template_expand(tmpl, &v, small, outsize, &e3);
	rh = nsj_hostname_expand(tmpl, &v, host, &e4);

	if (rc < 0) {
		/* invalid template: every entry point refuses it with a message */
		if (rb != rc || rs != rc || rh != rc || e1.count == 0 || e4.count == 0)
			abort();
	} else if (rb == 0) {
		size_t n = strlen(big);
		if (rs == 0 && (n >= outsize || strcmp(small, big) != 0))
			abort();
		if (rs < 0 && (rs != -ENAMETOOLONG || n < outsize))
			abort();
		if (rh == 0 && !host_ok(host))
			abort();
		if (rh < 0 && e4.count == 0)
			abort();
		/* never a truncation: a hostname that succeeds holds every valid byte of big */
		if (rh == 0) {
			size_t valid = 0;
			for (const char *q = big; *q; q++)
				valid += strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", *q) != NULL;
			size_t hvalid = 0;
			for (const char *q = host; *q; q++)
				hvalid += strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", *q) != NULL;
			if (valid != hvalid)
				abort();
		}
	} else if (rb != -ENAMETOOLONG) {
		abort();
	}
	free(small);
	free(buf);
	return 0;
}
