/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * keeper_ctl.c — recognising, counting and stopping keepers from the host side.
 *
 * Everything here runs in a process that sees the host's /proc (the module before it joins,
 * nsjailctl). A recorded pid is trusted only through a pidfd opened *before* the checks: if the
 * pid was recycled in between, the start time read afterwards is the new process's and the
 * check fails, and once the checks pass the pidfd can only ever name that same process.
 *
 * Since Linux 6.9 a pidfd is a file of pidfs, and on a 64-bit kernel its inode number names one
 * process for the whole boot: the kernel never gives it to another (pidfd_open(2); systemd's
 * $MAINPIDFDID is that number). A keeper recorded with it and the boot's id is recognised by
 * an fstat() of the new pidfd, with certainty, where a start time (in 10 ms ticks) and the
 * checks around it only make a mistake unlikely. The keeper never changes its namespaces or
 * its uid after it is recorded, so what the /proc checks established follows from identity;
 * the owner is checked still (through PIDFD_GET_INFO where the kernel has it, 6.13).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nsj.h"

#ifndef PID_FS_MAGIC
#define PID_FS_MAGIC 0x50494446
#endif

/*
 * struct pidfd_info of <linux/pidfd.h>, Linux 6.13 (Debian 12's headers are 6.1's): its first,
 * 64-byte layout, which the kernel takes from then on. Only mask, ruid and euid are read.
 */
struct nsj_pidfd_info {
	/* cppcheck-suppress unusedStructMember */
	uint64_t mask, cgroupid;
	/* cppcheck-suppress unusedStructMember */
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid, spare0;
};
#define NSJ_PIDFD_GET_INFO _IOWR(0xFF, 11, struct nsj_pidfd_info)
#define NSJ_PIDFD_INFO_CREDS 2u

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int nsj_ns_read(pid_t pid, struct nsj_record *r, struct nsj_err *err)
{
	char path[64];
	struct stat st;

	for (int k = 0; k < NSJ_NS_COUNT; k++) {
		if (!(r->kinds & NSJ_NSF(k)))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, nsj_ns_name(k));
		if (stat(path, &st) < 0)
			return nsj_err_set(err, errno, "%s: %m", path);
		r->ns_ino[k] = st.st_ino;
		r->ns_dev = st.st_dev;
	}
	return 0;
}

/* The value of "KEY:" in /proc/PID/status text (up to the line's end), or NULL. */
static const char *status_field(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *l = text; l != NULL && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (strncmp(l, key, n) == 0 && l[n] == ':')
			return l + n + 1;
	return NULL;
}

/* Real and effective uid 0, and (need_init) pid 1 in its innermost PID namespace (NSpid). */
static int check_status(pid_t pid, bool need_init)
{
	char path[64], text[4096];
	const char *v;
	bool root = false, init = false;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Uid and NSpid come in the first lines; a status longer than the buffer is cut there. */
	len = nsj_read_full(fd, text, sizeof(text) - 1);
	close(fd);
	if (len < 0)
		return -EIO;
	text[len] = '\0';
	if ((v = status_field(text, "Uid")) != NULL) { /* "Uid:\t<real>\t<effective>\t..." */
		char *end;
		unsigned long ruid = strtoul(v, &end, 10), euid = 1;

		if (end != v && (*end == '\t' || *end == ' '))
			euid = strtoul(end, &end, 10);
		root = ruid == 0 && euid == 0 && (*end == '\t' || *end == ' ' || *end == '\n');
	}
	if ((v = status_field(text, "NSpid")) != NULL) {
		/* "NSpid:\t<pid in the host>\t...\t<pid in its own>": more than one, the last 1. */
		const char *end = strchr(v, '\n'), *last = v, *q;
		int fields = 0;

		end = end ? end : v + strlen(v);
		for (q = v; q < end; q++)
			if (*q == '\t') {
				fields++;
				last = q + 1;
			}
		init = fields > 1 && strtol(last, NULL, 10) == 1;
	}
	return root && (init || !need_init) ? 0 : -ESRCH;
}

/*
 * 0 once the process of pidfd has exited (a pidfd is readable from then on, a zombie included),
 * within timeout_ms; -ETIMEDOUT, or -errno when poll() fails.
 */
