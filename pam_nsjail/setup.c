/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * setup.c — what a new set looks like inside. Runs only in K (see setup.h), which is about to
 * exec the keeper, so nothing here touches the caller's process state.
 *
 * Mounts use the fd-based mount API (fsopen/fsmount/open_tree/move_mount): every target is
 * opened first with openat2(RESOLVE_NO_SYMLINKS) and the mount is attached to that very
 * directory, so a symlink planted in a user-writable parent can never redirect it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <linux/magic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "libc_compat.h"
#include "setup.h"

int nsj_open_nofollow(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static int open_target(const char *path, bool dir, struct nsj_err *err)
{
	int fd = nsj_open_nofollow(AT_FDCWD, path, O_PATH | (dir ? O_DIRECTORY : 0));

	if (fd < 0)
		return nsj_err_set(err, errno, "%s: %m%s", path,
				   errno == ELOOP ? " (symlinks are not followed)" : "");
	return fd;
}

static int attach(int mnt, int target, const char *path, struct nsj_err *err)
{
	if (move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return nsj_err_set(err, errno, "mount on %s: %m", path);
	return 0;
}

/* A fresh tmpfs with the given options, detached; returns the mount fd. */
static int tmpfs_new(const char *mode, uint64_t size, unsigned attrs, struct nsj_err *err)
{
	char num[32];
	int fs, mnt = -1;

	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return nsj_err_set(err, errno, "fsopen tmpfs: %m");
	/* "pam_nsjail" as the source tells an admin reading /proc/mounts whose mount it is. */
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", "pam_nsjail", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", mode, 0) < 0)
		goto fail;
	if (size) {
		/* nr_inodes too, so that a user cannot exhaust the inode table with empty files. */
		snprintf(num, sizeof(num), "%llu", (unsigned long long)size);
		if (fsconfig(fs, FSCONFIG_SET_STRING, "size", num, 0) < 0)
			goto fail;
		snprintf(num, sizeof(num), "%llu", (unsigned long long)(size / 4096 > 1024 ? size / 4096 : 1024));
		if (fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", num, 0) < 0)
			goto fail;
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		goto fail;
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	if (mnt < 0)
		goto fail;
	close(fs);
	return mnt;
fail:
	nsj_err_set(err, errno, "tmpfs (mode=%s size=%llu): %m", mode, (unsigned long long)size);
	close(fs);
	return -err->code;
}

static int tmpfs_at(const char *path, const char *mode, uint64_t size, unsigned attrs,
		    struct nsj_err *err)
{
	int target, mnt, ret;

	target = open_target(path, true, err);
	if (target < 0)
		return target;
	mnt = tmpfs_new(mode, size, attrs, err);
	ret = mnt < 0 ? mnt : attach(mnt, target, path, err);
	if (mnt >= 0)
		close(mnt);
	close(target);
	return ret;
}

/* Bind (a clone of) the directory or file src over target, with extra mount attributes. */
static int bind_fd(int src, const char *srcname, const char *target, bool dir, unsigned attrs,
		   struct nsj_err *err)
{
	struct mount_attr attr = { .attr_set = attrs };
	int tfd, mnt, ret;

	mnt = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (mnt < 0)
		return nsj_err_set(err, errno, "clone %s: %m", srcname);
	if (mount_setattr(mnt, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
		close(mnt);
		return nsj_err_set(err, errno, "mount attributes of %s: %m", srcname);
	}
	tfd = open_target(target, dir, err);
	ret = tfd < 0 ? tfd : attach(mnt, tfd, target, err);
	if (tfd >= 0)
		close(tfd);
	close(mnt);
	return ret;
}

/* Open (creating with mode) the directory name under parent, never following a link, and
 * require it to be root-owned and not writable by group/others unless it is an instance. */
static int subdir(int parent, const char *name, mode_t mode, const char *path, struct nsj_err *err)
{
	struct stat st;
	bool made = false;
	int fd;

	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(parent, name, mode & 0777) < 0 && errno != EEXIST)
			return nsj_err_set(err, errno, "tmp_dir %s: mkdir: %m", path);
		made = true;
		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return nsj_err_set(err, errno, "tmp_dir %s: %m%s", path,
				   errno == ELOOP || errno == ENOTDIR ? " (a symlink or not a directory)" : "");
	if (fstat(fd, &st) < 0 || st.st_uid != 0 || ((st.st_mode & 022) && mode != 01777)) {
		close(fd);
		return nsj_err_set(err, EPERM, "tmp_dir %s: not owned by root or writable by others", path);
	}
	/* Only what we made, and the 1777 instances, get our mode: an admin's parents keep theirs. */
	if ((made || mode == 01777) && (st.st_mode & 07777) != mode && fchmod(fd, mode) < 0) {
		close(fd);
		return nsj_err_set(err, errno, "tmp_dir %s: chmod: %m", path);
	}
	return fd;
}

/* Walk tmp_dir from "/" component by component: parents root-owned 0755, the last 0700. */
static int open_tmp_dir(const char *path, struct nsj_err *err)
{
	char buf[4096], *save = NULL, *comp, *next;
	int fd, nfd;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf) || path[0] != '/')
		return nsj_err_set(err, EINVAL, "tmp_dir %s: not an absolute path", path);
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nsj_err_set(err, errno, "/: %m");
	for (comp = strtok_r(buf, "/", &save); comp; comp = next) {
		next = strtok_r(NULL, "/", &save);
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
			close(fd);
			return nsj_err_set(err, EINVAL, "tmp_dir %s: \".\" and \"..\" are not allowed", path);
		}
		nfd = subdir(fd, comp, next ? 0755 : 0700, path, err);
		close(fd);
		if (nfd < 0)
			return nfd;
		fd = nfd;
	}
	return fd;
}

