/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net.c — the network provider of a set with network = outbound: one slirp4netns per set.
 *
 * Who runs it, and where. The provider must be in the host's namespaces (it makes the host's
 * connections, reads the host's resolv.conf), so it cannot descend from the keeper K, which is
 * PID 1 of the set: every process K forks is inside the set's PID namespace, where the tenant's
 * ps would list a root process that is not theirs and the keeper's idle count would never reach
 * zero. So H (`nsjail-keeper --create`, keeper.c) forks P *before* it unshares the set's
 * namespaces. P waits on a pipe until H has unshared, then execs slirp4netns on H's network
 * namespace (/proc/H/ns/net: H is alive until the provider is ready, and H is the set's net
 * namespace from unshare on; H is not undumpable, K is). When H exits, P is reparented to the
 * host's init, which reaps it, like the keeper.
 *
 * How long it lives. slirp4netns ends when its --exit-fd sees the pipe's hang-up, and the only
 * write end of that pipe is K's: the provider ends with the set whatever ends the set (reset,
 * idle, a SIGKILL of the keeper) and never outlives it. K also keeps the read end, on a fixed
 * fd: a provider that dies on its own is restarted by the next login (nsj_net_revive(), before
 * it joins), which takes a copy of that read end with pidfd_getfd and spawns
 * `nsjail-keeper --provider`, so that the new provider has the same hang-up; if that fails the
 * login goes on and says why (nsj_net_revive(), pam_nsjail.c), and nsjailctl show says "gone".
 *
 * Privilege. It runs as root (it must setns into the set's namespace and make its tap device)
 * with an empty environment, /dev/null on 0-2, no other fd than its two pipes, every signal at
 * its default and unblocked, no_new_privs, and a bounding set cut to what it needs to start
 * (sys_admin for setns and its sandbox's mounts, net_admin for the tap device, setpcap and
 * net_bind_service for its sandbox's own capability drop). --enable-sandbox then pivot_roots it
 * into an empty tmpfs with /etc and /run read-only and drops every capability but
 * net_bind_service, and --enable-seccomp filters its system calls, before it forwards any packet.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libc_compat.h"
#include "setup.h"

#define READY_TIMEOUT_MS 10000
#define EXIT_FD 4  /* slirp4netns --exit-fd */
#define READY_FD 3 /* slirp4netns --ready-fd */
#define NETNS_FD 5 /* the set's network namespace, as /proc/self/fd/5 */

int nsj_net_provider_check(struct nsj_err *err)
{
	struct stat st;

	if (stat(NSJ_SLIRP4NETNS_PATH, &st) < 0)
		return nsj_err_set(err, errno, "network = outbound needs slirp4netns: %s: %m",
				   NSJ_SLIRP4NETNS_PATH);
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return nsj_err_set(err, ENOEXEC,
				   "network = outbound needs slirp4netns: %s is not an executable file",
				   NSJ_SLIRP4NETNS_PATH);
	if (st.st_uid != 0 || (st.st_mode & 022))
		return nsj_err_set(err, EPERM,
				   "network = outbound: %s is not root's or is writable by others",
				   NSJ_SLIRP4NETNS_PATH);
	/* (the provider's tap device; without it slirp4netns only exits, and says why to no one) */
	if (stat("/dev/net/tun", &st) < 0 || !S_ISCHR(st.st_mode))
		return nsj_err_set(err, ENODEV, "network = outbound needs /dev/net/tun (the tun "
				   "module: modprobe tun)");
	return 0;
}

int nsj_net_provider_alive(const struct nsj_record *r)
{
	unsigned long long start;
	char state;

	if (r->net_pid <= 1)
		return 0;
	if (nsj_proc_start(r->net_pid, &start, &state) < 0)
		return 0;
	return start == r->net_start && state != 'Z' && state != 'X';
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0) {
			close(p[i]);
			p[i] = -1;
		}
}

void nsj_net_close(struct nsj_netp *n)
{
	close_pair(n->go);
	close_pair(n->ready);
	close_pair(n->exit);
}

_Noreturn static void exec_provider(int netns, int ready, int exitfd);

int nsj_net_keep(struct nsj_netp *n)
{
	int w;

	close_pair(n->go);
	close_pair(n->ready);
	/* The write end above NSJ_NET_KEEPER_RFD, the read end onto it (for nsj_net_restart()). */
	w = fcntl(n->exit[1], F_DUPFD_CLOEXEC, NSJ_NET_KEEPER_RFD + 1);
	close(n->exit[1]); /* first: it may be on NSJ_NET_KEEPER_RFD itself */
	n->exit[1] = -1;
	if (w < 0 || (n->exit[0] != NSJ_NET_KEEPER_RFD &&
		      dup3(n->exit[0], NSJ_NET_KEEPER_RFD, O_CLOEXEC) < 0)) {
		if (w >= 0)
			close(w);
		nsj_net_close(n);
		return -1;
	}
	if (n->exit[0] != NSJ_NET_KEEPER_RFD)
		close(n->exit[0]);
	n->exit[0] = -1;
	return w;
}

_Noreturn void nsj_net_exec_restart(pid_t keeper, uint64_t netns_ino, int ready, int exitfd)
{
	char path[64];
	struct stat st;
	int netns;
	pid_t pid;

	/* The module checked the keeper; its pid may have been reused since: check the netns. */
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)keeper);
	netns = open(path, O_RDONLY | O_CLOEXEC);
	if (netns < 0 || fstat(netns, &st) < 0 || st.st_ino != netns_ino) {
		if (dprintf(1, "E%d %s: not the set's network namespace", ESRCH, path) < 0)
			_exit(1);
		_exit(1);
	}
	/* Not the module's child: the provider is reparented to init when we exit. */
	pid = fork();
	if (pid == 0)
		exec_provider(netns, ready, exitfd);
	if (pid < 0) {
		if (dprintf(1, "E%d fork: %s", errno, strerror(errno)) < 0)
			_exit(1);
		_exit(1);
	}
	_exit(dprintf(1, "N%d\n", (int)pid) > 0 ? 0 : 1);
}

