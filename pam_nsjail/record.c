/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * record.c — the pin directory, the per-uid lock and the record of a user's keeper.
 *
 * <pin_dir> is root:root 0700 and <pin_dir>/<uid>/ holds one file, "keeper". The per-uid
 * directory itself is the lock (flock on its fd); whoever removes it holds that lock, and a
 * waiter that then gets the lock sees st_nlink == 0 and starts over, so a lock is never taken
 * on a directory that is no longer reachable. Every open is O_NOFOLLOW|O_CLOEXEC and every
 * object is checked for owner and mode on its fd before it is trusted (nsj_live_peek, a
 * hint that is read again under the lock before anything follows from it, checks the record
 * file only).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nsj.h"
#include "setup.h"

#define RECORD "keeper"
#define RECORD_TMP "keeper.new"
/* How long a login (or nsjailctl) waits for the user's lock. */
#define LOCK_WAIT_MS 15000

/* A root-owned directory with none of the mode bits in forbid. */
static int check_root_dir(int fd, const char *what, const char *path, mode_t forbid,
			  struct nsj_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return nsj_err_set(err, errno, "%s %s: %m", what, path);
	if (!S_ISDIR(st.st_mode))
		return nsj_err_set(err, ENOTDIR, "%s %s: not a directory", what, path);
	if (st.st_uid != 0)
		return nsj_err_set(err, EPERM, "%s %s: owned by uid %u, not root", what, path,
				   (unsigned)st.st_uid);
	if (st.st_mode & forbid)
		return nsj_err_set(err, EPERM, "%s %s: %s by group or others (mode %04o)", what, path,
				   (forbid & 044) ? "accessible" : "writable",
				   (unsigned)(st.st_mode & 07777));
	return 0;
}

int nsj_root_dir_open(const char *path, const char *what, bool create, mode_t forbid,
		      struct nsj_err *err)
{
	int fd, r;

	if (path[0] != '/')
		return nsj_err_set(err, EINVAL, "%s %s: not an absolute path", what, path);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		/* The caller's umask (su: the user's) cuts mkdir's mode: set it on the fd after. */
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return nsj_err_set(err, errno, "%s %s: mkdir: %m", what, path);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && fchmod(fd, 0700) < 0) {
			close(fd);
			return nsj_err_set(err, errno, "%s %s: chmod: %m", what, path);
		}
	}
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			return nsj_err_set(err, errno, "%s %s: a symlink or not a directory", what, path);
		return nsj_err_set(err, errno, "%s %s: %m", what, path);
	}
	r = check_root_dir(fd, what, path, forbid, err);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int nsj_pindir_open(const char *pin_dir, bool create, struct nsj_err *err)
{
	return nsj_root_dir_open(pin_dir, "pin_dir", create, 022, err);
}

/*
 * flock(LOCK_EX), for LOCK_WAIT_MS at most: a holder that is stopped or stuck (the user's own
 * SIGSTOP of her su in the middle of a first login: su keeps her real uid) must not hang every
 * later login of hers, her cron jobs, nor nsjailctl reset. Uncontended, one flock() as before.
 */
static int lock_wait(int fd)
{
	long waited = 0, step = 1;

	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (waited >= LOCK_WAIT_MS)
			return -ETIMEDOUT;
		struct timespec ts = { 0, step * 1000 * 1000 };
		nanosleep(&ts, NULL);
		waited += step;
		step = step < 64 ? step * 2 : step;
	}
}

static int lock_once(int pindir, const char *name, bool create, struct nsj_err *err)
{
	struct stat st = { .st_nlink = 1 };
	int fd, r;

	fd = openat(pindir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(pindir, name, 0700) < 0 && errno != EEXIST)
			return nsj_err_set(err, errno, "record dir %s: mkdir: %m", name);
		fd = openat(pindir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			return -EAGAIN; /* removed meanwhile (nsjailctl gc or reset): start over */
		if (fd >= 0 && fchmod(fd, 0700) < 0) { /* whatever the caller's umask */
			close(fd);
			return nsj_err_set(err, errno, "record dir %s: chmod: %m", name);
		}
	}
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT; /* no set; not worth a message of its own */
		return nsj_err_set(err, errno, "record dir %s: %m", name);
	}
	r = check_root_dir(fd, "record dir", name, 022, err);
	if (r == 0 && (r = lock_wait(fd)) < 0)
		r = r == -ETIMEDOUT
			    ? nsj_err_set(err, ETIMEDOUT, "record dir %s: still locked after %d s (another "
					  "login of this user, stopped or stuck while it holds the lock)",
					  name, LOCK_WAIT_MS / 1000)
			    : nsj_err_set(err, -r, "record dir %s: flock: %m", name);
	if (r == 0 && fstat(fd, &st) < 0)
		r = nsj_err_set(err, errno, "record dir %s: %m", name);
	if (r < 0) {
		close(fd);
		return r;
	}
	if (st.st_nlink == 0) { /* removed by the previous holder: start over */
		close(fd);
		return -EAGAIN;
	}
	return fd;
}

