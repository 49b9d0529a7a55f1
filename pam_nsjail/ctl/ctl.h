/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl.h — what the files of nsjailctl (pam_nsjail/ctl/) share: the options of one invocation,
 * the command table's entry, the messages and lookups every command makes (common.c) and the
 * printers (print.c). Each command is a file of its own over the core (ctl_core.h, nsj.h).
 */
#ifndef NSJ_CTL_H
#define NSJ_CTL_H

#include "ctl_core.h"
#include "nsj.h"

#define PROG "nsjailctl"

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

/* ---- messages and lookups (common.c, where each says what it does) ---------------------- */

/* "nsjailctl: ..." on stderr; returns 1 (the exit code of a failure). */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fail_err(const struct nsj_err *e);
/* The config (--config), or 1 with its first error reported. */
int load_config(const struct ctl *c, struct nsj_config **cfg);
const char *get_pin_dir(struct ctl *c);
int resolve_uid(const char *arg, struct nsj_user *u, uid_t *uid);
int require_root(void);
int open_pin_dir(const char *pin_dir, int *pindir);
int lookup(struct ctl *c, uid_t uid, struct nsj_record *r, bool keep, struct nsj_err *e);
int no_set(const char *user, int ret, const struct nsj_record *r, const struct nsj_err *e);
/* The record's user name, else the passwd name of its uid, else "?". */
const char *who(const struct nsj_record *r, char *buf, size_t size);

/* ---- printers (print.c) ---------------------------------------------------------------- */

/* One set of list. */
struct row {
	struct nsj_record r;
	bool alive, readable; /* readable: the record parsed */
	int procs;
};

/* list: the table, or the JSON array. */
int print_table(const struct row *rows, size_t n);
void print_json(const struct row *rows, size_t n);
/* show: the set; policy and show: the resolved policy, and what u's live set was made under. */
/* One set in detail; why: what the check of a stale set's keeper found (or ""). */
void print_set(const struct nsj_record *r, bool alive, const char *why, const char *pin_dir);
void print_policy(const struct nsj_policy *p);
void print_live(const struct nsj_config *cfg, const struct nsj_user *u,
		const struct nsj_policy *p);

/* ---- the commands (one file each) ------------------------------------------------------ */

int cmd_list(struct ctl *c);
int cmd_show(struct ctl *c);
int cmd_enter(struct ctl *c);
int cmd_reset(struct ctl *c);
int cmd_gc(struct ctl *c);
int cmd_check(struct ctl *c);
int cmd_policy(struct ctl *c);
/* policy.c; show prints it too. */
int show_policy(const struct ctl *c, const struct nsj_user *u);

#endif
