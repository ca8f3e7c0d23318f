#!/usr/bin/env python3
"""Hostile clients for scripts/soak.sh (stdlib only).

Usage: slow_clients.py REST_HOST:PORT GRPC_HOST:PORT IDLE SECONDS

Holds IDLE connections open that never send a byte (half on each port;
what the server sends them is read and dropped),
opening a new one whenever the server closes one, and runs one client that
trickles a REST body one byte a second (opening a new upload whenever the
server ends one). After SECONDS, or on SIGTERM, it prints one JSON line: how many idle
connections it opened and saw closed, and how the trickled uploads ended.
"""

import json
import selectors
import signal
import socket
import sys
import time


def address(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def open_idle(selector, target):
    sock = socket.create_connection(target, timeout=5)
    sock.setblocking(False)
    selector.register(sock, selectors.EVENT_READ, ("idle", target))
    return sock


def open_trickle(selector, target):
    sock = socket.create_connection(target, timeout=5)
    head = (
        "POST /binary HTTP/1.1\r\nHost: soak\r\n"
        "Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n"
    )
    sock.sendall(head.encode())
    sock.setblocking(False)
    selector.register(sock, selectors.EVENT_READ, ("trickle", target))
    return sock


def main():
    rest, grpc = address(sys.argv[1]), address(sys.argv[2])
    idle, seconds = int(sys.argv[3]), float(sys.argv[4])
    selector = selectors.DefaultSelector()
    stats = {"idle_opened": 0, "idle_closed_by_server": 0, "idle_open_failures": 0,
             "trickle_bytes": 0, "trickle_uploads": 1, "trickle_answers": []}
    for n in range(idle):
        try:
            open_idle(selector, rest if n % 2 == 0 else grpc)
            stats["idle_opened"] += 1
        except OSError:
            stats["idle_open_failures"] += 1
    trickle = open_trickle(selector, rest)
    end = time.monotonic() + seconds
    stopped = []
    signal.signal(signal.SIGTERM, lambda *_: stopped.append(True))
    next_byte = time.monotonic()
    while time.monotonic() < end and not stopped:
        for key, _ in selector.select(timeout=0.2):
            kind, target = key.data
            sock = key.fileobj
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if data and kind == "idle":
                continue  # an HTTP/2 server's SETTINGS: still open
            if data:
                status = data.split(b"\r\n", 1)[0].decode(errors="replace")
                stats["trickle_answers"].append(status)
            selector.unregister(sock)
            sock.close()
            try:
                if kind == "idle":
                    stats["idle_closed_by_server"] += 1
                    open_idle(selector, target)
                    stats["idle_opened"] += 1
                else:
                    trickle = open_trickle(selector, target)
                    stats["trickle_uploads"] += 1
            except OSError:
                stats["idle_open_failures"] += 1
        if time.monotonic() >= next_byte:
            next_byte += 1.0
            try:
                trickle.sendall(b"\0")
                stats["trickle_bytes"] += 1
            except OSError:
                pass
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    main()
