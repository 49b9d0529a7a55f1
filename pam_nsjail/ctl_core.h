/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_core.h — looking at and collecting recorded sets from the administrator's side
 * (nsjailctl list/show/enter/gc). Part of the core library: returns -errno, never prints.
 */
#ifndef NSJ_CTL_CORE_H
#define NSJ_CTL_CORE_H

#include "nsj.h"

/*
 * The recorded set of uid, checked under its lock (taken and released here). Runs in a process
 * that sees the host's /proc. Returns a pidfd on the verified keeper (the caller closes it) when
 * the set is alive; -ESRCH when the record names a keeper that is gone or recycled (r filled:
 * a stale set); -ENOENT when uid has no set; another negative errno when the record is
 * malformed or untrusted (-EINVAL, -EPERM) or the check itself failed. r->uid is always uid.
 * touch: restart an alive keeper's idle clock under the lock (nsjailctl enter), as a login does.
 */
int nsj_set_lookup(int pindir, uid_t uid, bool touch, struct nsj_record *r, struct nsj_err *err);

/*
 * Collect uid's record when its set is stale or the record is malformed (nsjailctl gc); an
 * alive set is left alone. Under the lock, so a login creating the set is waited for. Returns 1
 * when the record was removed, 0 when the set is alive, -ENOENT when there is none, else
 * -errno. r is filled as far as the record could be read (r->uid is always uid).
 */
int nsj_set_collect(int pindir, uid_t uid, struct nsj_record *r, struct nsj_err *err);

#endif
