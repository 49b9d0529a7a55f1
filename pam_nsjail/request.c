/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * request.c — the creation request: the resolved policy, sent by the module (set.c) to
 * `nsjail-keeper --create` (keeper.c) on the keeper's stdin, ahead of the commit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "setup.h"

/* len bytes exactly: a request cut short (its sender died) is -EPIPE. */
static int read_exact(int fd, void *buf, size_t len)
{
	ssize_t n = nsj_read_full(fd, buf, len);

	return n < 0 ? (int)n : (size_t)n == len ? 0 : -EPIPE;
}

#define REQUEST_MAGIC 0x6e736a32u /* "nsj2" */

/* The paths follow the policy: n_paths tmp_paths, then n_prop propagation_paths. */
struct request_hdr {
	uint32_t magic, policy_size, uid, n_paths, n_prop, paths_len;
};

/* Append n NUL-terminated strings to buf at *off (sized by the caller). */
static void put_paths(char *buf, size_t *off, char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i]) + 1;

		memcpy(buf + *off, v[i], len);
		*off += len;
	}
}

int nsj_request_write(int fd, const struct nsj_policy *p, uid_t uid, struct nsj_err *err)
{
	struct request_hdr h = { REQUEST_MAGIC, sizeof(*p), (uint32_t)uid, (uint32_t)p->n_tmp_paths,
				 (uint32_t)p->n_prop_paths, 0 };
	struct nsj_policy flat = *p;
	char *paths = NULL;
	size_t off = 0;
	int ret;

	if (p->n_tmp_paths > NSJ_REQUEST_MAX_PATHS || p->n_prop_paths > NSJ_REQUEST_MAX_PATHS)
		return nsj_err_set(err, E2BIG, "more than %d tmp_paths or propagation_paths",
				   NSJ_REQUEST_MAX_PATHS);
	for (size_t i = 0; i < p->n_tmp_paths; i++)
		h.paths_len += (uint32_t)strlen(p->tmp_paths[i]) + 1;
	for (size_t i = 0; i < p->n_prop_paths; i++)
		h.paths_len += (uint32_t)strlen(p->prop_paths[i]) + 1;
	if ((paths = malloc(h.paths_len + 1)) == NULL)
		return nsj_err_set(err, ENOMEM, "request: out of memory");
	put_paths(paths, &off, p->tmp_paths, p->n_tmp_paths);
	put_paths(paths, &off, p->prop_paths, p->n_prop_paths);
	flat.tmp_paths = NULL; /* no pointer of ours crosses over */
	flat.prop_paths = NULL;
	ret = nsj_write_all(fd, &h, sizeof(h));
	if (ret == 0)
		ret = nsj_write_all(fd, &flat, sizeof(flat));
	if (ret == 0 && h.paths_len > 0)
		ret = nsj_write_all(fd, paths, h.paths_len);
	free(paths);
	if (ret < 0)
		return nsj_err_set(err, -ret, "request to the keeper: %m");
	return 0;
}

static void terminate_str(char *s, size_t size)
{
	s[size - 1] = '\0';
}

/* Point vec[0..n) at the strings of paths from *off on: 0, or -EPROTO when they run out. */
static int get_paths(char *paths, size_t len, size_t *off, char **vec, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (*off >= len)
			return -EPROTO;
		vec[i] = paths + *off;
		*off += strlen(vec[i]) + 1;
	}
	return 0;
}

int nsj_request_read(int fd, struct nsj_policy *p, uid_t *uid, struct nsj_err *err)
{
	static char *vec[NSJ_REQUEST_MAX_PATHS], *pvec[NSJ_REQUEST_MAX_PATHS]; /* the keeper's */
	char *paths;
	struct request_hdr h;
	size_t off = 0;
	int ret;

	if ((ret = read_exact(fd, &h, sizeof(h))) < 0)
		return nsj_err_set(err, -ret, "request: %m");
	if (h.magic != REQUEST_MAGIC || h.policy_size != sizeof(*p))
		return nsj_err_set(err, EPROTO, "request: not from this build's module (reinstall?)");
	if (h.n_paths > NSJ_REQUEST_MAX_PATHS || h.n_prop > NSJ_REQUEST_MAX_PATHS ||
	    h.paths_len > (1u << 20))
		return nsj_err_set(err, E2BIG, "request: too many paths");
	if ((ret = read_exact(fd, p, sizeof(*p))) < 0)
		return nsj_err_set(err, -ret, "request: %m");
	if ((paths = malloc(h.paths_len + 1)) == NULL)
		return nsj_err_set(err, ENOMEM, "request: out of memory");
	if ((ret = read_exact(fd, paths, h.paths_len)) < 0)
		return nsj_err_set(err, -ret, "request: %m");
	paths[h.paths_len] = '\0';
	if (get_paths(paths, h.paths_len, &off, vec, h.n_paths) < 0 ||
	    get_paths(paths, h.paths_len, &off, pvec, h.n_prop) < 0 || off != h.paths_len)
		return nsj_err_set(err, EPROTO, "request: malformed paths");
	terminate_str(p->section, sizeof(p->section));
	terminate_str(p->reason, sizeof(p->reason));
	terminate_str(p->hostname, sizeof(p->hostname));
	terminate_str(p->hostname_tmpl, sizeof(p->hostname_tmpl));
	terminate_str(p->tmp_dir, sizeof(p->tmp_dir));
	terminate_str(p->pin_dir, sizeof(p->pin_dir));
	p->tmp_paths = vec;
	p->n_tmp_paths = h.n_paths;
	p->prop_paths = pvec;
	p->n_prop_paths = h.n_prop;
	*uid = (uid_t)h.uid;
	return 0;
}
