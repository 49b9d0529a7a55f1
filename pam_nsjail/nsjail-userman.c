/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nsjail-userman — start the user's systemd manager (user@UID.service) inside the user's set.
 *
 * Usage: nsjail-userman MANAGER [ARGS]   (the package's drop-in for user@.service:
 *        ExecStart=/usr/libexec/pam_nsjail/nsjail-userman /lib/systemd/systemd --user)
 *
 * systemd runs the PAM stack "systemd-user" in the very process that then execs ExecStart=,
 * closes every fd a module left open, and forks "(sd-pam)", which ends the PAM session as soon
 * as getppid() changes (so it must not be born in another PID namespace). There pam_nsjail
 * joins the set's namespaces but the mount and PID ones, and names the keeper in the PAM
 * environment, which systemd passes on: NSJAIL_KEEPER="PID STARTTIME". This program starts as
 * the user, with CAP_SYS_ADMIN, CAP_SYS_CHROOT and CAP_SYS_PTRACE in its ambient set (from the
 * drop-in: setns() into a root process's namespaces needs them), and:
 *
 *  - without NSJAIL_KEEPER (the module is not in the stack, the policy left the user out, or
 *    the set has no PID namespace and was joined whole), drops every capability and execs
 *    MANAGER in place: user@ is as stock;
 *  - otherwise checks that PID is that keeper (a root init of a PID namespace with that start
 *    time, running nsjail-keeper for this uid), joins its PID namespace for its children through
 *    a pidfd, and forks C, born in the set; C joins the keeper's mount namespace, drops every
 *    capability (not the bounding set, and no NO_NEW_PRIVS: the user's services may use sudo)
 *    and execs MANAGER. The parent drops its capabilities, becomes undumpable (it stays in the
 *    host's namespaces) and stays the unit's main process and the parent of "(sd-pam)": it
 *    passes the signals it gets (the stop signal: KillMode=mixed) on to C, relays C's
 *    notifications (READY=1, STATUS=, STOPPING=1; C's own NOTIFY_SOCKET is a socket of ours)
 *    to systemd as its own, and exits as C does.
 *
 * Why not hand the main process to the manager with sd_notify("MAINPID=C")? systemd 252 takes
 * it, but cannot wait for a main process that is not its child: at `systemctl stop` it sent
 * SIGTERM and then at once SIGKILL to the whole unit, which ended failed (Result: signal).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

_Noreturn static void die(const char *what)
{
	/* stderr goes to the journal under the unit's name */
	fprintf(stderr, "nsjail-userman: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Every capability gone: ambient, effective, permitted, inheritable (not the bounding set). */
static void drop_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2] = { { 0 } };

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		die("clear ambient capabilities");
	if (syscall(SYS_capset, &h, d) < 0)
		die("drop capabilities");
}

/* The text of /proc/PID/NAME (NULs kept), or -1. */
static ssize_t proc_read(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* PID started at START, is root, PID 1 of its own PID namespace, and is this user's keeper. */
static bool is_keeper(pid_t pid, unsigned long long start)
{
	char buf[4096], want[32];
	const char *p;
	unsigned long long st = 0;
	unsigned ruid = 1, euid = 1;
	long last;
	int fields;
	ssize_t n;

	/* stat: field 22 is the start time; the command name (field 2) may hold spaces. */
	if (proc_read(pid, "stat", buf, sizeof(buf)) <= 0 || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
			  "%*d %llu", &st) != 1 || st != start)
		return false;
	if (proc_read(pid, "status", buf, sizeof(buf)) <= 0 || (p = strstr(buf, "\nUid:")) == NULL ||
	    sscanf(p + 5, " %u %u", &ruid, &euid) != 2 || ruid != 0 || euid != 0)
		return false;
	/* NSpid: the host's pid, ..., 1 in its own namespace: at least two fields, the last 1. */
	if ((p = strstr(buf, "\nNSpid:")) == NULL)
		return false;
	p += 7;
	fields = 0;
	last = -1;
	for (char *end; *p != '\n' && *p != '\0'; p = end) {
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		fields++;
		last = v;
	}
	if (fields < 2 || last != 1)
		return false;
	/* cmdline: "nsjail-keeper\0--uid\0UID\0..." (set.c starts it so) */
	snprintf(want, sizeof(want), "%u", (unsigned)getuid());
	n = proc_read(pid, "cmdline", buf, sizeof(buf));
	if (n <= 0 || strcmp(buf, "nsjail-keeper") != 0)
		return false;
	p = buf + strlen(buf) + 1;
	return p < buf + n && strcmp(p, "--uid") == 0 && p + 6 < buf + n && strcmp(p + 6, want) == 0;
}

/* The keeper named by NSJAIL_KEEPER ("PID STARTTIME"), as a pidfd; dies when it is not one. */
static int keeper_pidfd(const char *val)
{
	unsigned long long start;
	struct pollfd pfd;
	int pid, pidfd;

	if (sscanf(val, "%d %llu", &pid, &start) != 2 || pid <= 1) {
		errno = EINVAL;
		die("NSJAIL_KEEPER");
	}
	/* Opened first: if the pid is reused after this, the checks below see the new process. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		die("pidfd_open of the keeper");
	if (!is_keeper(pid, start)) {
		errno = ESRCH;
		die("NSJAIL_KEEPER does not name this user's keeper");
	}
	pfd = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	if (poll(&pfd, 1, 0) != 0) { /* readable: it has exited since */
		errno = ESRCH;
		die("the keeper");
	}
	return pidfd;
}

/* $NOTIFY_SOCKET as an address: 0, or -1 when there is none. */
static int notify_addr(const char *path, struct sockaddr_un *sa, socklen_t *len)
{
	if (path == NULL || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sa->sun_path))
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, strlen(path));
	if (path[0] == '@')
		sa->sun_path[0] = '\0'; /* abstract */
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	return 0;
}

/*
 * The manager's own notification socket: an abstract datagram socket of a name the kernel
 * picks, whose senders' credentials come with each message. Its name goes into NOTIFY_SOCKET
 * for C. -1 when systemd gave us none.
 */
static int relay_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(sa_family_t);
	char name[sizeof(sa.sun_path) + 1];
	int fd, one = 1;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, len) < 0) /* autobind: "\0XXXXX" */
		die("notification socket");
	len = sizeof(sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0 || len <= sizeof(sa_family_t) + 1)
		die("notification socket name");
	name[0] = '@';
	memcpy(name + 1, sa.sun_path + 1, len - sizeof(sa_family_t) - 1);
	name[len - sizeof(sa_family_t)] = '\0';
	if (setenv("NOTIFY_SOCKET", name, 1) < 0)
		die("setenv");
	return fd;
}

