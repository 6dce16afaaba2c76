#!/usr/bin/env python3
"""A native replica that costs (almost) nothing: it does the Damselfly handshake (DFLY HELLO, one
DFLY FLOW connection per master shard, DFLY SYNC ? ...), reads every flow into nothing, and
exits once every flow has sent its end of snapshot (frame 'F'), printing the seconds it took.
With it, the master's throughput during a native full sync shows its own cost apart from the
CPU a real replica takes on the same machine."""
import socket
import struct
import sys
import threading
import time

port = int(sys.argv[1])


def cmd(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def line(f):
    return f.readline().rstrip(b"\r\n")


t0 = time.time()
control = socket.create_connection(("127.0.0.1", port))
cf = control.makefile("rb")
control.sendall(cmd(b"DFLY", b"HELLO"))
assert line(cf).startswith(b"*3")
shards = int(line(cf)[1:])
line(cf)
session = line(cf)
line(cf)
line(cf)
flows = []
for i in range(shards):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(cmd(b"DFLY", b"FLOW", session, str(i).encode()))
    f = s.makefile("rb")
    assert line(f) == b"+OK"
    flows.append(f)
control.sendall(cmd(b"DFLY", b"SYNC", session, b"?", *([b"-1"] * shards)))
assert line(cf).startswith(b"+FULLRESYNC")
done = threading.Barrier(shards + 1)


def drain(f):
    while True:
        h = f.read(27)
        if len(h) < 27:
            return
        (n,) = struct.unpack(">i", h[23:27])
        if n:
            f.read(n)
        if h[0:1] == b"F":
            done.wait()
            while f.read(1 << 16):
                pass
            return


for f in flows:
    threading.Thread(target=drain, args=(f,), daemon=True).start()
done.wait()
print(f"{time.time() - t0:.2f}", flush=True)
time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 0)
