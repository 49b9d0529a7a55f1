/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * set.c — creating a set, joining it, and the login path that chooses between the two.
 *
 * Creation forks a helper H that unshares the set's namespaces and forks the keeper-to-be K,
 * which becomes PID 1 of the new PID namespace; H exits at once so that K is not the caller's
 * child (sshd's and su's SIGCHLD handling never see it). K builds the set's mounts and hostname
 * (setup.c) and execs nsjail-keeper, so no memory of the caller (sshd's host keys) lives on.
 * A close-on-exec pipe carries K's pid and any error back: EOF without an error means exec.
 *
 * The keeper starts uncommitted, with its stdin on a pipe whose write end only the caller
 * holds: the caller writes 'c' once the record is written, and the keeper then puts /dev/null
 * on stdin. If the caller dies first (killed half-way), the keeper reads EOF and exits at once:
 * no orphaned keeper, not even for a while. SIGUSR1, sent on every join, resets its idle clock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nsj.h"
#include "setup.h"

static int pidfd_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

const char *nsj_action_name(enum nsj_action a)
{
	static const char *const names[] = { "created", "joined", "repaired",
					     "joined (already in the set)" };
	return names[a];
}

/* Report from the child over the pipe: "E<errno> <message>". Async-signal-safe enough: the
 * caller is single-threaded (checked before we fork). */
_Noreturn static void child_fail(int fd, const struct nsj_err *e, int status)
{
	char buf[sizeof(e->msg) + 16];
	int n = snprintf(buf, sizeof(buf), "E%d %s", e->code, e->msg);
	if (n > 0 && write(fd, buf, (size_t)n) < 0)
		_exit(status);
	_exit(status);
}

/* fd above stdio, close-on-exec (a caller with closed stdio gave us pipes on 0-2). */
static int above_stdio(int fd)
{
	int nfd;

	if (fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (nfd < 0)
		_exit(126);
	return nfd;
}

static void exec_keeper(const struct nsj_policy *p, const struct nsj_user *u, int errfd, int commitfd)
{
	char uid[16], idle[16];
	struct nsj_err e = { 0 };
	char *const envp[] = { NULL };
	int null;

	snprintf(uid, sizeof(uid), "%u", (unsigned)u->uid);
	snprintf(idle, sizeof(idle), "%u", p->idle_timeout);
	char *const argv[] = { (char *)"nsjail-keeper", (char *)"--uid", uid, (char *)"--idle", idle,
			       (char *)"--pin-dir", (char *)p->pin_dir,
			       (char *)(p->persist ? "--record" : "--no-record"), NULL };

	errfd = above_stdio(errfd);
	commitfd = above_stdio(commitfd);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	null = null < 0 ? null : above_stdio(null);
	/* stdin: the commit pipe; stdout, stderr: /dev/null (dup2 clears close-on-exec). */
	if (null < 0 || dup2(commitfd, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) {
		nsj_err_set(&e, errno, "/dev/null: %m");
		child_fail(errfd, &e, 126);
	}
	/* Nothing of the caller's (sshd's sockets, su's inherited fds) may reach the keeper. */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		for (int fd = 3; fd < 1024; fd++)
			if (fd != errfd)
				close(fd);
	setsid();
	/*
	 * The keeper starts with every signal blocked (the mask survives execve): a signal with
	 * the default action sent to a namespace's init from outside is dropped, not queued, so
	 * the commit (SIGUSR1) could otherwise be lost before the keeper is ready for it.
	 */
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	execve(NSJ_KEEPER_PATH, argv, envp);
	nsj_err_set(&e, errno, "exec %s: %m", NSJ_KEEPER_PATH);
	child_fail(errfd, &e, 127);
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

/* In H: unshare, fork K, tell the parent K's pid, exit. */
_Noreturn static void helper(const struct nsj_policy *p, const struct nsj_user *u, int errfd,
			     int commitfd)
{
	struct nsj_err e = { 0 };
	int flags = 0;
	pid_t k;

	if (reset_credentials(&e) < 0)
		child_fail(errfd, &e, 1);

	for (int i = 0; i < NSJ_NS_COUNT; i++)
		if (p->namespaces & NSJ_NSF(i))
			flags |= nsj_ns_clone_flag(i);
	/* Without a PID namespace of its own the keeper still pins the others as their member. */
	if (unshare(flags) < 0) {
		nsj_err_set(&e, errno, "unshare: %m");
		child_fail(errfd, &e, 1);
	}
	k = fork();
	if (k < 0) {
		nsj_err_set(&e, errno, "fork: %m");
		child_fail(errfd, &e, 1);
	}
	if (k == 0) {
		umask(022);
		if (nsj_setup_inside(p, u, &e) < 0)
			child_fail(errfd, &e, 1);
		exec_keeper(p, u, errfd, commitfd);
	}
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "P%d\n", (int)k);
	_exit(write(errfd, buf, (size_t)n) == n ? 0 : 1);
}

/* Read everything the children wrote until both pipe ends are closed. */
static int read_report(int fd, pid_t *kpid, struct nsj_err *err)
{
	char buf[sizeof(err->msg) + 64];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return nsj_err_set(err, errno, "setup pipe: %m");
		len += (size_t)n;
	}
	buf[len] = '\0';
	*kpid = 0;
	char *e = buf;
	if (buf[0] == 'P') {
		*kpid = (pid_t)strtol(buf + 1, &e, 10);
		if (*e == '\n')
			e++;
	}
	if (*e == 'E') {
		char *msg;
		int code = (int)strtol(e + 1, &msg, 10);
		return nsj_err_set(err, code, "set-up: %s", *msg == ' ' ? msg + 1 : msg);
	}
	if (*kpid <= 0)
		return nsj_err_set(err, EIO, "set-up: helper died without a report");
	return 0;
}

/* Returns the write end of the commit pipe, or -errno. */
static int spawn(const struct nsj_policy *p, const struct nsj_user *u, pid_t *kpid,
		 struct nsj_err *err)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	int pipefd[2], cpipe[2], status, ret;
	pid_t h;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return nsj_err_set(err, errno, "pipe: %m");
	if (pipe2(cpipe, O_CLOEXEC) < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return nsj_err_set(err, errno, "pipe: %m");
	}
	/* The host program's SIGCHLD handler must not reap H before we do. */
	sigaction(SIGCHLD, &dfl, &old);
	h = fork();
	if (h == 0) {
		close(pipefd[0]);
		close(cpipe[1]);
		sigaction(SIGCHLD, &old, NULL);
		helper(p, u, pipefd[1], cpipe[0]);
	}
	close(pipefd[1]);
	close(cpipe[0]);
	if (h < 0) {
		ret = nsj_err_set(err, errno, "fork: %m");
	} else {
		ret = read_report(pipefd[0], kpid, err);
		while (waitpid(h, &status, 0) < 0 && errno == EINTR)
			;
	}
	close(pipefd[0]);
	sigaction(SIGCHLD, &old, NULL);
	if (ret < 0) {
		close(cpipe[1]);
		return ret;
	}
	return cpipe[1];
}

int nsj_set_create(const struct nsj_policy *p, const struct nsj_user *u, struct nsj_record *r,
		   int *commitfd, struct nsj_err *err)
{
	pid_t kpid = 0;
	char state;
	int pidfd, ret;

	*commitfd = spawn(p, u, &kpid, err);
	if (*commitfd < 0)
		return *commitfd;
	pidfd = (int)syscall(SYS_pidfd_open, kpid, 0);
	if (pidfd < 0) {
		ret = nsj_err_set(err, errno, "keeper %d: pidfd_open: %m", (int)kpid);
		goto fail;
	}
	memset(r, 0, sizeof(*r));
	r->pid = kpid;
	r->uid = u->uid;
	snprintf(r->user, sizeof(r->user), "%s", u->name);
	r->created = (int64_t)time(NULL);
	r->kinds = p->namespaces;
	ret = nsj_proc_start(kpid, &r->start, &state);
	if (ret == 0 && (state == 'Z' || state == 'X'))
		ret = -ESRCH;
	if (ret < 0) {
		ret = nsj_err_set(err, -ret, "keeper %d died at start", (int)kpid);
		goto fail_pidfd;
	}
	ret = nsj_ns_read(kpid, r, err);
	if (ret < 0)
		goto fail_pidfd;
	return pidfd;
fail_pidfd:
	close(pidfd);
fail:
	close(*commitfd); /* the keeper reads EOF and exits */
	*commitfd = -1;
	return ret;
}

/* Confirm a new keeper: it keeps the set from now on. Closes commitfd. */
static int commit(int commitfd, struct nsj_err *err)
{
	int ret = write(commitfd, "c", 1) == 1 ? 0 : nsj_err_set(err, errno ? errno : EIO, "commit keeper: %m");

	close(commitfd);
	return ret;
}

static int join_procfs(const struct nsj_record *r, struct nsj_err *err)
{
	/* Kernels without setns(pidfd) (< 5.8): open every ns file first, then setns, mnt last. */
	static const enum nsj_ns order[] = { NSJ_NS_PID, NSJ_NS_UTS, NSJ_NS_IPC, NSJ_NS_NET,
					     NSJ_NS_CGROUP, NSJ_NS_MNT };
	int fds[NSJ_NS_COUNT], ret = 0;
	char path[64];

	for (size_t i = 0; i < NSJ_NS_COUNT; i++) {
		enum nsj_ns k = order[i];
		fds[i] = -1;
		if (!(r->kinds & NSJ_NSF(k)))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)r->pid, nsj_ns_name(k));
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0 && ret == 0)
			ret = nsj_err_set(err, errno, "%s: %m", path);
	}
	for (size_t i = 0; i < NSJ_NS_COUNT && ret == 0; i++)
		if (fds[i] >= 0 && setns(fds[i], nsj_ns_clone_flag(order[i])) < 0)
			ret = nsj_err_set(err, errno, "setns %s: %m", nsj_ns_name(order[i]));
	for (size_t i = 0; i < NSJ_NS_COUNT; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return ret;
}

