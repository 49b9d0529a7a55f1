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
 * idle, a SIGKILL of the keeper) and never outlives it. A provider that dies on its own is not
 * restarted; the login path reports it (set.c, pam_nsjail.c) and nsjailctl show says so.
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
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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

int nsj_net_keep(struct nsj_netp *n)
{
	int keep = n->exit[1];

	n->exit[1] = -1;
	nsj_net_close(n);
	return keep;
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

/* P: wait for H's go, then become slirp4netns on H's network namespace. Never returns. */
_Noreturn static void provider(struct nsj_netp *n, pid_t h)
{
	char ns[64], ready[16], exitfd[16], go;
	char *const argv[] = { (char *)"slirp4netns", (char *)"--configure", (char *)"--mtu=65520",
			       (char *)"--disable-host-loopback", (char *)"--enable-sandbox",
			       (char *)"--enable-seccomp", ready, exitfd, (char *)"--netns-type=path",
			       ns, (char *)"tap0", NULL };
	char *const envp[] = { NULL };
	sigset_t none;
	int null, netns;

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
	netns = open(ns, O_RDONLY | O_CLOEXEC);
	snprintf(ns, sizeof(ns), "/proc/self/fd/%d", NETNS_FD);
	snprintf(ready, sizeof(ready), "--ready-fd=%d", READY_FD);
	snprintf(exitfd, sizeof(exitfd), "--exit-fd=%d", EXIT_FD);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	/* 3-5 are taken from any fd that is in the way first (F_DUPFD_CLOEXEC above 5). */
	n->ready[1] = fcntl(n->ready[1], F_DUPFD_CLOEXEC, 6);
	n->exit[0] = fcntl(n->exit[0], F_DUPFD_CLOEXEC, 6);
	netns = netns < 0 ? -1 : fcntl(netns, F_DUPFD_CLOEXEC, 6);
	if (null < 0 || n->ready[1] < 0 || n->exit[0] < 0 || netns < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(null, 2) < 0 || move_fd(n->ready[1], READY_FD) < 0 || move_fd(n->exit[0], EXIT_FD) < 0 || move_fd(netns, NETNS_FD) < 0)
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
	    bound_caps() < 0)
		_exit(1);
	execve(NSJ_SLIRP4NETNS_PATH, argv, envp);
	_exit(127);
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
	close(n->exit[0]);
	n->go[0] = n->ready[1] = n->exit[0] = -1;
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

/* ---- for nsjailctl -------------------------------------------------------------------- */

int nsj_config_check_network(const struct nsj_config *c, struct nsj_err *err)
{
	const struct nsj_section *d = &c->def;
	struct nsj_err why = { 0 };
	char label[300];
	int ret = 0;

	if (nsj_net_provider_check(&why) == 0)
		return 0;
	for (size_t i = 0; i < 1 + c->n_users + c->n_groups; i++) {
		const struct nsj_section *s = i == 0 ? d
					    : i <= c->n_users ? &c->users[i - 1]
							      : &c->groups[i - 1 - c->n_users];
#define PICK(bit, field) ((s->set & (bit)) ? s->field : d->field)
		if (!PICK(NSJ_KEY_ENABLE, enable) || PICK(NSJ_KEY_NETWORK, network) != NSJ_NET_OUTBOUND ||
		    !(PICK(NSJ_KEY_NAMESPACES, namespaces) & NSJ_NSF(NSJ_NS_NET)))
			continue;
#undef PICK
		nsj_section_label(s, label, sizeof(label));
		if (s->line > 0)
			ret = nsj_err_set(err, why.code, "%s:%u: %s: %s", c->path, s->line, label, why.msg);
		else
			ret = nsj_err_set(err, why.code, "%s: %s: %s", c->path, label, why.msg);
	}
	return ret;
}

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
