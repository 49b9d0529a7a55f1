#!/usr/bin/python3
# bench/net-tput.py — a timed bulk TCP transfer for bench/net.sh.
#   net-tput.py sink ADDR PORT      accept connections; read each until EOF, then answer "done"
#   net-tput.py send ADDR PORT MIB  send MIB MiB, shut the write side, wait for the answer;
#                                   prints the seconds from connect to the answer
import socket
import sys
import threading
import time


def drain(c):
    buf = bytearray(4 << 20)
    while c.recv_into(buf):
        pass
    c.sendall(b"done")
    c.close()


def sink(addr, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(8)
    while True:
        c, _ = s.accept()
        threading.Thread(target=drain, args=(c,), daemon=True).start()


def send(addr, port, mib):
    chunk = memoryview(bytes(4 << 20))
    left = mib << 20
    s = socket.create_connection((addr, port))
    t = time.monotonic()
    while left > 0:
        n = min(left, len(chunk))
        s.sendall(chunk[:n])
        left -= n
    s.shutdown(socket.SHUT_WR)
    while s.recv(64):
        pass
    print("%.4f" % (time.monotonic() - t))


if sys.argv[1] == "sink":
    sink(sys.argv[2], int(sys.argv[3]))
else:
    send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
