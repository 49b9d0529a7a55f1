/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pam_nsjail.c — the PAM glue: parse the module arguments, load the policy, call the core,
 * log one line, map the result to a PAM code. No namespace logic lives here.
 *
 *   session required pam_nsjail.so [config=PATH] [on_error=deny|allow] [debug]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "nsj.h"

#define DATA_KEY "pam_nsjail_session"
#define PAM_EXPORT __attribute__((visibility("default")))

struct args {
	const char *config;
	bool allow; /* on_error=allow */
	bool debug;
};

/* Kept from open to close (pam_set_data): what close_session logs and, without persist, ends. */
struct session {
	struct nsj_record rec;
	bool persist;
	int pidfd; /* persist = false only: the set's own keeper; -1 otherwise */
};

static void parse_args(pam_handle_t *pamh, int argc, const char **argv, struct args *a)
{
	a->config = NSJ_CONFIG_PATH;
	a->allow = false;
	a->debug = false;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "config=", 7) == 0)
			a->config = argv[i] + 7; /* not absolute: a failure at open_session */
		else if (strcmp(argv[i], "on_error=deny") == 0)
			a->allow = false;
		else if (strcmp(argv[i], "on_error=allow") == 0)
			a->allow = true;
		else if (strcmp(argv[i], "debug") == 0)
			a->debug = true;
		else
			pam_syslog(pamh, LOG_ERR, "unknown or invalid option \"%s\", ignored", argv[i]);
	}
}

static void format_ns(const struct nsj_record *r, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int k = 0; k < NSJ_NS_COUNT && len < size; k++)
		if (r->kinds & NSJ_NSF(k))
			len += (size_t)snprintf(buf + len, size - len, "%s%s:%llu", len ? "," : "",
						nsj_ns_name(k), (unsigned long long)r->ns_ino[k]);
}

static void log_line(pam_handle_t *pamh, int prio, const char *user, uid_t uid,
		     const struct nsj_record *r, uint64_t t0, const char *action)
{
	char ns[256] = "-", id[16] = "?";

	if (r)
		format_ns(r, ns, sizeof(ns));
	if (uid != (uid_t)-1) /* a user NSS does not know has no uid */
		snprintf(id, sizeof(id), "%u", (unsigned)uid);
	pam_syslog(pamh, prio, "user=%s uid=%s ns=%s elapsed=%lluus action=%s", user, id, ns,
		   (unsigned long long)(nsj_now_us() - t0), action);
}

/* A failure: log it, then deny, or let the session go on unjailed (on_error=allow, root). */
static int fail(pam_handle_t *pamh, const struct args *a, const char *user, uid_t uid,
		uint64_t t0, const struct nsj_err *e)
{
	/* root is never locked out; everyone else follows on_error. */
	bool allow = uid == 0 || a->allow;
	char first[512], action[800];

	snprintf(action, sizeof(action), "failed: %s%s%s", nsj_err_first(e, first, sizeof(first)),
		 e->count > 1 ? " (and more)" : "",
		 !allow ? "" : uid == 0 ? " (root: session goes on unjailed)"
				       : " (on_error=allow: session goes on unjailed)");
	log_line(pamh, LOG_ERR, user, uid, NULL, t0, action);
	if (a->debug)
		for (const char *p = strchr(e->msg, '\n'); p; p = strchr(p + 1, '\n'))
			pam_syslog(pamh, LOG_DEBUG, "  %.*s", (int)strcspn(p + 1, "\n"), p + 1);
	return allow ? PAM_SUCCESS : PAM_SESSION_ERR;
}

static void session_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	struct session *s = data;

	if (s->pidfd >= 0)
		close(s->pidfd);
	free(s);
}

static int remember(pam_handle_t *pamh, const struct nsj_policy *p, const struct nsj_record *r,
		    int pidfd)
{
	struct session *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		if (pidfd >= 0)
			close(pidfd);
		return -ENOMEM;
	}
	s->rec = *r;
	/* Already inside (pidfd -1): the set belongs to the session that made it. */
	s->persist = p->persist || pidfd < 0;
	s->pidfd = -1;
	if (s->persist && pidfd >= 0)
		close(pidfd);
	else
		s->pidfd = pidfd;
	if (pam_set_data(pamh, DATA_KEY, s, session_cleanup) != PAM_SUCCESS) {
		session_cleanup(pamh, s, 0);
		return -ENOMEM;
	}
	return 0;
}

