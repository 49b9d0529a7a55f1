/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cache.c — parsed configs kept between logins, so that a login neither loads nor runs
 * libconfuse while the file stays the same (make bench: parsing was a third of a rejoin).
 *
 * <cache_dir>/c-<hash of the config's path> holds the config's path, its full text and the
 * parse of that text. The config file itself is still opened, checked (root's, not writable by
 * group or others) and read at every login; the cached parse is used only when the text read now
 * is byte for byte the cached text, so an edit of any kind, however quick, is seen at the next
 * login, and no clock or inode is trusted. The directory is root:root 0700 like pin_dir; an
 * entry that is not root's regular 0600 file, or is malformed in any way, is a miss (then parsed
 * and replaced). Only valid configs are cached: errors are always reported from a real parse.
 * Entries are written to a temporary name and renamed into place. An entry also keeps the
 * text's nsj_text_hash(), which live.c compares with a set's record: a hit does not hash the
 * text again (4.8 KB, ~10 us a login).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsj.h"

#define CACHE_MAGIC "nsjcfg04" /* 02: system_bus, network; 03: text_hash; 04: parse_id */
/*
 * What made the parse: a hash of the parser's sources (the Makefile's PARSE_ID), so that a
 * package upgrade that changes a default or a check never takes an older build's parse from
 * /run, even where the layout of what is serialised stayed the same.
 */
#ifndef NSJ_PARSE_ID
#define NSJ_PARSE_ID 0u
#endif
#define CACHE_MAX   (4u << 20) /* path + a text of at most 1 MiB + its parse */

struct cache_hdr {
	char magic[8];
	uint32_t abi; /* layout of what is serialised (sizes of its structs), and NSJ_PARSE_ID */
	uint32_t path_len, text_len, data_len;
	uint64_t text_hash; /* nsj_text_hash() of the text, which a hit has just compared */
};

static uint32_t abi(void)
{
	return (uint32_t)(sizeof(struct nsj_section) << 16 | sizeof(struct nsj_config)) ^ NSJ_PARSE_ID;
}

/* ---- serialising a parse -------------------------------------------------------------- */

struct wbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct wbuf *b, const void *v, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *p;

		while (cap < b->len + n)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, v, n);
	b->len += n;
}

static void put_u32(struct wbuf *b, uint32_t v)
{
	put(b, &v, sizeof(v));
}

static void put_u64(struct wbuf *b, uint64_t v)
{
	put(b, &v, sizeof(v));
}

/* A string: its length and bytes; UINT32_MAX for NULL. */
static void put_str(struct wbuf *b, const char *s)
{
	uint32_t n = s ? (uint32_t)strlen(s) : UINT32_MAX;

	put_u32(b, n);
	if (s != NULL)
		put(b, s, n);
}

static void put_section(struct wbuf *b, const struct nsj_section *s)
{
	put_u32(b, (uint32_t)s->kind);
	put_str(b, s->name);
	put_u32(b, s->line);
	put_u32(b, s->set);
	put_u32(b, s->enable);
	put_u32(b, s->namespaces);
	put_str(b, s->hostname);
	put_u32(b, (uint32_t)s->tmp);
	put_u64(b, s->tmp_size);
	put_str(b, s->tmp_dir);
	put_u32(b, (uint32_t)s->n_tmp_paths);
	for (size_t i = 0; i < s->n_tmp_paths; i++)
		put_str(b, s->tmp_paths[i]);
	put_u32(b, (uint32_t)s->propagation);
	put_u32(b, (uint32_t)s->n_prop_paths);
	for (size_t i = 0; i < s->n_prop_paths; i++)
		put_str(b, s->prop_paths[i]);
	put_u32(b, s->persist);
	put_u32(b, s->idle_timeout);
	put_u32(b, (uint32_t)s->system_bus);
	put_u32(b, (uint32_t)s->network);
}

