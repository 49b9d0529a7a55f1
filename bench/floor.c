/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * floor — the kernel work of a login done directly, without PAM or the module: what the module
 * cannot go below.
 *
 *   floor join -p PID [-n COUNT]     pidfd_open(PID) + setns(pidfd, mnt|ipc|uts|pid)
 *   floor joinproc -p PID [-n COUNT] open /proc/PID/ns/{pid,uts,ipc,mnt} + 4 setns
 *   floor create -k KEEPER [-n COUNT] clone(NEWPID|NEWNS|NEWIPC|NEWUTS); in the child: rslave /,
 *                                    proc on /proc, tmpfs on /tmp, sethostname, execve(KEEPER);
 *                                    timed until the exec closes the CLOEXEC pipe, as the module
 *                                    waits for it. The keeper is then killed (not timed).
 *   floor unshare [-r] [-n COUNT]     unshare(CLONE_NEWNS), the host's cost of a new mount ns;
 *                                    -r: each followed by an unshare from floor's private
 *                                    namespace (below), a copy of the same mounts that shares
 *                                    nothing: what the kernel's own state (every namespace on
 *                                    the machine) adds, printed as "unshareref" (and
 *                                    "unsharenorm", "unshareexcess" as for mountpair)
 *   floor mountpair -d DIR [-r] [-n COUNT] mount(2) of a tmpfs on DIR + umount(2): what one
 *                                    host mount event costs the host (every receiving set adds a
 *                                    copy). -r: each sample is followed by the same pair in a
 *                                    private mount namespace of floor's own (made once, joined
 *                                    before the clock starts), where nothing propagates: a
 *                                    reference, printed as "mountpairref", that moves with the
 *                                    machine (on a VM the pair's median jumps between ~48 and
 *                                    ~80 µs from one batch to the next, the reference with it).
 *                                    Also "mountpairnorm" and "mountpairexcess": the figures of
 *                                    each sample over (minus) its own reference
 *   floor withpidfd PID CMD [ARGS]   exec CMD with a pidfd on PID at fd 100, NSJ_BENCH_PIDFD=100
 *                                    and NSJ_BENCH_PID=PID in its environment (cg-shim.c)
 *
 * Each sample runs in a fresh forked child (setns and unshare change the caller). Prints
 *   LABEL n=COUNT min=.. med=.. p90=.. mean=.. wmed=.. fail=0
 * in microseconds: the timed syscalls inside the child, and wmed the whole child (fork to
 * reaped) as the parent saw it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* prec: the decimals (1 for µs; more for a ratio) */
static void report(const char *label, double *in, double *whole, unsigned n, int prec)
{
	double sum = 0;
	unsigned k90 = (unsigned)(0.9 * n + 0.999999);

	for (unsigned i = 0; i < n; i++)
		sum += in[i];
	qsort(in, n, sizeof(double), cmp_d);
	qsort(whole, n, sizeof(double), cmp_d);
	printf("%s n=%u min=%.*f med=%.*f p90=%.*f mean=%.*f wmed=%.*f fail=0\n", label, n, prec, in[0],
	       prec, n % 2 ? in[n / 2] : (in[n / 2 - 1] + in[n / 2]) / 2, prec, in[(k90 ? k90 : 1) - 1],
	       prec, sum / n, prec, n % 2 ? whole[n / 2] : (whole[n / 2 - 1] + whole[n / 2]) / 2);
}

_Noreturn static void die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void reap(pid_t pid, int must_succeed)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	if (must_succeed && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		fprintf(stderr, "floor: child failed (status %d)\n", status);
		exit(1);
	}
}

/*
 * In a child: the timed work for join/joinproc/unshare/mountpair; the time goes to *slot.
 * refns >= 0: the mount namespace to join first, off the clock (mountpair -r's reference).
 */
