/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scope.c — the module's side of systemd (SPEC.md §5a). On a host run by systemd, the keeper of a
 * new set goes into a scope of its own, so that no session's end can take the set with it; and
 * the session of a user manager (user@UID) joins only part of its set, nsjail-userman the rest.
 *
 * The D-Bus call is made by a small executable, nsjail-scope (nsjail-scope.c), started with
 * posix_spawn and waited for: libsystemd never enters the caller's address space (sshd's) or
 * the keeper's. Where systemd is not PID 1 (no /run/systemd/system, the test worlds, most
 * containers), nothing is done.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsj.h"

/* What sd_booted() checks: systemd creates this directory at boot, and only systemd does. */
bool nsj_systemd_booted(void)
{
	struct stat st;

	return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * For the user manager (SPEC.md §5a) the exec child of systemd that called us goes on to exec the
 * manager, and must keep a /proc/self that resolves; the child it forks next, "(sd-pam)", must
 * stay in its PID namespace (it ends the PAM session when getppid() changes). So with a PID
 * namespace it joins all but the mount and PID namespaces, and nsjail-userman joins those two for
 * the manager (the glue names the keeper in the PAM environment). Nor the cgroup namespace: its
 * root is where the set was made, and the manager must see the cgroup systemd delegated to it, to
 * make init.scope and its services' cgroups.
 */
unsigned nsj_userman_join_kinds(const struct nsj_policy *p, unsigned kinds)
{
	if (!p->user_manager)
		return kinds;
	if (kinds & NSJ_NSF(NSJ_NS_PID))
		kinds &= ~(NSJ_NSF(NSJ_NS_MNT) | NSJ_NSF(NSJ_NS_PID));
	return kinds & ~NSJ_NSF(NSJ_NS_CGROUP); /* with or without a PID namespace */
}

/* The helper's one line of output, without its newline. */
static void read_line(int fd, char *buf, size_t size)
{
	ssize_t n = nsj_read_full(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

int nsj_scope_move(pid_t keeper, pid_t provider, bool attach, uid_t uid, char *unit, size_t size,
		   struct nsj_err *err)
{
	char suid[16], spid[16], sprov[16], out[512];
	char *argv[] = { (char *)"nsjail-scope", (char *)"--uid", suid, (char *)"--pid", spid, NULL,
			 NULL, NULL, NULL };
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	int fds[2], status = 0, ret;
	pid_t h;

	if (unit != NULL && size > 0)
		unit[0] = '\0';
	if (!nsj_systemd_booted())
		return 0;
	snprintf(suid, sizeof(suid), "%u", (unsigned)uid);
	snprintf(spid, sizeof(spid), "%d", (int)keeper);
	snprintf(sprov, sizeof(sprov), "%d", (int)provider);
	if (provider > 0) {
		argv[5] = (char *)"--provider";
		argv[6] = sprov;
		argv[7] = attach ? (char *)"--attach" : NULL;
	}
	if ((ret = nsj_pipe_above_stdio(fds)) < 0)
		return nsj_err_set(err, -ret, "systemd scope: pipe: %m");
	/* The host program's SIGCHLD handler must not reap the helper before we do. */
	sigaction(SIGCHLD, &dfl, &old);
	ret = nsj_spawn(NSJ_SCOPE_PATH, argv, -1, fds[1], NULL, 0, false, &h);
	close(fds[1]);
	if (ret == 0) {
		read_line(fds[0], out, sizeof(out));
		while (waitpid(h, &status, 0) < 0 && errno == EINTR)
			;
	}
	sigaction(SIGCHLD, &old, NULL);
	close(fds[0]);
	if (ret != 0)
		return nsj_err_set(err, ret, "systemd scope: spawn %s: %m", NSJ_SCOPE_PATH);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return nsj_err_set(err, ECHILD, "systemd scope for the %s: %s",
				   attach ? "network provider" : "keeper",
				   out[0] ? out : "nsjail-scope failed without a word");
	if (unit != NULL && size > 0)
		snprintf(unit, size, "%s", out);
	return 0;
}
