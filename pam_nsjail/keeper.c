/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nsjail-keeper — PID 1 of a set. Its being alive is what keeps the set's namespaces alive.
 *
 * Started by the module with execve (empty environment, stdin on the commit pipe, stdout and
 * stderr on /dev/null, nothing else, its own session). It: makes itself undumpable and spared
 * by the OOM killer; waits for the module's commit ('c' on stdin) and exits at once on EOF
 * instead (its creator died before recording it), then puts /dev/null on stdin (--no-record:
 * the session's process keeps the pipe open; at its EOF, that process gone without ending the
 * set, the set ends with its last process); reaps orphans;
 * on SIGTERM/SIGINT/SIGHUP ends every process of the set, removes its record and exits; with
 * --idle N, exits after N seconds with no process in the set but itself and removes its record.
 * With --idle, every later join sends SIGUSR1, which restarts the idle clock (a keeper without
 * one is not woken by a join).
 *
 * Usage: nsjail-keeper --uid UID --pin-dir DIR [--idle SECONDS] [--record|--no-record] [--create]
 *        (reexec() adds --ready, and --net-exit FD with network = outbound)
 *        nsjail-keeper --uid UID --provider KEEPER_PID NETNS_INODE
 *
 * --provider (net.c, nsj_net_restart()) starts a new network provider for a set whose provider
 * died: fd 3 is the read end of the keeper's exit pipe, fd 4 the ready pipe, stdout the report.
 *
 * --create is how the module makes a set (set.c): started by posix_spawn (so no copy of the
 * caller's memory is ever made: a fork of sshd's monitor copies its page tables, twice), with
 * stdin on the commit pipe, which first carries the creation request (the resolved policy),
 * stdout on the report pipe and stderr on /dev/null. This process, H, becomes fully root with
 * init's limits, unshares the set's namespaces and forks K, which becomes PID 1 of the new PID
 * namespace, builds the set's mounts and hostname (setup.c) and goes on as the keeper, in a
 * fresh image of itself (reexec(), --ready), which closes the report pipe once it is hardened
 * and named: a login that joins then finds PID 1 as `ps` will show it. Before it unshares, H makes the
 * propagation paths mount points of their own on the host (propagation.c). H reports K's pid ("P<pid>") and exits, so K is never the caller's child. An
 * error goes back as "E<errno> <message>"; the report's EOF with a pid and no error means a
 * ready set. With network = outbound, H forks the provider's process first, while still in the
 * host's namespaces, starts it once unshared, and reports its pid too ("N<pid>") once it is
 * ready; K holds the provider's exit pipe, so that the provider ends with K (net.c).
 * The options name the set in `ps` and must agree with the request. Without
 * --create, a keeper runs in the current namespaces (tests).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nsj.h"
#include "setup.h"

/* A backstop only: the commit pipe's EOF normally ends an unconfirmed keeper at once. */
#define COMMIT_TIMEOUT 30

struct keeper {
	uid_t uid;
	const char *pin_dir;
	unsigned idle;
	bool record;
	bool orphan; /* --no-record, its session's process gone: end with the last process */
	bool committed;
	time_t last_busy;
	int net_exit; /* network = outbound: the provider ends when this fd closes; else -1 */
};

static time_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* The set's user (--uid): whose processes a set without a PID namespace ends with it. */
static uid_t set_uid = (uid_t)-1;

static bool in_mnt_ns(int pid, const struct stat *self)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	return stat(path, &st) == 0 && st.st_ino == self->st_ino && st.st_dev == self->st_dev;
}

/*
 * Processes of the set other than ourselves: those in our mount namespace. With a PID namespace
 * our /proc is the set's and shows nothing else; without one it is the host's. With sig (only
 * without a PID namespace, to end the set): only the set's user's own (their /proc entry is
 * theirs: not sshd's session process nor su's parent, root's, which joined the namespace to
 * fork the session), each sent sig through a pidfd opened before its namespace is checked
 * again, so that a pid recycled meanwhile is never signalled.
 */
