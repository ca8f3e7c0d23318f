#!/usr/bin/env python3
"""Request attackers for scripts/soak.sh (stdlib only): requests that are
cheap to send and expensive to answer.

Usage: soak_attackers.py REST_HOST:PORT GRPC_HOST:PORT SECONDS ATTACKS [CA.pem]

ATTACKS is a comma-separated list of:
  bombs   a 7071x7071 progressive JPEG with 1,000 extra scans (about
          340 KB, valid: no decoder warning) posted to REST /binary, the
          connection closed 0.5 s later, again and again (decodes the
          client gave up on)
  slow    the largest such bomb the server's default limits admit (7071x7071,
          19 extra scans: 20 scans of 50 MP, --max-scan-pixels), so every
          one is decoded to the end after the client gave up on it
  inputs  a 60 MB gRPC ModelInfer of 30 million empty `inputs`
  params  a 59 MB v2 REST infer body whose `parameters` hold 29.5 million
          zeros
  keys    a REST /basic body whose `field4` map holds 5 million keys
Each attacker is a thread sending one request at a time, then pausing a
second (bombs: half a second). With CA.pem, every connection is TLS
trusting it. After SECONDS, or on SIGTERM, prints one JSON line: per
attacker, the requests sent and how each ended (an HTTP status, a gRPC
frame the server ended the call with, `cancelled`, `closed`, `refused`).
Sizes shrink with SCALE (environment, default 1.0) for short trials.
"""

import collections
import json
import os
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time

SCALE = float(os.environ.get("SCALE", "1.0"))


