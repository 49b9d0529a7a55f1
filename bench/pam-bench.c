/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pam-bench — PAM session latency, one login per freshly forked child (as sshd's monitor).
 *
 *   pam-bench [-c] [-d CONFDIR] [-n COUNT] [-w WARMUP] [-b BASE] [-s FILE] LABEL=SERVICE:USER ...
 *   pam-bench -1 [-c] [-d CONFDIR] SERVICE USER
 *
 * For each of COUNT rounds, and for each case in turn (cases are interleaved, so that a noisy
 * machine disturbs every case alike, in an order shuffled anew every round: a login measured
 * right after another module's login ran slower on this VM than the same login right after
 * pam_permit's, so that a fixed order favoured whichever case came first), forks a child that
 * calls
 * pam_start_confdir + pam_acct_mgmt + pam_open_session + pam_close_session + pam_end (the
 * account phase first, as sshd, su and sudo run it) and exits. The child starts in the state
 * every caller of a session (sshd, su, login, cron, sudo) is in by then: it has looked a user
 * up (NSS initialised, nsswitch.conf read; with nscd, its cache mapped) and it has logged (a
 * syslog socket connected, the time zone loaded), so that a module's look-up and log lines cost
 * what they cost in those callers. pam-bench does that once, before it forks (caller_state()),
 * so that none of it is in a child's figures; and before each fork it looks up the user of that
 * login, as those callers have (with nscd: the user is in its cache). -c leaves both out (a cold
 * child: the first look-up and log line of the process). A USER with
 * "%d" in it names a different user at every login of that case: BASE, BASE+1, ... (first
 * logins); "bu%d@500" starts that case at 500 instead of BASE. WARMUP rounds are run first and
 * not counted.
 *
 * Prints one line per case, times in microseconds:
 *   LABEL n=COUNT min=.. med=.. p90=.. mean=.. wmed=.. cpu=.. flt=.. fail=F
 * where min/med/p90/mean time the five PAM calls inside the child, wmed is the median of the
 * whole child as its parent sees it (fork to reaped), and cpu the median CPU time (user + system,
 * from wait4) of the child and the children it reaped: on a busy machine a figure that waiting
 * for a CPU does not inflate; flt the median count of minor page faults of the same. -s FILE
 * appends every sample ("LABEL in whole cpu flt"). The order is the same at every run (a fixed
 * seed).
 * Exits 1 when any login failed (the first failure's message is on stderr).
 *
 * -1 runs one session in this very process (no fork): what callgrind counts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

struct bcase {
	const char *label, *service, *user;
	double *in, *whole, *cpu; /* samples (µs) */
	double *flt;              /* minor page faults of the child (and what it reaped) */
	unsigned n, fail, next_user, base;
};

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)msg;
	(void)data;
	*resp = calloc((size_t)n, sizeof(**resp));
	return *resp ? PAM_SUCCESS : PAM_BUF_ERR;
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* One whole session; 0 or the step that failed (1 start, 2 open, 3 close, 4 account). */
static int session(const char *confdir, const char *service, const char *user, int quiet)
{
	struct pam_conv c = { conv, NULL };
	pam_handle_t *h = NULL;
	int ret;

	ret = pam_start_confdir(service, user, &c, confdir, &h);
	if (ret != PAM_SUCCESS) {
		if (!quiet)
			fprintf(stderr, "pam-bench: %s/%s: pam_start: %s\n", service, user, pam_strerror(h, ret));
		return 1;
	}
	ret = pam_acct_mgmt(h, 0);
	if (ret != PAM_SUCCESS) {
		if (!quiet)
			fprintf(stderr, "pam-bench: %s/%s: acct_mgmt: %s\n", service, user,
				pam_strerror(h, ret));
		pam_end(h, ret);
		return 4;
	}
	ret = pam_open_session(h, 0);
	if (ret != PAM_SUCCESS) {
		if (!quiet)
			fprintf(stderr, "pam-bench: %s/%s: open_session: %s\n", service, user,
				pam_strerror(h, ret));
		pam_end(h, ret);
		return 2;
	}
	ret = pam_close_session(h, 0);
	if (ret != PAM_SUCCESS) {
		if (!quiet)
			fprintf(stderr, "pam-bench: %s/%s: close_session: %s\n", service, user,
				pam_strerror(h, ret));
		pam_end(h, ret);
		return 3;
	}
	pam_end(h, PAM_SUCCESS);
	return 0;
}

/*
 * What the caller of a session has done in its process before it opens one (see the top): a
 * user looked up, and a log line sent (openlog's LOG_NDELAY connects /dev/log as a first
 * syslog() would; tzset loads the time zone that syslog's time stamp needs). Nothing is sent.
 * NSS's files source keeps no entries: the module's own look-up still reads /etc/passwd.
 */
static int cold;

static void caller_state(void)
{
	(void)getpwnam("root");
	tzset();
	openlog("pam-bench", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

/* One login of case c in a fresh child. Returns 0 on success. */
static int one(struct bcase *c, const char *confdir, double *slot, double *in, double *whole,
	       double *cpu, double *flt, int quiet)
{
	struct rusage ru;
	char user[256];
	int status;
	double t0;
	pid_t pid;

	const char *pct = strstr(c->user, "%d");
	if (pct)
		snprintf(user, sizeof(user), "%.*s%u%s", (int)(pct - c->user), c->user,
			 c->base + c->next_user++, pct + 2);
	else
		snprintf(user, sizeof(user), "%s", c->user);
	/*
	 * The caller has looked this very user up before it opens the session (sshd before it
	 * authenticates, su, login and cron before PAM). With nscd that leaves the user in its
	 * cache, where the module's look-up then finds it; the files source keeps nothing, so
	 * there it changes nothing. Done here, in the parent: in no child's figures.
	 */
	if (!cold)
		(void)getpwnam(user);
	*slot = -1;
	t0 = now_us();
	pid = fork();
	if (pid < 0) {
		perror("pam-bench: fork");
		exit(1);
	}
	if (pid == 0) {
		double a = now_us();
		int r = session(confdir, c->service, user, quiet);
		*slot = now_us() - a;
		_exit(r);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("pam-bench: wait4");
			exit(1);
		}
	*whole = now_us() - t0;
	*cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	*flt = (double)ru.ru_minflt;
	*in = *slot;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 && *slot >= 0 ? 0 : -1;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(const double *s, unsigned n, double p)
{
	/* nearest-rank: the smallest sample with at least p of the samples at or below it */
	unsigned k = (unsigned)(p * n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return s[k - 1];
}

static double median(double *s, unsigned n)
{
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Fisher-Yates, from a seed of the caller's: the same orders at every run. */
static void shuffle(unsigned *v, unsigned n, unsigned *seed)
{
	for (unsigned i = n; i > 1; i--) {
		unsigned j = (unsigned)rand_r(seed) % i, t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: pam-bench [-c] [-d CONFDIR] [-n COUNT] [-w WARMUP] [-b BASE] [-s FILE] "
			"LABEL=SERVICE:USER ...\n       pam-bench -1 [-c] [-d CONFDIR] SERVICE USER\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *confdir = NULL, *samples = NULL;
	unsigned count = 100, warmup = 0, base = 0;
	int opt, inproc = 0, failed = 0;
	double *slot;

	while ((opt = getopt(argc, argv, "1cd:n:w:b:s:")) != -1) {
		switch (opt) {
		case '1': inproc = 1; break;
		case 'c': cold = 1; break;
		case 'd': confdir = optarg; break;
		case 'n': count = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'w': warmup = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'b': base = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': samples = optarg; break;
		default: usage();
		}
	}
	if (inproc) {
		if (argc - optind != 2)
			usage();
		if (!cold)
			caller_state(); /* as for a forked child */
		return session(confdir, argv[optind], argv[optind + 1], 0) ? 1 : 0;
	}
	if (!cold)
		caller_state(); /* inherited by every child */
	unsigned ncase = (unsigned)(argc - optind);
	if (ncase == 0 || count == 0)
		usage();
	struct bcase *cases = calloc(ncase, sizeof(*cases));
	for (unsigned i = 0; i < ncase; i++) {
		char *spec = strdup(argv[optind + i]), *eq = strchr(spec, '='), *colon;
		if (eq == NULL || (colon = strchr(eq + 1, ':')) == NULL)
			usage();
		*eq = *colon = '\0';
		cases[i].label = spec;
		cases[i].service = eq + 1;
		cases[i].user = colon + 1;
		cases[i].base = base;
		char *at = strchr(colon + 1, '@');
		if (at) {
			*at = '\0';
			cases[i].base = (unsigned)strtoul(at + 1, NULL, 10);
		}
		cases[i].in = calloc(count, sizeof(double));
		cases[i].whole = calloc(count, sizeof(double));
		cases[i].cpu = calloc(count, sizeof(double));
		cases[i].flt = calloc(count, sizeof(double));
	}
	slot = mmap(NULL, sizeof(double), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (slot == MAP_FAILED) {
		perror("pam-bench: mmap");
		return 1;
	}
	unsigned *order = calloc(ncase, sizeof(*order)), seed = 1;
	if (order == NULL) {
		perror("pam-bench: calloc");
		return 1;
	}
	for (unsigned i = 0; i < ncase; i++)
		order[i] = i;
	for (unsigned r = 0; r < warmup + count; r++) {
		shuffle(order, ncase, &seed);
		for (unsigned o = 0; o < ncase; o++) {
			struct bcase *c = &cases[order[o]];
			double in, whole, cpu, flt;
			if (one(c, confdir, slot, &in, &whole, &cpu, &flt, c->fail > 0) < 0) {
				c->fail++;
				continue;
			}
			if (r >= warmup) {
				c->in[c->n] = in;
				c->whole[c->n] = whole;
				c->cpu[c->n] = cpu;
				c->flt[c->n] = flt;
				c->n++;
			}
		}
	}
	FILE *sf = samples ? fopen(samples, "a") : NULL;
	for (unsigned i = 0; i < ncase; i++) {
		struct bcase *c = &cases[i];
		double sum = 0;
		if (sf)
			for (unsigned k = 0; k < c->n; k++)
				fprintf(sf, "%s %.1f %.1f %.1f %.0f\n", c->label, c->in[k], c->whole[k], c->cpu[k],
					c->flt[k]);
		failed |= c->fail > 0;
		if (c->n == 0) {
			printf("%s n=0 min=0 med=0 p90=0 mean=0 wmed=0 cpu=0 flt=0 fail=%u\n", c->label, c->fail);
			continue;
		}
		for (unsigned k = 0; k < c->n; k++)
			sum += c->in[k];
		qsort(c->in, c->n, sizeof(double), cmp_d);
		qsort(c->whole, c->n, sizeof(double), cmp_d);
		qsort(c->cpu, c->n, sizeof(double), cmp_d);
		qsort(c->flt, c->n, sizeof(double), cmp_d);
		printf("%s n=%u min=%.1f med=%.1f p90=%.1f mean=%.1f wmed=%.1f cpu=%.1f flt=%.0f fail=%u\n",
		       c->label, c->n, c->in[0], median(c->in, c->n), pct(c->in, c->n, 0.9), sum / c->n,
		       median(c->whole, c->n), median(c->cpu, c->n), median(c->flt, c->n), c->fail);
	}
	if (sf)
		fclose(sf);
	return failed;
}
