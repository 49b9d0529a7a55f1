/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pam_san_probe — a PAM session module that makes the sanitizers speak, so that
 * tests/integration/t73-sanitizers.sh can show that a sanitizer build reports what it finds
 * in every kind of caller (make check SANITIZE=1 builds it, instrumented like the module).
 *
 *   session required pam_san_probe.so leak|overflow|ubsan
 *
 * open_session loses 4242 bytes (leak), reads one byte past a heap buffer (overflow), or adds
 * 1 to INT_MAX (ubsan); then returns PAM_SUCCESS (if it still can). Other entry points do nothing.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_modules.h>

static void *volatile sink;

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	volatile size_t past = 17;
	char copy[32];
	volatile int big = INT_MAX;
	char *p;
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "leak") == 0) {
			p = malloc(4242);
			if (p != NULL)
				memset(p, 'x', 4242);
			sink = p;
			sink = NULL;
		} else if (strcmp(argv[i], "overflow") == 0) {
			p = malloc(16);
			if (p != NULL) {
				memset(p, 'x', 16);
				memcpy(copy, p, past); /* (through libc: ASan's, not UBSan's) */
				free(p);
			}
		} else if (strcmp(argv[i], "ubsan") == 0) {
			big = big + 1;
		}
	}
	return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_SUCCESS;
}
