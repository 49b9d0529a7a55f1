/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * enter.c — nsjailctl enter USER [--user] [-- CMD [ARGS]]: run CMD (default: a login shell)
 * inside USER's set, in all its namespaces, as root or (--user) as USER with USER's groups and a
 * clean environment. Exits with the command's own status. With --user the command never shares
 * root's terminal: in a session of its own, on a pty of its own when we have a terminal (as
 * su --pty does), so that nothing of the user's can queue input for root's shell (TIOCSTI).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pty.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/keyctl.h>
#include <termios.h>
#include <unistd.h>
#include <utmp.h>

#include "ctl.h"

/* What the child needs, gathered before joining (no NSS lookups inside the set). */
struct target {
	bool as_user;
	char name[256], home[4096], shell[4096];
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int n_groups;
};

static int prepare_target(const struct ctl *c, struct nsj_user *u, uid_t uid,
			  struct target *t)
{
	const struct passwd *pw = getpwuid(c->as_user ? uid : 0);

	memset(t, 0, sizeof(*t));
	t->as_user = c->as_user;
	if (c->as_user && u->name == NULL)
		return fail("--user: no such user %s", c->args[0]);
	if (pw == NULL)
		return fail("no passwd entry for uid %u", (unsigned)(c->as_user ? uid : 0));
	snprintf(t->name, sizeof(t->name), "%s", pw->pw_name);
	snprintf(t->home, sizeof(t->home), "%s", pw->pw_dir);
	snprintf(t->shell, sizeof(t->shell), "%s", pw->pw_shell && pw->pw_shell[0] ? pw->pw_shell : "/bin/sh");
	t->uid = pw->pw_uid;
	t->gid = pw->pw_gid;
	if (c->as_user) {
		struct nsj_err e = { 0 };
		if (nsj_user_groups(u, &e) < 0)
			return fail("%s", e.msg);
		t->groups = u->groups;
		t->n_groups = u->n_groups;
	}
	return 0;
}

static void set_clean_env(const struct target *t)
{
	const char *term = getenv("TERM");
	char *keep = term ? strdup(term) : NULL;

	clearenv();
	setenv("HOME", t->home, 1);
	setenv("USER", t->name, 1);
	setenv("LOGNAME", t->name, 1);
	setenv("SHELL", t->shell, 1);
	setenv("PATH", t->as_user ? "/usr/local/bin:/usr/bin:/bin"
				  : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	if (keep)
		setenv("TERM", keep, 1);
	free(keep);
}

static void drop_privileges(const struct target *t)
{
	if (setgroups((size_t)t->n_groups, t->groups) < 0 || setgid(t->gid) < 0 ||
	    setuid(t->uid) < 0) {
		fail("drop privileges to %s: %s", t->name, strerror(errno));
		_exit(126);
	}
	if (t->uid != 0 && setuid(0) == 0) {
		fail("drop privileges to %s: could regain root", t->name);
		_exit(126);
	}
}

/* As env(1) and the shells do: 127 when the command is not found, 126 otherwise. */
_Noreturn static void exec_failed(const char *what)
{
	int e = errno;

	fail("exec %s: %s", what, strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

/*
 * --user: nothing of root's process reaches the user's beyond what su gives, and less: no fd
 * but 0-2, init's limits, nice value and OOM score, umask 022, every signal at its default and
 * unblocked, and (after the uid is the user's) a session keyring of its own: the kernel keeps a
 * process's session keyring across setuid and execve, and root's (pam_keyinit's, with whatever
 * keys root added) would be the user's to read and change.
 */
static void clean_process(void)
{
	struct rlimit lim;
	sigset_t none;
	int fd;

	syscall(SYS_close_range, 3, ~0u, 0);
	for (int r = 0; r < RLIM_NLIMITS; r++)
		if (prlimit(1, r, NULL, &lim) == 0)
			setrlimit(r, &lim);
	setpriority(PRIO_PROCESS, 0, 0);
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "0", 1) < 0) {
			/* not fatal: a score of root's own choosing */
		}
		close(fd);
	}
	umask(022);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void own_keyring(const struct target *t)
{
	/* (where keyrings are refused to everyone, as in a container's seccomp, there is none to
	 * leak: ENOSYS, EPERM) */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS &&
	    errno != EPERM) {
		fail("a session keyring for %s: %s", t->name, strerror(errno));
		_exit(126);
	}
}

