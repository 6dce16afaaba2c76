#!/usr/bin/env python3
"""Replication lag as a client sees it: SET a probe key on the master, then GET it on the
replica until the new value shows, N times (argv[3], default 300) 10 ms apart, while other load
runs. Prints 'samples p50_ms p99_ms max_ms'. Raw sockets: no client library needed."""
import socket
import sys
import time

master = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
replica = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
n = int(sys.argv[3]) if len(sys.argv) > 3 else 300


def call(s, *args):
    out = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
    s.sendall(out)
    buf = b""
    while True:
        buf += s.recv(65536)
        if buf.startswith(b"$-1\r\n") or buf.startswith(b"+") or buf.startswith(b"-") or buf.startswith(b":"):
            if buf.endswith(b"\r\n"):
                return buf
        elif buf.startswith(b"$"):
            head, _, rest = buf.partition(b"\r\n")
            if len(rest) >= int(head[1:]) + 2:
                return rest[:int(head[1:])]


lags = []
for i in range(n):
    value = b"%d" % i
    t0 = time.perf_counter()
    call(master, b"SET", b"lag:probe", value)
    while call(replica, b"GET", b"lag:probe") != value:
        pass
    lags.append((time.perf_counter() - t0) * 1000)
    time.sleep(0.01)
lags.sort()
print(len(lags), f"{lags[len(lags) // 2]:.2f}", f"{lags[int(len(lags) * 0.99) - 1]:.2f}", f"{lags[-1]:.2f}")
