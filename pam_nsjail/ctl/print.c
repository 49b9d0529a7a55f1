/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * print.c — nsjailctl's output: list's table and JSON array, show's set, and the resolved policy
 * (policy, show), with the formats they share (ages, times, namespaces, sizes, quoted strings).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

/* ---- formatting ----------------------------------------------------------------------- */

/* 3d4h, 2h05m, 7m03s, 42s. */
static void fmt_age(int64_t created, char *buf, size_t size)
{
	int64_t s = (int64_t)time(NULL) - created;

	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(buf, size, "%lldd%lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, size, "%llds", (long long)s);
}

/* ISO 8601 in UTC: 2026-11-23T18:09:16Z. */
static void fmt_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "-");
}

/* mnt:4026532301,ipc:4026532302,... */
static void fmt_ns(const struct nsj_record *r, char *buf, size_t size)
{
	size_t len = 0;

	snprintf(buf, size, "-");
	for (int k = 0; k < NSJ_NS_COUNT; k++)
		if ((r->kinds & NSJ_NSF(k)) && len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s:%llu", len ? "," : "",
						nsj_ns_name(k), (unsigned long long)r->ns_ino[k]);
}

/* A byte count the way the config writes it: 512M, 64k, "" for 0. */
static void fmt_size(uint64_t v, char *buf, size_t size)
{
	static const char units[] = "TGMk";

	buf[0] = '\0';
	if (v == 0)
		return;
	for (int i = 0; units[i]; i++) {
		unsigned shift = 40u - 10u * (unsigned)i;
		if (v % (1ull << shift) == 0) {
			snprintf(buf, size, "%llu%c", (unsigned long long)(v >> shift), units[i]);
			return;
		}
	}
	snprintf(buf, size, "%llu", (unsigned long long)v);
}

/* s as a quoted string: JSON escapes (json) or the config's ("\"" and "\\" only). */
static void put_quoted(const char *s, bool json)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (json && *p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* ---- list ----------------------------------------------------------------------------- */

enum { COL_USER, COL_UID, COL_KEEPER, COL_PROCS, COL_AGE, COL_STATE, COL_NS, NCOLS };
static const char *const col_names[NCOLS] = { "USER", "UID", "KEEPER", "PROCS", "AGE", "STATE",
					      "NAMESPACES" };

#define CELL 300

static void row_cells(const struct row *w, char cells[NCOLS][CELL])
{
	char name[CELL];

	snprintf(cells[COL_USER], CELL, "%s", who(&w->r, name, sizeof(name)));
	snprintf(cells[COL_UID], CELL, "%u", (unsigned)w->r.uid);
	snprintf(cells[COL_KEEPER], CELL, w->readable ? "%d" : "-", (int)w->r.pid);
	snprintf(cells[COL_PROCS], CELL, w->procs >= 0 ? "%d" : "-", w->procs);
	snprintf(cells[COL_AGE], CELL, "-");
	if (w->readable)
		fmt_age(w->r.created, cells[COL_AGE], CELL);
	snprintf(cells[COL_STATE], CELL, "%s", w->alive ? "alive" : "stale");
	fmt_ns(&w->r, cells[COL_NS], CELL);
}

/* Header and rows, each column as wide as its widest cell; the last one unpadded. */
int print_table(const struct row *rows, size_t n)
{
	char(*cells)[NCOLS][CELL] = calloc(n + 1, sizeof(*cells));
	int width[NCOLS] = { 0 };

	if (cells == NULL)
		return fail("out of memory");
	for (int k = 0; k < NCOLS; k++)
		snprintf(cells[0][k], CELL, "%s", col_names[k]);
	for (size_t i = 0; i < n; i++)
		row_cells(&rows[i], cells[i + 1]);
	for (size_t i = 0; i <= n; i++)
		for (int k = 0; k < NCOLS; k++)
			if ((int)strlen(cells[i][k]) > width[k])
				width[k] = (int)strlen(cells[i][k]);
	for (size_t i = 0; i <= n; i++) {
		for (int k = 0; k < NCOLS - 1; k++)
			printf("%-*s  ", width[k], cells[i][k]);
		puts(cells[i][NCOLS - 1]);
	}
	free(cells);
	return 0;
}

static void print_json_row(const struct row *w)
{
	char buf[300];
	bool first = true;

	fputs("  {\"user\": ", stdout);
	put_quoted(who(&w->r, buf, sizeof(buf)), true);
	printf(", \"uid\": %u, \"keeper_pid\": ", (unsigned)w->r.uid);
	printf(w->readable ? "%d" : "null", (int)w->r.pid);
	fputs(", \"processes\": ", stdout);
	printf(w->procs >= 0 ? "%d" : "null", w->procs);
	fmt_time(w->r.created, buf, sizeof(buf));
	printf(", \"started\": ");
	if (w->readable)
		put_quoted(buf, true);
	else
		fputs("null", stdout);
	printf(", \"state\": \"%s\", \"namespaces\": {", w->alive ? "alive" : "stale");
	for (int k = 0; k < NSJ_NS_COUNT; k++)
		if (w->r.kinds & NSJ_NSF(k)) {
			printf("%s\"%s\": %llu", first ? "" : ", ", nsj_ns_name(k),
			       (unsigned long long)w->r.ns_ino[k]);
			first = false;
		}
	fputs("}}", stdout);
}

/* The JSON array of list: one object a line. */
void print_json(const struct row *rows, size_t n)
{
	putchar('[');
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",\n" : "\n", stdout);
		print_json_row(&rows[i]);
	}
	puts(n ? "\n]" : "]");
}