static int members(int sig)
{
	char path[64];
	struct dirent *de;
	struct stat self, st;
	int n = 0, me = getpid();
	DIR *d;

	if (stat("/proc/self/ns/mnt", &self) < 0 || (d = opendir("/proc")) == NULL)
		return 1; /* unknown: assume busy */
	while ((de = readdir(d)) != NULL) {
		int pid = atoi(de->d_name), pfd;

		if (pid <= 0 || pid == me || !in_mnt_ns(pid, &self))
			continue;
		if (sig == 0) {
			n++;
			continue;
		}
		snprintf(path, sizeof(path), "/proc/%d", pid);
		if (stat(path, &st) < 0 || st.st_uid != set_uid || set_uid == 0 ||
		    (pfd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0)
			continue;
		if (in_mnt_ns(pid, &self) && nsj_pidfd_signal(pfd, sig) == 0)
			n++;
		close(pfd);
	}
	closedir(d);
	return n;
}

static int count_others(void)
{
	return members(0);
}

_Noreturn static void terminate(int status)
{
	/*
	 * Without a PID namespace of its own the keeper never kill(-1)s (that would be the host):
	 * it ends the user's processes in the set's mount namespace itself, as the kernel ends a
	 * PID namespace's with its PID 1.
	 */
	if (getpid() != 1) {
		for (int i = 0; i < 20 && members(SIGTERM) > 0; i++) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		members(SIGKILL);
		exit(status);
	}
	/* kill(-1) from a namespace's init reaches every other process in it. */
	kill(-1, SIGTERM);
	for (int i = 0; i < 20 && count_others() > 0; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		reap();
	}
	/* Exiting as PID 1 makes the kernel SIGKILL whatever is left. */
	exit(status);
}

static bool pending_join(void)
{
	sigset_t pend;
	return sigpending(&pend) == 0 && sigismember(&pend, SIGUSR1);
}

/* The user's directory under pin_dir, locked without waiting (-1 when busy or missing). */
static int lock_user(const struct keeper *k, int *pindir)
{
	struct nsj_err e = { 0 };
	char name[16];
	int udir = -1;

	snprintf(name, sizeof(name), "%u", (unsigned)k->uid);
	*pindir = nsj_pindir_open(k->pin_dir, false, &e);
	if (*pindir >= 0)
		udir = openat(*pindir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (udir >= 0 && flock(udir, LOCK_EX | LOCK_NB) < 0) {
		close(udir);
		udir = -1;
	}
	return udir;
}

/* Under the lock: remove the record if it still names this keeper. */
static void drop_record(const struct keeper *k, int pindir, int udir)
{
	struct nsj_err e = { 0 };
	struct nsj_record r;
	struct stat self;

	if (nsj_record_read(udir, &r, &e) == 0 && stat("/proc/self/ns/mnt", &self) == 0 &&
	    r.ns_ino[NSJ_NS_MNT] == (uint64_t)self.st_ino)
		nsj_record_remove(pindir, k->uid, udir, &e);
}

/* The message of lock_user_beneath()'s socket: one byte, and two fds beside it. */
struct fd_msg {
	char byte;
	struct iovec iov;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} u;
	struct msghdr m;
};

static struct msghdr *fd_msg_init(struct fd_msg *f)
{
	memset(f, 0, sizeof(*f));
	f->byte = 'L';
	f->iov = (struct iovec){ &f->byte, 1 };
	f->m = (struct msghdr){ .msg_iov = &f->iov, .msg_iovlen = 1, .msg_control = f->u.buf,
				.msg_controllen = sizeof(f->u.buf) };
	return &f->m;
}

/* The two fds (pin_dir, the locked user's directory) over a unix socket: 0, or -1. */
static int send_fds(int sock, int a, int b)
{
	struct fd_msg f;
	struct msghdr *m = fd_msg_init(&f);
	struct cmsghdr *c = CMSG_FIRSTHDR(m);
	int fds[2] = { a, b };

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	return sendmsg(sock, m, 0) == 1 ? 0 : -1;
}

static int recv_fds(int sock, int fds[2])
{
	struct fd_msg f;
	struct msghdr *m = fd_msg_init(&f);
	struct cmsghdr *c;

	if (recvmsg(sock, m, MSG_CMSG_CLOEXEC) != 1 || (c = CMSG_FIRSTHDR(m)) == NULL ||
	    c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(2 * sizeof(int)))
		return -1;
	memcpy(fds, CMSG_DATA(c), 2 * sizeof(int));
	return 0;
}

/*
 * lock_user() on the real pin_dir, which the set's own mount namespace never shows again: a
 * child takes the cover off in a private copy of that namespace, opens and locks the user's
 * directory there and hands both fds over a socket (the lock is the open file's: it stays
 * with our copy when the child exits). The set itself stays covered all along, so a process
 * joining it meanwhile always finds the set-owner mark (account.c) and never pin_dir. -1 when
 * busy, missing or not possible.
 */
static int lock_user_beneath(const struct keeper *k, int *pindir)
{
	int sv[2], fds[2] = { -1, -1 }, status, got = -1;
	pid_t pid;

	*pindir = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int p = -1, u;

		close(sv[0]);
		/* Private, so that taking the cover off here reaches no other namespace. */
		/* (a propagation change: no source nor type; "none" for valgrind's sake) */
		if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 ||
		    (umount2(k->pin_dir, MNT_DETACH) < 0 && errno != EINVAL))
			_exit(1);
		u = lock_user(k, &p);
		_exit(u >= 0 && send_fds(sv[1], p, u) == 0 ? 0 : 1);
	}
	close(sv[1]);
	if (pid > 0)
		got = recv_fds(sv[0], fds); /* (the child's exit without them: end of file) */
	close(sv[0]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got == 0) {
		*pindir = fds[0];
		return fds[1];
	}
	return -1;
}

