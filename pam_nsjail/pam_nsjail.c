/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pam_nsjail.c — the PAM glue: parse the module arguments, load the policy, call the core,
 * log one line, map the result to a PAM code. No namespace logic lives here.
 *
 *   account required pam_nsjail.so [config=PATH] [on_error=deny|allow] [debug]
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
#include <security/pam_modutil.h>

#include "nsj.h"

#define DATA_KEY "pam_nsjail_session"
#define CONFIG_KEY "pam_nsjail_config" /* the account phase's config, for the session */
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
	int hold;  /* persist = false only: held for the session's life (nsj_session_open) */
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

/*
 * A failure: log it, then deny, or let the session go on unjailed (on_error=allow, root).
 * Denied is PAM_PERM_DENIED, not PAM_SESSION_ERR: sudo treats PAM_SESSION_ERR from
 * pam_open_session as "no session" and runs the command all the same; every caller (sudo, sshd,
 * su, login, cron) ends on any other error.
 */
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
	return allow ? PAM_SUCCESS : PAM_PERM_DENIED;
}

static void session_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	struct session *s = data;

	if (s->pidfd >= 0)
		close(s->pidfd);
	if (s->hold >= 0)
		close(s->hold);
	free(s);
}

static int remember(pam_handle_t *pamh, const struct nsj_policy *p, const struct nsj_record *r,
		    int pidfd, int hold)
{
	struct session *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		if (pidfd >= 0)
			close(pidfd);
		if (hold >= 0) /* the keeper then ends the set with its last process */
			close(hold);
		return -ENOMEM;
	}
	s->rec = *r;
	s->hold = hold;
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

static void config_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	nsj_config_free(data);
}

/*
 * Keep the config the account phase loaded for the session of the same PAM handle (sshd, su
 * and sudo open it right after), which then need not read it again: the account line costs a
 * login next to nothing (make bench). On failure c stays the caller's.
 */
static bool keep_config(pam_handle_t *pamh, struct nsj_config *c)
{
	return pam_set_data(pamh, CONFIG_KEY, c, config_cleanup) == PAM_SUCCESS;
}

/* The config the account phase of this handle kept, if it was loaded from the same path. */
static const struct nsj_config *kept_config(pam_handle_t *pamh, const char *path)
{
	const struct nsj_config *c = NULL;

	if (pam_get_data(pamh, CONFIG_KEY, (const void **)&c) != PAM_SUCCESS || c == NULL ||
	    strcmp(c->path, path) != 0)
		return NULL;
	return c;
}

static bool user_manager(pam_handle_t *pamh)
{
	const char *svc = NULL;

	return pam_get_item(pamh, PAM_SERVICE, (const void **)&svc) == PAM_SUCCESS && svc != NULL &&
	       strcmp(svc, "systemd-user") == 0;
}

/*
 * systemd's exec child for user@UID.service runs the stack "systemd-user" and then execs the
 * manager itself: it joins neither the mount nor the PID namespace (set.c), and the keeper is
 * named in the PAM environment, which systemd hands to nsjail-userman (ExecStart= of the
 * package's drop-in), which joins those two for the manager. Without a PID namespace the join
 * was whole, and nothing is named. pam_sm_open_session removes the variable first, so that
 * nothing else can name a keeper.
 */
static int open_set(pam_handle_t *pamh, struct nsj_policy *p, const struct nsj_user *u,
		    struct nsj_record *r, enum nsj_action *act, int *pidfd, int *hold,
		    struct nsj_err *e)
{
	char env[96];
	int ret;

