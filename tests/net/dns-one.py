#!/usr/bin/python3
# tests/net/dns-one.py ADDR NAME ANSWER — a DNS responder for the tests' "outside": answers
# A queries for NAME with ANSWER, NXDOMAIN for anything else, on UDP ADDR:53, until killed.
import socket
import struct
import sys

addr, name, answer = sys.argv[1], sys.argv[2].lower().rstrip("."), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 53))
while True:
    q, peer = s.recvfrom(512)
    if len(q) < 12:
        continue
    tid, _flags, qd = struct.unpack("!HHH", q[:6])
    i, labels = 12, []
    while i < len(q) and q[i] != 0:
        labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
        i += 1 + q[i]
    question = q[12:i + 5]
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0] if i + 3 <= len(q) else 0
    hit = ".".join(labels).lower() == name
    if hit and qtype == 1:
        rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(answer)
        reply = struct.pack("!HHHHHH", tid, 0x8180, 1, 1, 0, 0) + question + rr
    else:
        reply = struct.pack("!HHHHHH", tid, 0x8180 if hit else 0x8183, 1, 0, 0, 0) + question
    s.sendto(reply, peer)
