/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * enter.c — nsjailctl enter USER [--user] [-- CMD [ARGS]]: run CMD (default: a login shell)
 * inside USER's set, in all its namespaces, as root or (--user) as USER with USER's groups and a
 * clean environment. Exits with the command's own status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* In the child, inside the set's PID namespace: become the target and exec. */
_Noreturn static void run_child(const struct target *t, char **cmd)
{
	char arg0[sizeof(t->shell) + 1];
	const char *base = strrchr(t->shell, '/');

	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	if (t->as_user)
		drop_privileges(t);
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

/* Wait for the child as a shell would: follow its stops, return its status 0-255. */
static int wait_child(pid_t pid)
{
	int status;

	for (;;) {
		if (waitpid(pid, &status, WUNTRACED) < 0) {
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

/* Join the set (pidfd is closed here), fork the command into it, wait for it. */
static int join_and_run(int pidfd, const struct nsj_record *r, const struct target *t,
			char **cmd)
{
	struct nsj_err e = { 0 };
	pid_t pid;
	int ret;

	/* Like a login: restarts the keeper's idle clock so the set is not ended under us. */
	nsj_keeper_touch(pidfd, r);
	ret = nsj_set_join(pidfd, r, &e);
	close(pidfd);
	if (ret < 0)
		return fail_err(&e);
	/* The terminal's ^C and ^\ are for the command; we only wait for it. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	fflush(NULL);
	pid = fork(); /* the child is the first of ours in the set's PID namespace */
	if (pid < 0)
		return fail("fork: %s", strerror(errno));
	if (pid == 0)
		run_child(t, cmd);
	return wait_child(pid);
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