int nsj_user_lock(int pindir, uid_t uid, bool create, struct nsj_err *err)
{
	char name[16];
	int fd = -EAGAIN;

	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	for (int tries = 0; fd == -EAGAIN && tries < 100; tries++)
		fd = lock_once(pindir, name, create, err);
	if (fd == -EAGAIN)
		return nsj_err_set(err, EAGAIN, "record dir %s: removed again and again while waiting", name);
	return fd;
}

/* "HASH KIND INDEX" of a "policy" line (live.c); anything else leaves the policy unknown. */
static void policy_line(const char *val, struct nsj_record *r)
{
	char *end;
	uint64_t h;
	unsigned long idx;
	char kind;

	errno = 0;
	h = strtoull(val, &end, 16);
	if (end == val || *end != ' ' || errno != 0)
		return;
	kind = end[1];
	if ((kind != 'd' && kind != 'u' && kind != 'g') || end[2] != ' ')
		return;
	idx = strtoul(end + 3, &end, 10);
	if (*end != '\0' || errno != 0 || idx > UINT_MAX)
		return;
	r->conf_hash = h;
	r->sec_kind = kind;
	r->sec_index = (unsigned)idx;
}

/*
 * The record is "PID\n" then "KEY VALUE" lines, as nsj_record_write() makes them. Parsed by
 * hand: it is read at every login, and sscanf() was ~8 us of a rejoin (make bench).
 */
static int parse_record(char *buf, struct nsj_record *r)
{
	char *save = NULL, *line, *end;
	bool have_start = false;
	long pid;

	memset(r, 0, sizeof(*r));
	r->idle = -1;
	line = strtok_r(buf, "\n", &save);
	if (line == NULL)
		return -EINVAL;
	errno = 0;
	pid = strtol(line, &end, 10);
	if (end == line || *end != '\0' || errno != 0 || pid <= 1 || pid > INT_MAX)
		return -EINVAL;
	r->pid = (pid_t)pid;
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		char *key = line, *val = strchr(line, ' ');

		if (val == NULL || val == key || val[1] == '\0' || val[1] == ' ')
			return -EINVAL;
		*val++ = '\0';
		int k = nsj_ns_from_name(key);
		if (k >= 0) {
			r->ns_ino[k] = strtoull(val, NULL, 10);
			r->kinds |= NSJ_NSF(k);
		} else if (strcmp(key, "start") == 0) {
			r->start = strtoull(val, NULL, 10);
			have_start = true;
		} else if (strcmp(key, "uid") == 0) {
			r->uid = (uid_t)strtoul(val, NULL, 10);
		} else if (strcmp(key, "user") == 0) {
			snprintf(r->user, sizeof(r->user), "%.*s", (int)strcspn(val, " "), val);
		} else if (strcmp(key, "created") == 0) {
			r->created = strtoll(val, NULL, 10);
		} else if (strcmp(key, "nsdev") == 0) {
			r->ns_dev = strtoull(val, NULL, 10);
		} else if (strcmp(key, "policy") == 0) {
			policy_line(val, r);
		} else if (strcmp(key, "provider") == 0) {
			r->net_pid = (pid_t)strtol(val, NULL, 10);
		} else if (strcmp(key, "provider_start") == 0) {
			r->net_start = strtoull(val, NULL, 10);
		} else if (strcmp(key, "idle") == 0) {
			r->idle = strtoll(val, NULL, 10);
		} else if (strcmp(key, "pidfs") == 0) {
			r->pidfs_ino = strtoull(val, NULL, 10);
		} else if (strcmp(key, "pidfsdev") == 0) {
			r->pidfs_dev = strtoull(val, NULL, 10);
		} else if (strcmp(key, "boot") == 0) {
			/* Anything but a boot id leaves it empty: the keeper is then checked by /proc. */
			if (strlen(val) == NSJ_BOOT_ID_LEN && strspn(val, "0123456789abcdef-") == NSJ_BOOT_ID_LEN)
				memcpy(r->boot, val, NSJ_BOOT_ID_LEN + 1);
		}
	}
	/* A record that cannot name the keeper's mount namespace cannot be verified. */
	return have_start && (r->kinds & NSJ_NSF(NSJ_NS_MNT)) ? 0 : -EINVAL;
}

/* The record open on fd (closed here): a root-owned regular file no one else can write. */
static int read_record_fd(int fd, struct nsj_record *r, struct nsj_err *err)
{
	char buf[2048];
	struct stat st;
	ssize_t len;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022)) {
		close(fd);
		return nsj_err_set(err, EPERM, "record: not a root-owned regular file, ignored");
	}
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0)
		return nsj_err_set(err, errno, "record: %m");
	buf[len] = '\0';
	if (parse_record(buf, r) < 0)
		return nsj_err_set(err, EINVAL, "record: malformed, ignored");
	return 0;
}

