#!/usr/bin/env python3
"""A replica that costs (almost) nothing: it asks PSYNC ? -1 with capa eof, acknowledges every
half second, and reads the RDB and the stream into nothing. With it, a master's throughput
shows its own cost of replication apart from the CPU a real replica takes on the same machine."""
import socket
import sys
import threading
import time

s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"*3\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n*3\r\n$5\r\nPSYNC\r\n$1\r\n?\r\n$2\r\n-1\r\n")


def ack():
    while True:
        time.sleep(0.5)
        s.sendall(b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n")


threading.Thread(target=ack, daemon=True).start()
while s.recv(1 << 20):
    pass