static int setup_tmp_dir(const struct nsj_policy *p, struct nsj_err *err)
{
	int base, ret = 0;

	base = open_tmp_dir(p->tmp_dir, err);
	if (base < 0)
		return base;
	for (size_t i = 0; i < p->n_tmp_paths && ret == 0; i++) {
		/* One instance per path: "/var/tmp" -> "<tmp_dir>/var_tmp". */
		char name[256];
		const char *s = p->tmp_paths[i] + 1;
		size_t j = 0;
		for (; *s && j < sizeof(name) - 1; s++)
			name[j++] = *s == '/' ? '_' : *s;
		name[j] = '\0';
		int fd = subdir(base, name, 01777, p->tmp_dir, err);
		if (fd < 0) {
			ret = fd;
			break;
		}
		ret = bind_fd(fd, p->tmp_dir, p->tmp_paths[i], true, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, err);
		close(fd);
	}
	close(base);
	return ret;
}

static int setup_tmp(const struct nsj_policy *p, struct nsj_err *err)
{
	int ret = 0;

	if (p->tmp == NSJ_TMP_DIR)
		return setup_tmp_dir(p, err);
	for (size_t i = 0; i < p->n_tmp_paths && ret == 0; i++)
		ret = tmpfs_at(p->tmp_paths[i], "1777", p->tmp_size, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, err);
	return ret;
}

/*
 * The host's /etc/hosts plus a line for the set's hostname, written into buf. A host with no
 * /etc/hosts (a minimal install without netbase) gets the lines netbase would have written; so
 * does an empty one, such as the mount point an earlier set left there (write_hosts).
 */
static int hosts_text(const char *hostname, char *buf, size_t size, size_t *len, struct nsj_err *err)
{
	static const char fallback[] = "127.0.0.1\tlocalhost\n"
				       "::1\t\tlocalhost ip6-localhost ip6-loopback\n";
	ssize_t n = 0;
	int fd = open("/etc/hosts", O_RDONLY | O_CLOEXEC);

	*len = 0;
	if (fd < 0 && errno != ENOENT)
		return nsj_err_set(err, errno, "/etc/hosts: %m");
	if (fd >= 0) {
		while (*len < size - 128 && (n = read(fd, buf + *len, size - 128 - *len)) > 0)
			*len += (size_t)n;
		close(fd);
		if (n < 0)
			return nsj_err_set(err, errno, "/etc/hosts: %m");
	}
	if (*len == 0) {
		memcpy(buf, fallback, sizeof(fallback) - 1);
		*len = sizeof(fallback) - 1;
	}
	if (*len && buf[*len - 1] != '\n')
		buf[(*len)++] = '\n';
	*len += (size_t)snprintf(buf + *len, size - *len, "127.0.1.1\t%s\n", hostname);
	return 0;
}