/* In the child, inside the set's PID namespace: become the target and exec. */
_Noreturn static void run_child(const struct target *t, char **cmd)
{
	char arg0[sizeof(t->shell) + 1];
	const char *base = strrchr(t->shell, '/');

	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	if (t->as_user) {
		clean_process();
		drop_privileges(t);
		own_keyring(t);
	}
	if (chdir(t->home) < 0 && chdir("/") < 0)
		_exit(126);
	set_clean_env(t);
	if (cmd[0] == NULL) {
		/* A login shell: argv[0] "-bash". */
		snprintf(arg0, sizeof(arg0), "-%s", base ? base + 1 : t->shell);
		char *argv[] = { arg0, NULL };
		execv(t->shell, argv);
		exec_failed(t->shell);
	}
	execvp(cmd[0], cmd);
	exec_failed(cmd[0]);
}

/*
 * Wait for the child and return its status 0-255; with follow, as a shell would, follow its
 * stops (only a job of the terminal's: anything else would stop for good, and a user's
 * SIGSTOP to her own process would freeze root's nsjailctl).
 */
static int wait_child(pid_t pid, bool follow)
{
	int status;

	for (;;) {
		if (waitpid(pid, &status, follow ? WUNTRACED : 0) < 0) {
			if (errno == EINTR)
				continue;
			return fail("waitpid: %s", strerror(errno));
		}
		if (!WIFSTOPPED(status))
			break;
		kill(getpid(), SIGSTOP);
		kill(pid, SIGCONT);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static volatile sig_atomic_t got_winch, got_chld, got_quit;

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		got_winch = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_quit = sig;
}

/* Copy what the pty (non-blocking) has to out: false at its end or an error. */
static bool relay_out(int master, int out)
{
	char buf[4096];
	ssize_t n = read(master, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	return n > 0 && nsj_write_all(out, buf, (size_t)n) == 0;
}

/*
 * Copy what in has to the pty: false at in's end or an error. A pty whose input is full is
 * waited for while its output is copied on, so that a command that echoes what it reads
 * never deadlocks with us.
 */
static bool relay_in(int in, int master, int out)
{
	char buf[4096];
	ssize_t n = read(in, buf, sizeof(buf)), w;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	for (ssize_t done = 0; n > 0 && done < n; done += w > 0 ? w : 0) {
		struct pollfd p = { .fd = master, .events = POLLOUT | POLLIN };

		w = write(master, buf + done, (size_t)(n - done));
		if (w >= 0 || errno == EINTR)
			continue;
		if (errno != EAGAIN) /* the pty is gone: the loop's read says so */
			return true;
		if (poll(&p, 1, -1) > 0 && (p.revents & POLLIN) && !relay_out(master, out))
			return true;
	}
	return n > 0;
}

/* All that the non-blocking from has now, to to. */
static void drain(int from, int to)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(from, buf, sizeof(buf))) > 0 && nsj_write_all(to, buf, (size_t)n) == 0)
		;
}

/*
 * --user with a terminal: the command on a new pty, its controlling terminal in a session of its
 * own, ours in raw mode while we copy between the two; SIGWINCH passed on. Returns its status.
 */
