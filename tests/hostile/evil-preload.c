/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * evil-preload — what a hostile caller puts in LD_PRELOAD: a constructor that appends
 * "PID COMM" to LOG_PATH in every process that loads it, so that a test can tell whether it
 * ever reached a keeper. Built by tests/integration/t70-hostile.sh:
 *   cc -shared -fPIC -DLOG_PATH='"/run/world/evil.log"' -o evil.so evil-preload.c
 */
#include <stdio.h>
#include <unistd.h>

#ifndef LOG_PATH
#define LOG_PATH "/tmp/evil.log"
#endif

__attribute__((constructor)) static void evil(void)
{
	char comm[64] = "";
	FILE *m = fopen("/proc/self/comm", "r");
	FILE *f;

	if (m != NULL) {
		if (fgets(comm, sizeof(comm), m) == NULL)
			comm[0] = '\0';
		fclose(m);
	}
	f = fopen(LOG_PATH, "a");
	if (f != NULL) {
		fprintf(f, "%d %s", (int)getpid(), comm);
		fclose(f);
	}
}