/* setns(CLONE_NEWNS) needs an unshared fs_struct: a threaded caller would half-join. */
static int single_threaded(struct nsj_err *err)
{
	int threads = nsj_thread_count();

	if (threads == 1)
		return 0;
	return nsj_err_set(err, EINVAL,
			   "the calling process has %d threads; it must be single-threaded to join a set",
			   threads);
}

static int join(int pidfd, const struct nsj_record *r, struct nsj_err *err)
{
	int flags = 0;

	for (int k = 0; k < NSJ_NS_COUNT; k++)
		if (r->kinds & NSJ_NSF(k))
			flags |= nsj_ns_clone_flag(k);
	/* One call joins all kinds at once, or none of them. */
	if (setns(pidfd, flags) == 0)
		return 0;
	if (errno != EINVAL)
		return nsj_err_set(err, errno, "setns: %m");
	return join_procfs(r, err);
}

int nsj_set_join(int pidfd, const struct nsj_record *r, struct nsj_err *err)
{
	char *cwd;
	int ret;

	if (single_threaded(err) < 0)
		return -EINVAL;
	/*
	 * Joining a mount namespace moves the cwd to its root. Go back to the same path inside
	 * (su without -l keeps the caller's directory); by name, so that no reference to a host
	 * directory is carried into the set.
	 */
	cwd = getcwd(NULL, 0);
	ret = join(pidfd, r, err);
	if (ret == 0 && (r->kinds & NSJ_NSF(NSJ_NS_MNT)) && (cwd == NULL || chdir(cwd) < 0))
		if (chdir("/") < 0)
			ret = nsj_err_set(err, errno, "chdir /: %m");
	free(cwd);
	return ret;
}

