/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_template.c — template.c: every sequence, %% and unknown sequences, buffer limits, the
 * hostname sanitiser and its 64-byte limit, and the host names from uname().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nsj.h"

static const struct nsj_tvars vars = {
	.user = "alice",
	.uid = 1001,
	.group = "staff",
	.host_short = "box",
	.host_full = "box.example.org",
};

#define assert_has(hay, needle)                                                                    \
	do {                                                                                       \
		if (strstr((hay), (needle)) == NULL)                                               \
			fail_msg("\"%s\" not in \"%s\"", (needle), (hay));                         \
	} while (0)

static void expand_is(const char *tmpl, const struct nsj_tvars *v, const char *want)
{
	char out[256];
	struct nsj_err e = { 0 };
	int r = nsj_template_expand(tmpl, v, out, sizeof(out), &e);

	if (r != 0)
		fail_msg("expand \"%s\": %d %s", tmpl, r, e.msg);
	assert_string_equal(out, want);
}

static void host_is(const char *tmpl, const struct nsj_tvars *v, const char *want)
{
	char out[NSJ_HOSTNAME_MAX + 1];
	struct nsj_err e = { 0 };
	int r = nsj_hostname_expand(tmpl, v, out, &e);

	if (r != 0)
		fail_msg("hostname \"%s\": %d %s", tmpl, r, e.msg);
	assert_string_equal(out, want);
}

static void host_fails(const char *tmpl, const struct nsj_tvars *v, int code, const char *sub)
{
	char out[NSJ_HOSTNAME_MAX + 1];
	struct nsj_err e = { 0 };

	assert_int_equal(nsj_hostname_expand(tmpl, v, out, &e), -code);
	assert_int_equal(e.count, 1);
	assert_has(e.msg, sub);
}

static void test_all_sequences(void **state)
{
	expand_is("%u|%U|%g|%h|%H|%%", &vars, "alice|1001|staff|box|box.example.org|%");
	expand_is("/var/lib/pam_nsjail/tmp/%U", &vars, "/var/lib/pam_nsjail/tmp/1001");
	expand_is("", &vars, "");
	expand_is("plain", &vars, "plain");
	expand_is("%u%u", &vars, "alicealice");
}

static void test_percent_literal(void **state)
{
	expand_is("100%%", &vars, "100%");
	expand_is("%%u", &vars, "%u");
	expand_is("%%%u", &vars, "%alice");
	expand_is("%%%%", &vars, "%%");
}

static void test_unknown_sequence(void **state)
{
	struct nsj_err e = { 0 };
	char out[64];

	assert_int_equal(nsj_template_check("a%xb", &e), -EINVAL);
	assert_string_equal(e.msg, "unknown template sequence %x in \"a%xb\"");
	nsj_err_clear(&e);
	assert_int_equal(nsj_template_check("abc%", &e), -EINVAL);
	assert_has(e.msg, "unknown template sequence % at the end of \"abc%\"");
	nsj_err_clear(&e);
	assert_int_equal(nsj_template_check("%\n", &e), -EINVAL);
	assert_has(e.msg, "%\\x0a");
	assert_null(strchr(e.msg, '\n'));
	nsj_err_clear(&e);
	/* Expansion checks too, and writes nothing usable. */
	assert_int_equal(nsj_template_expand("%u-%d", &vars, out, sizeof(out), &e), -EINVAL);
	assert_has(e.msg, "%d");
	assert_int_equal(nsj_template_check("%u%U%g%h%H%%", &e), 0);
	assert_int_equal(nsj_template_check("%%x", &e), 0);
}

static void test_expand_limits(void **state)
{
	struct nsj_err e = { 0 };
	char out[6];

	assert_int_equal(nsj_template_expand("%u", &vars, out, 6, &e), 0); /* "alice" + NUL */
	assert_string_equal(out, "alice");
	assert_int_equal(nsj_template_expand("%u!", &vars, out, 6, &e), -ENAMETOOLONG);
	assert_has(e.msg, "more than 5 bytes");
	nsj_err_clear(&e);
	assert_int_equal(nsj_template_expand("", &vars, out, 0, &e), -ENAMETOOLONG);
}

static void test_missing_vars_are_empty(void **state)
{
	const struct nsj_tvars none = { .uid = 0 };

	expand_is("[%u][%g][%h][%H][%U]", &none, "[][][][][0]");
}

