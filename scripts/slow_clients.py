#!/usr/bin/env python3
"""Hostile clients for scripts/soak.sh (stdlib only) that hold connections
open rather than send requests.

Usage: slow_clients.py REST_HOST:PORT GRPC_HOST:PORT IDLE SECONDS
                       [PINGS PING_EVERY HANDSHAKES HANDSHAKE_EVERY CA.pem]

Holds IDLE connections open that never send a byte (half on each port;
what the server sends them is read and dropped), opening a new one
whenever the server closes one, and runs one client that trickles a REST
body one byte a second (opening a new upload whenever the server ends
one). With the optional arguments, also:
  PINGS HTTP/2 connections (half on each port; TLS trusting CA.pem when
     given) that send their preface and then only a PING every PING_EVERY
     seconds, never a request;
  HANDSHAKES TLS connections (CA.pem given: the servers speak TLS) that
     trickle a real ClientHello one byte every HANDSHAKE_EVERY seconds.
With CA.pem the trickled upload is over TLS too.
Each kind is reopened when the server closes it. After SECONDS, or on
SIGTERM, it prints one JSON line: how many of each it opened and saw
closed, how long the closed ones had lived (median seconds), and how the
trickled uploads ended.
"""

import json
import selectors
import signal
import socket
import ssl
import statistics
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def address(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def h2_frame(kind, flags, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags, 0, 0, 0, 0]) + payload


def client_hello():
    """The first flight of a real TLS client, as bytes."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="soak")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


class Clients:
    def __init__(self, tls):
        self.selector = selectors.DefaultSelector()
        self.tls = tls
        self.hello = client_hello()
        self.stats = {"idle_opened": 0, "idle_closed_by_server": 0, "open_failures": 0,
                      "trickle_bytes": 0, "trickle_uploads": 0, "trickle_answers": [],
                      "ping_opened": 0, "ping_closed_by_server": 0, "pings_sent": 0,
                      "handshake_opened": 0, "handshake_closed_by_server": 0}
        self.lived = {"idle": [], "ping": [], "handshake": []}
        # Per socket: kind, target, opened at, next byte due, bytes sent.
        self.state = {}

    def open(self, kind, target):
        try:
            sock = socket.create_connection(target, timeout=5)
            if self.tls and kind in ("ping", "trickle"):
                self.tls.set_alpn_protocols(["h2" if kind == "ping" else "http/1.1"])
                sock = self.tls.wrap_socket(sock, server_hostname=target[0])
            if kind == "ping":
                sock.sendall(PREFACE + h2_frame(4, 0))
            elif kind == "trickle":
                sock.sendall(b"POST /binary HTTP/1.1\r\nHost: soak\r\n"
                             b"Content-Type: application/octet-stream\r\n"
                             b"Content-Length: 100000\r\n\r\n")
        except (OSError, ssl.SSLError):
            self.stats["open_failures"] += 1
            return
        sock.setblocking(False)
        self.selector.register(sock, selectors.EVENT_READ)
        self.state[sock] = [kind, target, time.monotonic(), time.monotonic(), 0]
        self.stats[f"{kind}_opened" if kind != "trickle" else "trickle_uploads"] += 1

    def closed(self, sock, answer):
        kind, target, opened = self.state.pop(sock)[:3]
        self.selector.unregister(sock)
        sock.close()
        if kind == "trickle":
            if answer:
                self.stats["trickle_answers"].append(
                    answer.split(b"\r\n", 1)[0].decode(errors="replace"))
        else:
            self.stats[f"{kind}_closed_by_server"] += 1
            self.lived[kind].append(time.monotonic() - opened)
        self.open(kind, target)

    def read(self, timeout):
        for key, _ in self.selector.select(timeout=timeout):
            sock = key.fileobj
            try:
                data = sock.recv(4096)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                continue
            except (OSError, ssl.SSLError):
                data = b""
            kind = self.state[sock][0]
            if data and kind in ("idle", "ping", "handshake"):
                continue  # SETTINGS, a PING's answer, the server's hello: still open
            self.closed(sock, data)

    def send_due(self, every):
        now = time.monotonic()
        for sock, state in list(self.state.items()):
            kind, _, _, due, sent = state
            if kind not in every or now < due:
                continue
            state[3] = now + every[kind]
            if kind == "ping":
                payload, counter = h2_frame(6, 0, struct.pack(">Q", sent)), "pings_sent"
            elif kind == "handshake":
                payload, counter = self.hello[sent % len(self.hello):][:1], None
            else:
                payload, counter = b"\0", "trickle_bytes"
            try:
                sock.send(payload)
                state[4] += 1
                if counter:
                    self.stats[counter] += 1
            except (ssl.SSLWantWriteError, BlockingIOError):
                pass
            except (OSError, ssl.SSLError):
                self.closed(sock, b"")

    def report(self):
        for kind, lived in self.lived.items():
            if lived:
                self.stats[f"{kind}_lived_median_s"] = round(statistics.median(lived), 1)
        return self.stats


def main():
    rest, grpc = address(sys.argv[1]), address(sys.argv[2])
    idle, seconds = int(sys.argv[3]), float(sys.argv[4])
    pings, ping_every, handshakes, handshake_every = 0, 20.0, 0, 5.0
    if len(sys.argv) > 8:
        pings, ping_every = int(sys.argv[5]), float(sys.argv[6])
        handshakes, handshake_every = int(sys.argv[7]), float(sys.argv[8])
    tls = None
    if len(sys.argv) > 9:
        tls = ssl.create_default_context(cafile=sys.argv[9])
        tls.check_hostname = False
    clients = Clients(tls)
    for n in range(idle):
        clients.open("idle", rest if n % 2 == 0 else grpc)
    for n in range(pings):
        clients.open("ping", rest if n % 2 == 0 else grpc)
    for n in range(handshakes if tls else 0):
        clients.open("handshake", rest if n % 2 == 0 else grpc)
    clients.open("trickle", rest)
    every = {"ping": ping_every, "handshake": handshake_every, "trickle": 1.0}
    end = time.monotonic() + seconds
    stopped = []
    signal.signal(signal.SIGTERM, lambda *_: stopped.append(True))
    while time.monotonic() < end and not stopped:
        clients.read(0.2)
        clients.send_due(every)
    print(json.dumps(clients.report()), flush=True)


if __name__ == "__main__":
    main()