/*
 * Idle: take the user's lock without waiting (from beneath the cover), and remove the record
 * only if it still names this keeper and no login came in meanwhile. Otherwise carry on.
 */
static void idle_exit(struct keeper *k)
{
	int pindir, udir;

	if (!k->record)
		terminate(0);
	udir = lock_user_beneath(k, &pindir);
	if (udir >= 0 && !pending_join() && count_others() == 0) {
		drop_record(k, pindir, udir);
		terminate(0);
	}
	if (udir >= 0)
		close(udir);
	if (pindir >= 0)
		close(pindir);
}

/*
 * SIGTERM (systemctl stop of the keeper's scope or of user-UID.slice, an administrator): the set
 * ends, and so does its record, so that nothing stale is left. Logins wait on the lock until
 * the set is gone. When the lock is taken (nsjailctl reset holds it while it stops us), its
 * holder deals with the record.
 */
_Noreturn static void term(struct keeper *k)
{
	int pindir = -1, udir;

	if (k->record && k->committed) {
		udir = lock_user_beneath(k, &pindir);
		if (udir >= 0)
			drop_record(k, pindir, udir); /* the lock is held until we exit */
	}
	terminate(0);
}

/*
 * The commit pipe on stdin (SIGIO when it becomes readable): 'c' commits; EOF means the module
 * died or gave up before recording the set, so nothing can ever join it: exit.
 */
static void check_commit(struct keeper *k)
{
	char c;
	ssize_t n;
	int null;

	for (;;) {
		n = read(0, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (k->committed) {
			/* --no-record: the session let go of the pipe without a close_session. */
			k->orphan = true;
			if (count_others() == 0)
				terminate(0);
			break;
		}
		if (n != 1 || c != 'c')
			terminate(1);
		k->committed = true;
		k->last_busy = now_s();
		if (k->record)
			break;
		/* --no-record: the session that made the set holds the pipe for as long as it lives
		 * (set.c); its EOF may be here already, under the same SIGIO. */
	}
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0)
		terminate(1);
	close(null);
}

static void watch_commit(void)
{
	/* Non-blocking and signal-driven: the loop below waits for signals only. */
	if (fcntl(0, F_SETOWN, getpid()) < 0 ||
	    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK | O_ASYNC) < 0)
		terminate(1);
}

static void on_timeout(struct keeper *k)
{
	if (!k->committed)
		terminate(1);
	if (k->orphan) {
		if (count_others() == 0)
			terminate(0);
		return;
	}
	if (count_others() > 0)
		k->last_busy = now_s();
	else if (now_s() - k->last_busy >= (time_t)k->idle)
		idle_exit(k);
}

static int loop(struct keeper *k)
{
	sigset_t set;
	siginfo_t info;

	/* Already blocked by our creator before execve (set.c); made sure of here. */
	sigfillset(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	k->last_busy = now_s();
	watch_commit();
	check_commit(k); /* it may have come before O_ASYNC was set */
	for (;;) {
		/* Uncommitted: wait for the commit; idle: tick at a quarter of the timeout. */
		long tick = !k->committed ? COMMIT_TIMEOUT : k->orphan ? 1 : k->idle ? (k->idle + 3) / 4 : 0;
		if (tick > 30)
			tick = 30;
		struct timespec ts = { tick, 0 };
		int sig = tick ? sigtimedwait(&set, &info, &ts) : sigwaitinfo(&set, &info);
		if (sig < 0) {
			if (errno == EAGAIN)
				on_timeout(k);
			continue;
		}
		switch (sig) {
		case SIGCHLD:
			reap();
			break;
		/*
		 * No check of info.si_uid: only senders with CAP_KILL or uid 0 can signal a root
		 * process at all, and under su the module signals with the *caller's* real uid.
		 */
		case SIGTERM:
		case SIGINT:
		case SIGHUP:
			term(k);
		case SIGIO:
			if (!k->committed || (!k->record && !k->orphan))
				check_commit(k);
			break;
		case SIGUSR1:
			k->last_busy = now_s();
			break;
		default:
			break;
		}
	}
}

static void harden(void)
{
	int fd;

	/* Dispositions set to SIG_IGN survive execve: the caller's must not stay. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);

	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_NAME, "nsjail-keeper");
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "-1000", 5) < 0) {
			/* not fatal: the set still works */
		}
		close(fd);
	}
	if (chdir("/") < 0) {
		/* "/" always exists */
	}
}

