/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * san-preload — sanitizer settings of a test world in a sanitizer build (make check SANITIZE=1).
 *
 * tests/world lists this library first in the world's own /etc/ld.so.preload, the ASan runtime
 * second, so that every dynamic program of the world carries the runtime: pamtester, sshd and
 * its children, su and login (setuid, started by a user too), which load the instrumented
 * module. Listed first, this library's __asan_default_options() and __ubsan_default_options()
 * are the ones the runtimes find (only the executable and LD_PRELOAD come before it in the
 * global scope), whatever environment a program was given: sshd, su - and login clean it, a
 * keeper has none. ASAN_OPTIONS and UBSAN_OPTIONS in the environment still override them, flag
 * by flag.
 *
 * Every report goes to SAN_LOG.PID (tests/world fails the test when one is there) and aborts
 * the process. LeakSanitizer is on only in PROGRAMS, ours, which are instrumented: pam-harness
 * loads the module for most logins of the suite (joined, denied, skipped, root's fallback); the
 * other callers and programs of a world (pamtester, bash, coreutils) have leaks of their own at
 * exit, which are not what is tested here.
 *
 * A process that has joined a set cannot see itself in the set's /proc, and LeakSanitizer's
 * exit-time check then spins for ever (it lists the process's threads there, and its tracer
 * thread would be born in the set's PID namespace). __lsan_is_turned_off() mends that for the
 * check: it moves the exiting process into a mount namespace of its own with a /proc of its own
 * PID namespace, and its children's PID namespace back to that one. Where that cannot be done
 * (not root, threads) the check is skipped rather than hung.
 *
 * UBSan's reports: with ASan in the same process (GCC 12), libubsan's log_path goes into
 * libasan's copy of the report file (the exported __sanitizer_set_report_path binds there),
 * and UBSan writes to stderr, which for a keeper is /dev/null. The instrumented code finds
 * the "_abort" handlers here first (the build does not recover: each ends the process); each
 * points fd 2 at SAN_LOG.ubsan.PID, then calls libubsan's own.
 *
 * Shims make uninstrumented programs run under the runtime (GCC 12's):
 *  - swift_demangle: the runtime looks it up with dlsym() while it starts, and calls dlerror()
 *    when it is missing; dlerror() takes gettext's lock. When the runtime starts inside
 *    bindtextdomain() (libgpg-error's constructor runs before the runtime's and calls it, and
 *    its malloc() starts the runtime), that lock is left broken and the program hangs at its
 *    own textdomain(): ps, pgrep, logger, everything linked with libsystemd.
 *  - dlclose does nothing: libpam unloads the module at pam_end(), before the exit-time leak
 *    check, whose report could then not name the module's functions.
 *  - aligned_alloc: the runtime refuses a size that is not a multiple of the alignment (C11's
 *    wording, since relaxed); glibc and dd rely on it being accepted.
 *
 * Built without sanitizer flags (it must not pull the runtime in ahead of itself), and without
 * calls that the compiler makes up (-fno-builtin, -fno-tree-loop-distribute-patterns).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SAN_LOG
#define SAN_LOG "/run/world/san/report"
#endif

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
int __lsan_is_turned_off(void);
char *swift_demangle(const char *name, size_t len, char *out, size_t *out_len, unsigned flags);

/* Programs whose leaks are checked: ours. */
static const char *const PROGRAMS[] = { "pam-harness", "nsjailctl", "nsjail-keeper" };

/*
 * alloc_dealloc_mismatch=0: our code is C (malloc and free only); C++ programs of the world
 * mix malloc with delete[] (troff, run by groff in t40).
 */
#define COMMON "abort_on_error=1:print_stacktrace=1:log_path=" SAN_LOG
#define ASAN_COMMON "verify_asan_link_order=0:alloc_dealloc_mismatch=0:" COMMON

/*
 * Is this process PROG? The options are asked for while the runtime starts, before its
 * interceptors work: no libc string function (the runtime intercepts them), a raw readlink.
 */
static int is_program(const char *prog)
{
	static char exe[4096];
	long n = syscall(SYS_readlink, "/proc/self/exe", exe, sizeof(exe) - 1);
	const char *name = exe;
	long i;

	if (n <= 0)
		return 0;
	exe[n] = '\0';
	for (i = 0; i < n; i++)
		if (exe[i] == '/')
			name = exe + i + 1;
	while (*name != '\0' && *name == *prog) {
		name++;
		prog++;
	}
	return *name == '\0' && *prog == '\0';
}

const char *__asan_default_options(void)
{
	size_t i;

	for (i = 0; i < sizeof(PROGRAMS) / sizeof(PROGRAMS[0]); i++)
		if (is_program(PROGRAMS[i]))
			return "detect_leaks=1:" ASAN_COMMON;
	return "detect_leaks=0:" ASAN_COMMON;
}

const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:" COMMON;
}

/* Does /proc/self name this process? (Not after it has joined a set's mount namespace.) */
static int self_visible(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return atoi(buf) == getpid();
}

int __lsan_is_turned_off(void)
{
	int fd;

	if (self_visible())
		return 0;
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
	    !self_visible())
		return 1;
	/* the tracer that LeakSanitizer clones must be in the PID namespace of the tids it lists */
	fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	if (setns(fd, CLONE_NEWPID) < 0) {
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}

/* Found, so that the runtime does not call dlerror() (above). Never a Swift name here. */
char *swift_demangle(const char *name, size_t len, char *out, size_t *out_len, unsigned flags)
{
	return NULL;
}

/* Modules stay loaded, so that a leak report at exit can name their functions. */
int dlclose(void *handle)
{
	return 0;
}

/* glibc's aligned_alloc, on the runtime's posix_memalign (which that one interposes). */
void *aligned_alloc(size_t alignment, size_t size)
{
	void *p;
	int e;

	if (alignment != 0 && (alignment & (alignment - 1)) == 0 && alignment < sizeof(void *))
		alignment = sizeof(void *);
	e = posix_memalign(&p, alignment, size);
	if (e != 0) {
		errno = e;
		return NULL;
	}
	return p;
}

/* fd 2 on a report file of this process's own, for a report that ends it */
static void stderr_to_report(void)
{
	char path[sizeof(SAN_LOG) + 32];
	int fd;

	snprintf(path, sizeof(path), "%s.ubsan.%d", SAN_LOG, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd >= 0 && fd != 2) {
		dup2(fd, 2);
		close(fd);
	}
}

/* libubsan's NAME: in the global scope, or in the local one of the module that needs it */
static void *ubsan_sym(const char *name)
{
	void *sym = dlsym(RTLD_NEXT, name);
	void *h;

	if (sym == NULL && (h = dlopen("libubsan.so.1", RTLD_NOW | RTLD_NOLOAD)) != NULL)
		sym = dlsym(h, name);
	return sym;
}

/* Every handler takes at most three pointer-sized arguments, passed in registers. */
#define UBSAN_ABORT(name)						\
	void name(void *a, void *b, void *c);				\
	void name(void *a, void *b, void *c)				\
	{								\
		void (*real)(void *, void *, void *);			\
									\
		stderr_to_report();					\
		*(void **)&real = ubsan_sym(#name);			\
		if (real != NULL)					\
			real(a, b, c);					\
		abort();						\
	}

UBSAN_ABORT(__ubsan_handle_add_overflow_abort)
UBSAN_ABORT(__ubsan_handle_alignment_assumption_abort)
UBSAN_ABORT(__ubsan_handle_builtin_unreachable)
UBSAN_ABORT(__ubsan_handle_divrem_overflow_abort)
UBSAN_ABORT(__ubsan_handle_float_cast_overflow_abort)
UBSAN_ABORT(__ubsan_handle_implicit_conversion_abort)
UBSAN_ABORT(__ubsan_handle_invalid_builtin_abort)
UBSAN_ABORT(__ubsan_handle_load_invalid_value_abort)
UBSAN_ABORT(__ubsan_handle_missing_return)
UBSAN_ABORT(__ubsan_handle_mul_overflow_abort)
UBSAN_ABORT(__ubsan_handle_negate_overflow_abort)
UBSAN_ABORT(__ubsan_handle_nonnull_arg_abort)
UBSAN_ABORT(__ubsan_handle_nonnull_return_v1_abort)
UBSAN_ABORT(__ubsan_handle_out_of_bounds_abort)
UBSAN_ABORT(__ubsan_handle_pointer_overflow_abort)
UBSAN_ABORT(__ubsan_handle_shift_out_of_bounds_abort)
UBSAN_ABORT(__ubsan_handle_sub_overflow_abort)
UBSAN_ABORT(__ubsan_handle_type_mismatch_v1_abort)
UBSAN_ABORT(__ubsan_handle_vla_bound_not_positive_abort)