def address(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def connect(target, tls, alpn=None):
    sock = socket.create_connection(target, timeout=30)
    if tls is None:
        return sock
    if alpn:
        tls.set_alpn_protocols([alpn])
    return tls.wrap_socket(sock, server_hostname=target[0])


# ---- the bodies -----------------------------------------------------------

def segment(marker, payload):
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def entropy_bits(codes):
    """(value, length) pairs packed MSB first, padded with ones, 0xFF
    bytes stuffed with 0x00, as a JPEG scan's entropy-coded data."""
    acc = length_total = 0
    for value, length in codes:
        acc = (acc << length) | value
        length_total += length
    pad = -length_total % 8
    acc = (acc << pad) | ((1 << pad) - 1)
    data = acc.to_bytes((length_total + pad) // 8, "big")
    return data.replace(b"\xff", b"\xff\x00")


def scan_bomb(side, scans):
    """A valid progressive JPEG, 3 components at 4:4:4, `side` x `side`:
    one DC scan (every block's DC difference 0: a bit each), then the same
    AC scan of the first component `scans` times over, each coded as runs
    of end-of-band (EOBRUN, up to 32,767 blocks a code, so a few dozen
    bytes a scan). Nothing in it is an error or a decoder warning; each
    repeated scan makes the decoder walk every block again."""
    blocks = ((side + 7) // 8) ** 2
    frame = struct.pack(">BHHB", 8, side, side, 3) + b"".join(
        bytes([c, 0x11, 0]) for c in (1, 2, 3))
    dc_table = b"\x00" + bytes([1] + [0] * 15) + b"\x00"  # "0": difference 0
    ac_table = b"\x10" + bytes([0, 2] + [0] * 14) + b"\x00\xe0"  # "00": EOB, "01": EOB14
    dc_bits = blocks * 3
    dc_data = bytes(dc_bits // 8) + entropy_bits([(0, dc_bits % 8)]) if dc_bits % 8 else bytes(dc_bits // 8)
    dc_scan = segment(0xDA, bytes([3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 0, 0x00])) + dc_data
    runs, rest = divmod(blocks, 32767)
    codes = [(0b01, 2), ((1 << 14) - 1, 14)] * runs
    if rest >= 16384:
        codes += [(0b01, 2), (rest - 16384, 14)]
    else:
        codes += [(0b00, 2)] * rest
    ac_scan = segment(0xDA, bytes([1, 1, 0x00, 1, 63, 0x00])) + entropy_bits(codes)
    return (b"\xff\xd8" + segment(0xDB, b"\x00" + b"\x01" * 64) + segment(0xC2, frame)
            + segment(0xC4, dc_table) + segment(0xC4, ac_table)
            + dc_scan + ac_scan * scans + b"\xff\xd9")


def model_infer_of_empty_inputs(count):
    """ModelInferRequest: model_name "decode" (field 1), then `count` empty
    InferInputTensor messages (field 5, length 0)."""
    return b"\x0a\x06decode" + b"\x2a\x00" * count


def v2_body_with_parameters(zeros):
    head = (b'{"inputs":[{"name":"image","datatype":"BYTES","shape":[1],"data":["x"]}],'
            b'"parameters":{"p":[')
    return head + b"0," * (zeros - 1) + b"0]}}"


def basic_body_with_keys(keys):
    parts = [b'{"field1":"a","field2":"b","field3":1,"field4":{']
    step = 100_000
    for start in range(0, keys, step):
        chunk = ",".join(f'"k{i}":0' for i in range(start, min(keys, start + step)))
        parts.append((b"," if start else b"") + chunk.encode())
    parts.append(b"}}")
    return b"".join(parts)


# ---- HTTP/1.1 -------------------------------------------------------------

def http_post(target, tls, path, headers, body, cancel_after=None):
    """Posts `body`; the answer's status line, or `cancelled` when the
    connection is closed `cancel_after` seconds after sending."""
    sock = connect(target, tls, "http/1.1")
    try:
        head = f"POST {path} HTTP/1.1\r\nHost: soak\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        sock.sendall(head.encode() + body)
        if cancel_after is not None:
            time.sleep(cancel_after)
            return "cancelled"
        answer = sock.recv(4096)
        if not answer:
            return "closed"
        return answer.split(b"\r\n", 1)[0].decode(errors="replace").split(" ", 1)[-1]
    finally:
        sock.close()


# ---- HTTP/2, one gRPC call --------------------------------------------------

def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def hpack_literal(name, value):
    def string(text):
        data = text.encode()
        assert len(data) < 127
        return bytes([len(data)]) + data
    return b"\x00" + string(name) + string(value)


def grpc_call(target, tls, path, message, timeout=60):
    """One unary call over a fresh connection, sent as flow control
    allows; how the server ended it: `answered` (trailers), `reset N`,
    `goaway N`, `closed` or `timeout`."""
    sock = connect(target, tls, "h2")
    try:
        big = 2**31 - 1
        sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, struct.pack(">HI", 4, big))
                     + frame(8, 0, 0, struct.pack(">I", big - 65535)))
        fields = [(":method", "POST"), (":scheme", "https" if tls else "http"), (":path", path),
                  (":authority", "soak"), ("content-type", "application/grpc"), ("te", "trailers")]
        sock.sendall(frame(1, 4, 1, b"".join(hpack_literal(k, v) for k, v in fields)))
        data = b"\x00" + struct.pack(">I", len(message)) + message
        sent, window, stream_window, initial, max_frame = 0, 65535, 65535, 65535, 16384
        buffer, deadline = b"", time.monotonic() + timeout
        while time.monotonic() < deadline:
            while sent < len(data) and min(window, stream_window) > 0:
                n = min(len(data) - sent, window, stream_window, max_frame)
                end = 1 if sent + n == len(data) else 0
                sock.sendall(frame(0, end, 1, data[sent:sent + n]))
                sent, window, stream_window = sent + n, window - n, stream_window - n
            readable, _, _ = select.select([sock], [], [], 0.5)
            if not readable and not (isinstance(sock, ssl.SSLSocket) and sock.pending()):
                continue
            chunk = sock.recv(65536)
            if not chunk:
                return "closed"
            buffer += chunk
            while len(buffer) >= 9:
                length = int.from_bytes(buffer[:3], "big")
                if len(buffer) < 9 + length:
                    break
                kind, flags = buffer[3], buffer[4]
                stream = int.from_bytes(buffer[5:9], "big") & 0x7FFFFFFF
                payload, buffer = buffer[9:9 + length], buffer[9 + length:]
                if kind == 4 and not flags & 1:
                    for i in range(0, len(payload) - 5, 6):
                        key, value = struct.unpack(">HI", payload[i:i + 6])
                        if key == 4:
                            stream_window += value - initial
                            initial = value
                        elif key == 5:
                            max_frame = value
                    sock.sendall(frame(4, 1, 0))
                elif kind == 8:
                    increment = struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF
                    if stream == 0:
                        window += increment
                    else:
                        stream_window += increment
                elif kind == 6 and not flags & 1:
                    sock.sendall(frame(6, 1, 0, payload))
                elif kind == 1 and stream == 1 and flags & 1:
                    return "answered"
                elif kind == 3 and stream == 1:
                    return f"reset {struct.unpack('>I', payload[:4])[0]}"
                elif kind == 7:
                    return f"goaway {struct.unpack('>I', payload[4:8])[0]}"
        return "timeout"
    finally:
        sock.close()


# ---- the attackers -----------------------------------------------------------

def attacker(name, rest, grpc, tls):
    """The pause after each request of attacker `name`, and one request's
    sending (its body built once, here)."""
    if name in ("bombs", "slow"):
        side = max(64, int(7071 * SCALE ** 0.5))
        bomb = scan_bomb(side, max(1, int(1000 * SCALE)) if name == "bombs" else 19)
        headers = {"Content-Type": "application/octet-stream", "x-image-width": side,
                   "x-image-height": side, "x-image-channels": 3, "x-image-format": "jpeg"}
        return 0.5, lambda: http_post(rest, tls, "/binary", headers, bomb, 0.5)
    if name == "inputs":
        body = model_infer_of_empty_inputs(int(30_000_000 * SCALE))
        path = "/inference.GRPCInferenceService/ModelInfer"
        return 1.0, lambda: grpc_call(grpc, tls, path, body)
    if name == "params":
        body = v2_body_with_parameters(int(29_500_000 * SCALE))
        json_type = {"Content-Type": "application/json"}
        return 1.0, lambda: http_post(rest, tls, "/v2/models/decode/infer", json_type, body)
    if name == "keys":
        body = basic_body_with_keys(int(5_000_000 * SCALE))
        return 1.0, lambda: http_post(rest, tls, "/basic", {"Content-Type": "application/json"}, body)
    sys.exit(f"soak_attackers: unknown attacker '{name}' (bombs, slow, inputs, params, keys)")


def run(name, pause, attack, stop, results):
    ended = collections.Counter()
    results[name] = ended
    while not stop.is_set():
        try:
            ended[attack()] += 1
        except ConnectionRefusedError:
            ended["refused"] += 1
        except (OSError, ssl.SSLError) as error:
            ended[f"error {type(error).__name__}"] += 1
        stop.wait(pause)


def main():
    rest, grpc = address(sys.argv[1]), address(sys.argv[2])
    seconds, chosen = float(sys.argv[3]), [a for a in sys.argv[4].split(",") if a]
    tls = None
    if len(sys.argv) > 5:
        tls = ssl.create_default_context(cafile=sys.argv[5])
        tls.check_hostname = False
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    results = {}
    threads = [threading.Thread(target=run, args=(a, *attacker(a, rest, grpc, tls), stop, results),
                                daemon=True) for a in chosen]
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=5)
    print(json.dumps({name: dict(ended) for name, ended in results.items()}), flush=True)


if __name__ == "__main__":
    main()