/*
 * Nothing of the caller's credentials or limits may reach the keeper. Under su the caller is
 * the user: real uid, groups, rlimits, nice value are theirs (and a real uid of theirs would let
 * them signal the keeper). Become fully root and take init's limits. Raising a hard limit needs
 * CAP_SYS_RESOURCE: without it (a restricted container) the caller's stay, which is harmless.
 */
static int reset_credentials(struct nsj_err *e)
{
	struct rlimit lim;

	if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return nsj_err_set(e, errno, "become root: %m");
	for (int r = 0; r < RLIM_NLIMITS; r++)
		if (prlimit(1, r, NULL, &lim) == 0)
			setrlimit(r, &lim);
	setpriority(PRIO_PROCESS, 0, 0);
	return 0;
}

/* Report to the module on the report pipe (fd 1) and exit. */
_Noreturn static void create_fail(const struct nsj_err *e)
{
	if (dprintf(1, "E%d %s", e->code ? e->code : EIO, e->msg) < 0)
		_exit(1);
	_exit(1);
}

/* Ready: /dev/null over the report pipe (stdout), whose EOF the module waits for, and stderr. */
static void report_ready(void)
{
	struct nsj_err e = { 0 };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) {
		nsj_err_set(&e, errno, "/dev/null: %m");
		create_fail(&e);
	}
	if (null > 2)
		close(null);
}

/*
 * K goes on as the keeper in a fresh image of itself (same pid, namespaces, fds 0-2 and
 * session): the set-up's stack and heap pages (the policy, the request, the hosts file's
 * buffer) would otherwise stay with the keeper for the set's life — ~20 KiB per set (make
 * bench, keeper PSS). If the exec fails, K simply goes on as it is.
 */
static void reexec(const struct keeper *k)
{
	char uid[16], idle[16], nfd[16];
	char *argv[] = { (char *)"nsjail-keeper", (char *)"--uid", uid, (char *)"--idle", idle,
			 (char *)"--pin-dir", (char *)k->pin_dir,
			 (char *)(k->record ? "--record" : "--no-record"), (char *)"--ready", NULL, NULL,
			 NULL };
	char *const envp[] = { NULL };

	snprintf(uid, sizeof(uid), "%u", (unsigned)k->uid);
	snprintf(idle, sizeof(idle), "%u", k->idle);
	/*
	 * network = outbound: both ends of the provider's exit pipe go through the exec (the
	 * write end keeps the provider alive, the read end is for a restart, net.c); nothing
	 * else of K's does.
	 */
	if (k->net_exit >= 0) {
		if (fcntl(k->net_exit, F_SETFD, 0) < 0 || fcntl(NSJ_NET_KEEPER_RFD, F_SETFD, 0) < 0)
			return;
		snprintf(nfd, sizeof(nfd), "%d", k->net_exit);
		argv[9] = (char *)"--net-exit";
		argv[10] = nfd;
	}
	execve("/proc/self/exe", argv, envp);
	if (k->net_exit >= 0) {
		fcntl(k->net_exit, F_SETFD, FD_CLOEXEC);
		fcntl(NSJ_NET_KEEPER_RFD, F_SETFD, FD_CLOEXEC);
	}
}

