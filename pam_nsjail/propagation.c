/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * propagation.c — where host mounts reach a set (propagation = slave, propagation_paths).
 *
 * The kernel copies a host mount event into every mount that receives from the mount it lands
 * on. A set whose whole tree is a slave of the host's therefore makes every host mount cost
 * one copy per set (24 ms per mount(2)+umount(2) pair at 5000 sets). Instead, a set's tree is
 * private and only each of propagation_paths is a slave, of a host mount that is a peer group
 * of its own: a host mount elsewhere then costs the same with 10,000 sets as with none.
 *
 * Two halves:
 *  - on the host (H, `nsjail-keeper --create` before it unshares): each existing path that is
 *    not a mount point is made one, bound onto itself and shared in a new peer group, as
 *    `ip netns` does for /run/netns. A bind of a directory of "/" would otherwise be a peer of
 *    "/", and every host mount anywhere on "/" would walk the sets' slaves of it (the kernel
 *    walks a propagation tree in full: a relay mount in between does not help, measured).
 *    A path that already has mounts below it (logind's /run/user/UID under /run/user; here,
 *    /mnt/...) is bound onto itself with copies of them, and then the originals, now hidden
 *    under the bind, are detached: the copies are the same file systems with the same files, so
 *    the host's later umounts there (user-runtime-dir@UID's) end them, and nothing stays hidden
 *    until reboot (seen when the originals were left under a bind: user-runtime-dir@UID.service
 *    failing at a user's last logout). Where that cannot be done safely (an autofs trigger or
 *    stacked mounts below the path), the path is left as it is; its clone in a set then
 *    receives from its parent's peer group, which costs a host mount elsewhere in that parent a
 *    check per set (README: make such a path a mount point, or leave it out).
 *  - in K (the new set, before anything else is mounted there): each path's tree is cloned
 *    while it is still a peer of the host's, the whole tree made private, and each clone made a
 *    slave and mounted over the set's own (now private) copy of that path.
 * Measured (bench/, docs/PERFORMANCE.md): "private by path" after a recursive slave misses
 * stacked mounts, and a bind that stays in the peer group of "/" still costs per set.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "libc_compat.h"
#include "setup.h"

/* path, opened O_PATH as a directory without following any symlink; -errno. */
static int open_dir_path(const char *path)
{
	int fd = nsj_open_nofollow(AT_FDCWD, path, O_PATH | O_DIRECTORY);

	return fd < 0 ? -errno : fd;
}

/* Reasons to leave a path out rather than fail the login: missing, a symlink, not a directory. */
static bool skippable(int neg_errno)
{
	return neg_errno == -ENOENT || neg_errno == -ELOOP || neg_errno == -ENOTDIR;
}

static int is_mount_root(int fd)
{
	return nsj_is_mount_root(fd, "", AT_EMPTY_PATH);
}

/* The mounts below a path that is not a mount point: the children of its mount there. */
#define MAX_BELOW 64
struct below {
	size_t n;		  /* mounts below path (of any depth) */
	size_t n_top;		  /* of them, children of the mount holding path */
	bool unsafe;		  /* an autofs trigger, stacked mounts, too many: leave path be */
	uint64_t top[MAX_BELOW];  /* the children's mount IDs */
	char *where[MAX_BELOW];	  /* and mount points */
};

static void below_free(struct below *b)
{
	for (size_t i = 0; i < b->n_top; i++)
		free(b->where[i]);
}

void nsj_mountinfo_unescape(char *s)
{
	char *o = s;

	for (; *s; s++, o++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o = *s;
		}
	}
	*o = '\0';
}

/* What is mounted below path, whose mount (not a root of it) has the ID parent; -errno. */
static int find_below(const char *path, uint64_t parent, struct below *b)
{
	size_t n = strlen(path), cap = 0;
	char *line = NULL, mp[4096], fstype[64];
	unsigned long long id, pid;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	memset(b, 0, sizeof(*b));
	if (f == NULL)
		return -errno;
	/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE SOURCE SUPER" */
	while (getline(&line, &cap, f) > 0) {
		const char *dash = strstr(line, " - ");

		if (sscanf(line, "%llu %llu %*s %*s %4095s", &id, &pid, mp) != 3 || dash == NULL ||
		    sscanf(dash, " - %63s", fstype) != 1)
			continue;
		/* A mount point longer than mp (a user's FUSE mount can be) is not known in full. */
		bool cut = strlen(mp) == sizeof(mp) - 1;

		nsj_mountinfo_unescape(mp);
		if (strncmp(mp, path, n) != 0 || mp[n] != '/')
			continue;
		b->n++;
		if (strcmp(fstype, "autofs") == 0 || cut)
			b->unsafe = true;
		if (pid != parent)
			continue;
		if (b->n_top == MAX_BELOW || (b->where[b->n_top] = strdup(mp)) == NULL) {
			b->unsafe = true;
			continue;
		}
		b->top[b->n_top++] = id;
	}
	/* Again: a mount on top of one of them (stacked) would be what its path leads to. */
	rewind(f);
	while (!b->unsafe && getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%llu %*s %*s %*s %4095s", &id, mp) != 2)
			continue;
		nsj_mountinfo_unescape(mp);
		for (size_t i = 0; i < b->n_top; i++)
			if (id != b->top[i] && strcmp(b->where[i], mp) == 0)
				b->unsafe = true;
	}
	free(line);
	fclose(f);
	return 0;
}