static int child_work(const char *mode, pid_t target, const char *dir, int refns, double *slot)
{
	const int kinds = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID;
	double t0;

	if (refns >= 0 && setns(refns, CLONE_NEWNS) < 0)
		return 1;
	t0 = now_us();

	if (strcmp(mode, "join") == 0) {
		int fd = (int)syscall(SYS_pidfd_open, target, 0);
		if (fd < 0 || setns(fd, kinds) < 0)
			return 1;
		*slot = now_us() - t0;
		close(fd);
	} else if (strcmp(mode, "joinproc") == 0) {
		static const char *const names[] = { "pid", "uts", "ipc", "mnt" };
		static const int flags[] = { CLONE_NEWPID, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNS };
		int fds[4];
		char path[64];
		for (int i = 0; i < 4; i++) {
			snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)target, names[i]);
			if ((fds[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
				return 1;
		}
		for (int i = 0; i < 4; i++)
			if (setns(fds[i], flags[i]) < 0)
				return 1;
		*slot = now_us() - t0;
	} else if (strcmp(mode, "unshare") == 0) {
		if (unshare(CLONE_NEWNS) < 0)
			return 1;
		*slot = now_us() - t0;
	} else if (strcmp(mode, "mountpair") == 0) {
		if (mount("floor-bench", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") < 0 ||
		    umount2(dir, 0) < 0)
			return 1;
		*slot = now_us() - t0;
	} else {
		return 2;
	}
	return 0;
}

/* In the clone()d child: what K does before it execs the keeper. */
_Noreturn static void create_child(const char *keeper, int wfd)
{
	char *const argv[] = { (char *)"nsjail-keeper", (char *)"--uid", (char *)"0", (char *)"--pin-dir",
			       (char *)"/run/pam_nsjail", (char *)"--no-record", NULL };
	char *const envp[] = { NULL };
	const char *step = "rslave /";

	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		goto fail;
	step = "mount /proc";
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		goto fail;
	step = "tmpfs /tmp";
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=512M") < 0)
		goto fail;
	step = "sethostname";
	if (sethostname("floor-bench", 11) < 0)
		goto fail;
	step = "execve";
	execve(keeper, argv, envp);
fail:
	dprintf(wfd, "%s: %s", step, strerror(errno));
	_exit(1);
}

/*
 * A child that holds a private mount namespace (a copy of ours, nothing shared) until floor
 * exits; the namespace's fd (CLOEXEC) in *nsfd. Its pid, for the kill at the end.
 */
static pid_t private_ns(int *nsfd)
{
	char path[64], c;
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(p[0]);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		fprintf(stderr, "floor: the private mount namespace could not be made\n");
		exit(1);
	}
	close(p[0]);
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	*nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (*nsfd < 0)
		die(path);
	return pid;
}

int main(int argc, char **argv)
{
	const char *keeper = NULL, *mode, *dir = NULL;
	unsigned count = 100;
	pid_t target = 0, holder = 0;
	int opt, ref = 0, refns = -1;

	if (argc < 2) {
		fprintf(stderr, "usage: floor join|joinproc|unshare|create|mountpair [-p PID] [-k KEEPER] [-d DIR] [-r] [-n COUNT]\n");
		return 2;
	}
	mode = argv[1];
	if (strcmp(mode, "withpidfd") == 0 && argc >= 4) {
		int fd = (int)syscall(SYS_pidfd_open, (pid_t)atoi(argv[2]), 0);
		if (fd < 0 || dup2(fd, 100) < 0)
			die("pidfd_open");
		setenv("NSJ_BENCH_PIDFD", "100", 1);
		setenv("NSJ_BENCH_PID", argv[2], 1);
		execvp(argv[3], argv + 3);
		die(argv[3]);
	}
	optind = 2;
	while ((opt = getopt(argc, argv, "p:k:n:d:r")) != -1) {
		switch (opt) {
		case 'd': dir = optarg; break;
		case 'r': ref = 1; break;
		case 'p': target = (pid_t)atoi(optarg); break;
		case 'k': keeper = optarg; break;
		case 'n': count = (unsigned)strtoul(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (count == 0 || (strcmp(mode, "create") == 0 && keeper == NULL) ||
	    (strcmp(mode, "mountpair") == 0 && dir == NULL) ||
	    ((strcmp(mode, "join") == 0 || strcmp(mode, "joinproc") == 0) && target <= 0)) {
		fprintf(stderr, "floor: missing -k KEEPER, -p PID or -d DIR\n");
		return 2;
	}
	if (ref && strcmp(mode, "mountpair") != 0 && strcmp(mode, "unshare") != 0) {
		fprintf(stderr, "floor: -r is for mountpair and unshare\n");
		return 2;
	}
	double *in = calloc(count, sizeof(double)), *whole = calloc(count, sizeof(double));
	double *rin = calloc(count, sizeof(double)), *rwhole = calloc(count, sizeof(double));
	double *slot = mmap(NULL, sizeof(double), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (in == NULL || whole == NULL || rin == NULL || rwhole == NULL || slot == MAP_FAILED)
		die("memory");
	if (ref)
		holder = private_ns(&refns);

	for (unsigned i = 0; i < count; i++) {
		double t0 = now_us();
		pid_t pid;

		if (strcmp(mode, "create") == 0) {
			const long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;
			char msg[256];
			ssize_t n, len = 0;
			int p[2];

			if (pipe2(p, O_CLOEXEC) < 0)
				die("pipe");
			t0 = now_us();
			pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
			if (pid < 0)
				die("clone");
			if (pid == 0) {
				close(p[0]);
				create_child(keeper, p[1]);
			}
			close(p[1]);
			while ((n = read(p[0], msg + len, sizeof(msg) - 1 - (size_t)len)) != 0) {
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0)
					die("read");
				len += n;
			}
			in[i] = now_us() - t0;
			close(p[0]);
			if (len > 0) {
				msg[len] = '\0';
				fprintf(stderr, "floor: create: %s\n", msg);
				return 1;
			}
			kill(pid, SIGKILL);
			reap(pid, 0);
			whole[i] = now_us() - t0;
			continue;
		}
		/* the sample, then (-r) its reference right after it */
		for (int k = 0; k <= ref; k++) {
			t0 = now_us();
			*slot = -1;
			pid = fork();
			if (pid < 0)
				die("fork");
			if (pid == 0)
				_exit(child_work(mode, target, dir, k ? refns : -1, slot));
			reap(pid, 1);
			(k ? rwhole : whole)[i] = now_us() - t0;
			(k ? rin : in)[i] = *slot;
		}
	}
	if (!ref) {
		report(mode, in, whole, count, 1);
		return 0;
	}
	/*
	 * Each sample against its own reference, taken right after it: on this VM the two are in the
	 * same of the machine's two modes at 96-100 % of the samples, even in a batch split half and
	 * half between them, where the medians of the two columns can land in different modes.
	 * (report() sorts what it is given: these first.) Their "wmed" is that of the same figure:
	 * there is no whole child of a ratio.
	 */
	double *norm = calloc(count, sizeof(double)), *excess = calloc(count, sizeof(double));
	char label[32];

	if (norm == NULL || excess == NULL)
		die("memory");
	for (unsigned i = 0; i < count; i++) {
		norm[i] = rin[i] > 0 ? in[i] / rin[i] : 0;
		excess[i] = in[i] - rin[i];
	}
	report(mode, in, whole, count, 1);
	snprintf(label, sizeof(label), "%sref", mode);
	report(label, rin, rwhole, count, 1);
	snprintf(label, sizeof(label), "%snorm", mode);
	memcpy(rwhole, norm, count * sizeof(double));
	report(label, norm, rwhole, count, 4);
	snprintf(label, sizeof(label), "%sexcess", mode);
	memcpy(rwhole, excess, count * sizeof(double));
	report(label, excess, rwhole, count, 1);
	kill(holder, SIGKILL);
	reap(holder, 0);
	return 0;
}
