/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nsjailctl — the administrator's command line for pam_nsjail (see nsjailctl(8)).
 *
 *   nsjailctl [--config PATH] COMMAND [OPTIONS] [ARGS]
 *   list [--json] | show USER | enter USER [--user] [-- CMD [ARGS]] | reset USER | gc
 *   check [CONFIG] | policy USER | --help | --version
 *
 * Thin glue over the core library: parse the arguments, call the core, print. Exit codes:
 * 0 done, 1 failed (one line "nsjailctl: ..." on stderr), 2 usage error. `enter` exits with
 * the command's own status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl_core.h"
#include "nsj.h"

#define PROG "nsjailctl"
#define RESET_TIMEOUT_MS 5000
#define EXIT_USAGE 2

/* Options of one invocation. */
struct ctl {
	const struct cmd *cmd;
	const char *config;
	bool json;    /* list --json */
	bool as_user; /* enter --user */
	char **args;  /* operands after the command's options */
	int nargs;
	char pin_dir[4096]; /* from the config, once looked up */
};

struct cmd {
	const char *name;
	const char *opts; /* short options allowed besides -c and -h */
	int min_args, max_args; /* max -1: any number */
	int (*run)(struct ctl *c);
	const char *usage;
	const char *help;     /* what it does */
	const char *opt_help; /* its own options, one line each */
};

/* ---- messages ------------------------------------------------------------------------- */

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* The first line of a core error, with a note when there are more. */
static int fail_err(const struct nsj_err *e)
{
	char first[600];

	nsj_err_first(e, first, sizeof(first));
	if (e->count > 1)
		return fail("%s (and %u more)", first, e->count - 1);
	return fail("%s", first[0] ? first : strerror(e->code ? e->code : EIO));
}

static int usage_error(const struct cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int usage_error(const struct cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG "%s%s --help'.\n", cmd ? " " : "", cmd ? cmd->name : "");
	return EXIT_USAGE;
}

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

/* ---- config and users ----------------------------------------------------------------- */

static int load_config(const struct ctl *c, struct nsj_config **cfg)
{
	struct nsj_err e = { 0 };
	char first[600];

	if (nsj_config_load(c->config, cfg, &e) == 0)
		return 0;
	*cfg = NULL;
	nsj_err_first(&e, first, sizeof(first));
	if (e.count > 1)
		return fail("%s (and %u more; see '" PROG " check')", first, e.count - 1);
	return fail("%s", first);
}

/* pin_dir from the config, or the default with a warning when the config cannot be loaded. */
static const char *get_pin_dir(struct ctl *c)
{
	struct nsj_config *cfg = NULL;
	struct nsj_err e = { 0 };
	char first[600];

	if (c->pin_dir[0])
		return c->pin_dir;
	if (nsj_config_load(c->config, &cfg, &e) == 0) {
		snprintf(c->pin_dir, sizeof(c->pin_dir), "%s", cfg->pin_dir);
		nsj_config_free(cfg);
		return c->pin_dir;
	}
	fprintf(stderr, PROG ": warning: %s; using pin_dir %s\n",
		nsj_err_first(&e, first, sizeof(first)), NSJ_PIN_DIR_DEFAULT);
	snprintf(c->pin_dir, sizeof(c->pin_dir), "%s", NSJ_PIN_DIR_DEFAULT);
	return c->pin_dir;
}

/*
 * USER as a name (through NSS) or, for a user who has since been deleted, a numeric uid.
 * u is filled when the name resolves (u->name non-NULL); the caller frees it.
 */
static int resolve_uid(const char *arg, struct nsj_user *u, uid_t *uid)
{
	struct nsj_err e = { 0 };
	char *end;
	unsigned long v;

	*uid = (uid_t)-1;
	memset(u, 0, sizeof(*u));
	if (nsj_user_lookup(arg, u, &e) == 0) {
		*uid = u->uid;
		return 0;
	}
	memset(u, 0, sizeof(*u));
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (arg[0] >= '0' && arg[0] <= '9' && *end == '\0' && errno == 0 && v < (uid_t)-1) {
		*uid = (uid_t)v;
		return 0;
	}
	return e.code == ENOENT ? fail("unknown user %s", arg) : fail_err(&e);
}

static int require_root(void)
{
	return geteuid() == 0 ? 0 : fail("must be run as root");
}

/* Open pin_dir; *pindir = -1 (and 0 returned) when it does not exist: there are no sets. */
static int open_pin_dir(const char *pin_dir, int *pindir)
{
	struct nsj_err e = { 0 };

	*pindir = nsj_pindir_open(pin_dir, false, &e);
	if (*pindir == -ENOENT)
		return 0;
	return *pindir < 0 ? fail_err(&e) : 0;
}