/* fd onto exactly to (which must not be one of the fds still needed), not close-on-exec. */
static int move_fd(int fd, int to)
{
	if (fd == to)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, to) < 0 ? -1 : 0;
}

/* Cut the bounding set: root's exec then gets these capabilities and no others. */
static int bound_caps(void)
{
	static const int keep[] = { CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SETPCAP, CAP_NET_BIND_SERVICE };

	for (int c = 0; c <= CAP_LAST_CAP; c++) {
		bool k = false;

		for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			k |= keep[i] == c;
		if (!k && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return -1;
	}
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/*
 * What of the host the provider's sandbox gets to see. slirp4netns --enable-sandbox binds /etc
 * and /run into its tmpfs root and stays uid 0: the owner of every root-owned file and socket
 * there, which a provider taken over through its packet parsing could open with no capability
 * (/etc/shadow, the host keys, systemd's and D-Bus's sockets, pin_dir). So, in P's own mount
 * namespace, /etc and /run become tmpfs holding only what it reads: the resolver's file (a
 * symlink into /run keeps its target's directory, bound, so that the host's renames in it are
 * seen; a file is bound as it is when the provider starts) and the loader's cache.
 */
static int bind_clone(int clone, const char *path, bool dir)
{
	int fd;

	if (dir ? mkdir(path, 0755) < 0 && errno != EEXIST
		: (fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0 || close(fd) < 0)
		return -1;
	return move_mount(clone, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH);
}

static int provider_view(void)
{
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	char link[PATH_MAX], real[PATH_MAX], dir[PATH_MAX];
	int rclone = -1, ldclone, ret = -1;
	bool in_run = false;
	ssize_t n;

	n = readlink("/etc/resolv.conf", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	if (realpath("/etc/resolv.conf", real) != NULL) {
		in_run = strncmp(real, "/run/", 5) == 0 && n > 0;
		if (in_run) {
			snprintf(dir, sizeof(dir), "%s", real);
			*strrchr(dir, '/') = '\0';
		}
		rclone = open_tree(AT_FDCWD, in_run ? dir : real, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	}
	ldclone = open_tree(AT_FDCWD, "/etc/ld.so.cache", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (mount("nsjail-provider", "/run", "tmpfs", fl, "mode=0755,size=64k") < 0 ||
	    mount("nsjail-provider", "/etc", "tmpfs", fl, "mode=0755,size=64k") < 0)
		goto out;
	if (in_run && rclone >= 0) {
		/* each component of the directory under /run, then the bind on the last */
		for (char *c = dir + 5; (c = strchr(c, '/')) != NULL; c++) {
			*c = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST)
				goto out;
			*c = '/';
		}
		if (bind_clone(rclone, dir, true) < 0 || symlink(link, "/etc/resolv.conf") < 0)
			goto out;
	} else if (rclone >= 0 && bind_clone(rclone, "/etc/resolv.conf", false) < 0) {
		goto out;
	}
	if (ldclone >= 0 && bind_clone(ldclone, "/etc/ld.so.cache", false) < 0)
		goto out;
	ret = 0;
out:
	if (rclone >= 0)
		close(rclone);
	if (ldclone >= 0)
		close(ldclone);
	return ret;
}

/*
 * No new unix socket for the provider, ever (it needs none: its pipes and the socketpair it
 * passes the tap device through are made with socketpair): whatever its uid 0 could connect
 * to, path or abstract — the host's daemons that trust root's peer credentials — stays out of
 * reach. A seccomp filter, which slirp4netns's own (--enable-seccomp) is added to. Where the
 * architecture has socketcall(2), or is not one of these, there is no filter of ours.
 */
#if defined(__x86_64__)
#define NSJ_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NSJ_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

int nsj_net_deny_unix_sockets(void)
{
#ifdef NSJ_AUDIT_ARCH
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NSJ_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS), /* another ABI: nothing */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000 /* __X32_SYSCALL_BIT */, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
#endif
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
#else
	return 0;
#endif
}

/*
 * Become slirp4netns on the network namespace netns (an open fd), with ready and exitfd as its
 * --ready-fd and --exit-fd. Runs in P, root, in the host's namespaces. Never returns.
 */
_Noreturn static void exec_provider(int netns, int ready, int exitfd)
{
	char ns[64], readyarg[16], exitarg[16];
	char *const argv[] = { (char *)"slirp4netns", (char *)"--configure", (char *)"--mtu=65520",
			       (char *)"--disable-host-loopback", (char *)"--enable-sandbox",
			       (char *)"--enable-seccomp", readyarg, exitarg, (char *)"--netns-type=path",
			       ns, (char *)"tap0", NULL };
	char *const envp[] = { NULL };
	sigset_t none;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	snprintf(ns, sizeof(ns), "/proc/self/fd/%d", NETNS_FD);
	snprintf(readyarg, sizeof(readyarg), "--ready-fd=%d", READY_FD);
	snprintf(exitarg, sizeof(exitarg), "--exit-fd=%d", EXIT_FD);
	/* 3-5 are taken from any fd that is in the way first (F_DUPFD_CLOEXEC above 5). */
	ready = fcntl(ready, F_DUPFD_CLOEXEC, 6);
	exitfd = fcntl(exitfd, F_DUPFD_CLOEXEC, 6);
	netns = netns < 0 ? -1 : fcntl(netns, F_DUPFD_CLOEXEC, 6);
	if (null < 0 || ready < 0 || exitfd < 0 || netns < 0 || dup2(null, 0) < 0 ||
	    dup2(null, 1) < 0 || dup2(null, 2) < 0 || move_fd(ready, READY_FD) < 0 ||
	    move_fd(exitfd, EXIT_FD) < 0 || move_fd(netns, NETNS_FD) < 0)
		_exit(1);
	syscall(SYS_close_range, NETNS_FD + 1, ~0u, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* H runs with every signal blocked */
	/*
	 * slirp4netns's sandbox pivot_roots into a tmpfs on /tmp, which the kernel refuses when
	 * that mount's parent is shared (systemd makes every mount shared; /tmp may be a tmpfs):
	 * a mount namespace of its own, private, where no host mount event reaches it either.
	 */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    provider_view() < 0 || bound_caps() < 0)
		_exit(1);
	/* cppcheck-suppress knownConditionTrueFalse ; always 0 where we have no filter */
	if (nsj_net_deny_unix_sockets() < 0)
		_exit(1);
	/* Its own session: no terminal's signals (^C, ^Z, a hang-up) reach it from a login's. */
	setsid();
	execve(NSJ_SLIRP4NETNS_PATH, argv, envp);
	_exit(127);
}

/* P: wait for H's go, then become slirp4netns on H's network namespace. Never returns. */
_Noreturn static void provider(struct nsj_netp *n, pid_t h)
{
	char ns[64], go;

	close(n->go[1]);
	close(n->ready[0]);
	close(n->exit[1]); /* the keeper's alone: its exit is our hang-up */
	if (read(n->go[0], &go, 1) != 1 || go != 'g')
		_exit(1); /* H failed before it unshared */
	/*
	 * Opened here, with all of root's capabilities: once the bounding set is cut, the kernel's
	 * ptrace check (our capabilities must cover H's) refuses /proc/H/ns/net.
	 */
	snprintf(ns, sizeof(ns), "/proc/%d/ns/net", (int)h);
	exec_provider(open(ns, O_RDONLY | O_CLOEXEC), n->ready[1], n->exit[0]);
}

int nsj_net_fork(struct nsj_netp *n, struct nsj_err *err)
{
	pid_t h = getpid();

	n->go[0] = n->go[1] = n->ready[0] = n->ready[1] = n->exit[0] = n->exit[1] = -1;
	n->pid = -1;
	if (nsj_net_provider_check(err) < 0)
		return -err->code;
	if (pipe2(n->go, O_CLOEXEC) < 0 || pipe2(n->ready, O_CLOEXEC) < 0 ||
	    pipe2(n->exit, O_CLOEXEC) < 0) {
		nsj_err_set(err, errno, "network provider: pipe: %m");
		nsj_net_close(n);
		return -err->code;
	}
	n->pid = fork();
	if (n->pid < 0) {
		nsj_err_set(err, errno, "network provider: fork: %m");
		nsj_net_close(n);
		return -err->code;
	}
	if (n->pid == 0)
		provider(n, h);
	close(n->go[0]);
	close(n->ready[1]);
	n->go[0] = n->ready[1] = -1;
	return 0;
}

/* H, once in the set's network namespace: start the provider and wait until it is ready. */
int nsj_net_start(struct nsj_netp *n, struct nsj_err *err)
{
	struct pollfd p = { .fd = n->ready[0], .events = POLLIN };
	char c = 0;
	int r;

	if (nsj_write_all(n->go[1], "g", 1) < 0)
		return nsj_err_set(err, EIO, "network provider: it died at start");
	close(n->go[1]);
	n->go[1] = -1;
	do
		r = poll(&p, 1, READY_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r > 0 && read(n->ready[0], &c, 1) == 1 && c == '1')
		return 0;
	kill(n->pid, SIGKILL);
	if (r == 0)
		return nsj_err_set(err, ETIMEDOUT, "network provider %s: not ready after %d s",
				   NSJ_SLIRP4NETNS_PATH, READY_TIMEOUT_MS / 1000);
	return nsj_err_set(err, EIO, "network provider %s exited before it was ready",
			   NSJ_SLIRP4NETNS_PATH);
}

/* Abandon a provider that was forked: it reads EOF on its go pipe, or is killed. */
void nsj_net_abort(struct nsj_netp *n)
{
	if (n->pid > 0)
		kill(n->pid, SIGKILL);
	nsj_net_close(n);
}

/* ---- the set's resolv.conf (setup.c mounts it, in K) -------------------------------------- */

/*
 * network = outbound: the host's IPv4 nameservers, in its order, which the set reaches through
 * the provider like any address (so the resolver fails over from one to the next, as the
 * host's does); one on the host's loopback (systemd-resolved's 127.0.0.53), which the set
 * cannot reach, becomes the provider's 10.0.2.3, which slirp4netns forwards to the host's first
 * nameserver. No IPv4 nameserver at all (IPv6 ones only: the set has no IPv6): 10.0.2.3. The
 * host's search, domain and options lines are kept.
 */
size_t nsj_net_resolv_text(char *buf, size_t size)
{
	char line[1024], ns[3][INET_ADDRSTRLEN], rest[2048];
	size_t len, rlen = 0;
	int n = 0;
	bool slirp = false;
	FILE *f = fopen("/etc/resolv.conf", "re");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		struct in_addr a;
		char addr[64];

		if (sscanf(line, "nameserver %63s", addr) == 1) {
			if (n >= 3 || inet_pton(AF_INET, addr, &a) != 1)
				continue; /* glibc reads three; the set has no IPv6 */
			if ((ntohl(a.s_addr) >> 24) == 127) {
				if (slirp)
					continue;
				slirp = true;
				snprintf(ns[n++], sizeof(ns[0]), "%s", NSJ_NET_DNS);
			} else {
				inet_ntop(AF_INET, &a, ns[n++], sizeof(ns[0]));
			}
		} else if ((strncmp(line, "search", 6) == 0 || strncmp(line, "domain", 6) == 0 ||
			    strncmp(line, "options", 7) == 0) && rlen + strlen(line) + 2 < sizeof(rest)) {
			rlen += (size_t)snprintf(rest + rlen, sizeof(rest) - rlen, "%s%s", line,
						 strchr(line, '\n') ? "" : "\n");
		}
	}
	if (f != NULL)
		fclose(f);
	rest[rlen] = '\0';
	if (n == 0)
		snprintf(ns[n++], sizeof(ns[0]), "%s", NSJ_NET_DNS);
	len = (size_t)snprintf(buf, size, "# pam_nsjail: the host's nameservers, through the set's network provider\n");
	for (int i = 0; i < n && len + strlen(ns[i]) + 13 < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "nameserver %s\n", ns[i]);
	if (len + rlen + 1 < size)
		len += (size_t)snprintf(buf + len, size - len, "%s", rest);
	return len;
}

/* ---- nsjailctl show: the set's addresses -------------------------------------------------- */

/* The child of nsj_net_addresses(): in the set's network namespace, list its addresses. */
_Noreturn static void list_addresses(int nsfd, int out)
{
	struct ifaddrs *ifa, *i;
	char buf[1024], host[INET6_ADDRSTRLEN];
	size_t len = 0;

	if (setns(nsfd, CLONE_NEWNET) < 0 || getifaddrs(&ifa) < 0)
		_exit(1);
	for (i = ifa; i != NULL; i = i->ifa_next) {
		unsigned prefix = 0;

		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET)
			continue;
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, host,
			  sizeof(host));
		if (i->ifa_netmask != NULL)
			prefix = (unsigned)__builtin_popcount(
				((struct sockaddr_in *)(void *)i->ifa_netmask)->sin_addr.s_addr);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s %s/%u", len ? ", " : "",
					i->ifa_name, host, prefix);
		if (len >= sizeof(buf))
			break;
	}
	freeifaddrs(ifa);
	_exit(nsj_write_all(out, buf, len < sizeof(buf) ? len : sizeof(buf) - 1) == 0 ? 0 : 1);
}

