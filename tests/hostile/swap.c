/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * swap — what a hostile user runs against a path that root is about to use: exchange A and B
 * (a directory and a symlink) with renameat2(RENAME_EXCHANGE) as fast as possible, so that a
 * privileged walker that checks a name and then uses it meets the other object half the time.
 *
 *   swap A B SECONDS     exits 0 after SECONDS (or at SIGTERM), printing how many exchanges
 *                        it made
 *
 * Built by tests/integration/t70-hostile.sh (cc into /run/world) or `make hostile`.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	unsigned long n = 0, tries = 0;
	struct timespec t0, t;
	double secs;

	if (argc != 4) {
		fprintf(stderr, "usage: swap A B SECONDS\n");
		return 2;
	}
	secs = atof(argv[3]);
	signal(SIGTERM, on_term); /* SIGTERM ends the loop early, the count is still printed */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		if (syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) == 0)
			n++;
		if ((++tries & 1023) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 > secs)
				break;
		}
	}
	/* An even count leaves A and B as they were. */
	if (n & 1)
		syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE);
	printf("%lu\n", n);
	fflush(stdout);
	return 0;
}