/* The ID of the mount fd is on; 0 when the kernel does not say. */
static uint64_t mount_id(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID))
		return 0;
	return stx.stx_mnt_id;
}

/* Is path below (or equal to) one of paths[0..n) other than itself at index self? */
static bool covered(char *const *paths, size_t n, size_t self)
{
	size_t len;

	for (size_t i = 0; i < n; i++) {
		len = strlen(paths[i]);
		if (i != self && strncmp(paths[self], paths[i], len) == 0 &&
		    (paths[self][len] == '/' || (paths[self][len] == '\0' && i < self)))
			return true;
	}
	return false;
}

static int set_propagation(int mnt, unsigned flags, unsigned long prop)
{
	struct mount_attr attr = { .propagation = prop };

	return mount_setattr(mnt, "", AT_EMPTY_PATH | flags, &attr, sizeof(attr)) < 0 ? -errno : 0;
}

/*
 * Bind the directory fd (path) onto itself, recursively, shared in a peer group of its own; the
 * mounts that were below it (b) are then under the bind, and are detached (see the top). 1 when
 * one of those cannot be taken as mountinfo named it (changed meanwhile, or by a user: a mount
 * of theirs renamed under /home): path is left as it is, as when unsafe, and nothing is done.
 */
static int make_mount_point(int fd, const char *path, const struct below *b, struct nsj_err *err)
{
	int mnt, ret = 0, orig[MAX_BELOW];
	size_t n_orig = 0;

	/* Each original by a handle of its own, taken while its path still leads to it. */
	for (size_t i = 0; i < b->n_top && ret == 0; i++) {
		orig[n_orig] = open_tree(AT_FDCWD, b->where[i], OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT);
		if (orig[n_orig] < 0 || mount_id(orig[n_orig++]) != b->top[i])
			ret = 1;
	}
	if (ret != 0)
		goto out;

	mnt = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (mnt < 0) {
		ret = nsj_err_set(err, errno, "propagation path %s: clone: %m", path);
		goto out;
	}
	if (move_mount(mnt, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		ret = nsj_err_set(err, errno, "propagation path %s: bind onto itself: %m", path);
	/* Private first: out of the peer group of the mount it was cut from, then a new one. */
	if (ret == 0 && (set_propagation(mnt, 0, MS_PRIVATE) < 0 || set_propagation(mnt, 0, MS_SHARED) < 0))
		ret = nsj_err_set(err, errno, "propagation path %s: make shared: %m", path);
	close(mnt);
	/* The bind holds a copy of each: the originals, hidden now, go (lazily, if in use). */
	for (size_t i = 0; i < n_orig && ret == 0; i++) {
		char self[64];

		snprintf(self, sizeof(self), "/proc/self/fd/%d", orig[i]);
		if (umount2(self, MNT_DETACH) < 0)
			ret = nsj_err_set(err, errno, "propagation path %s: detach %s under the bind: %m",
					  path, b->where[i]);
	}
out:
	for (size_t i = 0; i < n_orig; i++)
		close(orig[i]);
	return ret;
}

int nsj_propagation_host(const struct nsj_policy *p, struct nsj_err *err)
{
	int pindir, ret = 0;

	if (p->propagation != NSJ_PROP_SLAVE || p->n_prop_paths == 0 ||
	    !(p->namespaces & NSJ_NSF(NSJ_NS_MNT)))
		return 0;
	/* pin_dir's lock: parallel first logins make each mount point once. */
	pindir = nsj_pindir_open(p->pin_dir, true, err);
	if (pindir < 0)
		return pindir;
	while (flock(pindir, LOCK_EX) < 0)
		if (errno != EINTR) {
			ret = nsj_err_set(err, errno, "%s: flock: %m", p->pin_dir);
			goto out;
		}
	for (size_t i = 0; i < p->n_prop_paths && ret == 0; i++) {
		int fd = open_dir_path(p->prop_paths[i]), root;

		if (fd < 0) {
			if (!skippable(fd))
				ret = nsj_err_set(err, -fd, "propagation path %s: %m", p->prop_paths[i]);
			continue;
		}
		root = is_mount_root(fd);
		if (root < 0)
			ret = nsj_err_set(err, -root, "propagation path %s: statx: %m", p->prop_paths[i]);
		else if (root == 0) {
			struct below b;
			int r = find_below(p->prop_paths[i], mount_id(fd), &b);

			if (r < 0)
				ret = nsj_err_set(err, -r, "propagation path %s: mountinfo: %m",
						  p->prop_paths[i]);
			else if (!b.unsafe && (b.n == 0 || b.n_top > 0) &&
				 (r = make_mount_point(fd, p->prop_paths[i], &b, err)) < 0)
				ret = r; /* (1: left as it is) */
			below_free(&b);
		}
		close(fd);
	}
out:
	close(pindir); /* unlocks */
	return ret;
}

/*
 * Which of paths[0..n) have mounts below them in this mount namespace (below[i]): one pass over
 * /proc/self/mountinfo; none when it cannot be read.
 */
static void paths_with_mounts_below(char *const *paths, size_t n, bool *below)
{
	char *line = NULL, mp[4096];
	size_t cap = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	memset(below, 0, n * sizeof(*below));
	if (f == NULL)
		return;
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		nsj_mountinfo_unescape(mp);
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(paths[i]);

			if (strncmp(mp, paths[i], len) == 0 && mp[len] == '/')
				below[i] = true;
		}
	}
	free(line);
	fclose(f);
}