int nsj_net_addresses(const struct nsj_record *r, char *buf, size_t size, struct nsj_err *err)
{
	char path[64];
	struct stat st;
	int nsfd, fds[2], status;
	ssize_t n;
	pid_t pid;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)r->pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return nsj_err_set(err, errno, "%s: %m", path);
	if (fstat(nsfd, &st) < 0 || st.st_ino != r->ns_ino[NSJ_NS_NET]) {
		close(nsfd);
		return nsj_err_set(err, ESRCH, "%s: not the set's network namespace", path);
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		close(nsfd);
		return nsj_err_set(err, errno, "pipe: %m");
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		list_addresses(nsfd, fds[1]);
	close(nsfd);
	close(fds[1]);
	n = pid < 0 ? -1 : nsj_read_full(fds[0], buf, size - 1);
	close(fds[0]);
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (pid < 0 || n < 0)
		return nsj_err_set(err, EIO, "the set's addresses: %m");
	buf[n] = '\0';
	return 0;
}

/* ---- restarting a provider that died (the login path) ------------------------------------- */

/* Read the helper's report: "N<pid>" or "E<errno> <message>". */
static int restart_report(int fd, pid_t *pid, struct nsj_err *err)
{
	char buf[512];
	ssize_t n = nsj_read_full(fd, buf, sizeof(buf) - 1);
	char *msg;
	int code;

	buf[n > 0 ? n : 0] = '\0';
	if (buf[0] == 'N' && (*pid = (pid_t)strtol(buf + 1, NULL, 10)) > 1)
		return 0;
	if (buf[0] == 'E') {
		code = (int)strtol(buf + 1, &msg, 10);
		return nsj_err_set(err, code ? code : EIO, "%s", *msg == ' ' ? msg + 1 : msg);
	}
	return nsj_err_set(err, EIO, "the restart helper died without a report");
}

