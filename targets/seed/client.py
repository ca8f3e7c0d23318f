"""Calls the seed servers once per route/method and prints what they answered.

Usage: client.py ping-grpc PORT GEN_DIR
       client.py prove REST_PORT GRPC_PORT GEN_DIR JPEG
"""

import base64
import json
import sys
import urllib.request

import grpc

from grpc_server import load_stubs

BASIC = {"field1": "a", "field2": "b", "field3": 3, "field4": {str(i): i for i in range(100)}}


def grpc_calls(port: int, gen_dir: str, jpeg: bytes):
    pb2, pb2_grpc = load_stubs(gen_dir)
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = pb2_grpc.GrpcBenchmarkApiServiceStub(channel)
        yield "BenchmarkBasicRequest", stub.BenchmarkBasicRequest(pb2.BasicRequest(**BASIC), timeout=5)
        if jpeg:
            b64 = base64.b64encode(jpeg).decode()
            yield "BenchmarkB64Image", stub.BenchmarkB64Image(pb2.ImageBase64Request(image=b64), timeout=5)
            yield "BenchmarkBinaryImage", stub.BenchmarkBinaryImage(pb2.ImageBinaryRequest(image=jpeg), timeout=5)


def post(port: int, route: str, body: bytes, content_type: str):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{route}", data=body,
                                 headers={"Content-Type": content_type})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, dict(resp.headers), json.loads(resp.read())


def summary(prediction1, prediction2) -> str:
    return (f"prediction1: {len(prediction1)} floats (first {prediction1[0]:.4f}); "
            f"prediction2: {len(prediction2)} entries (e.g. '7' -> {prediction2['7']})")


def prove(rest_port: int, grpc_port: int, gen_dir: str, jpeg_path: str) -> None:
    jpeg = open(jpeg_path, "rb").read()
    b64 = base64.b64encode(jpeg).decode()
    print(f"JPEG {jpeg_path}: {len(jpeg)} bytes, base64 {len(b64)} chars")
    for route, body, ctype in [
        ("/basic", json.dumps(BASIC).encode(), "application/json"),
        ("/base64", json.dumps({"image": b64}).encode(), "application/json"),
        ("/binary", jpeg, "application/octet-stream"),
    ]:
        status, headers, answer = post(rest_port, route, body, ctype)
        print(f"REST POST {route} ({len(body)} B, {ctype}) -> {status} {headers}")
        print("   ", summary(answer["prediction1"], answer["prediction2"]))
    for method, answer in grpc_calls(grpc_port, gen_dir, jpeg):
        print(f"gRPC {method} -> OK", summary(list(answer.prediction1), dict(answer.prediction2)))


if __name__ == "__main__":
    if sys.argv[1] == "ping-grpc":
        for _ in grpc_calls(int(sys.argv[2]), sys.argv[3], b""):
            pass
    else:
        prove(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