static int run_on_pty(const struct target *t, char **cmd)
{
	struct sigaction sa = { .sa_handler = on_signal }, old[4];
	const int sigs[4] = { SIGWINCH, SIGCHLD, SIGTERM, SIGHUP };
	struct termios saved, raw;
	struct winsize ws;
	sigset_t block, orig;
	bool term = isatty(0) && tcgetattr(0, &saved) == 0, in_open = true, have_ws;
	int master, slave, status = 0;
	pid_t pid;

	have_ws = ioctl(0, TIOCGWINSZ, &ws) == 0 || ioctl(1, TIOCGWINSZ, &ws) == 0;
	if (openpty(&master, &slave, NULL, term ? &saved : NULL, have_ws ? &ws : NULL) < 0)
		return fail("openpty: %s", strerror(errno));
	fcntl(master, F_SETFD, FD_CLOEXEC);
	fcntl(slave, F_SETFD, FD_CLOEXEC);
	/* Blocked but in ppoll(), so that none is missed between a check and the wait. */
	sigemptyset(&block);
	for (int i = 0; i < 4; i++) {
		sigaddset(&block, sigs[i]);
		sigaction(sigs[i], &sa, &old[i]);
	}
	sigprocmask(SIG_BLOCK, &block, &orig);
	pid = fork();
	if (pid == 0) {
		close(master);
		for (int i = 0; i < 4; i++)
			sigaction(sigs[i], &old[i], NULL);
		sigprocmask(SIG_SETMASK, &orig, NULL);
		if (login_tty(slave) < 0) /* setsid, the pty its controlling tty, on 0-2 */
			_exit(126);
		run_child(t, cmd);
	}
	close(slave);
	if (pid < 0) {
		status = fail("fork: %s", strerror(errno));
		goto out;
	}
	if (term) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
	}
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	for (;;) {
		struct pollfd p[2] = { { .fd = in_open ? 0 : -1, .events = POLLIN },
				       { .fd = master, .events = POLLIN } };

		if (got_quit) {
			kill(pid, SIGHUP);
			break;
		}
		if (got_winch && (got_winch = 0, ioctl(0, TIOCGWINSZ, &ws) == 0))
			ioctl(master, TIOCSWINSZ, &ws);
		/* Exited: what it wrote last, and done, whoever else holds the pty. */
		if (got_chld && (got_chld = 0, waitpid(pid, &status, WNOHANG) == pid)) {
			drain(master, 1);
			pid = 0;
			break;
		}
		if (ppoll(p, 2, NULL, &orig) < 0)
			continue;
		if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) && !relay_out(master, 1))
			break;
		/* Our input ended: the pty's end-of-file character, once. */
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !relay_in(0, master, 1)) {
			in_open = false;
			if (!term)
				nsj_write_all(master, "\x04", 1);
		}
	}
	if (term)
		tcsetattr(0, TCSANOW, &saved);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
	close(master);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	return status;
}

/* Join the set (pidfd is closed here), fork the command into it, wait for it. */
static int join_and_run(int pidfd, const struct nsj_record *r, const struct target *t,
			char **cmd)
{
	struct nsj_err e = { 0 };
	pid_t pid;
	int ret;

	/* The keeper's idle clock was restarted under the lock (lookup), as a login does. */
	ret = nsj_set_join(pidfd, r, &e);
	close(pidfd);
	if (ret < 0)
		return fail_err(&e);
	/* The terminal's ^C and ^\ are for the command; we only wait for it. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	fflush(NULL);
	if (t->as_user && (isatty(0) || isatty(1) || isatty(2)))
		return run_on_pty(t, cmd);
	pid = fork(); /* the child is the first of ours in the set's PID namespace */
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (pid == 0) {
		/* --user: out of our session, away from any controlling terminal of root's. */
		if (t->as_user && setsid() < 0)
			_exit(126);
		run_child(t, cmd);
	}
	return wait_child(pid, !t->as_user && isatty(0) && tcgetpgrp(0) == getpgrp());
}

int cmd_enter(struct ctl *c)
{
	struct nsj_err e = { 0 };
	struct nsj_record r;
	struct nsj_user u;
	struct target t;
	uid_t uid;
	int pidfd, ret;

	if (require_root() || resolve_uid(c->args[0], &u, &uid))
		return 1;
	ret = prepare_target(c, &u, uid, &t);
	if (ret == 0) {
		pidfd = lookup(c, uid, &r, true, &e);
		if (pidfd < 0)
			ret = no_set(c->args[0], pidfd, &r, &e);
		else
			ret = join_and_run(pidfd, &r, &t, c->args + 1);
	}
	if (u.name)
		nsj_user_free(&u);
	return ret;
}