static int wait_ready(int fd, struct nsj_err *err)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c = 0;
	int r;

	do
		r = poll(&p, 1, READY_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r > 0 && read(fd, &c, 1) == 1 && c == '1')
		return 0;
	if (r == 0)
		return nsj_err_set(err, ETIMEDOUT, "%s: not ready after %d s", NSJ_SLIRP4NETNS_PATH,
				   READY_TIMEOUT_MS / 1000);
	return nsj_err_set(err, EIO, "%s exited before it was ready", NSJ_SLIRP4NETNS_PATH);
}

/* posix_spawn `nsjail-keeper --provider`: 0 /dev/null, 1 report, 3 exit pipe, 4 ready. */
static int spawn_restart(const struct nsj_record *r, int exitfd, int report, int ready, pid_t *h)
{
	char uid[16], pid[16], ino[32];
	char *const argv[] = { (char *)"nsjail-keeper", (char *)"--uid", uid, (char *)"--provider",
			       pid, ino, NULL };
	const int pass[] = { exitfd, ready };

	snprintf(uid, sizeof(uid), "%u", (unsigned)r->uid);
	snprintf(pid, sizeof(pid), "%d", (int)r->pid);
	snprintf(ino, sizeof(ino), "%llu", (unsigned long long)r->ns_ino[NSJ_NS_NET]);
	return -nsj_spawn(NSJ_KEEPER_PATH, argv, -1, report, pass, 2, true, h);
}