static void test_hostname_basic(void **state)
{
	host_is("%u-%h", &vars, "alice-box");
	host_is("%H", &vars, "box.example.org");
	host_is("Lab-%U", &vars, "Lab-1001"); /* upper case kept */
	host_is("1234", &vars, "1234");	      /* digits only */
}

static void test_hostname_sanitise(void **state)
{
	host_is("a_b c", &vars, "a-b-c");
	host_is("%u@%h", &vars, "alice-box");
	host_is("a..b...c", &vars, "a.b.c");
	host_is("..a..", &vars, "a");
	host_is("-_a-", &vars, "a");
	host_is(".-.x.-.", &vars, "x");
	host_is("a\xc3\xa9"
		"b",
		&vars, "a--b"); /* each foreign byte */
	host_is("%%x%%", &vars, "x");
}

static void test_hostname_empty(void **state)
{
	struct nsj_tvars v = vars;

	v.group = "";
	host_fails("%g", &v, EINVAL, "hostname template \"%g\" gives an empty name");
	host_fails("...", &vars, EINVAL, "empty");
	host_fails("_-_", &vars, EINVAL, "empty");
	host_fails("%q", &vars, EINVAL, "unknown template sequence %q");
}

static void test_hostname_length(void **state)
{
	char user32[33], user64[65];
	char out[NSJ_HOSTNAME_MAX + 1];
	struct nsj_err e = { 0 };
	struct nsj_tvars v = vars;

	memset(user32, 'u', 32);
	user32[32] = '\0';
	v.user = user32;
	host_is("%u-%h", &v, "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu-box"); /* 32 + 4 */
	v.host_short = "abcdefghijklmnopqrstuvwxyz0123";	      /* 32 + 1 + 30 = 63 */
	assert_int_equal(nsj_hostname_expand("%u-%h", &v, out, &e), 0);
	assert_int_equal(strlen(out), 63);
	v.host_short = "abcdefghijklmnopqrstuvwxyz01234"; /* exactly 64 */
	assert_int_equal(nsj_hostname_expand("%u-%h", &v, out, &e), 0);
	assert_int_equal(strlen(out), 64);
	/* 65: an error naming the template and the result, never a cut name. */
	v.host_short = "abcdefghijklmnopqrstuvwxyz012345";
	host_fails(
		"%u-%h", &v, ENAMETOOLONG,
		"hostname template \"%u-%h\" gives "
		"\"uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu-abcdefghijklmnopqrstuvwxyz012345\" (65 bytes");
	/* Trimming happens before measuring. */
	memset(user64, 'u', 64);
	user64[64] = '\0';
	v.user = user64;
	host_is("--%u..", &v, user64);
	host_fails("%u%u", &v, ENAMETOOLONG, "128 bytes");
}

static void test_hostname_huge_expansion(void **state)
{
	char big[2000];
	struct nsj_tvars v = vars;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	v.user = big;
	host_fails("%u", &v, ENAMETOOLONG, "more than");
}

static void test_tvars_host(void **state)
{
	struct utsname u;
	struct nsj_tvars v = { 0 };
	char buf[2 * 65 + 2], small[4];
	size_t dot;

	assert_int_equal(uname(&u), 0);
	nsj_tvars_host(&v, buf, sizeof(buf));
	assert_string_equal(v.host_full, u.nodename);
	dot = strcspn(u.nodename, ".");
	assert_int_equal(strlen(v.host_short), dot);
	assert_memory_equal(v.host_short, u.nodename, dot);
	assert_null(strchr(v.host_short, '.'));
	/* Too small a buffer gives empty names, not cut ones. */
	if (strlen(u.nodename) > 1) {
		nsj_tvars_host(&v, small, sizeof(small));
		assert_string_equal(v.host_full, "");
		assert_string_equal(v.host_short, "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_sequences),
		cmocka_unit_test(test_percent_literal),
		cmocka_unit_test(test_unknown_sequence),
		cmocka_unit_test(test_expand_limits),
		cmocka_unit_test(test_missing_vars_are_empty),
		cmocka_unit_test(test_hostname_basic),
		cmocka_unit_test(test_hostname_sanitise),
		cmocka_unit_test(test_hostname_empty),
		cmocka_unit_test(test_hostname_length),
		cmocka_unit_test(test_hostname_huge_expansion),
		cmocka_unit_test(test_tvars_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
