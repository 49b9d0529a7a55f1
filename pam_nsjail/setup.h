/* SPDX-License-Identifier: BSD-3-Clause */
/* setup.h — building the inside of a new set (setup.c); private to the core. */
#ifndef NSJ_SETUP_H
#define NSJ_SETUP_H

#include "nsj.h"

/*
 * Runs in K, the keeper-to-be: PID 1 of the new PID namespace and the only member of the new
 * mount/uts/ipc/net namespaces, still root, before it execs nsjail-keeper. Makes the mount tree
 * a slave (or private) copy, mounts the set's /proc, /dev/shm and private tmp, the generated
 * /etc/hosts, hides pin_dir, sets the hostname, brings lo up.
 */
int nsj_setup_inside(const struct nsj_policy *p, const struct nsj_user *u, struct nsj_err *err);

/* Mount an empty read-only tmpfs over pin_dir (also used by the keeper to hide it again). */
int nsj_hide_pin_dir(const char *pin_dir, struct nsj_err *err);

#endif
