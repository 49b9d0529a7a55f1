/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * no-pidfd-setns — an LD_PRELOAD shim that makes this kernel look like one older than 5.8:
 * setns() on a pidfd fails with EINVAL, as it does there, so that the module and nsjailctl take
 * their path through the files in /proc/PID/ns/. Every refusal appends "PID setns(pidfd)
 * refused" to LOG_PATH.
 * With NSJ_SHIM_FAIL_MNT set in the environment, joining a mount namespace through a file fails
 * too (EPERM, "PID setns(mnt) refused"): a join that fails half-way, after pid, uts and ipc.
 * Built by tests/integration/t20-lifecycle.sh:
 *   cc -shared -fPIC -DLOG_PATH='"/run/world/shim.log"' -o shim.so no-pidfd-setns.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef LOG_PATH
#define LOG_PATH "/tmp/no-pidfd-setns.log"
#endif

static int is_pidfd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[pidfd]") == 0;
}

/* Log the refusal of WHAT and fail with err, as the kernel would. */
static int refuse(const char *what, int err)
{
	FILE *f = fopen(LOG_PATH, "a");

	if (f != NULL) {
		fprintf(f, "%d setns(%s) refused\n", (int)getpid(), what);
		fclose(f);
	}
	errno = err;
	return -1;
}

int setns(int fd, int nstype)
{
	static int (*real)(int, int);

	if (is_pidfd(fd))
		return refuse("pidfd", EINVAL);
	if (real == NULL)
		real = (int (*)(int, int))dlsym(RTLD_NEXT, "setns");
	if (nstype == CLONE_NEWNS && getenv("NSJ_SHIM_FAIL_MNT") != NULL) {
		char self[64], target[64], path[64];
		ssize_t n;

		/* Going back to our own mount namespace is allowed: that is the undo. */
		n = readlink("/proc/self/ns/mnt", self, sizeof(self) - 1);
		self[n < 0 ? 0 : n] = '\0';
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		if (strcmp(self, target) != 0)
			return refuse("mnt", EPERM);
	}
	return real(fd, nstype);
}