/*
 * The set of uid, as nsj_set_lookup() says: a pidfd (alive; closed unless keep, then 0),
 * -ESRCH (stale), -ENOENT (none), or another error in e; -EIO when pin_dir failed (reported).
 */
static int lookup(struct ctl *c, uid_t uid, struct nsj_record *r, bool keep, struct nsj_err *e)
{
	int pindir, ret;

	if (open_pin_dir(get_pin_dir(c), &pindir) != 0)
		return -EIO;
	if (pindir < 0)
		return -ENOENT;
	ret = nsj_set_lookup(pindir, uid, r, e);
	close(pindir);
	if (ret >= 0 && !keep) {
		close(ret);
		ret = 0;
	}
	return ret;
}

/* Report why USER's set cannot be used (a lookup() result other than alive). */
static int no_set(const char *user, int ret, const struct nsj_record *r, const struct nsj_err *e)
{
	char first[600];

	if (ret == -EIO)
		return 1; /* already reported */
	if (ret == -ENOENT)
		return fail("%s has no set", user);
	if (ret == -ESRCH)
		return fail("%s's set is stale (keeper %d is gone); see '" PROG " gc'", user, (int)r->pid);
	return fail("%s: %s; see '" PROG " gc'", user, nsj_err_first(e, first, sizeof(first)));
}

static const char *who(const struct nsj_record *r, char *buf, size_t size)
{
	const struct passwd *pw;

	if (r->user[0])
		return r->user;
	pw = getpwuid(r->uid);
	snprintf(buf, size, "%s", pw ? pw->pw_name : "?");
	return buf;
}

/* ---- list ----------------------------------------------------------------------------- */

enum { COL_USER, COL_UID, COL_KEEPER, COL_PROCS, COL_AGE, COL_STATE, COL_NS, NCOLS };
static const char *const col_names[NCOLS] = { "USER", "UID", "KEEPER", "PROCS", "AGE", "STATE",
					      "NAMESPACES" };

struct row {
	struct nsj_record r;
	bool alive, readable; /* readable: the record parsed */
	int procs;
};

static int collect_row(int pindir, uid_t uid, struct row *w)
{
	struct nsj_err e = { 0 };
	int ret = nsj_set_lookup(pindir, uid, &w->r, &e);

	if (ret == -ENOENT)
		return -ENOENT; /* removed since it was listed */
	w->alive = ret >= 0;
	w->readable = ret >= 0 || ret == -ESRCH;
	w->procs = w->alive ? nsj_keeper_count_procs(&w->r) : -1;
	if (ret >= 0)
		close(ret);
	return 0;
}

static int collect_rows(struct ctl *c, struct row **rows, size_t *n)
{
	struct nsj_err e = { 0 };
	uid_t *uids = NULL;
	size_t nuids = 0;
	int pindir;

	*rows = NULL;
	*n = 0;
	if (open_pin_dir(get_pin_dir(c), &pindir) != 0)
		return 1;
	if (pindir < 0)
		return 0;
	if (nsj_record_list(pindir, &uids, &nuids, &e) < 0 ||
	    (nuids && (*rows = calloc(nuids, sizeof(**rows))) == NULL)) {
		close(pindir);
		free(uids);
		return e.count ? fail_err(&e) : fail("out of memory");
	}
	for (size_t i = 0; i < nuids; i++)
		if (collect_row(pindir, uids[i], &(*rows)[*n]) == 0)
			(*n)++;
	close(pindir);
	free(uids);
	return 0;
}

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
static int print_table(const struct row *rows, size_t n)
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

static int cmd_list(struct ctl *c)
{
	struct row *rows;
	size_t n;
	int ret;

	if (require_root() || collect_rows(c, &rows, &n))
		return 1;
	if (c->json) {
		putchar('[');
		for (size_t i = 0; i < n; i++) {
			fputs(i ? ",\n" : "\n", stdout);
			print_json_row(&rows[i]);
		}
		puts(n ? "\n]" : "]");
		free(rows);
		return 0;
	}
	ret = print_table(rows, n);
	free(rows);
	return ret;
}

/* ---- policy and show ------------------------------------------------------------------ */

static const char *tmp_word(enum nsj_tmp t)
{
	return t == NSJ_TMP_TMPFS ? "tmpfs" : t == NSJ_TMP_DIR ? "dir" : "none";
}

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

