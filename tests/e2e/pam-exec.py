#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# pam-exec.py SERVICE USER CMD [ARGS]: open a PAM session in this very process, drop to USER,
# then exec CMD in place — the way systemd starts `systemd --user` for user@.service
# (PAMName=systemd-user): the process that ran open_session becomes the user manager, and only
# what it forks afterwards is born inside the session's PID namespace. CMD gets the PAM
# environment added to its own, as systemd passes it to the unit. No close_session: like the
# manager, CMD is the session. Exit 90 when open_session fails.
import ctypes
import os
import pwd
import sys

libc = ctypes.CDLL(None)
libc.calloc.restype = ctypes.c_void_p
pam = ctypes.CDLL("libpam.so.0")


class Resp(ctypes.Structure):
    _fields_ = [("resp", ctypes.c_char_p), ("resp_retcode", ctypes.c_int)]


CONV = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p,
                        ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p)


def conv(n, msg, resp, data):
    resp[0] = libc.calloc(n, ctypes.sizeof(Resp))  # answer nothing, as a daemon does
    return 0


class Conv(ctypes.Structure):
    _fields_ = [("conv", CONV), ("appdata_ptr", ctypes.c_void_p)]


def main():
    if len(sys.argv) < 4:
        sys.stderr.write("usage: pam-exec.py SERVICE USER CMD [ARGS]\n")
        return 2
    service, user, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    c = Conv(CONV(conv), None)
    h = ctypes.c_void_p()
    if pam.pam_start(service.encode(), user.encode(), ctypes.byref(c), ctypes.byref(h)) != 0:
        sys.stderr.write("pam-exec: pam_start failed\n")
        return 91
    ret = pam.pam_open_session(h, 0)
    if ret != 0:
        pam.pam_strerror.restype = ctypes.c_char_p
        sys.stderr.write("pam-exec: open_session: %s\n" % pam.pam_strerror(h, ret).decode())
        return 90
    pam.pam_getenvlist.restype = ctypes.POINTER(ctypes.c_char_p)
    env = pam.pam_getenvlist(h)
    i = 0
    while env and env[i] is not None:
        name, _, value = env[i].decode().partition("=")
        os.environ[name] = value
        i += 1
    pw = pwd.getpwnam(user)
    os.initgroups(user, pw.pw_gid)
    os.setgid(pw.pw_gid)
    os.setuid(pw.pw_uid)
    os.execvp(cmd[0], cmd)


sys.exit(main())