/*
 * Attach the slave clone mnt on path, over the set's private copy. The copy stays underneath,
 * hidden, but for one with mounts below it (logind's /run/user/UID of each user logged in,
 * a disk under /media): those copies would keep what the host unmounts later alive for as
 * long as the set (another user's runtime directory, up to a tenth of RAM each), so that copy
 * goes, at the price of a synchronize_rcu() (~100-170 µs here); a plain one stays, a few
 * hundred bytes, and costs none (make bench: the first login).
 */
static int attach_over(int mnt, const char *path, bool drop_copy, struct nsj_err *err)
{
	int fd, ret = 0;

	/* Only a mount point of its own (propagation_host) is the copy's alone to unmount. */
	if (drop_copy && (fd = open_dir_path(path)) >= 0) {
		bool own = is_mount_root(fd) == 1;

		close(fd);
		if (own && umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
			return nsj_err_set(err, errno, "propagation path %s: the private copy: %m", path);
	}
	fd = open_dir_path(path);

	if (fd < 0)
		return nsj_err_set(err, -fd, "propagation path %s: %m", path);
	if (move_mount(mnt, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		ret = nsj_err_set(err, errno, "propagation path %s: attach: %m", path);
	close(fd);
	return ret;
}

int nsj_propagation_inside(const struct nsj_policy *p, struct nsj_err *err)
{
	struct mount_attr priv = { .propagation = MS_PRIVATE };
	int clones[NSJ_REQUEST_MAX_PATHS];
	const size_t n = p->n_prop_paths;
	bool below[NSJ_REQUEST_MAX_PATHS] = { false };
	int ret = 0;

	if (n > NSJ_REQUEST_MAX_PATHS) /* the request's limit: never more */
		return nsj_err_set(err, E2BIG, "more than %d propagation_paths", NSJ_REQUEST_MAX_PATHS);

	/* Cloned while the set's copies are still peers of the host's: the clones are too. */
	for (size_t i = 0; i < n; i++) {
		int fd = covered(p->prop_paths, n, i) ? -ENOENT : open_dir_path(p->prop_paths[i]);

		clones[i] = -1;
		if (fd < 0) {
			if (!skippable(fd) && ret == 0)
				ret = nsj_err_set(err, -fd, "propagation path %s: %m", p->prop_paths[i]);
			continue;
		}
		clones[i] = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
		if (clones[i] < 0 && ret == 0)
			ret = nsj_err_set(err, errno, "propagation path %s: clone: %m", p->prop_paths[i]);
		close(fd);
	}
	/* Then nothing of the set's tree receives from the host, nor sends to it. */
	if (ret == 0 && mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &priv, sizeof(priv)) < 0)
		ret = nsj_err_set(err, errno, "make / rprivate: %m");
	if (ret == 0)
		paths_with_mounts_below(p->prop_paths, n, below);
	for (size_t i = 0; i < n; i++) {
		if (clones[i] < 0)
			continue;
		if (ret == 0 && set_propagation(clones[i], AT_RECURSIVE, MS_SLAVE) < 0)
			ret = nsj_err_set(err, errno, "propagation path %s: make slave: %m", p->prop_paths[i]);
		if (ret == 0)
			ret = attach_over(clones[i], p->prop_paths[i], below[i], err);
		close(clones[i]);
	}
	return ret;
}