/* Verify and join the recorded set: 0 joined, -ESRCH stale (caller repairs), else error. */
static int join_recorded(int udir, uid_t uid, struct nsj_record *r, struct nsj_err *err)
{
	struct nsj_err why = { 0 };
	int pidfd, ret;

	pidfd = nsj_record_check(udir, uid, r, &why);
	if (pidfd == -ENOENT || pidfd == -ESRCH)
		return pidfd;
	if (pidfd == -EINVAL || pidfd == -EPERM)
		return -ESRCH; /* tampered or malformed: never trusted, replaced */
	if (pidfd < 0)
		return nsj_err_set(err, -pidfd, "%s", why.msg);
	/* Reset the keeper's idle clock before joining, under the lock (see keeper.c). */
	pidfd_signal(pidfd, SIGUSR1);
	ret = nsj_set_join(pidfd, r, err);
	if (ret < 0) {
		close(pidfd);
		return ret;
	}
	return pidfd;
}

static int create_and_join(const struct nsj_policy *p, const struct nsj_user *u, int udir,
			   struct nsj_record *r, struct nsj_err *err)
{
	int pidfd, commitfd, ret;

	/* Checked before creating anything, so that a threaded caller leaves no set behind. */
	if (single_threaded(err) < 0)
		return -EINVAL;
	pidfd = nsj_set_create(p, u, r, &commitfd, err);
	if (pidfd < 0)
		return pidfd;
	ret = udir >= 0 ? nsj_record_write(udir, r, err) : 0;
	if (ret == 0)
		ret = commit(commitfd, err);
	else
		close(commitfd); /* uncommitted: the keeper exits by itself */
	if (ret == 0)
		ret = nsj_set_join(pidfd, r, err);
	if (ret < 0) {
		pidfd_signal(pidfd, SIGKILL);
		close(pidfd);
		return ret;
	}
	return pidfd;
}

