/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libc_compat.h — what glibc 2.36 declares and musl 1.2.3 (Debian 12) does not.
 *
 * The keeper is linked -static-pie against musl when musl-gcc is there (Makefile): it lives as
 * long as a set, and a static musl image holds ~20 KiB of anonymous memory and 20 KiB of page
 * tables where a static glibc one holds ~50 and ~40 (docs/PERFORMANCE.md, "Memory per set").
 * Everything else — the module in sshd, nsjailctl, the helpers — is built against glibc, where
 * this header adds nothing. Include it after the system headers.
 *
 * Only the objects the keeper links use it (setup.c, propagation.c, net.c, util.c); err.c
 * has its own part (nsj_strerror()). Keeper code formats an error with nsj_err_set()'s %m,
 * which uses glibc's texts; the keeper's link fails when an object calls musl's strerror().
 */
#ifndef NSJ_LIBC_COMPAT_H
#define NSJ_LIBC_COMPAT_H

#ifndef __GLIBC__
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/mount.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <unistd.h>
/* linux/stat.h leaves the S_IF* macros to a glibc; here they are musl's <sys/stat.h>. */
#include <sys/stat.h>
#define __GLIBC__ 2
#include <linux/stat.h>
#undef __GLIBC__

/* The mount API (glibc: <sys/mount.h>), as the system calls they are. */
static inline int open_tree(int dfd, const char *path, unsigned int flags)
{
	return (int)syscall(SYS_open_tree, dfd, path, flags);
}

static inline int move_mount(int from_dfd, const char *from, int to_dfd, const char *to,
			     unsigned int flags)
{
	return (int)syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}

static inline int fsopen(const char *fsname, unsigned int flags)
{
	return (int)syscall(SYS_fsopen, fsname, flags);
}

static inline int fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux)
{
	return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

static inline int fsmount(int fd, unsigned int flags, unsigned int attr_flags)
{
	return (int)syscall(SYS_fsmount, fd, flags, attr_flags);
}

static inline int mount_setattr(int dfd, const char *path, unsigned int flags,
				struct mount_attr *attr, size_t size)
{
	return (int)syscall(SYS_mount_setattr, dfd, path, flags, attr, size);
}

static inline int statx(int dfd, const char *path, int flags, unsigned int mask, struct statx *stx)
{
	return (int)syscall(SYS_statx, dfd, path, flags, mask, stx);
}

/*
 * posix_spawn_file_actions_addclosefrom_np: musl has no such action. The keeper is
 * single-threaded and every descriptor it holds is its own, so marking its descriptors from
 * `from` on close-on-exec before it spawns is the same for the child. Its re-exec clears the
 * flag on the two it hands on itself, just before execve (keeper.c).
 */
static inline int nsj_spawn_closefrom(posix_spawn_file_actions_t *fa, int from)
{
	(void)fa;
	return syscall(SYS_close_range, (unsigned int)from, ~0U, CLOSE_RANGE_CLOEXEC) < 0 ? errno : 0;
}
#define posix_spawn_file_actions_addclosefrom_np nsj_spawn_closefrom

/* glibc's texts (err.c, tools/errtext.c); nsj_err_set() expands %m with them too. */
#define strerror(errnum) nsj_strerror(errnum)
#endif /* !__GLIBC__ */

#endif
