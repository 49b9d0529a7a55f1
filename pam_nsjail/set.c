/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * set.c — creating a set, joining it, and the login path that chooses between the two.
 *
 * Creation posix_spawns `nsjail-keeper --create` (keeper.c), which unshares the set's
 * namespaces, forks the keeper-to-be K (PID 1 of the new PID namespace) and exits, so that K is
 * not the caller's child (sshd's and su's SIGCHLD handling never see it). K builds the set's
 * mounts and hostname (setup.c) and goes on as the keeper. Nothing is forked from the caller's
 * memory (sshd's host keys never reach a keeper, and no page table of sshd's is copied). The
 * policy travels on the commit pipe ahead of the commit; a report pipe carries K's pid and any
 * error back: EOF after a pid, without an error, means a ready set.
 *
 * The keeper starts uncommitted, with its stdin on a pipe whose write end only the caller
 * holds: the caller writes 'c' once the record is written, and the keeper then puts /dev/null
 * on stdin. If the caller dies first (killed half-way), the keeper reads EOF and exits at once:
 * no orphaned keeper, not even for a while. SIGUSR1, sent on every join to a keeper with
 * an idle timeout (the record's "idle"), resets its idle clock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nsj.h"
#include "setup.h"

const char *nsj_action_name(enum nsj_action a)
{
	static const char *const names[] = { "created", "joined", "repaired",
					     "joined (already in the set)" };
	return names[a];
}

/* Read everything the children wrote until both pipe ends are closed. */
static int read_report(int fd, pid_t *kpid, pid_t *npid, struct nsj_err *err)
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
	if (*e == 'N') {
		*npid = (pid_t)strtol(e + 1, &e, 10);
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

/*
 * Start `nsjail-keeper --create` (keeper.c) with posix_spawn, which execs from a vfork-style
 * child: the caller's memory (sshd's monitor) is never copied, and nothing of it, nor of its
 * fds (closefrom 3), environment (empty), signal dispositions or mask, reaches the keeper.
 * stdin: the commit pipe, which carries the request first; stdout: the report pipe; stderr:
 * /dev/null. Returns the write end of the commit pipe, or -errno.
 */
static int spawn(const struct nsj_policy *p, const struct nsj_user *u, pid_t *kpid, pid_t *npid,
		 struct nsj_err *err)
{
	char uid[16], idle[16];
	char *const argv[] = { (char *)"nsjail-keeper", (char *)"--uid", uid, (char *)"--idle", idle,
			       (char *)"--pin-dir", (char *)p->pin_dir,
			       (char *)(p->persist ? "--record" : "--no-record"), (char *)"--create", NULL };
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	int report[2], cpipe[2], status, ret;
	pid_t h;

	snprintf(uid, sizeof(uid), "%u", (unsigned)u->uid);
	snprintf(idle, sizeof(idle), "%u", p->idle_timeout);
	if ((ret = nsj_pipe_above_stdio(report)) < 0)
		return nsj_err_set(err, -ret, "pipe: %s", strerror(-ret));
	if ((ret = nsj_pipe_above_stdio(cpipe)) < 0) {
		close(report[0]);
		close(report[1]);
		return nsj_err_set(err, -ret, "pipe: %s", strerror(-ret));
	}
	/* The host program's SIGCHLD handler must not reap H before we do. */
	sigaction(SIGCHLD, &dfl, &old);
	/* Every signal blocked (the keeper waits for them with sigwaitinfo), all at default. */
	ret = nsj_spawn(NSJ_KEEPER_PATH, argv, cpipe[0], report[1], NULL, 0, true, &h);
	close(report[1]);
	close(cpipe[0]);
	if (ret != 0) {
		ret = nsj_err_set(err, ret, "spawn %s: %s", NSJ_KEEPER_PATH, strerror(ret));
	} else {
		ret = nsj_request_write(cpipe[1], p, u->uid, err);
		/* Read the report even when the request failed: it says why. */
		struct nsj_err why = { 0 };
		int rr = read_report(report[0], kpid, npid, ret < 0 ? &why : err);

		if (ret < 0 && why.msg[0] != '\0')
			*err = why;
		ret = ret < 0 ? ret : rr;
		while (waitpid(h, &status, 0) < 0 && errno == EINTR)
			;
	}
	close(report[0]);
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
	pid_t kpid = 0, npid = 0;
	char state;
	int pidfd, ret;

	*commitfd = spawn(p, u, &kpid, &npid, err);
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
	r->conf_hash = p->conf_hash; /* what the policy came from: live.c */
	r->sec_kind = p->sec_kind;
	r->sec_index = p->sec_index;
	r->idle = p->idle_timeout;
	nsj_pidfd_ident(pidfd, r); /* where it cannot, the keeper is checked through /proc */
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
	if (npid > 0 && (ret = nsj_net_adopt(r, npid, err)) < 0)
		goto fail_pidfd;
	return pidfd;
fail_pidfd:
	close(pidfd);
fail:
	close(*commitfd); /* the keeper reads EOF and exits */
	*commitfd = -1;
	return ret;
}

/*
 * Confirm a new keeper: it keeps the set from now on. Closes commitfd, but for a set of the
 * session's own (hold != NULL, persist = false): there *hold keeps it, and its EOF, when the
 * session's process is gone without a close_session, lets the keeper end the set once its
 * last process has (keeper.c).
 */
static int commit(int commitfd, int *hold, struct nsj_err *err)
{
	/* A keeper killed meanwhile must not take su with it through a SIGPIPE. */
	int r = nsj_write_all(commitfd, "c", 1);
	int ret = r == 0 ? 0 : nsj_err_set(err, -r, "commit keeper: %s", strerror(-r));

	if (ret == 0 && hold != NULL)
		*hold = commitfd;
	else
		close(commitfd);
	return ret;
}

/*
 * Kernels without setns(pidfd) (< 5.8): open every namespace file of the keeper first, check
 * each against the record (the pid was verified before, but a file is opened by pid: the keeper
 * may have died and the pid been reused since) and that the keeper is still alive, then setns
 * kind by kind, mnt last, as nsenter does. Unlike setns(pidfd), that is not all or nothing: if
 * one kind fails, the kinds already joined are left again (through our own namespace files,
 * opened first), so that a failure never leaves the caller half in the set.
 */
static int join_procfs(int pidfd, const struct nsj_record *r, struct nsj_err *err)
{
	static const enum nsj_ns order[] = { NSJ_NS_PID, NSJ_NS_UTS, NSJ_NS_IPC, NSJ_NS_NET,
					     NSJ_NS_CGROUP, NSJ_NS_MNT };
	int fds[NSJ_NS_COUNT], own[NSJ_NS_COUNT], ret = 0;
	size_t joined = 0;
	char path[64];
	struct stat st;

	for (size_t i = 0; i < NSJ_NS_COUNT; i++) {
		enum nsj_ns k = order[i];

		fds[i] = own[i] = -1;
		if (!(r->kinds & NSJ_NSF(k)) || ret < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)r->pid, nsj_ns_name(k));
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			ret = nsj_err_set(err, errno, "%s: %m", path);
			continue;
		}
		if (fstat(fds[i], &st) < 0 || st.st_ino != r->ns_ino[k] || st.st_dev != r->ns_dev) {
			ret = nsj_err_set(err, ESRCH, "%s: not the recorded namespace", path);
			continue;
		}
		/* For pid, the namespace our children go to (our own one cannot change). */
		snprintf(path, sizeof(path), "/proc/self/ns/%s",
			 k == NSJ_NS_PID ? "pid_for_children" : nsj_ns_name(k));
		own[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (own[i] < 0)
			ret = nsj_err_set(err, errno, "%s: %m", path);
	}
	if (ret == 0 && pidfd >= 0 && nsj_pidfd_signal(pidfd, 0) < 0)
		ret = nsj_err_set(err, ESRCH, "keeper %d is gone", (int)r->pid);
	for (; ret == 0 && joined < NSJ_NS_COUNT; joined++)
		if (fds[joined] >= 0 && setns(fds[joined], nsj_ns_clone_flag(order[joined])) < 0) {
			ret = nsj_err_set(err, errno, "setns %s: %m", nsj_ns_name(order[joined]));
			break; /* joined: the kinds before this one */
		}
	if (ret < 0)
		while (joined-- > 0)
			if (own[joined] >= 0 && setns(own[joined], nsj_ns_clone_flag(order[joined])) < 0)
				ret = nsj_err_set(err, errno, "setns %s failed, and so did going back: %m",
						  nsj_ns_name(order[joined]));
	for (size_t i = 0; i < NSJ_NS_COUNT; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		if (own[i] >= 0)
			close(own[i]);
	}
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
	return join_procfs(pidfd, r, err);
}

/*
 * Back to the caller's directory by name inside the set, without following a symlink: the path
 * was the host's, and inside it may lead through the user's own symlinks (their /tmp), which
 * root must not follow into a directory the user could not otherwise reach. 0, or -1.
 */
static int back_to(const char *cwd)
{
	int fd, ret;

	if (cwd == NULL || cwd[0] != '/')
		return -1;
	fd = nsj_open_nofollow(AT_FDCWD, cwd, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return -1;
	ret = fchdir(fd);
	close(fd);
	return ret;
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
	if (ret == 0 && (r->kinds & NSJ_NSF(NSJ_NS_MNT)) && back_to(cwd) < 0)
		if (chdir("/") < 0)
			ret = nsj_err_set(err, errno, "chdir /: %m");
	free(cwd);
	return ret;
}

/*
 * Join for a session: the set's namespaces but those the user manager leaves to nsjail-userman
 * (scope.c says which, and why).
 */
static int session_join(const struct nsj_policy *p, int pidfd, const struct nsj_record *r,
			struct nsj_err *err)
{
	struct nsj_record part = *r;

	part.kinds = nsj_userman_join_kinds(p, r->kinds);
	return nsj_set_join(pidfd, &part, err);
}

/*
 * Verify and join the recorded set: a pidfd joined, -ESRCH stale (caller repairs), -ESTALE a
 * policy from the record that is not this record's (live.c), else error.
 */
static int join_recorded(int udir, const struct nsj_policy *p, const struct nsj_user *u,
			 struct nsj_record *r, struct nsj_err *err)
{
	struct nsj_err why = { 0 };
	int pidfd, ret;

	pidfd = nsj_record_check(udir, u->uid, r, &why);
	if (pidfd == -ENOENT)
		return pidfd;
	if (pidfd == -ESRCH || pidfd == -EINVAL || pidfd == -EPERM) {
		/* Stale, or tampered or malformed: never trusted, replaced. err says why, for the log. */
		*err = why;
		return -ESRCH;
	}
	if (pidfd < 0)
		return nsj_err_set(err, -pidfd, "%s", why.msg);
	/* Replaced since it was peeked at: the groups decide again. */
	if (p->from_record && (!nsj_record_policy_is(r, p) || strcmp(r->user, u->name) != 0)) {
		close(pidfd);
		return -ESTALE;
	}
	/* Before the join, while the host's /proc is ours; the glue logs what happened. */
	nsj_net_revive(udir, pidfd, r);
	/* Reset the keeper's idle clock before joining, under the lock (see keeper.c). */
	nsj_keeper_touch(pidfd, r);
	ret = session_join(p, pidfd, r, err);
	if (ret < 0) {
		close(pidfd);
		return ret;
	}
	/* Best effort: a login that cannot put them back still works as before the repair. */
	if (nsj_userman_join_kinds(p, r->kinds) & NSJ_NSF(NSJ_NS_MNT)) {
		struct nsj_err ignore = { 0 };

		nsj_cover_repair(p, r, &ignore);
	}
	return pidfd;
}

/*
 * Is the caller in a set's PID namespace, whatever pin_dir it was made under (its PID 1 is a
 * keeper)? The set-owner mark tells only under the pin_dir of the set: from inside a set made
 * before pin_dir was changed (or under another config= file), a login would otherwise make a
 * set nested in that PID namespace, the user's to look into, with a record naming a pid that
 * means nothing on the host. Only when a set is to be made: one read of /proc/1/comm.
 */
static bool in_a_keepers_pid_ns(void)
{
	char comm[32];
	int fd = open("/proc/1/comm", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, comm, sizeof(comm) - 1) : -1;

	if (fd >= 0)
		close(fd);
	comm[n > 0 ? n : 0] = '\0';
	return strcmp(comm, "nsjail-keeper\n") == 0;
}

static int create_and_join(const struct nsj_policy *p, const struct nsj_user *u, int udir,
			   struct nsj_record *r, int *hold, struct nsj_err *err)
{
	int pidfd, commitfd, ret;

	/* Checked before creating anything, so that a threaded caller leaves no set behind. */
	if (single_threaded(err) < 0)
		return -EINVAL;
	if (in_a_keepers_pid_ns())
		return nsj_err_set(err, EPERM,
				   "the caller is inside a set (PID 1 is nsjail-keeper) that pin_dir %s "
				   "does not know: no set is made inside another", p->pin_dir);
	pidfd = nsj_set_create(p, u, r, &commitfd, err);
	if (pidfd < 0)
		return pidfd;
	/* Out of the caller's unit before anyone can join (scope.c); a failure ends the keeper. */
	ret = nsj_scope_move(r->pid, r->net_pid, false, u->uid, r->scope, sizeof(r->scope), err);
	if (ret == 0 && udir >= 0)
		ret = nsj_record_write(udir, r, err);
	if (ret == 0)
		ret = commit(commitfd, hold, err);
	else
		close(commitfd); /* uncommitted: the keeper exits by itself */
	if (ret == 0)
		ret = session_join(p, pidfd, r, err);
	if (ret < 0) {
		nsj_pidfd_signal(pidfd, SIGKILL);
		close(pidfd);
		if (hold != NULL && *hold >= 0) {
			close(*hold);
			*hold = -1;
		}
		return ret;
	}
	return pidfd;
}

/*
 * After a join under a policy resolved in full (the config text changed, or an older record):
 * record what it came from, so that the next rejoin need not resolve the groups. Best effort.
 */
static void remember_policy(int udir, const struct nsj_policy *p, struct nsj_record *r)
{
	struct nsj_err ignore = { 0 };

	if (p->from_record || nsj_record_policy_is(r, p))
		return;
	r->conf_hash = p->conf_hash;
	r->sec_kind = p->sec_kind;
	r->sec_index = p->sec_index;
	nsj_record_write(udir, r, &ignore);
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
		     enum nsj_action *action, int *pidfd_out, int *hold_out, struct nsj_err *err)
{
	int pindir, udir, pidfd;
	uid_t owner;

	*pidfd_out = -1;
	*hold_out = -1;
	if (nsj_set_owner(p->pin_dir, &owner)) {
		*action = NSJ_ACT_INSIDE;
		return stay_inside(p, u, owner, r, err);
	}
	pindir = nsj_pindir_open(p->pin_dir, true, err);
	if (pindir < 0)
		return pindir;
	if (!p->persist && p->from_record) {
		close(pindir);
		return -ESTALE; /* cannot be (a recorded set was made with persist): resolve in full */
	}
	if (!p->persist) {
		/* A set of this session's own: nothing to record or rejoin. */
		*action = NSJ_ACT_CREATED;
		pidfd = create_and_join(p, u, -1, r, hold_out, err);
		close(pindir);
		*pidfd_out = pidfd;
		return pidfd < 0 ? pidfd : 0;
	}
	udir = nsj_user_lock(pindir, u->uid, true, err);
	if (udir < 0) {
		close(pindir);
		return udir;
	}
	pidfd = join_recorded(udir, p, u, r, err);
	if (pidfd >= 0) {
		*action = NSJ_ACT_JOINED;
		remember_policy(udir, p, r);
	} else if ((pidfd == -ENOENT || pidfd == -ESRCH) && p->from_record) {
		pidfd = -ESTALE; /* a set is made only under a policy resolved in full */
	} else if (pidfd == -ENOENT || pidfd == -ESRCH) {
		char why[sizeof(r->replaced)];

		why[0] = '\0';
		if (pidfd == -ESRCH)
			nsj_err_first(err, why, sizeof(why));
		*action = pidfd == -ENOENT ? NSJ_ACT_CREATED : NSJ_ACT_REPAIRED;
		nsj_err_clear(err);
		pidfd = create_and_join(p, u, udir, r, NULL, err);
		memcpy(r->replaced, why, sizeof(why));
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
