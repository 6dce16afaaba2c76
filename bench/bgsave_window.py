#!/usr/bin/env python3
"""One BGSAVE under load, measured the same way before and during it.

Usage: bgsave_window.py PORT PID [SECONDS_BEFORE]

Over one connection it polls INFO every 100 ms and samples the proportional set size (PSS) of
PID and its children every 50 ms, first for SECONDS_BEFORE seconds, then from BGSAVE until
rdb_bgsave_in_progress is 0 again, so that the measurement costs the same in both windows (no
process is started while it measures). Prints throughput (total_commands_processed per second)
in each window, their ratio, the save's duration, the PSS just before BGSAVE and the peak PSS
during it (redis-server: parent plus fork child).
"""
import os
import socket
import sys
import time

port, pid = int(sys.argv[1]), int(sys.argv[2])
before_secs = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
conn = socket.create_connection(("127.0.0.1", port))
reader = conn.makefile("rb")


def command(*args):
    conn.sendall(("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args)).encode())
    line = reader.readline()
    if line[:1] == b"$":
        return reader.read(int(line[1:]) + 2)[:-2].decode()
    return line.decode().strip()


def info(section, name):
    for line in command("INFO", section).split("\r\n"):
        if line.startswith(name + ":"):
            return int(line.split(":")[1])
    raise SystemExit("no %s in INFO %s" % (name, section))


def pss_kb(p):
    total = 0
    children = []
    try:
        for task in os.listdir("/proc/%d/task" % p):
            with open("/proc/%d/task/%s/children" % (p, task)) as f:
                children += [int(c) for c in f.read().split()]
    except OSError:
        pass
    for q in [p] + children:
        try:
            with open("/proc/%d/smaps_rollup" % q) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def window(until):
    """Polls INFO every 100 ms and PSS every 50 ms until until() is true; returns the peak PSS."""
    peak, next_info = 0, 0.0
    while True:
        now = time.time()
        if now >= next_info:
            if until():
                return peak
            next_info = now + 0.1
        peak = max(peak, pss_kb(pid))
        time.sleep(0.05)


t0 = time.time()
c0 = info("stats", "total_commands_processed")
window(lambda: (info("persistence", "rdb_bgsave_in_progress") or True) and time.time() - t0 >= before_secs)
t1 = time.time()
c1 = info("stats", "total_commands_processed")
pss_before = pss_kb(pid)
command("BGSAVE")
peak = window(lambda: info("persistence", "rdb_bgsave_in_progress") == 0)
t2 = time.time()
c2 = info("stats", "total_commands_processed")
before, during = (c1 - c0) / (t1 - t0), (c2 - c1) / (t2 - t1)
print("ops/s before_bgsave=%.0f during_bgsave=%.0f ratio=%.2f save_secs=%.1f pss_before_kB=%d pss_peak_kB=%d "
      "peak_ratio=%.3f" % (before, during, during / before, t2 - t1, pss_before, max(peak, pss_before),
                           max(peak, pss_before) / pss_before))
