/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_net.c — net.c: the network provider's own seccomp filter (nsj_net_deny_unix_sockets),
 * in a child process: no socket(AF_UNIX) of any type, an EACCES it can see; the sockets it
 * needs (AF_INET, AF_INET6, a socketpair of unix sockets, through which slirp4netns passes its
 * tap device) as before.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nsj.h"
#include "setup.h"

/* In a child under the filter: 0 when each socket call gave what it should, else a code. */
static int filtered_child(void)
{
	int sv[2], fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || nsj_net_deny_unix_sockets() < 0)
		return 10;
	if (socket(AF_UNIX, SOCK_STREAM, 0) >= 0 || errno != EACCES)
		return 11;
	if (socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) >= 0 || errno != EACCES)
		return 12;
	if (socket(AF_UNIX, SOCK_SEQPACKET, 0) >= 0 || errno != EACCES)
		return 13;
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		return 14;
	close(fd);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return 15;
	close(fd);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 16;
	close(sv[0]);
	close(sv[1]);
	return 0;
}

static void test_no_unix_socket(void **state)
{
	int status;
	pid_t pid;

	(void)state;
#if !defined(__x86_64__) && !defined(__aarch64__)
	skip();
#endif
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(filtered_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* and the parent, not filtered, still can */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_unix_socket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