_Noreturn static void create(struct keeper *k)
{
	struct nsj_policy p;
	struct nsj_err e = { 0 };
	struct nsj_user u = { 0 };
	struct nsj_netp net = { .pid = -1 };
	bool outbound;
	int flags = 0;
	pid_t pid;

	if (nsj_request_read(0, &p, &u.uid, &e) < 0 || reset_credentials(&e) < 0)
		create_fail(&e);
	if (u.uid != k->uid || strcmp(p.pin_dir, k->pin_dir) != 0 || p.persist != k->record ||
	    p.idle_timeout != k->idle) {
		nsj_err_set(&e, EPROTO, "request and command line disagree");
		create_fail(&e);
	}
	/* Still in the host's mount namespace: its side of propagation_paths. */
	if (nsj_propagation_host(&p, &e) < 0)
		create_fail(&e);
	for (int i = 0; i < NSJ_NS_COUNT; i++)
		if (p.namespaces & NSJ_NSF(i))
			flags |= nsj_ns_clone_flag(i);
	/* The provider's process is forked while we are still in the host's namespaces (net.c). */
	outbound = p.network == NSJ_NET_OUTBOUND && (p.namespaces & NSJ_NSF(NSJ_NS_NET));
	if (outbound && nsj_net_fork(&net, &e) < 0)
		create_fail(&e);
	/* Without a PID namespace of its own the keeper still pins the others as their member. */
	if (unshare(flags) < 0) {
		nsj_err_set(&e, errno, "unshare: %m");
		nsj_net_abort(&net);
		create_fail(&e);
	}
	pid = fork();
	if (pid < 0) {
		nsj_err_set(&e, errno, "fork: %m");
		nsj_net_abort(&net);
		create_fail(&e);
	}
	if (pid > 0) {
		/* H: the exit pipe's write end is K's alone; the set is ready with its network. */
		if (outbound) {
			close(net.exit[1]);
			net.exit[1] = -1;
			if (nsj_net_start(&net, &e) < 0)
				create_fail(&e);
		}
		_exit(dprintf(1, "P%d\nN%d\n", (int)pid, outbound ? (int)net.pid : 0) > 0 ? 0 : 1);
	}
	/* K keeps both ends of the provider's exit pipe: the write end ends it, the read end is for a
	 * restart (net.c). */
	if (outbound && (k->net_exit = nsj_net_keep(&net)) < 0) {
		nsj_err_set(&e, errno, "the provider's exit pipe: %m");
		create_fail(&e);
	}

	/* K: PID 1 of the new PID namespace (the first process forked after the unshare). */
	umask(022);
	if (nsj_setup_inside(&p, &u, &e) < 0)
		create_fail(&e);
	setsid(); /* no controlling terminal, no terminal's signals */
	reexec(k); /* the fresh image says the set is ready (main) */
	harden();
	report_ready();
	exit(loop(k));
}

int main(int argc, char **argv)
{
	struct keeper k = { .pin_dir = NSJ_PIN_DIR_DEFAULT, .record = true, .net_exit = -1 };
	bool have_uid = false, create_set = false, ready = false;
	pid_t provider_of = 0;
	uint64_t provider_ns = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--uid") == 0 && i + 1 < argc) {
			k.uid = (uid_t)strtoul(argv[++i], NULL, 10);
			have_uid = true;
		} else if (strcmp(argv[i], "--idle") == 0 && i + 1 < argc) {
			k.idle = (unsigned)strtoul(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--pin-dir") == 0 && i + 1 < argc) {
			k.pin_dir = argv[++i];
		} else if (strcmp(argv[i], "--record") == 0) {
			k.record = true;
		} else if (strcmp(argv[i], "--no-record") == 0) {
			k.record = false;
		} else if (strcmp(argv[i], "--net-exit") == 0 && i + 1 < argc) {
			/* reexec(): the provider's exit pipe, held for the set's life */
			k.net_exit = (int)strtol(argv[++i], NULL, 10);
			if (k.net_exit <= NSJ_NET_KEEPER_RFD || fcntl(k.net_exit, F_SETFD, FD_CLOEXEC) < 0 ||
			    fcntl(NSJ_NET_KEEPER_RFD, F_SETFD, FD_CLOEXEC) < 0)
				return 2;
		} else if (strcmp(argv[i], "--ready") == 0) {
			ready = true; /* reexec(): the report pipe is still stdout */
		} else if (strcmp(argv[i], "--create") == 0) {
			create_set = true;
		} else if (strcmp(argv[i], "--provider") == 0 && i + 2 < argc) {
			provider_of = (pid_t)strtol(argv[++i], NULL, 10);
			provider_ns = strtoull(argv[++i], NULL, 10);
		} else {
			return 2;
		}
	}
	/* Only the module starts keepers, as root. */
	if (!have_uid || geteuid() != 0)
		return 2;
	set_uid = k.uid;
	if (create_set)
		create(&k);
	if (provider_of > 1) {
		struct nsj_err e = { 0 };

		if (reset_credentials(&e) < 0)
			create_fail(&e);
		nsj_net_exec_restart(provider_of, provider_ns, 4, 3);
	}
	harden();
	if (ready)
		report_ready();
	return loop(&k);
}
