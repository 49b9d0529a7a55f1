/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * nsj.h — the core library of pam_nsjail.
 *
 * Everything the module, the keeper, nsjailctl and the tests share. The core never exits and
 * never prints: functions return 0 (or a non-negative value) on success and a negative errno on
 * failure, after filling a struct nsj_err with a readable message. Only the glue (the PAM entry
 * points, main() of the CLI and the keeper) turns that into a log line or an exit code.
 */
#ifndef NSJ_H
#define NSJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef NSJ_VERSION
#define NSJ_VERSION "0.1.0"
#endif
#ifndef NSJ_KEEPER_PATH
#define NSJ_KEEPER_PATH "/usr/libexec/pam_nsjail/nsjail-keeper"
#endif
#ifndef NSJ_SCOPE_PATH
#define NSJ_SCOPE_PATH "/usr/libexec/pam_nsjail/nsjail-scope"
#endif
#ifndef NSJ_CONFIG_PATH
#define NSJ_CONFIG_PATH "/etc/security/pam_nsjail.conf"
#endif
#define NSJ_PIN_DIR_DEFAULT "/run/pam_nsjail"
#ifndef NSJ_CACHE_DIR
#define NSJ_CACHE_DIR "/run/pam_nsjail-cache" /* parsed configs (cache.c) */
#endif
#define NSJ_HOSTNAME_MAX 64
#ifndef NSJ_SLIRP4NETNS_PATH
#define NSJ_SLIRP4NETNS_PATH "/usr/bin/slirp4netns" /* network = outbound (net.c) */
#endif

/* ---- errors (err.c) ------------------------------------------------------------------- */

/*
 * An error: the errno that caused it and one or more lines of text (several only for config
 * diagnostics, one "FILE:LINE: message" per line). "%m" in a format is expanded from errno as
 * it was on entry.
 */
struct nsj_err {
	int code;      /* positive errno, 0 when no error was recorded */
	unsigned count; /* number of lines in msg */
	char msg[2048];
};

void nsj_err_clear(struct nsj_err *e);
/*
 * Record one line; returns -errnum (or -EINVAL when errnum is 0). Appends when e->count > 0:
 * a later line that does not fit whole in msg is counted but left out, never cut.
 */