/* 1 and *owner when the caller's mount namespace is a set's (its cover's mark), else 0. */
static int inside_set(const char *pin_dir, uid_t *owner)
{
	char path[4200], buf[32];
	struct stat st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, NSJ_INSIDE_MARK);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 && !(st.st_mode & 077)
		    ? read(fd, buf, sizeof(buf) - 1) : -1;
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	*owner = (uid_t)strtoul(buf, NULL, 10);
	return 1;
}

static int stay_inside(const struct nsj_policy *p, const struct nsj_user *u, uid_t owner,
		       struct nsj_record *r, struct nsj_err *err)
{
	struct nsj_err ignore = { 0 };

	if (owner != u->uid)
		return nsj_err_set(err, EPERM,
				   "the caller is inside the set of uid %u, and a PID namespace cannot be "
				   "left: the set of %s cannot be entered from there", (unsigned)owner, u->name);
	memset(r, 0, sizeof(*r));
	r->uid = u->uid;
	r->kinds = p->namespaces;
	snprintf(r->user, sizeof(r->user), "%s", u->name);
	if (nsj_ns_read(getpid(), r, &ignore) < 0) /* our /proc is the set's: only for the log */
		r->kinds = 0;
	return 0;
}

int nsj_session_open(const struct nsj_policy *p, const struct nsj_user *u, struct nsj_record *r,
		     enum nsj_action *action, int *pidfd_out, struct nsj_err *err)
{
	int pindir, udir, pidfd;
	uid_t owner;

	*pidfd_out = -1;
	if (inside_set(p->pin_dir, &owner)) {
		*action = NSJ_ACT_INSIDE;
		return stay_inside(p, u, owner, r, err);
	}
	pindir = nsj_pindir_open(p->pin_dir, true, err);
	if (pindir < 0)
		return pindir;
	if (!p->persist) {
		/* A set of this session's own: nothing to record or rejoin. */
		*action = NSJ_ACT_CREATED;
		pidfd = create_and_join(p, u, -1, r, err);
		close(pindir);
		*pidfd_out = pidfd;
		return pidfd < 0 ? pidfd : 0;
	}
	udir = nsj_user_lock(pindir, u->uid, true, err);
	if (udir < 0) {
		close(pindir);
		return udir;
	}
	pidfd = join_recorded(udir, u->uid, r, err);
	if (pidfd >= 0) {
		*action = NSJ_ACT_JOINED;
	} else if (pidfd == -ENOENT || pidfd == -ESRCH) {
		*action = pidfd == -ENOENT ? NSJ_ACT_CREATED : NSJ_ACT_REPAIRED;
		nsj_err_clear(err);
		pidfd = create_and_join(p, u, udir, r, err);
	}
	close(udir); /* unlocks */
	close(pindir);
	*pidfd_out = pidfd;
	return pidfd < 0 ? pidfd : 0;
}

int nsj_set_reset(const char *pin_dir, uid_t uid, int timeout_ms, struct nsj_err *err)
{
	struct nsj_record r;
	struct nsj_err why = { 0 };
	int pindir, udir, pidfd, ret;

	pindir = nsj_pindir_open(pin_dir, false, err);
	if (pindir < 0)
		return pindir;
	udir = nsj_user_lock(pindir, uid, false, err);
	if (udir < 0) {
		close(pindir);
		return udir == -ENOENT ? nsj_err_set(err, ENOENT, "no set for uid %u", (unsigned)uid) : udir;
	}
	pidfd = nsj_record_check(udir, uid, &r, &why);
	ret = 0;
	if (pidfd >= 0) {
		ret = nsj_keeper_stop(pidfd, timeout_ms, err);
		close(pidfd);
	} else if (pidfd != -ESRCH && pidfd != -ENOENT && pidfd != -EPERM && pidfd != -EINVAL) {
		ret = nsj_err_set(err, -pidfd, "%s", why.msg);
	}
	if (ret == 0)
		ret = nsj_record_remove(pindir, uid, udir, err);
	close(udir);
	close(pindir);
	return ret;
}