int nsj_record_read(int udir, struct nsj_record *r, struct nsj_err *err)
{
	int fd = openat(udir, RECORD, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		return nsj_err_set(err, errno, "record: %m");
	}
	return read_record_fd(fd, r, err);
}

int nsj_live_peek(const char *pin_dir, uid_t uid, struct nsj_record *r)
{
	const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
	struct nsj_err scratch = { 0 };
	char path[PATH_MAX];
	int n, fd;

	/* pin_dir's path holds no symlink (setup.c refuses one), so that one openat2 reaches it. */
	n = snprintf(path, sizeof(path), "%s/%u/" RECORD, pin_dir, (unsigned)uid);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	fd = nsj_open_nofollow(AT_FDCWD, path, flags);
	/* valgrind 3.19 lacks openat2 (callgrind's counts): the last component, as before 5.6 */
	if (fd < 0 && errno == ENOSYS)
		fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return read_record_fd(fd, r, &scratch);
}

int nsj_record_write(int udir, const struct nsj_record *r, struct nsj_err *err)
{
	char buf[2048];
	int len, fd;

	len = snprintf(buf, sizeof(buf), "%d\nstart %llu\nuid %u\nuser %s\ncreated %" PRId64 "\nnsdev %" PRIu64 "\n",
		       (int)r->pid, r->start, (unsigned)r->uid, r->user, r->created, r->ns_dev);
	for (int k = 0; k < NSJ_NS_COUNT; k++)
		if (r->kinds & NSJ_NSF(k))
			len += snprintf(buf + len, sizeof(buf) - (size_t)len, "%s %" PRIu64 "\n",
					nsj_ns_name(k), r->ns_ino[k]);
	if (r->sec_kind != 0)
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "policy %016" PRIx64 " %c %u\n",
				r->conf_hash, r->sec_kind, r->sec_index);
	if (r->net_pid > 0)
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "provider %d\nprovider_start %llu\n",
				(int)r->net_pid, r->net_start);
	if (r->idle >= 0)
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, "idle %lld\n", r->idle);
	if (r->pidfs_ino != 0 && r->boot[0] != '\0')
		len += snprintf(buf + len, sizeof(buf) - (size_t)len,
				"pidfs %" PRIu64 "\npidfsdev %" PRIu64 "\nboot %s\n",
				r->pidfs_ino, r->pidfs_dev, r->boot);
	unlinkat(udir, RECORD_TMP, 0);
	fd = openat(udir, RECORD_TMP, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return nsj_err_set(err, errno, "record: create: %m");
	if (fchmod(fd, 0600) < 0 || write(fd, buf, (size_t)len) != len) {
		int e = errno ? errno : EIO;
		close(fd);
		unlinkat(udir, RECORD_TMP, 0);
		return nsj_err_set(err, e, "record: write: %m");
	}
	close(fd);
	if (renameat(udir, RECORD_TMP, udir, RECORD) < 0) {
		int e = errno;
		unlinkat(udir, RECORD_TMP, 0);
		return nsj_err_set(err, e, "record: rename: %m");
	}
	return 0;
}

int nsj_record_remove(int pindir, uid_t uid, int udir, struct nsj_err *err)
{
	char name[16];

	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	if (unlinkat(udir, RECORD, 0) < 0 && errno != ENOENT)
		return nsj_err_set(err, errno, "record %s: unlink: %m", name);
	unlinkat(udir, RECORD_TMP, 0);
	if (unlinkat(pindir, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return nsj_err_set(err, errno, "record dir %s: rmdir: %m", name);
	return 0;
}

static int cmp_uid(const void *a, const void *b)
{
	uid_t x = *(const uid_t *)a, y = *(const uid_t *)b;
	return x < y ? -1 : x > y;
}

int nsj_record_list(int pindir, uid_t **uids, size_t *n, struct nsj_err *err)
{
	struct dirent *de;
	size_t cap = 0;
	DIR *d;
	int fd;

	*uids = NULL;
	*n = 0;
	fd = openat(pindir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return nsj_err_set(err, e, "pin_dir: %m");
	}
	while ((de = readdir(d)) != NULL) {
		char *end;
		unsigned long v = strtoul(de->d_name, &end, 10);
		if (!isdigit((unsigned char)de->d_name[0]) || *end != '\0' || de->d_type != DT_DIR)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			uid_t *p = realloc(*uids, cap * sizeof(**uids));
			if (p == NULL) {
				closedir(d);
				return nsj_err_set(err, ENOMEM, "out of memory");
			}
			*uids = p;
		}
		(*uids)[(*n)++] = (uid_t)v;
	}
	closedir(d);
	if (*n > 1)
		qsort(*uids, *n, sizeof(**uids), cmp_uid);
	return 0;
}