	p->user_manager = user_manager(pamh);
	ret = nsj_session_open(p, u, r, act, pidfd, hold, e);
	if (p->user_manager && ret == 0 && *act != NSJ_ACT_INSIDE && (r->kinds & NSJ_NSF(NSJ_NS_PID))) {
		snprintf(env, sizeof(env), NSJ_USERMAN_ENV "=%d %llu", (int)r->pid, r->start);
		if (pam_putenv(pamh, env) != PAM_SUCCESS) {
			/* A set of this session's own ends with it; a shared one is others' too. */
			if (*pidfd >= 0 && !p->persist)
				nsj_keeper_stop(*pidfd, 2000, e);
			if (*pidfd >= 0)
				close(*pidfd);
			if (*hold >= 0)
				close(*hold);
			*pidfd = *hold = -1;
			return nsj_err_set(e, ENOMEM, "pam_putenv %s: no memory", NSJ_USERMAN_ENV);
		}
	}
	return ret;
}

/*
 * The policy, then the set. A rejoin takes its section from the live set's record when that was
 * made under this config text (live.c), without enumerating the user's groups; when the set
 * turns out to need making after all, or its record changed meanwhile, the policy is resolved
 * in full and the session opened again.
 */
static int policy_and_set(pam_handle_t *pamh, const struct nsj_config *c,
			  const struct nsj_user *u, struct nsj_policy *p, struct nsj_record *r,
			  enum nsj_action *act, int *pidfd, int *hold, struct nsj_err *e)
{
	struct nsj_record live;
	/* Only group sections make the policy cost anything: peek at the record for them only. */
	bool have = c->n_groups > 0 && nsj_live_peek(c->pin_dir, u->uid, &live) == 0;
	int ret = nsj_policy_resolve_live(c, u, have ? &live : NULL, p, e);

	if (ret < 0 || !p->jailed)
		return ret;
	ret = open_set(pamh, p, u, r, act, pidfd, hold, e);
	if (ret != -ESTALE || !p->from_record)
		return ret;
	nsj_err_clear(e);
	ret = nsj_policy_resolve(c, u, p, e);
	if (ret < 0 || !p->jailed)
		return ret;
	return open_set(pamh, p, u, r, act, pidfd, hold, e);
}