int nsj_config_serialize(const struct nsj_config *c, char **out, size_t *len)
{
	struct wbuf b = { 0 };

	put_str(&b, c->pin_dir);
	put_u32(&b, c->min_uid);
	put_section(&b, &c->def);
	put_u32(&b, (uint32_t)c->n_users);
	for (size_t i = 0; i < c->n_users; i++)
		put_section(&b, &c->users[i]);
	put_u32(&b, (uint32_t)c->n_groups);
	for (size_t i = 0; i < c->n_groups; i++)
		put_section(&b, &c->groups[i]);
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

/* ---- and reading it back: every read is bounds-checked; any fault makes the whole a miss -- */

struct rbuf {
	const char *p;
	size_t len, off;
	bool bad;
};

static void get(struct rbuf *b, void *v, size_t n)
{
	if (b->bad || n > b->len - b->off) {
		b->bad = true;
		memset(v, 0, n);
		return;
	}
	memcpy(v, b->p + b->off, n);
	b->off += n;
}

static uint32_t get_u32(struct rbuf *b)
{
	uint32_t v;

	get(b, &v, sizeof(v));
	return v;
}

static uint64_t get_u64(struct rbuf *b)
{
	uint64_t v;

	get(b, &v, sizeof(v));
	return v;
}

static char *get_str(struct rbuf *b)
{
	uint32_t n = get_u32(b);
	char *s;

	if (b->bad || n == UINT32_MAX)
		return NULL;
	if (n > b->len - b->off || memchr(b->p + b->off, '\0', n) != NULL) {
		b->bad = true;
		return NULL;
	}
	if ((s = strndup(b->p + b->off, n)) == NULL)
		b->bad = true;
	b->off += n;
	return s;
}

/* A count of things that take at least min bytes each: never more than what is left. */
static size_t get_count(struct rbuf *b, size_t min)
{
	uint32_t n = get_u32(b);

	if (b->bad || n > (b->len - b->off) / min) {
		b->bad = true;
		return 0;
	}
	return n;
}

static bool get_bool(struct rbuf *b)
{
	uint32_t v = get_u32(b);

	b->bad |= v > 1;
	return v == 1;
}

static void get_section(struct rbuf *b, struct nsj_section *s)
{
	s->kind = (enum nsj_sec_kind)get_u32(b);
	s->name = get_str(b);
	s->line = get_u32(b);
	s->set = get_u32(b);
	s->enable = get_bool(b);
	s->namespaces = get_u32(b);
	s->hostname = get_str(b);
	s->tmp = (enum nsj_tmp)get_u32(b);
	s->tmp_size = get_u64(b);
	s->tmp_dir = get_str(b);
	s->n_tmp_paths = get_count(b, sizeof(uint32_t));
	s->tmp_paths = calloc(s->n_tmp_paths + 1, sizeof(char *));
	if (s->tmp_paths == NULL) {
		b->bad = true;
		s->n_tmp_paths = 0;
	}
	for (size_t i = 0; i < s->n_tmp_paths; i++)
		s->tmp_paths[i] = get_str(b);
	s->propagation = (enum nsj_prop)get_u32(b);
	s->n_prop_paths = get_count(b, sizeof(uint32_t));
	s->prop_paths = calloc(s->n_prop_paths + 1, sizeof(char *));
	if (s->prop_paths == NULL) {
		b->bad = true;
		s->n_prop_paths = 0;
	}
	for (size_t i = 0; i < s->n_prop_paths; i++)
		s->prop_paths[i] = get_str(b);
	s->persist = get_bool(b);
	s->idle_timeout = get_u32(b);
	s->system_bus = (enum nsj_bus)get_u32(b);
	s->network = (enum nsj_net)get_u32(b);
	/* Only what a parse can give: the rest of the core indexes tables by these. */
	b->bad |= (unsigned)s->kind > NSJ_SEC_GROUP || (unsigned)s->tmp > NSJ_TMP_NONE ||
		  (unsigned)s->propagation > NSJ_PROP_PRIVATE || (unsigned)s->system_bus > NSJ_BUS_HOST ||
		  (unsigned)s->network > NSJ_NET_OUTBOUND ||
		  (s->namespaces & ~((1u << NSJ_NS_COUNT) - 1)) != 0;
}

static struct nsj_section *get_sections(struct rbuf *b, size_t *n)
{
	/* A section takes at least 64 bytes: 16 fields of 4 bytes or more. */
	struct nsj_section *v;

	*n = get_count(b, 64);
	v = calloc(*n + 1, sizeof(*v));
	if (v == NULL) {
		b->bad = true;
		*n = 0;
		return NULL;
	}
	for (size_t i = 0; i < *n; i++)
		get_section(b, &v[i]);
	return v;
}

int nsj_config_deserialize(const char *data, size_t len, const char *path, struct nsj_config **out)
{
	struct rbuf b = { .p = data, .len = len };
	struct nsj_config *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return -ENOMEM;
	c->path = strdup(path);
	c->pin_dir = get_str(&b);
	c->min_uid = get_u32(&b);
	get_section(&b, &c->def);
	c->users = get_sections(&b, &c->n_users);
	c->groups = get_sections(&b, &c->n_groups);
	for (size_t i = 0; i < c->n_users; i++)
		b.bad |= c->users[i].kind != NSJ_SEC_USER || c->users[i].name == NULL;
	for (size_t i = 0; i < c->n_groups; i++)
		b.bad |= c->groups[i].kind != NSJ_SEC_GROUP || c->groups[i].name == NULL;
	if (b.bad || b.off != len || c->path == NULL || c->pin_dir == NULL ||
	    c->def.kind != NSJ_SEC_DEFAULT || c->def.tmp_paths == NULL || c->def.prop_paths == NULL) {
		nsj_config_free(c);
		return -EINVAL;
	}
	*out = c;
	return 0;
}

/* ---- the cache files ------------------------------------------------------------------ */

static void entry_name(const char *path, char *name, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	snprintf(name, size, "c-%016llx", (unsigned long long)h);
}

/* The cache directory, root's and private; created (0700) when create. -1 when unusable. */
static int cache_dir_open(const char *dir, bool create)
{
	struct nsj_err ignore = { 0 }; /* the cache is an optimisation: no message */
	int fd = nsj_root_dir_open(dir, "cache dir", create && geteuid() == 0, 077, &ignore);

	return fd < 0 ? -1 : fd;
}

/* The entry's content (malloc'd) when it is root's private regular file; NULL otherwise. */
static char *entry_read(int dfd, const char *name, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077) ||
	    st.st_nlink != 1 || st.st_size < (off_t)sizeof(struct cache_hdr) || st.st_size > CACHE_MAX ||
	    (buf = malloc((size_t)st.st_size)) == NULL)
		goto fail;
	if (nsj_read_full(fd, buf, (size_t)st.st_size) != (ssize_t)st.st_size)
		goto fail;
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

