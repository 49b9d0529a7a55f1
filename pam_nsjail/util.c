/* SPDX-License-Identifier: BSD-3-Clause */
/* util.c — small helpers: /proc readers, pipes above stdio, clocks, size parsing. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "libc_compat.h"
#include "nsj.h"

/* fd above stdio, close-on-exec (a caller with closed stdio gets pipes on 0-2): -1 on error. */
static int above_stdio(int fd)
{
	int nfd;

	if (fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

int nsj_pipe_above_stdio(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	fds[0] = above_stdio(fds[0]);
	fds[1] = above_stdio(fds[1]);
	if (fds[0] >= 0 && fds[1] >= 0)
		return 0;
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return -EMFILE;
}

int nsj_spawn(const char *path, char *const argv[], int in, int out, const int *pass, int npass,
	      bool block_all, pid_t *pid)
{
	char *const envp[] = { NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t mask, all;
	int ret;

	sigfillset(&all);
	if (block_all)
		sigfillset(&mask);
	else
		sigemptyset(&mask);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	ret = in >= 0 ? posix_spawn_file_actions_adddup2(&fa, in, 0)
		      : posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	ret = ret ? ret : posix_spawn_file_actions_adddup2(&fa, out, 1);
	ret = ret ? ret : posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_RDWR, 0);
	for (int i = 0; i < npass && ret == 0; i++)
		ret = posix_spawn_file_actions_adddup2(&fa, pass[i], 3 + i);
	ret = ret ? ret : posix_spawn_file_actions_addclosefrom_np(&fa, 3 + npass);
	ret = ret ? ret : posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	ret = ret ? ret : posix_spawnattr_setsigmask(&at, &mask);
	ret = ret ? ret : posix_spawnattr_setsigdefault(&at, &all);
	if (ret == 0)
		ret = posix_spawn(pid, path, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return ret;
}

/* write() all of buf; a pipe whose reader died gives -EPIPE, never a SIGPIPE to the caller. */
int nsj_write_all(int fd, const void *buf, size_t len)
{
	sigset_t pipe_set, old;
	const char *b = buf;
	int ret = 0;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
	while (len > 0) {
		ssize_t n = write(fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		b += n;
		len -= (size_t)n;
	}
	if (ret == -EPIPE && !sigismember(&old, SIGPIPE)) {
		struct timespec zero = { 0, 0 };
		sigtimedwait(&pipe_set, NULL, &zero); /* ours: consume it before unblocking */
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

ssize_t nsj_read_full(int fd, void *buf, size_t len)
{
	char *b = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, b + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* procfs counts a process's threads in the link count of /proc/self/task (2 + threads). */
int nsj_thread_count(void)
{
	struct stat st;

	if (stat("/proc/self/task", &st) < 0)
		return -errno;
	return st.st_nlink > 2 ? (int)(st.st_nlink - 2) : -ENOENT;
}

/* musl (the keeper's libc) has no wrapper for pidfd_send_signal(2). */
int nsj_pidfd_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int nsj_proc_start(pid_t pid, unsigned long long *start, char *state)
{
	char path[64], buf[1024];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -ESRCH;
	buf[len] = '\0';
	/* comm may hold spaces and parentheses: fields start after the last ')'. */
	char *p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ')
		return -EIO;
	p += 2;
	if (state)
		*state = *p;
	/* state is field 3; starttime is field 22. */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (p == NULL)
			return -EIO;
		p++;
	}
	errno = 0;
	*start = strtoull(p, NULL, 10);
	return errno ? -errno : 0;
}

uint64_t nsj_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int nsj_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default:
		return -EINVAL;
	}
	if (*end != '\0')
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

uint64_t nsj_text_hash(const void *text, size_t len)
{
	const unsigned char *p = text;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}