static int write_hosts(int dir, const char *hostname, struct nsj_err *err)
{
	const size_t size = 256 * 1024;
	char *buf = malloc(size);
	size_t len;
	int fd, ret;

	if (buf == NULL)
		return nsj_err_set(err, ENOMEM, "hosts: out of memory");
	ret = hosts_text(hostname, buf, size, &len, err);
	if (ret < 0) {
		free(buf);
		return ret;
	}
	fd = openat(dir, "hosts", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(buf);
		return nsj_err_set(err, errno, "hosts: %m");
	}
	if (write(fd, buf, len) != (ssize_t)len)
		ret = nsj_err_set(err, errno ? errno : EIO, "hosts: write: %m");
	free(buf);
	if (ret == 0 && fchmod(fd, 0644) < 0)
		ret = nsj_err_set(err, errno, "hosts: chmod: %m");
	/*
	 * A host without /etc/hosts gets an empty one to mount on (as ip netns makes its mount
	 * points): to the host's resolver an empty file and none are the same.
	 */
	if (ret == 0) {
		int mp = open("/etc/hosts", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (mp >= 0)
			close(mp);
		else if (errno != EEXIST)
			ret = nsj_err_set(err, errno, "/etc/hosts: a mount point for the set's hosts: %m");
	}
	if (ret == 0)
		ret = bind_fd(fd, "hosts", "/etc/hosts", false,
			      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
	close(fd);
	unlinkat(dir, "hosts", 0);
	return ret;
}

/*
 * Where to mount the set's resolv.conf: /etc/resolv.conf, or the file it links to (Debian with
 * systemd-resolved or resolvconf: /run/...), which only root can change. An absent one gets an
 * empty mount point, as for /etc/hosts. The result is a path without symlinks.
 */
static int resolv_target(char *out, size_t size, struct nsj_err *err)
{
	struct stat st;
	char *real;
	int fd;

	if (lstat("/etc/resolv.conf", &st) == 0 && S_ISLNK(st.st_mode)) {
		real = realpath("/etc/resolv.conf", NULL);
		if (real == NULL)
			return nsj_err_set(err, errno, "/etc/resolv.conf: a symlink to nowhere: %m");
		snprintf(out, size, "%s", real);
		free(real);
		if (stat(out, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0)
			return nsj_err_set(err, EPERM, "/etc/resolv.conf: links to %s, not a root-owned file",
					   out);
		return 0;
	}
	snprintf(out, size, "/etc/resolv.conf");
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST)
		return nsj_err_set(err, errno, "/etc/resolv.conf: a mount point for the set's: %m");
	return 0;
}

/* network = outbound: the set's resolv.conf (its text from net.c), bound over resolv_target(). */
static int write_resolv(int dir, struct nsj_err *err)
{
	char text[8192], target[4096];
	size_t len = nsj_net_resolv_text(text, sizeof(text));
	int fd, ret;

	ret = resolv_target(target, sizeof(target), err);
	if (ret < 0)
		return ret;
	fd = openat(dir, "resolv.conf", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return nsj_err_set(err, errno, "resolv.conf: %m");
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, 0644) < 0)
		ret = nsj_err_set(err, errno ? errno : EIO, "resolv.conf: write: %m");
	if (ret == 0)
		ret = bind_fd(fd, "resolv.conf", target, false,
			      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
	close(fd);
	unlinkat(dir, "resolv.conf", 0);
	return ret;
}

/*
 * Cover pin_dir with a tmpfs; with a hostname, that tmpfs first carries the generated hosts file
 * that is bound over /etc/hosts (and then unlinked), with network = outbound the resolv.conf.
 * Ends read-only and empty.
 */
static int write_owner(int dir, uid_t owner, struct nsj_err *err)
{
	char buf[32];

	/* A symlink: its target is kept in the inode, where a file's text would take a page. */
	snprintf(buf, sizeof(buf), "%u", (unsigned)owner);
	if (symlinkat(buf, dir, NSJ_INSIDE_MARK) < 0)
		return nsj_err_set(err, errno, "%s: %m", NSJ_INSIDE_MARK);
	return 0;
}

static int cover_pin_dir(const char *pin_dir, uid_t owner, const char *hostname, bool resolv,
			 struct nsj_err *err)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	int target, mnt, ret;
	const unsigned attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;

	target = open_target(pin_dir, true, err);
	if (target < 0)
		return target;
	mnt = tmpfs_new("0700", hostname || resolv ? 1024 * 1024 : 8192, attrs, err);
	ret = mnt < 0 ? mnt : attach(mnt, target, pin_dir, err);
	/* Attached first: a file of a detached mount cannot be cloned onto /etc/hosts. */
	if (ret == 0 && hostname)
		ret = write_hosts(mnt, hostname, err);
	if (ret == 0 && resolv)
		ret = write_resolv(mnt, err);
	if (ret == 0)
		ret = write_owner(mnt, owner, err);
	if (ret == 0 && mount_setattr(mnt, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
		ret = nsj_err_set(err, errno, "read-only %s: %m", pin_dir);
	if (mnt >= 0)
		close(mnt);
	close(target);
	return ret;
}

int nsj_is_mount_root(int dirfd, const char *path, int flags)
{
	struct statx stx;

	if (statx(dirfd, path, flags | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &stx) < 0)
		return -errno;
	if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
		return -EOPNOTSUPP;
	return (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

/* Is path (followed) still a file the set mounted there: the root of a mount, on a tmpfs? */
static bool still_covered(const char *path)
{
	struct statfs sf;

	return nsj_is_mount_root(AT_FDCWD, path, 0) == 1 && statfs(path, &sf) == 0 &&
	       sf.f_type == TMPFS_MAGIC;
}

int nsj_cover_repair(const struct nsj_policy *p, const struct nsj_record *r, struct nsj_err *err)
{
	struct mount_attr rw = { .attr_clr = MOUNT_ATTR_RDONLY }, ro = { .attr_set = MOUNT_ATTR_RDONLY };
	/* What the set was made with (a config edited since may say otherwise). */
	bool hosts = (r->kinds & NSJ_NSF(NSJ_NS_UTS)) && p->hostname_tmpl[0] != '\0';
	bool resolv = (r->kinds & NSJ_NSF(NSJ_NS_NET)) && r->net_pid > 0;
	char name[NSJ_HOSTNAME_MAX + 2] = "";
	int mnt, ret = 0;

	hosts = hosts && !still_covered("/etc/hosts");
	resolv = resolv && !still_covered("/etc/resolv.conf");
	if (!hosts && !resolv)
		return 0;
	/* The cover of pin_dir, writable for as long as it takes (only root reaches it). */
	mnt = open_tree(AT_FDCWD, p->pin_dir, OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	if (mnt < 0)
		return nsj_err_set(err, errno, "%s: %m", p->pin_dir);
	if (mount_setattr(mnt, "", AT_EMPTY_PATH, &rw, sizeof(rw)) < 0)
		ret = nsj_err_set(err, errno, "%s: read-write: %m", p->pin_dir);
	/* The set's own name, as it is (a config edited since would give another). */
	if (ret == 0 && hosts && gethostname(name, sizeof(name) - 1) < 0)
		ret = nsj_err_set(err, errno, "gethostname: %m");
	if (ret == 0 && hosts)
		ret = write_hosts(mnt, name, err);
	if (ret == 0 && resolv)
		ret = write_resolv(mnt, err);
	if (mount_setattr(mnt, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0 && ret == 0)
		ret = nsj_err_set(err, errno, "%s: read-only: %m", p->pin_dir);
	close(mnt);
	return ret;
}

static int lo_up(struct nsj_err *err)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (s < 0)
		return nsj_err_set(err, errno, "socket: %m");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		ret = nsj_err_set(err, errno, "lo: %m");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ret == 0 && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		ret = nsj_err_set(err, errno, "lo up: %m");
	close(s);
	return ret;
}

/*
 * A new mqueue instance on /dev/mqueue: made here, in K, it belongs to the set's IPC namespace,
 * so it lists the set's own queues (mq_open) and a file made in it is a queue of the set, not of
 * the host. A host without /dev/mqueue gets none (nothing is made on the host's /dev): the
 * queues are private all the same, only not listed as files.
 */
static int mqueue_at(const char *path, struct nsj_err *err)
{
	int target, fs, mnt, ret;

	target = nsj_open_nofollow(AT_FDCWD, path, O_PATH | O_DIRECTORY);
	if (target < 0 && errno == ENOENT)
		return 0;
	if (target < 0)
		return nsj_err_set(err, errno, "%s: %m", path);
	fs = fsopen("mqueue", FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "source", "pam_nsjail", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		ret = nsj_err_set(err, errno, "mqueue: %m");
	} else if ((mnt = fsmount(fs, FSMOUNT_CLOEXEC,
				  MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0) {
		ret = nsj_err_set(err, errno, "mqueue: %m");
	} else {
		ret = attach(mnt, target, path, err);
		close(mnt);
	}
	if (fs >= 0)
		close(fs);
	close(target);
	return ret;
}

/*
 * system_bus = hidden: an empty read-only tmpfs over the directory of the system bus socket.
 * Through the bus, systemd and logind answer from the host's /proc (systemctl status, loginctl
 * session-status, GetUnitProcesses list every user's processes with their command lines), so
 * the set's own /proc is not enough. The directory is covered, not the socket: a dbus restart
 * makes a new socket in the host's directory, which stays under the cover. A host without the
 * directory has no bus to hide (nothing is made on the host). /var/run is a symlink to /run on
 * Debian; where it is a directory of its own, its dbus is covered too.
 */
static int hide_bus_dir(const char *path, struct nsj_err *err)
{
	int target = nsj_open_nofollow(AT_FDCWD, path, O_PATH | O_DIRECTORY), mnt, ret;

	if (target < 0 && (errno == ENOENT || (errno == ELOOP && strcmp(path, "/run/dbus") != 0)))
		return 0;
	if (target < 0)
		return nsj_err_set(err, errno, "%s: %m", path);
	mnt = tmpfs_new("0755", 4096,
			MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
	ret = mnt < 0 ? mnt : attach(mnt, target, path, err);
	if (mnt >= 0)
		close(mnt);
	close(target);
	return ret;
}

/*
 * With a PID namespace: every procfs of the host's tree but the set's own /proc goes (a rescue
 * chroot's /mnt/x/proc, schroot's, a bind of /proc elsewhere): through one, the set would list
 * the host's processes. Found in our mountinfo, opened without following a symlink on the way,
 * checked to be a procfs and the root of its mount, and detached there. Best effort: one that
 * cannot be is left, as one the host mounts later under a propagation path is (SECURITY.md).
 */
static void drop_other_procfs(void)
{
	char *line = NULL, mp[4096], path[64];
	size_t cap = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE SOURCE SUPER" */
	while (f != NULL && getline(&line, &cap, f) > 0) {
		const char *dash = strstr(line, " - ");
		struct statfs sf;
		int fd;

		if (dash == NULL || strncmp(dash, " - proc ", 8) != 0 ||
		    sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 || strcmp(mp, "/proc") == 0)
			continue;
		nsj_mountinfo_unescape(mp);
		fd = nsj_open_nofollow(AT_FDCWD, mp, O_PATH | O_DIRECTORY);
		if (fd < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC &&
		    nsj_is_mount_root(fd, "", AT_EMPTY_PATH) == 1)
			umount2(path, MNT_DETACH);
		close(fd);
	}
	free(line);
	if (f != NULL)
		fclose(f);
}

static int setup_mounts(const struct nsj_policy *p, uid_t owner, struct nsj_err *err)
{
	bool hosts = (p->namespaces & NSJ_NSF(NSJ_NS_UTS)) && p->hostname[0];
	bool resolv = (p->namespaces & NSJ_NSF(NSJ_NS_NET)) && p->network == NSJ_NET_OUTBOUND;
	int ret = 0;

	/*
	 * First: nothing mounted below may propagate back to the host; with slave, host mounts
	 * under propagation_paths still come in (propagation.c).
	 */
	if (p->propagation == NSJ_PROP_SLAVE)
		ret = nsj_propagation_inside(p, err);
	else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		ret = nsj_err_set(err, errno, "make / rprivate: %m");
	if (ret < 0)
		return ret;
	if (p->namespaces & NSJ_NSF(NSJ_NS_PID))
		if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			return nsj_err_set(err, errno, "mount /proc: %m");
	if (p->namespaces & NSJ_NSF(NSJ_NS_PID))
		drop_other_procfs();
	if (p->namespaces & NSJ_NSF(NSJ_NS_IPC))
		ret = tmpfs_at("/dev/shm", "1777", p->tmp_size, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, err);
	if (ret == 0 && (p->namespaces & NSJ_NSF(NSJ_NS_IPC)))
		ret = mqueue_at("/dev/mqueue", err);
	if (ret == 0 && p->tmp != NSJ_TMP_NONE)
		ret = setup_tmp(p, err);
	if (ret == 0 && p->system_bus == NSJ_BUS_HIDDEN)
		ret = hide_bus_dir("/run/dbus", err);
	if (ret == 0 && p->system_bus == NSJ_BUS_HIDDEN)
		ret = hide_bus_dir("/var/run/dbus", err);
	if (ret == 0)
		ret = cover_pin_dir(p->pin_dir, owner, hosts ? p->hostname : NULL, resolv, err);
	return ret;
}

int nsj_setup_inside(const struct nsj_policy *p, const struct nsj_user *u, struct nsj_err *err)
{
	int ret = 0;

	if (p->namespaces & NSJ_NSF(NSJ_NS_MNT))
		ret = setup_mounts(p, u->uid, err);
	if (ret == 0 && (p->namespaces & NSJ_NSF(NSJ_NS_UTS)) && p->hostname[0])
		if (sethostname(p->hostname, strlen(p->hostname)) < 0)
			ret = nsj_err_set(err, errno, "sethostname %s: %m", p->hostname);
	if (ret == 0 && (p->namespaces & NSJ_NSF(NSJ_NS_NET)))
		ret = lo_up(err);
	return ret;
}