/* ---- policy and show ------------------------------------------------------------------ */

static void print_namespaces(unsigned mask)
{
	bool first = true;

	fputs("namespaces = {", stdout);
	for (int k = 0; k < NSJ_NS_COUNT; k++)
		if (mask & NSJ_NSF(k)) {
			printf("%s%s", first ? "" : ", ", nsj_ns_config_name(k));
			first = false;
		}
	puts("}");
}

void print_policy(const struct nsj_policy *p)
{
	char size[32];

	printf("section: %s\n", p->section);
	printf("enable = %s\n", p->enable ? "true" : "false");
	print_namespaces(p->namespaces);
	fputs("hostname = ", stdout);
	put_quoted(p->hostname, false);
	fputs("  # template ", stdout);
	put_quoted(p->hostname_tmpl, false);
	printf("\ntmp = %s\n", nsj_tmp_name(p->tmp));
	fmt_size(p->tmp_size, size, sizeof(size));
	printf("tmp_size = \"%s\"\n", size);
	if (p->tmp == NSJ_TMP_DIR) {
		fputs("tmp_dir = ", stdout);
		put_quoted(p->tmp_dir, false);
		putchar('\n');
	} else {
		printf("# tmp_dir: unused with tmp = %s\n", nsj_tmp_name(p->tmp));
	}
	fputs("tmp_paths = {", stdout);
	for (size_t i = 0; i < p->n_tmp_paths; i++) {
		fputs(i ? ", " : "", stdout);
		put_quoted(p->tmp_paths[i], false);
	}
	printf("}\npropagation = %s\n", p->propagation == NSJ_PROP_SLAVE ? "slave" : "private");
	fputs("propagation_paths = {", stdout);
	for (size_t i = 0; i < p->n_prop_paths; i++) {
		fputs(i ? ", " : "", stdout);
		put_quoted(p->prop_paths[i], false);
	}
	puts(p->propagation == NSJ_PROP_SLAVE ? "}" : "}  # unused with propagation = private");
	printf("persist = %s\n", p->persist ? "true" : "false");
	printf("idle_timeout = %u\n", p->idle_timeout);
	printf("system_bus = %s\n", p->system_bus == NSJ_BUS_HOST ? "host" : "hidden");
	printf("network = %s%s\n", p->network == NSJ_NET_OUTBOUND ? "outbound" : "loopback",
	       p->namespaces & NSJ_NSF(NSJ_NS_NET) ? "" : "  # unused without net in namespaces");
	if (p->jailed)
		puts("jailed: yes");
	else
		printf("jailed: no (%s)\n", p->reason);
}

