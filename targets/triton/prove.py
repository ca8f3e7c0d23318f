"""Calls the Triton `decode` model every way the Rust client will, and prints
what was sent and answered: tritonclient HTTP (binary and JSON), tritonclient
gRPC, a hand-built HTTP request with the binary tensor extension, a
hand-built JSON request, the model's metadata and its statistics.

Usage: prove.py HTTP_PORT GRPC_PORT JPEG
"""

import base64
import json
import sys
import urllib.request

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

MODEL = "decode"


def tritonclient_calls(http_port: int, grpc_port: int, jpeg: bytes) -> None:
    http = httpclient.InferenceServerClient(f"127.0.0.1:{http_port}")
    for binary in (True, False):
        data = jpeg if binary else base64.b64encode(jpeg)
        tensor = httpclient.InferInput("image", [1], "BYTES")
        tensor.set_data_from_numpy(np.array([data], dtype=object), binary_data=binary)
        out = http.infer(MODEL, [tensor], outputs=[httpclient.InferRequestedOutput("size", binary_data=False)])
        print(f"tritonclient HTTP, binary_data={binary}: size={out.as_numpy('size').tolist()}")
    grpc = grpcclient.InferenceServerClient(f"127.0.0.1:{grpc_port}")
    tensor = grpcclient.InferInput("image", [1], "BYTES")
    tensor.set_data_from_numpy(np.array([jpeg], dtype=object))
    out = grpc.infer(MODEL, [tensor])
    print(f"tritonclient gRPC (raw_input_contents): size={out.as_numpy('size').tolist()}")
    print("gRPC ModelMetadata:", grpc.get_model_metadata(MODEL, as_json=True))


def post(http_port: int, body: bytes, headers: dict):
    req = urllib.request.Request(f"http://127.0.0.1:{http_port}/v2/models/{MODEL}/infer", data=body, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, dict(resp.headers), resp.read()


def hand_built_calls(http_port: int, jpeg: bytes) -> None:
    element = len(jpeg).to_bytes(4, "little") + jpeg  # BYTES element: u32 LE length + bytes
    header = json.dumps({
        "inputs": [{"name": "image", "shape": [1], "datatype": "BYTES",
                    "parameters": {"binary_data_size": len(element)}}],
        "outputs": [{"name": "size", "parameters": {"binary_data": False}}],
    }).encode()
    headers = {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(header))}
    print("hand-built binary request headers:", headers)
    print("  JSON header:", header.decode())
    status, resp_headers, body = post(http_port, header + element, headers)
    print(f"  -> {status} {resp_headers}\n  body: {body.decode()}")

    doc = json.dumps({"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES",
                                  "data": [base64.b64encode(jpeg).decode()]}]}).encode()
    status, resp_headers, body = post(http_port, doc, {"Content-Type": "application/json"})
    print(f"hand-built JSON request (data: [base64 text], {len(doc)} B) -> {status} {resp_headers}\n  body: {body.decode()}")


def hand_built_grpc(grpc_port: int, jpeg: bytes) -> None:
    """ModelInfer built field by field, as a client without tritonclient must."""
    import grpc
    from tritonclient.grpc import service_pb2, service_pb2_grpc

    options = [("grpc.max_send_message_length", 64 << 20)]
    with grpc.insecure_channel(f"127.0.0.1:{grpc_port}", options=options) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        for label, raw in (("u32 LE length + JPEG", len(jpeg).to_bytes(4, "little") + jpeg),
                           ("JPEG alone", jpeg)):
            request = service_pb2.ModelInferRequest(
                model_name=MODEL,
                inputs=[service_pb2.ModelInferRequest.InferInputTensor(name="image", datatype="BYTES", shape=[1])],
                raw_input_contents=[raw],
            )
            try:
                reply = stub.ModelInfer(request, timeout=30)
                out = reply.outputs[0]
                size = np.frombuffer(reply.raw_output_contents[0], dtype="<i4").tolist()
                print(f"hand-built gRPC ModelInfer, raw_input_contents[0] = {label}: output {out.name} "
                      f"{out.datatype} shape {list(out.shape)}, raw_output_contents[0] "
                      f"{reply.raw_output_contents[0].hex()} = {size} (little-endian i32)")
            except grpc.RpcError as err:
                print(f"hand-built gRPC ModelInfer, raw_input_contents[0] = {label}: {err.code()} {err.details()[:200]}")


def get(http_port: int, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}{path}", timeout=10) as resp:
        return resp.read().decode()


if __name__ == "__main__":
    http_port, grpc_port, jpeg_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    jpeg = open(jpeg_path, "rb").read()
    print(f"JPEG {jpeg_path}: {len(jpeg)} bytes")
    tritonclient_calls(http_port, grpc_port, jpeg)
    hand_built_calls(http_port, jpeg)
    hand_built_grpc(grpc_port, jpeg)
    for path in ("/v2", f"/v2/models/{MODEL}", f"/v2/models/{MODEL}/stats"):
        print(f"GET {path}: {get(http_port, path)}")