static void print_policy(const struct nsj_policy *p)
{
	char size[32];

	printf("section: %s\n", p->section);
	printf("enable = %s\n", p->enable ? "true" : "false");
	print_namespaces(p->namespaces);
	fputs("hostname = ", stdout);
	put_quoted(p->hostname, false);
	fputs("  # template ", stdout);
	put_quoted(p->hostname_tmpl, false);
	printf("\ntmp = %s\n", tmp_word(p->tmp));
	fmt_size(p->tmp_size, size, sizeof(size));
	printf("tmp_size = \"%s\"\n", size);
	if (p->tmp == NSJ_TMP_DIR) {
		fputs("tmp_dir = ", stdout);
		put_quoted(p->tmp_dir, false);
		putchar('\n');
	} else {
		printf("# tmp_dir: unused with tmp = %s\n", tmp_word(p->tmp));
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
static void print_live(const struct nsj_config *cfg, const struct nsj_user *u,
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

/* Resolve and print the policy of u; 1 (reported) when the config or the policy fails. */
static int show_policy(const struct ctl *c, const struct nsj_user *u)
{
	struct nsj_config *cfg;
	struct nsj_policy p;
	struct nsj_err e = { 0 };
	int ret = 0;

	if (load_config(c, &cfg) || cfg == NULL)
		return 1;
	if (nsj_policy_resolve(cfg, u, &p, &e) < 0) {
		ret = fail_err(&e);
	} else {
		print_policy(&p);
		print_live(cfg, u, &p);
	}
	nsj_config_free(cfg);
	return ret;
}

static int cmd_policy(struct ctl *c)
{
	struct nsj_user u;
	struct nsj_err e = { 0 };
	int ret;

	if (nsj_user_lookup(c->args[0], &u, &e) < 0)
		return e.code == ENOENT ? fail("unknown user %s", c->args[0]) : fail_err(&e);
	ret = show_policy(c, &u);
	nsj_user_free(&u);
	return ret;
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
		printf("%-11s gateway %s, dns %s\n", "routes:", NSJ_NET_GATEWAY, NSJ_NET_DNS);
}

static void print_set(const struct nsj_record *r, bool alive, const char *pin_dir)
{
	char buf[600];

	printf("%-11s %s\n", "user:", who(r, buf, sizeof(buf)));
	printf("%-11s %u\n", "uid:", (unsigned)r->uid);
	printf("%-11s %s\n", "state:", alive ? "alive" : "stale");
	printf("%-11s %d\n", "keeper:", (int)r->pid);
	if (alive)
		printf("%-11s %d\n", "processes:", nsj_keeper_count_procs(r));
	else
		printf("%-11s -\n", "processes:");
	fmt_time(r->created, buf, sizeof(buf));
	printf("%-11s %s\n", "started:", buf);
	fmt_age(r->created, buf, sizeof(buf));
	printf("%-11s %s\n", "age:", buf);
	fmt_ns(r, buf, sizeof(buf));
	printf("%-11s %s\n", "namespaces:", buf);
	printf("%-11s %s/%u/keeper\n", "record:", pin_dir, (unsigned)r->uid);
	print_network(r, alive);
}

static int cmd_show(struct ctl *c)
{
	struct nsj_err e = { 0 };
	struct nsj_record r;
	struct nsj_user u;
	uid_t uid;
	int ret;

	if (require_root() || resolve_uid(c->args[0], &u, &uid))
		return 1;
	ret = lookup(c, uid, &r, false, &e);
	if (ret == 0 || ret == -ESRCH) {
		print_set(&r, ret == 0, get_pin_dir(c));
		putchar('\n');
		ret = u.name ? show_policy(c, &u) : (puts("section: none (no such user)"), 0);
	} else {
		ret = no_set(c->args[0], ret, &r, &e);
	}
	if (u.name)
		nsj_user_free(&u);
	return ret;
}

/* ---- enter ---------------------------------------------------------------------------- */

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
	syscall(SYS_pidfd_send_signal, pidfd, SIGUSR1, NULL, 0);
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

static int cmd_enter(struct ctl *c)
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

/* ---- reset and gc --------------------------------------------------------------------- */

static int cmd_reset(struct ctl *c)
{
	struct nsj_err e = { 0 };
	struct nsj_record r;
	struct nsj_user u;
	uid_t uid;
	int state, ret;

	if (require_root() || resolve_uid(c->args[0], &u, &uid))
		return 1;
	if (u.name)
		nsj_user_free(&u);
	/* Looked at first only to say what was ended; nsj_set_reset checks again under the lock. */
	state = lookup(c, uid, &r, false, &e);
	if (state == -EIO)
		return 1;
	nsj_err_clear(&e);
	ret = nsj_set_reset(get_pin_dir(c), uid, RESET_TIMEOUT_MS, &e);
	if (ret == -ENOENT)
		return fail("%s has no set", c->args[0]);
	if (ret < 0)
		return fail_err(&e);
	if (state == 0)
		printf("reset: %s (keeper %d ended)\n", c->args[0], (int)r.pid);
	else
		printf("reset: %s (stale record removed)\n", c->args[0]);
	return 0;
}

static int gc_one(int pindir, uid_t uid, size_t *removed)
{
	struct nsj_err e = { 0 };
	struct nsj_record r;
	char buf[300];
	int ret = nsj_set_collect(pindir, uid, &r, &e);

	if (ret == 1) {
		printf("removed stale set of %s (uid %u)\n", who(&r, buf, sizeof(buf)), (unsigned)uid);
		(*removed)++;
	}
	if (ret < 0 && ret != -ENOENT)
		return fail_err(&e);
	return 0;
}

static int cmd_gc(struct ctl *c)
{
	struct nsj_err e = { 0 };
	uid_t *uids = NULL;
	size_t n = 0, removed = 0;
	int pindir, ret = 0;

	if (require_root())
		return 1;
	if (open_pin_dir(get_pin_dir(c), &pindir) != 0)
		return 1;
	if (pindir >= 0 && nsj_record_list(pindir, &uids, &n, &e) < 0)
		ret = fail_err(&e);
	for (size_t i = 0; i < n; i++)
		ret |= gc_one(pindir, uids[i], &removed);
	printf("gc: %zu stale set%s removed\n", removed, removed == 1 ? "" : "s");
	if (pindir >= 0)
		close(pindir);
	free(uids);
	return ret;
}

/* ---- check ---------------------------------------------------------------------------- */

static int cmd_check(struct ctl *c)
{
	const char *path = c->nargs > 0 ? c->args[0] : c->config;
	struct nsj_config *cfg = NULL;
	struct nsj_err e = { 0 };

	if (nsj_config_load(path, &cfg, &e) == 0 && nsj_config_check_network(cfg, &e) == 0) {
		printf("%s: OK\n", path);
		nsj_config_free(cfg);
		return 0;
	}
	nsj_config_free(cfg);
	/* Every line is already "FILE:LINE: message". */
	fprintf(stderr, "%s\n", e.msg[0] ? e.msg : strerror(e.code));
	return 1;
}

/* ---- dispatch ------------------------------------------------------------------------- */

static const struct cmd cmds[] = {
	{ .name = "list", .opts = "j", .run = cmd_list, .usage = "list [--json]",
	  .help = "One row per recorded set: user, uid, keeper pid, processes, age, state, namespaces.\n",
	  .opt_help = "  -j, --json          print a JSON array instead of the table\n" },
	{ .name = "show", .min_args = 1, .max_args = 1, .run = cmd_show, .usage = "show USER",
	  .help = "One set in detail, then the user's resolved policy.\n" },
	{ .name = "enter", .opts = "u", .min_args = 1, .max_args = -1, .run = cmd_enter,
	  .usage = "enter USER [--user] [-- CMD [ARGS]]",
	  .help = "Run CMD (default: a login shell) inside USER's set, in all its namespaces.\n",
	  .opt_help = "  -u, --user          run as USER, with USER's groups and environment\n" },
	{ .name = "reset", .min_args = 1, .max_args = 1, .run = cmd_reset, .usage = "reset USER",
	  .help = "End USER's set (the keeper and every process in it) and remove its record.\n" },
	{ .name = "gc", .run = cmd_gc, .usage = "gc", .help = "Remove the records of stale sets.\n" },
	{ .name = "check", .max_args = 1, .run = cmd_check, .usage = "check [CONFIG]",
	  .help = "Validate the config (CONFIG, else --config, else " NSJ_CONFIG_PATH ").\n" },
	{ .name = "policy", .min_args = 1, .max_args = 1, .run = cmd_policy, .usage = "policy USER",
	  .help = "Print the section that applies to USER and every effective key.\n" },
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, 'j' },         { "user", no_argument, NULL, 'u' },
	{ "version", no_argument, NULL, 'V' },      { NULL, 0, NULL, 0 },
};

static void cmd_help(const struct cmd *cmd)
{
	printf("Usage: " PROG " %s [--config PATH]\n\n%s\nOptions:\n%s", cmd->usage, cmd->help,
	       cmd->opt_help ? cmd->opt_help : "");
	printf("  -c, --config PATH   the config file (default " NSJ_CONFIG_PATH ")\n"
	       "  -h, --help          show this help\n");
}

static void main_help(void)
{
	printf("Usage: " PROG " [--config PATH] COMMAND [OPTIONS] [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < N_CMDS; i++)
		printf("  %s\n", cmds[i].usage);
	printf("\nOptions:\n  -c, --config PATH   the config file (default " NSJ_CONFIG_PATH ")\n"
	       "  -h, --help          show this help ('" PROG " COMMAND --help' for a command's)\n"
	       "  -V, --version       show the version\n\nExit status: 0 done, 1 failed, 2 usage error. "
	       "See nsjailctl(8).\n");
}

/* Index of the first "--" (argc when none): everything after it is an operand. */
static int find_dashdash(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			return i;
	return argc;
}

static int bad_option(const struct cmd *cmd, char **argv)
{
	if (optopt)
		return usage_error(cmd, "unknown option -%c", optopt);
	return usage_error(cmd, "unknown option %s", argv[optind - 1]);
}

/*
 * The command's options, anywhere before a "--" (GNU getopt permutes the operands after
 * them). Operands end up in c->args. Returns -1 to go on, else the exit code.
 */
static int parse_cmd(struct ctl *c, int argc, char **argv)
{
	int end = find_dashdash(argc, argv), opt;

	optind = 0; /* GNU: reinitialise; argv[0] is the command name */
	opterr = 0;
	while ((opt = getopt_long(end, argv, ":c:hju", longopts, NULL)) != -1) {
		if (opt == 'h') {
			cmd_help(c->cmd);
			return 0;
		} else if (opt == 'c') {
			c->config = optarg;
		} else if (opt == ':') {
			return usage_error(c->cmd, "option %s needs an argument", argv[optind - 1]);
		} else if (opt == '?' || c->cmd->opts == NULL || strchr(c->cmd->opts, opt) == NULL) {
			return opt == '?' ? bad_option(c->cmd, argv)
					  : usage_error(c->cmd, "unknown option %s", argv[optind - 1]);
		} else if (opt == 'j') {
			c->json = true;
		} else if (opt == 'u') {
			c->as_user = true;
		}
	}
	/* Close the gap left by "--": operands before and after it become one list. */
	if (end < argc)
		memmove(argv + end, argv + end + 1, (size_t)(argc - end) * sizeof(*argv));
	c->args = argv + optind;
	c->nargs = (end < argc ? argc - 1 : argc) - optind;
	if (c->nargs < c->cmd->min_args)
		return usage_error(c->cmd, "%s: missing argument", c->cmd->name);
	if (c->cmd->max_args >= 0 && c->nargs > c->cmd->max_args)
		return usage_error(c->cmd, "%s: unexpected argument '%s'", c->cmd->name,
				   c->args[c->cmd->max_args]);
	return -1;
}

/* Global options before the command; leaves optind on the command. -1 to go on. */
static int parse_global(struct ctl *c, int argc, char **argv)
{
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:c:hV", longopts, NULL)) != -1) {
		if (opt == 'h') {
			main_help();
			return 0;
		} else if (opt == 'V') {
			printf(PROG " (pam_nsjail) " NSJ_VERSION "\n");
			return 0;
		} else if (opt == 'c') {
			c->config = optarg;
		} else if (opt == ':') {
			return usage_error(NULL, "option %s needs an argument", argv[optind - 1]);
		} else {
			return opt == '?' ? bad_option(NULL, argv)
					  : usage_error(NULL, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error(NULL, "no command given");
	return -1;
}

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < N_CMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

/* What was printed must have reached stdout: a failed write is a failure (exit 1). */
static int flushed(int ret)
{
	if ((fflush(stdout) != 0 || ferror(stdout)) && ret == 0)
		ret = fail("write: %s", strerror(errno ? errno : EIO));
	return ret;
}

int main(int argc, char **argv)
{
	struct ctl c = { .config = NSJ_CONFIG_PATH };
	int ret = parse_global(&c, argc, argv);

	if (ret >= 0)
		return flushed(ret);
	c.cmd = find_cmd(argv[optind]);
	if (c.cmd == NULL)
		return usage_error(NULL, "unknown command '%s'", argv[optind]);
	ret = parse_cmd(&c, argc - optind, argv + optind);
	if (ret >= 0)
		return flushed(ret);
	return flushed(c.cmd->run(&c));
}