static int open_session(pam_handle_t *pamh, const struct args *a, const char *name, uint64_t t0)
{
	struct nsj_user u = { 0 };
	struct nsj_config *c = NULL;
	const struct nsj_config *kept = NULL;
	struct nsj_policy p;
	struct nsj_record r = { 0 };
	struct nsj_err e = { 0 };
	enum nsj_action act = NSJ_ACT_CREATED;
	bool cached = false;
	int ret, pidfd = -1, hold = -1;

	if (nsj_user_lookup(name, &u, &e) < 0)
		return fail(pamh, a, name, (uid_t)-1, t0, &e);
	/* A policy file named relative to whatever directory the caller is in is no policy. */
	if (a->config[0] != '/') {
		nsj_err_set(&e, EINVAL, "option config=%s: not an absolute path", a->config);
		ret = fail(pamh, a, name, u.uid, t0, &e);
	} else if (((kept = kept_config(pamh, a->config)) == NULL &&
		    nsj_config_load_cached(a->config, NSJ_CACHE_DIR, &c, &cached, &e) < 0) ||
		   policy_and_set(pamh, kept ? kept : c, &u, &p, &r, &act, &pidfd, &hold, &e) < 0) {
		ret = fail(pamh, a, name, u.uid, t0, &e);
	} else if (!p.jailed) {
		char action[200];
		snprintf(action, sizeof(action), "skipped (%s)", p.reason);
		log_line(pamh, LOG_INFO, name, u.uid, NULL, t0, action);
		ret = PAM_IGNORE;
	} else if (remember(pamh, &p, &r, pidfd, hold) < 0) {
		/* Joined, but close_session will not know it: still a working session. */
		log_line(pamh, LOG_WARNING, name, u.uid, &r, t0, nsj_action_name(act));
		ret = PAM_SUCCESS;
	} else {
		if (a->debug)
			pam_syslog(pamh, LOG_DEBUG, "policy from %s (%s%s), keeper pid %d", p.section,
				   kept	    ? "loaded by the account phase"
				   : cached ? "cached parse"
					    : "parsed",
				   p.from_record ? ", section of the live set" : "", (int)r.pid);
		char why[sizeof(r.replaced) + 160] = "", action[sizeof(why) + 160];

		/* repaired: why the recorded set was not trusted ("keeper 812 is gone") */
		if (act == NSJ_ACT_REPAIRED && r.replaced[0] != '\0')
			snprintf(why, sizeof(why), " (%s)", r.replaced);
		/* A keeper in a scope of another name than the one the docs say to stop: named.
		 * (Only a set this login made has a scope in r.) */
		if (r.scope[0] != '\0') {
			char usual[40];

			snprintf(usual, sizeof(usual), "nsjail-%u.scope", (unsigned)u.uid);
			if (strcmp(r.scope, usual) != 0)
				snprintf(why + strlen(why), sizeof(why) - strlen(why),
					 " (in %.64s: %s is another set's)", r.scope, usual);
		}
		snprintf(action, sizeof(action), "%s%s%s", nsj_action_name(act), why,
			 p.user_manager && act != NSJ_ACT_INSIDE && (r.kinds & NSJ_NSF(NSJ_NS_PID))
				 ? " (user manager: nsjail-userman joins the mnt and pid namespaces)" : "");
		log_line(pamh, LOG_INFO, name, u.uid, &r, t0, action);
		ret = PAM_SUCCESS;
	}
	/* The set's network provider had died: restarted (set.c), or the set has no way out. */
	if (ret == PAM_SUCCESS && r.net_old > 0 && !r.net_gone)
		pam_syslog(pamh, LOG_WARNING,
			   "user=%s: the set's network provider (pid %d) had died: restarted as pid %d%s%s",
			   name, (int)r.net_old, (int)r.net_pid,
			   r.net_error[0] ? ", but it stays in this session's cgroup: " : "", r.net_error);
	else if (ret == PAM_SUCCESS && r.net_gone)
		pam_syslog(pamh, LOG_WARNING,
			   "user=%s: the set's network provider (pid %d) is gone and could not be "
			   "restarted (%s): no outbound network; the next login tries again",
			   name, (int)r.net_pid, r.net_error);
	nsj_config_free(c);
	nsj_user_free(&u);
	return ret;
}

PAM_EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	uint64_t t0 = nsj_now_us();
	const struct session *s = NULL;
	const char *name = NULL;
	struct args a;

	parse_args(pamh, argc, argv, &a);
	if (user_manager(pamh))
		pam_putenv(pamh, NSJ_USERMAN_ENV); /* removes it: only this module names a keeper */
	if (pam_get_item(pamh, PAM_USER, (const void **)&name) != PAM_SUCCESS || name == NULL ||
	    name[0] == '\0') {
		pam_syslog(pamh, LOG_ERR, "user=? action=failed: no user name");
		return a.allow ? PAM_SUCCESS : PAM_PERM_DENIED;
	}
	/*
	 * This handle's session of this user is open already (the module twice in one stack, an
	 * application that opens twice): it stays as it is, and so does what its close will do
	 * (a persist = false set's end).
	 */
	if (pam_get_data(pamh, DATA_KEY, (const void **)&s) == PAM_SUCCESS && s != NULL &&
	    strcmp(s->rec.user, name) == 0)
		return PAM_SUCCESS;
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
		struct passwd *pw = name ? pam_modutil_getpwnam(pamh, name) : NULL;
		log_line(pamh, LOG_INFO, name ? name : "?", pw ? pw->pw_uid : (uid_t)-1, NULL, t0,
			 "skipped (no set joined)");
		return PAM_IGNORE;
	}
	const char *action = "closed (set torn down)";
	char first[512], failed[600];
	int ret = PAM_SUCCESS, level = LOG_INFO;

	/*
	 * Without the privilege to signal a root keeper (systemd's "(sd-pam)" closes the session
	 * after dropping to the user's uid), the set ends as one whose session's process is gone:
	 * with its last process, once the hold is let go (below).
	 */
	if (s->persist) {
		action = "closed (set kept)";
	} else if (geteuid() != 0) {
		action = "closed (set ends with its last process)";
	} else if (nsj_keeper_stop(s->pidfd, 2000, &e) < 0) {
		snprintf(failed, sizeof(failed), "failed: %s", nsj_err_first(&e, first, sizeof(first)));
		action = failed;
		level = LOG_ERR;
		ret = PAM_SESSION_ERR;
	}
	log_line(pamh, level, name ? name : "?", s->rec.uid, &s->rec, t0, action);
	pam_set_data(pamh, DATA_KEY, NULL, NULL); /* closed: a later open starts afresh */
	return ret;
}