static int wait_exit(int pidfd, int timeout_ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	uint64_t end = nsj_now_us() + (uint64_t)timeout_ms * 1000u;

	for (;;) {
		uint64_t now = nsj_now_us();
		int n = poll(&p, 1, now >= end ? 0 : (int)((end - now + 999u) / 1000u));
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int boot_id(char out[NSJ_BOOT_ID_LEN + 1])
{
	char buf[64];
	ssize_t n;
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != NSJ_BOOT_ID_LEN + 1 || buf[NSJ_BOOT_ID_LEN] != '\n')
		return -EIO;
	memcpy(out, buf, NSJ_BOOT_ID_LEN);
	out[NSJ_BOOT_ID_LEN] = '\0';
	return 0;
}

int nsj_pidfd_ident(int pidfd, struct nsj_record *r)
{
	struct statfs sf;
	struct stat st;

	/* On 32-bit kernels pidfs hands out 32-bit inode numbers again, as pids. */
	if (sizeof(long) < 8 || fstatfs(pidfd, &sf) < 0 || sf.f_type != PID_FS_MAGIC ||
	    fstat(pidfd, &st) < 0 || boot_id(r->boot) < 0) {
		r->boot[0] = '\0';
		return -EOPNOTSUPP;
	}
	r->pidfs_ino = st.st_ino;
	r->pidfs_dev = st.st_dev;
	return 0;
}

/* The keeper recorded by its pidfs inode; -EOPNOTSUPP: check it the other way. */
static int verify_pidfs(int pidfd, const struct nsj_record *r, struct nsj_err *err)
{
	struct nsj_pidfd_info info = { .mask = NSJ_PIDFD_INFO_CREDS };
	char boot[NSJ_BOOT_ID_LEN + 1];
	struct stat st;
	int got;

	if (boot_id(boot) < 0)
		return -EOPNOTSUPP;
	if (strcmp(boot, r->boot) != 0)
		return nsj_err_set(err, ESRCH, "keeper %d was recorded in another boot", (int)r->pid);
	if (fstat(pidfd, &st) < 0 || st.st_ino != r->pidfs_ino || st.st_dev != r->pidfs_dev)
		return nsj_err_set(err, ESRCH, "pid %d is another process now (pidfd inode differs)",
				   (int)r->pid);
	got = ioctl(pidfd, NSJ_PIDFD_GET_INFO, &info);
	if (got == 0 && (info.mask & NSJ_PIDFD_INFO_CREDS)) {
		if (info.ruid != 0 || info.euid != 0)
			return nsj_err_set(err, ESRCH, "pid %d is not owned by root", (int)r->pid);
	} else if ((got == 0 || errno != ESRCH) &&
		   check_status(r->pid, r->kinds & NSJ_NSF(NSJ_NS_PID)) < 0) {
		/* No PIDFD_GET_INFO (6.9-6.12): status, which the exit check below confirms. */
		return nsj_err_set(err, ESRCH, "pid %d is not a root-owned namespace init", (int)r->pid);
	}
	/*
	 * Only an exit poll() saw is one: a live keeper taken for dead would be left behind,
	 * unrecorded, and setns() through this pidfd fails on a dead one anyway.
	 */
	if (wait_exit(pidfd, 0) == 0)
		return nsj_err_set(err, ESRCH, "keeper %d has exited", (int)r->pid);
	return 0;
}

static int verify(int pidfd, const struct nsj_record *r, struct nsj_err *err)
{
	unsigned long long start;
	struct nsj_record now = { .kinds = r->kinds };
	char state;
	struct nsj_err ignore = { 0 };

	if (r->pidfs_ino != 0 && r->boot[0] != '\0') {
		int ret = verify_pidfs(pidfd, r, err);
		if (ret != -EOPNOTSUPP)
			return ret;
	}
	if (nsj_proc_start(r->pid, &start, &state) < 0)
		return nsj_err_set(err, ESRCH, "keeper %d is gone", (int)r->pid);
	if (start != r->start)
		return nsj_err_set(err, ESRCH, "pid %d is another process now (start time differs)",
				   (int)r->pid);
	if (state == 'Z' || state == 'X')
		return nsj_err_set(err, ESRCH, "keeper %d has exited", (int)r->pid);
	if (check_status(r->pid, r->kinds & NSJ_NSF(NSJ_NS_PID)) < 0)
		return nsj_err_set(err, ESRCH, "pid %d is not a root-owned namespace init", (int)r->pid);
	if (nsj_ns_read(r->pid, &now, &ignore) < 0)
		return nsj_err_set(err, ESRCH, "keeper %d: namespaces unreadable", (int)r->pid);
	for (int k = 0; k < NSJ_NS_COUNT; k++)
		if ((r->kinds & NSJ_NSF(k)) && (now.ns_ino[k] != r->ns_ino[k] || now.ns_dev != r->ns_dev))
			return nsj_err_set(err, ESRCH, "pid %d: %s namespace differs from the record",
					   (int)r->pid, nsj_ns_name(k));
	/* Still the same process? (it may have died after the reads above) */
	if (pidfd >= 0 && nsj_pidfd_signal(pidfd, 0) < 0)
		return nsj_err_set(err, ESRCH, "keeper %d is gone", (int)r->pid);
	return 0;
}

int nsj_keeper_verify(const struct nsj_record *r, struct nsj_err *err)
{
	int pidfd, ret;

	if (r->pid <= 1)
		return nsj_err_set(err, ESRCH, "record names no keeper");
	pidfd = pidfd_open_(r->pid);
	if (pidfd < 0) {
		if (errno == ESRCH)
			return nsj_err_set(err, ESRCH, "keeper %d is gone", (int)r->pid);
		return nsj_err_set(err, errno, "pidfd_open %d: %m", (int)r->pid);
	}
	ret = verify(pidfd, r, err);
	if (ret < 0) {
		close(pidfd);
		return ret;
	}
	return pidfd;
}

static int census_cmp(const void *a, const void *b)
{
	const struct nsj_census_entry *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

int nsj_census_take(enum nsj_ns kind, struct nsj_census *c)
{
	char path[300];
	struct dirent *de;
	struct stat st;
	size_t cap = 0;
	DIR *d = opendir("/proc");

	c->kind = kind;
	c->e = NULL;
	c->n = 0;
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		int pid = atoi(de->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/%s", de->d_name, nsj_ns_name(kind));
		if (stat(path, &st) < 0)
			continue; /* gone meanwhile, or a kernel thread */
		if (c->n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct nsj_census_entry *e = realloc(c->e, ncap * sizeof(*e));

			if (e == NULL) {
				closedir(d);
				nsj_census_free(c);
				return -ENOMEM;
			}
			c->e = e;
			cap = ncap;
		}
		c->e[c->n++] = (struct nsj_census_entry){ .dev = st.st_dev, .ino = st.st_ino, .pid = pid };
	}
	closedir(d);
	if (c->n > 1)
		qsort(c->e, c->n, sizeof(*c->e), census_cmp);
	return 0;
}

enum nsj_ns nsj_census_kind(const struct nsj_record *r)
{
	/* Members of the set's PID namespace; without one, of its mount namespace. */
	return (r->kinds & NSJ_NSF(NSJ_NS_PID)) ? NSJ_NS_PID : NSJ_NS_MNT;
}

int nsj_census_count(const struct nsj_census *c, const struct nsj_record *r)
{
	struct nsj_census_entry key = { .dev = r->ns_dev, .ino = r->ns_ino[c->kind] };
	size_t lo = 0, hi = c->n;
	int n = 0;

	while (lo < hi) { /* the first entry not below key */
		size_t mid = lo + (hi - lo) / 2;

		if (census_cmp(&c->e[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->n && census_cmp(&c->e[lo], &key) == 0; lo++)
		n += c->e[lo].pid != r->pid;
	return n;
}

void nsj_census_free(struct nsj_census *c)
{
	free(c->e);
	c->e = NULL;
	c->n = 0;
}

int nsj_keeper_count_procs(const struct nsj_record *r)
{
	struct nsj_census c;
	int n = nsj_census_take(nsj_census_kind(r), &c);

	if (n == 0)
		n = nsj_census_count(&c, r);
	nsj_census_free(&c);
	return n;
}


void nsj_keeper_touch(int pidfd, const struct nsj_record *r)
{
	/* Not for nothing: on a VM that wake-up, an IPI to the other CPU, costs a rejoin ~40 us. */
	if (r->idle != 0)
		nsj_pidfd_signal(pidfd, SIGUSR1);
}

int nsj_keeper_stop(int pidfd, int timeout_ms, struct nsj_err *err)
{
	if (nsj_pidfd_signal(pidfd, SIGTERM) < 0) {
		if (errno == ESRCH)
			return 0;
		return nsj_err_set(err, errno, "signal keeper: %m");
	}
	if (wait_exit(pidfd, timeout_ms) == 0)
		return 0;
	/* The kernel kills every process of a PID namespace whose init dies. */
	if (nsj_pidfd_signal(pidfd, SIGKILL) < 0 && errno != ESRCH)
		return nsj_err_set(err, errno, "kill keeper: %m");
	if (wait_exit(pidfd, 10000) < 0)
		return nsj_err_set(err, ETIMEDOUT, "keeper did not exit after SIGKILL");
	return 0;
}

int nsj_record_check(int udir, uid_t uid, struct nsj_record *r, struct nsj_err *err)
{
	int ret = nsj_record_read(udir, r, err);

	if (ret < 0)
		memset(r, 0, sizeof(*r));
	r->uid = uid; /* the directory name is what the lock and the login path go by */
	return ret < 0 ? ret : nsj_keeper_verify(r, err);
}
