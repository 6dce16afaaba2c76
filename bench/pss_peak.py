#!/usr/bin/env python3
"""Samples the proportional set size of a process and its children every 50 ms until the file
named by argv[2] exists; prints 'baseline_kb peak_kb' (baseline: the first sample)."""
import os
import sys
import time

pid, stop = int(sys.argv[1]), sys.argv[2]


def children(p):
    out = []
    try:
        for t in os.listdir(f"/proc/{p}/task"):
            with open(f"/proc/{p}/task/{t}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def pss(p):
    try:
        with open(f"/proc/{p}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


base = None
peak = 0
while not os.path.exists(stop):
    total = pss(pid) + sum(pss(c) for c in children(pid))
    base = total if base is None else base
    peak = max(peak, total)
    time.sleep(0.05)
print(base, peak)