PAM_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_IGNORE;
}

PAM_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_IGNORE;
}

/* The account phase refuses: one log line, and the reason to the user unless PAM_SILENT. */
static int refuse(pam_handle_t *pamh, int flags, const char *user, uid_t uid, uint64_t t0,
		  const struct nsj_err *e)
{
	char first[512], action[600];

	nsj_err_first(e, first, sizeof(first));
	snprintf(action, sizeof(action), "refused: %s", first);
	log_line(pamh, LOG_ERR, user, uid, NULL, t0, action);
	if (!(flags & PAM_SILENT))
		pam_error(pamh, "pam_nsjail: %s", first);
	return PAM_PERM_DENIED;
}

/*
 * What open_session is certain to refuse (on_error=deny, not root): the policy cannot be loaded,
 * or the caller is inside another user's set. When PAM_USER is the user who runs the caller
 * (sudo authenticates the invoking user, and sets the target only for the session), the
 * session's user is not known yet: nothing is certain, and open_session decides.
 * The common case costs the config's cached load and one open(): the user is looked up through
 * NSS only when something may be refused (make bench, "account phase").
 */
static int account(pam_handle_t *pamh, int flags, const struct args *a, const char *name,
		   uint64_t t0)
{
	struct nsj_user u = { 0 };
	struct nsj_config *c = NULL;
	struct nsj_err e = { 0 }, ce = { 0 };
	bool cached;
	uid_t owner;
	int ret = PAM_IGNORE, loaded = -EINVAL;

	if (a->config[0] != '/')
		nsj_err_set(&ce, EINVAL, "option config=%s: not an absolute path", a->config);
	else
		loaded = nsj_config_load_cached(a->config, NSJ_CACHE_DIR, &c, &cached, &ce);
	if (loaded == 0 && !nsj_set_owner(c->pin_dir, &owner)) {
		if (!keep_config(pamh, c))
			nsj_config_free(c);
		return PAM_IGNORE;
	}
	if (nsj_user_lookup(name, &u, &e) < 0)
		ret = refuse(pamh, flags, name, (uid_t)-1, t0, &e);
	else if (u.uid == 0 || u.uid == getuid())
		ret = PAM_IGNORE;
	else if (loaded < 0)
		ret = refuse(pamh, flags, name, u.uid, t0, &ce);
	else if (nsj_account_check(c, &u, &e) < 0)
		ret = refuse(pamh, flags, name, u.uid, t0, &e);
	nsj_config_free(c);
	nsj_user_free(&u);
	return ret;
}

PAM_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	uint64_t t0 = nsj_now_us();
	const char *name = NULL;
	struct args a;

	parse_args(pamh, argc, argv, &a);
	/* on_error=allow: open_session never refuses, so neither does this. */
	if (a.allow)
		return PAM_IGNORE;
	if (pam_get_item(pamh, PAM_USER, (const void **)&name) != PAM_SUCCESS || name == NULL ||
	    name[0] == '\0')
		return PAM_IGNORE; /* whoever asks for a user name next refuses it */
	return account(pamh, flags, &a, name, t0);
}

PAM_EXPORT int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_IGNORE;
}