/* A pipe whose ends are above fd 4 (spawn_restart's targets), close-on-exec. */
static int pipe_high(int fds[2])
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fds[0] = fcntl(p[0], F_DUPFD_CLOEXEC, 5);
	fds[1] = fcntl(p[1], F_DUPFD_CLOEXEC, 5);
	close(p[0]);
	close(p[1]);
	if (fds[0] >= 0 && fds[1] >= 0)
		return 0;
	close_pair(fds);
	return -EMFILE;
}

int nsj_net_restart(int pidfd, struct nsj_record *r, int *npfd_out, struct nsj_err *err)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	int report[2] = { -1, -1 }, ready[2] = { -1, -1 }, exitfd, e, status, ret, npfd = -1;
	pid_t h = -1, npid = 0;

	if (nsj_net_provider_check(err) < 0)
		return -err->code;
	/* A copy of the keeper's read end of the exit pipe: hang-up when the keeper ends. */
	exitfd = (int)syscall(SYS_pidfd_getfd, pidfd, NSJ_NET_KEEPER_RFD, 0);
	if (exitfd < 0)
		return nsj_err_set(err, errno, "the keeper's exit pipe: %m");
	ret = pipe_high(report);
	ret = ret ? ret : pipe_high(ready);
	if (ret == 0 && (exitfd = fcntl(e = exitfd, F_DUPFD_CLOEXEC, 5)) >= 0)
		close(e);
	if (ret < 0 || exitfd < 0) {
		close_pair(report);
		close_pair(ready);
		if (exitfd >= 0)
			close(exitfd);
		return nsj_err_set(err, ret < 0 ? -ret : EMFILE, "pipe: %m");
	}
	/* The host program's SIGCHLD handler must not reap the helper before we do. */
	sigaction(SIGCHLD, &dfl, &old);
	ret = spawn_restart(r, exitfd, report[1], ready[1], &h);
	close(exitfd);
	close(report[1]);
	close(ready[1]);
	if (ret < 0) {
		nsj_err_set(err, -ret, "spawn %s: %m", NSJ_KEEPER_PATH);
	} else {
		ret = restart_report(report[0], &npid, err);
		/* Held at once: a provider that dies while we wait must never be a recycled pid. */
		if (ret == 0 && npid > 1)
			npfd = (int)syscall(SYS_pidfd_open, npid, 0);
		while (waitpid(h, &status, 0) < 0 && errno == EINTR)
			;
		if (ret == 0)
			ret = wait_ready(ready[0], err);
	}
	sigaction(SIGCHLD, &old, NULL);
	close(report[0]);
	close(ready[0]);
	ret = ret ? ret : nsj_net_adopt(r, npid, err);
	if (ret < 0 && npfd >= 0)
		nsj_pidfd_signal(npfd, SIGKILL);
	if (ret == 0 && npfd_out != NULL)
		*npfd_out = npfd;
	else if (npfd >= 0)
		close(npfd);
	return ret;
}

