/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cg-shim.so — lets callgrind run the module's real rejoin path on a valgrind that does not
 * know pidfd_open (434) and pidfd_send_signal (424) (Debian 12 has valgrind 3.19, which
 * answers ENOSYS to both).
 *
 * `floor withpidfd PID CMD...` opens a real pidfd on PID outside valgrind, leaves it on fd
 * NSJ_BENCH_PIDFD and execs CMD (valgrind ... pam-bench -1 ...) with this library preloaded.
 * The module's syscall(SYS_pidfd_open, PID, 0) then gets a dup of that pidfd, and its
 * syscall(SYS_pidfd_send_signal, fd, sig, ...) on such an fd becomes kill(PID, sig). setns()
 * on the pidfd is a syscall valgrind knows, so it goes to the kernel unchanged: the path that
 * callgrind counts is the module's own, give or take the few instructions of this shim.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef long (*syscall_fn)(long, ...);

static int shim_fds[64];
static int n_shim_fds;

static int is_shim_fd(int fd)
{
	for (int i = 0; i < n_shim_fds; i++)
		if (shim_fds[i] == fd)
			return 1;
	return 0;
}

long syscall(long nr, ...);
long syscall(long nr, ...)
{
	static syscall_fn real;
	long a[6];
	va_list ap;

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	const char *fdv = getenv("NSJ_BENCH_PIDFD"), *pidv = getenv("NSJ_BENCH_PID");
	if (fdv && pidv) {
		pid_t pid = (pid_t)atoi(pidv);
		if (nr == SYS_pidfd_open && a[0] == pid && n_shim_fds < 64) {
			int fd = fcntl(atoi(fdv), F_DUPFD_CLOEXEC, 3);
			if (fd >= 0)
				shim_fds[n_shim_fds++] = fd;
			return fd;
		}
		if (nr == SYS_pidfd_send_signal && is_shim_fd((int)a[0]))
			return kill(pid, (int)a[1]);
	}
	if (real == NULL)
		real = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
