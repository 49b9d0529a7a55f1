/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pam-harness — drive a PAM session the way sshd does, for the tests and benchmarks.
 *
 *   pam-harness [-d CONFDIR] [-s SERVICE] [-u USER] [-r] [-k] [-e] [-U] [-- CMD [ARGS]]
 *
 * pam_start_confdir (services from CONFDIR, nothing in /etc/pam.d needed) + pam_open_session,
 * then forks a child that runs CMD — as USER with USER's groups, or as root with -r — so that
 * the child can be examined from inside the set; waits for it, pam_close_session, pam_end.
 * -k keeps the session open (no close_session) for tests that need that.
 * -t starts a second thread before open_session (a multithreaded caller).
 * -e adds the PAM environment to CMD's (as systemd does for a unit with PAMName=).
 * -U closes the session as USER (its uid and groups), as systemd's "(sd-pam)" does.
 * Exit: CMD's status; 90 when open_session fails (PAM error on stderr); 91 other errors.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)msg;
	(void)data;
	*resp = calloc((size_t)n, sizeof(**resp));
	return *resp ? PAM_SUCCESS : PAM_BUF_ERR;
}

static void *idle_thread(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

static void run_child(pam_handle_t *h, int pam_env, const char *user, int as_root, char **cmd)
{
	struct passwd *pw = getpwnam(user);
	char **env = pam_env ? pam_getenvlist(h) : NULL;

	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		putenv(env[i]);

	if (!as_root) {
		if (pw == NULL || initgroups(user, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
		    setuid(pw->pw_uid) < 0) {
			perror("pam-harness: drop privileges");
			_exit(91);
		}
		setenv("HOME", pw->pw_dir, 1);
		setenv("USER", user, 1);
	}
	if (cmd[0] == NULL) {
		static char *sh[] = { (char *)"/bin/sh", (char *)"-c", (char *)"true", NULL };
		cmd = sh;
	}
	execvp(cmd[0], cmd);
	perror("pam-harness: exec");
	_exit(127);
}

int main(int argc, char **argv)
{
	const char *confdir = NULL, *service = "nsjail-test", *user = "root";
	struct pam_conv c = { conv, NULL };
	int opt, as_root = 0, keep = 0, threaded = 0, pam_env = 0, close_as_user = 0, ret, status = 0;
	pthread_t thread;
	pam_handle_t *h = NULL;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+d:s:u:rkteU")) != -1) {
		switch (opt) {
		case 'd': confdir = optarg; break;
		case 's': service = optarg; break;
		case 'u': user = optarg; break;
		case 'r': as_root = 1; break;
		case 'k': keep = 1; break;
		case 't': threaded = 1; break;
		case 'e': pam_env = 1; break;
		case 'U': close_as_user = 1; break;
		default: return 91;
		}
	}
	ret = pam_start_confdir(service, user, &c, confdir, &h);
	if (ret != PAM_SUCCESS) {
		fprintf(stderr, "pam-harness: pam_start: %s\n", pam_strerror(h, ret));
		return 91;
	}
	if (threaded && pthread_create(&thread, NULL, idle_thread, NULL) != 0)
		return 91;
	ret = pam_open_session(h, 0);
	if (ret != PAM_SUCCESS) {
		fprintf(stderr, "pam-harness: open_session: %s\n", pam_strerror(h, ret));
		pam_end(h, ret);
		return 90;
	}
	pid = fork();
	if (pid == 0)
		run_child(h, pam_env, user, as_root, argv + optind);
	if (pid < 0) {
		perror("pam-harness: fork");
		status = 91 << 8;
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0)
		;
	if (close_as_user) {
		struct passwd *pw = getpwnam(user);

		if (pw == NULL || initgroups(user, pw->pw_gid) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
			perror("pam-harness: drop privileges before close");
			return 91;
		}
	}
	if (!keep) {
		ret = pam_close_session(h, 0);
		if (ret != PAM_SUCCESS)
			fprintf(stderr, "pam-harness: close_session: %s\n", pam_strerror(h, ret));
	}
	pam_end(h, PAM_SUCCESS);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
