/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * no-pidfd-info — an LD_PRELOAD shim that makes this kernel look like one of 6.9 to 6.12: it
 * has pidfs, but ioctl(PIDFD_GET_INFO) on a pidfd fails with ENOTTY, as it does there, so that
 * the module checks a keeper recorded by its pidfd inode for root through /proc/PID/status.
 * Every refusal appends "PID ioctl(PIDFD_GET_INFO) refused" to LOG_PATH.
 * Built by tests/integration/t20-lifecycle.sh:
 *   cc -shared -fPIC -DLOG_PATH='"/run/world/info-shim.log"' -o shim.so no-pidfd-info.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifndef LOG_PATH
#define LOG_PATH "/tmp/no-pidfd-info.log"
#endif

/* PIDFD_GET_INFO is _IOWR(PIDFS_IOCTL_MAGIC (0xFF), 11, struct pidfd_info), of any size. */
int ioctl(int fd, unsigned long request, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (_IOC_TYPE(request) == 0xFF && _IOC_NR(request) == 11) {
		FILE *f = fopen(LOG_PATH, "a");

		if (f != NULL) {
			fprintf(f, "%d ioctl(PIDFD_GET_INFO) refused\n", (int)getpid());
			fclose(f);
		}
		errno = ENOTTY;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	return real(fd, request, arg);
}
