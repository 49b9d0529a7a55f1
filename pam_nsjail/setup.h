/* SPDX-License-Identifier: BSD-3-Clause */
/* setup.h — building the inside of a new set (setup.c); private to the core. */
#ifndef NSJ_SETUP_H
#define NSJ_SETUP_H

#include "nsj.h"

/*
 * Runs in K, the keeper-to-be: PID 1 of the new PID namespace and the only member of the new
 * mount/uts/ipc/net namespaces, still root, before it execs nsjail-keeper. Makes the mount tree
 * a slave (or private) copy, mounts the set's /proc, /dev/shm and private tmp, the generated
 * /etc/hosts, hides pin_dir, sets the hostname, brings lo up.
 */
int nsj_setup_inside(const struct nsj_policy *p, const struct nsj_user *u, struct nsj_err *err);

/*
 * Inside a set, pin_dir is covered by a read-only root-only tmpfs whose one entry, a symlink
 * whose target is a uid (kept in the inode: no page per set), names the user whose set this is:
 * a login run from inside a set (su from a jailed shell) learns from it that it is already there.
 * Users cannot create it: pin_dir is root:root 0700 on the host.
 */
#define NSJ_INSIDE_MARK "set-owner"

/*
 * openat2(dirfd, path, flags | O_CLOEXEC) following no symlink on the way, nor a magic link
 * (RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS): the fd, or -1 with errno.
 */
int nsj_open_nofollow(int dirfd, const char *path, int flags);
/* statx(dirfd, path, flags): 1 when it is the root of a mount, 0 when not, -errno. */
int nsj_is_mount_root(int dirfd, const char *path, int flags);

/*
 * After a login joined a set, in its mount and UTS namespaces (set.c), under the user's lock:
 * the set's /etc/hosts and resolv.conf are binds of files on its pin_dir cover, and a host that
 * replaces its own by a rename (sed -i, an editor, dhclient-script, systemd-resolved) or removes
 * it detaches them in every set. Put back what is gone, made again from the host's file as it is
 * now. When nothing is gone, a statx and a statfs per file.
 */
int nsj_cover_repair(const struct nsj_policy *p, const struct nsj_record *r, struct nsj_err *err);

/*
 * The creation request (request.c): what the module sends `nsjail-keeper --create` on its
 * stdin, ahead of the commit. The keeper binary is the module's own build (same struct
 * layout); the header's magic and size catch a mismatched install. tmp_paths, then
 * propagation_paths, travel as NUL-terminated strings.
 */
#define NSJ_REQUEST_MAX_PATHS NSJ_MAX_PATHS
int nsj_request_write(int fd, const struct nsj_policy *p, uid_t uid, struct nsj_err *err);
/* Fills p (tmp_paths point into storage the keeper keeps for its lifetime) and *uid. */
int nsj_request_read(int fd, struct nsj_policy *p, uid_t *uid, struct nsj_err *err);

/*
 * The network provider (net.c), started by H for network = outbound. nsj_net_fork() runs in H
 * before it unshares (P, its child, stays in the host's namespaces); nsj_net_start() after the
 * unshare (P then execs slirp4netns on H's new network namespace; returns once it is ready).
 * exit[1] is the write end of the provider's exit pipe: K keeps it and nothing else of this.
 */
struct nsj_netp {
	pid_t pid;
	int go[2], ready[2], exit[2];
};
int nsj_net_fork(struct nsj_netp *n, struct nsj_err *err);
int nsj_net_start(struct nsj_netp *n, struct nsj_err *err);
void nsj_net_abort(struct nsj_netp *n);
void nsj_net_close(struct nsj_netp *n);
/*
 * K: close everything of n but the exit pipe: its write end is returned (close-on-exec), its
 * read end stays on NSJ_NET_KEEPER_RFD, where the module takes a copy of it (pidfd_getfd) to
 * give a restarted provider the same hang-up. -1 on error.
 */
#define NSJ_NET_KEEPER_RFD 9
/*
 * The provider's seccomp filter, on top of slirp4netns's own: socket(AF_UNIX, ...) fails with
 * EACCES, other ABIs' system calls with ENOSYS (x86-64 and arm64; elsewhere no filter: 0).
 * Needs no_new_privs or CAP_SYS_ADMIN. 0 or -1 with errno.
 */
int nsj_net_deny_unix_sockets(void);
int nsj_net_keep(struct nsj_netp *n);
/*
 * `nsjail-keeper --provider` (keeper.c), spawned by nsj_net_restart() and already root: check
 * that keeper's netns is still the set's, fork the provider (slirp4netns on it, ready and
 * exitfd as its pipes), report "N<pid>" or "E<errno> <message>" on stdout, exit.
 */
_Noreturn void nsj_net_exec_restart(pid_t keeper, uint64_t netns_ino, int ready, int exitfd);
/*
 * K, network = outbound: the set's /etc/resolv.conf into buf (the provider's resolver, the
 * host's search, domain and options lines); its length. setup.c mounts it.
 */
size_t nsj_net_resolv_text(char *buf, size_t size);
/*
 * propagation = slave (propagation.c). On the host, in H before it unshares (root, host mount
 * namespace): make each existing one of p->prop_paths a mount point of its own, shared in a
 * new peer group, under pin_dir's lock; missing paths, symlinks and non-directories are left
 * out. In K, first of its mounts: the set's tree private, each propagation path a slave of the
 * host's. Both do nothing but what they say for propagation = private.
 */
int nsj_propagation_host(const struct nsj_policy *p, struct nsj_err *err);
int nsj_propagation_inside(const struct nsj_policy *p, struct nsj_err *err);
/* A mount point of /proc/self/mountinfo, its \ooo escapes (space, tab, newline, \) undone in place. */
void nsj_mountinfo_unescape(char *s);

#endif
