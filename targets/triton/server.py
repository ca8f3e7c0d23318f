"""A real Triton Inference Server (bundled by PyTriton, on CPU) serving one
Python model, `decode`: input `image` (BYTES, shape [1], the JPEG), output
`size` (INT32, shape [2], the decoded [height, width], from Pillow).
The image may also be the JPEG's base64 text (what a JSON BYTES tensor
carries): base64 never starts with the JPEG's 0xFF marker, so the two cannot
be confused.

Usage: server.py HTTP_PORT GRPC_PORT METRICS_PORT
"""

import base64
import io
import signal
import sys

import numpy as np
from PIL import Image
from pytriton.model_config import ModelConfig, Tensor
from pytriton.triton import DEFAULT_PROTECTED_ENDPOINTS, Triton, TritonConfig, TritonSecurityConfig


JPEG_START = b"\xff\xd8"


def decoded_size(image_bytes: bytes) -> np.ndarray:
    jpeg = image_bytes if image_bytes.startswith(JPEG_START) else base64.b64decode(image_bytes)
    with Image.open(io.BytesIO(jpeg)) as image:
        image.load()  # decode every pixel, not only the header
        return np.array([image.height, image.width], dtype=np.int32)


def infer(requests):
    """One answer per request (no batching): the JPEG's decoded size."""
    return [{"size": decoded_size(bytes(request["image"][0]))} for request in requests]


def stop_on_signals() -> None:
    """SIGINT and SIGTERM end serve() the way Ctrl-C does, so PyTriton stops
    its tritonserver and removes its workspace. (A shell starts background
    jobs with SIGINT ignored, so Python's own handler is not there.)"""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def main() -> None:
    stop_on_signals()
    http_port, grpc_port, metrics_port = (int(arg) for arg in sys.argv[1:4])
    config = TritonConfig(
        http_address="127.0.0.1", http_port=http_port,
        grpc_address="127.0.0.1", grpc_port=grpc_port,
        metrics_address="127.0.0.1", metrics_port=metrics_port,
        allow_gpu_metrics=False,
    )
    # PyTriton puts the statistics API behind an access token; a stock
    # tritonserver serves it openly, and imgwire reads it for server stages.
    security = TritonSecurityConfig(
        restricted_endpoints=[e for e in DEFAULT_PROTECTED_ENDPOINTS if e != "statistics"])
    with Triton(config=config, security_config=security) as triton:
        triton.bind(
            model_name="decode",
            infer_func=infer,
            inputs=[Tensor(name="image", dtype=np.bytes_, shape=(1,))],
            outputs=[Tensor(name="size", dtype=np.int32, shape=(2,))],
            config=ModelConfig(batching=False),
            strict=True,
        )
        print(f"decode model served: HTTP 127.0.0.1:{http_port}, gRPC 127.0.0.1:{grpc_port}", flush=True)
        triton.serve()


if __name__ == "__main__":
    main()
