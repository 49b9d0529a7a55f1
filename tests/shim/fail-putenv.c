/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fail-putenv — an LD_PRELOAD shim for pam-harness: pam_putenv() of NSJAIL_KEEPER fails with
 * PAM_BUF_ERR, as it does when libpam runs out of memory; every other name is libpam's.
 * Built by tests/integration/t23-user-manager.sh:
 *   cc -shared -fPIC -o shim.so fail-putenv.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <security/pam_appl.h>
#include <string.h>

int pam_putenv(pam_handle_t *pamh, const char *name_value)
{
	static int (*real)(pam_handle_t *, const char *);

	if (strncmp(name_value, "NSJAIL_KEEPER=", 14) == 0)
		return PAM_BUF_ERR;
	if (real == NULL)
		real = (int (*)(pam_handle_t *, const char *))dlsym(RTLD_NEXT, "pam_putenv");
	return real == NULL ? PAM_ABORT : real(pamh, name_value);
}
