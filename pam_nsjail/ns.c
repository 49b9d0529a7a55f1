/* SPDX-License-Identifier: BSD-3-Clause */
/* ns.c — the static table of namespace kinds that drives creating, recording and joining. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "nsj.h"

static const struct {
	const char *proc;   /* name under /proc/PID/ns */
	const char *config; /* name in pam_nsjail.conf */
	int flag;
} kinds[NSJ_NS_COUNT] = {
	[NSJ_NS_MNT] = { "mnt", "mount", CLONE_NEWNS },
	[NSJ_NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
	[NSJ_NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
	[NSJ_NS_PID] = { "pid", "pid", CLONE_NEWPID },
	[NSJ_NS_NET] = { "net", "net", CLONE_NEWNET },
	[NSJ_NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
};

const char *nsj_ns_name(enum nsj_ns k)
{
	return kinds[k].proc;
}

const char *nsj_ns_config_name(enum nsj_ns k)
{
	return kinds[k].config;
}

int nsj_ns_from_name(const char *name)
{
	for (int k = 0; k < NSJ_NS_COUNT; k++)
		if (strcmp(name, kinds[k].proc) == 0 || strcmp(name, kinds[k].config) == 0)
			return k;
	return -1;
}

int nsj_ns_clone_flag(enum nsj_ns k)
{
	return kinds[k].flag;
}

void nsj_ns_mask_format(unsigned mask, char *buf, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (int k = 0; k < NSJ_NS_COUNT; k++) {
		if (!(mask & NSJ_NSF(k)))
			continue;
		int n = snprintf(buf + len, size - len, "%s%s", len ? " " : "", kinds[k].config);
		if (n < 0 || (size_t)n >= size - len)
			return;
		len += (size_t)n;
	}
}