/*
 * One notification: from C only (the credentials say who sent it; the kernel gives C's pid as
 * seen from here), passed on to systemd as our own (we are the main process), without MAINPID=,
 * which would hand the main process to one that systemd cannot wait for.
 */
static void relay(int fd, pid_t c, int up, const struct sockaddr_un *sa, socklen_t salen)
{
	char buf[4097], cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct ucred *cred = NULL;
	ssize_t n;

	n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
	if (n <= 0 || (size_t)n >= sizeof(buf) || (mh.msg_flags & MSG_CTRUNC))
		return;
	buf[n] = '\0';
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS)
			cred = (struct ucred *)(void *)CMSG_DATA(cm);
	if (cred == NULL || cred->pid != c || up < 0)
		return;
	if (strncmp(buf, "MAINPID=", 8) == 0 || strstr(buf, "\nMAINPID=") != NULL)
		return;
	if (sendto(up, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT, (const struct sockaddr *)sa, salen) < 0) {
		/* systemd gone or busy: nothing to do about it here */
	}
}

/* C: born in the set's PID namespace. */
_Noreturn static void child(int pidfd, char **argv, const sigset_t *old)
{
	if (setns(pidfd, CLONE_NEWNS) < 0)
		die("join the set's mount namespace");
	close(pidfd);
	if (chdir("/") < 0)
		die("chdir /");
	drop_caps();
	sigprocmask(SIG_SETMASK, old, NULL);
	execv(argv[0], argv);
	die(argv[0]);
}

/* Exit as C did. */
_Noreturn static void exit_as(int status)
{
	if (WIFEXITED(status))
		exit(WEXITSTATUS(status));
	exit(128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0));
}

/* The parent: relay C's notifications, pass on the signals that would end us, exit with C. */
_Noreturn static void supervise(pid_t c, const sigset_t *set, int rfd, const char *upstream)
{
	struct sockaddr_un sa;
	socklen_t salen = 0;
	int sfd = signalfd(-1, set, SFD_CLOEXEC), up = -1, status;

	if (sfd < 0)
		die("signalfd");
	if (rfd >= 0 && notify_addr(upstream, &sa, &salen) == 0)
		up = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (;;) {
		struct pollfd pf[2] = { { .fd = sfd, .events = POLLIN }, { .fd = rfd, .events = POLLIN } };
		struct signalfd_siginfo si;

		if (poll(pf, rfd >= 0 ? 2 : 1, -1) < 0)
			continue;
		if (rfd >= 0 && (pf[1].revents & POLLIN))
			relay(rfd, c, up, &sa, salen);
		if (!(pf[0].revents & POLLIN) || read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo != SIGCHLD)
			kill(c, (int)si.ssi_signo);
		else if (waitpid(c, &status, WNOHANG) == c)
			exit_as(status);
	}
}

int main(int argc, char **argv)
{
	static const int pass_on[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	const char *keeper = getenv("NSJAIL_KEEPER");
	const char *sock;
	char *upstream = NULL;
	sigset_t set, old;
	int pidfd, rfd = -1;
	pid_t c;

	if (argc < 2 || argv[1][0] != '/') {
		fprintf(stderr, "usage: nsjail-userman /PATH/TO/MANAGER [ARGS]\n");
		return 2;
	}
	if (keeper == NULL) {
		drop_caps();
		execv(argv[1], argv + 1);
		die(argv[1]);
	}
	pidfd = keeper_pidfd(keeper);
	unsetenv("NSJAIL_KEEPER"); /* nothing for the manager and its services */
	/* Our children are born in the set's PID namespace. */
	if (setns(pidfd, CLONE_NEWPID) < 0)
		die("join the set's PID namespace");
	if ((sock = getenv("NOTIFY_SOCKET")) != NULL) {
		/* copied: relay_socket() points NOTIFY_SOCKET at our own socket for the manager */
		upstream = strdup(sock);
		if (upstream == NULL)
			die("strdup");
		rfd = relay_socket();
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < sizeof(pass_on) / sizeof(pass_on[0]); i++)
		sigaddset(&set, pass_on[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	c = fork();
	if (c < 0)
		die("fork");
	if (c == 0)
		child(pidfd, argv + 1, &old);
	close(pidfd);
	drop_caps();
	/* It stays in the host's namespaces: not even its user may ptrace it. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die("PR_SET_DUMPABLE");
	supervise(c, &set, rfd, upstream);
}