static int open_session(pam_handle_t *pamh, const struct args *a, const char *name, uint64_t t0)
{
	struct nsj_user u = { 0 };
	struct nsj_config *c = NULL;
	struct nsj_policy p;
	struct nsj_record r;
	struct nsj_err e = { 0 };
	enum nsj_action act;
	bool cached = false;
	int ret, pidfd, indexed;

	indexed = nsj_user_lookup_indexed(name, NSJ_CACHE_DIR, &u, &e);
	if (indexed < 0)
		return fail(pamh, a, name, (uid_t)-1, t0, &e);
	/* A policy file named relative to whatever directory the caller is in is no policy. */
	if (a->config[0] != '/') {
		nsj_err_set(&e, EINVAL, "option config=%s: not an absolute path", a->config);
		ret = fail(pamh, a, name, u.uid, t0, &e);
	} else if (nsj_config_load_cached(a->config, NSJ_CACHE_DIR, &c, &cached, &e) < 0 ||
	    nsj_policy_resolve(c, &u, &p, &e) < 0) {
		ret = fail(pamh, a, name, u.uid, t0, &e);
	} else if (!p.jailed) {
		char action[200];
		snprintf(action, sizeof(action), "skipped (%s)", p.reason);
		log_line(pamh, LOG_INFO, name, u.uid, NULL, t0, action);
		ret = PAM_IGNORE;
	} else if (nsj_session_open(&p, &u, &r, &act, &pidfd, &e) < 0) {
		ret = fail(pamh, a, name, u.uid, t0, &e);
	} else if (remember(pamh, &p, &r, pidfd) < 0) {
		/* Joined, but close_session will not know it: still a working session. */
		log_line(pamh, LOG_WARNING, name, u.uid, &r, t0, nsj_action_name(act));
		ret = PAM_SUCCESS;
	} else {
		if (a->debug)
			pam_syslog(pamh, LOG_DEBUG, "policy from %s (%s), keeper pid %d, user %s",
				   p.section, cached ? "cached parse" : "parsed", (int)r.pid,
				   indexed ? "from the passwd index" : "through NSS");
		log_line(pamh, LOG_INFO, name, u.uid, &r, t0, nsj_action_name(act));
		ret = PAM_SUCCESS;
	}
	nsj_config_free(c);
	nsj_user_free(&u);
	return ret;
}

PAM_EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	uint64_t t0 = nsj_now_us();
	const char *name = NULL;
	struct args a;

	parse_args(pamh, argc, argv, &a);
	if (pam_get_item(pamh, PAM_USER, (const void **)&name) != PAM_SUCCESS || name == NULL ||
	    name[0] == '\0') {
		pam_syslog(pamh, LOG_ERR, "user=? action=failed: no user name");
		return a.allow ? PAM_SUCCESS : PAM_SESSION_ERR;
	}
	return open_session(pamh, &a, name, t0);
}

PAM_EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	uint64_t t0 = nsj_now_us();
	const struct session *s = NULL;
	struct nsj_err e = { 0 };
	const char *name = NULL;
	struct args a;

	parse_args(pamh, argc, argv, &a);
	pam_get_item(pamh, PAM_USER, (const void **)&name);
	if (pam_get_data(pamh, DATA_KEY, (const void **)&s) != PAM_SUCCESS || s == NULL) {
		/* open_session left this user out, failed, or did not run. */
		struct passwd *pw = name ? getpwnam(name) : NULL;
		log_line(pamh, LOG_INFO, name ? name : "?", pw ? pw->pw_uid : (uid_t)-1, NULL, t0,
			 "skipped (no set joined)");
		return PAM_IGNORE;
	}
	if (s->persist) {
		log_line(pamh, LOG_INFO, name ? name : "?", s->rec.uid, &s->rec, t0, "closed (set kept)");
		return PAM_SUCCESS;
	}
	if (nsj_keeper_stop(s->pidfd, 2000, &e) < 0) {
		char first[512], action[600];
		snprintf(action, sizeof(action), "failed: %s", nsj_err_first(&e, first, sizeof(first)));
		log_line(pamh, LOG_ERR, name ? name : "?", s->rec.uid, &s->rec, t0, action);
		return PAM_SESSION_ERR;
	}
	log_line(pamh, LOG_INFO, name ? name : "?", s->rec.uid, &s->rec, t0, "closed (set torn down)");
	return PAM_SUCCESS;
}

PAM_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_IGNORE;
}

PAM_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_IGNORE;
}

PAM_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_IGNORE;
}

PAM_EXPORT int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_IGNORE;
}
