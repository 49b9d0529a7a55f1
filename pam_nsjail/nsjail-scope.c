/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nsjail-scope — move a new keeper into a systemd scope of its own (SPEC.md §5a).
 *
 * Usage: nsjail-scope --uid UID --pid KEEPER [--provider PID] [--attach]
 *
 * Started by the module (scope.c) with posix_spawn, as root, with an empty environment, stdout
 * on a pipe and nothing else open, between the creation of a set and its commit. It asks
 * systemd over the system bus (sd-bus) for the transient unit nsjail-UID.scope in
 * user-UID.slice holding KEEPER (and the set's network provider, network = outbound) — the call `systemd-run --scope` and podman (for conmon) make —
 * and waits until systemd reports the job done (JobRemoved), so that the keeper is in the
 * scope when the set is committed (all of it in 20 s at most). The scope is ordered before
 * user@UID.service, so that stopping the slice stops the user manager first. It prints the unit's name and exits 0, or prints one line
 * saying what failed and exits 1.
 *
 * It talks to systemd over its private socket (as systemctl does as root), else the system bus.
 *
 * A unit of that name that already exists: a failed one is reset and the call made again; a
 * live one (the scope of a set that is still ending, or of a set with persist = false) is left
 * alone and the keeper goes to nsjail-UID-PID.scope instead.
 *
 * --attach: the set's provider was restarted by a later login: it goes into a scope of its own,
 * nsjail-UID-net-PROVIDER.scope in the same slice, so that it too outlives any session. (Not
 * into the keeper's: systemd moves processes into a unit only when it is delegated,
 * AttachProcessesToUnit refuses any other.) It ends with the keeper all the same (net.c).
 *
 * This is a program of its own, so that libsystemd is loaded neither into the caller of the
 * module (sshd) nor into the keeper, which lives as long as its set and is linked static-pie.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

/*
 * All of it within this, well inside the 30 s an uncommitted keeper waits for its commit
 * (keeper.c): a slow systemd makes the login fail with this program's word, not the keeper's.
 */
#define DEADLINE_US (20ull * 1000 * 1000)
static unsigned long long deadline;
#define UNIT_EXISTS "org.freedesktop.systemd1.UnitExists"

struct job {
	const char *path; /* the job to wait for; NULL until the call has returned */
	char result[32];  /* its result, "" while it runs */
};

static unsigned long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000;
}

/* What is left of the deadline, at least 1 µs (sd-bus takes 0 for its own default). */
static unsigned long long left_us(void)
{
	unsigned long long now = now_us();

	return now < deadline ? deadline - now : 1;
}

_Noreturn static void fail(const char *what, int r, const sd_bus_error *e)
{
	if (e != NULL && sd_bus_error_is_set(e))
		printf("%s: %s\n", what, e->message ? e->message : e->name);
	else
		printf("%s: %s\n", what, strerror(r < 0 ? -r : r));
	exit(1);
}

/* JobRemoved(u id, o job, s unit, s result): note the result of our job. */
static int on_job_removed(sd_bus_message *m, void *data, sd_bus_error *e)
{
	struct job *j = data;
	const char *path, *unit, *result;
	uint32_t id;

	if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
		return 0;
	if (j->path != NULL && strcmp(path, j->path) == 0)
		snprintf(j->result, sizeof(j->result), "%s", result);
	return 0;
}

/*
 * StartTransientUnit(NAME, "fail", [PIDs, Slice, CollectMode, Description, Before], []).
 * Before=user@UID.service: stopped after the user manager (a stop of the slice, a shutdown),
 * so that the manager stops its services while the set is still there.
 */
static int start_scope(sd_bus *bus, const char *name, uid_t uid, pid_t pid, pid_t provider,
		       sd_bus_message **reply, sd_bus_error *e)
{
	sd_bus_message *m = NULL;
	char slice[64], desc[96], before[64];
	uint32_t p = (uint32_t)pid, q = (uint32_t)provider;
	int r;

	snprintf(slice, sizeof(slice), "user-%u.slice", (unsigned)uid);
	snprintf(desc, sizeof(desc), "pam_nsjail set of uid %u", (unsigned)uid);
	snprintf(before, sizeof(before), "user@%u.service", (unsigned)uid);
	r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
					   "org.freedesktop.systemd1.Manager", "StartTransientUnit");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", name, "fail");
	if (r >= 0)
		r = provider > 0 ? sd_bus_message_append(m, "a(sv)", 5, "PIDs", "au", 2, p, q, "Slice",
							 "s", slice, "CollectMode", "s",
							 "inactive-or-failed", "Description", "s", desc,
							 "Before", "as", 1, before)
				 : sd_bus_message_append(m, "a(sv)", 5, "PIDs", "au", 1, p, "Slice",
							 "s", slice, "CollectMode", "s",
							 "inactive-or-failed", "Description", "s", desc,
							 "Before", "as", 1, before);
	if (r >= 0)
		r = sd_bus_message_append(m, "a(sa(sv))", 0);
	if (r >= 0)
		r = sd_bus_call(bus, m, left_us(), e, reply);
	sd_bus_message_unref(m);
	return r;
}