int nsj_err_set(struct nsj_err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The lines msg holds: e->count, or fewer when some did not fit. */
unsigned nsj_err_lines(const struct nsj_err *e);
/* The first line of e->msg, copied into buf (for one-line logs). */
const char *nsj_err_first(const struct nsj_err *e, char *buf, size_t size);
#ifndef __GLIBC__
/* strerror() with glibc's texts, in a keeper linked against musl (err.c, libc_compat.h). */
const char *nsj_strerror(int errnum);
#endif

/* ---- namespaces (ns.c) ---------------------------------------------------------------- */

enum nsj_ns { NSJ_NS_MNT, NSJ_NS_IPC, NSJ_NS_UTS, NSJ_NS_PID, NSJ_NS_NET, NSJ_NS_CGROUP, NSJ_NS_COUNT };
#define NSJ_NSF(k) (1u << (k))
#define NSJ_NS_DEFAULT (NSJ_NSF(NSJ_NS_MNT) | NSJ_NSF(NSJ_NS_IPC) | NSJ_NSF(NSJ_NS_UTS) | NSJ_NSF(NSJ_NS_PID))

/* "mnt", "ipc", "uts", "pid", "net", "cgroup": the names under /proc/PID/ns/. */
const char *nsj_ns_name(enum nsj_ns k);
/* The config spelling: "mount" for NSJ_NS_MNT, otherwise as nsj_ns_name(). */
const char *nsj_ns_config_name(enum nsj_ns k);
/* -1 when unknown. Accepts the config spelling and the /proc spelling. */
int nsj_ns_from_name(const char *name);
int nsj_ns_clone_flag(enum nsj_ns k);
/* Space-separated config names of the kinds in mask, e.g. "mount ipc uts pid". */
void nsj_ns_mask_format(unsigned mask, char *buf, size_t size);

/* ---- config (config.c; config_parse.c, the only file that includes <confuse.h>) ------- */

enum nsj_tmp { NSJ_TMP_TMPFS, NSJ_TMP_DIR, NSJ_TMP_NONE };
/* The config spelling of a tmp value: "tmpfs", "dir", "none". */
const char *nsj_tmp_name(enum nsj_tmp t);
enum nsj_prop { NSJ_PROP_SLAVE, NSJ_PROP_PRIVATE };
/* system_bus: hidden covers /run/dbus in the set (setup.c); host leaves the host's bus there. */
enum nsj_bus { NSJ_BUS_HIDDEN, NSJ_BUS_HOST };
enum nsj_net { NSJ_NET_LOOPBACK, NSJ_NET_OUTBOUND };
enum nsj_sec_kind { NSJ_SEC_DEFAULT, NSJ_SEC_USER, NSJ_SEC_GROUP };

/* Bits of struct nsj_section.set: which keys the section sets itself. */
enum nsj_key {
	NSJ_KEY_ENABLE = 1u << 0,
	NSJ_KEY_NAMESPACES = 1u << 1,
	NSJ_KEY_HOSTNAME = 1u << 2,
	NSJ_KEY_TMP = 1u << 3,
	NSJ_KEY_TMP_SIZE = 1u << 4,
	NSJ_KEY_TMP_DIR = 1u << 5,
	NSJ_KEY_TMP_PATHS = 1u << 6,
	NSJ_KEY_PROPAGATION = 1u << 7,
	NSJ_KEY_PERSIST = 1u << 8,
	NSJ_KEY_IDLE_TIMEOUT = 1u << 9,
	NSJ_KEY_SYSTEM_BUS = 1u << 12,
	NSJ_KEY_NETWORK = 1u << 10,
	NSJ_KEY_PROPAGATION_PATHS = 1u << 11,
};

/* One section of the file. Values of keys not in `set` are unspecified (but valid to free). */
/* tmp_paths and propagation_paths of a section as it takes effect: at most this many each. */
#define NSJ_MAX_PATHS 256

struct nsj_section {
	enum nsj_sec_kind kind;
	char *name;     /* user or group name; NULL for default */
	unsigned line;  /* line of the section header; 0 for an implicit default */
	unsigned set;   /* enum nsj_key bits */
	bool enable;
	unsigned namespaces; /* NSJ_NSF() mask */
	char *hostname;      /* template; "" keeps the host's name */
	enum nsj_tmp tmp;
	uint64_t tmp_size;   /* bytes; 0 = kernel default */
	char *tmp_dir;       /* template */
	char **tmp_paths;    /* absolute, normalised paths; at most NSJ_MAX_PATHS */
	size_t n_tmp_paths;
	enum nsj_prop propagation;
	char **prop_paths;   /* propagation_paths: absolute, normalised */
	size_t n_prop_paths;
	bool persist;
	unsigned idle_timeout; /* seconds, 0 = never */
	enum nsj_bus system_bus;
	enum nsj_net network;
};

struct nsj_config {
	char *path;     /* the file name used in messages */
	char *pin_dir;  /* absolute */
	unsigned min_uid;
	struct nsj_section def; /* always complete: built-in defaults overlaid with the file's */
	struct nsj_section *users;
	size_t n_users;
	struct nsj_section *groups; /* in file order */
	size_t n_groups;
	uint64_t text_hash; /* of the file's text: what a live set's policy was resolved from */
};

/*
 * Load and validate the config at path. Refuses a file that is not a regular file, not owned
 * by root, or writable by group or others (checked on the open fd, opened O_NOFOLLOW). Every
 * problem is recorded in err as "FILE:LINE: message" (several lines when there are several).
 * Runs in any process; no side effects but memory. *out is owned by the caller.
 */
int nsj_config_load(const char *path, struct nsj_config **out, struct nsj_err *err);
/* The same from a buffer, without the ownership checks (tests, fuzzing). name is for messages. */
int nsj_config_parse_buf(const char *buf, size_t len, const char *name, struct nsj_config **out,
			 struct nsj_err *err);
void nsj_config_free(struct nsj_config *c);
/* Open, check (as nsj_config_load) and read the file: *text is malloc'd, *len its length. */
int nsj_config_read(const char *path, char **text, size_t *len, struct nsj_err *err);

/*
 * nsj_config_load() for the login path: the file is opened, checked and read every time, but
 * when its text is byte for byte the text of a parse cached in cache_dir (root 0700), that parse
 * is used (*hit) and libconfuse is neither loaded nor run. Otherwise the file is parsed and a
 * valid config cached. A cache dir or entry that is not root's and private, or is malformed, is
 * not used. Errors are those of nsj_config_load().
 */
int nsj_config_load_cached(const char *path, const char *cache_dir, struct nsj_config **out,
			   bool *hit, struct nsj_err *err);
/* The cache's format of a parse (cache.c; unit-tested): *out is malloc'd. */
int nsj_config_serialize(const struct nsj_config *c, char **out, size_t *len);
int nsj_config_deserialize(const char *data, size_t len, const char *path, struct nsj_config **out);
/* "default", "user \"alice\"" or "group \"lab\"" (policy.c). */
void nsj_section_label(const struct nsj_section *s, char *buf, size_t size);

/* ---- templates (template.c) ----------------------------------------------------------- */

struct nsj_tvars {
	const char *user;  /* %u */
	uid_t uid;         /* %U */
	const char *group; /* %g */
	const char *host_short; /* %h */
	const char *host_full;  /* %H */
};

/* Check a template for unknown "%x" sequences and a trailing '%'. */
int nsj_template_check(const char *tmpl, struct nsj_err *err);
/* Does tmpl use any of the sequences named in seqs ("uU": %u or %U; "%%u" is no %u)? */
bool nsj_template_uses(const char *tmpl, const char *seqs);
/* Expand tmpl into out; -ENAMETOOLONG when it does not fit. */
int nsj_template_expand(const char *tmpl, const struct nsj_tvars *v, char *out, size_t size,
			struct nsj_err *err);
/*
 * Expand a hostname template: characters outside [A-Za-z0-9.-] become '-', leading and
 * trailing '-'/'.' are dropped and runs of '.' fold to one. Empty, or longer than 64 bytes
 * after that: an error (never truncated).
 */
int nsj_hostname_expand(const char *tmpl, const struct nsj_tvars *v, char out[NSJ_HOSTNAME_MAX + 1],
			struct nsj_err *err);
/* Fill host_short/host_full from uname(); the strings live in buf. */
void nsj_tvars_host(struct nsj_tvars *v, char *buf, size_t size);

/* ---- users and policy (policy.c) ------------------------------------------------------ */

struct nsj_user {
	char *name;
	uid_t uid;
	gid_t gid;
	char *group; /* primary group name ("" when it has none); NULL until looked up */
	char *home;
	gid_t *groups; /* primary and supplementary, via NSS (getgrouplist) */
	int n_groups;  /* -1 until nsj_user_groups() */
};

/*
 * Look a user up through NSS. -ENOENT with a message when there is no such user. The groups
 * are not looked up (getgrouplist is the costly part of a login): see nsj_user_groups().
 */
int nsj_user_lookup(const char *name, struct nsj_user *u, struct nsj_err *err);
/* Look up u->group (the primary group's name) if not yet: 0, or -errno with a message. */
int nsj_user_group_name(struct nsj_user *u, struct nsj_err *err);
/* Fill u->groups and u->n_groups when not done yet. */
int nsj_user_groups(struct nsj_user *u, struct nsj_err *err);
void nsj_user_free(struct nsj_user *u);

/* The effective policy for one user, templates expanded. */
struct nsj_policy {
	char section[300]; /* "default", "user \"alice\"", "group \"lab\"" */
	bool jailed;       /* false: the user is left out (PAM_IGNORE) */
	char reason[128];  /* why not jailed: "uid 0", "uid below min_uid 1000", "enable = false" */
	bool enable;
	unsigned namespaces;
	char hostname[NSJ_HOSTNAME_MAX + 1]; /* expanded; "" keeps the host's name */
	char hostname_tmpl[256];
	enum nsj_tmp tmp;
	uint64_t tmp_size;
	char tmp_dir[4096]; /* expanded; only for NSJ_TMP_DIR */
	char *const *tmp_paths; /* borrowed from the config */
	size_t n_tmp_paths;
	enum nsj_prop propagation;
	char *const *prop_paths; /* propagation_paths, borrowed from the config */
	size_t n_prop_paths;
	bool persist;
	unsigned idle_timeout;
	enum nsj_bus system_bus;
	enum nsj_net network; /* meaningful with net in namespaces */
	char pin_dir[4096];
	/* Where it came from, recorded with a set it makes (live.c): */
	uint64_t conf_hash;  /* the config's text_hash */
	char sec_kind;       /* 'd' default, 'u' user, 'g' group section */
	unsigned sec_index;  /* the section's index among its kind, in file order */
	bool from_record;    /* the section was taken from the live set's record, groups unresolved */
	/* Set by the glue, not the config: the caller is systemd's exec child for user@UID (PAM
	 * service systemd-user); with a PID namespace, it joins neither that nor the mount
	 * namespace (nsjail-userman does, for the manager), nor the cgroup namespace. */
	bool user_manager;
};

/*
 * Pick the section (user > first group in file order that the user belongs to > default;
 * the user's groups are looked up here when there are group sections and u has none yet),
 * fill unset keys from default, apply min_uid and the root rule, expand templates.
 * The policy borrows tmp_paths and prop_paths from c: keep c alive while p is used.
 */
int nsj_policy_resolve(const struct nsj_config *c, const struct nsj_user *u, struct nsj_policy *p,
		       struct nsj_err *err);
/* The same for a section already chosen (s belongs to c): keys, rules and templates. */
int nsj_policy_for_section(const struct nsj_config *c, const struct nsj_user *u,
			   const struct nsj_section *s, struct nsj_policy *p, struct nsj_err *err);

/* ---- pin directory, locks and records (record.c) -------------------------------------- */

/* The text of /proc/sys/kernel/random/boot_id, without its newline. */
#define NSJ_BOOT_ID_LEN 36

/* What is written to <pin_dir>/<uid>/keeper: enough to recognise the keeper with certainty. */
struct nsj_record {
	pid_t pid;                 /* in the host's (the module's) PID namespace */
	unsigned long long start;  /* starttime, field 22 of /proc/PID/stat */
	uid_t uid;
	char user[256];
	int64_t created;           /* time(2) when the set was made */
	unsigned kinds;            /* NSJ_NSF() mask of the set's namespaces */
	uint64_t ns_ino[NSJ_NS_COUNT];
	uint64_t ns_dev;           /* st_dev of the nsfs */
	uint64_t conf_hash;        /* the policy it was made under (live.c); sec_kind 0: unknown */
	char sec_kind;
	unsigned sec_index;
	pid_t net_pid;             /* network = outbound: the provider (host pid), else 0 */
	unsigned long long net_start; /* its starttime */
	long long idle;            /* the keeper's --idle; -1: not recorded (an older module's) */
	/* The keeper's pidfs inode, on a kernel that names a process by one (0: not recorded). */
	uint64_t pidfs_ino;
	uint64_t pidfs_dev;
	char boot[NSJ_BOOT_ID_LEN + 1]; /* the boot it is from (/proc/sys/kernel/random/boot_id) */
	/* Not recorded: set by the login path when the recorded provider had died. */
	pid_t net_old;             /* the provider that died, or 0 */
	bool net_gone;             /* ...and could not be restarted: net_error says why */
	char net_error[256];
	/* Not recorded: why the recorded set was not trusted, when the login replaced it. */
	char replaced[256];
	/* Not recorded: the systemd scope a set made by this login went into ("" without one). */
	char scope[64];
};

/*
 * Open pin_dir as an O_RDONLY|O_DIRECTORY fd, refusing a symlink, a non-directory, an owner other
 * than root, or group/other write. With create, a missing pin_dir (not its parents) is made
 * root:root 0700. The caller closes the fd.
 */
/*
 * Open the directory path (absolute, no symlink) that must be root's with none of the mode bits
 * in forbid; made root 0700 first when create. what names it in messages.
 */
int nsj_root_dir_open(const char *path, const char *what, bool create, mode_t forbid,
		      struct nsj_err *err);
int nsj_pindir_open(const char *pin_dir, bool create, struct nsj_err *err);

/*
 * Lock the per-uid record directory <pin_dir>/<uid> (made when missing and create is set) with
 * flock(LOCK_EX); retries when the directory was removed while waiting. Returns the locked
 * directory fd (closing it unlocks), -ENOENT when it does not exist and !create.
 */
int nsj_user_lock(int pindir, uid_t uid, bool create, struct nsj_err *err);

/* Read / write (atomically, via rename) <udir>/keeper. Read: -ENOENT when there is none. */
int nsj_record_read(int udir, struct nsj_record *r, struct nsj_err *err);
int nsj_record_write(int udir, const struct nsj_record *r, struct nsj_err *err);
/* Remove the record and the (locked) directory <pin_dir>/<uid>. */
int nsj_record_remove(int pindir, uid_t uid, int udir, struct nsj_err *err);

/* List the uids that have a record directory; *uids is malloc'd. */
int nsj_record_list(int pindir, uid_t **uids, size_t *n, struct nsj_err *err);

/* ---- keepers (keeper_ctl.c) ----------------------------------------------------------- */

/*
 * Is the process recorded in r the keeper the module started? Opens a pidfd first. A record
 * with the keeper's pidfs inode (nsj_pidfd_ident) is checked by that inode and the boot id,
 * then that the process is owned by root and has not exited. Any other record: starttime, PID 1
 * of its PID namespace, owned by root, not a zombie, and namespace inodes equal to the record's.
 * On success returns a pidfd (O_CLOEXEC) that is pinned to that very process; -ESRCH when it is
 * gone or is another process (a stale record). Runs in a process that sees the host's /proc.
 */
int nsj_keeper_verify(const struct nsj_record *r, struct nsj_err *err);
/*
 * Fill r->pidfs_ino, pidfs_dev and boot from the new keeper's pidfd: 0, or -EOPNOTSUPP where
 * the kernel has no pidfs (< 6.9) or its inode numbers can be reused (32-bit), and the fields
 * stay empty (the keeper is then verified by its start time and the rest).
 */
int nsj_pidfd_ident(int pidfd, struct nsj_record *r);

/*
 * Read uid's record from its locked directory udir and verify its keeper: a pidfd when the set
 * is alive; -ESRCH when the keeper is gone or is another process (stale); -ENOENT when there is
 * no record; -EINVAL/-EPERM when the record is malformed or untrusted; else -errno.
 */
int nsj_record_check(int udir, uid_t uid, struct nsj_record *r, struct nsj_err *err);

/* Read the namespace inodes of pid from /proc/PID/ns into r (kinds in r->kinds). */
int nsj_ns_read(pid_t pid, struct nsj_record *r, struct nsj_err *err);

/* Number of processes in the keeper's PID namespace other than the keeper (host /proc). */
int nsj_keeper_count_procs(const struct nsj_record *r);

/*
 * Every process's namespace of one kind, from one pass over the host's /proc: what counting
 * the processes of many sets needs (nsjailctl list), where a pass per set made 1000 sets take
 * 10 s. Taken for the kind a set is counted by (its PID namespace, else its mount namespace).
 */
struct nsj_census_entry {
	uint64_t dev, ino;
	pid_t pid;
};
struct nsj_census {
	enum nsj_ns kind;
	struct nsj_census_entry *e; /* sorted by dev, ino */
	size_t n;
};
int nsj_census_take(enum nsj_ns kind, struct nsj_census *c);
/* The kind r's processes are counted by (the census to take for it). */
enum nsj_ns nsj_census_kind(const struct nsj_record *r);
/* The processes of r's set other than its keeper, from a census of nsj_census_kind(r). */
int nsj_census_count(const struct nsj_census *c, const struct nsj_record *r);
void nsj_census_free(struct nsj_census *c);

/*
 * End a set: SIGTERM to the keeper, wait up to timeout_ms for it to exit, then SIGKILL (the
 * kernel then kills every process of its PID namespace). pidfd is not closed.
 */
int nsj_keeper_stop(int pidfd, int timeout_ms, struct nsj_err *err);

/*
 * Before a join (a login, nsjailctl enter): restart the idle clock of the keeper recorded in r
 * (SIGUSR1, keeper.c), if it has one; a keeper without (r->idle == 0) is not woken.
 */
void nsj_keeper_touch(int pidfd, const struct nsj_record *r);

/* ---- the network provider of network = outbound (net.c) ----------------------------- */

/* The addresses slirp4netns --configure gives a set (its defaults). */
#define NSJ_NET_ADDR "10.0.2.100/24"
#define NSJ_NET_GATEWAY "10.0.2.2"
#define NSJ_NET_DNS "10.0.2.3"

/* Is the provider installed: a root-owned executable regular file not writable by others? */
int nsj_net_provider_check(struct nsj_err *err);

/*
 * Is the provider recorded in r (r->net_pid) still that process? 1 alive, 0 gone (its pid gone
 * or another process now), -errno. Runs where the host's /proc is seen.
 */
int nsj_net_provider_alive(const struct nsj_record *r);

/*
 * Start a new provider for the set of r, whose keeper is pidfd (verified), when the recorded
 * one died: it ends with the keeper as the first one would have (its exit pipe's read end is
 * taken from the keeper with pidfd_getfd). Fills r->net_pid and r->net_start (the caller
 * records them) and, if npfd is not NULL, *npfd with a pidfd of the new provider, held since
 * it was reported (the caller closes it). Runs in the module before it joins: root, the host's
 * namespaces.
 */
int nsj_net_restart(int pidfd, struct nsj_record *r, int *npfd, struct nsj_err *err);

/*
 * The provider npid, just reported started, as r's: recognised later as the keeper is, by its
 * pid and start time. -ESRCH ("died at start") when it is already gone.
 */
int nsj_net_adopt(struct nsj_record *r, pid_t npid, struct nsj_err *err);

/*
 * The login path, under the user's lock, before it joins (set.c): when the provider recorded in
 * r is gone, start another (nsj_net_restart()), record it in udir and move it into the keeper's
 * scope. A failure leaves the set as it is and says why in r (net_gone, net_error).
 */
void nsj_net_revive(int udir, int pidfd, struct nsj_record *r);

/*
 * nsjailctl check: every section in which network = outbound takes effect, when the provider is
 * not installed, gets one "FILE:LINE: section: reason" line. 0 when there is nothing to say.
 */
int nsj_config_check_network(const struct nsj_config *c, struct nsj_err *err);

/*
 * The IPv4 addresses of the set's network namespace as "lo 127.0.0.1/8, tap0 10.0.2.100/24",
 * read by a child forked into it (nsjailctl; the caller is single-threaded).
 */
int nsj_net_addresses(const struct nsj_record *r, char *buf, size_t size, struct nsj_err *err);

/* ---- sets (set.c) --------------------------------------------------------------------- */

/*
 * Create a set for user u under policy p: new namespaces, the mounts, hostname and hosts file
 * inside, and nsjail-keeper exec'd as PID 1. Runs in the caller (root, host namespaces); forks
 * twice so that the keeper is not the caller's child. Fills r (not yet written) and returns a
 * pidfd on the keeper; *commitfd is the write end of the keeper's commit pipe: write 'c' to it
 * once the set is recorded, or close it to make the keeper exit. SIGCHLD is saved and restored
 * around the fork.
 */
int nsj_set_create(const struct nsj_policy *p, const struct nsj_user *u, struct nsj_record *r,
		   int *commitfd, struct nsj_err *err);

/*
 * Move the calling process into the keeper's namespaces (mnt last); its children then live in
 * the set's PID namespace. Fails closed with a clear message when the caller has more than one
 * thread. pidfd from nsj_keeper_verify() or nsj_set_create().
 */
int nsj_set_join(int pidfd, const struct nsj_record *r, struct nsj_err *err);

/* ---- systemd (scope.c) ----------------------------------------------------------------- */

/* The PAM environment variable naming a user manager's keeper: "PID STARTTIME". */
#define NSJ_USERMAN_ENV "NSJAIL_KEEPER"
/* Whether systemd is PID 1 (/run/systemd/system is a directory, as sd_booted() checks). */
bool nsj_systemd_booted(void);
/*
 * In the module, on the host's side, before a new set is committed: where systemd is PID 1, move
 * the keeper (its pid as the host sees it) into nsjail-UID.scope in user-UID.slice and wait until
 * it is there (nsjail-scope does the D-Bus call); with its network provider (> 0), that too.
 * attach: only the provider, restarted, gets a scope of its own. 0 also where systemd is not
 * PID 1. The unit's name goes to unit (size bytes; "" when nothing was done), if not NULL.
 */
int nsj_scope_move(pid_t keeper, pid_t provider, bool attach, uid_t uid, char *unit, size_t size,
		   struct nsj_err *err);
/*
 * The namespaces of kinds (a set's) that a session joins itself: all of them, except for the
 * session of a user manager (p->user_manager) in a set with a PID namespace: then neither mnt,
 * pid nor cgroup (nsjail-userman joins mnt and pid for the manager).
 */
unsigned nsj_userman_join_kinds(const struct nsj_policy *p, unsigned kinds);

enum nsj_action { NSJ_ACT_CREATED, NSJ_ACT_JOINED, NSJ_ACT_REPAIRED, NSJ_ACT_INSIDE };
const char *nsj_action_name(enum nsj_action a);

/*
 * The login path: lock the user's record, verify and join an existing set or create (and
 * record) a new one, unlock. With !p->persist a fresh unrecorded set is made every time. A
 * caller that is already inside u's set (su from a jailed shell) stays where it is
 * (NSJ_ACT_INSIDE); one inside another user's set is refused, since a PID namespace cannot be
 * left. On success returns 0, fills r, *action and *pidfd (a pidfd on the keeper, or -1 for
 * NSJ_ACT_INSIDE; the caller closes it), and for a set of the session's own (!p->persist) *hold:
 * an fd to keep for as long as the session (O_CLOEXEC; -1 otherwise): once no process holds it,
 * the keeper ends the set with its last process (a session that never reaches its close).
 * The caller ends up in the set. With p->from_record,
 * -ESTALE (nothing done, no message) when the set would have to be made, or its record under
 * the lock is not of p's config and section: resolve in full and call again.
 */
int nsj_session_open(const struct nsj_policy *p, const struct nsj_user *u, struct nsj_record *r,
		     enum nsj_action *action, int *pidfd, int *hold, struct nsj_err *err);

/*
 * Tear down the set of uid recorded under pin_dir (nsjailctl reset): lock, verify, stop the
 * keeper, remove the record. -ENOENT when there is no record.
 */
int nsj_set_reset(const char *pin_dir, uid_t uid, int timeout_ms, struct nsj_err *err);

/* ---- the policy of a live set (live.c) ------------------------------------------------ */

/*
 * Read the record of uid's set under pin_dir without taking its lock, in one openat2() of
 * <pin_dir>/<uid>/keeper that follows no symlink (where openat2 is missing, O_NOFOLLOW on the
 * last component only), the record file checked, the directories not (record.c): a hint
 * only, which nsj_session_open() checks again under the lock. 0, or -errno (no message: no
 * set, or none readable, only means the policy is resolved in full). Runs as root in the host
 * namespaces.
 */
int nsj_live_peek(const char *pin_dir, uid_t uid, struct nsj_record *r);

/*
 * nsj_policy_resolve() for a login, given the record of u's live set (NULL: none). When the
 * record says it was made under this very config text (text_hash), for this user name, from a
 * group section or default, and the config has group sections but no user section for u, the
 * policy comes from that section without looking up u's groups (p->from_record): a rejoin
 * costs no NSS group enumeration. Otherwise it is resolved in full. No I/O of its own.
 */
int nsj_policy_resolve_live(const struct nsj_config *c, const struct nsj_user *u,
			    const struct nsj_record *live, struct nsj_policy *p, struct nsj_err *err);

/* Was the set recorded in r made under policy p (same config text, same section)? */
bool nsj_record_policy_is(const struct nsj_record *r, const struct nsj_policy *p);

/* ---- the account phase (account.c) ----------------------------------------------------- */

/*
 * 1 and *owner when the calling process's mount namespace is a set's (the set-owner mark under
 * pin_dir, see setup.h), else 0. Any process; no side effects.
 */
int nsj_set_owner(const char *pin_dir, uid_t *owner);

/*
 * Would open_session for u certainly be refused, from where the caller is? -EPERM with the
 * reason when the caller is inside another user's set and the policy jails u; a policy that
 * cannot be resolved is its -errno; else 0. Runs in the caller; no side effects.
 */
int nsj_account_check(const struct nsj_config *c, const struct nsj_user *u, struct nsj_err *err);

/* ---- misc (util.c) -------------------------------------------------------------------- */

/* write() all of buf: 0 or -errno; a pipe whose reader died gives -EPIPE, never a SIGPIPE. */
int nsj_write_all(int fd, const void *buf, size_t len);
/* read() until len bytes or end of file: the count, or -errno. */
ssize_t nsj_read_full(int fd, void *buf, size_t len);
/* pipe2(O_CLOEXEC) with both ends above stdio (the caller may have closed 0-2). */
int nsj_pipe_above_stdio(int fds[2]);
/*
 * posix_spawn a helper (vfork-style: nothing of the caller is copied) with an empty environment,
 * stdin on in (or /dev/null when in < 0), stdout on out, stderr on /dev/null, pass[i] on fd
 * 3 + i (their sources must be above 2 + npass) and no other fd, every signal at its default,
 * and all of them blocked (block_all) or none. 0 or an errno.
 */
int nsj_spawn(const char *path, char *const argv[], int in, int out, const int *pass, int npass,
	      bool block_all, pid_t *pid);
/* Threads of the calling process (from /proc/self/task); -errno on failure. */
int nsj_thread_count(void);
/* pidfd_send_signal(2) without siginfo: 0, or -1 with errno. */
int nsj_pidfd_signal(int pidfd, int sig);
/* starttime of pid (field 22 of /proc/PID/stat) and its state letter. */
int nsj_proc_start(pid_t pid, unsigned long long *start, char *state);
uint64_t nsj_now_us(void);
/* Parse "512M", "64k", "1G", "1048576" into bytes; -EINVAL on anything else. */
int nsj_parse_size(const char *s, uint64_t *out);
/* FNV-1a, 64 bits: the config text's hash (struct nsj_config.text_hash; live.c). */
uint64_t nsj_text_hash(const void *text, size_t len);

#endif
