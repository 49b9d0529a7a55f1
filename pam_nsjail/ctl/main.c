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
 *
 * main.c: the options and the table of commands, which dispatches to one file per command
 * (list.c, show.c, enter.c, reset.c, gc.c, check.c, policy.c); what they share is common.c
 * (messages, lookups) and print.c (the output).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

#define EXIT_USAGE 2

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