/* Wait for JobRemoved of j->path: 0 when its result is "done". */
static int wait_job(sd_bus *bus, struct job *j)
{
	unsigned long long end = deadline;
	int r;

	while (j->result[0] == '\0') {
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		if (now_us() >= end)
			return -ETIMEDOUT;
		r = sd_bus_wait(bus, end - now_us());
		if (r < 0)
			return r;
	}
	return strcmp(j->result, "done") == 0 ? 0 : -ECANCELED;
}

static int reset_failed(sd_bus *bus, const char *name)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
				   "org.freedesktop.systemd1.Manager", "ResetFailedUnit", &e, NULL, "s",
				   name);

	sd_bus_error_free(&e);
	return r;
}

/*
 * systemd's own socket, as systemctl and systemd-run do as root: no dbus-daemon in between, so
 * a first login works while the system bus is down or not up yet (an @reboot cron job). The
 * system bus when that socket cannot be reached.
 */
static int connect_systemd(sd_bus **bus, bool *direct)
{
	int r = sd_bus_new(bus);

	if (r >= 0)
		r = sd_bus_set_address(*bus, "unix:path=/run/systemd/private");
	if (r >= 0)
		r = sd_bus_start(*bus);
	if (r >= 0) {
		*direct = true;
		return 0;
	}
	*bus = sd_bus_flush_close_unref(*bus);
	*direct = false;
	return sd_bus_open_system(bus);
}

static int parse_id(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *s >= '0' && *s <= '9' && *end == '\0' && *out <= max ? 0 : -1;
}

int main(int argc, char **argv)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	sd_bus *bus = NULL;
	struct job j = { 0 };
	bool direct = false;
	unsigned long uid = 0, pid = 0, provider = 0;
	bool attach_only = false;
	char name[64];
	const char *path;
	int r;

	for (int i = 1; i < argc; i++) {
		bool more = i + 1 < argc;

		if (strcmp(argv[i], "--uid") == 0 && more && parse_id(argv[i + 1], 0xfffffffeul, &uid) == 0)
			i++;
		else if (strcmp(argv[i], "--pid") == 0 && more &&
			 parse_id(argv[i + 1], 0x7ffffffful, &pid) == 0)
			i++;
		else if (strcmp(argv[i], "--provider") == 0 && more &&
			 parse_id(argv[i + 1], 0x7ffffffful, &provider) == 0)
			i++;
		else if (strcmp(argv[i], "--attach") == 0)
			attach_only = true;
		else
			pid = 0;
	}
	if (pid <= 1 || (attach_only && provider <= 1) || provider == 1) {
		printf("usage: nsjail-scope --uid UID --pid KEEPER [--provider PID] [--attach]\n");
		return 2;
	}
	if (geteuid() != 0) {
		printf("must run as root\n");
		return 2;
	}
	deadline = now_us() + DEADLINE_US;
	r = connect_systemd(&bus, &direct);
	if (r < 0)
		fail("connect to systemd", r, NULL);
	/* (the calls without a timeout of their own: AddMatch, ResetFailedUnit) */
	sd_bus_set_method_call_timeout(bus, 5ull * 1000 * 1000);
	/*
	 * Before the call: the job may end before its reply has been read. A direct connection has
	 * no sender names (systemd sends its job signals to every direct connection).
	 */
	r = sd_bus_match_signal(bus, NULL, direct ? NULL : "org.freedesktop.systemd1",
				"/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "JobRemoved",
				on_job_removed, &j);
	if (r < 0)
		fail("watch systemd's jobs", r, NULL);
	if (attach_only) {
		snprintf(name, sizeof(name), "nsjail-%lu-net-%lu.scope", uid, provider);
		pid = provider;
		provider = 0;
	} else {
		snprintf(name, sizeof(name), "nsjail-%lu.scope", uid);
	}
	r = start_scope(bus, name, (uid_t)uid, (pid_t)pid, (pid_t)provider, &reply, &e);
	if (r < 0 && sd_bus_error_has_name(&e, UNIT_EXISTS)) {
		/* A failed scope of an earlier set is only a record: reset it and try again. */
		sd_bus_error_free(&e);
		reset_failed(bus, name);
		r = start_scope(bus, name, (uid_t)uid, (pid_t)pid, (pid_t)provider, &reply, &e);
	}
	if (r < 0 && sd_bus_error_has_name(&e, UNIT_EXISTS)) {
		/* A live one: another set's. Ours gets a name no other set can have. */
		sd_bus_error_free(&e);
		snprintf(name, sizeof(name), "nsjail-%lu-%lu.scope", uid, pid);
		r = start_scope(bus, name, (uid_t)uid, (pid_t)pid, (pid_t)provider, &reply, &e);
	}
	if (r < 0)
		fail(name, r, &e);
	r = sd_bus_message_read(reply, "o", &path);
	if (r < 0)
		fail(name, r, NULL);
	j.path = path;
	r = wait_job(bus, &j);
	if (r == -ECANCELED) {
		printf("%s: systemd's job ended with \"%s\"\n", name, j.result);
		return 1;
	}
	if (r < 0)
		fail(name, r, NULL);
	printf("%s\n", name);
	sd_bus_message_unref(reply);
	sd_bus_flush_close_unref(bus);
	return 0;
}