/* The cached parse of exactly (path, text), or NULL. */
static struct nsj_config *lookup(int dfd, const char *name, const char *path, const char *text,
				 size_t text_len)
{
	struct nsj_config *c = NULL;
	struct cache_hdr h;
	size_t len, path_len = strlen(path);
	char *buf = entry_read(dfd, name, &len);
	const char *p;

	if (buf == NULL)
		return NULL;
	memcpy(&h, buf, sizeof(h));
	p = buf + sizeof(h);
	if (memcmp(h.magic, CACHE_MAGIC, sizeof(h.magic)) == 0 && h.abi == abi() &&
	    h.path_len == path_len && h.text_len == text_len &&
	    (uint64_t)sizeof(h) + h.path_len + h.text_len + h.data_len == len &&
	    memcmp(p, path, path_len) == 0 && memcmp(p + path_len, text, text_len) == 0 &&
	    nsj_config_deserialize(p + path_len + text_len, h.data_len, path, &c) == 0)
		c->text_hash = h.text_hash; /* the text is the cached one: not hashed again */
	free(buf);
	return c;
}

/* Best effort: a cache that cannot be written only makes the next login parse again. */
static void store(int dfd, const char *name, const char *path, const char *text, size_t text_len,
		  const struct nsj_config *c)
{
	struct cache_hdr h = { .magic = CACHE_MAGIC, .abi = abi() };
	char tmp[64], *data;
	size_t data_len;
	int fd, ok;

	if (nsj_config_serialize(c, &data, &data_len) < 0)
		return;
	h.path_len = (uint32_t)strlen(path);
	h.text_len = (uint32_t)text_len;
	h.data_len = (uint32_t)data_len;
	h.text_hash = c->text_hash;
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", name, (int)getpid());
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(data);
		return;
	}
	ok = fchmod(fd, 0600) == 0 && nsj_write_all(fd, &h, sizeof(h)) == 0 &&
	     nsj_write_all(fd, path, h.path_len) == 0 && nsj_write_all(fd, text, text_len) == 0 &&
	     nsj_write_all(fd, data, data_len) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || renameat(dfd, tmp, dfd, name) < 0)
		unlinkat(dfd, tmp, 0);
	free(data);
}

int nsj_config_load_cached(const char *path, const char *cache_dir, struct nsj_config **out,
			   bool *hit, struct nsj_err *err)
{
	char name[32], *text = NULL;
	size_t len;
	int dfd, r;

	*out = NULL;
	*hit = false;
	if (err != NULL)
		nsj_err_clear(err);
	r = nsj_config_read(path, &text, &len, err);
	if (r < 0)
		return r;
	entry_name(path, name, sizeof(name));
	dfd = cache_dir_open(cache_dir, true);
	if (dfd >= 0 && (*out = lookup(dfd, name, path, text, len)) != NULL) {
		*hit = true;
		r = 0;
	} else {
		r = nsj_config_parse_buf(text, len, path, out, err);
		if (r == 0 && dfd >= 0)
			store(dfd, name, path, text, len, *out);
	}
	if (dfd >= 0)
		close(dfd);
	free(text);
	return r;
}