/* What u's live set was made (or last joined) under, when pin_dir can be read (root). */
void print_live(const struct nsj_config *cfg, const struct nsj_user *u,
		       const struct nsj_policy *p)
{
	const struct nsj_section *s = NULL;
	struct nsj_record r;
	char label[300];

	if (nsj_live_peek(cfg->pin_dir, u->uid, &r) < 0)
		return;
	if (r.sec_kind == 'd')
		s = &cfg->def;
	else if (r.sec_kind == 'g' && r.sec_index < cfg->n_groups)
		s = &cfg->groups[r.sec_index];
	else if (r.sec_kind == 'u' && r.sec_index < cfg->n_users)
		s = &cfg->users[r.sec_index];
	if (s == NULL || r.conf_hash != cfg->text_hash) {
		puts("live set: made under another config text (the next login resolves in full)");
		return;
	}
	nsj_section_label(s, label, sizeof(label));
	if (strcmp(label, p->section) == 0)
		printf("live set: %s\n", label);
	else
		printf("live set: %s (logins join it until it ends; then %s)\n", label, p->section);
}

/* The set's network: its mode, its provider and whether it runs, its addresses. */
static void print_network(const struct nsj_record *r, bool alive)
{
	struct nsj_err e = { 0 };
	char buf[1024];

	if (!(r->kinds & NSJ_NSF(NSJ_NS_NET))) {
		printf("%-11s the host's (no net namespace)\n", "network:");
		return;
	}
	printf("%-11s %s\n", "network:", r->net_pid > 0 ? "outbound" : "loopback");
	if (r->net_pid > 0)
		printf("%-11s slirp4netns pid %d (%s)\n", "provider:", (int)r->net_pid,
		       nsj_net_provider_alive(r) == 1 ? "running" : "gone: no way out until reset");
	if (alive && nsj_net_addresses(r, buf, sizeof(buf), &e) == 0)
		printf("%-11s %s\n", "addresses:", buf);
	if (r->net_pid > 0)
		printf("%-11s gateway %s, dns %s (for a nameserver on the host's loopback)\n", "routes:",
		       NSJ_NET_GATEWAY, NSJ_NET_DNS);
}

void print_set(const struct nsj_record *r, bool alive, const char *why, const char *pin_dir)
{
	char buf[600];

	printf("%-11s %s\n", "user:", who(r, buf, sizeof(buf)));
	printf("%-11s %u\n", "uid:", (unsigned)r->uid);
	if (alive || why[0] == '\0')
		printf("%-11s %s\n", "state:", alive ? "alive" : "stale");
	else
		printf("%-11s stale (%s)\n", "state:", why);
	printf("%-11s %d\n", "keeper:", (int)r->pid);
	if (alive)
		printf("%-11s %d\n", "processes:", nsj_keeper_count_procs(r));
	else
		printf("%-11s -\n", "processes:");
	fmt_time(r->created, buf, sizeof(buf));
	printf("%-11s %s\n", "started:", buf);
	fmt_age(r->created, buf, sizeof(buf));
	printf("%-11s %s\n", "age:", buf);
	/* The keeper's idle_timeout, fixed when the set was made; not in an older module's record. */
	if (r->idle > 0)
		printf("%-11s %lld s\n", "idle:", r->idle);
	else
		printf("%-11s %s\n", "idle:", r->idle == 0 ? "none" : "-");
	fmt_ns(r, buf, sizeof(buf));
	printf("%-11s %s\n", "namespaces:", buf);
	printf("%-11s %s/%u/keeper\n", "record:", pin_dir, (unsigned)r->uid);
	print_network(r, alive);
}