int nsj_net_adopt(struct nsj_record *r, pid_t npid, struct nsj_err *err)
{
	unsigned long long start;
	char state;

	if (nsj_proc_start(npid, &start, &state) < 0 || state == 'Z' || state == 'X')
		return nsj_err_set(err, ESRCH, "network provider %d died at start", (int)npid);
	r->net_pid = npid;
	r->net_start = start;
	return 0;
}

/*
 * If the set's network provider died: start a new one, tied to the same keeper, and record it.
 * A failure leaves the set as it is (alive, without a way out) and says why in r.
 */
void nsj_net_revive(int udir, int pidfd, struct nsj_record *r)
{
	struct nsj_err why = { 0 };
	unsigned long long old_start = r->net_start;
	int npfd = -1;

	if (r->net_pid <= 0 || nsj_net_provider_alive(r) != 0)
		return;
	r->net_old = r->net_pid;
	if (nsj_net_restart(pidfd, r, &npfd, &why) == 0) {
		bool recorded = nsj_record_write(udir, r, &why) == 0;

		/* Unrecorded, it would be one no login knows of: it goes (through the pidfd held
		 * since it was reported, so never a recycled pid). */
		if (!recorded && npfd >= 0)
			nsj_pidfd_signal(npfd, SIGKILL);
		if (npfd >= 0)
			close(npfd);
		if (!recorded) {
			r->net_pid = r->net_old;
			r->net_start = old_start;
		} else {
			/*
			 * Into a scope of its own (scope.c), so that no session's end takes it along.
			 * Should that fail, it still works until that session ends, and the next
			 * login after its end starts another; the login's warning says so.
			 */
			if (nsj_scope_move(r->pid, r->net_pid, true, r->uid, NULL, 0, &why) < 0)
				nsj_err_first(&why, r->net_error, sizeof(r->net_error));
			return;
		}
	}
	r->net_gone = true;
	nsj_err_first(&why, r->net_error, sizeof(r->net_error));
}
